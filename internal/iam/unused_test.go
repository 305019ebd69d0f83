package iam_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/iam"
)

const (
	unusedAccount = "123456789012"
	unusedUserARN = "arn:aws:iam::123456789012:user/ci-bot"
	unusedDB      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
	unusedAPI     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-x1Y2z3"
	unusedParam   = "arn:aws:ssm:us-east-1:123456789012:parameter/app/url"
)

// unusedActions stands for the actions the server serves.
var unusedActions = []string{
	"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
	"secretsmanager:GetRandomPassword", "secretsmanager:GetSecretValue", "secretsmanager:ListSecrets",
	"secretsmanager:PutSecretValue",
	"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:PutParameter",
	"sts:GetCallerIdentity",
}

var unusedUser = iam.Principal{Account: unusedAccount, ARN: unusedUserARN, Name: "ci-bot", UserID: "AIDACIBOT"}

var (
	t0 = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(2 * time.Hour)
)

func unusedPolicy(t *testing.T, name, doc string) iam.NamedPolicy {
	t.Helper()
	p, err := iam.ParsePolicy(doc, iam.IdentityPolicyKind)
	if err != nil {
		t.Fatalf("ParsePolicy(%s) = %v", name, err)
	}
	return iam.NamedPolicy{Name: name, Policy: p}
}

// evaluate decides one request of the user against policies, as the
// server would without a resource policy.
func evaluate(p iam.Principal, policies []iam.NamedPolicy, action, resource string) iam.Decision {
	ec := iam.EvalContext{Principal: p, Action: action, Resource: resource, Now: t2}
	return iam.Evaluate(ec, policies, nil, nil).Decision
}

// accessNames returns the names of the used and unused items.
func accessNames(items []iam.Access) (used, unused []string) {
	for _, a := range items {
		if a.Used() {
			used = append(used, a.Name)
		} else {
			unused = append(unused, a.Name)
		}
	}
	return used, unused
}

func TestUnusedReportsEachStatementsUnusedActionsAndResources(t *testing.T) {
	policies := []iam.NamedPolicy{
		unusedPolicy(t, "broad", `{"Version":"2012-10-17","Statement":[
			{"Sid":"All","Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},
			{"Effect":"Allow","Action":["ssm:GetParameter*","kms:Decrypt"],"Resource":["`+unusedParam+`","arn:aws:ssm:*:*:parameter/other/*"]},
			{"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}]}`),
		unusedPolicy(t, "reads", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:Get*","Resource":"`+unusedDB+`"}}`),
	}
	uses := []iam.Use{
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB, Last: t0},
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB, Last: t2},
		{Action: "secretsmanager:GetSecretValue", Resource: unusedAPI, Last: t1},
		{Action: "secretsmanager:ListSecrets", Resource: "*", Last: t1},
		{Action: "ssm:GetParameter", Resource: unusedParam, Last: t0},
	}
	rep := iam.LastAccessed(iam.AccessInput{Principal: unusedUser, Policies: policies, Actions: unusedActions, Uses: uses})
	if len(rep.Statements) != 3 {
		t.Fatalf("LastAccessed reports %d statements, want the 3 Allow statements", len(rep.Statements))
	}

	all := rep.Statements[0]
	if all.Policy != "broad" || all.Index != 0 || all.Sid != "All" {
		t.Errorf("statement 0 = %s #%d %q", all.Policy, all.Index, all.Sid)
	}
	used, unused := accessNames(all.Actions)
	if want := []string{"secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"}; !cmp.Equal(used, want) {
		t.Errorf("secretsmanager:* used actions = %v, want %v", used, want)
	}
	if want := []string{"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:DescribeSecret",
		"secretsmanager:GetRandomPassword", "secretsmanager:PutSecretValue"}; !cmp.Equal(unused, want) {
		t.Errorf("secretsmanager:* unused actions = %v, want %v", unused, want)
	}
	if got := all.Actions[4]; got.Name != "secretsmanager:GetSecretValue" || !got.Last.Equal(t2) {
		t.Errorf("GetSecretValue = %+v, want last used %v", got, t2)
	}
	if want := []iam.Access{{Name: "*", Last: t2}}; !cmp.Equal(all.Resources, want) {
		t.Errorf("secretsmanager:* resources = %+v, want %+v", all.Resources, want)
	}

	ssm := rep.Statements[1]
	used, unused = accessNames(ssm.Actions)
	if want := []string{"ssm:GetParameter"}; !cmp.Equal(used, want) {
		t.Errorf("ssm:GetParameter* used = %v, want %v", used, want)
	}
	if want := []string{"ssm:GetParameters", "ssm:GetParametersByPath", "kms:Decrypt"}; !cmp.Equal(unused, want) {
		t.Errorf("ssm:GetParameter* unused = %v, want %v", unused, want)
	}
	if last := ssm.Actions[len(ssm.Actions)-1]; !last.NotServed {
		t.Errorf("kms:Decrypt = %+v, want NotServed", last)
	}
	used, unused = accessNames(ssm.Resources)
	if !cmp.Equal(used, []string{unusedParam}) || !cmp.Equal(unused, []string{"arn:aws:ssm:*:*:parameter/other/*"}) {
		t.Errorf("ssm resources used %v, unused %v", used, unused)
	}

	// A use counts for a statement only on a resource the statement grants.
	reads := rep.Statements[2]
	if reads.Policy != "reads" {
		t.Fatalf("statement 2 is of policy %q", reads.Policy)
	}
	for _, a := range reads.Actions {
		if a.Name == "secretsmanager:GetSecretValue" && !a.Last.Equal(t2) {
			t.Errorf("reads: GetSecretValue last used %v, want %v (its use of the other secret does not count)", a.Last, t2)
		}
		if a.Name == "secretsmanager:GetRandomPassword" && a.Used() {
			t.Errorf("reads: GetRandomPassword used %v, want never", a.Last)
		}
	}
	if len(rep.Ungranted) != 0 {
		t.Errorf("Ungranted = %+v, want none", rep.Ungranted)
	}
}

func TestUnusedGeneratedPolicyAllowsEveryUseAndNoUnusedGrant(t *testing.T) {
	policies := []iam.NamedPolicy{unusedPolicy(t, "broad", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},
		{"Effect":"Allow","Action":["ssm:GetParameter*","sts:GetCallerIdentity"],"Resource":"*"}]}`)}
	uses := []iam.Use{
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB, Last: t0},
		{Action: "secretsmanager:DescribeSecret", Resource: unusedDB, Last: t0},
		{Action: "secretsmanager:GetSecretValue", Resource: unusedAPI, Last: t1},
		{Action: "secretsmanager:DescribeSecret", Resource: unusedAPI, Last: t1},
		{Action: "secretsmanager:PutSecretValue", Resource: unusedAPI, Last: t1},
		{Action: "secretsmanager:ListSecrets", Resource: "*", Last: t1},
		{Action: "secretsmanager:GetRandomPassword", Resource: "", Last: t1},
		{Action: "sts:GetCallerIdentity", Resource: "*", Last: t1},
		{Action: "ssm:GetParameter", Resource: unusedParam, Last: t2},
		// A secret read by a name that did not exist is authorized
		// against the ARN without a suffix.
		{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone", Last: t2},
		// Used on "*" and on one secret: "*" covers both.
		{Action: "secretsmanager:DeleteSecret", Resource: "*", Last: t2},
		{Action: "secretsmanager:DeleteSecret", Resource: unusedDB, Last: t2},
	}
	rep := iam.LastAccessed(iam.AccessInput{Principal: unusedUser, Policies: policies, Actions: unusedActions, Uses: uses})
	if len(rep.Granted) != len(uses) || len(rep.Ungranted) != 0 {
		t.Fatalf("LastAccessed: %d granted, %d ungranted; want all %d granted", len(rep.Granted), len(rep.Ungranted), len(uses))
	}
	doc, err := iam.GeneratePolicy(rep.Granted)
	if err != nil {
		t.Fatalf("GeneratePolicy = %v\n%s", err, doc)
	}
	gen := []iam.NamedPolicy{unusedPolicy(t, "generated", doc)}
	if strings.Contains(doc, "Condition") || !strings.Contains(doc, `"Version": "2012-10-17"`) {
		t.Errorf("generated policy:\n%s", doc)
	}
	for _, u := range uses {
		r := u.Resource
		if r == "" {
			r = "*"
		}
		if d := evaluate(unusedUser, gen, u.Action, r); d != iam.Allow {
			t.Errorf("generated policy on %s %s = %v, want Allow\n%s", u.Action, r, d, doc)
		}
	}
	// Granted but not used: the generated policy refuses them.
	for _, ar := range [][2]string{
		{"secretsmanager:CreateSecret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:new-AAAAAA"},
		{"secretsmanager:PutSecretValue", unusedDB},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/dbx-AbCdEf"},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf-123456"},
		{"ssm:GetParameters", unusedParam},
		{"ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/other"},
	} {
		if d := evaluate(unusedUser, policies, ar[0], ar[1]); d != iam.Allow {
			t.Fatalf("test setup: the broad policy does not grant %s on %s", ar[0], ar[1])
		}
		if d := evaluate(unusedUser, gen, ar[0], ar[1]); d == iam.Allow {
			t.Errorf("generated policy allows the unused %s on %s\n%s", ar[0], ar[1], doc)
		}
	}
	// The same secret created again, with a new suffix, is still readable.
	if d := evaluate(unusedUser, gen, "secretsmanager:GetSecretValue", strings.TrimSuffix(unusedDB, "AbCdEf")+"ZzZzZz"); d != iam.Allow {
		t.Errorf("generated policy refuses prod/db created again: %v\n%s", d, doc)
	}
}

func TestUnusedGeneratedPolicyGroupsResourcesByActions(t *testing.T) {
	doc, err := iam.GeneratePolicy([]iam.Use{
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB},
		{Action: "secretsmanager:GetSecretValue", Resource: unusedAPI},
		{Action: "secretsmanager:ListSecrets", Resource: "*"},
		{Action: "sts:GetCallerIdentity", Resource: "*"},
		{Action: "ssm:GetParameter", Resource: unusedParam},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "secretsmanager:ListSecrets",
        "sts:GetCallerIdentity"
      ],
      "Resource": [
        "*"
      ]
    },
    {
      "Effect": "Allow",
      "Action": [
        "secretsmanager:GetSecretValue"
      ],
      "Resource": [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api-??????",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????"
      ]
    },
    {
      "Effect": "Allow",
      "Action": [
        "ssm:GetParameter"
      ],
      "Resource": [
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/url"
      ]
    }
  ]
}`
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("GeneratePolicy (-want +got):\n%s", diff)
	}
}

func TestUnusedGeneratePolicyWithoutUsesFails(t *testing.T) {
	if doc, err := iam.GeneratePolicy(nil); err == nil {
		t.Errorf("GeneratePolicy(nil) = %s, nil; want an error (a policy needs a statement)", doc)
	}
}

func TestUnusedUsesNoStatementGrantsAreUngranted(t *testing.T) {
	policies := []iam.NamedPolicy{unusedPolicy(t, "reads", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],"Resource":"`+unusedDB+`"},
		{"Effect":"Allow","Action":"secretsmanager:BatchGetSecretValue","Resource":"*"}]}`)}
	rep := iam.LastAccessed(iam.AccessInput{Principal: unusedUser, Policies: policies, Actions: unusedActions, Uses: []iam.Use{
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB, Last: t0},
		// Allowed by the secret's resource policy: not the identity policy's doing.
		{Action: "secretsmanager:GetSecretValue", Resource: unusedAPI, Last: t1},
		// Possible uses count where a statement grants them, else vanish.
		{Action: "secretsmanager:BatchGetSecretValue", Resource: "*", Last: t1},
		{Action: "secretsmanager:ListSecrets", Resource: "*", Last: t1, Possible: true},
		{Action: "secretsmanager:ListSecrets", Resource: unusedDB, Last: t1, Possible: true},
	}})
	want := []iam.Use{
		{Action: "secretsmanager:BatchGetSecretValue", Resource: "*", Last: t1},
		{Action: "secretsmanager:GetSecretValue", Resource: unusedDB, Last: t0},
		{Action: "secretsmanager:ListSecrets", Resource: unusedDB, Last: t1},
	}
	if diff := cmp.Diff(want, rep.Granted); diff != "" {
		t.Errorf("Granted (-want +got):\n%s", diff)
	}
	if want := []iam.Use{{Action: "secretsmanager:GetSecretValue", Resource: unusedAPI, Last: t1}}; !cmp.Equal(rep.Ungranted, want) {
		t.Errorf("Ungranted = %+v, want %+v", rep.Ungranted, want)
	}
}

func TestUnusedNotActionNotResourceAndVariables(t *testing.T) {
	policies := []iam.NamedPolicy{unusedPolicy(t, "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","NotAction":["secretsmanager:*","sts:*"],"NotResource":"arn:aws:ssm:*:*:parameter/admin/*"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:${aws:username}/*"}]}`)}
	own := "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-bot/token-AbCdEf"
	rep := iam.LastAccessed(iam.AccessInput{Principal: unusedUser, Policies: policies, Actions: unusedActions, Uses: []iam.Use{
		{Action: "ssm:GetParameter", Resource: unusedParam, Last: t1},
		{Action: "secretsmanager:GetSecretValue", Resource: own, Last: t2},
	}})
	used, unused := accessNames(rep.Statements[0].Actions)
	if !cmp.Equal(used, []string{"ssm:GetParameter"}) || !cmp.Equal(unused, []string{"ssm:GetParameters", "ssm:GetParametersByPath", "ssm:PutParameter"}) {
		t.Errorf("NotAction statement: used %v, unused %v", used, unused)
	}
	if want := []iam.Access{{Name: "arn:aws:ssm:*:*:parameter/admin/*", Last: t1}}; !cmp.Equal(rep.Statements[0].Resources, want) {
		t.Errorf("NotResource statement resources = %+v, want %+v", rep.Statements[0].Resources, want)
	}
	if got := rep.Statements[1].Resources; len(got) != 1 || !got[0].Last.Equal(t2) {
		t.Errorf("${aws:username} resource = %+v, want used at %v", got, t2)
	}
	if len(rep.Ungranted) != 0 {
		t.Errorf("Ungranted = %+v", rep.Ungranted)
	}
}

func TestUnusedGeneralizeSecretARN(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a secret ARN loses its random suffix", unusedDB, strings.TrimSuffix(unusedDB, "AbCdEf") + "??????"},
		{"a secret ARN without a suffix stays", "arn:aws:secretsmanager:us-east-1:1:secret:db", "arn:aws:secretsmanager:us-east-1:1:secret:db"},
		{"a suffix with punctuation is not random", "arn:aws:secretsmanager:us-east-1:1:secret:db-ab/def", "arn:aws:secretsmanager:us-east-1:1:secret:db-ab/def"},
		{"a parameter ARN stays", unusedParam, unusedParam},
		{"star stays", "*", "*"},
	} {
		if got := iam.GeneralizeSecretARN(tc.in); got != tc.want {
			t.Errorf("%s: GeneralizeSecretARN(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}
