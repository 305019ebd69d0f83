package iam

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidatePolicy(t *testing.T) {
	t.Parallel()
	res := func(stmts ...string) string { return ptDoc(stmts...) }
	anyone := `"Principal": "*"`
	tests := []struct {
		name string
		kind PolicyKind
		doc  string
		want []string // "TYPE CHECK", in order
	}{
		{"a plain policy has no findings", IdentityPolicyKind, ptAllowGet, nil},
		{"a document that does not parse is one error", IdentityPolicyKind, `{"Version": "2012-10-17"}`,
			[]string{"ERROR MISSING_STATEMENT"}},
		{"a bad operator is an error naming the check", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEqualz", "aws:username", "a"))),
			[]string{"ERROR INVALID_CONDITION_OPERATOR"}},
		{"a missing Version is a warning", IdentityPolicyKind, `{"Statement": ` + ptAllowGetStmt + `}`,
			[]string{"WARNING MISSING_VERSION"}},
		{"a variable in a 2008-10-17 policy is an error", IdentityPolicyKind, `{"Version": "2008-10-17", "Statement": ` + ptAllow(ptGetValue, ptMySecrets) + `}`,
			[]string{"ERROR VARIABLE_UNSUPPORTED_IN_VERSION"}},
		{"a variable before the ARN's resource part is a warning", IdentityPolicyKind,
			ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:${aws:PrincipalAccount}:secret:*")),
			[]string{"WARNING VARIABLE_UNSUPPORTED_IN_ARN_PREFIX"}},
		{"an empty Sid is a suggestion", IdentityPolicyKind, ptDoc(`{"Sid": "", ` + ptAllowGetStmt[1:]),
			[]string{"SUGGESTION EMPTY_SID_VALUE"}},
		{"a repeated Sid in a resource policy is a warning", ResourcePolicyKind,
			res(`{"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}`, `{"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}`),
			[]string{"WARNING UNIQUE_SIDS_RECOMMENDED"}},
		{"Allow with NotPrincipal is a security warning", ResourcePolicyKind, res(ptAllow(ptGetValue, "*", ptNotPrincipal(ptBobARN))),
			[]string{"SECURITY_WARNING ALLOW_WITH_NOT_PRINCIPAL"}},
		{"Deny with NotPrincipal is fine", ResourcePolicyKind, res(ptDeny(ptGetValue, "*", ptNotPrincipal(ptBobARN, ptAccount))), nil},
		{"an Allow to anyone is a security warning", ResourcePolicyKind, res(ptAllow(ptGetValue, "*", anyone)),
			[]string{"SECURITY_WARNING PUBLIC_ACCESS"}},
		{"an Allow to anyone in one account is fine", ResourcePolicyKind,
			res(ptAllow(ptGetValue, "*", anyone, ptCond("StringEquals", "aws:PrincipalAccount", ptAccount))), nil},
		{"an empty principal list is a suggestion", ResourcePolicyKind, res(ptAllow(ptGetValue, "*", `"Principal": {"AWS": []}`)),
			[]string{"SUGGESTION EMPTY_ARRAY_PRINCIPAL"}},
		{"an empty resource list is a suggestion", IdentityPolicyKind, ptDoc(ptAllow(ptGetValue, "[]")),
			[]string{"SUGGESTION EMPTY_ARRAY_RESOURCE"}},
		{"an action a wildcard already covers is a suggestion", IdentityPolicyKind, ptDoc(ptAllow(`["secretsmanager:*", "secretsmanager:GetSecretValue"]`, "*")),
			[]string{"SUGGESTION REDUNDANT_ACTION"}},
		{"a repeated action is a suggestion once", IdentityPolicyKind, ptDoc(ptAllow(`["secretsmanager:GetSecretValue", "SecretsManager:getsecretvalue"]`, "*")),
			[]string{"SUGGESTION REDUNDANT_ACTION"}},
		{"a resource \"*\" already covers is a suggestion", IdentityPolicyKind, ptDoc(ptAllow(ptGetValue, `["*", "`+ptSecretARN+`"]`)),
			[]string{"SUGGESTION REDUNDANT_RESOURCE"}},
		{"a resource a pattern already covers is a suggestion", IdentityPolicyKind,
			ptDoc(ptAllow(ptGetValue, `["arn:aws:secretsmanager:*:*:secret:prod/*", "`+ptSecretARN+`"]`)),
			[]string{"SUGGESTION REDUNDANT_RESOURCE"}},
		{"a wildcard in a service name is a suggestion", IdentityPolicyKind, ptDoc(ptAllow("secrets*:GetSecretValue", "*")),
			[]string{"SUGGESTION WILDCARD_IN_SERVICE_NAME"}},
		{"an unknown Secrets Manager action is a warning", IdentityPolicyKind, ptDoc(ptAllow("secretsmanager:GetSecretValu", "*")),
			[]string{"WARNING INVALID_ACTION"}},
		{"a Secrets Manager action pattern that matches nothing is a warning", IdentityPolicyKind, ptDoc(ptAllow("secretsmanager:Fetch*", "*")),
			[]string{"WARNING INVALID_ACTION"}},
		{"known Secrets Manager actions in any case are fine", IdentityPolicyKind, ptDoc(ptAllow(`["secretsmanager:batchgetsecretvalue", "secretsmanager:List*"]`, "*")), nil},
		{"an unknown Secrets Manager condition key is a warning", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "secretsmanager:Stage", "x"))),
			[]string{"WARNING UNKNOWN_CONDITION_KEY"}},
		{"an unknown global condition key is a warning", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "aws:SourceIP4", "x"))),
			[]string{"WARNING UNKNOWN_CONDITION_KEY"}},
		{"another service's condition key is not judged", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "s3:prefix", "x"))), nil},
		{"tag condition keys are known", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "secretsmanager:ResourceTag/team", "x"))), nil},
		{"an operator of the wrong type for the key is a warning", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "aws:SourceIp", "10.0.0.1"))),
			[]string{"WARNING TYPE_MISMATCH"}},
		{"a date operator on aws:EpochTime is fine", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("DateLessThan", "aws:EpochTime", "2030-01-01"))), nil},
		{"a wildcard in StringEquals is a warning", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "secretsmanager:Name", "prod/*"))),
			[]string{"WARNING WILDCARD_WITHOUT_LIKE_OPERATOR"}},
		{"an escaped star in StringEquals is fine", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "secretsmanager:Name", "prod/${*}"))), nil},
		{"several Bool values are an error", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("Bool", "aws:SecureTransport", "true", "false"))),
			[]string{"ERROR INVALID_CONDITION_MULTIPLE_BOOLEAN"}},
		{"a multivalued key without a set operator is an error", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringEquals", "aws:TagKeys", "a"))),
			[]string{"ERROR MISSING_QUALIFIER"}},
		{"ForAllValues on a single-valued key is a security warning", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("ForAllValues:StringEquals", "aws:username", "a"))),
			[]string{"SECURITY_WARNING FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY"}},
		{"Null with a set operator is a suggestion", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("ForAnyValue:Null", "aws:TagKeys", "true"))),
			[]string{"SUGGESTION NULL_WITH_QUALIFIER"}},
		{"an empty condition value list is a suggestion", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("StringLikeIfExists", "aws:username"))),
			[]string{"SUGGESTION EMPTY_ARRAY_CONDITION_IF_EXISTS"}},
		{"an empty ForAllValues list is a suggestion", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptCond("ForAllValues:StringLike", "aws:TagKeys"))),
			[]string{"SUGGESTION EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES"}},
		{"a policy over the resource size limit is an error", ResourcePolicyKind, ptDoc(ptAllow(ptGetValue, ptLongARN(20500), anyone)),
			[]string{"ERROR POLICY_SIZE_EXCEEDS_QUOTA"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			findings := ValidatePolicy(tc.doc, tc.kind)
			var got []string
			for _, f := range findings {
				got = append(got, string(f.Type)+" "+f.Check)
				if f.Message == "" {
					t.Errorf("ValidatePolicy() finding %s has no message", f.Check)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidatePolicy(%s) (-want +got):\n%s\nfindings: %v", tc.doc, diff, findings)
			}
		})
	}
}

func TestValidatePolicyFindingsNameTheStatement(t *testing.T) {
	t.Parallel()
	doc := ptDoc(ptAllowGetStmt, ptAllow("secretsmanager:Nope", "*"))
	got := ValidatePolicy(doc, IdentityPolicyKind)
	want := []Finding{{Type: FindingWarning, Check: "INVALID_ACTION", Message: `action "secretsmanager:Nope" matches no Secrets Manager action`, Statement: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ValidatePolicy() (-want +got):\n%s", diff)
	}
	if s := got[0].String(); !strings.HasPrefix(s, "WARNING INVALID_ACTION: Statement[1]: ") {
		t.Errorf("Finding.String() = %q", s)
	}
}

func TestIsPublic(t *testing.T) {
	t.Parallel()
	anyone := `"Principal": "*"`
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"an Allow to \"*\" is public", ptDoc(ptAllow(ptGetValue, "*", anyone)), true},
		{"an Allow to {\"AWS\": \"*\"} is public", ptDoc(ptAllow(ptGetValue, "*", `"Principal": {"AWS": ["*", "123456789012"]}`)), true},
		{"an Allow with NotPrincipal is public", ptDoc(ptAllow(ptGetValue, "*", ptNotPrincipal(ptBobARN))), true},
		{"an Allow to named principals is not public", ptDoc(ptAllow(ptGetValue, "*", ptPrincipal(ptAccount, ptRoleARN))), false},
		{"a Deny to \"*\" is not public", ptDoc(ptDeny(ptGetValue, "*", anyone)), false},
		{"aws:PrincipalAccount pins \"*\" down", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringEquals", "aws:PrincipalAccount", ptAccount))), false},
		{"aws:PrincipalOrgID pins \"*\" down", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringEquals", "aws:PrincipalOrgID", "o-abc123"))), false},
		{"aws:PrincipalArn with a fixed account pins \"*\" down", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::123456789012:role/*"))), false},
		{"aws:PrincipalArn with any account does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin"))), true},
		{"aws:SourceIp in a /24 pins \"*\" down", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("IpAddress", "aws:SourceIp", "203.0.113.0/24"))), false},
		{"aws:SourceIp of the whole internet does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("IpAddress", "aws:SourceIp", "0.0.0.0/0"))), true},
		{"aws:SourceVpce pins \"*\" down", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"))), false},
		{"a wildcard value does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringLike", "aws:PrincipalAccount", "*"))), true},
		{"a policy variable does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringEquals", "aws:PrincipalAccount", "${aws:PrincipalAccount}"))), true},
		{"an IfExists condition does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringEqualsIfExists", "aws:PrincipalAccount", ptAccount))), true},
		{"a negated condition does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("StringNotEquals", "aws:PrincipalAccount", ptOther))), true},
		{"ForAllValues does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("ForAllValues:StringEquals", "aws:PrincipalOrgPaths", "o-a/r-b/"))), true},
		{"a condition on another key does not", ptDoc(ptAllow(ptGetValue, "*", anyone, ptCond("Bool", "aws:SecureTransport", "true"))), true},
		{"one public statement among private ones makes the policy public", ptDoc(ptAllow(ptGetValue, "*", ptPrincipal(ptAliceARN)), ptAllow("secretsmanager:DescribeSecret", "*", anyone)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := IsPublic(ptMustParse(t, tc.doc, ResourcePolicyKind)); got != tc.want {
				t.Errorf("IsPublic(%s) = %v, want %v", tc.doc, got, tc.want)
			}
		})
	}
}
