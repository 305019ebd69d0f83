package main_test

import (
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

var (
	devEndpointRE = regexp.MustCompile(`(?m)^export AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)\n`)
	devExportsRE  = regexp.MustCompile(`(?m)^export AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\nexport AWS_ACCESS_KEY_ID=test\nexport AWS_SECRET_ACCESS_KEY=test\n`)
	devWarningRE  = regexp.MustCompile(`WARNING: coffer dev is NOT for production`)
)

// waitStderr is waitStdout for stderr.
func (p *proc) waitStderr(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	return p.waitOutput(t, "stderr", p.stderr, re)
}

// devEnv is baseEnv with TMPDIR set to a fresh dir the test can inspect:
// coffer dev keeps its data there.
func devEnv(t *testing.T) (env []string, tmp string) {
	t.Helper()
	tmp = t.TempDir()
	return append(baseEnv(t), "TMPDIR="+tmp), tmp
}

func TestDevWarnsPrintsExportsAcceptsAnyCredentialsAndLeavesNothing(t *testing.T) {
	t.Parallel()
	env, tmp := devEnv(t)
	p := startCoffer(t, env, "dev", "--listen", "127.0.0.1:0")
	url := p.waitStdout(t, devEndpointRE)[1]
	p.waitStdout(t, devExportsRE)
	p.waitStderr(t, devWarningRE)

	entries, err := os.ReadDir(tmp)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries[0].Name(), "coffer-dev-") {
		t.Fatalf("TMPDIR while coffer dev runs holds %v (%v), want one coffer-dev-* dir", entries, err)
	}

	ctx := testContext(t)
	exported := newClient(url, "test", "test", nil)
	if _, err := exported.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("dev/by-test"), SecretString: aws.String("from test")}); err != nil {
		t.Fatalf("CreateSecret with the exported test/test credentials: %v", err)
	}
	other := newClient(url, "AKIA"+rand.Text()[:16], rand.Text()+rand.Text(), nil)
	got, err := other.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("dev/by-test")})
	if err != nil || aws.ToString(got.SecretString) != "from test" {
		t.Fatalf("GetSecretValue with random credentials = %v, %v; want the secret test/test made", got, err)
	}
	roundTrip(t, other)

	// Credentials may be anything, but a request must still be signed.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(`{"SecretId":"dev/by-test"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "from test") {
		t.Fatalf("an unsigned request got %d %s, want it refused", resp.StatusCode, body)
	}

	p.stop(t)
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Fatalf("TMPDIR after coffer dev stopped holds %v (%v), want nothing", entries, err)
	}
}

func TestDevRefusesANonLoopbackListenAddress(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		t.Run(listen, func(t *testing.T) {
			t.Parallel()
			env, tmp := devEnv(t)
			stdout, stderr, code := runCoffer(t, env, "dev", "--listen", listen)
			if code == 0 || !strings.Contains(stderr, "loopback") || strings.Contains(stdout, "export") {
				t.Fatalf("coffer dev --listen %s exited %d, stdout %q, stderr %q; want non-zero naming loopback and no exports", listen, code, stdout, stderr)
			}
			if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
				t.Fatalf("TMPDIR after a refused coffer dev holds %v (%v), want nothing", entries, err)
			}
		})
	}
}

func TestDevRefusesAStrayArgument(t *testing.T) {
	t.Parallel()
	env, tmp := devEnv(t)
	stdout, stderr, code := runCoffer(t, env, "dev", "--listen", "127.0.0.1:0", "extra")
	if code == 0 || !strings.Contains(stderr, `unexpected argument "extra"`) || stdout != "" {
		t.Fatalf("coffer dev extra exited %d, stdout %q, stderr %q; want it refused", code, stdout, stderr)
	}
	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Fatalf("TMPDIR after a refused coffer dev holds %v (%v), want nothing", entries, err)
	}
}
