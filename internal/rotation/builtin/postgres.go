package builtin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// postgres rotates a PostgreSQL login whose connection details are the
// secret's JSON, as AWS's RDS PostgreSQL templates do: single-user (the
// user sets its own password) or multi-user (a master user alternates
// between <user> and <user>_clone).
type postgres struct {
	multiUser      bool
	password       secretsmanager.GetRandomPasswordInput
	connectTimeout time.Duration
}

func (p *postgres) createSecret(ctx context.Context, s *session) error {
	current, err := p.secret(ctx, s, s.arn, stageCurrent)
	if err != nil {
		return err
	}
	if ok, err := s.pendingExists(ctx); ok || err != nil {
		return err
	}
	if p.multiUser {
		if current.Username, err = altUsername(current.Username); err != nil {
			return err
		}
	}
	if current.Password, err = s.newPassword(ctx, p.password); err != nil {
		return err
	}
	value, err := current.encode()
	if err != nil {
		return err
	}
	return s.putPending(ctx, value)
}

// setSecret returns at once if the AWSPENDING login already works, else
// sets it up as the scheme says.
func (p *postgres) setSecret(ctx context.Context, s *session) error {
	current, err := p.secret(ctx, s, s.arn, stageCurrent)
	if err != nil {
		return err
	}
	pending, err := p.pendingSecret(ctx, s)
	if err != nil {
		return err
	}
	if conn, err := p.connect(ctx, pending); err == nil {
		return conn.Close(ctx) // already set
	}
	if p.multiUser {
		return p.setMultiUser(ctx, s, current, pending)
	}
	return p.setSingleUser(ctx, s, current, pending)
}

// setSingleUser logs in as the user with the AWSCURRENT password, else
// the AWSPREVIOUS one, and sets the AWSPENDING password.
func (p *postgres) setSingleUser(ctx context.Context, s *session, current, pending *dbSecret) error {
	var previous *dbSecret
	switch v, err := s.value(ctx, s.arn, stagePrevious, ""); {
	case err == nil:
		previous, _ = parseDBSecret(v, stagePrevious) // unusable: as if absent, as the templates do
	case !isNotFound(err):
		return err
	}
	if err := sameLogin(pending, current, stageCurrent, current.Username); err != nil {
		return err
	}
	conn, currentErr := p.connect(ctx, current)
	if currentErr != nil && previous != nil {
		if err := sameLogin(pending, previous, stagePrevious, previous.Username); err != nil {
			return err
		}
		previous.SSL = current.SSL // the current secret knows best how to connect
		conn, _ = p.connect(ctx, previous)
	}
	if conn == nil {
		return fmt.Errorf("log in as %s with the AWSPENDING, AWSCURRENT or AWSPREVIOUS password: none works (AWSCURRENT: %w)", current.Username, currentErr)
	}
	defer conn.Close(ctx)
	return setPassword(ctx, conn, pending.Username, pending.Password, false)
}

// setMultiUser, once the AWSCURRENT credentials are shown to work, logs
// in as the master secret's user and creates the AWSPENDING user (granted
// the AWSCURRENT user's role) or sets its password.
func (p *postgres) setMultiUser(ctx context.Context, s *session, current, pending *dbSecret) error {
	alt, err := altUsername(current.Username)
	if err != nil {
		return err
	}
	if err := sameLogin(pending, current, stageCurrent, alt); err != nil {
		return err
	}
	// Only rotate credentials that work: else anyone able to write this
	// secret could have the master user create or reset any role.
	conn, err := p.connect(ctx, current)
	if err != nil {
		return fmt.Errorf("log in as %s with the AWSCURRENT password: %w", current.Username, err)
	}
	conn.Close(ctx)
	if current.MasterARN == "" {
		return errors.New("the AWSCURRENT value has no masterarn naming the secret of a user who can create roles")
	}
	master, err := p.secret(ctx, s, current.MasterARN, stageCurrent)
	if err != nil {
		return err
	}
	if master.Host != current.Host {
		return fmt.Errorf("the master secret's host %s is not the secret's host %s", master.Host, current.Host)
	}
	conn, err = p.connect(ctx, master)
	if err != nil {
		return fmt.Errorf("log in as %s with the master secret %s: %w", master.Username, current.MasterARN, err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", pending.Username).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", pending.Username, err)
	}
	if err := setPassword(ctx, tx, pending.Username, pending.Password, !exists); err != nil {
		return err
	}
	if !exists {
		grant := "GRANT " + ident(current.Username) + " TO " + ident(pending.Username)
		if _, err := tx.Exec(ctx, grant); err != nil {
			return fmt.Errorf("grant role %s to %s: %w", current.Username, pending.Username, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// testSecret logs in with the AWSPENDING credentials and runs a query.
func (p *postgres) testSecret(ctx context.Context, s *session) error {
	pending, err := p.pendingSecret(ctx, s)
	if err != nil {
		return err
	}
	conn, err := p.connect(ctx, pending)
	if err != nil {
		return fmt.Errorf("log in as %s with the AWSPENDING password: %w", pending.Username, err)
	}
	defer conn.Close(ctx)
	var now time.Time
	if err := conn.QueryRow(ctx, "SELECT now()").Scan(&now); err != nil {
		return fmt.Errorf("query as %s: %w", pending.Username, err)
	}
	return nil
}

// secret reads and checks the stage's value of secretID.
func (p *postgres) secret(ctx context.Context, s *session, secretID, stage string) (*dbSecret, error) {
	v, err := s.value(ctx, secretID, stage, "")
	if err != nil {
		return nil, err
	}
	return parseDBSecret(v, stage+" value of "+secretID)
}

func (p *postgres) pendingSecret(ctx context.Context, s *session) (*dbSecret, error) {
	v, err := s.pending(ctx)
	if err != nil {
		return nil, err
	}
	return parseDBSecret(v, "AWSPENDING value")
}

// sameLogin refuses to change a password for another user or host than
// the one the credentials in stage are for (user being the name expected
// in pending).
func sameLogin(pending, other *dbSecret, stage, user string) error {
	if pending.Username != user {
		return fmt.Errorf("the AWSPENDING user %s is not the one the %s value allows (%s)", pending.Username, stage, user)
	}
	if pending.Host != other.Host {
		return fmt.Errorf("the AWSPENDING host %s is not the %s host %s", pending.Host, stage, other.Host)
	}
	return nil
}

// cloneSuffix makes the second user of the multi-user scheme.
const cloneSuffix = "_clone"

// altUsername returns the other user of the pair: user_clone for user,
// and user for user_clone.
func altUsername(user string) (string, error) {
	if base, ok := strings.CutSuffix(user, cloneSuffix); ok {
		return base, nil
	}
	if len(user)+len(cloneSuffix) > maxIdentifierLen {
		return "", fmt.Errorf("user %s is too long to clone: %s would exceed PostgreSQL's %d bytes", user, user+cloneSuffix, maxIdentifierLen)
	}
	return user + cloneSuffix, nil
}

// maxIdentifierLen is PostgreSQL's NAMEDATALEN-1: longer names are cut.
const maxIdentifierLen = 63

// connect logs into the secret's database with its credentials: over TLS
// verifying the host's certificate, falling back to plain TCP, unless the
// secret's ssl says which, as the templates do.
func (p *postgres) connect(ctx context.Context, sec *dbSecret) (*pgx.Conn, error) {
	// The empty string gives pgx's defaults (and the PG* environment, as
	// libpq would); every field that matters is set below.
	cfg, err := pgx.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("connection defaults: %w", err)
	}
	cfg.Host, cfg.Port, cfg.Database = sec.Host, sec.Port, sec.DBName
	cfg.User, cfg.Password = sec.Username, sec.Password
	cfg.ConnectTimeout = p.connectTimeout
	verified := &tls.Config{ServerName: sec.Host, MinVersion: tls.VersionTLS12}
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	switch {
	case strings.HasPrefix(sec.Host, "/"): // a unix socket's directory: no TLS there
	case sec.SSL == sslOn:
		cfg.TLSConfig = verified
	case sec.SSL == sslDefault:
		cfg.TLSConfig = verified
		cfg.Fallbacks = []*pgconn.FallbackConfig{{Host: sec.Host, Port: sec.Port}}
	}
	return pgx.ConnectConfig(ctx, cfg)
}
