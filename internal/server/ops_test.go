package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyAndMetrics(t *testing.T) {
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{})
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, srv.URL+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	const name, value = "metrics/canary-name-7Q2", "canary-value-Z9x"
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("missing")}); err == nil {
		t.Fatal("GetSecretValue of a missing secret succeeded")
	}
	bad := coffertest.HTTPClient()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "secretsmanager.ListSecrets")
	if resp, err := bad.Do(req); err == nil {
		resp.Body.Close()
	}

	code, body := get(t, srv.URL+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`coffer_requests_total{code="OK",operation="CreateSecret",service="secretsmanager"} 1`,
		`coffer_requests_total{code="OK",operation="GetSecretValue",service="secretsmanager"} 2`,
		`coffer_requests_total{code="ResourceNotFoundException",operation="GetSecretValue",service="secretsmanager"} 1`,
		`coffer_requests_total{code="MissingAuthenticationTokenException",operation="ListSecrets",service="secretsmanager"} 1`,
		`coffer_request_duration_seconds_count{operation="GetSecretValue",service="secretsmanager"} 3`,
		`coffer_watches_open 0`,
		`coffer_audit_records_total`,
		`coffer_audit_fsyncs_total`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{name, value} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics contains %q", leak)
		}
	}
}
