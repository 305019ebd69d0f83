package iam

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePolicyErrorNamesStatementAndField(t *testing.T) {
	t.Parallel()
	doc := ptDoc(ptAllowGetStmt, ptAllowGetStmt,
		`{"Sid": "ReadDb", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"aws:username": "x"}}}`)
	_, err := ParsePolicy(doc, IdentityPolicyKind)
	const want = `Statement[2] (Sid "ReadDb"): Condition: unknown operator "StringEqualz"`
	if err == nil || err.Error() != want {
		t.Fatalf("ParsePolicy() = %v, want %s", err, want)
	}
	pe, ok := errors.AsType[*PolicyError](err)
	if !ok {
		t.Fatalf("ParsePolicy() error is %T, want *PolicyError", err)
	}
	if diff := cmp.Diff(&PolicyError{Statement: 2, Sid: "ReadDb", Field: "Condition", Reason: `unknown operator "StringEqualz"`, check: "INVALID_CONDITION_OPERATOR"},
		pe, cmp.AllowUnexported(PolicyError{})); diff != "" {
		t.Errorf("ParsePolicy() error (-want +got):\n%s", diff)
	}
}

var ptAllowGetStmt = ptAllow(ptGetValue, "*")

func TestParsePolicyRefuses(t *testing.T) {
	t.Parallel()
	// A statement that is valid everywhere but in a trust policy; the
	// cases change one thing about it.
	const ok = `"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"`
	stmt := func(members ...string) string {
		return ptDoc("{" + strings.Join(append([]string{ok}, members...), ", ") + "}")
	}
	cond := func(c string) string { return stmt(`"Condition": ` + c) }
	tests := []struct {
		name      string
		kind      PolicyKind
		doc       string
		statement int
		field     string
		reason    string // a part of the reason
	}{
		{"a document that is not JSON", IdentityPolicyKind, `{"Version": `, -1, "", "invalid JSON"},
		{"trailing data after the document", IdentityPolicyKind, ptDoc(ptAllowGetStmt) + ` {}`, -1, "", "invalid JSON"},
		{"a document that is not an object", IdentityPolicyKind, `["Statement"]`, -1, "", "must be a JSON object"},
		{"an unknown top-level element", IdentityPolicyKind, `{"Version": "2012-10-17", "Statment": []}`, -1, "Statment", "unknown element"},
		{"a top-level element in the wrong case", IdentityPolicyKind, `{"version": "2012-10-17", "Statement": ` + ptAllowGetStmt + `}`, -1, "version", "unknown element"},
		{"an unsupported Version", IdentityPolicyKind, `{"Version": "2012-10-18", "Statement": ` + ptAllowGetStmt + `}`, -1, "Version", "unsupported version"},
		{"a Version that is not a string", IdentityPolicyKind, `{"Version": 2012, "Statement": ` + ptAllowGetStmt + `}`, -1, "Version", "must be a string"},
		{"a missing Statement", IdentityPolicyKind, `{"Version": "2012-10-17"}`, -1, "Statement", "missing"},
		{"an empty Statement list", IdentityPolicyKind, ptDoc(), -1, "Statement", "no statements"},
		{"a Statement that is a string", IdentityPolicyKind, `{"Version": "2012-10-17", "Statement": "x"}`, -1, "Statement", "object or a list"},
		{"a statement that is not an object", IdentityPolicyKind, ptDoc(ptAllowGetStmt, `"x"`), 1, "", "must be an object"},
		{"a duplicate member", IdentityPolicyKind, stmt(`"Effect": "Deny"`), -1, "", `duplicate element "Effect"`},
		{"an unknown statement element", IdentityPolicyKind, stmt(`"Actions": "*"`), 0, "Actions", "unknown element"},
		{"an Effect in lower case", IdentityPolicyKind, ptDoc(`{"Effect": "allow", "Action": "*", "Resource": "*"}`), 0, "Effect", `"Allow" or "Deny"`},
		{"a missing Effect", IdentityPolicyKind, ptDoc(`{"Action": "*", "Resource": "*"}`), 0, "Effect", "missing"},
		{"a missing Action", IdentityPolicyKind, ptDoc(`{"Effect": "Allow", "Resource": "*"}`), 0, "Action", "missing"},
		{"an empty Action list", IdentityPolicyKind, ptDoc(`{"Effect": "Allow", "Action": [], "Resource": "*"}`), 0, "Action", "at least one action"},
		{"an Action that is a number", IdentityPolicyKind, ptDoc(`{"Effect": "Allow", "Action": 1, "Resource": "*"}`), 0, "Action", "string or a list"},
		{"both Action and NotAction", IdentityPolicyKind, stmt(`"NotAction": "*"`), 0, "NotAction", "both Action and NotAction"},
		{"an action without a service", IdentityPolicyKind, ptDoc(ptAllow("GetSecretValue", "*")), 0, "Action", "service:action"},
		{"an action with two colons", IdentityPolicyKind, ptDoc(ptAllow("secretsmanager:Get:Value", "*")), 0, "Action", "service:action"},
		{"an action with a space", IdentityPolicyKind, ptDoc(ptAllow("secretsmanager:Get Value", "*")), 0, "Action", "service:action"},
		{"a missing Resource in an identity policy", IdentityPolicyKind, ptDoc(`{"Effect": "Allow", "Action": "*"}`), 0, "Resource", "missing"},
		{"both Resource and NotResource", IdentityPolicyKind, stmt(`"NotResource": "*"`), 0, "NotResource", "both Resource and NotResource"},
		{"a Resource that is not an ARN", IdentityPolicyKind, ptDoc(ptAllow("*", "prod/db")), 0, "Resource", "must be an ARN"},
		{"a Resource with an unknown partition", IdentityPolicyKind, ptDoc(ptAllow("*", "arn:amazon:s3:::b")), 0, "Resource", "unknown partition"},
		{"a Resource with a wildcard service", IdentityPolicyKind, ptDoc(ptAllow("*", "arn:aws:secrets*:*:*:secret:x")), 0, "Resource", "service without wildcards"},
		{"a Resource missing ARN fields", IdentityPolicyKind, ptDoc(ptAllow("*", "arn:aws:s3::x")), 0, "Resource", "missing ARN fields"},
		{"a Principal in an identity policy", IdentityPolicyKind, stmt(`"Principal": "*"`), 0, "Principal", "not allowed in identity policies"},
		{"a NotPrincipal in a session policy", SessionPolicyKind, stmt(`"NotPrincipal": "*"`), 0, "NotPrincipal", "not allowed in session policies"},
		{"a missing Principal in a resource policy", ResourcePolicyKind, ptDoc(ptAllowGetStmt), 0, "Principal", "missing"},
		{"both Principal and NotPrincipal", ResourcePolicyKind, stmt(`"Principal": "*"`, `"NotPrincipal": "*"`), 0, "NotPrincipal", "both Principal and NotPrincipal"},
		{"a Resource in a trust policy", TrustPolicyKind, ptDoc(`{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Resource": "*"}`), 0, "Resource", "a trust policy has no Resource"},
		{"a NotPrincipal in a trust policy", TrustPolicyKind, ptDoc(`{"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": "*"}`), 0, "NotPrincipal", "not allowed in a trust policy"},
		{"a non-sts action in a trust policy", TrustPolicyKind, ptDoc(`{"Effect": "Allow", "Action": "s3:GetObject", "Principal": "*"}`), 0, "Action", "only sts actions"},
		{"a string principal other than *", ResourcePolicyKind, stmt(`"Principal": "123456789012"`), 0, "Principal", `must be "*"`},
		{"an unknown principal type", ResourcePolicyKind, stmt(`"Principal": {"IAM": "*"}`), 0, "Principal", "unknown principal type"},
		{"a principal that is no account, ARN or id", ResourcePolicyKind, stmt(ptPrincipal("alice")), 0, "Principal", "not an account id"},
		{"a principal ARN without an account", ResourcePolicyKind, stmt(ptPrincipal("arn:aws:iam:::user/alice")), 0, "Principal", "not an ARN with an account"},
		{"a wildcard inside a principal ARN", ResourcePolicyKind, stmt(ptPrincipal("arn:aws:iam::123456789012:user/*")), 0, "Principal", "wildcards are not allowed"},
		{"a wildcard service principal", ResourcePolicyKind, stmt(`"Principal": {"Service": "*"}`), 0, "Principal", "wildcards are not allowed"},
		{"a Condition that is not an object", IdentityPolicyKind, cond(`"x"`), 0, "Condition", "object of operators"},
		{"an unknown condition operator", IdentityPolicyKind, cond(`{"StringEqualz": {"aws:username": "x"}}`), 0, "Condition", `unknown operator "StringEqualz"`},
		{"an unknown set operator", IdentityPolicyKind, cond(`{"ForSomeValues:StringEquals": {"aws:username": "x"}}`), 0, "Condition", "unknown operator"},
		{"an operator in the wrong case", IdentityPolicyKind, cond(`{"stringEquals": {"aws:username": "x"}}`), 0, "Condition", "unknown operator"},
		{"Null with IfExists", IdentityPolicyKind, cond(`{"NullIfExists": {"aws:username": "true"}}`), 0, "Condition", "no IfExists form"},
		{"an operator mapping to a string", IdentityPolicyKind, cond(`{"StringEquals": "x"}`), 0, "Condition", "must map condition keys"},
		{"a condition key without a service", IdentityPolicyKind, cond(`{"StringEquals": {"username": "x"}}`), 0, "Condition", "not service:key"},
		{"the same condition key in two cases", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "x", "AWS:UserName": "y"}}`), 0, "Condition", "are the same key"},
		{"a condition value that is an object", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": {"a": "b"}}}`), 0, "Condition", "strings, numbers or booleans"},
		{"a condition value that is null", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": null}}`), 0, "Condition", "strings, numbers or booleans"},
		{"a numeric value that is not a number", IdentityPolicyKind, cond(`{"NumericLessThan": {"secretsmanager:RecoveryWindowInDays": "ten"}}`), 0, "Condition", "is not a number"},
		{"a numeric value in hexadecimal", IdentityPolicyKind, cond(`{"NumericLessThan": {"secretsmanager:RecoveryWindowInDays": "0x10"}}`), 0, "Condition", "is not a number"},
		{"a date value that is not a date", IdentityPolicyKind, cond(`{"DateLessThan": {"aws:CurrentTime": "tomorrow"}}`), 0, "Condition", "is not an ISO 8601 date"},
		{"an IP value that is not an address", IdentityPolicyKind, cond(`{"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}`), 0, "Condition", "not an IP address"},
		{"a Bool value that is not a boolean", IdentityPolicyKind, cond(`{"Bool": {"aws:SecureTransport": "yes"}}`), 0, "Condition", "not true or false"},
		{"a Null value that is not a boolean", IdentityPolicyKind, cond(`{"Null": {"aws:username": "maybe"}}`), 0, "Condition", "not true or false"},
		{"a BinaryEquals value that is not base64", IdentityPolicyKind, cond(`{"BinaryEquals": {"aws:username": "%%%"}}`), 0, "Condition", "not base64"},
		{"a policy variable in a numeric condition", IdentityPolicyKind, cond(`{"NumericEquals": {"secretsmanager:RecoveryWindowInDays": "${aws:username}"}}`), 0, "Condition", "only with string, ARN and Bool"},
		{"a policy variable in a date condition", IdentityPolicyKind, cond(`{"DateLessThan": {"aws:CurrentTime": "${aws:TokenIssueTime}"}}`), 0, "Condition", "only with string, ARN and Bool"},
		{"a variable without its closing brace", IdentityPolicyKind, ptDoc(ptAllow("*", "arn:aws:s3:::b/${aws:username")), 0, "Resource", "no closing brace"},
		{"an empty variable", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "${ }"}}`), 0, "Condition", "empty policy variable"},
		{"a variable with a space in its name", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "${aws:user name}"}}`), 0, "Condition", "has a space"},
		{"a variable that names no context key", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "${username}"}}`), 0, "Condition", "does not name a context key"},
		{"a variable default without quotes", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "${aws:username, anonymous}"}}`), 0, "Condition", "in single quotes"},
		{"a variable default with an unpaired quote", IdentityPolicyKind, cond(`{"StringEquals": {"aws:username": "${aws:username, 'a' 'b'}"}}`), 0, "Condition", "unpaired quote"},
		{"a Sid with punctuation in an IAM policy", IdentityPolicyKind, stmt(`"Sid": "read-db"`), 0, "Sid", "letters and digits"},
		{"a Sid that is not a string", IdentityPolicyKind, stmt(`"Sid": 1`), 0, "Sid", "must be a string"},
		{"a repeated Sid in an IAM policy", IdentityPolicyKind, ptDoc(`{"Sid": "A", `+ok+`}`, `{"Sid": "A", `+ok+`}`), 1, "Sid", "must be unique"},
		{"an identity policy over 10,240 characters", IdentityPolicyKind, ptDoc(ptAllow(ptGetValue, ptLongARN(10300))), -1, "", "the limit is 10240"},
		{"a session policy over 2,048 characters", SessionPolicyKind, ptDoc(ptAllow(ptGetValue, ptLongARN(2100))), -1, "", "the limit is 2048"},
		{"a trust policy over 2,048 characters", TrustPolicyKind, strings.Repeat(" ", 2049), -1, "", "the limit is 2048"},
		{"a resource policy over 20,480 characters", ResourcePolicyKind, ptDoc(ptAllow(ptGetValue, ptLongARN(20500), `"Principal": "*"`)), -1, "", "the limit is 20480"},
		{"a character IAM does not allow", IdentityPolicyKind, ptDoc(ptAllow(ptGetValue, "arn:aws:s3:::b/é€")), -1, "", "not allowed in an IAM policy"},
		{"a document that is not UTF-8", ResourcePolicyKind, ptDoc("{\"Sid\": \"\xff\", " + ptAllow(ptGetValue, "*", `"Principal": "*"`)[1:]), -1, "", "not valid UTF-8"},
		{"an unknown policy kind", PolicyKind(9), ptDoc(ptAllowGetStmt), -1, "", "unknown policy kind"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePolicy(tc.doc, tc.kind)
			if err == nil {
				t.Fatalf("ParsePolicy(%s, %v) = %+v, want an error", tc.doc, tc.kind, p)
			}
			pe, ok := errors.AsType[*PolicyError](err)
			if !ok {
				t.Fatalf("ParsePolicy() error %v is %T, want *PolicyError", err, err)
			}
			if pe.Statement != tc.statement || pe.Field != tc.field || !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("ParsePolicy() = %q (Statement %d, Field %q), want Statement %d, Field %q, a reason with %q",
					err, pe.Statement, pe.Field, tc.statement, tc.field, tc.reason)
			}
			if pe.check == "" {
				t.Errorf("ParsePolicy() = %q has no Access Analyzer check", err)
			}
		})
	}
}

// ptLongARN is a secret ARN of about n characters.
func ptLongARN(n int) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + strings.Repeat("x", n)
}

func TestParsePolicyAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind PolicyKind
		doc  string
	}{
		{"a single statement object", IdentityPolicyKind, `{"Version": "2012-10-17", "Statement": ` + ptAllowGetStmt + `}`},
		{"a 2008-10-17 policy", IdentityPolicyKind, `{"Version": "2008-10-17", "Statement": [` + ptAllowGetStmt + `]}`},
		{"a policy without Version", IdentityPolicyKind, `{"Statement": [` + ptAllowGetStmt + `]}`},
		{"an Id", ResourcePolicyKind, `{"Version": "2012-10-17", "Id": "any text", "Statement": ` + ptAllow("*", "*", `"Principal": "*"`) + `}`},
		{"an empty Resource list", IdentityPolicyKind, ptDoc(ptAllow("*", "[]"))},
		{"an empty condition value list", IdentityPolicyKind, ptDoc(ptAllow("*", "*", `"Condition": {"StringEquals": {"aws:username": []}}`))},
		{"an empty principal list", ResourcePolicyKind, ptDoc(ptAllow("*", "*", `"Principal": {"AWS": []}`))},
		{"a repeated Sid in a resource policy", ResourcePolicyKind, ptDoc(`{"Sid": "a b", "Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}`, `{"Sid": "a b", "Effect": "Deny", "Action": "*", "Resource": "*", "Principal": "*"}`)},
		{"repeated empty Sids in an identity policy", IdentityPolicyKind, ptDoc(`{"Sid": "", `+ptAllowGetStmt[1:], `{"Sid": "", `+ptAllowGetStmt[1:])},
		{"every principal type", ResourcePolicyKind, ptDoc(ptAllow("*", "*", `"Principal": {"AWS": ["123456789012", "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:role/a/b", "arn:aws:sts::123456789012:assumed-role/r/s", "AIDAAAAAAAAAAAAAAAAA"], "Service": "lambda.amazonaws.com", "Federated": "cognito-identity.amazonaws.com", "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`))},
		{"variables with defaults and escapes", IdentityPolicyKind, ptDoc(ptAllow("*", "arn:aws:s3:::b/${aws:username, 'x}y'}/${*}${?}${$}"))},
		{"an identity policy of 10,240 characters without white space", IdentityPolicyKind, ptPadded(ptDoc(ptAllowGetStmt), 10240)},
		{"a trust policy", TrustPolicyKind, `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Principal": {"AWS": "123456789012"}}}`},
		{"every condition operator", IdentityPolicyKind, ptDoc(ptAllow("*", "*", ptEveryOperator))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParsePolicy(tc.doc, tc.kind); err != nil {
				t.Errorf("ParsePolicy(%s, %v) = %v", tc.doc, tc.kind, err)
			}
		})
	}
}

// ptPadded pads doc with white space and a Sid of x's to exactly n
// characters as IAM counts them (white space does not count).
func ptPadded(doc string, n int) string {
	pad := n - PolicySize(doc, IdentityPolicyKind) - len(`"Sid":"",`)
	return strings.Replace(doc, `{"Effect"`, `{  "Sid": "`+strings.Repeat("x", pad)+`",  "Effect"`, 1)
}

// ptEveryOperator is a Condition member with every operator, qualified
// and not.
const ptEveryOperator = `"Condition": {
	"StringEquals": {"aws:username": "a"}, "StringNotEquals": {"aws:username": "a"},
	"StringEqualsIgnoreCase": {"aws:username": "a"}, "StringNotEqualsIgnoreCase": {"aws:username": "a"},
	"StringLike": {"aws:username": "a*"}, "StringNotLike": {"aws:username": "a?"},
	"NumericEquals": {"s:n": 1}, "NumericNotEquals": {"s:n": "1.5"}, "NumericLessThan": {"s:n": "-2"},
	"NumericLessThanEquals": {"s:n": "1e3"}, "NumericGreaterThan": {"s:n": "+4"}, "NumericGreaterThanEquals": {"s:n": ".5"},
	"DateEquals": {"s:d": "2020"}, "DateNotEquals": {"s:d": "2020-01"}, "DateLessThan": {"s:d": "2020-01-02"},
	"DateLessThanEquals": {"s:d": "2020-01-02T03:04Z"}, "DateGreaterThan": {"s:d": "2020-01-02T03:04:05"},
	"DateGreaterThanEquals": {"s:d": "1577836800"},
	"Bool": {"s:b": false}, "BinaryEquals": {"s:x": "QQ=="},
	"IpAddress": {"s:ip": ["10.0.0.1", "::1", "2001:db8::/32"]}, "NotIpAddress": {"s:ip": "192.168.0.0/16"},
	"ArnEquals": {"s:a": "arn:aws:s3:::b"}, "ArnLike": {"s:a": "arn:*"}, "ArnNotEquals": {"s:a": "arn:aws:s3:::c"}, "ArnNotLike": {"s:a": "arn:aws:*"},
	"Null": {"s:z": "true"},
	"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"}, "ForAllValues:NumericLessThanIfExists": {"s:n": 3},
	"DateLessThanIfExists": {"s:d": "2020"}, "IpAddressIfExists": {"s:ip": "10.0.0.0/8"}, "ArnLikeIfExists": {"s:a": "arn:*"},
	"BoolIfExists": {"s:b": "true"}, "BinaryEqualsIfExists": {"s:x": "QQ=="}, "NumericEqualsIfExists": {"s:n": 1},
	"ForAllValues:Null": {"s:z": "false"}
}`

func TestParsePolicyCompiles(t *testing.T) {
	t.Parallel()
	p := ptMustParse(t, ptDoc(
		`{"Sid": "One", "Effect": "Allow", "NotAction": ["secretsmanager:Delete*"], "Resource": ["arn:aws:secretsmanager:*:*:secret:a", "arn:aws:secretsmanager:*:*:secret:b"],
		  "Condition": {"StringEquals": {"aws:username": ["x", "y"], "aws:userid": "z"}, "Bool": {"aws:SecureTransport": true}}}`,
	), IdentityPolicyKind)
	if p.Version != PolicyVersion2012 || p.Kind() != IdentityPolicyKind || len(p.Statements) != 1 {
		t.Fatalf("ParsePolicy() = %+v", p)
	}
	s := p.Statements[0]
	got := struct {
		Sid                     string
		Effect                  Effect
		Actions, NotActions     []string
		Resources, NotResources []string
		Conditions              [][3]string
	}{Sid: s.Sid, Effect: s.Effect, Actions: s.Actions, NotActions: s.NotActions, Resources: s.Resources, NotResources: s.NotResources}
	for _, c := range s.Conditions {
		got.Conditions = append(got.Conditions, [3]string{c.Operator, c.Key, strings.Join(c.Values, ",")})
	}
	want := got
	want.Sid, want.Effect = "One", EffectAllow
	want.Actions, want.NotActions = nil, []string{"secretsmanager:Delete*"}
	want.Resources, want.NotResources = []string{"arn:aws:secretsmanager:*:*:secret:a", "arn:aws:secretsmanager:*:*:secret:b"}, nil
	want.Conditions = [][3]string{{"StringEquals", "aws:username", "x,y"}, {"StringEquals", "aws:userid", "z"}, {"Bool", "aws:SecureTransport", "true"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParsePolicy() statement (-want +got):\n%s", diff)
	}
}

func TestPolicySize(t *testing.T) {
	t.Parallel()
	doc := "{ \"a\" :\n\t\"b c\" }"
	if got, want := PolicySize(doc, IdentityPolicyKind), len(`{"a":"bc"}`); got != want {
		t.Errorf("PolicySize(%q, identity) = %d, want %d (white space does not count)", doc, got, want)
	}
	if got, want := PolicySize(doc, ResourcePolicyKind), len(doc); got != want {
		t.Errorf("PolicySize(%q, resource) = %d, want %d", doc, got, want)
	}
	if got, want := PolicySize("é", ResourcePolicyKind), 1; got != want {
		t.Errorf("PolicySize(%q, resource) = %d, want %d (characters, not bytes)", "é", got, want)
	}
}

func TestEvaluateNamesTheDecidingStatement(t *testing.T) {
	t.Parallel()
	identity := []NamedPolicy{
		{Name: "read", Policy: ptMustParse(t, ptDoc(`{"Sid": "Read", "Effect": "Allow", "Action": "secretsmanager:Get*", "Resource": "*"}`), IdentityPolicyKind)},
		{Name: "guard", Policy: ptMustParse(t, ptDoc(ptAllowAllStmt, `{"Sid": "NoDelete", "Effect": "Deny", "Action": "secretsmanager:DeleteSecret", "Resource": "*"}`), IdentityPolicyKind)},
	}
	resource := ptMustParse(t, ptDoc(`{"Sid": "Bob", "Effect": "Allow", "Action": "*", "Resource": "*", "Principal": {"AWS": "`+ptBobARN+`"}}`), ResourcePolicyKind)
	tests := []struct {
		name string
		opts []ptOpt
		want EvalResult
	}{
		{"the first identity Allow decides an allowed request", nil,
			EvalResult{Allow, &StatementRef{Kind: IdentityPolicyKind, PolicyName: "read", Index: 0, Sid: "Read"}, reasonAllowIdentity}},
		{"the Deny decides a denied request", []ptOpt{ptAction("secretsmanager:DeleteSecret")},
			EvalResult{ExplicitDeny, &StatementRef{Kind: IdentityPolicyKind, PolicyName: "guard", Index: 1, Sid: "NoDelete"}, reasonDenyIdentity}},
		{"the resource policy decides when it names the principal", []ptOpt{ptBob},
			EvalResult{Allow, &StatementRef{Kind: ResourcePolicyKind, Index: 0, Sid: "Bob"}, reasonAllowResource}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := ptContext()
			for _, o := range tc.opts {
				o(&ctx)
			}
			got := Evaluate(ctx, identity, resource, nil)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Evaluate() (-want +got):\n%s", diff)
			}
		})
	}
	ctx := ptContext()
	ptBob(&ctx)
	if got := Evaluate(ctx, nil, ptMustParse(t, ptResAllowGet(ptPrincipal(ptAccount)), ResourcePolicyKind), nil); got.Reason != reasonAccountDelegate {
		t.Errorf("Evaluate() with an account-only resource policy = %+v, want reason %q", got, reasonAccountDelegate)
	}
}

// TestEvaluateAllocations holds the hot path to what it costs now: one
// allocation, the StatementRef of the decision.
func TestEvaluateAllocations(t *testing.T) {
	identity, resource, ctx := ptBenchPolicies(t)
	allocs := testing.AllocsPerRun(100, func() {
		if r := Evaluate(ctx, identity, resource, nil); r.Decision != Allow {
			t.Fatalf("Evaluate() = %+v, want Allow", r)
		}
	})
	if allocs > 1 {
		t.Errorf("Evaluate() allocates %v times per call, want at most 1", allocs)
	}
}
