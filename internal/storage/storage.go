// Package storage defines the Backend interface every Coffer storage engine
// implements: opaque byte values under string keys, read with Get and List,
// written only through an atomic Txn guarded by per-key revision conditions.
//
// Values are already encrypted by the layers above; storage never sees
// plaintext and knows nothing of secrets. Engines live in subpackages (bolt,
// later postgres) and each passes the conformance suite in storagetest.
//
// This package imports nothing from Coffer.
package storage

import (
	"context"
	"errors"
)

// Revision is the backend's compare-and-set counter for one key. It grows
// strictly with each committed write to the key and never returns to an
// earlier value, even after the key is deleted and created again; writes to
// other keys leave it unchanged. Zero means "absent": a condition on
// revision 0 asserts the key does not exist. A Revision is not a secret
// version.
type Revision uint64

// ErrNotFound is returned by Get when the key does not exist.
var ErrNotFound = errors.New("storage: key not found")

// ErrConflict is returned by Txn when one of its conditions does not hold;
// nothing in the transaction was written.
var ErrConflict = errors.New("storage: revision conflict")

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("storage: backend closed")

// KV is one stored entry.
type KV struct {
	Key      string
	Value    []byte
	Revision Revision
}

// Cond asserts that Key is at Revision when the transaction commits
// (Revision 0: the key must not exist). Key must not be empty.
type Cond struct {
	Key      string
	Revision Revision
}

// Op is one write in a transaction: a put of Value, or a delete when Delete
// is set. Deleting an absent key is not an error. Key must not be empty.
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// Txn is an atomic, durable batch of writes: either every Op is applied and
// the commit is on stable storage when Backend.Txn returns nil, or nothing is.
// Ops apply in order, so a later op on a key overrides an earlier one.
type Txn struct {
	Conds []Cond
	Ops   []Op
}

// Backend is a storage engine. Implementations are safe for concurrent use.
type Backend interface {
	// Get returns the value and revision stored under key, or ErrNotFound.
	// The returned slice is owned by the caller.
	Get(ctx context.Context, key string) ([]byte, Revision, error)

	// List returns up to limit entries whose keys start with prefix and sort
	// strictly after `after` (byte order), in ascending key order. limit <= 0
	// means no limit.
	List(ctx context.Context, prefix, after string, limit int) ([]KV, error)

	// Txn checks every condition and applies every op atomically, and
	// returns only once the commit is durable. It returns ErrConflict
	// (possibly wrapped) when a condition fails. Concurrent Txns may be
	// committed together (group commit) but each is all-or-nothing.
	// An empty or over-long key is refused with an error other than
	// ErrConflict, and nothing is written. If ctx ends before Txn returns,
	// Txn returns ctx's error and the transaction may or may not have
	// been committed.
	Txn(ctx context.Context, t Txn) error

	// Close releases the engine. Further calls return ErrClosed.
	Close() error
}

// Watermarker is implemented by engines that can tell, without a read,
// that nothing was committed since an earlier moment: Watermark grows with
// every commit, and has grown before the committing Txn returns. A caller
// that read a key after seeing watermark W may keep using what it read
// while Watermark() still returns W. Only an engine that no other process
// writes to can offer this (bolt holds its file exclusively).
type Watermarker interface {
	Watermark() uint64
}
