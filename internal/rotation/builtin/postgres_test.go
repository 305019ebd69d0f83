package builtin

import (
	"net"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/rotation"
)

func TestSingleUserRotation(t *testing.T) {
	d := newDatabase(t)
	sm := newCoffer(t)
	arn := newSecret(t, sm, "db/single", d.base.json(t))
	fn := lookup(t, PostgreSQLSingleUser, nil)

	before := versionAt(t, sm, arn, stageCurrent)
	token := rotate(t, sm, fn, arn)

	if got := versionAt(t, sm, arn, stageCurrent); got != token {
		t.Errorf("AWSCURRENT is on %s after the rotation, want the token %s", got, token)
	}
	if got := versionAt(t, sm, arn, stagePrevious); got != before {
		t.Errorf("AWSPREVIOUS is on %s after the rotation, want the old AWSCURRENT %s", got, before)
	}
	next := credsAt(t, sm, arn, stageCurrent)
	if next.Username != d.base.Username || next.Password == d.base.Password || next.Password == "" {
		t.Fatalf("AWSCURRENT after the rotation: user %s, password changed %t; want user %s and a new password",
			next.Username, next.Password != d.base.Password, d.base.Username)
	}
	wantLogin(t, next, "the new password")
	wantNoLogin(t, d.base, "the old password")
	if err := canRead(ctxT(t), next); err != nil {
		t.Errorf("the rotated user reads its table: %v", err)
	}

	// Once more: the second password replaces the first, and the
	// excluded characters stay out of both.
	rotate(t, sm, fn, arn)
	third := credsAt(t, sm, arn, stageCurrent)
	wantLogin(t, third, "the newest password")
	wantNoLogin(t, next, "the password before it")
	for _, pw := range []string{next.Password, third.Password} {
		if i := indexAny(pw, DefaultExcludeCharacters); i >= 0 {
			t.Errorf("a new password holds %q, one of the excluded %q", pw[i], DefaultExcludeCharacters)
		}
	}
}

func TestMultiUserRotation(t *testing.T) {
	d := newDatabase(t)
	sm := newCoffer(t)
	master := newSecret(t, sm, "db/master", d.super.json(t))
	first := d.base
	first.MasterARN = master
	arn := newSecret(t, sm, "db/app", first.json(t))
	fn := lookup(t, PostgreSQLMultiUser, nil)

	// Rotation 1 creates the clone; both logins work.
	rotate(t, sm, fn, arn)
	second := credsAt(t, sm, arn, stageCurrent)
	if second.Username != first.Username+"_clone" || second.MasterARN != master {
		t.Fatalf("AWSCURRENT after rotation 1: user %s, masterarn %s; want user %s_clone and the masterarn kept", second.Username, second.MasterARN, first.Username)
	}
	wantLogin(t, second, "rotation 1: the clone")
	wantLogin(t, first, "rotation 1: the original user, untouched")
	if err := canRead(ctxT(t), second); err != nil {
		t.Errorf("rotation 1: the clone reads what the original user may read: %v", err)
	}
	if got := credsAt(t, sm, arn, stagePrevious); got != first {
		t.Errorf("rotation 1: AWSPREVIOUS holds user %s, want the first login", got.Username)
	}

	// Rotation 2 goes back to the original user with a new password: the
	// clone still works, the original's old password no longer does.
	rotate(t, sm, fn, arn)
	third := credsAt(t, sm, arn, stageCurrent)
	if third.Username != first.Username || third.Password == first.Password {
		t.Fatalf("AWSCURRENT after rotation 2: user %s, password changed %t; want user %s with a new password",
			third.Username, third.Password != first.Password, first.Username)
	}
	wantLogin(t, third, "rotation 2: the original user's new password")
	wantLogin(t, second, "rotation 2: the clone, now AWSPREVIOUS")
	wantNoLogin(t, first, "rotation 2: the original user's first password")

	// Rotation 3: the clone's turn again.
	rotate(t, sm, fn, arn)
	fourth := credsAt(t, sm, arn, stageCurrent)
	if fourth.Username != second.Username || fourth.Password == second.Password {
		t.Fatalf("AWSCURRENT after rotation 3: user %s; want the clone with a new password", fourth.Username)
	}
	wantLogin(t, fourth, "rotation 3: the clone's new password")
	wantLogin(t, third, "rotation 3: the original user, now AWSPREVIOUS")
	wantNoLogin(t, second, "rotation 3: the clone's old password")
}

// app is an application that caches its database login, as the seeds
// advise, and re-reads AWSCURRENT when the database refuses it.
type app struct {
	sm       *secretsmanager.Client
	arn      string
	cached   creds
	rereads  int
	lastFail error
}

func (a *app) query(t *testing.T) error {
	t.Helper()
	err := canRead(ctxT(t), a.cached)
	if !isBadPassword(err) {
		return err
	}
	a.lastFail = err
	a.rereads++
	a.cached = credsAt(t, a.sm, a.arn, stageCurrent)
	return canRead(ctxT(t), a.cached)
}

func TestApplicationRecoversByRereadingCurrent(t *testing.T) {
	for _, name := range []string{PostgreSQLSingleUser, PostgreSQLMultiUser} {
		t.Run(name, func(t *testing.T) {
			d := newDatabase(t)
			sm := newCoffer(t)
			c := d.base
			c.MasterARN = newSecret(t, sm, "db/master", d.super.json(t))
			arn := newSecret(t, sm, "db/app", c.json(t))
			a := &app{sm: sm, arn: arn, cached: credsAt(t, sm, arn, stageCurrent)}
			if err := a.query(t); err != nil || a.rereads != 0 {
				t.Fatalf("before any rotation: query = %v after %d re-reads, want success from the cache", err, a.rereads)
			}

			fn := lookup(t, name, nil)
			// Multi-user keeps the previous login valid for one rotation,
			// so an application notices only after the second.
			rotations := map[string]int{PostgreSQLSingleUser: 1, PostgreSQLMultiUser: 2}[name]
			for range rotations {
				rotate(t, sm, fn, arn)
			}
			if err := a.query(t); err != nil {
				t.Fatalf("after %d rotations: query = %v, want success after re-reading AWSCURRENT", rotations, err)
			}
			if a.rereads != 1 {
				t.Errorf("after %d rotations: the application re-read AWSCURRENT %d times, want 1 (its cached login was refused: %v)", rotations, a.rereads, a.lastFail)
			}
			if a.cached != credsAt(t, sm, arn, stageCurrent) {
				t.Error("the application's login is not AWSCURRENT's")
			}
		})
	}
}

// A database outage during testSecret fails the step and leaves AWSCURRENT
// where it was; once the database is back, running the steps again with
// the same token completes the rotation.
func TestFailedTestStepLeavesCurrentAndRetryCompletes(t *testing.T) {
	d := newDatabase(t)
	sm := newCoffer(t)
	px := newProxy(t, net.JoinHostPort(d.db.Server.Host, strconv.Itoa(d.db.Server.Port)))
	c := d.base
	c.Port = px.port()
	arn := newSecret(t, sm, "db/behind-proxy", c.json(t))
	fn := lookup(t, PostgreSQLSingleUser, nil)
	ctx := ctxT(t)

	before := versionAt(t, sm, arn, stageCurrent)
	token := startRotation(t, sm, arn)
	for _, step := range []string{rotation.StepCreate, rotation.StepSet} {
		if err := fn(ctx, sm, rotation.Event{SecretID: arn, ClientRequestToken: token, Step: step}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	pending := credsAt(t, sm, arn, stagePending)

	px.setDown(true)
	err := fn(ctx, sm, rotation.Event{SecretID: arn, ClientRequestToken: token, Step: rotation.StepTest})
	if err == nil {
		t.Fatal("testSecret with the database down succeeded")
	}
	t.Logf("testSecret with the database down: %v", err)
	wantNoSecrets(t, err, c.Password, pending.Password)
	if got := versionAt(t, sm, arn, stageCurrent); got != before {
		t.Errorf("AWSCURRENT moved to %s after a failed step, want it still on %s", got, before)
	}
	if got := versionAt(t, sm, arn, stagePending); got != token {
		t.Errorf("AWSPENDING is on %q after a failed step, want it still on the token %s", got, token)
	}

	px.setDown(false)
	if err := runSteps(ctx, sm, fn, arn, token); err != nil {
		t.Fatalf("retry with the same token: %v", err)
	}
	if got := versionAt(t, sm, arn, stageCurrent); got != token {
		t.Errorf("AWSCURRENT is on %s after the retry, want the token %s", got, token)
	}
	now := credsAt(t, sm, arn, stageCurrent)
	if now.Password != pending.Password {
		t.Error("the retry made a new password instead of finishing with the pending one")
	}
	wantLogin(t, now, "after the retry")
	wantNoLogin(t, c, "the old password after the retry")
}

// A master secret with a wrong password fails setSecret: nothing changes
// in the database or the labels. Once the master secret is fixed, the
// same token completes.
func TestFailedSetStepWithWrongMasterPassword(t *testing.T) {
	d := newDatabase(t)
	sm := newCoffer(t)
	right := d.super
	wrong := right
	wrong.Password = "wrong-" + rand8()
	master := newSecret(t, sm, "db/master", wrong.json(t))
	c := d.base
	c.MasterARN = master
	arn := newSecret(t, sm, "db/app", c.json(t))
	fn := lookup(t, PostgreSQLMultiUser, nil)
	ctx := ctxT(t)

	before := versionAt(t, sm, arn, stageCurrent)
	token := startRotation(t, sm, arn)
	err := runSteps(ctx, sm, fn, arn, token)
	if err == nil {
		t.Fatal("a rotation with a wrong master password succeeded")
	}
	t.Logf("rotation with a wrong master password: %v", err)
	pending := credsAt(t, sm, arn, stagePending)
	wantNoSecrets(t, err, c.Password, pending.Password, wrong.Password, right.Password)
	if got := versionAt(t, sm, arn, stageCurrent); got != before {
		t.Errorf("AWSCURRENT moved to %s after a failed step, want it still on %s", got, before)
	}
	wantLogin(t, c, "the current login after a failed setSecret")
	wantNoLogin(t, pending, "the pending login after a failed setSecret")

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(master), SecretString: aws.String(right.json(t))}); err != nil {
		t.Fatal(err)
	}
	if err := runSteps(ctx, sm, fn, arn, token); err != nil {
		t.Fatalf("retry with the master secret fixed: %v", err)
	}
	if got := versionAt(t, sm, arn, stageCurrent); got != token {
		t.Errorf("AWSCURRENT is on %s after the retry, want the token %s", got, token)
	}
	wantLogin(t, credsAt(t, sm, arn, stageCurrent), "the clone after the retry")
	wantLogin(t, c, "the original user after the retry")
}

// No step error ever holds a password: here each step fails in a way that
// has the password near at hand.
func TestStepErrorsHoldNoPassword(t *testing.T) {
	d := newDatabase(t)
	sm := newCoffer(t)
	ctx := ctxT(t)
	fn := lookup(t, PostgreSQLSingleUser, nil)

	cases := []struct {
		name  string
		value func(c creds) string
	}{
		{"the current password is wrong", func(c creds) string { c.Password = "not-the-password-" + rand8(); return c.json(t) }},
		{"the engine is not postgres", func(c creds) string { c.Engine = "mysql"; return c.json(t) }},
		{"the value is not JSON", func(c creds) string { return "{" + c.Password + " broken" }},
		{"the port is nonsense", func(c creds) string {
			return `{"engine":"postgres","host":"127.0.0.1","port":"` + c.Password + `","username":"u","password":"` + c.Password + `"}`
		}},
		{"the database refuses connections", func(c creds) string { c.Port = closedPort(t); return c.json(t) }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			value := tc.value(d.base)
			arn := newSecret(t, sm, "db/bad-"+strconv.Itoa(i), value)
			token := startRotation(t, sm, arn)
			err := runSteps(ctx, sm, fn, arn, token)
			if err == nil {
				t.Fatal("the rotation succeeded")
			}
			t.Logf("error: %v", err)
			var pending string
			if out, gerr := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
				SecretId: aws.String(arn), VersionId: aws.String(token), VersionStage: aws.String(stagePending),
			}); gerr == nil {
				pending = aws.ToString(out.SecretString)
			}
			wantNoSecrets(t, err, d.base.Password, value, pending)
			if p := passwordIn(pending); p != "" {
				wantNoSecrets(t, err, p)
			}
		})
	}
}

// closedPort returns a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func passwordIn(value string) string {
	sec, err := parseDBSecret(value, "value")
	if err != nil {
		return ""
	}
	return sec.Password
}

func indexAny(s, chars string) int {
	for i := range len(s) {
		for j := range len(chars) {
			if s[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}
