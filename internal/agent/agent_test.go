package agent_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/coffer-dev/coffer/internal/agent"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

const token = "test-session-token"

// countingSecrets counts the GetSecretValue calls reaching the server and,
// with hold set, holds each until hold is closed.
type countingSecrets struct {
	agent.SecretsAPI
	gets    atomic.Int64
	entered chan struct{} // receives once per held call, if set
	hold    chan struct{}
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *sm.GetSecretValueInput, optFns ...func(*sm.Options)) (*sm.GetSecretValueOutput, error) {
	c.gets.Add(1)
	if c.hold != nil {
		c.entered <- struct{}{}
		select {
		case <-c.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return c.SecretsAPI.GetSecretValue(ctx, in, optFns...)
}

type countingParameters struct {
	*ssm.Client
	gets atomic.Int64
}

func (c *countingParameters) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	c.gets.Add(1)
	return c.Client.GetParameter(ctx, in, optFns...)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	srv     *coffertest.Server
	ssm     *ssm.Client
	secrets *countingSecrets
	params  *countingParameters
	clock   *fakeClock
	agent   *agent.Agent
	url     string
}

// newFixture starts a Coffer server and an agent in front of it, with cfg
// changed by mutate, served by httptest.
func newFixture(t *testing.T, mutate func(*agent.Config), opts agent.Options) *fixture {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	awsCfg := srv.Config(srv.Region)
	f := &fixture{
		srv:     srv,
		ssm:     ssm.NewFromConfig(awsCfg),
		secrets: &countingSecrets{SecretsAPI: sm.NewFromConfig(awsCfg)},
		clock:   &fakeClock{now: time.Unix(1_700_000_000, 0)},
	}
	f.params = &countingParameters{Client: f.ssm}
	cfg := agent.DefaultConfig()
	cfg.Token = agent.NewToken(token)
	if mutate != nil {
		mutate(&cfg)
	}
	opts.Secrets, opts.Parameters, opts.Clock = f.secrets, f.params, f.clock.Now
	a, err := agent.New(awsCfg, cfg, opts)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	f.agent = a
	hs := httptest.NewServer(a)
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

// get sends GET path with the token in the extension's header.
func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return f.do(t, http.MethodGet, path, http.Header{"X-Aws-Parameters-Secrets-Token": {token}})
}

func (f *fixture) do(t *testing.T, method, path string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func (f *fixture) createSecret(t *testing.T, name, value string, tags ...smtypes.Tag) string {
	t.Helper()
	out, err := f.srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value), Tags: tags,
	})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
	return aws.ToString(out.VersionId)
}

func (f *fixture) putSecret(t *testing.T, name, value string) string {
	t.Helper()
	out, err := f.srv.Client.PutSecretValue(context.Background(), &sm.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("PutSecretValue(%s): %v", name, err)
	}
	return aws.ToString(out.VersionId)
}

type secretBody struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  *string
	VersionStages []string
	CreatedDate   float64
}

// secret GETs path and decodes the GetSecretValue body.
func (f *fixture) secret(t *testing.T, path string) secretBody {
	t.Helper()
	status, body := f.get(t, path)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", status, body)
	}
	var b secretBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return b
}

// value GETs path and returns the SecretString.
func (f *fixture) value(t *testing.T, path string) string {
	t.Helper()
	b := f.secret(t, path)
	if b.SecretString == nil {
		t.Fatalf("GET %s: body has no SecretString", path)
	}
	return *b.SecretString
}

func TestAgentServesBothPathStyles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	v1 := f.createSecret(t, "app/db", "first")
	v2 := f.putSecret(t, "app/db", "second")

	b := f.secret(t, "/secretsmanager/get?secretId="+url.QueryEscape("app/db"))
	if b.Name != "app/db" || *b.SecretString != "second" || b.VersionId != v2 || !strings.Contains(b.ARN, ":secret:app/db") {
		t.Errorf("GET /secretsmanager/get = %+v, want app/db, second, %s", b, v2)
	}
	if len(b.VersionStages) != 1 || b.VersionStages[0] != "AWSCURRENT" || b.CreatedDate < 1e9 {
		t.Errorf("VersionStages, CreatedDate = %v, %v; want [AWSCURRENT] and epoch seconds", b.VersionStages, b.CreatedDate)
	}
	cases := []struct{ name, path, want string }{
		{"path style serves the current version", "/v1/app/db", "second"},
		{"versionStage picks the previous version", "/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS", "first"},
		{"versionId picks that version", "/secretsmanager/get?secretId=app/db&versionId=" + v1, "first"},
		{"path style takes versionStage", "/v1/app/db?versionStage=AWSPREVIOUS", "first"},
		{"path style takes versionId", "/v1/app/db?versionId=" + v1, "first"},
		{"trailing slash on the extension path is accepted", "/secretsmanager/get/?secretId=app/db", "second"},
	}
	for _, c := range cases {
		if got := f.value(t, c.path); got != c.want {
			t.Errorf("%s: GET %s = %q, want %q", c.name, c.path, got, c.want)
		}
	}
}

func TestAgentPathPrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *agent.Config) { c.PathPrefix = "/secrets/" }, agent.Options{})
	f.createSecret(t, "s", "v")
	if got := f.value(t, "/secrets/s"); got != "v" {
		t.Errorf("GET /secrets/s = %q, want v", got)
	}
	if status, _ := f.get(t, "/v1/s"); status != http.StatusNotFound {
		t.Errorf("GET /v1/s with path_prefix /secrets/ = %d, want 404", status)
	}
}

func TestAgentRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *agent.Config) {
		c.TokenHeaders = append(c.TokenHeaders, "X-Custom-Token")
	}, agent.Options{})
	lambda := newFixture(t, func(c *agent.Config) { c.Lambda = true }, agent.Options{})
	f.createSecret(t, "s", "v")
	lambda.createSecret(t, "s", "v")
	good := func(name string) http.Header { return http.Header{name: {token}} }
	cases := []struct {
		name   string
		f      *fixture
		method string
		path   string
		h      http.Header
		status int
		body   string
	}{
		{"the extension's header is accepted", f, "GET", "/secretsmanager/get?secretId=s", good("X-Aws-Parameters-Secrets-Token"), 200, ""},
		{"the agent's X-Vault-Token header is accepted", f, "GET", "/v1/s", good("X-Vault-Token"), 200, ""},
		{"a configured ssrf header is accepted", f, "GET", "/v1/s", good("X-Custom-Token"), 200, ""},
		{"a missing token is refused with 403 as the agent does", f, "GET", "/secretsmanager/get?secretId=s", nil, 403, "Bad Token"},
		{"a wrong token is refused with 403 as the agent does", f, "GET", "/v1/s", http.Header{"X-Vault-Token": {"nope"}}, 403, "Bad Token"},
		{"a token in an unlisted header is refused", f, "GET", "/v1/s", good("Authorization"), 403, "Bad Token"},
		{"a missing token on the parameter path is refused with 401 as the extension does", f, "GET", "/systemsmanager/parameters/get?name=p", nil, 401, "Unauthorized"},
		{"as a Lambda extension a missing token is refused with 401", lambda, "GET", "/secretsmanager/get?secretId=s", nil, 401, "Unauthorized"},
		{"as a Lambda extension a wrong token is refused with 401", lambda, "GET", "/secretsmanager/get?secretId=s", http.Header{"X-Aws-Parameters-Secrets-Token": {"x"}}, 401, "Unauthorized"},
		{"as a Lambda extension the agent's path still answers 403", lambda, "GET", "/v1/s", nil, 403, "Bad Token"},
		{"X-Forwarded-For is refused with 400", f, "GET", "/v1/s", http.Header{"X-Vault-Token": {token}, "X-Forwarded-For": {"10.0.0.1"}}, 400, "Forwarded"},
		{"POST is refused with 405", f, "POST", "/v1/s", good("X-Vault-Token"), 405, "Not allowed"},
		{"PUT is refused with 405", f, "PUT", "/secretsmanager/get?secretId=s", good("X-Vault-Token"), 405, "Not allowed"},
		{"POST without a token is refused for the token first", f, "POST", "/v1/s", nil, 403, "Bad Token"},
		{"/ping needs no token", f, "GET", "/ping", nil, 200, "healthy"},
		{"/ping is GET only", f, "POST", "/ping", nil, 405, "Not allowed"},
		{"an unknown path is 404", f, "GET", "/nope", good("X-Vault-Token"), 404, "Not found"},
		{"an unknown parameter is 400", f, "GET", "/secretsmanager/get?secretId=s&foo=1", good("X-Vault-Token"), 400, "unknown parameter: foo"},
		{"a missing secretId is 400", f, "GET", "/secretsmanager/get", good("X-Vault-Token"), 400, "missing parameter secretId"},
		{"a missing path secret id is 400", f, "GET", "/v1/", good("X-Vault-Token"), 400, "missing secret ID"},
		{"a bad refreshNow is 400", f, "GET", "/v1/s?refreshNow=maybe", good("X-Vault-Token"), 400, "invalid refreshNow value"},
		{"a bad withDecryption is 400", f, "GET", "/systemsmanager/parameters/get?name=p&withDecryption=maybe", good("X-Vault-Token"), 400, "invalid withDecryption value"},
		{"version and label together are 400", f, "GET", "/systemsmanager/parameters/get?name=p&version=1&label=x", good("X-Vault-Token"), 400, "version and label cannot both be given"},
	}
	for _, c := range cases {
		status, body := c.f.do(t, c.method, c.path, c.h)
		if status != c.status || (c.body != "" && body != c.body) {
			t.Errorf("%s: %s %s = %d %q, want %d %q", c.name, c.method, c.path, status, body, c.status, c.body)
		}
	}
}

func TestAgentCachesUntilTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	f.createSecret(t, "s", "old")
	if got := f.value(t, "/v1/s"); got != "old" {
		t.Fatalf("first GET = %q, want old", got)
	}
	f.putSecret(t, "s", "new")
	f.clock.Add(agent.DefaultTTL - time.Second)
	if got := f.value(t, "/v1/s"); got != "old" {
		t.Errorf("GET before the TTL = %q, want the cached old", got)
	}
	if n := f.secrets.gets.Load(); n != 1 {
		t.Errorf("GetSecretValue calls before the TTL = %d, want 1", n)
	}
	f.clock.Add(2 * time.Second)
	if got := f.value(t, "/v1/s"); got != "new" {
		t.Errorf("GET after the TTL = %q, want new", got)
	}

	// /metrics needs no token, counts what the cache served, and names no secret.
	code, body := f.do(t, http.MethodGet, "/metrics", http.Header{})
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, want := range []string{
		`coffer_agent_cache_hits_total{cache="secret"} 1`,
		`coffer_agent_cache_misses_total{cache="secret"} 2`,
		`coffer_agent_cache_stale_total{cache="secret"} 0`,
		`coffer_agent_cache_misses_total{cache="parameter"} 0`,
		`coffer_agent_requests_total{route="secret_path",status="200"} 3`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{"old", "new", "/v1/s"} {
		if strings.Contains(body, `"`+leak+`"`) {
			t.Errorf("/metrics names %q", leak)
		}
	}
}

func TestAgentRefreshNowBypassesCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	f.createSecret(t, "s", "old")
	f.value(t, "/secretsmanager/get?secretId=s")
	f.putSecret(t, "s", "new")
	if got := f.value(t, "/secretsmanager/get?secretId=s"); got != "old" {
		t.Fatalf("cached GET = %q, want old", got)
	}
	if got := f.value(t, "/secretsmanager/get?secretId=s&refreshNow=true"); got != "new" {
		t.Errorf("GET refreshNow=true = %q, want new", got)
	}
	if got := f.value(t, "/v1/s"); got != "new" {
		t.Errorf("GET after refreshNow = %q, want the refreshed new", got)
	}
	f.putSecret(t, "s", "newer")
	if got := f.value(t, "/v1/s?refreshNow=1"); got != "newer" {
		t.Errorf("GET /v1/s?refreshNow=1 = %q, want newer", got)
	}
}

func TestAgentTTLZeroDisablesCache(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		mutate func(*agent.Config)
	}{
		{"ttl 0", func(c *agent.Config) { c.SecretTTL, c.ParameterTTL = 0, 0 }},
		{"cache size 0", func(c *agent.Config) { c.CacheSize = 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, c.mutate, agent.Options{})
			f.createSecret(t, "s", "v1")
			for i := range 3 {
				f.value(t, "/v1/s")
				if n := f.secrets.gets.Load(); n != int64(i+1) {
					t.Fatalf("after %d GETs, GetSecretValue calls = %d, want %d", i+1, n, i+1)
				}
			}
			f.putSecret(t, "s", "v2")
			if got := f.value(t, "/v1/s"); got != "v2" {
				t.Errorf("GET after PutSecretValue = %q, want v2 at once", got)
			}
			putParameter(t, f.ssm, "/p", "a", ssmtypes.ParameterTypeString)
			f.get(t, "/systemsmanager/parameters/get?name=/p")
			f.get(t, "/systemsmanager/parameters/get?name=/p")
			if n := f.params.gets.Load(); n != 2 {
				t.Errorf("GetParameter calls after 2 GETs = %d, want 2", n)
			}
		})
	}
}

func TestAgentConnectionCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *agent.Config) { c.MaxConn = 1 }, agent.Options{})
	f.createSecret(t, "s", "v")
	f.secrets.entered = make(chan struct{}, 1)
	f.secrets.hold = make(chan struct{})
	type result struct {
		status int
		body   string
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", f.url+"/v1/s", nil)
		req.Header.Set("X-Vault-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, string(b)}
	}()
	<-f.secrets.entered // the first request holds the only slot
	if status, body := f.get(t, "/v1/s"); status != http.StatusTooManyRequests || body != "Connection limit exceeded" {
		t.Errorf("GET over the cap = %d %q, want 429", status, body)
	}
	if status, body := f.do(t, "GET", "/ping", nil); status != 200 || body != "healthy" {
		t.Errorf("GET /ping over the cap = %d %q, want 200 healthy", status, body)
	}
	close(f.secrets.hold)
	if r := <-done; r.status != http.StatusOK {
		t.Errorf("held GET = %d %q, want 200", r.status, r.body)
	}
	if status, _ := f.get(t, "/v1/s"); status != http.StatusOK {
		t.Errorf("GET after the slot freed = %d, want 200", status)
	}
}

func TestAgentJSONKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	f.createSecret(t, "db", `{"user":"admin","port":5432,"tls":{"on":true}}`)
	cases := []struct {
		name, path string
		status     int
		want       string
	}{
		{"a string field comes back unquoted", "/secretsmanager/get?secretId=db&jsonKey=user", 200, "admin"},
		{"a number comes back as its JSON", "/v1/db?jsonKey=port", 200, "5432"},
		{"an object comes back as its JSON", "/v1/db?jsonKey=tls", 200, `{"on":true}`},
	}
	for _, c := range cases {
		if status, body := f.get(t, c.path); status != c.status || body != c.want {
			t.Errorf("%s: GET %s = %d %q, want %d %q", c.name, c.path, status, body, c.status, c.want)
		}
	}
	status, body := f.get(t, "/v1/db?jsonKey=missing")
	if status != 400 || !strings.Contains(body, `"InvalidRequestException"`) || strings.Contains(body, "admin") {
		t.Errorf("GET missing jsonKey = %d %s, want 400 InvalidRequestException without the value", status, body)
	}
	f.createSecret(t, "plain", "not json")
	if status, body := f.get(t, "/v1/plain?jsonKey=a"); status != 400 || strings.Contains(body, "not json") {
		t.Errorf("GET jsonKey of a non-JSON secret = %d %s, want 400 without the value", status, body)
	}
}

func putParameter(t *testing.T, c *ssm.Client, name, value string, typ ssmtypes.ParameterType) int64 {
	t.Helper()
	out, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("PutParameter(%s): %v", name, err)
	}
	return out.Version
}

type parameterBody struct {
	Parameter struct {
		ARN, Name, Type, Value string
		Version                int64
		Selector               *string
		LastModifiedDate       float64
	}
}

func TestAgentParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	putParameter(t, f.ssm, "/app/url", "https://one", ssmtypes.ParameterTypeString)
	putParameter(t, f.ssm, "/app/url", "https://two", ssmtypes.ParameterTypeString)
	if _, err := f.ssm.LabelParameterVersion(context.Background(), &ssm.LabelParameterVersionInput{
		Name: aws.String("/app/url"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"},
	}); err != nil {
		t.Fatalf("LabelParameterVersion: %v", err)
	}
	putParameter(t, f.ssm, "/app/key", "s3cret", ssmtypes.ParameterTypeSecureString)
	putParameter(t, f.ssm, "/app/cfg", `{"mode":"fast"}`, ssmtypes.ParameterTypeString)

	cases := []struct {
		name, query string
		want        string
		version     int64
	}{
		{"the latest version by default", "name=/app/url", "https://two", 2},
		{"version picks that version", "name=/app/url&version=1", "https://one", 1},
		{"label picks the labelled version", "name=/app/url&label=stable", "https://one", 1},
		{"withDecryption=true decrypts a SecureString", "name=/app/key&withDecryption=true", "s3cret", 1},
		{"an escaped name works", "name=" + url.QueryEscape("/app/url"), "https://two", 2},
	}
	for _, c := range cases {
		status, body := f.get(t, "/systemsmanager/parameters/get?"+c.query)
		var p parameterBody
		if status != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Errorf("%s: GET ?%s = %d %s, want 200 and a GetParameter body", c.name, c.query, status, body)
			continue
		}
		if p.Parameter.Value != c.want || p.Parameter.Version != c.version || !strings.HasPrefix(p.Parameter.Name, "/app/") {
			t.Errorf("%s: GET ?%s = %+v, want value %q version %d", c.name, c.query, p.Parameter, c.want, c.version)
		}
	}
	status, body := f.get(t, "/systemsmanager/parameters/get?name=/app/key")
	var p parameterBody
	if status != 200 || json.Unmarshal([]byte(body), &p) != nil || p.Parameter.Value == "s3cret" || p.Parameter.Type != "SecureString" {
		t.Errorf("GET SecureString without withDecryption = %d %s, want 200 and the value still encrypted", status, body)
	}
	if status, body := f.get(t, "/systemsmanager/parameters/get/?name=/app/cfg&jsonKey=mode"); status != 200 || body != "fast" {
		t.Errorf("GET parameter jsonKey=mode = %d %q, want 200 fast", status, body)
	}
	// A parameter's refreshNow drops the cached one.
	putParameter(t, f.ssm, "/app/url", "https://three", ssmtypes.ParameterTypeString)
	status, body = f.get(t, "/systemsmanager/parameters/get?name=/app/url&refreshNow=true")
	if json.Unmarshal([]byte(body), &p); status != 200 || p.Parameter.Value != "https://three" {
		t.Errorf("GET parameter refreshNow=true = %d %s, want https://three", status, body)
	}
}

func TestAgentPassesUpstreamErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	for _, c := range []struct{ path, typ string }{
		{"/secretsmanager/get?secretId=missing", "ResourceNotFoundException"},
		{"/v1/missing", "ResourceNotFoundException"},
		{"/systemsmanager/parameters/get?name=/missing", "ParameterNotFound"},
	} {
		status, body := f.get(t, c.path)
		var e map[string]string
		if err := json.Unmarshal([]byte(body), &e); err != nil || status != 400 || e["__type"] != c.typ || e["message"] == "" || len(e) != 2 {
			t.Errorf("GET %s = %d %s, want 400 {__type: %s, message}", c.path, status, body, c.typ)
		}
	}
}

func TestAgentWarm(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil, agent.Options{})
	f.createSecret(t, "a", "1")
	f.createSecret(t, "b", "2", smtypes.Tag{Key: aws.String("team"), Value: aws.String("pay")})
	f.createSecret(t, "c", "3", smtypes.Tag{Key: aws.String("team"), Value: aws.String("payroll")})
	f.createSecret(t, "d", "4", smtypes.Tag{Key: aws.String("owner"), Value: aws.String("pay")})
	if err := f.agent.Warm(context.Background(), []string{"a"}, []agent.Tag{{Key: "team", Value: "pay"}}); err != nil {
		t.Fatalf("Warm: %v", err)
	}
	if n := f.secrets.gets.Load(); n != 2 {
		t.Errorf("GetSecretValue calls by Warm = %d, want 2 (a, and b tagged team=pay only)", n)
	}
	for _, id := range []string{"a", "b"} {
		f.value(t, "/v1/"+id)
	}
	if n := f.secrets.gets.Load(); n != 2 {
		t.Errorf("GetSecretValue calls after GETs of warmed secrets = %d, want still 2", n)
	}
	if err := f.agent.Warm(context.Background(), []string{"nope"}, nil); err == nil {
		t.Error("Warm(missing secret) = nil, want an error")
	}
}

// chanWatcher reports the ids sent on ids, and answers on done once the
// agent has been told.
type chanWatcher struct{ ids, done chan string }

func (w chanWatcher) Watch(ctx context.Context, changed func(string)) error {
	for {
		select {
		case id := <-w.ids:
			changed(id)
			w.done <- id
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestAgentWatcherInvalidates(t *testing.T) {
	t.Parallel()
	w := chanWatcher{ids: make(chan string), done: make(chan string)}
	f := newFixture(t, nil, agent.Options{Watcher: w})
	f.createSecret(t, "s", "old")
	// Serve runs the watcher; the fixture's httptest server does not.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- f.agent.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	f.url = "http://" + ln.Addr().String()
	f.value(t, "/v1/s")
	f.putSecret(t, "s", "new")
	if got := f.value(t, "/v1/s"); got != "old" {
		t.Fatalf("GET before the watcher reports = %q, want the cached old", got)
	}
	w.ids <- "s"
	<-w.done
	if got := f.value(t, "/v1/s"); got != "new" {
		t.Errorf("GET after the watcher reported a change = %q, want new (TTL is 300s)", got)
	}
}
