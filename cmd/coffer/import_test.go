package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/manifest"
)

// The seeds' insecure serverless.yml (shared/seeds/003), as printed there.
const seedServerlessYML = `service:
 name: hello-world

provider:
  name: aws

functions:
  helloWorld:
    handler: helloworld.get
    environment:
      GITHUB_API_KEY: ABCDEF

  goodbyeWorld:
    handler: goodbye.get
`

// writeManifest writes content to dir/name with mode 0640 and returns its path.
func writeManifest(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "my-app", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

// coffer runs coffer in process with args and returns its output.
func coffer(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// refsOf parses the rewritten manifest at path and returns NAME=value for
// every variable, to give coffer run.
func refsOf(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := manifest.Parse(path, data, 0)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, v := range f.Vars {
		env = append(env, v.Name+"="+v.Value)
	}
	return env
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// checkResolves runs the sha child under coffer run with env (and args
// before --) and checks that each variable of want reaches it with its
// value.
func checkResolves(t *testing.T, srv *coffertest.Server, env []string, args []string, want map[string]string) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	p := startRun(t, srv, env, append(args, selfChild(t, append([]string{"sha"}, names...)...)...)...)
	if code := p.wait(t); code != 0 {
		t.Fatalf("coffer run exit %d, stderr: %s", code, p.stderr.buf.String())
	}
	for n, v := range want {
		if line := n + "=" + sha(v); !strings.Contains(p.stdout.buf.String(), line) {
			t.Errorf("under coffer run, %s does not hold its original value (output %q)", n, p.stdout.buf.String())
		}
	}
}

func checkUnchanged(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s changed:\n%s", path, got)
	}
}

func checkNoValue(t *testing.T, what, out string, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(out, v) {
			t.Errorf("%s shows a value:\n%s", what, out)
		}
	}
}

func parameterMissing(t *testing.T, srv *coffertest.Server, name string) bool {
	t.Helper()
	_, err := ssm.NewFromConfig(srv.Config(srv.Region)).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String(name)})
	_, missing := errors.AsType[*ssmtypes.ParameterNotFound](err)
	return missing
}

func secretMissing(t *testing.T, srv *coffertest.Server, name string) bool {
	t.Helper()
	_, err := srv.Client.GetSecretValue(t.Context(), &sm.GetSecretValueInput{SecretId: aws.String(name)})
	_, missing := errors.AsType[*smtypes.ResourceNotFoundException](err)
	return missing
}

func TestImportSeedServerless(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	setAWSEnv(t, srv)
	path := writeManifest(t, "serverless.yml", seedServerlessYML)

	out, errOut, err := coffer(t, "import", "--dry-run", path)
	if err != nil {
		t.Fatalf("import --dry-run: %v\n%s", err, errOut)
	}
	checkUnchanged(t, path, seedServerlessYML)
	if !parameterMissing(t, srv, "/hello-world/github-api-key") {
		t.Error("--dry-run stored the parameter")
	}
	if !strings.Contains(out, "-      GITHUB_API_KEY: *****\n+      GITHUB_API_KEY: ${ssm:/hello-world/github-api-key}\n") {
		t.Errorf("--dry-run diff:\n%s", out)
	}
	checkNoValue(t, "the dry run", out+errOut, "ABCDEF")

	out, errOut, err = coffer(t, "import", path)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	checkNoValue(t, "the import", out+errOut, "ABCDEF")
	checkUnchanged(t, path, strings.Replace(seedServerlessYML, "ABCDEF", "${ssm:/hello-world/github-api-key}", 1))
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("the rewritten file's mode is %v (%v), want 0640", info.Mode().Perm(), err)
	}
	p, err := ssm.NewFromConfig(srv.Config(srv.Region)).GetParameter(t.Context(), &ssm.GetParameterInput{
		Name: aws.String("/hello-world/github-api-key"), WithDecryption: aws.Bool(true),
	})
	if err != nil || p.Parameter.Type != ssmtypes.ParameterTypeSecureString || aws.ToString(p.Parameter.Value) != "ABCDEF" {
		t.Fatalf("the parameter is not the SecureString ABCDEF: %v", err)
	}
	checkResolves(t, srv, refsOf(t, path), nil, map[string]string{"GITHUB_API_KEY": "ABCDEF"})

	// A second import finds nothing left to do.
	if _, errOut, err := coffer(t, "import", path); err != nil || !strings.Contains(errOut, "no hard-coded secrets") {
		t.Errorf("second import: %v, %s", err, errOut)
	}
}

func TestImportEnvFile(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	setAWSEnv(t, srv)
	pw, tok := randomValue(t, "pw"), randomValue(t, "tok")
	content := "# settings\nexport DB_PASSWORD=" + pw + "\nAPI_TOKEN=\"" + tok + "\"\nPORT=8080\nSENTRY_DSN=${SENTRY}\n"
	path := writeManifest(t, ".env", content)
	out, errOut, err := coffer(t, "import", "--prefix", "shop", path)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	checkNoValue(t, "the import", out+errOut, pw, tok)
	if !strings.Contains(errOut, "SENTRY_DSN (line 5): left alone: a variable") {
		t.Errorf("the skipped variable is not reported: %s", errOut)
	}
	want := "# settings\nexport DB_PASSWORD=coffer://shop/db-password\nAPI_TOKEN=\"coffer://shop/api-token\"\nPORT=8080\nSENTRY_DSN=${SENTRY}\n"
	checkUnchanged(t, path, want)
	checkResolves(t, srv, nil, []string{"--env-file", path}, map[string]string{"DB_PASSWORD": pw, "API_TOKEN": tok, "PORT": "8080"})
}

const samTemplateYAML = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31

Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables:
        STRIPE_SECRET_KEY: %s   # from the dashboard

Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: orders.handler
      Environment:
        Variables:
          TABLE: !Ref OrdersTable
          DB_PASSWORD: '%s'
          OLD_TOKEN: '{{resolve:secretsmanager:legacy:SecretString}}'
  OrdersTable:
    Type: AWS::Serverless::SimpleTable
`

func TestImportSAMTemplate(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	setAWSEnv(t, srv)
	stripe, pw := randomValue(t, "sk"), randomValue(t, "pw")
	content := fmt.Sprintf(samTemplateYAML, stripe, pw)
	path := writeManifest(t, "template.yaml", content)
	if _, err := srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("legacy"), SecretString: aws.String("legacy-token")}); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := coffer(t, "import", path)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	checkNoValue(t, "the import", out+errOut, stripe, pw)
	want := strings.NewReplacer(stripe, "'{{resolve:secretsmanager:my-app/stripe-secret-key:SecretString}}'",
		"'"+pw+"'", "'{{resolve:secretsmanager:my-app/db-password:SecretString}}'").Replace(content)
	checkUnchanged(t, path, want)
	var env []string
	for _, kv := range refsOf(t, path) {
		if !strings.HasPrefix(kv, "TABLE=") {
			env = append(env, kv)
		}
	}
	checkResolves(t, srv, env, nil, map[string]string{"STRIPE_SECRET_KEY": stripe, "DB_PASSWORD": pw, "OLD_TOKEN": "legacy-token"})
}

func TestImportConflictStoresNothing(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	setAWSEnv(t, srv)
	content := "A_TOKEN=aaaa1111\nB_TOKEN=bbbb2222\n"
	path := writeManifest(t, ".env", content)
	if _, err := srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("app/b-token"), SecretString: aws.String("different-value-9")}); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := coffer(t, "import", "--prefix", "app", path)
	if err == nil || !strings.Contains(err.Error(), "secret app/b-token already exists with another value") {
		t.Fatalf("import over a conflicting secret = %v, want the conflict named", err)
	}
	checkNoValue(t, "the error", err.Error()+errOut, "aaaa1111", "bbbb2222", "different-value-9")
	checkUnchanged(t, path, content)
	if !secretMissing(t, srv, "app/a-token") {
		t.Error("the import stored a secret before failing")
	}

	// --overwrite replaces it.
	if _, errOut, err := coffer(t, "import", "--prefix", "app", "--overwrite", path); err != nil {
		t.Fatalf("import --overwrite: %v\n%s", err, errOut)
	}
	checkResolves(t, srv, nil, []string{"--env-file", path}, map[string]string{"A_TOKEN": "aaaa1111", "B_TOKEN": "bbbb2222"})
}

func TestImportUnreachableServer(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	setAWSEnv(t, srv)
	srv.Stop(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	path := writeManifest(t, ".env", "API_KEY=abcd1234\n")
	if _, _, err := coffer(t, "import", path); err == nil {
		t.Fatal("import against a stopped server succeeded")
	}
	checkUnchanged(t, path, "API_KEY=abcd1234\n")
}

// failingSecrets fails CreateSecret after the first n calls.
type failingSecrets struct {
	secretsAPI
	n     int32
	calls atomic.Int32
}

func (f *failingSecrets) CreateSecret(ctx context.Context, in *sm.CreateSecretInput, opts ...func(*sm.Options)) (*sm.CreateSecretOutput, error) {
	if f.calls.Add(1) > f.n {
		return nil, errors.New("injected failure")
	}
	return f.secretsAPI.CreateSecret(ctx, in, opts...)
}

// TestImportUndoesAFailedStore fails the second store of an import: the
// secret stored first is removed, the one it overwrote is restored, and the
// file is untouched.
func TestImportUndoesAFailedStore(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	if _, err := srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("app/a-token"), SecretString: aws.String("old-value")}); err != nil {
		t.Fatal(err)
	}
	content := "A_TOKEN=aaaa1111\nB_TOKEN=bbbb2222\nC_TOKEN=cccc3333\n"
	path := writeManifest(t, ".env", content)
	real := srv.Client
	clients := func(context.Context) (importClients, error) {
		return importClients{secrets: &failingSecrets{secretsAPI: real, n: 1}, params: ssm.NewFromConfig(srv.Config(srv.Region))}, nil
	}
	var stdout, stderr bytes.Buffer
	err := importFile(t.Context(), importOptions{path: path, prefix: aws.String("app"), overwrite: true}, clients, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("import = %v, want the injected failure", err)
	}
	checkUnchanged(t, path, content)
	if !secretMissing(t, srv, "app/b-token") {
		t.Error("the secret created before the failure is still there")
	}
	if !secretMissing(t, srv, "app/c-token") {
		t.Error("a secret after the failure was created")
	}
	v, err := real.GetSecretValue(t.Context(), &sm.GetSecretValueInput{SecretId: aws.String("app/a-token")})
	if err != nil || aws.ToString(v.SecretString) != "old-value" {
		t.Errorf("the overwritten secret was not restored (%v)", err)
	}
}

func TestImportFlags(t *testing.T) {
	path := writeManifest(t, ".env", "LOG_LEVEL=debug\nAPI_KEY=abcd1234\nREF=coffer://x\n")
	out, _, err := coffer(t, "import", "--dry-run", "--var", "LOG_LEVEL", "--skip", "API_KEY", path)
	if err != nil || !strings.Contains(out, "+LOG_LEVEL=coffer://my-app/log-level") || strings.Contains(out, "API_KEY=coffer") {
		t.Errorf("--var/--skip: %v\n%s", err, out)
	}
	if _, _, err := coffer(t, "import", "--dry-run", "--var", "REF", path); err == nil || !strings.Contains(err.Error(), "already a reference") {
		t.Errorf("--var of a reference = %v, want it refused", err)
	}
	if _, _, err := coffer(t, "import", "--dry-run", "--var", "NOPE", path); err == nil {
		t.Error("--var of a missing variable succeeded")
	}
	out, _, err = coffer(t, "import", "--dry-run", "--all", path)
	if err != nil || !strings.Contains(out, "+LOG_LEVEL=coffer://") || !strings.Contains(out, "+API_KEY=coffer://") {
		t.Errorf("--all: %v\n%s", err, out)
	}
}

func TestImportNaming(t *testing.T) {
	src := "service: shop\nframeworkVersion: '2'\nprovider:\n  environment:\n    API_KEY: same-value\nfunctions:\n  a:\n    environment:\n      DB_PASSWORD: pw-one\n  b:\n    environment:\n      DB_PASSWORD: pw-two\n"
	path := writeManifest(t, "serverless.yml", src)
	out, _, err := coffer(t, "import", "--dry-run", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"+    API_KEY: ${ssm:/shop/api-key~true}",
		"+      DB_PASSWORD: ${ssm:/shop/a/db-password~true}",
		"+      DB_PASSWORD: ${ssm:/shop/b/db-password~true}",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
}
