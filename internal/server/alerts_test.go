package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/server"
)

// webhook collects alert deliveries.
type webhook struct {
	mu     sync.Mutex
	alerts []map[string]any
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	w.mu.Lock()
	w.alerts = append(w.alerts, m)
	w.mu.Unlock()
}

func (w *webhook) byRule(rule string) []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	for _, a := range w.alerts {
		if a["rule"] == rule {
			out = append(out, a)
		}
	}
	return out
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAlertsFromTheRequestPath(t *testing.T) {
	ctx := context.Background()
	hook := &webhook{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	srv := coffertest.NewServer(t, coffertest.Options{Configure: func(cfg *server.Config) {
		cfg.Alerts = alert.Config{
			Webhook:   alert.Webhook{URL: hs.URL},
			GroupWait: alert.Duration(300 * time.Millisecond),
		}
	}})
	// A user with no policy at all: every read is denied.
	if _, err := srv.IAM().CreateUser(ctx, "intruder", "/", nil); err != nil {
		t.Fatal(err)
	}
	key, err := srv.IAM().CreateAccessKey(ctx, "intruder")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{
		Name: aws.String("vault/root"), SecretString: aws.String("break-glass-value"),
		Tags: []smtypes.Tag{{Key: aws.String("coffer:break-glass"), Value: aws.String("true")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("ordinary"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	intruder := srv.ClientWith(srv.Region, key.ID, key.Secret.Reveal())
	for range 30 {
		if _, err := intruder.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("ordinary")}); err == nil {
			t.Fatal("a user without a policy read a secret")
		}
	}
	waitUntil(t, "the denied-burst alert", func() bool { return len(hook.byRule(alert.RuleDeniedBurst)) > 0 })
	if _, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("ordinary")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("vault/root")}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the break-glass alert", func() bool { return len(hook.byRule(alert.RuleBreakGlass)) > 0 })
	time.Sleep(500 * time.Millisecond) // any duplicate would have been delivered by now

	burst := hook.byRule(alert.RuleDeniedBurst)
	if len(burst) != 1 {
		t.Fatalf("denied burst of 30 gave %d deliveries, want 1", len(burst))
	}
	if burst[0]["principal"] != "arn:aws:iam::"+srv.Account()+":user/intruder" || burst[0]["count"].(float64) < 10 {
		t.Errorf("denied-burst alert = %v", burst[0])
	}
	bg := hook.byRule(alert.RuleBreakGlass)
	if len(bg) != 1 {
		t.Fatalf("one break-glass read gave %d alerts, want 1", len(bg))
	}
	if res, _ := bg[0]["resource"].(string); res == "" || res[len(res)-17:len(res)-7] != "vault/root" {
		t.Errorf("break-glass alert resource = %v", bg[0]["resource"])
	}
	if _, body := get(t, srv.URL+"/metrics"); !strings.Contains(body, "coffer_alerts_total 2") || !strings.Contains(body, "coffer_alerts_delivered_total 2") {
		t.Errorf("/metrics does not count the two alerts")
	}
	raw, _ := json.Marshal(hook.alerts)
	if strings.Contains(string(raw), "break-glass-value") {
		t.Error("an alert carried a secret value")
	}
}

// TestAlertRulesWarmFromTheAuditLogAtStart restarts a server on its data
// dir: the new process replays the secret reads its audit log holds (the
// successful value reads only) into the alert rules before serving.
func TestAlertRulesWarmFromTheAuditLogAtStart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "coffer-data")
	first := coffertest.NewServer(t, coffertest.Options{DataDir: dir})
	if _, err := first.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := first.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := first.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("missing")}); err == nil {
		t.Fatal("read a missing secret")
	}
	if _, err := first.Client.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatal(err)
	}
	first.Stop(t)

	logs := &coffertest.LogBuffer{}
	coffertest.NewServer(t, coffertest.Options{DataDir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if got := logs.String(); !strings.Contains(got, `msg="alert rules warmed from the audit log" reads=3 window=24h0m0s`) {
		t.Errorf("server log after the restart lacks the warm-up of 3 reads:\n%s", got)
	}
}

// With AppendOnly the server's live audit file holds whole records only,
// for a log shipper that tails it.
func TestAuditAppendOnlyLeavesATailableFile(t *testing.T) {
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{Configure: func(cfg *server.Config) { cfg.Audit.AppendOnly = true }})
	if _, err := srv.Client.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(srv.AuditDir(), "audit-*.jsonl"))
	if err != nil || len(files) != 1 {
		t.Fatalf("audit files %v, %v; want one", files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || bytes.IndexByte(data, 0) >= 0 || data[len(data)-1] != '\n' || !bytes.Contains(data, []byte(`"operation":"ListSecrets"`)) {
		t.Errorf("live audit file (%d bytes) is not whole records ending with the ListSecrets event", len(data))
	}
}
