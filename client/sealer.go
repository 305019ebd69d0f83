package client

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrSealerClosed is returned by MemorySealer's Seal and Open once Close has
// been called.
var ErrSealerClosed = errors.New("client: sealer closed")

// MemorySealer is a Sealer that seals values with AES-256-GCM under a
// random key made for this process, binding each item's key as additional
// data, so sealed bytes moved to another item fail to open. The raw key is
// kept in memory locked with mlock where the OS allows it (see Locked), so
// it is not swapped out, and Close zeroes it.
//
// What it does not protect: the expanded AES key schedule lives in the Go
// heap, where it cannot be locked or wiped; and the plaintext that Open
// returns belongs to the caller. The Cache hands it out as Value, whose
// Reveal builds a string, and strings the SDK or the caller produced cannot
// be wiped in Go: they stay in memory until the garbage collector reuses
// it. Sealing keeps the cache's own copies, which live for the whole TTL,
// out of a core dump or a read of process memory.
//
// The Cache zeroes an item's sealed bytes when it evicts, replaces or drops
// the item, as soon as no read is opening them and no renewed item shares
// them (a reference count; a read that loses the race looks the item up
// again). Items the cache never kept (TTL 0, or a fetch overtaken by a
// newer one) are left to the garbage collector: ciphertext all the same,
// which reveals nothing once Close has zeroed the key.
type MemorySealer struct {
	key    *lockedKey
	aead   atomic.Pointer[cipher.AEAD] // nil once closed
	closed atomic.Bool
}

// NewMemorySealer returns a MemorySealer with a fresh random key. Close it
// when the caches that use it are done.
func NewMemorySealer() (*MemorySealer, error) {
	k, err := newLockedKey(32)
	if err != nil {
		return nil, fmt.Errorf("client: sealer key: %w", err)
	}
	// crypto/rand.Read never returns an error (it crashes the program if
	// the OS cannot supply randomness).
	rand.Read(k.b)
	block, err := aes.NewCipher(k.b)
	if err != nil {
		k.free()
		return nil, fmt.Errorf("client: sealer: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		k.free()
		return nil, fmt.Errorf("client: sealer: %w", err)
	}
	s := &MemorySealer{key: k}
	s.aead.Store(&aead)
	return s, nil
}

// Locked reports whether the key is held in memory locked with mlock. It
// is false where the OS has no mlock or refused it (RLIMIT_MEMLOCK); the
// sealer works the same either way.
func (s *MemorySealer) Locked() bool { return s.key.locked }

// Seal seals plaintext for the item named key.
func (s *MemorySealer) Seal(key string, plaintext []byte) ([]byte, error) {
	p := s.aead.Load()
	if p == nil {
		return nil, ErrSealerClosed
	}
	return (*p).Seal(nil, nil, plaintext, []byte(key)), nil
}

// Open opens what Seal sealed for the same key. It fails for sealed bytes
// that were modified or sealed under another key or by another sealer. The
// returned plaintext is a new slice, the caller's to keep or clear.
func (s *MemorySealer) Open(key string, sealed []byte) ([]byte, error) {
	p := s.aead.Load()
	if p == nil {
		return nil, ErrSealerClosed
	}
	return (*p).Open(nil, nil, sealed, []byte(key))
}

// Close zeroes the key and releases its memory. Afterwards Seal and Open
// return ErrSealerClosed, so a Cache using the sealer can no longer serve
// its cached values. Close is safe to call more than once.
func (s *MemorySealer) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.aead.Store(nil)
	return s.key.free()
}
