package iamapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// verdict is what the simulation tests check of an EvaluationResult: the
// decision, each matched statement as "type id line:column-line:column",
// and the missing context keys (from ResourceSpecificResults when the
// resource is not "*", where AWS puts them).
type verdict struct {
	Decision string
	Matched  []string
	Missing  []string
}

func verdictOf(t *testing.T, r types.EvaluationResult) verdict {
	t.Helper()
	v := verdict{Decision: string(r.EvalDecision), Missing: r.MissingContextValues}
	for _, m := range r.MatchedStatements {
		s := string(m.SourcePolicyType) + " " + aws.ToString(m.SourcePolicyId)
		if m.StartPosition != nil && m.EndPosition != nil {
			s += fmt.Sprintf(" %d:%d-%d:%d", m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
		}
		v.Matched = append(v.Matched, s)
	}
	if aws.ToString(r.EvalResourceName) != "*" {
		if len(r.ResourceSpecificResults) != 1 {
			t.Fatalf("result on %s has %d resource-specific results, want 1", aws.ToString(r.EvalResourceName), len(r.ResourceSpecificResults))
		}
		rs := r.ResourceSpecificResults[0]
		if rs.EvalResourceDecision != r.EvalDecision || aws.ToString(rs.EvalResourceName) != aws.ToString(r.EvalResourceName) {
			t.Errorf("resource-specific result = %s on %s, want %s on %s", rs.EvalResourceDecision, aws.ToString(rs.EvalResourceName), r.EvalDecision, aws.ToString(r.EvalResourceName))
		}
		v.Missing = append(v.Missing, rs.MissingContextValues...)
	}
	if len(v.Missing) == 0 {
		v.Missing = nil
	}
	return v
}

// onlyVerdict runs a simulation expected to yield one result and returns
// its verdict.
func onlyVerdict(t *testing.T, out *iam.SimulatePrincipalPolicyOutput, err error) verdict {
	t.Helper()
	if err != nil {
		t.Fatalf("SimulatePrincipalPolicy: %v", err)
	}
	if len(out.EvaluationResults) != 1 {
		t.Fatalf("SimulatePrincipalPolicy returned %d results, want 1", len(out.EvaluationResults))
	}
	return verdictOf(t, out.EvaluationResults[0])
}

func secretARN(srv *coffertest.Server, name string) string {
	return "arn:aws:secretsmanager:us-east-1:" + srv.Account() + ":secret:" + name
}

// readOnePolicy allows GetSecretValue on one secret. The statement spans
// lines 4 to 9, its braces in column 5.
func readOnePolicy(arn string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadDB",
      "Effect": "Allow",
      "Action": "secretsmanager:GetSecretValue",
      "Resource": "` + arn + `"
    }
  ]
}`
}

func mustPutUserPolicy(t *testing.T, c *iam.Client, user, name, doc string) {
	t.Helper()
	_, err := c.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatalf("PutUserPolicy(%s, %s): %v", user, name, err)
	}
}

func TestSimulatePrincipalPolicyNamesTheDecidingStatement(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	user := mustCreateUser(t, c, "app")
	db, other := secretARN(srv, "db-AbCdEf"), secretARN(srv, "other-GhIjKl")
	mustPutUserPolicy(t, c, "app", "read-db", readOnePolicy(db))
	denyDB := `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"secretsmanager:*","Resource":"` + db + `"}}`

	for _, tc := range []struct {
		name     string
		resource string
		inputs   []string
		want     verdict
	}{
		{
			name: "the granted secret is allowed by the user's policy", resource: db,
			want: verdict{Decision: "allowed", Matched: []string{"user read-db 4:6-9:6"}},
		},
		{
			name: "another secret is implicitly denied, by no statement", resource: other,
			want: verdict{Decision: "implicitDeny"},
		},
		{
			name: "a Deny in an input policy wins and is named", resource: db, inputs: []string{denyDB},
			want: verdict{Decision: "explicitDeny", Matched: []string{"IAM Policy PolicyInputList.1 1:38-1:158"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: user.User.Arn, ActionNames: []string{"secretsmanager:GetSecretValue"},
				ResourceArns: []string{tc.resource}, PolicyInputList: tc.inputs,
			})
			got := onlyVerdict(t, out, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("SimulatePrincipalPolicy(app, GetSecretValue, %s) (-want +got):\n%s", tc.resource, diff)
			}
			if r := out.EvaluationResults[0]; aws.ToString(r.EvalActionName) != "secretsmanager:GetSecretValue" || aws.ToString(r.EvalResourceName) != tc.resource {
				t.Errorf("result names %s on %s", aws.ToString(r.EvalActionName), aws.ToString(r.EvalResourceName))
			}
		})
	}
}

func TestSimulatePrincipalPolicyOfARole(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	role := mustCreateRole(t, c, "rotate-fn")
	db := secretARN(srv, "db-AbCdEf")
	_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("rotate-fn"), PolicyName: aws.String("secrets"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:PutSecretValue"],"Resource":"` + db + `"},
			{"Sid":"OwnTagsOnly","Effect":"Deny","Action":"secretsmanager:PutSecretValue","Resource":"*",
			 "Condition":{"StringNotEquals":{"aws:PrincipalArn":"` + aws.ToString(role.Role.Arn) + `"}}}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: role.Role.Arn, ActionNames: []string{"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"},
		ResourceArns: []string{db},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []verdict
	for _, r := range out.EvaluationResults {
		got = append(got, verdictOf(t, r))
	}
	// The role session's aws:PrincipalArn is the role's, so the Deny does
	// not apply to it.
	want := []verdict{
		{Decision: "allowed", Matched: []string{"role secrets 2:5-2:173"}},
		{Decision: "allowed", Matched: []string{"role secrets 2:5-2:173"}},
		{Decision: "implicitDeny"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SimulatePrincipalPolicy(role rotate-fn) (-want +got):\n%s", diff)
	}
}

func TestSimulateContextKeysDecideConditions(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	user := mustCreateUser(t, c, "office")
	db := secretARN(srv, "db-AbCdEf")
	mustPutUserPolicy(t, c, "office", "from-office", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+db+`","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)

	sourceIP := func(ip string) []types.ContextEntry {
		return []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp, ContextKeyValues: []string{ip}}}
	}
	for _, tc := range []struct {
		name    string
		entries []types.ContextEntry
		want    verdict
	}{
		{"an address inside the range is allowed", sourceIP("10.1.2.3"), verdict{Decision: "allowed", Matched: []string{"user from-office 1:39-1:229"}}},
		{"an address outside the range is implicitly denied", sourceIP("192.0.2.1"), verdict{Decision: "implicitDeny"}},
		{"a missing address is implicitly denied and reported missing", nil, verdict{Decision: "implicitDeny", Missing: []string{"aws:SourceIp"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: user.User.Arn, ActionNames: []string{"secretsmanager:GetSecretValue"},
				ResourceArns: []string{db}, ContextEntries: tc.entries,
			})
			if diff := cmp.Diff(tc.want, onlyVerdict(t, out, err)); diff != "" {
				t.Errorf("SimulatePrincipalPolicy (-want +got):\n%s", diff)
			}
		})
	}

	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: user.User.Arn, ActionNames: []string{"secretsmanager:GetSecretValue"}, ContextEntries: sourceIP("not-an-address"),
	})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
}

func TestSimulateCustomPolicyWithAResourcePolicy(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	db := secretARN(srv, "db-AbCdEf")
	fn := "arn:aws:iam::" + srv.Account() + ":user/lambda-fn" // need not exist
	resourcePolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + fn + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	nothing := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

	for _, tc := range []struct {
		name   string
		caller string
		want   verdict
	}{
		{"the principal the resource policy names is allowed by it", fn, verdict{Decision: "allowed", Matched: []string{"resource ResourcePolicy 1:39-1:175"}}},
		{"another principal is implicitly denied", "arn:aws:iam::" + srv.Account() + ":user/someone-else", verdict{Decision: "implicitDeny"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
				PolicyInputList: []string{nothing}, ActionNames: []string{"secretsmanager:GetSecretValue"},
				ResourceArns: []string{db}, ResourcePolicy: aws.String(resourcePolicy), CallerArn: aws.String(tc.caller),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("SimulateCustomPolicy returned %d results, want 1", len(out.EvaluationResults))
			}
			if diff := cmp.Diff(tc.want, verdictOf(t, out.EvaluationResults[0])); diff != "" {
				t.Errorf("SimulateCustomPolicy(caller %s) (-want +got):\n%s", tc.caller, diff)
			}
		})
	}

	// Without a caller, the resource policy's Principal has no one to name.
	_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{nothing}, ActionNames: []string{"secretsmanager:GetSecretValue"}, ResourcePolicy: aws.String(resourcePolicy),
	})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
}

func TestSimulateRefusesMalformedPolicies(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	user := mustCreateUser(t, c, "app")
	valid := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	for _, doc := range []string{`not json`, `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`} {
		_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{valid, doc}, ActionNames: []string{"s3:GetObject"}})
		if msg := wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest); !strings.Contains(msg, "input policy 2") {
			t.Errorf("SimulateCustomPolicy(%s) message = %q, want it to name input policy 2", doc, msg)
		}
		_, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: user.User.Arn, ActionNames: []string{"s3:GetObject"},
			ResourcePolicy: aws.String(doc)})
		wantError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	}
}

func TestSimulateNeedsPermissionAndAnExistingSource(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "dev")
	mustPutUserPolicy(t, c, "dev", "sm", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`)
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	dev := clientWith(srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	adminARN := "arn:aws:iam::" + srv.Account() + ":user/admin"
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

	_, err = dev.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(adminARN), ActionNames: []string{"iam:CreateUser"}})
	wantError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = dev.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{policy}, ActionNames: []string{"iam:CreateUser"}})
	wantError(t, err, "AccessDenied", http.StatusForbidden)

	// Allowed to simulate itself, dev still may not look at admin.
	mustPutUserPolicy(t, c, "dev", "simulate-self", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:SimulatePrincipalPolicy","Resource":"arn:aws:iam::*:user/${aws:username}"},
		{"Effect":"Allow","Action":"iam:SimulateCustomPolicy","Resource":"*"}]}`)
	out, err := dev.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + srv.Account() + ":user/dev"), ActionNames: []string{"secretsmanager:ListSecrets"}})
	if got := onlyVerdict(t, out, err); got.Decision != "allowed" {
		t.Errorf("dev simulating itself = %+v, want allowed", got)
	}
	_, err = dev.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(adminARN), ActionNames: []string{"iam:CreateUser"}})
	wantError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := dev.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{policy}, ActionNames: []string{"iam:CreateUser"}}); err != nil {
		t.Errorf("SimulateCustomPolicy with permission: %v", err)
	}

	for _, arn := range []string{"arn:aws:iam::" + srv.Account() + ":user/nobody", "arn:aws:iam::" + srv.Account() + ":role/nothing"} {
		_, err = c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: []string{"s3:GetObject"}})
		wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	}
}

func TestSimulatePagesWithMaxItems(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	in := &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:Describe*","Resource":"*"}]}`},
		ActionNames:     []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"},
		ResourceArns:    []string{secretARN(srv, "a-AbCdEf"), secretARN(srv, "b-AbCdEf")},
		MaxItems:        aws.Int32(3),
	}
	var got []string
	for page := 0; ; page++ {
		out, err := c.SimulateCustomPolicy(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.EvaluationResults {
			name := aws.ToString(r.EvalResourceName)
			got = append(got, aws.ToString(r.EvalActionName)+" "+name[strings.LastIndexByte(name, ':')+1:]+" "+string(r.EvalDecision))
		}
		if !out.IsTruncated {
			break
		}
		if page > 2 {
			t.Fatal("too many pages")
		}
		in.Marker = out.Marker
	}
	want := []string{
		"secretsmanager:DescribeSecret a-AbCdEf allowed",
		"secretsmanager:DescribeSecret b-AbCdEf allowed",
		"secretsmanager:GetSecretValue a-AbCdEf implicitDeny",
		"secretsmanager:GetSecretValue b-AbCdEf implicitDeny",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged results (-want +got):\n%s", diff)
	}
}

func TestSimulatePrincipalPolicyWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	user := mustCreateUser(t, c, "cli-app")
	db := secretARN(srv, "db-AbCdEf")
	mustPutUserPolicy(t, c, "cli-app", "read-db", readOnePolicy(db))

	out := awsCLI(t, srv, "iam", "simulate-principal-policy", "--policy-source-arn", aws.ToString(user.User.Arn),
		"--action-names", "secretsmanager:GetSecretValue", "--resource-arns", db)
	results, _ := out["EvaluationResults"].([]any)
	if len(results) != 1 {
		t.Fatalf("simulate-principal-policy = %v, want one result", out)
	}
	r, _ := results[0].(map[string]any)
	if r["EvalDecision"] != "allowed" || r["EvalActionName"] != "secretsmanager:GetSecretValue" || r["EvalResourceName"] != db {
		t.Errorf("simulate-principal-policy result = %v, want GetSecretValue on %s allowed", r, db)
	}
	matched, _ := r["MatchedStatements"].([]any)
	if len(matched) != 1 {
		t.Fatalf("MatchedStatements = %v, want one", r["MatchedStatements"])
	}
	m, _ := matched[0].(map[string]any)
	if m["SourcePolicyId"] != "read-db" || m["SourcePolicyType"] != "user" {
		t.Errorf("MatchedStatements[0] = %v, want the user policy read-db", m)
	}
}
