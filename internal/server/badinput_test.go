package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// rawRequest builds a JSON 1.1 request for target with body, signed by the
// SDK's SigV4 signer with the given credentials (unsigned when akid is "").
func rawRequest(t *testing.T, srv *coffertest.Server, target string, body []byte, akid, secret string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if akid == "" {
		return req
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret},
		req, hex.EncodeToString(sum[:]), "secretsmanager", srv.Region, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return req
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = uuidRE.ReplaceAll(got, []byte("<uuid>"))
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("response differs from %s:\ngot:  %s\nwant: %s", path, got, want)
	}
}

func TestMalformedRequestsGetAWSErrorsAndChangeNothing(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("victim"), SecretString: aws.String("original")}); err != nil {
		t.Fatal(err)
	}
	const put = "secretsmanager.PutSecretValue"
	const create = "secretsmanager.CreateSecret"
	ak, sk := srv.AccessKey, srv.SecretKey
	cases := []struct {
		name       string
		target     string
		body       string
		akid, key  string
		wantStatus int
		wantType   string
	}{
		{"malformed JSON is a SerializationException", put, `{"SecretId":"victim",`, ak, sk, 400, "SerializationException"},
		{"a number where a string belongs is a SerializationException", put, `{"SecretId":"victim","SecretString":5}`, ak, sk, 400, "SerializationException"},
		{"a top-level array is a SerializationException", put, `[1,2]`, ak, sk, 400, "SerializationException"},
		{"an unknown operation is an UnknownOperationException", "secretsmanager.StealEverything", `{}`, ak, sk, 400, "UnknownOperationException"},
		{"an unknown service prefix is an UnknownOperationException", "kms.Nothing", `{}`, ak, sk, 400, "UnknownOperationException"},
		{"a missing SecretId is a ValidationException", put, `{"SecretString":"x"}`, ak, sk, 400, "ValidationException"},
		{"a put without a value is an InvalidRequestException", put, `{"SecretId":"victim"}`, ak, sk, 400, "InvalidRequestException"},
		{"both value kinds is an InvalidParameterException", put, `{"SecretId":"victim","SecretString":"a","SecretBinary":"YQ=="}`, ak, sk, 400, "InvalidParameterException"},
		{"a short ClientRequestToken is an InvalidParameterException", put, `{"SecretId":"victim","SecretString":"a","ClientRequestToken":"short"}`, ak, sk, 400, "InvalidParameterException"},
		{"a name with forbidden characters is an InvalidParameterException", create, `{"Name":"bad name!","SecretString":"a"}`, ak, sk, 400, "InvalidParameterException"},
		{"an oversize value is a ValidationException", put, `{"SecretId":"victim","SecretString":"` + strings.Repeat("a", 65537) + `"}`, ak, sk, 400, "ValidationException"},
		{"an oversize body is refused before parsing", put, `{"SecretId":"victim","SecretString":"` + strings.Repeat("a", 2<<20) + `"}`, ak, sk, 413, "RequestEntityTooLargeException"},
		{"an unsigned request is a MissingAuthenticationTokenException", put, `{"SecretId":"victim","SecretString":"x"}`, "", "", 400, "MissingAuthenticationTokenException"},
		{"an unknown access key is an UnrecognizedClientException", put, `{"SecretId":"victim","SecretString":"x"}`, "AKIAUNKNOWNKEY000000", sk, 400, "UnrecognizedClientException"},
		{"a wrong secret key is an InvalidSignatureException", put, `{"SecretId":"victim","SecretString":"x"}`, ak, "wrong" + sk[5:], 400, "InvalidSignatureException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := rawRequest(t, srv, tc.target, []byte(tc.body), tc.akid, tc.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, body)
			}
			if got := resp.Header.Get("X-Amzn-Errortype"); got != tc.wantType {
				t.Errorf("x-amzn-ErrorType = %q, want %q", got, tc.wantType)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			checkGolden(t, strings.ReplaceAll(tc.name, " ", "_"), body)
			// Nothing half-written: the victim is unchanged and no secret appeared.
			v, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("victim")})
			if err != nil || aws.ToString(v.SecretString) != "original" {
				t.Fatalf("victim after refused request = %v, %v", v, err)
			}
			vs, err := srv.Client.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("victim"), IncludeDeprecated: aws.Bool(true)})
			if err != nil || len(vs.Versions) != 1 {
				t.Fatalf("victim has %d versions after a refused request (%v)", len(vs.Versions), err)
			}
			l, err := srv.Client.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
			if err != nil || len(l.SecretList) != 1 {
				t.Fatalf("ListSecrets after refused request: %d secrets (%v)", len(l.SecretList), err)
			}
		})
	}
}

func TestRestartSurvivesDeletedBootstrapKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{DataDir: dir})
	// A second admin key, then retire the bootstrap key through the store.
	store := srv.IAM()
	k2, err := store.CreateAccessKey(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.DeleteAccessKey(ctx, "admin", srv.AccessKey); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "credentials")); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	again := coffertest.NewServer(t, coffertest.Options{DataDir: dir})
	if _, err := os.Stat(filepath.Join(dir, "credentials")); !os.IsNotExist(err) {
		t.Fatalf("credentials file rewritten for a deleted key (stat err %v)", err)
	}
	c := again.ClientWith("us-east-1", k2.ID, k2.Secret.Reveal())
	if _, err := c.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatalf("the remaining admin key no longer works: %v", err)
	}
}

func TestShutdownEndsWatches(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	// A watch long-polls for 25 s; shutting down must not wait for it.
	if _, err := srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: aws.String("w"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	get, err := http.NewRequest(http.MethodGet, srv.URL+"/coffer/v1/watch?since=1&wait=25s", nil)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey},
		get, hex.EncodeToString(sum[:]), "secretsmanager", srv.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(get)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	// Wait (polling, with a deadline) until the watch is parked.
	deadline := time.Now().Add(10 * time.Second)
	for srv.OpenWatches() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watch never reached the server")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	srv.Stop(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v with a watch open", d)
	}
	if r := <-done; r.err != nil || r.status != http.StatusOK {
		t.Fatalf("the open watch ended with %d, %v; want an empty 200", r.status, r.err)
	}
}
