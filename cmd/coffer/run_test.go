package main

// Tests of coffer run. Resolution runs in process against a coffertest
// server; everything about the process (masking, signals, exit status,
// stdin, /proc) runs this test binary as coffer and as the command: with
// COFFER_RUN_TEST_AS=coffer in its environment, the init below turns the
// test binary into coffer's main (or, given "child" as its first argument,
// into a small scripted command), so no second build is needed.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/ref"
)

const runTestRole = "COFFER_RUN_TEST_AS"

func init() {
	if os.Getenv(runTestRole) != "coffer" {
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(childMain(os.Args[2:]))
	}
	main()
	os.Exit(0)
}

// childMain is the command coffer runs in the process tests.
func childMain(args []string) int {
	out := os.Stdout
	switch args[0] {
	case "print": // each variable's value on a line
		for _, name := range args[1:] {
			fmt.Fprintln(out, os.Getenv(name))
		}
	case "encodings": // the value in every masked form, then raw on stderr
		v := os.Getenv(args[1])
		for _, s := range []string{
			"raw " + v,
			"b64 " + base64.StdEncoding.EncodeToString([]byte(v)),
			"b64url " + base64.RawURLEncoding.EncodeToString([]byte(v)),
			"query " + url.QueryEscape(v),
			"path " + url.PathEscape(v),
		} {
			fmt.Fprintln(out, s)
		}
		fmt.Fprintln(os.Stderr, "stderr "+v)
	case "split": // the value in two writes with a pause between
		v := os.Getenv(args[1])
		out.WriteString("before " + v[:len(v)/2])
		time.Sleep(20 * time.Millisecond) // the scenario, not synchronisation
		out.WriteString(v[len(v)/2:] + " after\n")
	case "sha": // NAME=sha256(value), which the mask leaves alone
		for _, name := range args[1:] {
			sum := sha256.Sum256([]byte(os.Getenv(name)))
			fmt.Fprintf(out, "%s=%s\n", name, hex.EncodeToString(sum[:]))
		}
	case "shablock": // sha and the raw value, then wait for stdin to close
		for _, name := range args[1:] {
			sum := sha256.Sum256([]byte(os.Getenv(name)))
			fmt.Fprintf(out, "raw %s\n%s=%s\n", os.Getenv(name), name, hex.EncodeToString(sum[:]))
		}
		io.Copy(io.Discard, os.Stdin)
	case "exit":
		n, _ := strconv.Atoi(args[1])
		return n
	case "cat":
		io.Copy(out, os.Stdin)
	case "block": // ready, then wait for stdin to close
		fmt.Fprintln(out, "ready")
		io.Copy(io.Discard, os.Stdin)
	case "trap": // report the first signal and exit 7
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, forwardedSignals...)
		fmt.Fprintln(out, "ready")
		fmt.Fprintf(out, "got %v\n", <-sigs)
		return 7
	}
	return 0
}

func randomValue(t *testing.T, prefix string) string {
	t.Helper()
	return prefix + "-" + rand.Text()
}

// fixture is a server with one of each kind of secret and parameter.
type fixture struct {
	srv    *coffertest.Server
	sm     *sm.Client
	ssm    *ssm.Client
	want   map[string]string // named values the tests expect
	secARN string            // ARN of secret app/db
	parARN string            // ARN of parameter /db/pw
}

const (
	tokenV1    = "11111111-1111-1111-1111-111111111111"
	tokenV2    = "22222222-2222-2222-2222-222222222222"
	azureToken = "ec96f02080254f109c51a1f14cdb1931"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	srv := coffertest.NewServer(t, coffertest.Options{})
	f := &fixture{srv: srv, sm: srv.Client, ssm: ssm.NewFromConfig(srv.Config(srv.Region)), want: map[string]string{}}
	pw1, pw2 := randomValue(t, "pw1"), randomValue(t, "pw2")
	f.want["pw1"], f.want["pw2"] = pw1, pw2
	out, err := f.sm.CreateSecret(ctx, &sm.CreateSecretInput{
		Name: aws.String("app/db"), ClientRequestToken: aws.String(tokenV1),
		SecretString: aws.String(`{"user":"admin","password":"` + pw1 + `","port":5432}`),
	})
	if err != nil {
		t.Fatalf("CreateSecret(app/db): %v", err)
	}
	f.secARN = aws.ToString(out.ARN)
	if _, err := f.sm.PutSecretValue(ctx, &sm.PutSecretValueInput{
		SecretId: aws.String("app/db"), ClientRequestToken: aws.String(tokenV2),
		SecretString: aws.String(`{"user":"admin","password":"` + pw2 + `","port":5432}`),
	}); err != nil {
		t.Fatalf("PutSecretValue(app/db): %v", err)
	}
	create := func(name, token, value string, stages ...string) {
		t.Helper()
		in := &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}
		if token != "" {
			in.ClientRequestToken = aws.String(token)
		}
		if _, err := f.sm.CreateSecret(ctx, in); err != nil {
			t.Fatalf("CreateSecret(%s): %v", name, err)
		}
		f.want[name] = value
		if len(stages) > 0 {
			if _, err := f.sm.PutSecretValue(ctx, &sm.PutSecretValueInput{
				SecretId: aws.String(name), SecretString: aws.String(value + "-staged"), VersionStages: stages,
			}); err != nil {
				t.Fatalf("PutSecretValue(%s): %v", name, err)
			}
			f.want[name+"@staged"] = value + "-staged"
		}
	}
	create("plain", "", randomValue(t, "plain"))
	create("quoted", "", `"a JSON string"`)
	create("myvault/db-password", azureToken, randomValue(t, "azure"))
	create("my-proj/api-key", "", randomValue(t, "gcp"), "v3", "AWSCURRENT")
	put := func(name, value string, typ ssmtypes.ParameterType) {
		t.Helper()
		if _, err := f.ssm.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(true),
		}); err != nil {
			t.Fatalf("PutParameter(%s): %v", name, err)
		}
	}
	put("/db/pw", pw1, ssmtypes.ParameterTypeSecureString)
	put("/db/pw", pw2, ssmtypes.ParameterTypeSecureString)
	if _, err := f.ssm.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String("/db/pw"), ParameterVersion: aws.Int64(1), Labels: []string{"old"},
	}); err != nil {
		t.Fatalf("LabelParameterVersion: %v", err)
	}
	p, err := f.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/db/pw")})
	if err != nil {
		t.Fatalf("GetParameter(/db/pw): %v", err)
	}
	f.parARN = aws.ToString(p.Parameter.ARN)
	f.want["ciphertext"] = aws.ToString(p.Parameter.Value)
	put("/app/url", "https://example.com/x", ssmtypes.ParameterTypeString)
	put("/hosts", "a.example,b.example", ssmtypes.ParameterTypeStringList)
	return f
}

// resolver returns a resolver that talks to the fixture's server.
func (f *fixture) resolver() *resolver {
	return &resolver{load: func(context.Context) (aws.Config, error) { return f.srv.Config(f.srv.Region), nil }}
}

func TestRunResolvesEveryReferenceForm(t *testing.T) {
	f := newFixture(t)
	pw1, pw2 := f.want["pw1"], f.want["pw2"]
	dbJSON := `{"user":"admin","password":"` + pw2 + `","port":5432}`
	tests := []struct {
		name, value, want string
	}{
		{"serverless path decrypts", "${ssm:/db/pw}", pw2},
		{"serverless v2 ~true", "${ssm:/db/pw~true}", pw2},
		{"serverless v2 ~false gives the ciphertext", "${ssm:/db/pw~false}", f.want["ciphertext"]},
		{"serverless noDecrypt gives the ciphertext", "${ssm(noDecrypt):/db/pw}", f.want["ciphertext"]},
		{"serverless region option", "${ssm(us-east-1):/app/url}", "https://example.com/x"},
		{"serverless version selector", "${ssm:/db/pw:1}", pw1},
		{"serverless label selector", "${ssm:/db/pw:old}", pw1},
		{"serverless StringList stays comma-separated", "${ssm:/hosts~split}", "a.example,b.example"},
		{"serverless secretsmanager path is parsed JSON", "${ssm:/aws/reference/secretsmanager/app/db}", dbJSON},
		{"serverless parsed JSON string is unquoted", "${ssm:/aws/reference/secretsmanager/quoted}", "a JSON string"},
		{"serverless raw keeps the JSON string", "${ssm(raw):/aws/reference/secretsmanager/quoted}", `"a JSON string"`},
		{"embedded in a URL", "postgres://admin:${ssm:/db/pw}@db:5432/app", "postgres://admin:" + pw2 + "@db:5432/app"},
		{"two references in one value", "${ssm:/db/pw:1}|{{resolve:secretsmanager:plain}}", pw1 + "|" + f.want["plain"]},
		{"cfn secret", "{{resolve:secretsmanager:plain}}", f.want["plain"]},
		{"cfn json key", "{{resolve:secretsmanager:app/db:SecretString:password}}", pw2},
		{"cfn non-string json field", "{{resolve:secretsmanager:app/db:SecretString:port}}", "5432"},
		{"cfn previous stage", "{{resolve:secretsmanager:app/db:SecretString:password:AWSPREVIOUS}}", pw1},
		{"cfn version id", "{{resolve:secretsmanager:app/db:SecretString:password::" + tokenV1 + "}}", pw1},
		{"cfn ssm", "{{resolve:ssm:/app/url}}", "https://example.com/x"},
		{"cfn ssm version", "{{resolve:ssm-secure:/db/pw:1}}", pw1},
		{"secret ARN", f.secARN, dbJSON},
		{"secret ARN with ECS json key and version id", f.secARN + ":password::" + tokenV1, pw1},
		{"parameter ARN", f.parARN, pw2},
		{"azure secret uri", "@Microsoft.KeyVault(SecretUri=https://MyVault.vault.azure.net/secrets/db-password/)", f.want["myvault/db-password"]},
		{"azure vault name with version", "@Microsoft.KeyVault(VaultName=myvault;SecretName=db-password;SecretVersion=" + azureToken + ")", f.want["myvault/db-password"]},
		{"gcp latest", "projects/my-proj/secrets/api-key/versions/latest", f.want["my-proj/api-key@staged"]},
		{"gcp version number", "projects/my-proj/secrets/api-key/versions/3", f.want["my-proj/api-key@staged"]},
		{"coffer name", "coffer://plain", f.want["plain"]},
		{"coffer json key and stage", "coffer://app/db#password?stage=AWSPREVIOUS", pw1},
		{"coffer version", "coffer://app/db?version=" + tokenV2 + "#user", "admin"},
		{"no reference is left alone", "just text ${HOME}", "just text ${HOME}"},
	}
	var vars []envVar
	for i, tt := range tests {
		vars = append(vars, envVar{fmt.Sprintf("V%02d", i), tt.value})
	}
	calls := map[ref.Ref]int{}
	res := f.resolver()
	get := func(ctx context.Context, r ref.Ref) (string, error) {
		calls[r]++
		return res.resolve(ctx, r)
	}
	env, secrets, problems := resolveEnv(t.Context(), get, vars)
	if problems != nil {
		t.Fatalf("resolveEnv problems:\n%s", strings.Join(problems, "\n"))
	}
	for i, tt := range tests {
		if got, want := env[i], vars[i].name+"="+tt.want; got != want {
			t.Errorf("%s: %s resolved to %q, want %q", tt.name, tt.value, got, want)
		}
	}
	for r, n := range calls {
		if n != 1 {
			t.Errorf("reference %+v resolved %d times, want once", r, n)
		}
	}
	if len(secrets) == 0 {
		t.Error("resolveEnv returned no secrets to mask")
	}
}

func TestRunFailureNamesVariableAndReference(t *testing.T) {
	f := newFixture(t)
	vars := []envVar{
		{"OK", "${ssm:/db/pw}"},
		{"B_MISSING", "${ssm:/nope}"},
		{"A_SECRET", "x{{resolve:secretsmanager:nope}}y"},
		{"C_KEY", "coffer://app/db#nokey"},
		{"D_VERSION", "{{resolve:ssm:/db/pw:9}}"},
		{"E_NOTJSON", "coffer://plain#k"},
	}
	env, _, problems := resolveEnv(t.Context(), f.resolver().resolve, vars)
	if env != nil {
		t.Errorf("resolveEnv returned an environment despite failures")
	}
	want := []string{
		`A_SECRET: {{resolve:secretsmanager:nope}}: secret not found`,
		`B_MISSING: ${ssm:/nope}: parameter not found`,
		`C_KEY: coffer://app/db#nokey: JSON key "nokey" not found`,
		`D_VERSION: {{resolve:ssm:/db/pw:9}}: parameter version not found`,
		`E_NOTJSON: coffer://plain#k: the value is not a JSON object`,
	}
	if len(problems) != len(want) {
		t.Fatalf("resolveEnv problems:\n%s\nwant %d", strings.Join(problems, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(problems[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, problems[i], want[i])
		}
		for _, v := range f.want {
			if strings.Contains(problems[i], v) {
				t.Errorf("problem %q contains a secret value", problems[i])
			}
		}
	}

	_, _, problems = resolveEnv(t.Context(), f.resolver().resolve, []envVar{{"BAD", "pw=hunter2 ${ssm:/x"}})
	if len(problems) != 1 || !strings.HasPrefix(problems[0], `BAD: malformed reference "${ssm"`) || strings.Contains(problems[0], "hunter2") {
		t.Errorf("malformed reference problems = %q", problems)
	}
}

// TestRunUsesTheSDKConfigChain resolves through awsConfig, configured by
// nothing but the AWS SDK's environment variables.
func TestRunUsesTheSDKConfigChain(t *testing.T) {
	f := newFixture(t)
	setAWSEnv(t, f.srv)
	res := &resolver{load: awsConfig}
	got, err := res.resolve(t.Context(), ref.Ref{Service: ref.SSM, ID: "/db/pw", Decrypt: true})
	if err != nil || got != f.want["pw2"] {
		t.Errorf("resolve(${ssm:/db/pw}) through the SDK chain failed: %v (value matches: %v)", err, got == f.want["pw2"])
	}
}

func setAWSEnv(t *testing.T, srv *coffertest.Server) {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": srv.Region,
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
}

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.env")
	content := "# comment\n\nA=1\nexport B = two words \nC='${ssm:/x} #not a comment'\nD=\"line\\nnext \\\"q\\\"\"\r\nE=\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readEnvFile(path)
	if err != nil {
		t.Fatalf("readEnvFile: %v", err)
	}
	want := []envVar{{"A", "1"}, {"B", "two words"}, {"C", "${ssm:/x} #not a comment"}, {"D", "line\nnext \"q\""}, {"E", ""}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(envVar{})); diff != "" {
		t.Errorf("readEnvFile mismatch (-want +got):\n%s", diff)
	}

	vars, err := loadEnv([]string{"A=env", "Z=z"}, []string{path})
	if err != nil || vars[0] != (envVar{"A", "1"}) || vars[1] != (envVar{"Z", "z"}) {
		t.Errorf("loadEnv: the file does not override the environment: %v, %v", vars, err)
	}

	for name, bad := range map[string]string{
		"missing file":   filepath.Join(t.TempDir(), "nope.env"),
		"not key=value":  writeTemp(t, "secret-looking-line\n"),
		"bad name":       writeTemp(t, "1A=x\n"),
		"unterminated":   writeTemp(t, "A='hunter2\n"),
		"one quote only": writeTemp(t, "A=\"\n"),
	} {
		_, err := readEnvFile(bad)
		if err == nil {
			t.Errorf("%s: readEnvFile succeeded", name)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "secret-looking") {
			t.Errorf("%s: error %q quotes the file's text", name, err)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.env")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// collector is a writer tests can wait on.
type collector struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	writes  int
	changed chan struct{}
}

func newCollector() *collector { return &collector{changed: make(chan struct{})} }

func (c *collector) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	c.writes++
	close(c.changed)
	c.changed = make(chan struct{})
	return len(p), nil
}

func (c *collector) snapshot() (string, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.changed
}

// waitFor waits until the collected text contains want.
func (c *collector) waitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s, changed := c.snapshot()
		if strings.Contains(s, want) {
			return s
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("output %q never contained %q", s, want)
		}
	}
}

func TestMasker(t *testing.T) {
	secret := "s3cr3t-value"
	pats := maskPatterns([]secretVar{{"S", secret}, {"SHORT", "abc"}, {"ML", "first line\nsecond line"}}, func(string) {})
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"raw value", []string{"x " + secret + " y\n"}, "x ***** y\n"},
		{"value split across writes", []string{"x s3cr", "3t-val", "ue y\n"}, "x ***** y\n"},
		{"a prefix that is not the value is written", []string{"x s3cr", "ew y\n"}, "x s3crew y\n"},
		{"short values are not masked", []string{"abc\n"}, "abc\n"},
		{"base64", []string{base64.StdEncoding.EncodeToString([]byte(secret)) + "\n"}, "*****\n"},
		{"url-safe base64 without padding", []string{base64.RawURLEncoding.EncodeToString([]byte(secret)) + "\n"}, "*****\n"},
		{"each line of a multi-line value", []string{"second line\n"}, "*****\n"},
		{"a value at the very end", []string{"x " + secret}, "x *****"},
		{"two values back to back", []string{secret + secret}, "**********"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			m := newMasker(&out, pats, time.Hour)
			for _, w := range tt.writes {
				if _, err := m.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("masked %q = %q, want %q", tt.writes, got, tt.want)
			}
		})
	}
}

// TestMaskerFlushesHeldBytes checks that output does not stall when it ends
// with what could be the start of a value.
func TestMaskerFlushesHeldBytes(t *testing.T) {
	out := newCollector()
	m := newMasker(out, [][]byte{[]byte("secret")}, 10*time.Millisecond)
	defer m.Close()
	m.Write([]byte("prompt: sec"))
	if s, _ := out.snapshot(); s != "prompt: " {
		t.Errorf("before the delay, output = %q, want %q", s, "prompt: ")
	}
	out.waitFor(t, "prompt: sec")
}

// runCoffer runs this test binary as coffer with args and env (on top of a
// clean base) and returns the command and its collected output.
type cofferProc struct {
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr *collector
	done           chan struct{}
	err            error
}

func startRun(t *testing.T, srv *coffertest.Server, env []string, args ...string) *cofferProc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "COFFER_") && !strings.HasPrefix(kv, "GORACE=") {
			base = append(base, kv)
		}
	}
	base = append(base, runTestRole+"=coffer", "GORACE=atexit_sleep_ms=0",
		"AWS_ENDPOINT_URL="+srv.URL, "AWS_REGION="+srv.Region,
		"AWS_ACCESS_KEY_ID="+srv.AccessKey, "AWS_SECRET_ACCESS_KEY="+srv.SecretKey,
		"AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty)
	p := &cofferProc{stdout: newCollector(), stderr: newCollector(), done: make(chan struct{})}
	p.cmd = exec.Command(self, append([]string{"run"}, args...)...)
	p.cmd.Env = append(base, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns coffer's exit code.
func (p *cofferProc) wait(t *testing.T) int {
	t.Helper()
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("coffer run still running\nstdout: %s\nstderr: %s", p.stdout.buf.String(), p.stderr.buf.String())
	}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("wait: %v", p.err)
	}
	return 0
}

func selfChild(t *testing.T, args ...string) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"--", self, "child"}, args...)
}

func TestRunMasksEveryForm(t *testing.T) {
	f := newFixture(t)
	secret := f.want["plain"]
	p := startRun(t, f.srv, []string{"SECRET={{resolve:secretsmanager:plain}}"}, selfChild(t, "encodings", "SECRET")...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("coffer run exit %d, stderr: %s", code, p.stderr.buf.String())
	}
	wantOut := "raw *****\nb64 *****\nb64url *****\nquery *****\npath *****\n"
	if got := p.stdout.buf.String(); got != wantOut {
		t.Errorf("stdout = %q, want %q", got, wantOut)
	}
	if got := p.stderr.buf.String(); got != "stderr *****\n" {
		t.Errorf("stderr = %q, want %q", got, "stderr *****\n")
	}

	p = startRun(t, f.srv, []string{"SECRET=coffer://plain"}, selfChild(t, "split", "SECRET")...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("coffer run exit %d, stderr: %s", code, p.stderr.buf.String())
	}
	if got := p.stdout.buf.String(); got != "before ***** after\n" {
		t.Errorf("value split across writes printed %q, want %q", got, "before ***** after\n")
	}
	if strings.Contains(p.stdout.buf.String()+p.stderr.buf.String(), secret[:len(secret)/2]) {
		t.Error("half of the value leaked")
	}
}

func TestRunChildSeesValuesCofferHoldsReferences(t *testing.T) {
	f := newFixture(t)
	pw := f.want["pw2"]
	p := startRun(t, f.srv, []string{"DB_PW=${ssm:/db/pw}", "GCP=projects/my-proj/secrets/api-key/versions/latest"},
		selfChild(t, "block")...)
	p.stdout.waitFor(t, "ready\n")
	pid := p.cmd.Process.Pid
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{pw, f.want["my-proj/api-key@staged"]} {
		if bytes.Contains(cmdline, []byte(v)) || bytes.Contains(environ, []byte(v)) {
			t.Error("coffer's /proc cmdline or environ holds a secret value")
		}
	}
	if !bytes.Contains(environ, []byte("DB_PW=${ssm:/db/pw}\x00")) {
		t.Error("coffer's environ does not hold the reference")
	}
	// The child's environment holds the values.
	children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	fields := strings.Fields(string(children))
	if len(fields) != 1 {
		t.Fatalf("coffer has children %q, want one", children)
	}
	childEnv, err := os.ReadFile("/proc/" + fields[0] + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(childEnv, []byte("DB_PW="+pw+"\x00")) {
		t.Error("the child's environ does not hold the value")
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, p.stderr.buf.String())
	}

	// With masking the child still gets the exact values.
	p = startRun(t, f.srv, []string{"DB_PW=${ssm:/db/pw}"}, selfChild(t, "sha", "DB_PW")...)
	p.wait(t)
	sum := sha256.Sum256([]byte(pw))
	if got, want := p.stdout.buf.String(), "DB_PW="+hex.EncodeToString(sum[:])+"\n"; got != want {
		t.Errorf("child reported %q, want %q", got, want)
	}
}

func TestRunNoMaskExecs(t *testing.T) {
	f := newFixture(t)
	p := startRun(t, f.srv, []string{"SECRET=coffer://plain"}, append([]string{"--no-mask"}, selfChild(t, "print", "SECRET")...)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, p.stderr.buf.String())
	}
	if got := p.stdout.buf.String(); got != f.want["plain"]+"\n" {
		t.Errorf("--no-mask printed %q, want the raw value", got)
	}
}

func TestRunExitStatusSignalsAndStdin(t *testing.T) {
	f := newFixture(t)
	if code := startRun(t, f.srv, nil, selfChild(t, "exit", "42")...).wait(t); code != 42 {
		t.Errorf("exit status = %d, want the child's 42", code)
	}
	if code := startRun(t, f.srv, nil, "--", "/nonexistent/command").wait(t); code != exitNotFound {
		t.Errorf("missing command: exit %d, want %d", code, exitNotFound)
	}

	p := startRun(t, f.srv, []string{"X=${ssm:/missing}"}, selfChild(t, "exit", "0")...)
	if code := p.wait(t); code != exitRunFailed {
		t.Errorf("unresolvable reference: exit %d, want %d", code, exitRunFailed)
	}
	if got := p.stderr.buf.String(); got != "coffer run: X: ${ssm:/missing}: parameter not found\n" {
		t.Errorf("unresolvable reference: stderr %q", got)
	}

	p = startRun(t, f.srv, nil, selfChild(t, "cat")...)
	io.WriteString(p.stdin, "hello through stdin\n")
	if code := p.wait(t); code != 0 || p.stdout.buf.String() != "hello through stdin\n" {
		t.Errorf("stdin pass-through: exit %d, stdout %q", code, p.stdout.buf.String())
	}

	for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		p = startRun(t, f.srv, nil, selfChild(t, "trap")...)
		p.stdout.waitFor(t, "ready\n")
		p.cmd.Process.Signal(sig)
		if code := p.wait(t); code != 7 || !strings.Contains(p.stdout.buf.String(), "got "+sig.String()) {
			t.Errorf("%v forwarded: exit %d, stdout %q; want 7 and the signal reported", sig, code, p.stdout.buf.String())
		}
	}

	p = startRun(t, f.srv, nil, selfChild(t, "block")...)
	p.stdout.waitFor(t, "ready\n")
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("coffer did not exit after SIGTERM")
	}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); !ok || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("child killed by SIGTERM: coffer exit %v, want %d", p.err, 128+int(syscall.SIGTERM))
	}
}

func TestRunEnvFileAndWarnings(t *testing.T) {
	f := newFixture(t)
	envFile := writeTemp(t, "# app\nURL=\"{{resolve:ssm:/app/url}}\"\n")
	p := startRun(t, f.srv, nil, append([]string{"--env-file", envFile}, selfChild(t, "sha", "URL")...)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, p.stderr.buf.String())
	}
	sum := sha256.Sum256([]byte("https://example.com/x"))
	if !strings.Contains(p.stdout.buf.String(), hex.EncodeToString(sum[:])) {
		t.Errorf("the env file's reference was not resolved: %q", p.stdout.buf.String())
	}

	p = startRun(t, f.srv, nil, append([]string{"--env-file", filepath.Join(t.TempDir(), "none")}, selfChild(t, "exit", "0")...)...)
	if code := p.wait(t); code != exitRunFailed {
		t.Errorf("missing env file: exit %d, want %d", code, exitRunFailed)
	}

	if _, err := f.sm.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("short"), SecretString: aws.String("ab")}); err != nil {
		t.Fatal(err)
	}
	p = startRun(t, f.srv, []string{"SHORT=coffer://short"}, selfChild(t, "print", "SHORT")...)
	p.wait(t)
	if got, want := p.stderr.buf.String(), "coffer run: SHORT: value shorter than 4 bytes is not masked\n"; got != want {
		t.Errorf("short value: stderr %q, want %q", got, want)
	}
	if got := p.stdout.buf.String(); got != "ab\n" {
		t.Errorf("short value: stdout %q, want it unmasked", got)
	}
}
