package main_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestRestartReusesTheDataAndTheCredentials(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	credsPath := filepath.Join(dir, "credentials")
	srv := startServer(t, dir)
	if !strings.Contains(srv.stdout.String(), "Initialised a new Coffer data dir") {
		t.Errorf("first start did not say it initialised the data dir:\n%s", srv.stdout)
	}
	ctx := testContext(t)
	created, err := srv.client(t).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("kept"), SecretString: aws.String("still here")})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	creds, err := os.ReadFile(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	rootKey, err := os.ReadFile(filepath.Join(dir, "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv.stop(t)

	srv = startServer(t, dir)
	if strings.Contains(srv.stdout.String(), "Initialised") {
		t.Errorf("second start claims to have initialised the data dir again:\n%s", srv.stdout)
	}
	if after, err := os.ReadFile(credsPath); err != nil || !bytes.Equal(after, creds) {
		t.Fatalf("credentials file changed across a restart (%v):\nbefore %q\nafter  %q", err, creds, after)
	}
	if after, err := os.ReadFile(filepath.Join(dir, "root.key")); err != nil || !bytes.Equal(after, rootKey) {
		t.Fatalf("root key changed across a restart (%v)", err)
	}
	got, err := srv.client(t).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("kept")})
	if err != nil || aws.ToString(got.SecretString) != "still here" || aws.ToString(got.ARN) != aws.ToString(created.ARN) {
		t.Fatalf("GetSecretValue after restart = %v, %v; want %q at %s", got, err, "still here", aws.ToString(created.ARN))
	}
	srv.stop(t)
}

func TestAccountIDIsFixedAtFirstStart(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	srv := startServer(t, dir, "--account-id", "111122223333")
	created, err := srv.client(t).CreateSecret(testContext(t), &secretsmanager.CreateSecretInput{Name: aws.String("acct"), SecretString: aws.String("v")})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if arn := aws.ToString(created.ARN); !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:111122223333:secret:acct-") {
		t.Fatalf("ARN = %s, want account 111122223333", arn)
	}
	srv.stop(t)

	// Without the flag, the stored account is used.
	srv = startServer(t, dir)
	if !strings.Contains(srv.stdout.String(), "(account 111122223333)") {
		t.Fatalf("restart without --account-id does not serve account 111122223333:\n%s", srv.stdout)
	}
	srv.stop(t)
	// The same account again is fine.
	startServer(t, dir, "--account-id", "111122223333").stop(t)

	for _, acct := range []string{"000000000000", "999999999999"} {
		_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--account-id", acct)
		if code == 0 || !strings.Contains(stderr, "belongs to account 111122223333") {
			t.Fatalf("start with --account-id %s on an account 111122223333 data dir exited %d with %q, want it refused naming the account", acct, code, stderr)
		}
	}
	_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", newDataDir(t), "--listen", "127.0.0.1:0", "--account-id", "12345")
	if code == 0 || !strings.Contains(stderr, "12 digits") {
		t.Fatalf("--account-id 12345 exited %d with %q, want it refused asking for 12 digits", code, stderr)
	}
}

// TestDeletedCredentialsFileIsWrittenAgainWithTheSameKey covers a data dir
// whose credentials file was lost, as after a kill -9 during the first
// start: the admin key lives in the database, so the file comes back.
func TestDeletedCredentialsFileIsWrittenAgainWithTheSameKey(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	credsPath := filepath.Join(dir, "credentials")
	startServer(t, dir).stop(t)
	creds, err := os.ReadFile(credsPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(credsPath); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dir)
	if after, err := os.ReadFile(credsPath); err != nil || !bytes.Equal(after, creds) {
		t.Fatalf("credentials file after a restart without it = %q (%v), want %q", after, err, creds)
	}
	if fi, err := os.Stat(credsPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rewritten credentials file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if _, err := srv.client(t).ListSecrets(testContext(t), &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("ListSecrets with the rewritten credentials: %v", err)
	}
	srv.stop(t)
}

func TestRootKeyThatIsNotTheDataDirsIsRefused(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	startServer(t, dir).stop(t)
	other := newDataDir(t)
	startServer(t, other).stop(t)
	foreign, err := os.ReadFile(filepath.Join(other, "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  []byte
		want string
	}{
		{"another data dir's root key is refused", foreign, "root key does not match"},
		{"a truncated root key is refused", foreign[:16], "16 bytes, want 32"},
	} {
		if err := os.WriteFile(filepath.Join(dir, "root.key"), tc.key, 0o600); err != nil {
			t.Fatal(err)
		}
		_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", dir, "--listen", "127.0.0.1:0")
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: coffer server exited %d with %q, want non-zero mentioning %q", tc.name, code, stderr, tc.want)
		}
	}
}
