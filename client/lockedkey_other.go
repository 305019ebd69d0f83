//go:build !unix

package client

// lockedKey is key material; without unix mlock it is a heap slice.
type lockedKey struct {
	b      []byte
	locked bool
}

func newLockedKey(n int) (*lockedKey, error) { return &lockedKey{b: make([]byte, n)}, nil }

func (k *lockedKey) free() error {
	clear(k.b)
	k.b = nil
	return nil
}
