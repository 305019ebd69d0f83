package builtin

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/server"
)

// The rotation functions these tests name: the single-user built-in as the
// server registers it by default, and the multi-user one allowed to read
// the master secrets (db/master*), as an operator would register it.
const (
	singleUser = "coffer-" + PostgreSQLSingleUser
	multiUser  = "pg-multi"
)

var multiUserFunction = server.RotationFunction{
	Name: multiUser, Builtin: PostgreSQLMultiUser,
	ReadSecrets: []string{"arn:aws:secretsmanager:*:*:secret:db/master*"},
}

func TestSingleUserRotation(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t)
	arn := f.newSecret(t, "db/single", d.base.json(t))

	before := f.versionAt(t, arn, stageCurrent)
	token := f.rotate(t, arn, singleUser)
	if got := f.versionAt(t, arn, stagePrevious); got != before {
		t.Errorf("AWSPREVIOUS is on %s after the rotation, want the old AWSCURRENT %s", got, before)
	}
	if got := f.versionAt(t, arn, stageCurrent); got != token {
		t.Errorf("AWSCURRENT is on %s after the rotation, want the token %s", got, token)
	}
	next := f.credsAt(t, arn, stageCurrent)
	if next.Username != d.base.Username || next.Password == d.base.Password || next.Password == "" {
		t.Fatalf("AWSCURRENT after the rotation: user %s, password changed %t; want user %s and a new password",
			next.Username, next.Password != d.base.Password, d.base.Username)
	}
	wantLogin(t, next, "the new password")
	wantNoLogin(t, d.base, "the old password")
	if err := canRead(ctxT(t), next); err != nil {
		t.Errorf("the rotated user reads its table: %v", err)
	}

	// Once more: the newest password replaces the one before, and the
	// excluded characters stay out of both.
	f.rotate(t, arn, singleUser)
	third := f.credsAt(t, arn, stageCurrent)
	wantLogin(t, third, "the newest password")
	wantNoLogin(t, next, "the password before it")
	for _, pw := range []string{next.Password, third.Password} {
		if i := strings.IndexAny(pw, DefaultExcludeCharacters); i >= 0 {
			t.Errorf("a new password holds %q, one of the excluded %q", pw[i], DefaultExcludeCharacters)
		}
	}
	f.wantNoSecretsAnywhere(t, arn, d.base.Password, next.Password, third.Password)
}

func TestMultiUserRotation(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t, multiUserFunction)
	master := f.newSecret(t, "db/master", d.super.json(t))
	first := d.base
	first.MasterARN = master
	arn := f.newSecret(t, "db/app", first.json(t))

	// Rotation 1 creates the clone; both logins work.
	f.rotate(t, arn, multiUser)
	second := f.credsAt(t, arn, stageCurrent)
	if second.Username != first.Username+"_clone" || second.MasterARN != master {
		t.Fatalf("AWSCURRENT after rotation 1: user %s, masterarn %s; want user %s_clone and the masterarn kept", second.Username, second.MasterARN, first.Username)
	}
	wantLogin(t, second, "rotation 1: the clone")
	wantLogin(t, first, "rotation 1: the original user, untouched")
	if err := canRead(ctxT(t), second); err != nil {
		t.Errorf("rotation 1: the clone reads what the original user may read: %v", err)
	}
	if got := f.credsAt(t, arn, stagePrevious); got != first {
		t.Errorf("rotation 1: AWSPREVIOUS holds user %s, want the first login", got.Username)
	}

	// Rotation 2 goes back to the original user with a new password: the
	// clone still works, the original's old password no longer does.
	f.rotate(t, arn, "")
	third := f.credsAt(t, arn, stageCurrent)
	if third.Username != first.Username || third.Password == first.Password {
		t.Fatalf("AWSCURRENT after rotation 2: user %s, password changed %t; want user %s with a new password",
			third.Username, third.Password != first.Password, first.Username)
	}
	wantLogin(t, third, "rotation 2: the original user's new password")
	wantLogin(t, second, "rotation 2: the clone, now AWSPREVIOUS")
	wantNoLogin(t, first, "rotation 2: the original user's first password")

	// Rotation 3: the clone's turn again.
	f.rotate(t, arn, "")
	fourth := f.credsAt(t, arn, stageCurrent)
	if fourth.Username != second.Username || fourth.Password == second.Password {
		t.Fatalf("AWSCURRENT after rotation 3: user %s; want the clone with a new password", fourth.Username)
	}
	wantLogin(t, fourth, "rotation 3: the clone's new password")
	wantLogin(t, third, "rotation 3: the original user, now AWSPREVIOUS")
	wantNoLogin(t, second, "rotation 3: the clone's old password")
	f.wantNoSecretsAnywhere(t, arn, first.Password, second.Password, third.Password, fourth.Password, d.super.Password)
}

// app is an application that caches its database login, as the seeds
// advise, and re-reads AWSCURRENT when the database refuses it.
type app struct {
	f        *fixture
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
	a.cached = a.f.credsAt(t, a.arn, stageCurrent)
	return canRead(ctxT(t), a.cached)
}

func TestApplicationRecoversByRereadingCurrent(t *testing.T) {
	for _, tc := range []struct {
		fn string
		// Multi-user keeps the previous login valid for one rotation, so
		// an application notices only after the second.
		rotations int
	}{
		{singleUser, 1},
		{multiUser, 2},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			d := newDatabase(t)
			f := newFixture(t, multiUserFunction)
			c := d.base
			c.MasterARN = f.newSecret(t, "db/master", d.super.json(t))
			arn := f.newSecret(t, "db/app", c.json(t))
			a := &app{f: f, arn: arn, cached: f.credsAt(t, arn, stageCurrent)}
			if err := a.query(t); err != nil || a.rereads != 0 {
				t.Fatalf("before any rotation: query = %v after %d re-reads, want success from the cache", err, a.rereads)
			}
			for range tc.rotations {
				f.rotate(t, arn, tc.fn)
			}
			if err := a.query(t); err != nil {
				t.Fatalf("after %d rotations: query = %v, want success after re-reading AWSCURRENT", tc.rotations, err)
			}
			if a.rereads != 1 {
				t.Errorf("after %d rotations: the application re-read AWSCURRENT %d times, want 1 (its cached login was refused: %v)", tc.rotations, a.rereads, a.lastFail)
			}
			if a.cached != f.credsAt(t, arn, stageCurrent) {
				t.Error("the application's login is not AWSCURRENT's")
			}
		})
	}
}

// A database outage during testSecret fails the step and leaves AWSCURRENT
// where it was; once the database is back, the rotation retried with the
// same token completes with the password createSecret made the first time.
func TestFailedTestStepLeavesCurrentAndRetryCompletes(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t)
	px := newProxy(t, net.JoinHostPort(d.db.Server.Host, strconv.Itoa(d.db.Server.Port)))
	c := d.base
	c.Port = px.port()
	arn := f.newSecret(t, "db/behind-proxy", c.json(t))
	before := f.versionAt(t, arn, stageCurrent)

	f.setBeforeStep(func(ev rotation.Event) { px.setDown(ev.Step == rotation.StepTest) })
	token, fail := f.rotateFailing(t, arn, singleUser)
	if fail.Step != rotation.StepTest || !strings.Contains(fail.Message, "log in as "+c.Username+" with the AWSPENDING password") {
		t.Errorf("failure at %s: %q; want testSecret unable to log in", fail.Step, fail.Message)
	}
	if got := f.versionAt(t, arn, stageCurrent); got != before {
		t.Errorf("AWSCURRENT moved to %s after a failed step, want it still on %s", got, before)
	}
	if got := f.versionAt(t, arn, stagePending); got != token {
		t.Errorf("AWSPENDING is on %q after a failed step, want it still on the token %s", got, token)
	}
	pending := f.credsAt(t, arn, stagePending)

	// createSecret again (as the retry will run it) keeps the pending value.
	fn := lookupT(t, PostgreSQLSingleUser, nil)
	if err := fn(ctxT(t), f.sm, rotation.Event{SecretID: arn, ClientRequestToken: token, Step: rotation.StepCreate}); err != nil {
		t.Fatalf("createSecret again: %v", err)
	}
	if f.credsAt(t, arn, stagePending) != pending {
		t.Error("createSecret again replaced the pending value")
	}

	f.setBeforeStep(nil)
	px.setDown(false)
	f.startRotation(t, arn, "", token)
	if fail := f.wait(t, arn, token, fail.Attempts); fail != nil {
		t.Fatalf("retry with the same token failed at %s: %s", fail.Step, fail.Message)
	}
	now := f.credsAt(t, arn, stageCurrent)
	if now.Password != pending.Password {
		t.Error("the retry made a new password instead of finishing with the pending one")
	}
	wantLogin(t, now, "after the retry")
	wantNoLogin(t, c, "the old password after the retry")
	f.wantNoSecretsAnywhere(t, arn, c.Password, pending.Password)
}

// A master secret with a wrong password fails setSecret: nothing changes
// in the database or the labels. Once the master secret is fixed, the
// same token completes.
func TestFailedSetStepWithWrongMasterPassword(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t, multiUserFunction)
	wrong := d.super
	wrong.Password = "wrong-" + rand8()
	master := f.newSecret(t, "db/master", wrong.json(t))
	c := d.base
	c.MasterARN = master
	arn := f.newSecret(t, "db/app", c.json(t))

	before := f.versionAt(t, arn, stageCurrent)
	token, fail := f.rotateFailing(t, arn, multiUser)
	if fail.Step != rotation.StepSet || !strings.Contains(fail.Message, "with the master secret") {
		t.Errorf("failure at %s: %q; want setSecret unable to log in as the master user", fail.Step, fail.Message)
	}
	pending := f.credsAt(t, arn, stagePending)
	if got := f.versionAt(t, arn, stageCurrent); got != before {
		t.Errorf("AWSCURRENT moved to %s after a failed step, want it still on %s", got, before)
	}
	wantLogin(t, c, "the current login after a failed setSecret")
	wantNoLogin(t, pending, "the pending login after a failed setSecret")

	if _, err := f.sm.PutSecretValue(ctxT(t), &secretsmanager.PutSecretValueInput{SecretId: aws.String(master), SecretString: aws.String(d.super.json(t))}); err != nil {
		t.Fatal(err)
	}
	f.startRotation(t, arn, "", token)
	if fail := f.wait(t, arn, token, fail.Attempts); fail != nil {
		t.Fatalf("retry with the master secret fixed failed at %s: %s", fail.Step, fail.Message)
	}
	wantLogin(t, f.credsAt(t, arn, stageCurrent), "the clone after the retry")
	wantLogin(t, c, "the original user after the retry")
	f.wantNoSecretsAnywhere(t, arn, c.Password, pending.Password, wrong.Password, d.super.Password)
}

// The multi-user rotator reads the master secret with the rotation's
// scoped credentials: registered without read-secret, it may not.
func TestMultiUserNeedsLeaveToReadTheMasterSecret(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t)
	c := d.base
	c.MasterARN = f.newSecret(t, "db/master", d.super.json(t))
	arn := f.newSecret(t, "db/app", c.json(t))
	before := f.versionAt(t, arn, stageCurrent)
	_, fail := f.rotateFailing(t, arn, "coffer-"+PostgreSQLMultiUser)
	if fail.Step != rotation.StepSet || !strings.Contains(fail.Message, "AccessDenied") {
		t.Errorf("failure at %s: %q; want setSecret denied the master secret", fail.Step, fail.Message)
	}
	if got := f.versionAt(t, arn, stageCurrent); got != before {
		t.Errorf("AWSCURRENT moved to %s after a failed step", got)
	}
	wantLogin(t, c, "the current login")
}

// Whoever may put an AWSPENDING value cannot have the single-user rotator
// set the password of another user: setSecret refuses a pending user that
// is not the current one.
func TestSingleUserRefusesAnotherUser(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t)
	arn := f.newSecret(t, "db/app", d.base.json(t))
	evil := d.super
	evil.Password = "taken-over-" + rand8()
	f.setBeforeStep(func(ev rotation.Event) {
		if ev.Step != rotation.StepCreate {
			return
		}
		if _, err := f.sm.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(arn), ClientRequestToken: aws.String(ev.ClientRequestToken),
			SecretString: aws.String(evil.json(t)), VersionStages: []string{stagePending},
		}); err != nil {
			t.Errorf("put the other user's login as AWSPENDING: %v", err)
		}
	})
	_, fail := f.rotateFailing(t, arn, singleUser)
	if fail.Step != rotation.StepSet || !strings.Contains(fail.Message, "is not the one the AWSCURRENT value allows") {
		t.Errorf("failure at %s: %q; want setSecret refusing the other user", fail.Step, fail.Message)
	}
	wantLogin(t, d.super, "the other user's own password")
	wantLogin(t, d.base, "the secret's user, untouched")
}

// No step error, log line or failure report ever holds a password: here
// each rotation fails with the password near at hand.
func TestStepErrorsHoldNoPassword(t *testing.T) {
	d := newDatabase(t)
	f := newFixture(t)
	cases := []struct {
		name      string
		value     func(c creds) string
		wantStep  string
		wantInMsg string
	}{
		{"the current password is wrong",
			func(c creds) string { c.Password = "not-the-password-" + rand8(); return c.json(t) },
			rotation.StepSet, "none works"},
		{"the engine is not postgres",
			func(c creds) string { c.Engine = "mysql"; return c.json(t) },
			rotation.StepCreate, `engine is "mysql"`},
		{"the value is not JSON",
			func(c creds) string { return "{" + c.Password + " broken" },
			rotation.StepCreate, "is not a JSON object"},
		{"the port is nonsense",
			func(c creds) string {
				return `{"engine":"postgres","host":"127.0.0.1","port":"` + c.Password + `","username":"u","password":"` + c.Password + `"}`
			},
			rotation.StepCreate, "port is not a port number"},
		{"the database refuses connections",
			func(c creds) string { c.Port = closedPort(t); return c.json(t) },
			rotation.StepSet, "connection refused"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			value := tc.value(d.base)
			arn := f.newSecret(t, "db/bad-"+strconv.Itoa(i), value)
			token, fail := f.rotateFailing(t, arn, singleUser)
			if fail.Step != tc.wantStep || !strings.Contains(fail.Message, tc.wantInMsg) {
				t.Errorf("failure at %s: %q; want %s failing with %q", fail.Step, fail.Message, tc.wantStep, tc.wantInMsg)
			}
			var pending string
			if out, err := f.sm.GetSecretValue(ctxT(t), &secretsmanager.GetSecretValueInput{
				SecretId: aws.String(arn), VersionId: aws.String(token), VersionStage: aws.String(stagePending),
			}); err == nil {
				pending = aws.ToString(out.SecretString)
			}
			f.wantNoSecretsAnywhere(t, arn, d.base.Password, value, pending, passwordIn(pending))
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
