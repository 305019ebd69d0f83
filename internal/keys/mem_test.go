package keys_test

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/coffer-dev/coffer/internal/storage"
)

// memBackend is a minimal in-memory storage.Backend for these tests. It
// honours revision conditions, which is what the default-key convergence
// depends on.
type memBackend struct {
	mu     sync.Mutex
	rev    storage.Revision
	m      map[string]storage.KV
	closed bool
}

func newMemBackend() *memBackend { return &memBackend{m: map[string]storage.KV{}} }

func (b *memBackend) Get(ctx context.Context, key string) ([]byte, storage.Revision, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, 0, storage.ErrClosed
	}
	kv, ok := b.m[key]
	if !ok {
		return nil, 0, storage.ErrNotFound
	}
	return slices.Clone(kv.Value), kv.Revision, nil
}

func (b *memBackend) List(ctx context.Context, prefix, after string, limit int) ([]storage.KV, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, storage.ErrClosed
	}
	var out []storage.KV
	for k, kv := range b.m {
		if strings.HasPrefix(k, prefix) && k > after {
			kv.Value = slices.Clone(kv.Value)
			out = append(out, kv)
		}
	}
	slices.SortFunc(out, func(a, b storage.KV) int { return strings.Compare(a.Key, b.Key) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (b *memBackend) Txn(ctx context.Context, t storage.Txn) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return storage.ErrClosed
	}
	for _, c := range t.Conds {
		if b.m[c.Key].Revision != c.Revision {
			return storage.ErrConflict
		}
	}
	for _, op := range t.Ops {
		if op.Delete {
			delete(b.m, op.Key)
			continue
		}
		b.rev++
		b.m[op.Key] = storage.KV{Key: op.Key, Value: slices.Clone(op.Value), Revision: b.rev}
	}
	return nil
}

func (b *memBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// failingGets wraps a backend and fails every Get of a key with prefix.
type failingGets struct {
	storage.Backend
	prefix string
	err    error
}

func (f failingGets) Get(ctx context.Context, key string) ([]byte, storage.Revision, error) {
	if strings.HasPrefix(key, f.prefix) {
		return nil, 0, f.err
	}
	return f.Backend.Get(ctx, key)
}
