package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// MaxKeySize is the longest key, in bytes, that Txn accepts (bbolt's limit).
const MaxKeySize = bbolt.MaxKeySize

// MaxValueSize is the largest value, in bytes, that Txn accepts: bbolt's
// limit less the 8-byte revision stored in front of each value.
const MaxValueSize = bbolt.MaxValueSize - revisionSize

const (
	// format is the layout version stored under formatKey; Open refuses
	// files with another one.
	format = 1

	revisionSize = 8

	// lockTimeout bounds how long Open waits for the file lock held by
	// another process.
	lockTimeout = time.Second
)

var (
	dataBucket  = []byte("data")
	metaBucket  = []byte("meta")
	formatKey   = []byte("format")
	revisionKey = []byte("revision")
)

// Options configures Open. The zero value is ready to use and safe.
type Options struct {
	// NoSync skips fsync on commit. UNSAFE: a crash or power loss can lose
	// acknowledged writes or corrupt the file. Only for `coffer dev`, where
	// nothing persists. Default false.
	NoSync bool
}

// Backend is a storage.Backend over one bbolt file. It is safe for
// concurrent use.
type Backend struct {
	db   *bbolt.DB
	path string

	// reqs hands write requests to the committer. It is unbuffered, so a
	// request is either taken by the committer, which then always replies,
	// or still with its sender, which sees closing.
	reqs    chan *request
	closing chan struct{} // closed by Close to stop the committer
	done    chan struct{} // closed by the committer when it has stopped
	closed  atomic.Bool

	commits atomic.Uint64 // bbolt transactions committed, for tests
}

var (
	_ storage.Backend     = (*Backend)(nil)
	_ storage.Watermarker = (*Backend)(nil)
)

// Watermark implements storage.Watermarker: the number of commits so far.
// It grows after a commit is durable and before its Txns return.
func (b *Backend) Watermark() uint64 { return b.commits.Load() }

// Open opens the bbolt file at path, creating it with mode 0600 if needed,
// and starts the committer. It fails if another process holds the file.
// The caller must Close the Backend.
func Open(path string, opts Options) (*Backend, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: lockTimeout,
		NoSync:  opts.NoSync,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("bolt: open %s: file is locked by another process: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if err := initialize(db, opts); err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	b := &Backend{
		db:      db,
		path:    path,
		reqs:    make(chan *request),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go b.commitLoop()
	return b, nil
}

// initialize creates the buckets of a new file, checks the format of an
// existing one, and makes the file's directory entry durable.
func initialize(db *bbolt.DB, opts Options) error {
	err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(dataBucket); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		got := meta.Get(formatKey)
		if got == nil {
			return meta.Put(formatKey, []byte(strconv.Itoa(format)))
		}
		if string(got) != strconv.Itoa(format) {
			return fmt.Errorf("file has storage format %q, want %d", got, format)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if opts.NoSync {
		return nil
	}
	return syncDir(filepath.Dir(db.Path()))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// Get returns the value and revision stored under key, or
// storage.ErrNotFound. The returned slice is the caller's.
func (b *Backend) Get(ctx context.Context, key string) ([]byte, storage.Revision, error) {
	if err := b.usable(ctx); err != nil {
		return nil, 0, err
	}
	var (
		value []byte
		rev   storage.Revision
	)
	err := b.db.View(func(tx *bbolt.Tx) error {
		raw := tx.Bucket(dataBucket).Get([]byte(key))
		if raw == nil {
			return storage.ErrNotFound
		}
		r, v, err := decode(key, raw)
		if err != nil {
			return err
		}
		value, rev = bytes.Clone(v), r
		return nil
	})
	if err != nil {
		return nil, 0, b.readErr(err)
	}
	return value, rev, nil
}

// List returns up to limit entries whose keys start with prefix and sort
// strictly after after, in ascending byte order; limit <= 0 means no
// limit. The returned values are the caller's.
func (b *Backend) List(ctx context.Context, prefix, after string, limit int) ([]storage.KV, error) {
	if err := b.usable(ctx); err != nil {
		return nil, err
	}
	var kvs []storage.KV
	err := b.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(dataBucket).Cursor()
		var k, v []byte
		if after < prefix {
			k, v = c.Seek([]byte(prefix))
		} else if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
			if limit > 0 && len(kvs) == limit {
				break
			}
			if len(kvs)%1024 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rev, value, err := decode(string(k), v)
			if err != nil {
				return err
			}
			kvs = append(kvs, storage.KV{Key: string(k), Value: bytes.Clone(value), Revision: rev})
		}
		return nil
	})
	if err != nil {
		return nil, b.readErr(err)
	}
	return kvs, nil
}

// Close stops the committer, failing writes not yet taken by it with
// storage.ErrClosed, and closes the file. Further calls return
// storage.ErrClosed.
func (b *Backend) Close() error {
	if !b.closed.CompareAndSwap(false, true) {
		return storage.ErrClosed
	}
	close(b.closing)
	<-b.done
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", b.path, err)
	}
	return nil
}

// usable reports why a call must not start: ctx ended or b is closed.
func (b *Backend) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return storage.ErrClosed
	}
	return nil
}

// readErr maps bbolt's error for a closed database to storage.ErrClosed;
// Close may run between usable and db.View.
func (b *Backend) readErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return storage.ErrClosed
	}
	return err
}

// decode splits a stored entry into its revision and value.
func decode(key string, raw []byte) (storage.Revision, []byte, error) {
	if len(raw) < revisionSize {
		return 0, nil, fmt.Errorf("bolt: entry %q is %d bytes, shorter than its revision", key, len(raw))
	}
	return storage.Revision(binary.BigEndian.Uint64(raw)), raw[revisionSize:], nil
}
