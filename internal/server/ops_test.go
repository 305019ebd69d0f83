package server_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
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
	// The second read of the secret was served from the caches, and every
	// signed request read its access key and user through the IAM cache.
	for _, c := range []struct {
		metric string
		min    float64
	}{
		{`coffer_cache_hits_total{cache="secret_record"}`, 1},
		{`coffer_cache_hits_total{cache="secret_value"}`, 1},
		{`coffer_cache_misses_total{cache="secret_value"}`, 0},
		{`coffer_cache_hits_total{cache="iam_record"}`, 4},
		{`coffer_cache_misses_total{cache="iam_record"}`, 1},
	} {
		v, ok := metricValue(body, c.metric)
		if !ok || v < c.min {
			t.Errorf("/metrics: %s = %v (present %v), want at least %v", c.metric, v, ok, c.min)
		}
	}
}

// metricValue returns the value of the sample named exactly series (name
// and labels) in a Prometheus text exposition.
func metricValue(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}
