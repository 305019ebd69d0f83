//go:build unix

package pgtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DB is a database of its own for one test on the shared server.
type DB struct {
	Server *Server
	Name   string
	DSN    string // the superuser, logged into Name over TCP
}

// shared is the one server of a test binary, started by the first Start
// and stopped by Main.
var shared struct {
	inMain atomic.Bool
	once   sync.Once
	srv    *Server
	err    error
	dbs    atomic.Int64 // databases created, for unique names
}

// Main runs the tests of a package that calls Start, then stops the shared
// server if one was started; call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// A server that fails to stop turns a passing run into a failing one.
func Main(m *testing.M) int {
	shared.inMain.Store(true)
	code := m.Run()
	if srv := sharedServerIfStarted(); srv != nil {
		if err := srv.Stop(); err != nil {
			slog.Error("pgtest: stop the shared server", "err", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// sharedServerIfStarted returns the shared server, or nil if no test
// started it (or it failed to start).
func sharedServerIfStarted() *Server {
	started := true
	shared.once.Do(func() { started = false }) // no test asked for it: make sure none will
	if !started {
		shared.err = fmt.Errorf("pgtest: the tests are over")
		return nil
	}
	return shared.srv
}

// Start returns a new, empty database on the test binary's shared server,
// starting the server on first use, and drops the database when the test
// ends. The package's TestMain must call Main. It fails the test if the
// server cannot run, naming what is missing.
func Start(t testing.TB) *DB {
	t.Helper()
	if !shared.inMain.Load() {
		t.Fatal("pgtest.Start: the package's TestMain must call pgtest.Main, which stops the shared server")
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*readyTimeout)
		defer cancel()
		shared.srv, shared.err = newServer(ctx)
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	srv := shared.srv
	name := dbName(t.Name(), shared.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return &DB{Server: srv, Name: name, DSN: srv.DSN(name)}
}

// StartServer starts a server for this test alone and stops it when the
// test ends; a failed shutdown fails the test. Most tests want Start: a
// server of one's own costs about a second.
func StartServer(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*readyTimeout)
	defer cancel()
	srv, err := newServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
	})
	return srv
}

// exec runs one statement as the superuser in the postgres database.
func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// dbName makes a database name from a test name and a sequence number:
// lower case letters, digits and underscores, well under the 63-byte limit.
func dbName(test string, n int64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() == 40 {
			break
		}
	}
	return fmt.Sprintf("t_%s_%d", b.String(), n)
}
