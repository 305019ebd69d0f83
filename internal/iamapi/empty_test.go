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

// Terraform's aws provider reads these when it refreshes or destroys a
// user or role; they answer empty lists for entities that exist.
func TestAttachmentListsAreEmptyForExistingEntities(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	c := iam.NewFromConfig(srv.Config("us-east-1"))
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tf"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	up, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("admin")})
	if err != nil || len(up.AttachedPolicies) != 0 || up.IsTruncated {
		t.Fatalf("ListAttachedUserPolicies = %+v, %v", up, err)
	}
	g, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("admin")})
	if err != nil || len(g.Groups) != 0 {
		t.Fatalf("ListGroupsForUser = %+v, %v", g, err)
	}
	rp, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("tf")})
	if err != nil || len(rp.AttachedPolicies) != 0 {
		t.Fatalf("ListAttachedRolePolicies = %+v, %v", rp, err)
	}
	ip, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("tf")})
	if err != nil || len(ip.InstanceProfiles) != 0 {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", ip, err)
	}
	_, err = c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("missing")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchEntity" {
		t.Fatalf("for a missing role = %v, want NoSuchEntity", err)
	}
}
