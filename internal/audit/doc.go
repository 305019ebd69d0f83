// Package audit is Coffer's audit trail: one Event per API request,
// allowed or denied, and per scheduler action; a tamper-evident log of
// them that fails closed; copies to other sinks; and the readers that
// verify, query and look them up.
//
// # Events
//
// An Event says who (Principal), from where, did what (Service,
// Operation, Resources, version), with what outcome (Decision and the
// deciding statement, error code, HTTP status, latency). It has no field
// for a body: request parameters go in Params one by one, and the
// parameters that can carry sensitive input (IsSensitiveParam) are
// replaced by a keyed digest, "hmac-sha256:<hex>", before any sink sees
// them, so an investigator holding the key (Keys.Digest, `coffer audit
// hmac`) can match a known value while the log reveals nothing.
//
// # The log
//
// Log writes events to JSON-lines files in a directory, named after the
// sequence number of their first record (audit-<20 digits>.jsonl, 0600,
// directory 0700). Each record carries its sequence number, the SHA-256
// of the record before it and its own, over the exact bytes of the line
// (record.go has the format). Checkpoint records, signed with an Ed25519
// key derived from the root key, are written every CheckpointEvery
// records or CheckpointInterval, at rotation (by size or age) and at
// Close; a checkpoint vouches for every record before it. The next file
// continues the chain from the Rotate checkpoint.
//
// Append returns only once its record is durable. One committer
// goroutine writes every append waiting in one durable write (group
// commit, as internal/storage/bolt does): it first lets the rest of the
// process run until it has nothing left to do (idle_linux.go), so that
// requests already received share the write, then writes, on Linux with
// O_DIRECT|O_DSYNC (one pwrite of whole blocks, durable on return:
// direct_linux.go, Log.writeDirect) or else a write and an fdatasync
// (sync_linux.go), and checks that the file is still the one at its
// path. The file being written is preallocated with zeros after its last
// record, which readers skip and rotation and Close cut off (prealloc.go).
//
// A write that fails, or a file found moved or removed, is not
// acknowledged: Append returns an error and the caller must refuse the
// request. Nothing more is written to that file; the next write starts a
// new file with a signed Recover checkpoint that continues the chain
// after the last acknowledged record. OpenLog does the same after a crash:
// the torn tail stays on disk, outside the chain, and the Recover
// checkpoint says where it starts and how long it is. Damage larger than
// one write, or anything after a Close checkpoint, is refused at open.
//
// # Sinks
//
// Trail fans events out to Sinks: the Log, a StreamSink (stdout), the
// SIEM sink of package httpsink. Append succeeds if at least one Durable
// sink accepted the event (Vault's rule); it waits for every durable sink
// before returning, and gives the others only events a durable sink has.
//
// # Readers
//
// Verify checks a log and reports the first problem by file, line and
// sequence number: an altered record, a missing or reordered one, a bad
// signature, a truncation. Query streams the events a Filter selects;
// Lookup answers CloudTrail's LookupEvents; CloudTrail renders an event as
// a CloudTrail record. docs/audit.md says what Verify guarantees and what
// it cannot detect.
//
// Must not import: net/http (the domain packages call this one; the SIEM
// sink lives in httpsink), any API or domain package, math/rand. From
// Coffer it imports only keys, for KeysFromRoot (and the leaf uuid).
//
// Invariants:
//   - No sink receives a sensitive parameter's value, only its digest;
//     no Event field holds a body, a signature or a session token.
//   - Log.Append returns nil only after fdatasync of a file that is still
//     at its path; a failed write is never acknowledged, and the chain
//     resumes after the last record that was.
//   - Files already written are never written again: every OpenLog and
//     every failure starts a new file.
//   - Every record is covered by the hash chain; every record before the
//     last checkpoint is covered by a signature.
package audit
