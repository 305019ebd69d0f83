// Package storagetest holds the conformance suite every storage.Backend
// engine must pass: Run checks the behaviour of one open backend (reads,
// conditional writes, atomicity, ordering, concurrency, Close), and
// RunReopen checks that committed data and revisions survive Close and a
// second open of the same data.
//
// An engine's own test calls both with a function that opens it in a
// temporary place. Only tests import this package; it imports storage and
// nothing else from Coffer.
package storagetest
