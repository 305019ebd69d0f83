//go:build unix

package client

import (
	"os"

	"golang.org/x/sys/unix"
)

// munmap is unix.Munmap; tests replace it to look at the key before it is
// unmapped.
var munmap = unix.Munmap

// lockedKey is key material in its own anonymous mapping, locked into
// memory where the OS allows it.
type lockedKey struct {
	b      []byte // the key: a prefix of mem
	mem    []byte // the mapping; nil for a heap slice
	locked bool
}

// newLockedKey maps a page-sized anonymous region for n bytes of key and
// tries to mlock it; if mapping fails it falls back to the heap.
func newLockedKey(n int) (*lockedKey, error) {
	size := (n + os.Getpagesize() - 1) / os.Getpagesize() * os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return &lockedKey{b: make([]byte, n)}, nil
	}
	k := &lockedKey{b: mem[:n:n], mem: mem}
	k.locked = unix.Mlock(mem) == nil
	excludeFromDump(mem)
	return k, nil
}

// free zeroes the key and unmaps it.
func (k *lockedKey) free() error {
	clear(k.b)
	mem := k.mem
	k.b, k.mem = nil, nil
	if mem == nil {
		return nil
	}
	if k.locked {
		unix.Munlock(mem)
	}
	return munmap(mem)
}
