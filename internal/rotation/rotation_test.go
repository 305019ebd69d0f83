package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/server"
)

// clock is an injectable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// handler is a rotation function written as AWS's rotation Lambda
// templates are, served over HTTP. It "rotates" the password of a pretend
// service (password), and can be told to fail testSecret.
type handler struct {
	t        *testing.T
	key      []byte
	sm       *sm.Client // the function's own credentials
	mu       sync.Mutex
	calls    map[string]int
	password string // what the pretend service accepts
	failTest int    // testSecret failures still to inject
	gate     chan struct{}
}

func (h *handler) count(step string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[step]
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !rotation.VerifySignature(h.key, body, r.Header.Get(rotation.SignatureHeader), time.Now(), 5*time.Minute) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev rotation.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get(rotation.StepHeader) != ev.Step {
		http.Error(w, "step header mismatch", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.calls[ev.Step]++
	h.mu.Unlock()
	if err := h.step(r.Context(), ev); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *handler) step(ctx context.Context, ev rotation.Event) error {
	d, err := h.sm.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &ev.SecretID})
	if err != nil {
		return err
	}
	if !aws.ToBool(d.RotationEnabled) {
		return errors.New("secret is not enabled for rotation")
	}
	stages, ok := d.VersionIdsToStages[ev.ClientRequestToken]
	if !ok {
		return errors.New("secret version has no stage for rotation")
	}
	if slices.Contains(stages, "AWSCURRENT") {
		return nil // already current
	}
	if !slices.Contains(stages, "AWSPENDING") {
		return errors.New("secret version not set as AWSPENDING for rotation")
	}
	pending := &sm.GetSecretValueInput{SecretId: &ev.SecretID, VersionId: &ev.ClientRequestToken, VersionStage: aws.String("AWSPENDING")}
	switch ev.Step {
	case rotation.StepCreate:
		if h.gate != nil {
			<-h.gate
		}
		if _, err := h.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &ev.SecretID, VersionStage: aws.String("AWSCURRENT")}); err != nil {
			return err
		}
		_, err := h.sm.GetSecretValue(ctx, pending)
		var nf *smtypes.ResourceNotFoundException
		if err == nil {
			return nil // created by an earlier attempt
		}
		if !errors.As(err, &nf) {
			return err
		}
		pw, err := h.sm.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{ExcludeCharacters: aws.String(`/@"'\`)})
		if err != nil {
			return err
		}
		_, err = h.sm.PutSecretValue(ctx, &sm.PutSecretValueInput{
			SecretId: &ev.SecretID, ClientRequestToken: &ev.ClientRequestToken,
			SecretString: pw.RandomPassword, VersionStages: []string{"AWSPENDING"},
		})
		return err
	case rotation.StepSet:
		v, err := h.sm.GetSecretValue(ctx, pending)
		if err != nil {
			return err
		}
		h.mu.Lock()
		h.password = aws.ToString(v.SecretString)
		h.mu.Unlock()
		return nil
	case rotation.StepTest:
		v, err := h.sm.GetSecretValue(ctx, pending)
		if err != nil {
			return err
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.failTest > 0 {
			h.failTest--
			return errors.New("unable to log into the service with the pending secret")
		}
		if aws.ToString(v.SecretString) != h.password {
			return errors.New("pending secret does not log in")
		}
		return nil
	case rotation.StepFinish:
		current := ""
		for id, st := range d.VersionIdsToStages {
			if slices.Contains(st, "AWSCURRENT") {
				current = id
			}
		}
		if current == ev.ClientRequestToken {
			return nil
		}
		_, err := h.sm.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
			SecretId: &ev.SecretID, VersionStage: aws.String("AWSCURRENT"),
			MoveToVersionId: &ev.ClientRequestToken, RemoveFromVersionId: &current,
		})
		return err
	}
	return fmt.Errorf("invalid step %q", ev.Step)
}

type fixture struct {
	srv   *coffertest.Server
	h     *handler
	clock *clock
	arn   string // the HTTP function's ARN
}

// start runs a Coffer server with the HTTP rotation function "http-rot"
// registered, on dataDir ("" for a new one).
func start(t *testing.T, c *clock, dataDir string, h *handler) *fixture {
	t.Helper()
	if h == nil {
		h = &handler{t: t, key: []byte("test-signing-key"), calls: map[string]int{}}
	}
	fn := httptest.NewServer(h)
	t.Cleanup(fn.Close)
	keyFile := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(keyFile, h.key, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := coffertest.NewServer(t, coffertest.Options{DataDir: dataDir, Configure: func(cfg *server.Config) {
		cfg.Clock = c.Now
		cfg.RotationStepTimeout = 10 * time.Second
		cfg.RotationFunctions = []server.RotationFunction{{Name: "http-rot", URL: fn.URL, SigningKeyFile: keyFile}}
	}})
	h.sm = srv.Client
	return &fixture{srv: srv, h: h, clock: c, arn: "arn:aws:lambda:us-east-1:" + srv.Account() + ":function:http-rot"}
}

func (f *fixture) create(t *testing.T, name, value string) string {
	t.Helper()
	out, err := f.srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: &name, SecretString: &value})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func (f *fixture) describe(t *testing.T, id string) *sm.DescribeSecretOutput {
	t.Helper()
	d, err := f.srv.Client.DescribeSecret(context.Background(), &sm.DescribeSecretInput{SecretId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// waitFor polls cond (the scheduler works in the background) for at most
// 15 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitForUpTo(t, 15*time.Second, what, cond)
}

// waitForUpTo is waitFor with its own limit.
func waitForUpTo(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stagesOf(d *sm.DescribeSecretOutput, id string) []string {
	s := slices.Clone(d.VersionIdsToStages[id])
	slices.Sort(s)
	return s
}

func currentVersion(d *sm.DescribeSecretOutput) string {
	for id, st := range d.VersionIdsToStages {
		if slices.Contains(st, "AWSCURRENT") {
			return id
		}
	}
	return ""
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestHTTPFunctionRotates(t *testing.T) {
	ctx := context.Background()
	f := start(t, newClock(), "", nil)
	arn := f.create(t, "db/app", "first-password")
	before := currentVersion(f.describe(t, arn))

	out, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: aws.String("db/app"), RotationLambdaARN: &f.arn,
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
	})
	if err != nil {
		t.Fatal(err)
	}
	token := aws.ToString(out.VersionId)
	if token == "" || aws.ToString(out.ARN) != arn {
		t.Fatalf("RotateSecret = %+v", out)
	}
	waitRotations(t, f.srv, arn, 1)

	d := f.describe(t, arn)
	if !aws.ToBool(d.RotationEnabled) || aws.ToString(d.RotationLambdaARN) != f.arn {
		t.Errorf("RotationEnabled=%v RotationLambdaARN=%q", aws.ToBool(d.RotationEnabled), aws.ToString(d.RotationLambdaARN))
	}
	if d.RotationRules == nil || aws.ToInt64(d.RotationRules.AutomaticallyAfterDays) != 30 {
		t.Errorf("RotationRules = %+v", d.RotationRules)
	}
	if d.LastRotatedDate == nil || !d.LastRotatedDate.Equal(f.clock.Now().Truncate(time.Millisecond)) && !d.LastRotatedDate.Equal(f.clock.Now()) {
		t.Errorf("LastRotatedDate = %v, want %v", d.LastRotatedDate, f.clock.Now())
	}
	wantNext := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	if d.NextRotationDate == nil || !d.NextRotationDate.Equal(wantNext) {
		t.Errorf("NextRotationDate = %v, want %v", d.NextRotationDate, wantNext)
	}
	if got := stagesOf(d, before); !slices.Equal(got, []string{"AWSPREVIOUS"}) {
		t.Errorf("old version stages = %v, want [AWSPREVIOUS]", got)
	}
	if got := stagesOf(d, token); !slices.Contains(got, "AWSCURRENT") {
		t.Errorf("new version stages = %v", got)
	}
	v, err := f.srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("db/app")})
	if err != nil {
		t.Fatal(err)
	}
	f.h.mu.Lock()
	pw := f.h.password
	f.h.mu.Unlock()
	if aws.ToString(v.SecretString) != pw || pw == "" || pw == "first-password" {
		t.Errorf("AWSCURRENT does not hold the password the service was set to")
	}
	for _, step := range rotation.Steps {
		if n := f.h.count(step); n != 1 {
			t.Errorf("%s called %d times, want 1", step, n)
		}
	}
	// The scheduler's actions are in the audit trail as service events:
	// each step (recorded before it ran), then the outcome.
	var ops []string
	if err := audit.Query(ctx, f.srv.AuditDir(), audit.Filter{}, func(e *audit.Event) error {
		if e.Type == audit.ServiceEvent && len(e.Resources) == 1 && e.Resources[0].ARN == arn {
			ops = append(ops, e.Operation+":"+e.Params["Step"])
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"RotationStep:createSecret", "RotationStep:setSecret", "RotationStep:testSecret", "RotationStep:finishSecret", "RotationSucceeded:"}
	if !slices.Equal(ops, want) {
		t.Errorf("service events = %v, want %v", ops, want)
	}
	// AWSPENDING left on AWSCURRENT's version: the rotation is complete and
	// the next one proceeds.
	out2, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &arn})
	if err != nil {
		t.Fatalf("second RotateSecret: %v", err)
	}
	waitFor(t, "second rotation", func() bool { return currentVersion(f.describe(t, arn)) == aws.ToString(out2.VersionId) })
}

func TestPendingVersionBeforeCreateSecret(t *testing.T) {
	ctx := context.Background()
	h := &handler{key: []byte("k"), calls: map[string]int{}, gate: make(chan struct{})}
	f := start(t, newClock(), "", h)
	arn := f.create(t, "gated", "v1")
	out, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: &arn, RotationLambdaARN: &f.arn,
		RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("rate(10 days)")},
	})
	if err != nil {
		t.Fatal(err)
	}
	token := aws.ToString(out.VersionId)
	// createSecret has not run: the version is there, AWSPENDING, empty.
	d := f.describe(t, arn)
	if got := stagesOf(d, token); !slices.Equal(got, []string{"AWSPENDING"}) {
		t.Fatalf("pending version stages = %v", got)
	}
	_, err = f.srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &arn, VersionId: &token, VersionStage: aws.String("AWSPENDING")})
	if apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("GetSecretValue of the empty pending version: %v", err)
	}
	// A second rotation while this one runs is refused as AWS refuses it.
	_, err = f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &arn})
	if apiCode(err) != "InvalidRequestException" || !strings.Contains(err.Error(), "previous rotation isn't complete") {
		t.Fatalf("RotateSecret during a rotation: %v", err)
	}
	close(h.gate)
	waitFor(t, "rotation", func() bool { return currentVersion(f.describe(t, arn)) == token })
	if n := f.h.count(rotation.StepCreate); n != 1 {
		t.Errorf("createSecret ran %d times", n)
	}
}

func TestFailedStepLeavesCurrentAndRetries(t *testing.T) {
	ctx := context.Background()
	h := &handler{key: []byte("k"), calls: map[string]int{}, failTest: 1}
	f := start(t, newClock(), "", h)
	arn := f.create(t, "flaky", "original")
	before := currentVersion(f.describe(t, arn))
	out, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: &arn, RotationLambdaARN: &f.arn,
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(7)},
	})
	if err != nil {
		t.Fatal(err)
	}
	token := aws.ToString(out.VersionId)
	waitFor(t, "testSecret to fail", func() bool { return f.h.count(rotation.StepTest) == 1 })
	var raw map[string]any
	waitFor(t, "the failure to be recorded", func() bool {
		raw = describeRaw(t, f.srv, arn)
		return raw["CofferRotationFailure"] != nil
	})
	fail := raw["CofferRotationFailure"].(map[string]any)
	if fail["Step"] != "testSecret" || !strings.Contains(fail["Message"].(string), "unable to log into the service") {
		t.Errorf("CofferRotationFailure = %v", fail)
	}
	d := f.describe(t, arn)
	if currentVersion(d) != before {
		t.Fatal("a failed rotation moved AWSCURRENT")
	}
	if got := stagesOf(d, token); !slices.Equal(got, []string{"AWSPENDING"}) {
		t.Fatalf("pending version stages after failure = %v", got)
	}
	v, err := f.srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &arn})
	if err != nil || aws.ToString(v.SecretString) != "original" {
		t.Fatalf("AWSCURRENT after a failed rotation: %v", err)
	}
	if f.h.count(rotation.StepFinish) != 0 {
		t.Fatal("finishSecret ran after testSecret failed")
	}
	// Not retried before the backoff has passed...
	f.srv.Scheduler().RunOnce(ctx)
	if n := f.h.count(rotation.StepTest); n != 1 {
		t.Fatalf("retried before the backoff: testSecret ran %d times", n)
	}
	// ...and completed with the same token after it.
	f.clock.Advance(2 * time.Minute)
	f.srv.Scheduler().RunOnce(ctx)
	waitRotations(t, f.srv, arn, 1)
	if currentVersion(f.describe(t, arn)) != token {
		t.Fatal("the retry did not complete the rotation with its token")
	}
	if n := f.h.count(rotation.StepCreate); n != 2 {
		t.Errorf("createSecret ran %d times, want 2 (one per attempt)", n)
	}
	if raw := describeRaw(t, f.srv, arn); raw["CofferRotationFailure"] != nil {
		t.Errorf("failure still reported after success: %v", raw["CofferRotationFailure"])
	}
}

// waitRotations waits until the audit trail shows n completed rotations of
// arn: the scheduler records the outcome after it has stored it, so the
// secret's rotation state is final by then.
func waitRotations(t *testing.T, srv *coffertest.Server, arn string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d completed rotation(s)", n), func() bool {
		got := 0
		if err := audit.Query(context.Background(), srv.AuditDir(), audit.Filter{Action: "RotationSucceeded"}, func(e *audit.Event) error {
			if len(e.Resources) == 1 && e.Resources[0].ARN == arn {
				got++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got >= n
	})
}

// describeRaw returns DescribeSecret's JSON, with Coffer's own members.
func describeRaw(t *testing.T, srv *coffertest.Server, id string) map[string]any {
	t.Helper()
	var out map[string]any
	_, err := srv.Client.DescribeSecret(context.Background(), &sm.DescribeSecretInput{SecretId: &id}, func(o *sm.Options) {
		o.APIOptions = append(o.APIOptions, captureBody(&out))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// captureBody decodes the raw JSON response into out before the SDK's
// deserializer (which drops members it does not know) sees it.
func captureBody(out *map[string]any) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("captureBody",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				o, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := o.RawResponse.(*smithyhttp.Response); ok && err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body = io.NopCloser(bytes.NewReader(b))
					json.Unmarshal(b, out)
				}
				return o, md, err
			}), middleware.After)
	}
}

func TestRotateSecretValidation(t *testing.T) {
	ctx := context.Background()
	f := start(t, newClock(), "", nil)
	arn := f.create(t, "checked", "v")
	cases := []struct {
		in   sm.RotateSecretInput
		code string
		msg  string
	}{
		{sm.RotateSecretInput{SecretId: &arn}, "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret."},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:" + f.srv.Account() + ":function:nobody")},
			"AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:999999999999:function:http-rot")},
			"AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1001)}},
			"ValidationException", "automaticallyAfterDays"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(3), ScheduleExpression: aws.String("rate(3 days)")}},
			"InvalidParameterException", "both"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("rate(2 hours)")}},
			"InvalidParameterException", "every 4 hours"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("cron(0 16 1 * MON *)")}},
			"InvalidParameterException", "day-of-month"},
		{sm.RotateSecretInput{SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1), Duration: aws.String("30h")}},
			"InvalidParameterException", "Duration"},
		{sm.RotateSecretInput{SecretId: aws.String("no-such-secret"), RotationLambdaARN: &f.arn}, "ResourceNotFoundException", ""},
	}
	for _, c := range cases {
		_, err := f.srv.Client.RotateSecret(ctx, &c.in)
		if apiCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.msg) {
			t.Errorf("RotateSecret(%s): %v, want %s containing %q", aws.ToString(c.in.RotationLambdaARN), err, c.code, c.msg)
		}
	}
	// Nothing was half-written: no rotation configured, no version added.
	d := f.describe(t, arn)
	if d.RotationEnabled != nil || len(d.VersionIdsToStages) != 1 {
		t.Fatalf("a refused RotateSecret changed the secret: enabled=%v versions=%v", d.RotationEnabled, d.VersionIdsToStages)
	}
	// CancelRotateSecret on a secret never rotated succeeds and changes nothing.
	if _, err := f.srv.Client.CancelRotateSecret(ctx, &sm.CancelRotateSecretInput{SecretId: &arn}); err != nil {
		t.Fatal(err)
	}
}

func TestCancelRotateSecret(t *testing.T) {
	ctx := context.Background()
	h := &handler{key: []byte("k"), calls: map[string]int{}, failTest: 100}
	f := start(t, newClock(), "", h)
	arn := f.create(t, "cancelled", "v")
	out, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: &arn, RotationLambdaARN: &f.arn, RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed attempt", func() bool { return describeRaw(t, f.srv, arn)["CofferRotationFailure"] != nil })
	c, err := f.srv.Client.CancelRotateSecret(ctx, &sm.CancelRotateSecretInput{SecretId: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(c.VersionId) != aws.ToString(out.VersionId) {
		t.Errorf("CancelRotateSecret VersionId = %q, want the pending %q", aws.ToString(c.VersionId), aws.ToString(out.VersionId))
	}
	d := f.describe(t, arn)
	if d.RotationEnabled == nil || *d.RotationEnabled || d.NextRotationDate != nil {
		t.Errorf("after cancel: RotationEnabled=%v NextRotationDate=%v", d.RotationEnabled, d.NextRotationDate)
	}
	// The abandoned attempt is not retried.
	f.clock.Advance(24 * time.Hour)
	tests := h.count(rotation.StepTest)
	f.srv.Scheduler().RunOnce(ctx)
	if h.count(rotation.StepTest) != tests {
		t.Fatal("a cancelled rotation was retried")
	}
	// As on AWS, the pending label stays until removed; then rotation works again.
	if _, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &arn}); apiCode(err) != "InvalidRequestException" {
		t.Fatalf("RotateSecret with AWSPENDING left: %v", err)
	}
	if _, err := f.srv.Client.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
		SecretId: &arn, VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: out.VersionId,
	}); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.failTest = 0
	h.mu.Unlock()
	again, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &arn})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new rotation", func() bool { return currentVersion(f.describe(t, arn)) == aws.ToString(again.VersionId) })
}
