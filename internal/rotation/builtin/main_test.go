package builtin

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/pgtest"
	"github.com/coffer-dev/coffer/internal/rotation"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// ctxT returns a context that ends with the test, or after a minute.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// lookup is Lookup that fails the test.
func lookup(t *testing.T, name string, opts map[string]string) Func {
	t.Helper()
	fn, err := Lookup(name, opts)
	if err != nil {
		t.Fatalf("Lookup(%q, %v): %v", name, opts, err)
	}
	return fn
}

// newSecret creates a secret holding value and returns its ARN.
func newSecret(t *testing.T, sm *secretsmanager.Client, name, value string) string {
	t.Helper()
	out, err := sm.CreateSecret(ctxT(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// startRotation asks Coffer to rotate arn, which adds the AWSPENDING
// version without a value, and returns its id (the token).
func startRotation(t *testing.T, sm *secretsmanager.Client, arn string) string {
	t.Helper()
	out, err := sm.RotateSecret(ctxT(t), &secretsmanager.RotateSecretInput{
		SecretId:          aws.String(arn),
		RotationLambdaARN: aws.String("builtin-under-test"),
		RotationRules:     &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
	})
	if err != nil {
		t.Fatalf("RotateSecret(%s): %v", arn, err)
	}
	return aws.ToString(out.VersionId)
}

// runSteps runs the four steps of fn for token in order, as the invoker
// does, and returns the first error.
func runSteps(ctx context.Context, sm *secretsmanager.Client, fn Func, arn, token string) error {
	for _, step := range rotation.Steps {
		if err := fn(ctx, sm, rotation.Event{SecretID: arn, ClientRequestToken: token, Step: step}); err != nil {
			return err
		}
	}
	return nil
}

// rotate runs one whole rotation of arn with fn and returns its token.
func rotate(t *testing.T, sm *secretsmanager.Client, fn Func, arn string) string {
	t.Helper()
	token := startRotation(t, sm, arn)
	if err := runSteps(ctxT(t), sm, fn, arn, token); err != nil {
		t.Fatalf("rotation %s of %s: %v", token, arn, err)
	}
	return token
}

// stages returns the secret's VersionIdsToStages.
func stages(t *testing.T, sm *secretsmanager.Client, arn string) map[string][]string {
	t.Helper()
	out, err := sm.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	return out.VersionIdsToStages
}

// versionAt returns the id of the version labelled stage.
func versionAt(t *testing.T, sm *secretsmanager.Client, arn, stage string) string {
	t.Helper()
	for id, labels := range stages(t, sm, arn) {
		for _, l := range labels {
			if l == stage {
				return id
			}
		}
	}
	return ""
}

// valueAt returns the SecretString labelled stage.
func valueAt(t *testing.T, sm *secretsmanager.Client, arn, stage string) string {
	t.Helper()
	out, err := sm.GetSecretValue(ctxT(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("GetSecretValue(%s, %s): %v", arn, stage, err)
	}
	return aws.ToString(out.SecretString)
}

// newCoffer starts a Coffer server for one test and returns an admin
// client that does not retry, so the test sees every error.
func newCoffer(t *testing.T) *secretsmanager.Client {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	return secretsmanager.NewFromConfig(srv.Config(srv.Region), func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 })
}

// wantNoSecrets fails the test if err's text holds any of the values.
func wantNoSecrets(t *testing.T, err error, values ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, v := range values {
		if v != "" && strings.Contains(err.Error(), v) {
			t.Errorf("error text %q holds a password", err)
		}
	}
}
