package audit

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/coffer-dev/coffer/internal/keys"
)

// digestPrefix starts every digest of a sensitive value.
const digestPrefix = "hmac-sha256:"

// publicKeyPrefix starts the text form of a checkpoint public key.
const publicKeyPrefix = "ed25519:"

// Keys are the audit log's keys: the HMAC key of digests and the Ed25519
// key that signs checkpoints. Printing Keys shows only the public key.
type Keys struct {
	digest []byte
	signer ed25519.PrivateKey
	public ed25519.PublicKey
	id     string    // keyID(public)
	macs   sync.Pool // of hash.Hash: HMAC-SHA256 under digest
}

// KeysFromRoot derives the audit keys from the root key (keys.AuditKeys):
// the same root key always gives the same keys.
func KeysFromRoot(root *keys.RootKey) (*Keys, error) {
	digest, signer, err := root.AuditKeys()
	if err != nil {
		return nil, err
	}
	return NewKeys(digest, signer)
}

// NewKeys returns Keys made of a digest key (at least 32 bytes) and a
// signing key. KeysFromRoot is how Coffer gets them; this is for tests and
// tools that hold the keys some other way.
func NewKeys(digestKey []byte, signer ed25519.PrivateKey) (*Keys, error) {
	if len(digestKey) < 32 {
		return nil, errors.New("audit: digest key shorter than 32 bytes")
	}
	if len(signer) != ed25519.PrivateKeySize {
		return nil, errors.New("audit: signing key is not an Ed25519 private key")
	}
	pub := signer.Public().(ed25519.PublicKey)
	k := &Keys{digest: append([]byte(nil), digestKey...), signer: signer, public: pub, id: keyID(pub)}
	k.macs.New = func() any { return hmac.New(sha256.New, k.digest) }
	return k, nil
}

// Digest returns the keyed digest of a sensitive value,
// "hmac-sha256:<64 hex digits>": what the log records in its place.
func (k *Keys) Digest(value []byte) string {
	m := k.macs.Get().(hash.Hash)
	defer k.macs.Put(m)
	m.Reset()
	m.Write(value)
	var sum [sha256.Size]byte
	var out [len(digestPrefix) + 2*sha256.Size]byte
	copy(out[:], digestPrefix)
	hex.Encode(out[len(digestPrefix):], m.Sum(sum[:0]))
	return string(out[:])
}

// MatchDigest reports, in constant time, whether digest is the digest of
// value under these keys.
func (k *Keys) MatchDigest(digest string, value []byte) bool {
	return hmac.Equal([]byte(digest), []byte(k.Digest(value)))
}

// PublicKey returns the public half of the checkpoint signing key.
func (k *Keys) PublicKey() ed25519.PublicKey { return k.public }

// String implements fmt.Stringer: only the public key.
func (k *Keys) String() string { return "audit.Keys(" + FormatPublicKey(k.public) + ")" }

// Format implements fmt.Formatter, so that no verb prints key material.
func (k *Keys) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue implements slog.LogValuer.
func (k *Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// FormatPublicKey returns the text form of a checkpoint public key,
// "ed25519:<base64>", as `coffer audit pubkey` prints it.
func FormatPublicKey(pub ed25519.PublicKey) string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey parses the text form FormatPublicKey returns.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(s), publicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("audit: public key %q does not start with %q", s, publicKeyPrefix)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit: public key %q is not a base64 Ed25519 key", s)
	}
	return ed25519.PublicKey(b), nil
}

// keyID names a public key in checkpoints: the first 8 bytes of its
// SHA-256, in hex.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// isDigest reports whether s has the exact shape of a digest.
func isDigest(s string) bool {
	h, ok := strings.CutPrefix(s, digestPrefix)
	return ok && isLowerHex(h, sha256.Size*2)
}

// isLowerHex reports whether s is n lower-case hex digits.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
