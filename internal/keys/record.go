package keys

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// SealRecord seals a metadata record stored under storageKey:
//
//	version (1) | nonce (12) | AES-256-GCM(record key, plaintext, AAD = storageKey) | tag (16)
//
// The record key is derived from the root key, so a copy of the store
// reveals only sizes; the AAD makes a record moved to another storage key
// fail to open.
func (k *Keyring) SealRecord(storageKey string, plaintext []byte) ([]byte, error) {
	out := make([]byte, 1, 1+len(plaintext)+k.record.Overhead())
	out[0] = recordVersion
	return k.record.Seal(out, nil, plaintext, []byte(storageKey)), nil
}

// OpenRecord opens a record sealed by SealRecord under the same storageKey,
// or returns ErrDecryption.
func (k *Keyring) OpenRecord(storageKey string, sealed []byte) ([]byte, error) {
	if len(sealed) < 1+k.record.Overhead() || sealed[0] != recordVersion {
		return nil, ErrDecryption
	}
	pt, err := k.record.Open(nil, nil, sealed[1:], []byte(storageKey))
	if err != nil {
		return nil, ErrDecryption
	}
	return pt, nil
}

// recordVersion is the first byte of a sealed metadata record.
const recordVersion = 1

// Blind returns a keyed HMAC-SHA256 of parts (each length-prefixed, so
// ("ab","c") and ("a","bc") differ), hex-encoded and truncated to 32 hex
// characters (128 bits). Storage keys built from it reveal no names; the
// same parts always give the same result under the same root key.
func (k *Keyring) Blind(parts ...string) string {
	h := k.blindPool.Get().(hash.Hash)
	h.Reset()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	k.blindPool.Put(h)
	return hex.EncodeToString(sum[:16])
}
