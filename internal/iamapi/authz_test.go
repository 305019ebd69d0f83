package iamapi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func TestIAMActionsNeedIAMPermissions(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.Config("us-east-1"))
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("sm"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},
			{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config("us-east-1")
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}, nil
	})
	dev := iam.NewFromConfig(cfg)
	if _, err := dev.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Fatalf("dev reading itself: %v", err)
	}
	if _, err := dev.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("dev listing its keys: %v", err)
	}
	for name, call := range map[string]func() error{
		"CreateUser": func() error {
			_, err := dev.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("evil")})
			return err
		},
		"CreateAccessKey for admin": func() error {
			_, err := dev.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
			return err
		},
		"GetUser admin": func() error {
			_, err := dev.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("admin")})
			return err
		},
		"PutUserPolicy on itself": func() error {
			_, err := dev.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("x"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		},
	} {
		err := call()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
			t.Errorf("%s = %v, want AccessDenied", name, err)
		}
	}
	users, err := admin.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(users.Users) != 2 {
		t.Fatalf("users after refused CreateUser = %d, want 2", len(users.Users))
	}
}

func TestPoliciesTheEngineRefusesAreNeverStored(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.Config("us-east-1"))
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}]}`
	_, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("typo"), PolicyDocument: aws.String(bad)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MalformedPolicyDocument" {
		t.Fatalf("storing a policy with an unknown operator = %v, want MalformedPolicyDocument", err)
	}
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "MalformedPolicyDocument" {
		t.Fatalf("a trust policy without Principal = %v, want MalformedPolicyDocument", err)
	}
	// The admin was not locked out by the refused document.
	if _, err := admin.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("admin after the refused policy: %v", err)
	}
}
