package keys

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// HKDF-SHA256 info labels of the audit log's subkeys (see infoWrap and the
// others in keyring.go). Changing one makes every digest in existing audit
// records unmatchable, or every checkpoint signature unverifiable.
const (
	infoAuditDigest = "coffer keys v1: audit field digests"
	infoAuditSign   = "coffer keys v1: audit checkpoint signing"
)

// AuditKeys derives the audit log's keys from k: digestKey, 32 bytes, keys
// the HMAC-SHA256 digests of sensitive request fields; signer, an Ed25519
// key whose seed is derived from k, signs the log's checkpoints. The same
// root key always yields the same keys, so a data dir's audit log can be
// verified with its root key file, or with signer's public key alone.
//
// The caller owns the returned slices and should not print them.
func (k *RootKey) AuditKeys() (digestKey []byte, signer ed25519.PrivateKey, err error) {
	if k == nil || k.isZero() {
		return nil, nil, fmt.Errorf("keys: audit keys: no root key")
	}
	digestKey, err = hkdf.Key(sha256.New, k.b[:], nil, infoAuditDigest, 32)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: derive audit digest key: %w", err)
	}
	seed, err := hkdf.Key(sha256.New, k.b[:], nil, infoAuditSign, ed25519.SeedSize)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: derive audit signing key: %w", err)
	}
	defer clear(seed)
	return digestKey, ed25519.NewKeyFromSeed(seed), nil
}

// LoadRootKey reads the existing root key file at path, with the checks of
// LoadOrCreateRootKey, and never creates one: for tools such as
// `coffer audit verify` that must not start a new key hierarchy by mistake.
// A missing file is an error wrapping fs.ErrNotExist.
func LoadRootKey(path string) (*RootKey, error) {
	return loadRootKey(path)
}
