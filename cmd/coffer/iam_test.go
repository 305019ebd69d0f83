package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// awsEnv points the SDK's default chain at srv with the admin's key and
// nothing from the machine's own AWS configuration.
func awsEnv(t *testing.T, srv *coffertest.Server) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_ACCESS_KEY_ID": srv.AccessKey, "AWS_SECRET_ACCESS_KEY": srv.SecretKey, "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), err
}

func TestUserCreatePrintsAKeyThatReadsOnlyTheGrantedSecret(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	awsEnv(t, srv)
	ctx := context.Background()
	for _, n := range []string{"github/api-key", "stripe/key"} {
		if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(n), SecretString: aws.String(n + "!")}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCLI(t, "user", "create", "ci-bot", "--read-secret", "github/api-key", "--env")
	if err != nil {
		t.Fatal(err)
	}
	var id, secret string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export AWS_ACCESS_KEY_ID="); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "export AWS_SECRET_ACCESS_KEY="); ok {
			secret = v
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("output has no credentials:\n%s", out)
	}
	c := srv.ClientWith("us-east-1", id, secret)
	v, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("github/api-key")})
	if err != nil || aws.ToString(v.SecretString) != "github/api-key!" {
		t.Fatalf("reading the granted secret = %v, %v", v, err)
	}
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("stripe/key")}); err == nil {
		t.Fatal("the new user can read a secret it was not granted")
	}
	if _, err := runCLI(t, "user", "create", "ci-bot"); err == nil {
		t.Fatal("creating the same user twice succeeded")
	}
}

func TestRoleCreateMakesARoleTheCallerCanAssume(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	awsEnv(t, srv)
	ctx := context.Background()
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("orders/db"), SecretString: aws.String("pw")}); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "role", "create", "orders-fn", "--read-secret", "orders/db", "--max-session", "2h")
	if err != nil {
		t.Fatal(err)
	}
	arn, ok := strings.CutPrefix(strings.TrimSpace(out), "export AWS_ROLE_ARN=")
	if !ok || !strings.HasSuffix(arn, ":role/orders-fn") {
		t.Fatalf("output = %q", out)
	}
	as, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("inv"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	c := sm.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(as.Credentials.AccessKeyId), aws.ToString(as.Credentials.SecretAccessKey), aws.ToString(as.Credentials.SessionToken))})
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("orders/db")}); err != nil {
		t.Fatalf("role session reading its secret: %v", err)
	}
	if _, err := runCLI(t, "role", "create", "open-oidc", "--trust-oidc", "https://issuer.test"); err == nil {
		t.Fatal("--trust-oidc without --oidc-sub was accepted")
	}
}
