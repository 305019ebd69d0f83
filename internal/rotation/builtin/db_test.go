package builtin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/coffer-dev/coffer/internal/pgtest"
)

// creds are what a secret's JSON says about a login.
type creds struct {
	Engine   string `json:"engine"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Username string `json:"username"`
	Password string `json:"password"`
	DBName   string `json:"dbname"`
	// MasterARN names the master secret, for the multi-user rotator.
	MasterARN string `json:"masterarn,omitempty"`
}

func (c creds) json(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fixture) credsAt(t *testing.T, arn, stage string) creds {
	t.Helper()
	var c creds
	if err := json.Unmarshal([]byte(f.valueAt(t, arn, stage)), &c); err != nil {
		t.Fatalf("the %s value is not the JSON of a login: %v", stage, err)
	}
	return c
}

// login logs in with c and runs a query.
func login(ctx context.Context, c creds) error {
	return query(ctx, c, "SELECT 1")
}

// canRead reports whether c can read the table things.
func canRead(ctx context.Context, c creds) error {
	return query(ctx, c, "SELECT name FROM things")
}

// query logs in with c and runs sql.
func query(ctx context.Context, c creds, sql string) error {
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return err
	}
	cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password = c.Host, uint16(c.Port), c.DBName, c.Username, c.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// isBadPassword reports whether err is PostgreSQL refusing a password.
func isBadPassword(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "28P01"
}

func wantLogin(t *testing.T, c creds, what string) {
	t.Helper()
	if err := login(ctxT(t), c); err != nil {
		t.Errorf("%s: log in as %s: %v, want success", what, c.Username, err)
	}
}

func wantNoLogin(t *testing.T, c creds, what string) {
	t.Helper()
	if err := login(ctxT(t), c); !isBadPassword(err) {
		t.Errorf("%s: log in as %s: %v, want the password refused (28P01)", what, c.Username, err)
	}
}

// database is a PostgreSQL database for one test, with one login role
// (base) that may read the table things.
type database struct {
	db    *pgtest.DB
	base  creds // the role's login, with its first password
	super creds // the superuser's login: a master secret
}

func newDatabase(t *testing.T) *database {
	t.Helper()
	db := pgtest.Start(t)
	user := db.Name + "_app" // roles are cluster-wide: named after the database
	base := creds{
		Engine: "postgres", Host: db.Server.Host, Port: db.Server.Port,
		Username: user, Password: "first-" + rand8(), DBName: db.Name,
	}
	superuser := creds{
		Engine: "postgres", Host: db.Server.Host, Port: db.Server.Port,
		Username: db.Server.User, Password: db.Server.Password, DBName: "postgres",
	}
	conn := superConn(t, db)
	for _, stmt := range []string{
		"CREATE ROLE " + ident(user) + " LOGIN PASSWORD '" + base.Password + "'",
		"CREATE TABLE things (name text)",
		"INSERT INTO things VALUES ('one')",
		"GRANT SELECT ON things TO " + ident(user),
	} {
		if _, err := conn.Exec(ctxT(t), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { dropRoles(t, db, user, user+cloneSuffix) })
	return &database{db: db, base: base, super: superuser}
}

func superConn(t *testing.T, db *pgtest.DB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// dropRoles drops the roles that exist among names, and what they hold in
// db (roles outlive databases).
func dropRoles(t *testing.T, db *pgtest.DB, names ...string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.DSN)
	if err != nil {
		t.Errorf("drop roles: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, name := range names {
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil || !exists {
			continue
		}
		for _, stmt := range []string{"DROP OWNED BY " + ident(name), "DROP ROLE " + ident(name)} {
			if _, err := conn.Exec(ctx, stmt); err != nil {
				t.Errorf("%s: %v", stmt, err)
			}
		}
	}
}

// rand8 returns 8 random lower-case letters.
func rand8() string {
	return strings.ToLower(rand.Text()[:8])
}

// proxy forwards TCP connections to a PostgreSQL server, and can refuse
// them: an outage of the database, injected in front of the real thing.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	})
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// setDown refuses new connections and cuts open ones (down), or lets them
// through again.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func (p *proxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		dst.Close()
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	<-done
}
