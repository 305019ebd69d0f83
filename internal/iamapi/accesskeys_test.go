package iamapi_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// smCode is the AWS error code of a Secrets Manager call, "" on success.
func smCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	ae, ok := errors.AsType[smithy.APIError](err)
	if !ok {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return ae.ErrorCode()
}

func TestAccessKeyAuthenticatesUntilDeactivated(t *testing.T) {
	t.Parallel()
	logs := &coffertest.LogBuffer{}
	srv := coffertest.NewServer(t, coffertest.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := iam.NewFromConfig(srv.Config(srv.Region))
	ctx := context.Background()
	mustCreateUser(t, c, "app")

	created, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	k := created.AccessKey
	id, secret := aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey)
	if !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(secret) != 40 {
		t.Fatalf("CreateAccessKey = id %q, secret of %d characters; want AKIA + 16 and 40", id, len(secret))
	}
	if aws.ToString(k.UserName) != "app" || k.Status != types.StatusTypeActive || k.CreateDate == nil {
		t.Errorf("CreateAccessKey = user %s status %s created %v", aws.ToString(k.UserName), k.Status, k.CreateDate)
	}

	// The key signs Secrets Manager requests as app: refused by policy
	// until an inline policy put through IAM allows them.
	appSM := srv.ClientWith(srv.Region, id, secret)
	create := &sm.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("pw")}
	_, err = appSM.CreateSecret(ctx, create)
	if code := smCode(t, err); code != "AccessDeniedException" || !strings.Contains(err.Error(), ":user/app ") {
		t.Fatalf("CreateSecret with app's key and no policy: error %q (%v), want AccessDeniedException naming user/app", code, err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("app"), PolicyName: aws.String("secrets"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := appSM.CreateSecret(ctx, create); err != nil {
		t.Fatalf("CreateSecret with app's key and policy: %v", err)
	}

	// Deactivated, it is refused as an unknown key; reactivated, it works.
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("app"), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = appSM.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("app/db")})
	if code := smCode(t, err); code != "UnrecognizedClientException" {
		t.Fatalf("GetSecretValue with a deactivated key: error %q (%v), want UnrecognizedClientException", code, err)
	}
	// IAM, a query-protocol service, words it as AWS's IAM does.
	_, err = clientWith(srv, id, secret).GetUser(ctx, &iam.GetUserInput{})
	wantError(t, err, "InvalidClientTokenId", http.StatusForbidden)
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || list.AccessKeyMetadata[0].Status != types.StatusTypeInactive {
		t.Fatalf("ListAccessKeys after deactivation = %+v", list.AccessKeyMetadata)
	}
	if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("app"), AccessKeyId: aws.String(id), Status: types.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := appSM.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("app/db")}); err != nil {
		t.Fatalf("GetSecretValue with the reactivated key: %v", err)
	}

	// Deleted, it is refused for good.
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("app"), AccessKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = appSM.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("app/db")})
	if code := smCode(t, err); code != "UnrecognizedClientException" {
		t.Fatalf("GetSecretValue with a deleted key: error %q, want UnrecognizedClientException", code)
	}

	// The secret was in one response, never in the logs.
	if strings.Contains(logs.String(), secret) {
		t.Error("the secret access key appears in the server log")
	}
}

func TestAccessKeyQuotaAndListing(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "two")
	ids := map[string]bool{}
	for range 2 {
		out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("two")})
		if err != nil {
			t.Fatal(err)
		}
		ids[aws.ToString(out.AccessKey.AccessKeyId)] = true
	}
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("two")})
	if msg := wantError(t, err, "LimitExceeded", http.StatusConflict); msg != "Cannot exceed quota for AccessKeysPerUser: 2" {
		t.Errorf("third CreateAccessKey message = %q", msg)
	}

	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 2 || list.IsTruncated {
		t.Fatalf("ListAccessKeys = %d keys truncated %v, want 2", len(list.AccessKeyMetadata), list.IsTruncated)
	}
	for _, m := range list.AccessKeyMetadata {
		if !ids[aws.ToString(m.AccessKeyId)] || aws.ToString(m.UserName) != "two" || m.Status != types.StatusTypeActive || m.CreateDate == nil {
			t.Errorf("listed key %+v", m)
		}
	}
	first, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("two"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("two"), Marker: first.Marker})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.AccessKeyMetadata) != 1 || !first.IsTruncated || len(second.AccessKeyMetadata) != 1 || second.IsTruncated ||
		aws.ToString(first.AccessKeyMetadata[0].AccessKeyId) == aws.ToString(second.AccessKeyMetadata[0].AccessKeyId) {
		t.Errorf("ListAccessKeys pages = %+v, %+v", first.AccessKeyMetadata, second.AccessKeyMetadata)
	}

	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("nobody")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestAccessKeyOfAnotherUserIsNoSuchEntity(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "owner")
	mustCreateUser(t, c, "other")
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("owner")})
	if err != nil {
		t.Fatal(err)
	}
	id := out.AccessKey.AccessKeyId
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("other"), AccessKeyId: id, Status: types.StatusTypeInactive})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The Access Key with id "+aws.ToString(id)+" cannot be found." {
		t.Errorf("UpdateAccessKey of another user's key: message %q", msg)
	}
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("other"), AccessKeyId: id})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("owner"), AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("owner"), AccessKeyId: id, Status: "Sleeping"})
	wantError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("owner"), AccessKeyId: id, Status: types.StatusTypeExpired})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)

	// The refused updates left the key active.
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("owner")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || list.AccessKeyMetadata[0].Status != types.StatusTypeActive {
		t.Errorf("after refused updates, keys = %+v", list.AccessKeyMetadata)
	}
}

func TestAccessKeyActionsDefaultToTheCaller(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "self")
	allowSelfService(t, c, "self")
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("self")})
	if err != nil {
		t.Fatal(err)
	}
	self := clientWith(srv, aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey))

	// Without UserName, CreateAccessKey and ListAccessKeys act on the caller.
	second, err := self.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(second.AccessKey.UserName) != "self" {
		t.Errorf("CreateAccessKey() by self made a key for %s", aws.ToString(second.AccessKey.UserName))
	}
	list, err := self.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 2 {
		t.Errorf("ListAccessKeys() by self = %d keys, want 2", len(list.AccessKeyMetadata))
	}
	if _, err := self.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: second.AccessKey.AccessKeyId, Status: types.StatusTypeInactive}); err != nil {
		t.Fatalf("UpdateAccessKey() by self: %v", err)
	}
	if _, err := self.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: second.AccessKey.AccessKeyId}); err != nil {
		t.Fatalf("DeleteAccessKey() by self: %v", err)
	}
	// The admin's own keys are untouched.
	admin, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(admin.AccessKeyMetadata) != 1 || aws.ToString(admin.AccessKeyMetadata[0].AccessKeyId) != srv.AccessKey {
		t.Errorf("ListAccessKeys() by admin = %+v, want only %s", admin.AccessKeyMetadata, srv.AccessKey)
	}
}

func TestUserSessionDefaultsToItsUser(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	ctx := context.Background()
	tok, err := sts.NewFromConfig(srv.Config(srv.Region)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatalf("GetSessionToken: %v", err)
	}
	cfg := srv.Config(srv.Region)
	creds := tok.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	out, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatalf("GetUser() with session credentials: %v", err)
	}
	if aws.ToString(out.User.UserName) != "admin" {
		t.Errorf("GetUser() with the admin's session credentials = %s, want admin", aws.ToString(out.User.UserName))
	}
}

func TestRoleSessionMustNameTheUser(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	role := mustCreateRole(t, c, "session-role")
	assumed, err := sts.NewFromConfig(srv.Config(srv.Region)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("session")})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cfg := srv.Config(srv.Region)
	creds := assumed.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	session := iam.NewFromConfig(cfg, func(o *iam.Options) { o.RetryMaxAttempts = 1 })

	const want = "Must specify userName when calling with non-User credentials"
	_, err = session.GetUser(ctx, &iam.GetUserInput{})
	if msg := wantError(t, err, "ValidationError", http.StatusBadRequest); msg != want {
		t.Errorf("GetUser() from a role session: message %q, want %q", msg, want)
	}
	_, err = session.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantError(t, err, "ValidationError", http.StatusBadRequest)
	_, err = session.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantError(t, err, "ValidationError", http.StatusBadRequest)
}

// allowSelfService lets user manage its own user record and keys, as AWS's
// "manage your own credentials" policy example does.
func allowSelfService(t *testing.T, c *iam.Client, user string) {
	t.Helper()
	_, err := c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("self-service"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:*AccessKey*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
}
