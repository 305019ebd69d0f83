package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// agentToken is the SSRF token the agent is started with and every
// request carries.
const agentToken = "bench-agent-token"

// agentPath is the Lambda extension's path for bench-get.
const agentPath = "/secretsmanager/get?secretId=" + getSecret

// BenchmarkAgentCacheHit measures `coffer agent` serving a cached secret
// (the Lambda extension's GET /secretsmanager/get with its token header:
// a cache hit, no upstream call) beside the trivial handler serving the
// agent's own response body, in the same run, at concurrency 1, 16 and
// 64. The agent runs with a 300 s TTL and log level warn (at info it
// writes a log line per request); the coffer server behind it is paused
// while the cells run, so every request is a hit.
func BenchmarkAgentCacheHit(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("bench reads /proc and pins CPUs: Linux only")
	}
	bin := b.TempDir()
	buildBinaries(b, bin)
	if *flagServerCPU >= 0 {
		pinSelf(b, *flagClientCPU)
	}
	if *flagNice != 0 {
		prioritize(b, *flagNice)
	}
	ctx := waitCtx(b)
	upstream := startCoffer(b, ctx, filepath.Join(bin, "coffer"), "coffer")

	empty := filepath.Join(b.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "PARAMETERS_SECRETS_") && !strings.HasPrefix(kv, "SECRETS_MANAGER_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ENDPOINT_URL="+upstream.proc.url, "AWS_REGION="+region,
		"AWS_ACCESS_KEY_ID="+upstream.creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+upstream.creds.SecretAccessKey,
		"AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_TOKEN="+agentToken, "SECRETS_MANAGER_TTL=300", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=warn")
	port := freePort(b)
	ap := startProcEnv(b, "agent", true, *flagServerCPU, port, env,
		filepath.Join(bin, "coffer"), "agent", "--port", strconv.Itoa(port), "--warm", getSecret)
	agent := newTarget("agent", ap, upstream.creds.AccessKeyID, upstream.creds.SecretAccessKey)
	body, err := agentGet(ctx, agent)
	if err != nil {
		b.Fatalf("agent: %v\n%s", err, ap.tail())
	}
	if !strings.Contains(string(body), `"Name":"`+getSecret+`"`) {
		b.Fatalf("agent answered %s", body)
	}
	bodyFile := filepath.Join(b.TempDir(), "agent.json")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		b.Fatal(err)
	}
	tp := startProc(b, "trivial", false, *flagServerCPU, 0, filepath.Join(bin, "trivial"), "-body", bodyFile)
	f := &fixture{bin: bin}
	f.add(newTarget("trivial", tp, fakeAKID, fakeSecret))
	f.add(agent)
	for _, t := range f.targets {
		if got, err := agentGet(ctx, t); err != nil || string(got) != string(body) {
			b.Fatalf("%s: %v, body %s", t.name, err, got)
		}
	}
	upstream.proc.pause() // hits only; stop keeps it from the server core
	defer upstream.proc.resume()

	w := window{*flagWarmup, *flagWindow}
	var groups []cell
	for _, conc := range concurrencies {
		groups = append(groups, cell{op: "AgentCacheHit", client: "raw", conc: conc})
	}
	var results []result
	for b.Loop() {
		results = runMatrix(b, f, groups, w, func(t *target, _ string) (func(context.Context, int) error, error) {
			return func(ctx context.Context, _ int) error {
				_, err := agentGet(ctx, t)
				return err
			}, nil
		})
	}
	b.StopTimer()
	rep := report{subject: "agent", window: w, results: results, env: fmt.Sprintf(
		"%s, %s/%s, %d CPUs (%s); load generator on CPU %d (GOMAXPROCS 1), agent and trivial handler on CPU %d, nice %d; agent TTL 300 s, log level warn, its coffer server paused",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, numCPU(), cpuModel(), *flagClientCPU, *flagServerCPU, *flagNice)}
	rep.print(b)
	rep.metrics(b)
}

// agentGet asks t for bench-get the way a function asks the Lambda
// extension, and returns the body; anything but 200 is an error.
func agentGet(ctx context.Context, t *target) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.proc.url+agentPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", agentToken)
	return t.send(req)
}
