package iamapi_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Requests the SDKs would refuse to send, checked on the wire: AWS's
// front end answers them with ValidationError.
func TestMissingAndInvalidParametersOnTheWire(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	for _, tc := range []struct {
		name    string
		params  url.Values
		code    string
		message string
	}{
		{"CreateUser without UserName is a ValidationError", form("CreateUser"), "ValidationError",
			"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
		{"PutUserPolicy without anything lists three violations", form("PutUserPolicy"), "ValidationError",
			"3 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'policyName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'policyDocument' failed to satisfy constraint: Member must not be null"},
		{"CreateRole without a trust policy is a ValidationError", form("CreateRole", "RoleName", "r"), "ValidationError",
			"1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"},
		{"a policy document outside Latin-1 is refused without being quoted back", form("PutUserPolicy", "UserName", "admin", "PolicyName", "p", "PolicyDocument", `{"a":"☃"}`), "ValidationError",
			`1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`},
		{"TagUser without Tags is a ValidationError", form("TagUser", "UserName", "admin"), "ValidationError",
			"1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"},
		{"a tag without a value is a ValidationError", form("TagUser", "UserName", "admin", "Tags.member.1.Key", "k"), "ValidationError",
			"1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"},
		{"UntagUser without TagKeys is a ValidationError", form("UntagUser", "UserName", "admin"), "ValidationError",
			"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"},
		{"UpdateAccessKey without a status is a ValidationError", form("UpdateAccessKey", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA"), "ValidationError",
			"1 validation error detected: Value null at 'status' failed to satisfy constraint: Member must not be null"},
		{"MaxItems of zero is a ValidationError", form("ListUsers", "MaxItems", "0"), "ValidationError",
			"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"MaxItems over 1000 is a ValidationError", form("ListRoles", "MaxItems", "1001"), "ValidationError",
			"1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"},
		{"an unknown action is InvalidAction", form("CreateGroup", "GroupName", "g"), "InvalidAction",
			"Could not find operation CreateGroup for version 2010-05-08"},
		{"SimulatePrincipalPolicy without ActionNames is a ValidationError", form("SimulatePrincipalPolicy", "PolicySourceArn", "arn:aws:iam::000000000000:user/admin"), "ValidationError",
			"1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, srv, tc.params)
			e := parseError(t, body)
			if status != http.StatusBadRequest || e.Error.Code != tc.code || e.Error.Message != tc.message || e.Error.Type != "Sender" {
				t.Errorf("%s = %d %s/%s %q,\nwant 400 Sender/%s %q", tc.params.Get("Action"), status, e.Error.Type, e.Error.Code, e.Error.Message, tc.code, tc.message)
			}
			if e.RequestID == "" {
				t.Error("error response without RequestId")
			}
		})
	}
}

// The XML documents themselves, compared with golden files.
func TestResponseDocuments(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t)
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	const userPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	for _, step := range []struct {
		golden string
		params url.Values
		status int
	}{
		{"create_user", form("CreateUser", "UserName", "golden", "Path", "/team/", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v 1"), 200},
		{"list_users", form("ListUsers", "MaxItems", "1"), 200},
		{"create_role", form("CreateRole", "RoleName", "golden-role", "AssumeRolePolicyDocument", trust, "Description", "golden & <role>"), 200},
		{"get_role", form("GetRole", "RoleName", "golden-role"), 200},
		{"put_user_policy", form("PutUserPolicy", "UserName", "golden", "PolicyName", "p", "PolicyDocument", userPolicy), 200},
		{"get_user_policy", form("GetUserPolicy", "UserName", "golden", "PolicyName", "p"), 200},
		{"list_user_tags", form("ListUserTags", "UserName", "golden"), 200},
		{"list_role_policies_empty", form("ListRolePolicies", "RoleName", "golden-role"), 200},
		{"no_such_user", form("GetUser", "UserName", "missing"), 404},
	} {
		status, body := postForm(t, srv, step.params)
		if status != step.status {
			t.Fatalf("%s: status %d, want %d\n%s", step.params.Get("Action"), status, step.status, body)
		}
		checkGolden(t, step.golden, body)
	}
}
