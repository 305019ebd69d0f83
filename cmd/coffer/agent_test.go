package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// syncBuffer is a bytes.Buffer safe for the agent's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startAgent runs `coffer agent args...` against srv with the environment
// vars, and returns its address once it listens. The agent stops, and
// must return nil, when the test ends.
func startAgent(t *testing.T, srv *coffertest.Server, vars map[string]string, args ...string) (string, *syncBuffer) {
	t.Helper()
	addrs := make(chan net.Addr, 1)
	env := agentEnv{
		getenv:        func(k string) string { return vars[k] },
		awsConfig:     func(context.Context) (aws.Config, error) { return srv.Config(srv.Region), nil },
		listening:     func(a net.Addr) { addrs <- a },
		extensionName: "coffer",
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runAgent(ctx, args, env, stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("coffer agent returned %v; stderr:\n%s", err, stderr)
		}
	})
	select {
	case a := <-addrs:
		return a.String(), stderr
	case err := <-done:
		t.Fatalf("coffer agent %v = %v before listening; stderr:\n%s", args, err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatal("coffer agent did not listen within 30s")
	}
	return "", nil
}

func agentGet(t *testing.T, addr, path string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func createSecret(t *testing.T, srv *coffertest.Server, name, value string) {
	t.Helper()
	if _, err := srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	}); err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
}

func TestAgentCommandServes(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	createSecret(t, srv, "app/db", `{"password":"pw"}`)
	dir := t.TempDir()
	conf := filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(conf, []byte("ssrf_env_variables = [\"MY_TOKEN\"]\npath_prefix = \"/s/\"\nhttp_port = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, stderr := startAgent(t, srv, map[string]string{"MY_TOKEN": "tok", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "debug"},
		"--config", conf, "--port", "0", "--listen", "127.0.0.1", "--warm", "app/db")
	tok := http.Header{"X-Aws-Parameters-Secrets-Token": {"tok"}}
	status, body := agentGet(t, addr, "/s/app/db", tok)
	var out struct{ Name, SecretString string }
	if status != 200 || json.Unmarshal([]byte(body), &out) != nil || out.SecretString != `{"password":"pw"}` {
		t.Errorf("GET /s/app/db = %d %s, want 200 and the GetSecretValue body", status, body)
	}
	if status, body := agentGet(t, addr, "/secretsmanager/get?secretId=app/db&jsonKey=password", tok); status != 200 || body != "pw" {
		t.Errorf("GET jsonKey=password = %d %q, want 200 pw", status, body)
	}
	if status, _ := agentGet(t, addr, "/s/app/db", nil); status != http.StatusForbidden {
		t.Errorf("GET without the token = %d, want 403", status)
	}
	if status, body := agentGet(t, addr, "/ping", nil); status != 200 || body != "healthy" {
		t.Errorf("GET /ping = %d %q, want 200 healthy", status, body)
	}
	if strings.Contains(stderr.String(), "pw") || strings.Contains(stderr.String(), "tok\"") {
		t.Errorf("agent log holds a value or the token:\n%s", stderr)
	}
}

func TestAgentCommandPortPrecedence(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	free := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	conf := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(conf, []byte("http_port = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := free()
	vars := map[string]string{"AWS_SESSION_TOKEN": "tok", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": strconv.Itoa(port)}
	addr, _ := startAgent(t, srv, vars, "--config", conf)
	if want := "127.0.0.1:" + strconv.Itoa(port); addr != want {
		t.Errorf("with the file's port and the extension's variable, agent listens on %s, want %s", addr, want)
	}
	addr, _ = startAgent(t, srv, vars, "--config", conf, "--port", "0")
	if strings.HasSuffix(addr, ":"+strconv.Itoa(port)) || strings.HasSuffix(addr, ":1") {
		t.Errorf("with --port 0, agent listens on %s, want the flag to win", addr)
	}
}

func TestAgentCommandRefusals(t *testing.T) {
	t.Parallel()
	env := agentEnv{
		getenv:    func(k string) string { return map[string]string{"AWS_SESSION_TOKEN": "tok"}[k] },
		awsConfig: func(context.Context) (aws.Config, error) { return aws.Config{}, nil },
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a non-loopback address is refused", []string{"--listen", "0.0.0.0"}, "loopback"},
		{"a LAN address is refused", []string{"--listen", "192.168.1.5", "--port", "0"}, "loopback"},
		{"a host name is refused", []string{"--listen", "example.com"}, "IP address"},
		{"a port out of range is refused", []string{"--port", "70000"}, "--port"},
		{"a malformed warm tag is refused", []string{"--warm-tag", "team"}, "KEY=VALUE"},
		{"a missing config file is refused", []string{"--config", filepath.Join(t.TempDir(), "none.toml")}, "config file"},
	}
	for _, c := range cases {
		err := runAgent(context.Background(), c.args, env, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: coffer agent %v = %v, want an error containing %q", c.name, c.args, err, c.want)
		}
	}
	noToken := env
	noToken.getenv = func(string) string { return "" }
	if err := runAgent(context.Background(), []string{"--port", "0"}, noToken, io.Discard); err == nil || !strings.Contains(err.Error(), "Token") {
		t.Errorf("coffer agent without a token = %v, want a refusal naming the token", err)
	}
}

// TestAgentCommandLambdaExtension runs the agent with AWS_LAMBDA_RUNTIME_API
// pointing at a fake of Lambda's Extensions API (Lambda does not run here).
func TestAgentCommandLambdaExtension(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	createSecret(t, srv, "s", "v")
	shutdown := make(chan struct{})
	var (
		mu         sync.Mutex
		registered string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		registered = r.Header.Get("Lambda-Extension-Name")
		mu.Unlock()
		w.Header().Set("Lambda-Extension-Identifier", "id-1")
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Lambda-Extension-Identifier") != "id-1" {
			http.Error(w, "unknown extension", http.StatusForbidden)
			return
		}
		select {
		case <-shutdown:
			w.Write([]byte(`{"eventType":"SHUTDOWN","shutdownReason":"spindown"}`))
		case <-r.Context().Done():
		}
	})
	rt := httptest.NewServer(mux)
	t.Cleanup(rt.Close)

	addrs := make(chan net.Addr, 1)
	vars := map[string]string{"AWS_SESSION_TOKEN": "session", "AWS_LAMBDA_RUNTIME_API": strings.TrimPrefix(rt.URL, "http://")}
	env := agentEnv{
		getenv:        func(k string) string { return vars[k] },
		awsConfig:     func(context.Context) (aws.Config, error) { return srv.Config(srv.Region), nil },
		listening:     func(a net.Addr) { addrs <- a },
		extensionName: "coffer-agent",
	}
	done := make(chan error, 1)
	go func() { done <- runAgent(context.Background(), []string{"--port", "0"}, env, io.Discard) }()
	addr := (<-addrs).String()
	if status, _ := agentGet(t, addr, "/secretsmanager/get?secretId=s", nil); status != http.StatusUnauthorized {
		t.Errorf("GET without the token as a Lambda extension = %d, want 401", status)
	}
	if status, _ := agentGet(t, addr, "/secretsmanager/get?secretId=s", http.Header{"X-Aws-Parameters-Secrets-Token": {"session"}}); status != 200 {
		t.Errorf("GET with AWS_SESSION_TOKEN = %d, want 200", status)
	}
	close(shutdown)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("coffer agent after SHUTDOWN = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("coffer agent did not stop within 30s of SHUTDOWN")
	}
	mu.Lock()
	defer mu.Unlock()
	if registered != "coffer-agent" {
		t.Errorf("Lambda-Extension-Name = %q, want coffer-agent", registered)
	}
}

// The freshness promise: with a TTL of 300 s, the agent serves a
// rotated secret's new value within a second, because it follows the
// server's change feed.
func TestAgentServesARotatedValueWithinASecond(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	createSecret(t, srv, "rot/db", "v1")
	addr, _ := startAgent(t, srv, map[string]string{"AWS_SESSION_TOKEN": "tok", "SECRETS_MANAGER_TTL": "300"}, "--port", "0")
	tok := http.Header{"X-Aws-Parameters-Secrets-Token": {"tok"}}
	read := func() string {
		t.Helper()
		status, body := agentGet(t, addr, "/secretsmanager/get?secretId=rot/db", tok)
		var out struct{ SecretString string }
		if status != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("GET = %d %s", status, body)
		}
		return out.SecretString
	}
	if v := read(); v != "v1" {
		t.Fatalf("first read = %q", v)
	}
	// The agent has synced with the feed once its long poll is parked.
	for deadline := time.Now().Add(10 * time.Second); srv.OpenWatches() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the agent never followed the change feed")
		}
	}
	rotated := time.Now()
	if _, err := srv.Client.PutSecretValue(context.Background(), &sm.PutSecretValueInput{SecretId: aws.String("rot/db"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	for read() != "v2" {
		if time.Since(rotated) > time.Second {
			t.Fatal("the agent still serves the old value a second after the rotation (TTL 300 s)")
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
	t.Logf("new value served %v after the rotation", time.Since(rotated).Round(time.Millisecond))
}

func TestAgentServesFromASealedCache(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	createSecret(t, srv, "sealed/db", `{"password":"pw-sealed"}`)
	addr, stderr := startAgent(t, srv, map[string]string{"AWS_SESSION_TOKEN": "tok"}, "--port", "0", "--sealed")
	tok := http.Header{"X-Aws-Parameters-Secrets-Token": {"tok"}}
	for i := range 2 { // a miss, then a hit opened from the sealed cache
		status, body := agentGet(t, addr, "/secretsmanager/get?secretId=sealed/db", tok)
		var out struct{ SecretString string }
		if status != 200 || json.Unmarshal([]byte(body), &out) != nil || out.SecretString != `{"password":"pw-sealed"}` {
			t.Fatalf("read %d = %d %s", i, status, body)
		}
	}
	if status, body := agentGet(t, addr, "/secretsmanager/get?secretId=sealed/db&jsonKey=password", tok); status != 200 || body != "pw-sealed" {
		t.Fatalf("jsonKey from the sealed cache = %d %q", status, body)
	}
	if strings.Contains(stderr.String(), "pw-sealed") {
		t.Fatalf("the agent logged a value:\n%s", stderr)
	}
}
