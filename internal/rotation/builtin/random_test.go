package builtin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/password"
	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/server"
)

// lookupT is Lookup that fails the test.
func lookupT(t *testing.T, name string, opts map[string]string) Func {
	t.Helper()
	fn, err := Lookup(name, opts)
	if err != nil {
		t.Fatalf("Lookup(%q, %v): %v", name, opts, err)
	}
	return fn
}

func TestRandomPasswordPlain(t *testing.T) {
	f := newFixture(t, server.RotationFunction{
		Name: "api-key", Builtin: RandomPassword, Options: map[string]string{"length": "40", "exclude-punctuation": "true"},
	})
	arn := f.newSecret(t, "api/key", "old-key")

	before := f.versionAt(t, arn, stageCurrent)
	f.rotate(t, arn, "api-key")
	got := f.valueAt(t, arn, stageCurrent)
	if len(got) != 40 || strings.ContainsAny(got, password.Punctuation) {
		t.Errorf("new value has %d characters, punctuation %t; want 40 without punctuation", len(got), strings.ContainsAny(got, password.Punctuation))
	}
	if v := f.versionAt(t, arn, stagePrevious); v != before {
		t.Errorf("AWSPREVIOUS on %s, want the old version %s", v, before)
	}
	if prev := f.valueAt(t, arn, stagePrevious); prev != "old-key" {
		t.Error("AWSPREVIOUS does not hold the old value")
	}
	f.wantNoSecretsAnywhere(t, arn, "old-key", got)
}

func TestRandomPasswordJSON(t *testing.T) {
	f := newFixture(t, server.RotationFunction{
		Name: "client-secret", Builtin: RandomPassword, Options: map[string]string{"field": "client_secret", "length": "24"},
	})
	arn := f.newSecret(t, "api/client", `{"client_id":"abc","client_secret":"old","scopes":["read",2],"n":1.50}`)

	f.rotate(t, arn, "client-secret")
	var got map[string]any
	if err := json.Unmarshal([]byte(f.valueAt(t, arn, stageCurrent)), &got); err != nil {
		t.Fatalf("the new value is not JSON: %v", err)
	}
	secret, _ := got["client_secret"].(string)
	if len(secret) != 24 {
		t.Errorf("client_secret has %d characters, want a new one of 24", len(secret))
	}
	delete(got, "client_secret")
	want := map[string]any{"client_id": "abc", "scopes": []any{"read", 2.0}, "n": 1.5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the other fields changed (-want +got):\n%s", diff)
	}
}

func TestRandomPasswordJSONWithoutTheField(t *testing.T) {
	f := newFixture(t)
	arn := f.newSecret(t, "api/other", `{"token":"old-token-value"}`)
	before := f.versionAt(t, arn, stageCurrent)
	_, fail := f.rotateFailing(t, arn, "coffer-"+RandomPassword) // field: password
	if fail.Step != rotation.StepCreate || !strings.Contains(fail.Message, `without the field "password"`) {
		t.Errorf("failure at %s: %q; want createSecret naming the missing field", fail.Step, fail.Message)
	}
	if v := f.versionAt(t, arn, stageCurrent); v != before {
		t.Errorf("AWSCURRENT moved to %s after a failed createSecret", v)
	}
	f.wantNoSecretsAnywhere(t, arn, "old-token-value")
}

// Every step checks the staging first, as the templates' handler does.
func TestStepsCheckStaging(t *testing.T) {
	f := newFixture(t)
	ctx := ctxT(t)
	fn := lookupT(t, RandomPassword, nil)
	arn := f.newSecret(t, "api/staged", "v1")
	first := f.versionAt(t, arn, stageCurrent)
	done := f.rotate(t, arn, "coffer-"+RandomPassword)
	value := f.valueAt(t, arn, stageCurrent)

	for _, tc := range []struct {
		name    string
		token   string
		step    string
		wantErr string // "" for success doing nothing
	}{
		{"a token that is no version of the secret is refused", "00000000-0000-4000-8000-000000000000", rotation.StepCreate, "has no stage for rotation"},
		{"a token that is AWSPREVIOUS, not AWSPENDING, is refused", first, rotation.StepSet, "is not AWSPENDING"},
		{"an unknown step is refused", done, "rotateSecret", `unknown step "rotateSecret"`},
		{"createSecret of a token already AWSCURRENT does nothing", done, rotation.StepCreate, ""},
		{"finishSecret of a token already AWSCURRENT does nothing", done, rotation.StepFinish, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fn(ctx, f.sm, rotation.Event{SecretID: arn, ClientRequestToken: tc.token, Step: tc.step})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("step %s = %v, want nil", tc.step, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("step %s = %v, want an error containing %q", tc.step, err, tc.wantErr)
			case err != nil && !strings.HasPrefix(err.Error(), "rotator random-password: "+tc.step+": "):
				t.Errorf("error %q does not name the rotator and step", err)
			}
			if got := f.valueAt(t, arn, stageCurrent); got != value {
				t.Error("AWSCURRENT's value changed")
			}
		})
	}

	// Rotation switched off: every step refuses, whatever the token.
	if _, err := f.sm.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	err := fn(ctx, f.sm, rotation.Event{SecretID: arn, ClientRequestToken: done, Step: rotation.StepCreate})
	if err == nil || !strings.Contains(err.Error(), "not enabled for rotation") {
		t.Errorf("createSecret with rotation cancelled = %v, want not enabled for rotation", err)
	}
}
