package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/pgtest"
	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/server"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// ctxT returns a context that ends with the test, or after a minute.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fixture is a Coffer server whose scheduler runs the built-in rotators,
// watched: every error a rotator returns is kept, and the server's log.
type fixture struct {
	srv *coffertest.Server
	sm  *secretsmanager.Client // admin, without retries: the test sees every error
	log *coffertest.LogBuffer

	mu         sync.Mutex
	errs       []error                 // every error a rotator returned
	beforeStep func(ev rotation.Event) // if set, runs before each step
}

// newFixture starts Coffer with the built-in rotators (each registered as
// coffer-<name> with its defaults) plus fns. Its clock stands still, so a
// failed rotation is retried only when a test asks (RotateSecret with the
// same token), never by the scheduler's backoff.
func newFixture(t *testing.T, fns ...server.RotationFunction) *fixture {
	t.Helper()
	f := &fixture{log: &coffertest.LogBuffer{}}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	f.srv = coffertest.NewServer(t, coffertest.Options{
		Logger: slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Configure: func(cfg *server.Config) {
			cfg.Builtins = tapped{f}
			cfg.RotationFunctions = fns
			cfg.Clock = func() time.Time { return now }
			cfg.RotationStepTimeout = 30 * time.Second
		},
	})
	f.sm = secretsmanager.NewFromConfig(f.srv.Config(f.srv.Region), func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 })
	return f
}

// tapped is Rotators with every Func wrapped to run the fixture's
// beforeStep hook and keep the errors it returns.
type tapped struct{ f *fixture }

func (tp tapped) Names() []string { return Rotators{}.Names() }

func (tp tapped) Lookup(name string, opts map[string]string) (rotation.BuiltinFunc, error) {
	fn, err := Rotators{}.Lookup(name, opts)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, sm *secretsmanager.Client, ev rotation.Event) error {
		tp.f.mu.Lock()
		hook := tp.f.beforeStep
		tp.f.mu.Unlock()
		if hook != nil {
			hook(ev)
		}
		err := fn(ctx, sm, ev)
		if err != nil {
			tp.f.mu.Lock()
			tp.f.errs = append(tp.f.errs, err)
			tp.f.mu.Unlock()
		}
		return err
	}, nil
}

func (f *fixture) setBeforeStep(hook func(ev rotation.Event)) {
	f.mu.Lock()
	f.beforeStep = hook
	f.mu.Unlock()
}

// errors returns the errors the rotators have returned so far.
func (f *fixture) errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errs)
}

// wantNoSecretsAnywhere fails the test if a rotator's error, the server's
// log, or the failure DescribeSecret reports holds any of values.
func (f *fixture) wantNoSecretsAnywhere(t *testing.T, arn string, values ...string) {
	t.Helper()
	for _, err := range f.errors() {
		wantNoSecrets(t, "a rotator's error", err.Error(), values...)
	}
	wantNoSecrets(t, "the server log", f.log.String(), values...)
	if fail := f.failure(t, arn); fail != nil {
		wantNoSecrets(t, "CofferRotationFailure", fail.Message, values...)
	}
}

// wantNoSecrets fails the test if text holds any of values.
func wantNoSecrets(t *testing.T, what, text string, values ...string) {
	t.Helper()
	for _, v := range values {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("%s holds a password: %q", what, text)
			return
		}
	}
}

// newSecret creates a secret holding value and returns its ARN.
func (f *fixture) newSecret(t *testing.T, name, value string) string {
	t.Helper()
	out, err := f.sm.CreateSecret(ctxT(t), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
	return aws.ToString(out.ARN)
}

// startRotation calls RotateSecret with the rotation function fn (a
// registered name; "" keeps the secret's) and returns the new version id.
// The scheduler runs the steps in the background. A token repeats an
// unfinished rotation: Coffer retries it at once.
func (f *fixture) startRotation(t *testing.T, arn, fn, token string) string {
	t.Helper()
	in := &secretsmanager.RotateSecretInput{SecretId: aws.String(arn)}
	if fn != "" {
		in.RotationLambdaARN = aws.String(fn)
		in.RotationRules = &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}
	}
	if token != "" {
		in.ClientRequestToken = aws.String(token)
	}
	out, err := f.sm.RotateSecret(ctxT(t), in)
	if err != nil {
		t.Fatalf("RotateSecret(%s, %q): %v", arn, fn, err)
	}
	return aws.ToString(out.VersionId)
}

// rotationFailure is Coffer's report of the last failed attempt.
type rotationFailure struct {
	Step, Message string
	Attempts      int
}

// wait waits until token is AWSCURRENT (nil) or an attempt after the
// attempts already seen has failed (its report).
func (f *fixture) wait(t *testing.T, arn, token string, seen int) *rotationFailure {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if f.versionAt(t, arn, stageCurrent) == token {
			return nil
		}
		if fail := f.failure(t, arn); fail != nil && fail.Attempts > seen {
			return fail
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotation %s of %s neither finished nor failed in 20s", token, arn)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rotate runs one whole rotation of arn with fn, fails the test if it
// does not complete, and returns its token.
func (f *fixture) rotate(t *testing.T, arn, fn string) string {
	t.Helper()
	token := f.startRotation(t, arn, fn, "")
	if fail := f.wait(t, arn, token, 0); fail != nil {
		t.Fatalf("rotation of %s with %s failed at %s: %s", arn, fn, fail.Step, fail.Message)
	}
	return token
}

// rotateFailing runs one rotation of arn with fn that must fail, and
// returns its token and the failure.
func (f *fixture) rotateFailing(t *testing.T, arn, fn string) (string, *rotationFailure) {
	t.Helper()
	token := f.startRotation(t, arn, fn, "")
	fail := f.wait(t, arn, token, 0)
	if fail == nil {
		t.Fatalf("rotation of %s with %s succeeded, want a failure", arn, fn)
	}
	return token, fail
}

// failure returns the CofferRotationFailure DescribeSecret reports, if any
// (the SDK drops the member: it is read from the raw answer).
func (f *fixture) failure(t *testing.T, arn string) *rotationFailure {
	t.Helper()
	var raw struct{ CofferRotationFailure *rotationFailure }
	var body []byte
	_, err := f.sm.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)}, func(o *secretsmanager.Options) {
		o.APIOptions = append(o.APIOptions, captureBody(&body))
	})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("DescribeSecret's answer: %v", err)
	}
	return raw.CofferRotationFailure
}

// captureBody keeps the raw JSON answer before the SDK's deserializer
// (which drops members it does not know) reads it.
func captureBody(out *[]byte) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("captureBody",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				o, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := o.RawResponse.(*smithyhttp.Response); ok && err == nil {
					b, rerr := io.ReadAll(resp.Body)
					if rerr != nil {
						return o, md, rerr
					}
					*out = b
					resp.Body = io.NopCloser(bytes.NewReader(b))
				}
				return o, md, err
			}), middleware.After)
	}
}

// versionAt returns the id of the version labelled stage.
func (f *fixture) versionAt(t *testing.T, arn, stage string) string {
	t.Helper()
	out, err := f.sm.DescribeSecret(ctxT(t), &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatalf("DescribeSecret: %v", err)
	}
	for id, labels := range out.VersionIdsToStages {
		if slices.Contains(labels, stage) {
			return id
		}
	}
	return ""
}

// valueAt returns the SecretString labelled stage.
func (f *fixture) valueAt(t *testing.T, arn, stage string) string {
	t.Helper()
	out, err := f.sm.GetSecretValue(ctxT(t), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("GetSecretValue(%s, %s): %v", arn, stage, err)
	}
	return aws.ToString(out.SecretString)
}
