package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/secretsmanager"
	ssmapi "github.com/coffer-dev/coffer/internal/ssm"
)

// events reads every event of the server's audit log.
func events(t *testing.T, srv *coffertest.Server) []*audit.Event {
	t.Helper()
	var out []*audit.Event
	if err := audit.Query(context.Background(), srv.AuditDir(), audit.Filter{}, func(e *audit.Event) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func requestID(md smithymw.Metadata) string {
	id, _ := middleware.GetRequestIDMetadata(md)
	return id
}

// Every request, allowed or denied, in every service, leaves exactly one
// event with who, where, what, on which resource, the decision and the
// outcome - and no value, token, secret key or signature anywhere.
func TestEveryRequestIsAuditedOnce(t *testing.T) {
	ctx := context.Background()
	logs := &coffertest.LogBuffer{}
	srv := coffertest.NewServer(t, coffertest.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const value = "audit-canary-value-4hX9"
	if _, err := srv.IAM().CreateUser(ctx, "nobody", "/", nil); err != nil {
		t.Fatal(err)
	}
	key, err := srv.IAM().CreateAccessKey(ctx, "nobody")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config(srv.Region)
	admin := sm.NewFromConfig(cfg)
	nobodyCfg := cfg.Copy()
	nobodyCfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret.Reveal()}, nil
	})
	nobody := sm.NewFromConfig(nobodyCfg)

	type call struct {
		name      string
		service   string
		op        string
		principal string // ARN
		decision  audit.Decision
		errCode   string
		resource  bool // names a secret
		run       func() (smithymw.Metadata, error)
	}
	adminARN := "arn:aws:iam::" + srv.Account() + ":user/admin"
	nobodyARN := "arn:aws:iam::" + srv.Account() + ":user/nobody"
	var secretARN string
	calls := []call{
		{"create", "secretsmanager", "CreateSecret", adminARN, audit.Allow, "", true, func() (smithymw.Metadata, error) {
			out, err := admin.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("audited"), SecretString: aws.String(value)})
			if err == nil {
				secretARN = aws.ToString(out.ARN)
				return out.ResultMetadata, nil
			}
			return smithymw.Metadata{}, err
		}},
		{"get", "secretsmanager", "GetSecretValue", adminARN, audit.Allow, "", true, func() (smithymw.Metadata, error) {
			out, err := admin.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("audited")})
			if err != nil {
				return smithymw.Metadata{}, err
			}
			return out.ResultMetadata, nil
		}},
		{"put", "secretsmanager", "PutSecretValue", adminARN, audit.Allow, "", true, func() (smithymw.Metadata, error) {
			out, err := admin.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("audited"), SecretString: aws.String(value + "-2")})
			if err != nil {
				return smithymw.Metadata{}, err
			}
			return out.ResultMetadata, nil
		}},
		{"denied get", "secretsmanager", "GetSecretValue", nobodyARN, audit.Deny, "AccessDeniedException", true, func() (smithymw.Metadata, error) {
			_, err := nobody.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("audited")})
			return smithymw.Metadata{}, err
		}},
		{"denied list", "secretsmanager", "ListSecrets", nobodyARN, audit.Deny, "AccessDeniedException", false, func() (smithymw.Metadata, error) {
			_, err := nobody.ListSecrets(ctx, &sm.ListSecretsInput{})
			return smithymw.Metadata{}, err
		}},
		{"ssm put", "ssm", "PutParameter", adminARN, audit.Allow, "", true, func() (smithymw.Metadata, error) {
			out, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/audit/p"), Value: aws.String(value), Type: "SecureString"})
			if err != nil {
				return smithymw.Metadata{}, err
			}
			return out.ResultMetadata, nil
		}},
		{"ssm denied", "ssm", "GetParameter", nobodyARN, audit.Deny, "AccessDeniedException", true, func() (smithymw.Metadata, error) {
			_, err := ssm.NewFromConfig(nobodyCfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/audit/p"), WithDecryption: aws.Bool(true)})
			return smithymw.Metadata{}, err
		}},
		{"iam", "iam", "ListUsers", adminARN, audit.Allow, "", false, func() (smithymw.Metadata, error) {
			out, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{})
			if err != nil {
				return smithymw.Metadata{}, err
			}
			return out.ResultMetadata, nil
		}},
		{"iam denied", "iam", "CreateUser", nobodyARN, audit.Deny, "AccessDenied", true, func() (smithymw.Metadata, error) {
			_, err := iam.NewFromConfig(nobodyCfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sneaky")})
			return smithymw.Metadata{}, err
		}},
		{"sts", "sts", "GetCallerIdentity", nobodyARN, "", "", false, func() (smithymw.Metadata, error) {
			out, err := sts.NewFromConfig(nobodyCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return smithymw.Metadata{}, err
			}
			return out.ResultMetadata, nil
		}},
	}
	ids := map[string]call{}
	for _, c := range calls {
		md, err := c.run()
		if (err == nil) != (c.errCode == "") {
			t.Fatalf("%s: %v", c.name, err)
		}
		id := requestID(md)
		if err != nil {
			var re interface{ ServiceRequestID() string }
			if errors.As(err, &re) {
				id = re.ServiceRequestID()
			}
		}
		if id == "" {
			t.Fatalf("%s: no request id", c.name)
		}
		ids[id] = c
	}
	// A request with a bad signature, and one with none.
	for _, auth := range []string{"", "AWS4-HMAC-SHA256 Credential=" + key.ID + "/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("5a", 32)} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"SecretId":"audited"}`))
		req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := coffertest.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ids[resp.Header.Get("x-amzn-RequestId")] = call{name: "unauthenticated", service: "secretsmanager", op: "GetSecretValue", decision: audit.Deny}
	}

	seen := map[string]int{}
	for _, e := range events(t, srv) {
		if e.Type != audit.APICall {
			continue
		}
		seen[e.RequestID]++
		c, ok := ids[e.RequestID]
		if !ok {
			continue // the test's own set-up (none expected, but harmless)
		}
		if e.Service != c.service || e.Operation != c.op {
			t.Errorf("%s: event %s/%s", c.name, e.Service, e.Operation)
		}
		if c.principal != "" && e.Principal.ARN != c.principal {
			t.Errorf("%s: principal %q, want %q", c.name, e.Principal.ARN, c.principal)
		}
		if c.principal != "" && e.Principal.AccessKeyID == "" {
			t.Errorf("%s: no access key id", c.name)
		}
		if e.SourceIP != "127.0.0.1" || e.UserAgent == "" || e.Region != "us-east-1" && c.name != "unauthenticated" {
			t.Errorf("%s: source %q, agent %q, region %q", c.name, e.SourceIP, e.UserAgent, e.Region)
		}
		if c.decision != "" && e.Decision != c.decision {
			t.Errorf("%s: decision %q, want %q", c.name, e.Decision, c.decision)
		}
		if c.decision == audit.Allow && e.StatementID == "" {
			t.Errorf("%s: an allowed request names no deciding statement", c.name)
		}
		if c.errCode != "" && e.ErrorCode != c.errCode {
			t.Errorf("%s: error code %q, want %q", c.name, e.ErrorCode, c.errCode)
		}
		if c.resource && len(e.Resources) == 0 {
			t.Errorf("%s: no resource", c.name)
		}
		if e.Latency <= 0 || e.Status == 0 {
			t.Errorf("%s: latency %v status %d", c.name, e.Latency, e.Status)
		}
		if c.op == "GetSecretValue" && c.decision == audit.Allow && (e.VersionID == "" || e.VersionStage != "AWSCURRENT") {
			t.Errorf("%s: version %q stage %q", c.name, e.VersionID, e.VersionStage)
		}
	}
	for id, c := range ids {
		if seen[id] != 1 {
			t.Errorf("%s (%s): %d events, want exactly 1", c.name, id, seen[id])
		}
	}
	if secretARN == "" {
		t.Fatal("no secret")
	}

	// No value, token, secret key or signature in the log files or the
	// server's own log lines, in any common encoding.
	leaks := []string{value, key.Secret.Reveal(), srv.SecretKey, strings.Repeat("5a", 32)}
	var files []byte
	filepath.Walk(srv.AuditDir(), func(path string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(path)
			files = append(files, b...)
		}
		return nil
	})
	for _, leak := range leaks {
		for _, form := range []string{leak, base64.StdEncoding.EncodeToString([]byte(leak))} {
			if bytes.Contains(files, []byte(form)) {
				t.Errorf("audit files contain a secret (%d bytes)", len(leak))
			}
			if strings.Contains(logs.String(), form) {
				t.Errorf("server log contains a secret (%d bytes)", len(leak))
			}
		}
	}
	// The chain verifies.
	paths, err := audit.Files(srv.AuditDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, audit.VerifyOptions{PublicKey: srv.AuditKeys().PublicKey(), Live: true}, paths...); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// With the audit log unwritable, a read is refused and serves nothing; when
// it is writable again, requests are served and the chain still verifies.
func TestAuditFailsClosed(t *testing.T) {
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{})
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("guarded"), SecretString: aws.String("guarded-value")}); err != nil {
		t.Fatal(err)
	}
	dir := srv.AuditDir()
	moved := dir + ".away"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	// Root can write anywhere, so the failure is a real one root meets: the
	// log's directory is gone (and a file stands in its way).
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("guarded")})
	if err == nil {
		t.Fatal("GetSecretValue served while the audit log was unwritable")
	}
	if out != nil && out.SecretString != nil {
		t.Fatal("a value was returned without an audit record")
	}
	if !strings.Contains(err.Error(), "InternalServiceError") || !strings.Contains(err.Error(), "could not be audited") {
		t.Fatalf("error = %v", err)
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d while auditing fails", code)
	}

	os.Remove(dir)
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err = srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("guarded")})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if aws.ToString(out.SecretString) != "guarded-value" {
		t.Fatal("wrong value after recovery")
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d after recovery", code)
	}
	paths, err := audit.Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(ctx, audit.VerifyOptions{PublicKey: srv.AuditKeys().PublicKey(), Live: true}, paths...); err != nil {
		t.Fatalf("verify after recovery: %v", err)
	}
}

// Every operation of the JSON services - as the admin and as a user with
// no policy, whatever its outcome - leaves exactly one event naming it.
func TestEveryOperationIsAuditedOnce(t *testing.T) {
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{})
	if _, err := srv.IAM().CreateUser(ctx, "nobody", "/", nil); err != nil {
		t.Fatal(err)
	}
	key, err := srv.IAM().CreateAccessKey(ctx, "nobody")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("everyop"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	type sent struct{ service, op, principal string }
	ids := map[string]sent{}
	services := []struct {
		prefix, signing, service string
		ops                      []string
	}{
		{"secretsmanager", "secretsmanager", "secretsmanager", secretsmanager.NewMux(nil, nil).Names()},
		{"AmazonSSM", "ssm", "ssm", ssmapi.NewMux(nil, nil).Names()},
	}
	creds := []struct{ akid, secret, arn string }{
		{srv.AccessKey, srv.SecretKey, "arn:aws:iam::" + srv.Account() + ":user/admin"},
		{key.ID, key.Secret.Reveal(), "arn:aws:iam::" + srv.Account() + ":user/nobody"},
	}
	body := []byte(`{"SecretId":"everyop","Name":"/everyop"}`)
	for _, svc := range services {
		if len(svc.ops) < 10 {
			t.Fatalf("%s: only %d operations", svc.prefix, len(svc.ops))
		}
		for _, op := range svc.ops {
			for _, c := range creds {
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				req.Header.Set("X-Amz-Target", svc.prefix+"."+op)
				sum := sha256.Sum256(body)
				if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.secret},
					req, hex.EncodeToString(sum[:]), svc.signing, srv.Region, time.Now()); err != nil {
					t.Fatal(err)
				}
				resp, err := coffertest.HTTPClient().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				ids[resp.Header.Get("x-amzn-RequestId")] = sent{svc.service, op, c.arn}
			}
		}
	}
	count := map[string]int{}
	for _, e := range events(t, srv) {
		s, ok := ids[e.RequestID]
		if !ok {
			continue
		}
		count[e.RequestID]++
		if e.Service != s.service || e.Operation != s.op || e.Principal.ARN != s.principal || e.Status == 0 {
			t.Errorf("%s %s by %s: event %s/%s by %s, status %d", s.service, s.op, s.principal, e.Service, e.Operation, e.Principal.ARN, e.Status)
		}
		if s.principal == creds[1].arn && e.Decision == audit.Allow && e.Operation != "GetRandomPassword" {
			t.Errorf("%s by a user with no policy was allowed", s.op)
		}
	}
	for id, s := range ids {
		if count[id] != 1 {
			t.Errorf("%s.%s by %s: %d events, want 1", s.service, s.op, s.principal, count[id])
		}
	}
}
