package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Store holds the account's users, roles, access keys and their policies in
// the storage backend. Every record is sealed under a root-derived key with
// its storage key as AAD; storage keys of users and roles are blinded, so the
// database reveals no names. Records read are cached by revision, so the
// request path costs one storage read per entity and no decryption when
// nothing changed.
type Store struct {
	backend storage.Backend
	keys    *keys.Keyring
	account string
	now     func() time.Time

	mu    sync.RWMutex
	cache map[string]cachedEntity // storage key -> decoded record at a revision
	// locks serializes read-modify-write of one record in this process.
	locks [64]sync.Mutex
	// policies caches parsed policy documents.
	policies compiledCache
	// identities caches the compiled policies of users and roles by
	// record revision (guarded by mu).
	identities map[string]cachedIdentityEntry

	blindMu sync.RWMutex
	blinded map[[2]string]string // see blindKey

	recordHits, recordMisses atomic.Uint64 // reads through get (CacheStats)
}

// CacheStats counts how often IAM records (users, roles, access keys) were
// served from the store's cache since it started: a hit skipped
// decryption and decoding (and within a second of the last check, the read
// from storage too).
type CacheStats struct {
	RecordHits, RecordMisses uint64
}

// CacheStats returns the counts so far.
func (s *Store) CacheStats() CacheStats {
	return CacheStats{RecordHits: s.recordHits.Load(), RecordMisses: s.recordMisses.Load()}
}

type cachedEntity struct {
	rev     storage.Revision
	v       any
	checked time.Time // when rev was last confirmed against storage
}

// freshFor is how long a cached record is trusted without asking storage
// for its revision. Writes through this process invalidate at once; a
// change made by another node sharing the store is seen within freshFor
// (IAM itself is eventually consistent, over seconds).
const freshFor = time.Second

// StoreConfig wires a Store.
type StoreConfig struct {
	Backend storage.Backend
	Keys    *keys.Keyring
	Account string
	Now     func() time.Time // nil: time.Now
}

// NewStore returns a Store for one account.
func NewStore(cfg StoreConfig) *Store {
	s := &Store{backend: cfg.Backend, keys: cfg.Keys, account: cfg.Account, now: cfg.Now, cache: make(map[string]cachedEntity)}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Account is the 12-digit account id of every principal here.
func (s *Store) Account() string { return s.account }

// Storage keys.
func (s *Store) userKey(name string) string { return s.blindKey("iam/user/", "user", name) }
func (s *Store) roleKey(name string) string { return s.blindKey("iam/role/", "role", name) }

// blindKey is prefix + keys.Blind(kind, lower(name)), remembered: the
// request path needs the principal's key on every request, and an HMAC
// per request is measurable.
func (s *Store) blindKey(prefix, kind, name string) string {
	k := [2]string{kind, name}
	s.blindMu.RLock()
	v, ok := s.blinded[k]
	s.blindMu.RUnlock()
	if ok {
		return v
	}
	v = prefix + s.keys.Blind(kind, strings.ToLower(name))
	s.blindMu.Lock()
	if s.blinded == nil || len(s.blinded) >= 16384 {
		s.blinded = make(map[[2]string]string)
	}
	s.blinded[k] = v
	s.blindMu.Unlock()
	return v
}

func accessKeyKey(id string) string { return "iam/key/" + id }

// get reads and decodes the record under key into a fresh *T, through the
// revision cache (trusted for freshFor). The returned value is shared:
// callers must not modify it.
func get[T any](ctx context.Context, s *Store, key string) (*T, storage.Revision, error) {
	return getAged[T](ctx, s, key, freshFor)
}

// getAged is get trusting a cached record confirmed within maxAge; 0 always
// asks storage (read-modify-write needs the current revision).
func getAged[T any](ctx context.Context, s *Store, key string, maxAge time.Duration) (*T, storage.Revision, error) {
	now := time.Now()
	s.mu.RLock()
	c, ok := s.cache[key]
	s.mu.RUnlock()
	if ok && maxAge > 0 && now.Sub(c.checked) < maxAge {
		if v, ok := c.v.(*T); ok {
			s.recordHits.Add(1)
			return v, c.rev, nil
		}
	}
	raw, rev, err := s.backend.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	if ok && c.rev == rev {
		if v, ok := c.v.(*T); ok {
			s.mu.Lock()
			s.cache[key] = cachedEntity{rev: rev, v: v, checked: now}
			s.mu.Unlock()
			s.recordHits.Add(1)
			return v, rev, nil
		}
	}
	s.recordMisses.Add(1)
	plain, err := s.keys.OpenRecord(key, raw)
	if err != nil {
		return nil, 0, fmt.Errorf("open iam record: %w", err)
	}
	v := new(T)
	err = json.Unmarshal(plain, v)
	clear(plain)
	if err != nil {
		return nil, 0, fmt.Errorf("decode iam record: %w", err)
	}
	s.mu.Lock()
	if len(s.cache) > 16384 {
		clear(s.cache)
	}
	s.cache[key] = cachedEntity{rev: rev, v: v, checked: now}
	s.mu.Unlock()
	return v, rev, nil
}

// forget drops cached records a write changed.
func (s *Store) forget(keys ...string) {
	s.mu.Lock()
	for _, k := range keys {
		delete(s.cache, k)
	}
	s.mu.Unlock()
}

// put returns the op that stores v under key.
func (s *Store) put(key string, v any) (storage.Op, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return storage.Op{}, err
	}
	sealed, err := s.keys.SealRecord(key, plain)
	clear(plain)
	if err != nil {
		return storage.Op{}, err
	}
	return storage.Op{Key: key, Value: sealed}, nil
}

func (s *Store) lock(key string) func() {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	m := &s.locks[h%uint32(len(s.locks))]
	m.Lock()
	return m.Unlock
}

// modify applies fn to a private copy of the record under key and commits
// it conditioned on the revision read (plus fn's extra ops). fn sees nil
// when the record does not exist; returning a nil record deletes it.
func modify[T any](ctx context.Context, s *Store, key string, fn func(cur *T) (*T, []storage.Op, error)) error {
	defer s.lock(key)()
	for range 16 {
		cur, rev, err := getAged[T](ctx, s, key, 0)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		var cp *T
		if cur != nil {
			cp = clonePtr(cur)
		}
		next, extra, err := fn(cp)
		if err != nil {
			return err
		}
		txn := storage.Txn{Conds: []storage.Cond{{Key: key, Revision: rev}}}
		if next == nil {
			txn.Ops = append(txn.Ops, storage.Op{Key: key, Delete: true})
		} else {
			op, err := s.put(key, next)
			if err != nil {
				return err
			}
			txn.Ops = append(txn.Ops, op)
		}
		txn.Ops = append(txn.Ops, extra...)
		err = s.backend.Txn(ctx, txn)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err == nil {
			changed := make([]string, 0, len(txn.Ops))
			for _, op := range txn.Ops {
				changed = append(changed, op.Key)
			}
			s.forget(changed...)
		}
		return err
	}
	return errors.New("iam record changed concurrently too many times")
}

// clonePtr deep-copies a record through its JSON form (records are small
// and writes are rare).
func clonePtr[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("iam: clone record: %v", err)) // records always marshal
	}
	c := new(T)
	if err := json.Unmarshal(b, c); err != nil {
		panic(fmt.Sprintf("iam: clone record: %v", err))
	}
	return c
}

// list decodes every record under prefix.
func list[T any](ctx context.Context, s *Store, prefix string) ([]*T, error) {
	kvs, err := s.backend.List(ctx, prefix, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(kvs))
	for _, kv := range kvs {
		v, _, err := get[T](ctx, s, kv.Key)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
