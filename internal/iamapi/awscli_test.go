package iamapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// awsCLI runs the real aws CLI (v1) against srv with the admin key and an
// environment that sees no machine configuration, and decodes its JSON
// output into a map. A machine without the CLI fails the test.
func awsCLI(t *testing.T, srv *coffertest.Server, args ...string) map[string]any {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the aws CLI must be on PATH: %v", err)
	}
	dir := t.TempDir()
	config, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{config, creds} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{"--endpoint-url", srv.URL, "--output", "json"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AWS_ACCESS_KEY_ID=" + srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + srv.SecretKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + creds,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	out := map[string]any{}
	if stdout.Len() == 0 {
		return out
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.Bytes())
	}
	return out
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})

	created := awsCLI(t, srv, "iam", "create-user", "--user-name", "cli-user", "--tags", "Key=via,Value=cli")
	user, _ := created["User"].(map[string]any)
	if user["UserName"] != "cli-user" || user["Arn"] != "arn:aws:iam::"+srv.Account()+":user/cli-user" {
		t.Errorf("create-user = %v", created)
	}
	if _, err := time.Parse(time.RFC3339, strings.Replace(toString(user["CreateDate"]), "+00:00", "Z", 1)); err != nil {
		t.Errorf("create-user CreateDate = %v: %v", user["CreateDate"], err)
	}

	listed := awsCLI(t, srv, "iam", "list-users")
	var names []string
	users, _ := listed["Users"].([]any)
	for _, u := range users {
		m, _ := u.(map[string]any)
		names = append(names, toString(m["UserName"]))
	}
	if strings.Join(names, ",") != "admin,cli-user" {
		t.Errorf("list-users = %v, want admin and cli-user", listed)
	}

	key := awsCLI(t, srv, "iam", "create-access-key", "--user-name", "cli-user")
	k, _ := key["AccessKey"].(map[string]any)
	if !strings.HasPrefix(toString(k["AccessKeyId"]), "AKIA") || len(toString(k["SecretAccessKey"])) != 40 || k["Status"] != "Active" {
		t.Errorf("create-access-key = AccessKeyId %v, Status %v, secret of %d characters", k["AccessKeyId"], k["Status"], len(toString(k["SecretAccessKey"])))
	}

	// The CLI decodes URL-encoded policy documents back into JSON.
	const doc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}`
	awsCLI(t, srv, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "read", "--policy-document", doc)
	got := awsCLI(t, srv, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "read")
	policy, ok := got["PolicyDocument"].(map[string]any)
	if !ok || policy["Version"] != "2012-10-17" {
		t.Errorf("get-user-policy PolicyDocument = %#v, want the decoded JSON object", got["PolicyDocument"])
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}
