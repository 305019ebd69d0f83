package secrets

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Encoded plaintext: one type byte, then the value's bytes.
const (
	kindString = 's'
	kindBinary = 'b'
)

func encodeValue(v Value) []byte {
	if v.binary {
		return append([]byte{kindBinary}, v.bin...)
	}
	return append([]byte{kindString}, v.str...)
}

func decodeValue(p []byte) (Value, error) {
	if len(p) == 0 {
		return Value{}, ErrDecryption
	}
	switch p[0] {
	case kindString:
		return StringValue(string(p[1:])), nil
	case kindBinary:
		return BinaryValue(append([]byte(nil), p[1:]...)), nil
	}
	return Value{}, ErrDecryption
}

func equalValues(a, b Value) bool {
	if a.binary != b.binary {
		return false
	}
	if a.binary {
		return subtle.ConstantTimeCompare(a.bin, b.bin) == 1
	}
	return subtle.ConstantTimeCompare([]byte(a.str), []byte(b.str)) == 1
}

// sealValue seals v for version id of the secret arn under key, returning
// the op that stores it.
func (s *Service) sealValue(ctx context.Context, region, name, arn string, key keys.KMSKey, versionID string, v Value) (storage.Op, error) {
	plain := encodeValue(v)
	sealed, err := s.keys.Seal(ctx, key, plain, valueAAD(arn, versionID))
	clear(plain)
	if err != nil {
		return storage.Op{}, fmt.Errorf("seal value: %w", err)
	}
	return storage.Op{Key: s.versionKey(region, name, versionID), Value: sealed}, nil
}

// openValue reads and decrypts the value of one version.
func (s *Service) openValue(ctx context.Context, region string, rec *secretRecord, versionID string) (Value, error) {
	key := s.versionKey(region, rec.Name, versionID)
	raw, ok := s.sealed.get(key)
	if !ok {
		var err error
		raw, _, err = s.backend.Get(ctx, key)
		if errors.Is(err, storage.ErrNotFound) {
			return Value{}, &VersionNotFoundError{VersionID: versionID}
		}
		if err != nil {
			return Value{}, fmt.Errorf("read version: %w", err)
		}
		s.sealed.put(key, raw)
	}
	plain, err := s.keys.Open(ctx, raw, valueAAD(rec.ARN, versionID))
	if err != nil {
		s.log.Error("secret value failed authentication", "secret_arn", rec.ARN, "version_id", versionID)
		return Value{}, ErrDecryption
	}
	v, err := decodeValue(plain)
	clear(plain)
	return v, err
}

// resolveKey maps a user's KmsKeyId to a key this server holds.
func (s *Service) resolveKey(ctx context.Context, region, ref string) (keys.KMSKey, error) {
	k, err := s.keys.ResolveKey(ctx, region, ref)
	if errors.Is(err, keys.ErrKeyNotFound) {
		return keys.KMSKey{}, ErrKMSKeyNotFound
	}
	return k, err
}

// sealedCache keeps the sealed bytes of versions by storage key. A
// version's value never changes once written, so an entry stays right
// until the version is deleted (trimmed or purged), when forget drops it.
// Only ciphertext is kept; every read still opens it under its AAD.
type sealedCache struct {
	mu sync.RWMutex
	m  map[string][]byte

	hits, misses atomic.Uint64 // for CacheStats
}

const sealedCacheMax = 8192

func (c *sealedCache) get(key string) ([]byte, bool) {
	c.mu.RLock()
	b, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return b, ok
}

func (c *sealedCache) put(key string, b []byte) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= sealedCacheMax {
		c.m = make(map[string][]byte)
	}
	c.m[key] = b
	c.mu.Unlock()
}

// forget drops the entries of the keys a commit deleted.
func (c *sealedCache) forget(ops []storage.Op) {
	c.mu.Lock()
	for _, op := range ops {
		if op.Delete {
			delete(c.m, op.Key)
		}
	}
	c.mu.Unlock()
}
