//go:build !unix

package rotation

import "os/exec"

// killGroupOnCancel kills the process alone where there are no process
// groups (exec.CommandContext's default).
func killGroupOnCancel(cmd *exec.Cmd) {}
