package iamapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// newServer starts a server and returns it with an admin IAM client.
func newServer(t *testing.T) (*coffertest.Server, *iam.Client) {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	return srv, iam.NewFromConfig(srv.Config(srv.Region))
}

// clientWith is an IAM client signing with the given access key.
func clientWith(srv *coffertest.Server, akid, secret string) *iam.Client {
	cfg := srv.Config(srv.Region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(akid, secret, "")
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.RetryMaxAttempts = 1 })
}

// wantError fails the test unless err is the AWS error code with the HTTP
// status, and returns its message.
func wantError(t *testing.T, err error, code string, status int) string {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	ae, ok := errors.AsType[smithy.APIError](err)
	if !ok {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%v), want %s", ae.ErrorCode(), err, code)
	}
	re, ok := errors.AsType[*awshttp.ResponseError](err)
	if !ok {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("%s: HTTP status = %d, want %d", code, re.HTTPStatusCode(), status)
	}
	return ae.ErrorMessage()
}

func mustCreateUser(t *testing.T, c *iam.Client, name string) *iam.CreateUserOutput {
	t.Helper()
	out, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return out
}

// trustPolicy lets the account's principals assume a role.
const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`

func mustCreateRole(t *testing.T, c *iam.Client, name string) *iam.CreateRoleOutput {
	t.Helper()
	out, err := c.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return out
}

// decodeDocument undoes the URL encoding IAM applies to policy documents.
func decodeDocument(t *testing.T, doc *string) string {
	t.Helper()
	if doc == nil {
		t.Fatal("policy document missing")
	}
	plain, err := url.PathUnescape(*doc)
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", *doc, err)
	}
	return plain
}

// postForm sends a query-protocol IAM request signed by the SDK's signer
// with the admin key, and returns the status and body.
func postForm(t *testing.T, srv *coffertest.Server, params url.Values) (int, []byte) {
	t.Helper()
	if !params.Has("Version") {
		params.Set("Version", "2010-05-08")
	}
	body := []byte(params.Encode())
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey},
		req, hex.EncodeToString(sum[:]), "iam", srv.Region, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, got
}

// form builds request parameters from alternating names and values.
func form(action string, kv ...string) url.Values {
	v := url.Values{"Action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// xmlError is a query-protocol error body.
type xmlError struct {
	Error struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

func parseError(t *testing.T, body []byte) xmlError {
	t.Helper()
	var e xmlError
	if err := xml.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not XML: %v\n%s", err, body)
	}
	return e
}

var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<request-id>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "<date>"},
	{regexp.MustCompile(`\b(AIDA|AROA|AKIA)[A-Z2-7]{16,17}\b`), "<$1-id>"},
}

// checkGolden compares body, with request ids, dates and entity ids
// normalized, to testdata/name.golden (rewritten under -update).
func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	for _, n := range normalizers {
		body = n.re.ReplaceAll(body, []byte(n.with))
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("response differs from %s:\ngot:  %s\nwant: %s", path, body, want)
	}
}
