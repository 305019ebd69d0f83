//go:build linux

package audit

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync makes f's data durable: fdatasync(2) for an *os.File, which
// also flushes the size of a file that grew but not its timestamps, and
// Sync for any other File.
//
// inline makes the call without telling Go's scheduler (a raw system
// call), so the thread keeps its P while the disk works. The committer
// asks for that only once it has let everything else in the process run
// (see idler): there is nothing for the P to do meanwhile, and releasing
// it around a blocking call costs far more than the call itself on a
// virtual machine (the runtime's monitor thread wakes every 20 µs while a
// call blocks, hands the P to another thread to poll the network, and takes
// it back after). The cost of holding it: the process's other goroutines
// on that P wait for the disk (about 0.1 ms here), so the committer stops
// doing it when a sync turns slow (see Log.syncInline).
func datasync(f File, inline bool) error {
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
			if inline {
				serr = nil
				if _, _, errno := unix.RawSyscall(unix.SYS_FDATASYNC, fd, 0, 0); errno != 0 {
					serr = errno
				}
			} else {
				serr = unix.Fdatasync(int(fd))
			}
			if serr != unix.EINTR {
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
