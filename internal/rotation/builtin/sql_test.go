package builtin

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

var awkward = []string{
	"plain",
	`it's`,
	`back\slash`,
	`\'; DROP ROLE postgres; --`,
	`''\\''`,
	"$$dollar$$",
	"ünïcödé ✓",
	"tab\there",
}

// quoteLiteral reads back as the same string whatever
// standard_conforming_strings says.
func TestQuoteLiteralRoundTrips(t *testing.T) {
	db := newDatabase(t).db
	conn := superConn(t, db)
	ctx := ctxT(t)
	for _, scs := range []string{"on", "off"} {
		if _, err := conn.Exec(ctx, "SET standard_conforming_strings = "+scs); err != nil {
			t.Fatal(err)
		}
		for _, s := range awkward {
			lit, err := quoteLiteral(s)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := conn.QueryRow(ctx, "SELECT "+lit).Scan(&got); err != nil {
				t.Errorf("standard_conforming_strings=%s: SELECT %s: %v", scs, lit, err)
				continue
			}
			if got != s {
				t.Errorf("standard_conforming_strings=%s: SELECT %s = %q, want %q", scs, lit, got, s)
			}
		}
	}
	if _, err := quoteLiteral("nul\x00byte"); err == nil {
		t.Error("quoteLiteral of a NUL byte succeeded")
	}
}

// The verifier computed here is the one PostgreSQL computes itself.
func TestSCRAMVerifierMatchesPostgreSQL(t *testing.T) {
	d := newDatabase(t)
	conn := superConn(t, d.db)
	ctx := ctxT(t)
	role := d.base.Username
	for _, pw := range []string{"simple", `q'u"o\te`, "x"} {
		lit, _ := quoteLiteral(pw)
		if _, err := conn.Exec(ctx, "SET password_encryption = 'scram-sha-256'; ALTER ROLE "+ident(role)+" PASSWORD "+lit); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
		head, _, _ := strings.Cut(strings.TrimPrefix(stored, "SCRAM-SHA-256$"), "$")
		iter, salt64, _ := strings.Cut(head, ":")
		n, err := strconv.Atoi(iter)
		if err != nil {
			t.Fatalf("stored verifier %q: %v", stored, err)
		}
		salt, err := base64.StdEncoding.DecodeString(salt64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := scramVerifier(pw, salt, n)
		if err != nil || got != stored {
			t.Errorf("scramVerifier(%q) = %q, %v; PostgreSQL stored %q", pw, got, err, stored)
		}
	}
}

// setPassword gives the server a verifier, never the password, and the
// password then logs in; a password SASLprep might change goes as it is.
func TestSetPassword(t *testing.T) {
	d := newDatabase(t)
	conn := superConn(t, d.db)
	ctx := ctxT(t)
	role := d.base.Username
	stored := func() string {
		t.Helper()
		var s string
		if err := conn.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = $1", role).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, pw := range awkward {
		if err := setPassword(ctx, conn, role, pw, false); err != nil {
			t.Fatalf("setPassword(%q): %v", pw, err)
		}
		if s := stored(); !strings.HasPrefix(s, "SCRAM-SHA-256$") {
			t.Errorf("stored %q, want a SCRAM verifier", s)
		}
		c := d.base
		c.Password = pw
		wantLogin(t, c, "password "+strconv.Quote(pw))
	}

	if _, err := conn.Exec(ctx, "SET password_encryption = 'md5'"); err != nil {
		t.Fatal(err)
	}
	if err := setPassword(ctx, conn, role, "md5-pw", false); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("md5-pw" + role))
	if got, want := stored(), "md5"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("with password_encryption=md5 stored %q, want %q", got, want)
	}
}

func TestStatementErrorHoldsNoSecret(t *testing.T) {
	syntax := &pgconn.PgError{Code: "42601", Message: `syntax error at or near "hunter2"`}
	err := statementError("set the password of u", syntax, "hunter2")
	if strings.Contains(err.Error(), "hunter") || errors.Is(err, syntax) {
		t.Errorf("syntax error: %v, want neither its text nor it wrapped", err)
	}
	other := &pgconn.PgError{Code: "XX000", Message: "oops: hunter2 and SCRAM-SHA-256$x"}
	err = statementError("set the password of u", other, "hunter2", "SCRAM-SHA-256$x")
	if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "SCRAM-SHA-256$x") || errors.Is(err, other) {
		t.Errorf("error quoting secrets: %v, want them cut out and not wrapped", err)
	}
	plain := &pgconn.PgError{Code: "42704", Message: `role "u" does not exist`}
	if err := statementError("set the password of u", plain, "hunter2"); !errors.Is(err, plain) {
		t.Errorf("an error without secrets: %v, want it wrapped", err)
	}
}
