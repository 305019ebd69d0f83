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
)

func TestRandomPasswordPlain(t *testing.T) {
	sm := newCoffer(t)
	arn := newSecret(t, sm, "api/key", "old-key")
	fn := lookup(t, RandomPassword, map[string]string{"length": "40", "exclude-punctuation": "true"})

	before := versionAt(t, sm, arn, stageCurrent)
	token := rotate(t, sm, fn, arn)
	got := valueAt(t, sm, arn, stageCurrent)
	if len(got) != 40 || strings.ContainsAny(got, password.Punctuation) {
		t.Errorf("new value has %d characters, punctuation %t; want 40 without punctuation", len(got), strings.ContainsAny(got, password.Punctuation))
	}
	if v := versionAt(t, sm, arn, stageCurrent); v != token {
		t.Errorf("AWSCURRENT on %s, want the token %s", v, token)
	}
	if v := versionAt(t, sm, arn, stagePrevious); v != before {
		t.Errorf("AWSPREVIOUS on %s, want the old version %s", v, before)
	}
	if prev := valueAt(t, sm, arn, stagePrevious); prev != "old-key" {
		t.Error("AWSPREVIOUS does not hold the old value")
	}
}

func TestRandomPasswordJSON(t *testing.T) {
	sm := newCoffer(t)
	arn := newSecret(t, sm, "api/client", `{"client_id":"abc","client_secret":"old","scopes":["read",2],"n":1.50}`)
	fn := lookup(t, RandomPassword, map[string]string{"field": "client_secret", "length": "24"})

	rotate(t, sm, fn, arn)
	var got map[string]any
	if err := json.Unmarshal([]byte(valueAt(t, sm, arn, stageCurrent)), &got); err != nil {
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
	sm := newCoffer(t)
	arn := newSecret(t, sm, "api/other", `{"token":"old"}`)
	fn := lookup(t, RandomPassword, nil) // field: password

	before := versionAt(t, sm, arn, stageCurrent)
	token := startRotation(t, sm, arn)
	err := runSteps(ctxT(t), sm, fn, arn, token)
	if err == nil || !strings.Contains(err.Error(), `"password"`) {
		t.Fatalf("rotation of a JSON secret without the field = %v, want an error naming the field", err)
	}
	wantNoSecrets(t, err, `"old"`)
	if v := versionAt(t, sm, arn, stageCurrent); v != before {
		t.Errorf("AWSCURRENT moved to %s after a failed createSecret", v)
	}
}

// Every step checks the staging first, as the templates' handler does.
func TestStepsCheckStaging(t *testing.T) {
	sm := newCoffer(t)
	ctx := ctxT(t)
	fn := lookup(t, RandomPassword, nil)
	arn := newSecret(t, sm, "api/staged", "v1")
	first := versionAt(t, sm, arn, stageCurrent)
	done := rotate(t, sm, fn, arn)
	value := valueAt(t, sm, arn, stageCurrent)

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
			err := fn(ctx, sm, rotation.Event{SecretID: arn, ClientRequestToken: tc.token, Step: tc.step})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("step %s = %v, want nil", tc.step, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("step %s = %v, want an error containing %q", tc.step, err, tc.wantErr)
			case err != nil && !strings.HasPrefix(err.Error(), "rotator random-password: "+tc.step+": "):
				t.Errorf("error %q does not name the rotator and step", err)
			}
			if got := valueAt(t, sm, arn, stageCurrent); got != value {
				t.Error("AWSCURRENT's value changed")
			}
		})
	}

	// Rotation switched off: every step refuses.
	token := startRotation(t, sm, arn)
	if _, err := sm.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	err := fn(ctx, sm, rotation.Event{SecretID: arn, ClientRequestToken: token, Step: rotation.StepCreate})
	if err == nil || !strings.Contains(err.Error(), "not enabled for rotation") {
		t.Errorf("createSecret with rotation cancelled = %v, want not enabled for rotation", err)
	}
}

// createSecret runs again with the same token without making a second
// password: a retried step keeps what the first attempt put.
func TestCreateSecretTwiceKeepsThePendingValue(t *testing.T) {
	sm := newCoffer(t)
	ctx := ctxT(t)
	fn := lookup(t, RandomPassword, nil)
	arn := newSecret(t, sm, "api/twice", "v1")
	token := startRotation(t, sm, arn)
	ev := rotation.Event{SecretID: arn, ClientRequestToken: token, Step: rotation.StepCreate}
	if err := fn(ctx, sm, ev); err != nil {
		t.Fatal(err)
	}
	pending := valueAt(t, sm, arn, stagePending)
	if err := fn(ctx, sm, ev); err != nil {
		t.Fatalf("createSecret again: %v", err)
	}
	if got := valueAt(t, sm, arn, stagePending); got != pending {
		t.Error("createSecret again replaced the pending value")
	}
	if got := valueAt(t, sm, arn, stageCurrent); got != "v1" {
		t.Error("createSecret moved AWSCURRENT")
	}
}
