package iamapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

func TestRoleLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()

	created, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("deployer"), Path: aws.String("/ci/"), AssumeRolePolicyDocument: aws.String(trustPolicy),
		Description: aws.String("Deploys the app"), MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := created.Role
	if got, want := aws.ToString(r.Arn), "arn:aws:iam::"+srv.Account()+":role/ci/deployer"; got != want {
		t.Errorf("CreateRole ARN = %s, want %s", got, want)
	}
	if id := aws.ToString(r.RoleId); !strings.HasPrefix(id, "AROA") {
		t.Errorf("RoleId = %s, want AROA...", id)
	}
	if doc := decodeDocument(t, r.AssumeRolePolicyDocument); doc != trustPolicy {
		t.Errorf("CreateRole trust policy = %s, want %s", doc, trustPolicy)
	}
	if aws.ToString(r.Description) != "Deploys the app" || aws.ToInt32(r.MaxSessionDuration) != 7200 || r.CreateDate == nil {
		t.Errorf("CreateRole = description %q, max session %d, created %v", aws.ToString(r.Description), aws.ToInt32(r.MaxSessionDuration), r.CreateDate)
	}

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
	if err != nil {
		t.Fatal(err)
	}
	if raw := aws.ToString(got.Role.AssumeRolePolicyDocument); strings.ContainsAny(raw, `{":`) {
		t.Errorf("GetRole trust policy %q is not URL-encoded", raw)
	}
	opts := cmp.Options{cmp.AllowUnexported(types.Role{}, types.Tag{}, types.RoleLastUsed{})}
	want := *r
	want.RoleLastUsed = &types.RoleLastUsed{}
	if diff := cmp.Diff(&want, got.Role, opts); diff != "" {
		t.Errorf("GetRole differs from CreateRole (-create +get):\n%s", diff)
	}

	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Deployer"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if msg := wantError(t, err, "EntityAlreadyExists", http.StatusConflict); msg != "Role with name Deployer already exists." {
		t.Errorf("CreateRole(duplicate) message = %q", msg)
	}

	// UpdateAssumeRolePolicy replaces the trust policy.
	newTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatal(err)
	}
	got, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
	if err != nil {
		t.Fatal(err)
	}
	if doc := decodeDocument(t, got.Role.AssumeRolePolicyDocument); doc != newTrust {
		t.Errorf("trust policy after update = %s", doc)
	}

	mustCreateRole(t, c, "auditor")
	list, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range list.Roles {
		names = append(names, aws.ToString(r.RoleName))
		if r.Tags != nil || r.RoleLastUsed != nil {
			t.Errorf("ListRoles returned tags or last use for %s; AWS leaves them out", aws.ToString(r.RoleName))
		}
		if decodeDocument(t, r.AssumeRolePolicyDocument) == "" {
			t.Errorf("ListRoles: %s has no trust policy", aws.ToString(r.RoleName))
		}
	}
	if !slices.Equal(names, []string{"auditor", "deployer"}) {
		t.Errorf("ListRoles = %v, want [auditor deployer]", names)
	}
	page, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1), PathPrefix: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Roles) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Errorf("ListRoles(MaxItems 1) = %d roles, truncated %v", len(page.Roles), page.IsTruncated)
	}
	ci, err := c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(ci.Roles) != 1 || aws.ToString(ci.Roles[0].RoleName) != "deployer" {
		t.Errorf("ListRoles(PathPrefix /ci/) = %v, want [deployer]", ci.Roles)
	}

	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deployer")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deployer")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The role with name deployer cannot be found." {
		t.Errorf("GetRole(deleted) message = %q", msg)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deployer")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(trustPolicy)})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestCreateRoleValidation(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   *iam.CreateRoleInput
		code string
	}{
		{"a role name with a slash is a ValidationError", &iam.CreateRoleInput{RoleName: aws.String("a/b"), AssumeRolePolicyDocument: aws.String(trustPolicy)}, "ValidationError"},
		{"a session duration under an hour is a ValidationError", &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), MaxSessionDuration: aws.Int32(60)}, "ValidationError"},
		{"a session duration over 12 hours is a ValidationError", &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), MaxSessionDuration: aws.Int32(43201)}, "ValidationError"},
		{"a description over 1000 characters is a ValidationError", &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), Description: aws.String(strings.Repeat("d", 1001))}, "ValidationError"},
		{"a trust policy that is not JSON is MalformedPolicyDocument", &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{")}, "MalformedPolicyDocument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateRole(ctx, tc.in)
			wantError(t, err, tc.code, http.StatusBadRequest)
		})
	}
	list, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Roles) != 0 {
		t.Errorf("after refused creates, ListRoles = %d roles", len(list.Roles))
	}
}

func TestRolePolicies(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateRole(t, c, "app")
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read"), PolicyDocument: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")})
	if err != nil {
		t.Fatal(err)
	}
	if doc := decodeDocument(t, got.PolicyDocument); doc != readOnlyPolicy || aws.ToString(got.RoleName) != "app" {
		t.Errorf("GetRolePolicy = role %s document %s", aws.ToString(got.RoleName), doc)
	}
	list, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list.PolicyNames, []string{"read"}) {
		t.Errorf("ListRolePolicies = %v, want [read]", list.PolicyNames)
	}

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	if msg := wantError(t, err, "DeleteConflict", http.StatusConflict); msg != "Cannot delete entity, must delete policies first." {
		t.Errorf("DeleteRole with a policy: message %q", msg)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatalf("GetRole after refused delete: %v", err)
	}

	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The role policy with name read cannot be found." {
		t.Errorf("GetRolePolicy(deleted) message = %q", msg)
	}
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The role policy with name read cannot be found." {
		t.Errorf("DeleteRolePolicy(deleted) message = %q", msg)
	}
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("nobody"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readOnlyPolicy)})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("nobody")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatalf("DeleteRole once its policies are gone: %v", err)
	}
}

func TestRoleTags(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateRole(t, c, "tagged")
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("tagged"), Tags: []types.Tag{tag("z", "1"), tag("a", "2")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("tagged"), TagKeys: []string{"z"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]types.Tag{tag("a", "2")}, out.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("ListRoleTags (-want +got):\n%s", diff)
	}
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Role.Tags) != 1 {
		t.Errorf("GetRole tags = %v", got.Role.Tags)
	}
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("nobody"), Tags: []types.Tag{tag("a", "1")}})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("nobody"), TagKeys: []string{"a"}})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("nobody")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
}
