// Package bolt is the embedded storage.Backend: one bbolt file in the data
// dir, the default engine for a single Coffer node.
//
// It owns the file's layout. The "data" bucket maps each key to an 8-byte
// big-endian revision followed by the value. The "meta" bucket holds the
// layout's format number and a global revision counter that is incremented
// once per committed bbolt transaction; every key written in that
// transaction gets the new counter value as its revision, so a key's
// revision grows with each write to it and never returns to an old value,
// even after the key is deleted and created again.
//
// Writes go through group commit: a single committer goroutine, owned by
// the Backend and stopped by Close, applies every Txn queued while the
// previous commit was being made durable in one bbolt transaction, each
// Txn checking its own conditions against the writes of those before it,
// and makes them durable with one fsync. Batches grow with load and there
// is no timer.
//
// Invariants:
//   - Txn returns nil only after its commit is fsynced (data pages, then
//     meta page, as bbolt orders them); the file's directory is fsynced at
//     Open, so a newly created file survives a crash too.
//   - A Txn is all or nothing: a failing condition applies none of its ops.
//   - After a failed commit the Backend refuses all further writes until
//     it is reopened, since bbolt's in-memory and on-disk state may no
//     longer agree; reads keep working.
//   - Options.NoSync is UNSAFE: acknowledged writes can be lost or the file
//     corrupted by a crash. It exists only for `coffer dev`, where nothing
//     persists.
//   - The file is created 0600.
//
// This package imports storage and nothing else from Coffer.
package bolt
