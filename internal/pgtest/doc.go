// Package pgtest runs a real PostgreSQL server for tests: the machine's own
// initdb and postgres (the newest version under /usr/lib/postgresql/*/bin,
// else the first on PATH) in a temp dir, listening on 127.0.0.1 on a free
// port and on a unix socket in that dir, with password (SCRAM) login for
// every connection, so that tests of password rotation mean something.
//
// One server serves the whole test binary and each test gets a fresh
// database:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		db := pgtest.Start(t) // db.DSN: superuser on a new database
//		...
//	}
//
// Main stops the server and removes its dir when the tests are done;
// [StartServer] gives a test a server of its own, stopped at its end.
//
// Invariants:
//   - missing binaries fail the test with a message saying what to install;
//     they are never a skip;
//   - as root the server runs as the postgres OS user (initdb refuses
//     root), in a dir that user owns; otherwise as the current user;
//   - the server dies with the test binary (parent-death signal), and its
//     dir is removed when it is stopped;
//   - durability is switched off (fsync=off): the data is thrown away.
//
// Only tests and bench/ import pgtest. It imports nothing from Coffer.
package pgtest
