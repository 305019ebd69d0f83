//go:build unix && !linux

package pgtest

import "syscall"

// sysProcAttr runs a child as cred (nil: as we are). Outside Linux there is
// no parent-death signal: a test binary killed before Main returns leaves
// its server running.
func sysProcAttr(cred *syscall.Credential, server bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
