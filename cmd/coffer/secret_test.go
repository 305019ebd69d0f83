package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func runCLIWithStdin(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestSecretCommandsForScripts(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	awsEnv(t, srv)
	ctx := context.Background()
	// put --create reads the value from stdin; a second put adds a version.
	if _, err := runCLIWithStdin(t, `{"user":"app","password":"s3cret"}`, "secret", "put", "app/db", "--create"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLIWithStdin(t, `{"user":"app","password":"n3w"}`, "secret", "put", "app/db"); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLIWithStdin(t, "", "secret", "get", "app/db", "--json-key", "password"); err != nil || out != "n3w" {
		t.Fatalf("get --json-key = %q, %v", out, err)
	}
	if out, err := runCLIWithStdin(t, "", "secret", "get", "app/db", "--stage", "AWSPREVIOUS"); err != nil || !strings.Contains(out, "s3cret") {
		t.Fatalf("get --stage AWSPREVIOUS = %q, %v", out, err)
	}
	if _, err := runCLIWithStdin(t, "", "secret", "get", "app/db", "--json-key", "nope"); err == nil || strings.Contains(err.Error(), "n3w") {
		t.Fatalf("missing field = %v (must fail without the value)", err)
	}
	if _, err := runCLIWithStdin(t, "", "secret", "put", "app/db"); err == nil {
		t.Fatal("put with nothing on stdin succeeded")
	}
	if _, err := runCLIWithStdin(t, "x", "secret", "put", "missing"); err == nil {
		t.Fatal("put to a missing secret without --create succeeded")
	}
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("other"), SecretString: aws.String("o")}); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLIWithStdin(t, "", "secret", "list", "--prefix", "app/"); err != nil || out != "app/db\n" {
		t.Fatalf("list --prefix app/ = %q, %v", out, err)
	}
}
