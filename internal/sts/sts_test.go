package sts_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func code(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return ae.ErrorCode()
}

func TestGetCallerIdentityNamesTheAdmin(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	out, err := sts.NewFromConfig(srv.Config("us-east-1")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::"+srv.Account()+":user/admin" || aws.ToString(out.Account) != srv.Account() {
		t.Fatalf("GetCallerIdentity = %s %s", aws.ToString(out.Arn), aws.ToString(out.Account))
	}
	if !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Fatalf("UserId = %s, want an AIDA id", aws.ToString(out.UserId))
	}
}

func TestSessionTokenCredentialsActAsTheUser(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	st := sts.NewFromConfig(srv.Config("us-east-1"))
	out, err := st.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" || c.Expiration == nil {
		t.Fatalf("credentials = %s token %d bytes expiration %v", aws.ToString(c.AccessKeyId), len(aws.ToString(c.SessionToken)), c.Expiration)
	}
	cfg := srv.Config("us-east-1")
	cfg.Credentials = aws.NewCredentialsCache(staticCreds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::"+srv.Account()+":user/admin" {
		t.Fatalf("session acts as %s", aws.ToString(who.Arn))
	}
	if _, err := sm.NewFromConfig(cfg).ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatalf("ListSecrets with session credentials: %v", err)
	}
	// The same key with a forged token, or none, is refused.
	for _, tok := range []string{"", "forged", aws.ToString(c.SessionToken) + "x"} {
		cfg.Credentials = aws.NewCredentialsCache(staticCreds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), tok))
		_, err := sm.NewFromConfig(cfg).ListSecrets(ctx, &sm.ListSecretsInput{})
		if err == nil || code(t, err) != "UnrecognizedClientException" {
			t.Fatalf("token %q: err = %v, want UnrecognizedClientException", tok, err)
		}
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil || code(t, err) != "InvalidClientTokenId" {
			t.Fatalf("token %q via STS: err = %v, want InvalidClientTokenId", tok, err)
		}
	}
	// Session credentials cannot mint more session credentials.
	cfg.Credentials = aws.NewCredentialsCache(staticCreds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	_, err = sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("GetSessionToken with session credentials = %v, want AccessDenied", err)
	}
}

func TestDurationOutOfRangeIsAValidationError(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	_, err := sts.NewFromConfig(srv.Config("us-east-1")).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(60)})
	if err == nil || code(t, err) != "ValidationError" {
		t.Fatalf("DurationSeconds 60 = %v, want ValidationError", err)
	}
}
