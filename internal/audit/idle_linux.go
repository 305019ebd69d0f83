//go:build linux

package audit

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// idler lets the committer wait until the scheduler has run every
// goroutine that was ready and polled the network once: a goroutine
// parked on an eventfd that it made readable itself is woken by the next
// network poll, and Go polls the network only when it has nothing else to
// run (or every 10 ms). So a committer that waits here before its write
// lets every request already in the process, and every request that
// arrived meanwhile, reach the log and share the write, without sleeping
// for a fixed time (runtime.Gosched cannot do that: a yielding goroutine
// goes back on the run queue before the network is polled).
type idler struct {
	f  *os.File
	rc syscall.RawConn
}

// newIdler returns an idler, or nil (wait then yields) if no eventfd can
// be had.
func newIdler() *idler {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), "audit-idle") // non-blocking: registered with the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	return &idler{f: f, rc: rc}
}

var eventOne = [8]byte{1}

// wait returns after the next network poll.
func (i *idler) wait() {
	if i == nil {
		runtime.Gosched()
		return
	}
	armed := false
	err := i.rc.Read(func(fd uintptr) bool {
		if armed {
			var b [8]byte
			if _, err := unix.Read(int(fd), b[:]); err == nil {
				return true
			}
		}
		armed = true
		_, err := unix.Write(int(fd), eventOne[:])
		return err != nil && err != unix.EAGAIN // cannot arm it: do not wait
	})
	if err != nil {
		runtime.Gosched()
	}
}

func (i *idler) close() {
	if i != nil {
		i.f.Close()
	}
}
