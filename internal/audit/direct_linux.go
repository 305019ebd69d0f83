//go:build linux

package audit

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// directFlags open a log file for direct, synchronous writes: each write
// goes from the writer's buffer to the disk and returns once it is
// durable, with no copy into the page cache and no separate fdatasync
// (see Log.writeDirect).
const directFlags = unix.O_DIRECT | unix.O_DSYNC

// directAlign is the alignment of direct writes' buffers, offsets and
// lengths: the page size, which every Linux file system that supports
// O_DIRECT accepts.
const directAlign = 4096

// pwriteDirect writes b at off in f, whole, as one system call; inline as
// for datasync (the call holds the P: see sync_linux.go).
func pwriteDirect(f File, b []byte, off int64, inline bool) error {
	osf, ok := f.(*os.File)
	if !ok {
		_, err := f.WriteAt(b, off)
		return err
	}
	rc, err := osf.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	if err := rc.Control(func(fd uintptr) {
		for len(b) > 0 {
			p, n := uintptr(unsafe.Pointer(&b[0])), uintptr(len(b))
			var r uintptr
			var errno unix.Errno
			if inline {
				r, _, errno = unix.RawSyscall6(unix.SYS_PWRITE64, fd, p, n, uintptr(off), 0, 0)
			} else {
				r, _, errno = unix.Syscall6(unix.SYS_PWRITE64, fd, p, n, uintptr(off), 0, 0)
			}
			switch {
			case errno == unix.EINTR:
				continue
			case errno != 0:
				werr = os.NewSyscallError("pwrite", errno)
				return
			case r == 0:
				werr = os.NewSyscallError("pwrite", unix.EIO)
				return
			}
			// A short direct write ends on an aligned boundary; go on from there.
			b, off = b[r:], off+int64(r)
		}
	}); err != nil {
		return err
	}
	return werr
}

// alignedBuf returns n zero bytes whose address is directAlign-aligned.
func alignedBuf(n int) []byte {
	b := make([]byte, n+directAlign)
	skip := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))%directAlign)) % directAlign
	return b[skip : skip+n : skip+n]
}
