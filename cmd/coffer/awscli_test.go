package main_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// awsEnv is an environment for the aws CLI that sees only the server's
// credentials file: no machine config, no home directory, no AWS_* from the
// test's own environment.
func awsEnv(t *testing.T, credentialsFile string) []string {
	t.Helper()
	home := t.TempDir()
	config := filepath.Join(home, "empty-config")
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return append(baseEnv(t),
		"HOME="+home,
		"AWS_CONFIG_FILE="+config,
		"AWS_SHARED_CREDENTIALS_FILE="+credentialsFile,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// awsPath finds the aws CLI; a machine without it fails the test.
func awsPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI must be on PATH for the process tests: %v", err)
	}
	return path
}

// awsCLI runs `aws --endpoint-url url --output json args...`.
func awsCLI(t *testing.T, env []string, url string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx := testContext(t)
	cmd := exec.CommandContext(ctx, awsPath(t), append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// awsJSON runs the aws CLI, fails the test unless it succeeds, and decodes
// its JSON output.
func awsJSON[T any](t *testing.T, env []string, url string, args ...string) T {
	t.Helper()
	stdout, stderr, err := awsCLI(t, env, url, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	var v T
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	return v
}

// cliSecretValue is get-secret-value's output.
type cliSecretValue struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  *string
	SecretBinary  *string // base64
	VersionStages []string
}

type cliWriteResult struct {
	ARN, Name, VersionId string
	VersionStages        []string
}

type cliListEntry struct {
	ARN, Name, Description string
	SecretVersionsToStages map[string][]string
}

type cliList struct{ SecretList []cliListEntry }

func TestAWSCLIDrivesTheSecretLifecycleAgainstARealServer(t *testing.T) {
	t.Parallel()
	awsPath(t)
	srv := startServer(t, newDataDir(t))
	env := awsEnv(t, filepath.Join(srv.dataDir, "credentials"))
	const name = "cli/smoke-secret"
	first, second := "first-"+rand.Text(), `{"user":"app","password":"`+rand.Text()+`"}`

	created := awsJSON[cliWriteResult](t, env, srv.url, "secretsmanager", "create-secret",
		"--name", name, "--description", "made by the aws CLI", "--secret-string", first)
	if created.Name != name || !strings.HasPrefix(created.ARN, "arn:aws:secretsmanager:us-east-1:000000000000:secret:"+name+"-") || created.VersionId == "" {
		t.Fatalf("create-secret = %+v, want name %q, an ARN in us-east-1 and a version id", created, name)
	}

	got := awsJSON[cliSecretValue](t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", name)
	if got.SecretString == nil || *got.SecretString != first || got.VersionId != created.VersionId || !slices.Equal(got.VersionStages, []string{"AWSCURRENT"}) {
		t.Fatalf("get-secret-value after create = %+v, want %q at version %s [AWSCURRENT]", got, first, created.VersionId)
	}

	put := awsJSON[cliWriteResult](t, env, srv.url, "secretsmanager", "put-secret-value",
		"--secret-id", name, "--secret-string", second)
	if put.VersionId == "" || put.VersionId == created.VersionId || put.ARN != created.ARN || !slices.Equal(put.VersionStages, []string{"AWSCURRENT"}) {
		t.Fatalf("put-secret-value = %+v, want a new version of %s staged [AWSCURRENT]", put, created.ARN)
	}
	got = awsJSON[cliSecretValue](t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", name)
	if got.SecretString == nil || *got.SecretString != second || got.VersionId != put.VersionId {
		t.Fatalf("get-secret-value after put = %+v, want %q at version %s", got, second, put.VersionId)
	}
	prev := awsJSON[cliSecretValue](t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", created.ARN, "--version-stage", "AWSPREVIOUS")
	if prev.SecretString == nil || *prev.SecretString != first || prev.VersionId != created.VersionId || !slices.Equal(prev.VersionStages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("get-secret-value AWSPREVIOUS = %+v, want %q at version %s [AWSPREVIOUS]", prev, first, created.VersionId)
	}

	list := awsJSON[cliList](t, env, srv.url, "secretsmanager", "list-secrets")
	if names := listNames(list); !slices.Equal(names, []string{name}) {
		t.Fatalf("list-secrets names = %q, want [%s]", names, name)
	}
	for _, e := range list.SecretList {
		if e.Name != name {
			continue
		}
		want := map[string][]string{created.VersionId: {"AWSPREVIOUS"}, put.VersionId: {"AWSCURRENT"}}
		if e.ARN != created.ARN || e.Description != "made by the aws CLI" || !mapsEqual(e.SecretVersionsToStages, want) {
			t.Fatalf("list-secrets entry = %+v, want ARN %s, the description and stages %v", e, created.ARN, want)
		}
	}

	deleted := awsJSON[struct {
		ARN, Name    string
		DeletionDate float64
	}](t, env, srv.url, "secretsmanager", "delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
	if deleted.ARN != created.ARN || deleted.DeletionDate < float64(time.Now().Add(6*24*time.Hour).Unix()) {
		t.Fatalf("delete-secret = %+v, want ARN %s and a deletion date 7 days out", deleted, created.ARN)
	}
	_, stderr, err := awsCLI(t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", name)
	if err == nil || !strings.Contains(stderr, "InvalidRequestException") {
		t.Fatalf("get-secret-value of a deleted secret: err %v, stderr %q; want InvalidRequestException", err, stderr)
	}
	if names := listNames(awsJSON[cliList](t, env, srv.url, "secretsmanager", "list-secrets")); len(names) != 0 {
		t.Fatalf("list-secrets after delete-secret = %q, want none", names)
	}
	srv.stop(t)
}

func TestAWSCLIRoundTripsABinarySecretFromAFile(t *testing.T) {
	t.Parallel()
	awsPath(t)
	srv := startServer(t, newDataDir(t))
	env := awsEnv(t, filepath.Join(srv.dataDir, "credentials"))
	// A binary secret read from a file, as the CLI's fileb:// sends it.
	blob := []byte{0, 1, 2, 0xfe, 0xff, '\n'}
	blob = append(blob, rand.Text()...)
	blobFile := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(blobFile, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	awsJSON[cliWriteResult](t, env, srv.url, "secretsmanager", "create-secret", "--name", "cli/binary", "--secret-binary", "fileb://"+blobFile)
	bin := awsJSON[cliSecretValue](t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", "cli/binary")
	if bin.SecretBinary == nil || bin.SecretString != nil {
		t.Fatalf("get-secret-value of a binary secret = %+v, want SecretBinary only", bin)
	}
	if raw, err := base64.StdEncoding.DecodeString(*bin.SecretBinary); err != nil || !bytes.Equal(raw, blob) {
		t.Fatalf("SecretBinary decodes to %q (%v), want %q", raw, err, blob)
	}

	forced := awsJSON[struct{ Name string }](t, env, srv.url, "secretsmanager", "delete-secret", "--secret-id", "cli/binary", "--force-delete-without-recovery")
	if forced.Name != "cli/binary" {
		t.Fatalf("delete-secret --force-delete-without-recovery = %+v, want cli/binary", forced)
	}
	_, stderr, err := awsCLI(t, env, srv.url, "secretsmanager", "get-secret-value", "--secret-id", "cli/binary")
	if err == nil || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("get-secret-value of a force-deleted secret: err %v, stderr %q; want ResourceNotFoundException", err, stderr)
	}
	srv.stop(t)
}

func listNames(l cliList) []string {
	var names []string
	for _, e := range l.SecretList {
		names = append(names, e.Name)
	}
	slices.Sort(names)
	return names
}

func mapsEqual(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// readmeQuickstart returns the command lines of README.md's Quickstart.
func readmeQuickstart(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Quickstart\n")
	if !ok {
		t.Fatal("README.md has no ## Quickstart section")
	}
	var lines []string
	for line := range strings.Lines(section) {
		if strings.HasPrefix(line, "## ") {
			break
		}
		if cmd, ok := strings.CutPrefix(line, "    "); ok {
			lines = append(lines, strings.TrimSpace(cmd))
		}
	}
	return lines
}

// TestREADMEQuickstartWorksAsWritten runs the Quickstart's lines: `coffer
// server` as written in an empty working directory (so ./coffer-data), then
// each following line through sh after the export lines before it. One
// liberty: other people's servers on this machine may hold the README's
// port, so the server gets COFFER_LISTEN=127.0.0.1:0 and the README's
// endpoint is rewritten to the port it got; the test checks separately
// that the README's endpoint is the server's default address.
func TestREADMEQuickstartWorksAsWritten(t *testing.T) {
	t.Parallel()
	awsPath(t)
	lines := readmeQuickstart(t)
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "coffer server") {
		t.Fatalf("README quickstart = %q, want `coffer server` then the aws commands", lines)
	}
	serverArgs := strings.Fields(strings.Split(lines[0], "#")[0])[1:]
	readmeURL := regexp.MustCompile(`--endpoint-url (\S+)`).FindStringSubmatch(strings.Join(lines, "\n"))
	if readmeURL == nil {
		t.Fatalf("README quickstart has no --endpoint-url: %q", lines)
	}
	_, help, _ := runCoffer(t, baseEnv(t), "server", "-h")
	if want := `(default "` + strings.TrimPrefix(readmeURL[1], "http://") + `")`; !strings.Contains(help, want) {
		t.Fatalf("README's endpoint %s is not the server's default listen address; coffer server -h says:\n%s", readmeURL[1], help)
	}

	cwd := t.TempDir()
	env := awsEnv(t, "/nonexistent/so/the/README/export/must/set/it")
	env = append(env, "PATH="+filepath.Dir(cofferBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	srv := startProc(t, cwd, append(env, "COFFER_LISTEN=127.0.0.1:0"), cofferBin, serverArgs...)
	url := srv.waitStdout(t, servingRE)[1]

	var exports []string
	var outputs []string
	for _, line := range lines[1:] {
		if strings.HasPrefix(line, "export ") {
			exports = append(exports, line)
			continue
		}
		line = strings.ReplaceAll(line, readmeURL[1], url)
		cmd := exec.CommandContext(testContext(t), "sh", "-ec", strings.Join(append(exports, line), "\n"))
		cmd.Dir, cmd.Env = cwd, env
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("README line %q: %v\nstderr:\n%s", line, err, stderr)
		}
		outputs = append(outputs, string(out))
	}

	m := regexp.MustCompile(`create-secret --name (\S+) --secret-string '([^']*)'`).FindStringSubmatch(strings.Join(lines, "\n"))
	if m == nil {
		t.Fatalf("README quickstart has no create-secret --name N --secret-string '...' line: %q", lines)
	}
	var got cliSecretValue
	if err := json.Unmarshal([]byte(outputs[len(outputs)-1]), &got); err != nil {
		t.Fatalf("last README command printed no JSON: %v\n%s", err, outputs[len(outputs)-1])
	}
	if got.Name != m[1] || got.SecretString == nil || *got.SecretString != m[2] {
		t.Fatalf("README get-secret-value = %+v, want %s = %s", got, m[1], m[2])
	}
	if _, err := os.Stat(filepath.Join(cwd, "coffer-data", "credentials")); err != nil {
		t.Fatalf("coffer server on its defaults wrote no ./coffer-data/credentials: %v", err)
	}
	srv.stop(t)
}
