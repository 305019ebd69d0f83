//go:build unix

package pgtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStartGivesEachTestItsOwnDatabase(t *testing.T) {
	var names []string
	for _, sub := range []string{"first", "second"} {
		t.Run(sub, func(t *testing.T) {
			db := Start(t)
			conn := connect(t, db.DSN)
			if got := queryString(t, conn, "SELECT current_database()"); got != db.Name {
				t.Errorf("current_database() = %q, want %q", got, db.Name)
			}
			if got := queryString(t, conn, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"); got != "true" {
				t.Errorf("the DSN's user is a superuser: %s, want true", got)
			}
			// A table made here is not seen by the other subtest.
			if _, err := conn.Exec(context.Background(), "CREATE TABLE mine (x int)"); err != nil {
				t.Fatal(err)
			}
			names = append(names, db.Name)
		})
	}
	if len(names) == 2 && names[0] == names[1] {
		t.Errorf("both tests got database %q", names[0])
	}
	// The databases are dropped when their tests end.
	db := Start(t)
	conn := connect(t, db.DSN)
	for _, name := range names {
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("database %s is still there after its test ended", name)
		}
	}
}

func TestLoginsNeedThePassword(t *testing.T) {
	db := Start(t)
	conn := connect(t, db.DSN)
	if _, err := conn.Exec(context.Background(), "CREATE ROLE app LOGIN PASSWORD 'right'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Server.exec(context.Background(), "DROP ROLE IF EXISTS app") })

	cfg, err := pgx.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		host     string
		password string
		ok       bool
	}{
		{"the right password logs in over TCP", db.Server.Host, "right", true},
		{"a wrong password is refused over TCP", db.Server.Host, "wrong", false},
		{"the right password logs in on the socket", db.Server.SocketDir, "right", true},
		{"a wrong password is refused on the socket", db.Server.SocketDir, "wrong", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg.Copy()
			c.Host, c.User, c.Password = tc.host, "app", tc.password
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			conn, err := pgx.ConnectConfig(ctx, c)
			if err == nil {
				conn.Close(ctx)
			}
			if tc.ok && err != nil {
				t.Fatalf("login: %v", err)
			}
			var pgErr *pgconn.PgError
			if !tc.ok && (!errors.As(err, &pgErr) || pgErr.Code != "28P01") {
				t.Fatalf("login error = %v, want invalid_password (28P01)", err)
			}
		})
	}
}

func TestStopEndsTheServerAndRemovesItsDir(t *testing.T) {
	srv := StartServer(t)
	connect(t, srv.DSN("postgres")) // up
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(srv.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server dir after Stop: %v, want it gone", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, srv.DSN("postgres")); err == nil {
		conn.Close(ctx)
		t.Error("logged in after Stop")
	}
	if err := srv.Stop(); err != nil {
		t.Errorf("second Stop: %v, want the first's nil", err)
	}
}

func TestServerRunsAsPostgresWhenRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: the server runs as the current user") // the root case is CI's
	}
	db := Start(t)
	conn := connect(t, db.DSN)
	dataDir := queryString(t, conn, "SHOW data_directory")
	fi, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if uid := fileUID(fi); uid != int(db.Server.cred.Uid) || uid == 0 {
		t.Errorf("data dir owner uid %d, want the postgres user's %d", uid, db.Server.cred.Uid)
	}
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	mkBin := func(version string) string {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	noPath := func(string) (string, error) { return "", exec.ErrNotFound }
	pattern := filepath.Join(root, "*", "bin")

	if _, err := findBinDir(pattern, noPath); !errors.Is(err, errNoBinaries) {
		t.Fatalf("findBinDir with no binaries = %v, want errNoBinaries", err)
	}
	if !strings.Contains(errNoBinaries.Error(), "apt-get install -y postgresql") {
		t.Errorf("the missing-binaries error %q does not say what to install", errNoBinaries)
	}

	onPath := mkBin("elsewhere")
	got, err := findBinDir(pattern, func(string) (string, error) { return filepath.Join(onPath, "initdb"), nil })
	if err != nil || got != onPath {
		t.Errorf("findBinDir falls back to PATH = %q, %v; want %q", got, err, onPath)
	}
	os.RemoveAll(filepath.Join(root, "elsewhere"))

	mkBin("9.6")
	newest := mkBin("15")
	mkBin("13")
	if err := os.MkdirAll(filepath.Join(root, "16", "bin"), 0o755); err != nil { // no binaries inside
		t.Fatal(err)
	}
	got, err = findBinDir(pattern, noPath)
	if err != nil || got != newest {
		t.Errorf("findBinDir = %q, %v; want the newest complete version %q", got, err, newest)
	}
}

func TestDBName(t *testing.T) {
	for _, tc := range []struct {
		test string
		want string
	}{
		{"TestX", "t_testx_1"},
		{"TestRotate/single-user rotation", "t_testrotate_single_user_rotation_1"},
		{strings.Repeat("TestLong", 20), "t_" + strings.Repeat("testlong", 5) + "_1"},
	} {
		if got := dbName(tc.test, 1); got != tc.want {
			t.Errorf("dbName(%q, 1) = %q, want %q", tc.test, got, tc.want)
		}
	}
}

func fileUID(fi os.FileInfo) int { return int(fi.Sys().(*syscall.Stat_t).Uid) }
