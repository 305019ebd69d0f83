//go:build linux

package audit

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync makes f's data durable: fdatasync(2) for an *os.File, which
// also flushes the size of a file that grew but not its timestamps, and
// Sync for any other File.
func datasync(f File) error {
	osf, ok := f.(*os.File)
	if !ok {
		return f.Sync()
	}
	rc, err := osf.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			if serr = unix.Fdatasync(int(fd)); serr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("fdatasync", serr)
	}
	return nil
}
