package rotation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/server"
)

func TestMissedWindowRotatesOnceAtStart(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	dir := filepath.Join(t.TempDir(), "data")
	h := &handler{key: []byte("k"), calls: map[string]int{}}
	f := start(t, c, dir, h)
	arn := f.create(t, "nightly", "v1")
	_, err := f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: &arn, RotationLambdaARN: &f.arn, RotateImmediately: aws.Bool(false),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := f.describe(t, arn)
	if want := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC); d.NextRotationDate == nil || !d.NextRotationDate.Equal(want) {
		t.Fatalf("NextRotationDate = %v, want %v", d.NextRotationDate, want)
	}
	if len(d.VersionIdsToStages) != 1 || h.count("createSecret") != 0 {
		t.Fatal("RotateImmediately=false started a rotation")
	}
	f.srv.Stop(t)

	c.Advance(3 * 24 * time.Hour) // the window passed while the server was down
	f2 := start(t, c, dir, h)
	waitFor(t, "the missed rotation", func() bool {
		return f2.describe(t, arn).LastRotatedDate != nil
	})
	for range 3 {
		f2.srv.Scheduler().RunOnce(ctx)
	}
	if n := h.count("createSecret"); n != 1 {
		t.Fatalf("createSecret ran %d times, want 1", n)
	}
	d = f2.describe(t, arn)
	if len(d.VersionIdsToStages) != 2 {
		t.Fatalf("VersionIdsToStages = %v", d.VersionIdsToStages)
	}
	if want := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC); d.NextRotationDate == nil || !d.NextRotationDate.Equal(want) {
		t.Fatalf("NextRotationDate after the rotation = %v, want %v", d.NextRotationDate, want)
	}
}

func TestConcurrentTriggersRotateOnce(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	h := &handler{key: []byte("k"), calls: map[string]int{}, gate: make(chan struct{})}
	f := start(t, c, "", h)
	arn := f.create(t, "busy", "v1")

	// Five RotateSecret calls at once: one starts the rotation, the others
	// are told a rotation is in progress.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
				SecretId: &arn, RotationLambdaARN: &f.arn,
				RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)},
			})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case apiCode(err) != "InvalidRequestException":
			t.Errorf("RotateSecret: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d RotateSecret calls started a rotation, want 1", ok)
	}
	// The scheduler triggered again from several sides at once.
	for range 3 {
		wg.Go(func() { f.srv.Scheduler().RunOnce(ctx) })
		f.srv.Scheduler().Kick()
	}
	time.Sleep(50 * time.Millisecond) // let the extra sweeps find the rotation in flight
	close(h.gate)
	wg.Wait()
	waitFor(t, "rotation", func() bool { return f.describe(t, arn).LastRotatedDate != nil })

	// The scheduled rotation, due at the next window, also runs once when
	// triggered from several sides at once.
	c.Advance(48 * time.Hour)
	for range 3 {
		wg.Go(func() { f.srv.Scheduler().RunOnce(ctx) })
		f.srv.Scheduler().Kick()
	}
	wg.Wait()
	waitFor(t, "scheduled rotation", func() bool { return h.count("finishSecret") == 2 })
	for range 2 {
		f.srv.Scheduler().RunOnce(ctx)
	}
	if n := h.count("createSecret"); n != 2 {
		t.Fatalf("createSecret ran %d times for two rotations", n)
	}
	// v1 (now without a label), the first rotation's version (AWSPREVIOUS)
	// and the second's (AWSCURRENT): one version per rotation.
	out, err := f.srv.Client.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: &arn, IncludeDeprecated: aws.Bool(true)})
	if err != nil || len(out.Versions) != 3 {
		t.Fatalf("ListSecretVersionIds = %v, %v; want 3 versions", out, err)
	}
}

func TestRetentionAndDeletionPurgeWhenDue(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	f := start(t, c, "", nil)
	client := f.srv.Client
	arn := f.create(t, "kept", "v1")
	first := currentVersion(f.describe(t, arn))
	for _, v := range []string{"v2", "v3"} {
		if _, err := client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: &arn, SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	// v1 lost its last label (AWSPREVIOUS) now.
	versions := func() []string {
		out, err := client.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: &arn, IncludeDeprecated: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range out.Versions {
			ids = append(ids, aws.ToString(v.VersionId))
		}
		return ids
	}
	if !slices.Contains(versions(), first) {
		t.Fatal("deprecated version missing before its retention ended")
	}
	c.Advance(30*24*time.Hour - time.Minute)
	f.srv.Scheduler().RunOnce(ctx)
	if !slices.Contains(versions(), first) {
		t.Fatal("deprecated version purged before its 30 days were up")
	}
	if _, err := client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &arn, VersionId: &first}); err != nil {
		t.Fatalf("deprecated version unreadable before its retention ended: %v", err)
	}
	c.Advance(2 * time.Minute)
	f.srv.Scheduler().RunOnce(ctx)
	if got := versions(); slices.Contains(got, first) || len(got) != 2 {
		t.Fatalf("versions after retention = %v, want the 2 labelled ones", got)
	}
	if _, err := client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &arn, VersionId: &first}); apiCode(err) != "ResourceNotFoundException" {
		t.Fatalf("purged version: %v", err)
	}

	// A deletion window of 7 days: restorable until then, purged after.
	gone := f.create(t, "doomed", "x")
	if _, err := client.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: &gone, RecoveryWindowInDays: aws.Int64(7)}); err != nil {
		t.Fatal(err)
	}
	listed := func() bool {
		out, err := client.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.SecretList {
			if aws.ToString(s.ARN) == gone {
				return true
			}
		}
		return false
	}
	c.Advance(7*24*time.Hour - time.Minute)
	f.srv.Scheduler().RunOnce(ctx)
	if !listed() {
		t.Fatal("secret purged before its recovery window ended")
	}
	c.Advance(2 * time.Minute)
	f.srv.Scheduler().RunOnce(ctx)
	if listed() {
		t.Fatal("secret not purged after its recovery window")
	}
	// Its name is free again, with no trace of the old versions.
	if _, err := client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("doomed"), SecretString: aws.String("y")}); err != nil {
		t.Fatal(err)
	}
}

// An unmodified boto3 handler, run as an executable with the event on
// stdin, rotates a secret with the credentials Coffer puts in its
// environment - and those credentials reach only that secret.
func TestExecFunctionWithBoto3(t *testing.T) {
	python, err := lookPython()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	script := filepath.Join(dir, "rotate.py")
	if err := os.WriteFile(script, []byte(boto3Handler), 0o700); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	srv := coffertest.NewServer(t, coffertest.Options{Configure: func(cfg *server.Config) {
		cfg.Clock = c.Now
		cfg.RotationStepTimeout = 30 * time.Second
		cfg.RotationFunctions = []server.RotationFunction{{Name: "py-rot", Command: []string{python, script}}}
	}})
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("other"), SecretString: aws.String("not yours")}); err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("old-key")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ARN)
	rot, err := srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{
		SecretId: &arn, RotationLambdaARN: aws.String("py-rot"),
		RotationRules: &smtypes.RotationRulesType{ScheduleExpression: aws.String("rate(12 hours)")},
	})
	if err != nil {
		t.Fatal(err)
	}
	token := aws.ToString(rot.VersionId)
	var d *sm.DescribeSecretOutput
	waitForUpTo(t, time.Minute, "the boto3 rotation (four Python processes)", func() bool {
		d, err = srv.Client.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: &arn})
		return err == nil && currentVersion(d) == token
	})
	v, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		t.Fatal(err)
	}
	val := aws.ToString(v.SecretString)
	// The handler records, in the new value, that reading another secret
	// with its credentials was denied.
	if !strings.HasPrefix(val, "rotated:") || !strings.HasSuffix(val, ":other-denied") {
		t.Fatalf("rotated value has the wrong shape (len %d)", len(val))
	}
}

func lookPython() (string, error) {
	for _, p := range []string{"python3", "python"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", os.ErrNotExist
}

// boto3Handler is a rotation handler as AWS's templates write one, plus a
// main that reads the event from stdin.
const boto3Handler = `#!/usr/bin/env python3
import json, sys
import boto3, botocore

def lambda_handler(event, context):
    arn, token, step = event['SecretId'], event['ClientRequestToken'], event['Step']
    client = boto3.client('secretsmanager')
    metadata = client.describe_secret(SecretId=arn)
    if not metadata['RotationEnabled']:
        raise ValueError("Secret %s is not enabled for rotation" % arn)
    versions = metadata['VersionIdsToStages']
    if token not in versions:
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if "AWSCURRENT" in versions[token]:
        return
    elif "AWSPENDING" not in versions[token]:
        raise ValueError("Secret version %s not set as AWSPENDING for rotation of secret %s." % (token, arn))
    if step == "createSecret":
        client.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            try:
                client.get_secret_value(SecretId="other")
                other = "other-readable"
            except botocore.exceptions.ClientError as e:
                other = "other-denied" if e.response['Error']['Code'] == 'AccessDeniedException' else e.response['Error']['Code']
            pw = client.get_random_password(ExcludePunctuation=True)['RandomPassword']
            client.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated:" + pw + ":" + other, VersionStages=['AWSPENDING'])
    elif step in ("setSecret", "testSecret"):
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
    elif step == "finishSecret":
        current = None
        for version in metadata["VersionIdsToStages"]:
            if "AWSCURRENT" in metadata["VersionIdsToStages"][version]:
                if version == token:
                    return
                current = version
                break
        client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
    else:
        raise ValueError("Invalid step parameter")

if __name__ == "__main__":
    lambda_handler(json.load(sys.stdin), None)
`

// A function that hangs holds up no other rotation, and fails its step at
// the step timeout.
func TestHungFunctionTimesOutAlone(t *testing.T) {
	ctx := context.Background()
	newHang := func() (*httptest.Server, chan struct{}) {
		entered := make(chan struct{}, 8)
		released := make(chan struct{})
		hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			select { // never answers while the test runs
			case <-r.Context().Done():
			case <-released:
			}
		}))
		t.Cleanup(hang.Close)
		t.Cleanup(func() { close(released) })
		return hang, entered
	}
	rules := &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)}
	create := func(srv *coffertest.Server, name string) string {
		out, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v1")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ARN)
	}

	// Not blocked: while one function hangs (with a long step timeout),
	// another secret's rotation runs to the end.
	hang, entered := newHang()
	h := &handler{key: []byte("k"), calls: map[string]int{}}
	good := httptest.NewServer(h)
	t.Cleanup(good.Close)
	keyFile := filepath.Join(t.TempDir(), "k")
	if err := os.WriteFile(keyFile, h.key, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	srv := coffertest.NewServer(t, coffertest.Options{Configure: func(cfg *server.Config) {
		cfg.Clock = c.Now
		cfg.RotationStepTimeout = time.Minute
		cfg.RotationFunctions = []server.RotationFunction{{Name: "hangs", URL: hang.URL}, {Name: "good", URL: good.URL, SigningKeyFile: keyFile}}
	}})
	h.sm = srv.Client
	stuck, fine := create(srv, "stuck"), create(srv, "fine")
	if _, err := srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &stuck, RotationLambdaARN: aws.String("hangs"), RotationRules: rules}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(15 * time.Second):
		t.Fatal("the hanging function was never called")
	}
	if _, err := srv.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &fine, RotationLambdaARN: aws.String("good"), RotationRules: rules}); err != nil {
		t.Fatal(err)
	}
	waitRotations(t, srv, fine, 1)
	if raw := describeRaw(t, srv, stuck); raw["CofferRotationFailure"] != nil {
		t.Fatalf("the hung step ended early: %v", raw["CofferRotationFailure"])
	}

	// Timed out: with a short step timeout the hung step fails, and the
	// failure says why.
	hang2, _ := newHang()
	srv2 := coffertest.NewServer(t, coffertest.Options{Configure: func(cfg *server.Config) {
		cfg.Clock = c.Now
		cfg.RotationStepTimeout = 300 * time.Millisecond
		cfg.RotationFunctions = []server.RotationFunction{{Name: "hangs", URL: hang2.URL}}
	}})
	stuck2 := create(srv2, "stuck")
	if _, err := srv2.Client.RotateSecret(ctx, &sm.RotateSecretInput{SecretId: &stuck2, RotationLambdaARN: aws.String("hangs"), RotationRules: rules}); err != nil {
		t.Fatal(err)
	}
	var fail map[string]any
	waitFor(t, "the hung step to time out", func() bool {
		fail, _ = describeRaw(t, srv2, stuck2)["CofferRotationFailure"].(map[string]any)
		return fail != nil
	})
	if msg, _ := fail["Message"].(string); fail["Step"] != "createSecret" || !strings.Contains(msg, "deadline") && !strings.Contains(msg, "timeout") {
		t.Errorf("failure = %v", fail)
	}
}
