package iamapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// readOnlyPolicy has characters URL encoding must carry: spaces, quotes,
// colons, slashes, a star, a plus and a newline.
const readOnlyPolicy = `{
 "Version": "2012-10-17",
 "Statement": [{"Sid": "ReadList", "Effect": "Allow", "Action": ["secretsmanager:Get*"], "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"}]
}`

func TestUserPolicies(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "frank")

	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("read"), PolicyDocument: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("also"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("read")})
	if err != nil {
		t.Fatal(err)
	}
	if raw := aws.ToString(got.PolicyDocument); strings.ContainsAny(raw, " {\"\n+") {
		t.Errorf("GetUserPolicy document %q is not URL-encoded", raw)
	}
	if doc := decodeDocument(t, got.PolicyDocument); doc != readOnlyPolicy {
		t.Errorf("GetUserPolicy document round trip:\ngot  %s\nwant %s", doc, readOnlyPolicy)
	}
	if aws.ToString(got.UserName) != "frank" || aws.ToString(got.PolicyName) != "read" {
		t.Errorf("GetUserPolicy = user %s policy %s", aws.ToString(got.UserName), aws.ToString(got.PolicyName))
	}

	list, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("frank")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.PolicyNames, []string{"also", "read"}) || list.IsTruncated {
		t.Errorf("ListUserPolicies = %v truncated %v, want [also read]", list.PolicyNames, list.IsTruncated)
	}
	first, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("frank"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("frank"), Marker: first.Marker})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(first.PolicyNames, []string{"also"}) || !first.IsTruncated || !slices.Equal(rest.PolicyNames, []string{"read"}) || rest.IsTruncated {
		t.Errorf("ListUserPolicies pages = %v (truncated %v), %v (truncated %v)", first.PolicyNames, first.IsTruncated, rest.PolicyNames, rest.IsTruncated)
	}

	if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("read")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("read")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The user policy with name read cannot be found." {
		t.Errorf("GetUserPolicy(deleted) message = %q", msg)
	}
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("frank"), PolicyName: aws.String("read")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The user policy with name read cannot be found." {
		t.Errorf("DeleteUserPolicy(deleted) message = %q", msg)
	}

	for name, call := range map[string]func() error{
		"PutUserPolicy": func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readOnlyPolicy)})
			return err
		},
		"GetUserPolicy": func() error {
			_, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("p")})
			return err
		},
		"DeleteUserPolicy": func() error {
			_, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("p")})
			return err
		},
		"ListUserPolicies": func() error {
			_, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("nobody")})
			return err
		},
	} {
		if msg := wantError(t, call(), "NoSuchEntity", http.StatusNotFound); msg != "The user with name nobody cannot be found." {
			t.Errorf("%s for a missing user: message %q", name, msg)
		}
	}
}

func TestAdminHasAdministratorAccess(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	list, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("admin")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.PolicyNames, []string{"AdministratorAccess"}) {
		t.Fatalf("admin's policies = %v, want [AdministratorAccess]", list.PolicyNames)
	}
	got, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("AdministratorAccess")})
	if err != nil {
		t.Fatal(err)
	}
	if doc := decodeDocument(t, got.PolicyDocument); !strings.Contains(doc, `"Action":"*"`) {
		t.Errorf("AdministratorAccess = %s", doc)
	}
}

func TestMalformedPolicyDocuments(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "gina")
	mustCreateRole(t, c, "r")
	for _, doc := range []string{`{"Version": "2012-10-17",`, `not json`, `{"Statement": [}`} {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(doc)})
		wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(doc)})
		wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(doc)})
		wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
		_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(doc)})
		wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	}
	// A document over the inline policy quota.
	big := `{"Version":"2012-10-17","Statement":[],"Padding":"` + strings.Repeat("x", 11000) + `"}`
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gina"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	wantError(t, err, "LimitExceeded", http.StatusConflict)

	// Nothing was stored.
	list, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("gina")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.PolicyNames) != 0 {
		t.Errorf("after refused puts, policies = %v", list.PolicyNames)
	}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if err != nil {
		t.Fatal(err)
	}
	if doc := decodeDocument(t, role.Role.AssumeRolePolicyDocument); doc != trustPolicy {
		t.Errorf("after refused update, trust policy = %s", doc)
	}
}
