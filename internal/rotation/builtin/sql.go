package builtin

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what setPassword needs of a *pgx.Conn or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// setPassword sets user's password to pw, creating user as a login role if
// create is set. ALTER ROLE and CREATE ROLE take no parameters, so the
// password is spelt into the statement: as the verifier the server would
// store (computed here as psql's \password does, so the server's logs can
// never show the password), in a literal escaped for either setting of
// standard_conforming_strings.
func setPassword(ctx context.Context, q querier, user, pw string, create bool) error {
	var encryption string
	if err := q.QueryRow(ctx, "SHOW password_encryption").Scan(&encryption); err != nil {
		return fmt.Errorf("read password_encryption: %w", err)
	}
	stored, err := passwordToStore(encryption, user, pw)
	if err != nil {
		return err
	}
	lit, err := quoteLiteral(stored)
	if err != nil {
		return err
	}
	stmt := "ALTER USER " + ident(user) + " WITH PASSWORD " + lit
	what := "set the password of " + user
	if create {
		stmt = "CREATE ROLE " + ident(user) + " WITH LOGIN PASSWORD " + lit
		what = "create role " + user
	}
	if _, err := q.Exec(ctx, stmt); err != nil {
		return statementError(what, err, pw, stored)
	}
	return nil
}

// passwordToStore returns what to give PostgreSQL for pw: its SCRAM-SHA-256
// or md5 verifier, as encryption (the server's password_encryption) asks,
// or pw itself for a SCRAM password SASLprep would change (PostgreSQL
// then applies SASLprep itself; computing it here is not worth a Unicode
// table).
func passwordToStore(encryption, user, pw string) (string, error) {
	switch encryption {
	case "scram-sha-256":
		if !printableASCII(pw) {
			return pw, nil
		}
		salt := make([]byte, 16)
		rand.Read(salt)
		return scramVerifier(pw, salt, scramIterations)
	case "md5":
		sum := md5.Sum([]byte(pw + user))
		return "md5" + hex.EncodeToString(sum[:]), nil
	}
	return pw, nil
}

// scramIterations is PostgreSQL's default (scram_iterations).
const scramIterations = 4096

// scramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// pw (RFC 5802, RFC 7677): SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>.
func scramVerifier(pw string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, pw, salt, iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("derive the SCRAM key: %w", err)
	}
	mac := func(msg string) []byte {
		h := hmac.New(sha256.New, salted)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	storedKey := sha256.Sum256(mac("Client Key"))
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", iterations, b64(salt), b64(storedKey[:]), b64(mac("Server Key"))), nil
}

// printableASCII reports whether SASLprep leaves s as it is, for certain.
func printableASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// ident quotes a role name, as quote_ident would.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// quoteLiteral quotes s as an escape string constant (E'...'), which reads
// the same whatever standard_conforming_strings says: backslashes and
// quotes are doubled. PostgreSQL strings cannot hold NUL.
func quoteLiteral(s string) (string, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return "", errors.New("a password cannot contain a NUL byte")
	}
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `'`, `''`)
	return "E'" + s + "'", nil
}

// statementError wraps the error of a statement that spells out secrets.
// A syntax error quotes the statement near the error, so only its code is
// kept; any other error whose text holds one of secrets is rewritten
// without them (and with nothing to unwrap).
func statementError(what string, err error, secrets ...string) error {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == syntaxError {
		return fmt.Errorf("%s: syntax error (SQLSTATE %s)", what, syntaxError)
	}
	err = fmt.Errorf("%s: %w", what, err)
	text := err.Error()
	leaked := false
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			text, leaked = strings.ReplaceAll(text, s, "[redacted]"), true
		}
	}
	if !leaked {
		return err
	}
	return errors.New(text)
}

// syntaxError is PostgreSQL's SQLSTATE syntax_error.
const syntaxError = "42601"
