package keys

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/coffer-dev/coffer/internal/atomicfile"
)

// rootKeySize is the length of a root key, and of a root key file.
const rootKeySize = 32

// redacted is what every formatting of a RootKey prints.
const redacted = "keys.RootKey(redacted)"

// RootKey is the 32-byte key at the top of the hierarchy. It wraps KMS keys
// and, through HKDF, keys metadata records and storage-key blinding; it never
// seals a value directly.
//
// Every way of printing a RootKey (fmt verbs, slog) shows only
// "keys.RootKey(redacted)". There is no accessor for the bytes.
type RootKey struct {
	b [rootKeySize]byte
}

// NewRootKey returns a fresh random root key that is not persisted
// anywhere, for `coffer dev`: whatever it seals is lost with the process.
func NewRootKey() (*RootKey, error) {
	k := new(RootKey)
	if _, err := rand.Read(k.b[:]); err != nil {
		return nil, fmt.Errorf("keys: generate root key: %w", err)
	}
	return k, nil
}

// String implements fmt.Stringer.
func (RootKey) String() string { return redacted }

// GoString implements fmt.GoStringer (%#v).
func (RootKey) GoString() string { return redacted }

// Format implements fmt.Formatter, so every verb and flag prints the
// placeholder, including %x and %+v.
func (RootKey) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer.
func (RootKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// isZero reports whether k is the zero key, which is never a valid root key
// (a zero-filled file is what some file systems leave after a crash).
func (k *RootKey) isZero() bool {
	var acc byte
	for _, b := range k.b {
		acc |= b
	}
	return acc == 0
}

// LoadOrCreateRootKey reads the root key file at path, or creates it with a
// fresh key if it does not exist; created reports which. The file holds the
// 32 key bytes and nothing else. It is created with mode 0600 through
// atomicfile.WriteNewFile, so an existing file is never replaced, even by a
// concurrent creator: the loser loads the winner's key.
//
// LoadOrCreateRootKey refuses a file that grants any permission to group or
// other, that is not a regular file, that is not exactly 32 bytes long or
// that is all zeros. Errors name the path and the mode, never the content.
// The directory must already exist.
func LoadOrCreateRootKey(path string) (key *RootKey, created bool, err error) {
	key, err = loadRootKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = NewRootKey()
	if err != nil {
		return nil, false, err
	}
	err = atomicfile.WriteNewFile(path, key.b[:], 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Someone else created it first; theirs is the key.
		key, err = loadRootKey(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("keys: create root key file: %w", err)
	}
	return key, true, nil
}

// loadRootKey reads and checks the root key file. A missing file is reported
// with an error that wraps fs.ErrNotExist.
func loadRootKey(path string) (*RootKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: open root key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keys: stat root key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keys: root key file %s is not a regular file (mode %v)", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("keys: root key file %s has mode %#o, which gives group or other access; want 0600 (chmod 600 %s)", path, perm, path)
	}
	if fi.Size() != rootKeySize {
		return nil, fmt.Errorf("keys: root key file %s is %d bytes, want %d", path, fi.Size(), rootKeySize)
	}
	key := new(RootKey)
	// Read one byte more than expected to notice a file that grew after Stat.
	var buf [rootKeySize + 1]byte
	n, err := io.ReadFull(f, buf[:])
	copy(key.b[:], buf[:])
	clear(buf[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("keys: read root key file: %w", err)
	}
	if n != rootKeySize {
		return nil, fmt.Errorf("keys: root key file %s changed size while being read", path)
	}
	if key.isZero() {
		return nil, fmt.Errorf("keys: root key file %s is all zeros", path)
	}
	return key, nil
}
