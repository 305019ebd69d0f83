package main_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// The binary registers the built-in rotators as coffer-<name>, and a
// configured builtin= function with its options: rotation works from the
// command line alone.
func TestServerRunsBuiltinRotators(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t, newDataDir(t), "--rotation-function", "name=api-key,builtin=random-password,opt.field=api_key,opt.length=40")
	c := srv.client(t)
	for _, tc := range []struct{ name, fn, value string }{
		{"plain", "coffer-random-password", "old-password"},
		{"json", "api-key", `{"api_key":"old","user":"svc"}`},
	} {
		out, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(tc.name), SecretString: aws.String(tc.value)})
		if err != nil {
			t.Fatal(err)
		}
		rot, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
			SecretId: out.ARN, RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:000000000000:function:" + tc.fn),
			RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)},
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var v *secretsmanager.GetSecretValueOutput
		deadline := time.Now().Add(15 * time.Second)
		for {
			v, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: out.ARN})
			if err == nil && aws.ToString(v.VersionId) == aws.ToString(rot.VersionId) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: rotation did not complete: %v", tc.name, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		got := aws.ToString(v.SecretString)
		switch tc.name {
		case "plain":
			if got == tc.value || len(got) != 32 {
				t.Errorf("plain: rotated value has length %d (want a new 32-character password)", len(got))
			}
		case "json":
			var m map[string]string
			if err := json.Unmarshal([]byte(got), &m); err != nil || m["user"] != "svc" || len(m["api_key"]) != 40 {
				t.Errorf("json: rotated value lost its shape (user kept: %v, key length %d)", m["user"] == "svc", len(m["api_key"]))
			}
		}
	}
}
