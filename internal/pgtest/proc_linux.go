package pgtest

import "syscall"

// sysProcAttr runs a child as cred (nil: as we are) and, for the server,
// has the kernel stop it if the test binary dies before stopping it.
func sysProcAttr(cred *syscall.Credential, server bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Credential: cred}
	if server {
		attr.Pdeathsig = syscall.SIGQUIT // postgres: immediate shutdown
	}
	return attr
}
