package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

// ErrUnknownAccessKey reports an access key id no principal owns.
var ErrUnknownAccessKey = errors.New("iam: unknown access key")

// SecretAccessKey is the secret half of an access key. It redacts itself
// in every print and log; Reveal is the one way to the string.
type SecretAccessKey struct{ s string }

// Reveal returns the secret. Callers must not log or persist it.
func (k SecretAccessKey) Reveal() string { return k.s }
func (SecretAccessKey) String() string   { return "iam.SecretAccessKey(redacted)" }
func (SecretAccessKey) GoString() string { return "iam.SecretAccessKey(redacted)" }

// AccessKey is a principal's access key pair.
type AccessKey struct {
	ID     string
	Secret SecretAccessKey
}

// storedKey is the record of an access key: its secret (sealed with the
// rest of the record under a root-derived key, since SigV4 needs it back)
// and the principal it belongs to.
type storedKey struct {
	Secret    string    `json:"s"`
	Principal Principal `json:"p"`
	Active    bool      `json:"a"`
}

const adminUser = "admin"

// Store holds principals and their access keys in the storage backend.
// Secrets are kept in memory after first use so SigV4 verification never
// touches storage on the hot path.
type Store struct {
	backend storage.Backend
	keys    *keys.Keyring
	account string

	mu    sync.RWMutex
	cache map[string]storedKey // access key id -> record
}

// NewStore returns a Store for account.
func NewStore(backend storage.Backend, kr *keys.Keyring, account string) *Store {
	return &Store{backend: backend, keys: kr, account: account, cache: make(map[string]storedKey)}
}

func accessKeyStorageKey(id string) string { return "iam/key/" + id }

// Bootstrap makes sure the admin user has an access key. It returns the
// key and whether it was created now; an existing key is read back.
func (s *Store) Bootstrap(ctx context.Context) (AccessKey, bool, error) {
	const pointer = "iam/bootstrap"
	raw, _, err := s.backend.Get(ctx, pointer)
	if err == nil {
		plain, err := s.keys.OpenRecord(pointer, raw)
		if err != nil {
			return AccessKey{}, false, fmt.Errorf("open bootstrap record: %w", err)
		}
		id := string(plain)
		rec, err := s.lookup(ctx, id)
		if err != nil {
			return AccessKey{}, false, err
		}
		return AccessKey{ID: id, Secret: SecretAccessKey{rec.Secret}}, false, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return AccessKey{}, false, fmt.Errorf("read bootstrap record: %w", err)
	}
	key := AccessKey{ID: newAccessKeyID(), Secret: SecretAccessKey{newSecret()}}
	rec := storedKey{Secret: key.Secret.s, Active: true, Principal: s.AdminPrincipal(key.ID)}
	plain, err := json.Marshal(rec)
	if err != nil {
		return AccessKey{}, false, err
	}
	sealedKey, err := s.keys.SealRecord(accessKeyStorageKey(key.ID), plain)
	if err != nil {
		return AccessKey{}, false, err
	}
	sealedPtr, err := s.keys.SealRecord(pointer, []byte(key.ID))
	if err != nil {
		return AccessKey{}, false, err
	}
	err = s.backend.Txn(ctx, storage.Txn{
		Conds: []storage.Cond{{Key: pointer}},
		Ops: []storage.Op{
			{Key: accessKeyStorageKey(key.ID), Value: sealedKey},
			{Key: pointer, Value: sealedPtr},
		},
	})
	if err != nil {
		return AccessKey{}, false, fmt.Errorf("store bootstrap key: %w", err)
	}
	return key, true, nil
}

// AdminPrincipal is the bootstrap admin, identified by access key id.
func (s *Store) AdminPrincipal(accessKeyID string) Principal {
	return Principal{
		Account:     s.account,
		ARN:         "arn:aws:iam::" + s.account + ":user/" + adminUser,
		UserID:      "AIDA" + s.account + "ADMIN",
		AccessKeyID: accessKeyID,
	}
}

func (s *Store) lookup(ctx context.Context, id string) (storedKey, error) {
	s.mu.RLock()
	rec, ok := s.cache[id]
	s.mu.RUnlock()
	if ok {
		return rec, nil
	}
	if !validAccessKeyID(id) {
		return storedKey{}, ErrUnknownAccessKey
	}
	raw, _, err := s.backend.Get(ctx, accessKeyStorageKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return storedKey{}, ErrUnknownAccessKey
	}
	if err != nil {
		return storedKey{}, fmt.Errorf("read access key: %w", err)
	}
	plain, err := s.keys.OpenRecord(accessKeyStorageKey(id), raw)
	if err != nil {
		return storedKey{}, fmt.Errorf("open access key record: %w", err)
	}
	if err := json.Unmarshal(plain, &rec); err != nil {
		return storedKey{}, fmt.Errorf("decode access key record: %w", err)
	}
	clear(plain)
	s.mu.Lock()
	s.cache[id] = rec
	s.mu.Unlock()
	return rec, nil
}

// SecretKey returns the secret of an active access key; it implements
// sigv4.SecretKeys.
func (s *Store) SecretKey(ctx context.Context, accessKeyID string) (string, error) {
	rec, err := s.lookup(ctx, accessKeyID)
	if err != nil {
		return "", err
	}
	if !rec.Active {
		return "", ErrUnknownAccessKey
	}
	return rec.Secret, nil
}

// Principal returns who owns an access key.
func (s *Store) Principal(ctx context.Context, accessKeyID string) (Principal, error) {
	rec, err := s.lookup(ctx, accessKeyID)
	if err != nil {
		return Principal{}, err
	}
	return rec.Principal, nil
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	var b [1]byte
	for i := 0; i < n; {
		rand.Read(b[:])
		if int(b[0]) >= 256-256%len(alphabet) {
			continue
		}
		out[i] = alphabet[int(b[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// newAccessKeyID returns an id shaped like AWS's long-term keys: AKIA + 16.
func newAccessKeyID() string { return "AKIA" + randomString(16, keyAlphabet) }

// newSecret returns a 40-character secret access key.
func newSecret() string {
	return randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

func validAccessKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
