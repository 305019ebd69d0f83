package sts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// Resource policies end to end: a secret's own policy grants a principal
// that has no identity policy at all; public grants are blocked on request;
// validation reports findings; deleting the policy takes the grant away.
func TestResourcePolicyGrantsAndIsManaged(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	arn := mustSecret(t, srv.Client, "shared/key")
	if _, err := srv.IAM().CreateUser(ctx, "partner", "/", nil); err != nil {
		t.Fatal(err)
	}
	k, err := srv.IAM().CreateAccessKey(ctx, "partner")
	if err != nil {
		t.Fatal(err)
	}
	partner := srv.ClientWith("us-east-1", k.ID, k.Secret.Reveal())
	read := func() error {
		_, err := partner.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(arn)})
		return err
	}
	if err := read(); err == nil || code(t, err) != "AccessDeniedException" {
		t.Fatalf("partner before any policy = %v, want AccessDeniedException", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::` + srv.Account() + `:user/partner"},
		"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	if _, err := srv.Client.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: aws.String(arn), ResourcePolicy: aws.String(policy), BlockPublicPolicy: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := read(); err != nil {
		t.Fatalf("partner named by the resource policy: %v", err)
	}
	got, err := srv.Client.GetResourcePolicy(ctx, &sm.GetResourcePolicyInput{SecretId: aws.String(arn)})
	if err != nil || aws.ToString(got.ResourcePolicy) != policy {
		t.Fatalf("GetResourcePolicy = %v, %v", got, err)
	}
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	_, err = srv.Client.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: aws.String(arn), ResourcePolicy: aws.String(public), BlockPublicPolicy: aws.Bool(true)})
	if err == nil || code(t, err) != "PublicPolicyException" {
		t.Fatalf("a public policy with BlockPublicPolicy = %v, want PublicPolicyException", err)
	}
	_, err = srv.Client.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: aws.String(arn), ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"x:Y"}]}`)})
	if err == nil || code(t, err) != "MalformedPolicyDocumentException" {
		t.Fatalf("a malformed resource policy = %v, want MalformedPolicyDocumentException", err)
	}
	v, err := srv.Client.ValidateResourcePolicy(ctx, &sm.ValidateResourcePolicyInput{ResourcePolicy: aws.String(public)})
	if err != nil {
		t.Fatal(err)
	}
	if v.PolicyValidationPassed || len(v.ValidationErrors) == 0 {
		t.Fatalf("validating a public policy: passed=%v findings=%+v, want findings and not passed", v.PolicyValidationPassed, v.ValidationErrors)
	}
	ok, err := srv.Client.ValidateResourcePolicy(ctx, &sm.ValidateResourcePolicyInput{SecretId: aws.String(arn), ResourcePolicy: aws.String(policy)})
	if err != nil || !ok.PolicyValidationPassed {
		t.Fatalf("validating the partner policy = %+v, %v; want passed", ok, err)
	}
	if _, err := srv.Client.DeleteResourcePolicy(ctx, &sm.DeleteResourcePolicyInput{SecretId: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if err := read(); err == nil || code(t, err) != "AccessDeniedException" {
		t.Fatalf("partner after the policy was deleted = %v, want AccessDeniedException", err)
	}
}
