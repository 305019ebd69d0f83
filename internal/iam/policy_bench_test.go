package iam

import (
	"strconv"
	"testing"
)

// ptBenchPolicies is a realistic hard case: a 20-statement identity policy
// with conditions, whose allowing statement comes last and whose Deny
// statements match the action and resource and so must be evaluated to
// the end of their conditions, plus a resource policy; and a request with
// the keys Coffer supplies.
// ptBenchStatements are the 20 statements of the benchmark identity policy.
func ptBenchStatements(t testing.TB) []string {
	t.Helper()
	var stmts []string
	for i := range 12 { // other services' and other secrets' grants
		stmts = append(stmts, ptAllow("ssm:GetParameter"+strconv.Itoa(i), "arn:aws:ssm:*:*:parameter/app"+strconv.Itoa(i)+"/*",
			ptCond("StringEquals", "aws:PrincipalTag/team", "team"+strconv.Itoa(i))))
	}
	for i := range 4 { // the right action on other secrets
		stmts = append(stmts, ptAllow("secretsmanager:Get*", "arn:aws:secretsmanager:*:123456789012:secret:svc"+strconv.Itoa(i)+"/*",
			ptCond("StringEquals", "aws:ResourceTag/owner", "${aws:username}")))
	}
	stmts = append(stmts,
		ptDeny("*", "*", ptCond("Bool", "aws:SecureTransport", "false")),
		ptDeny("secretsmanager:*", "*", ptCond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "2001:db8::/32")),
		ptDeny("secretsmanager:GetSecretValue", "*", `"Condition": {"StringNotEquals": {"secretsmanager:VersionStage": ["AWSCURRENT", "AWSPREVIOUS"]}, "DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}`),
		ptAllow(`["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]`, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*",
			`"Condition": {"StringEquals": {"aws:PrincipalTag/team": "prod", "aws:ResourceTag/owner": "${aws:username}"}, "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "ArnLike": {"secretsmanager:SecretId": "arn:aws:secretsmanager:*:123456789012:secret:prod/*"}}`),
	)
	if len(stmts) != 20 {
		t.Fatalf("the benchmark policy has %d statements, want 20", len(stmts))
	}
	return stmts
}

func ptBenchPolicies(t testing.TB) ([]NamedPolicy, *Policy, EvalContext) {
	t.Helper()
	stmts := ptBenchStatements(t)
	identity := []NamedPolicy{{Name: "app", Policy: ptMustParse(t, ptDoc(stmts...), IdentityPolicyKind)}}
	resource := ptMustParse(t, ptDoc(
		ptDeny("secretsmanager:DeleteSecret", "*", `"Principal": "*"`),
		ptAllow("secretsmanager:GetSecretValue", "*", ptPrincipal(ptAccount), ptCond("StringEquals", "aws:PrincipalAccount", ptAccount)),
	), ResourcePolicyKind)
	ctx := ptContext()
	ptTag("team", "prod")(&ctx)
	ctx.Keys = map[string][]string{
		"aws:SourceIp":                {"203.0.113.7"},
		"aws:SecureTransport":         {"true"},
		"aws:ResourceTag/owner":       {"alice"},
		"secretsmanager:SecretId":     {ptSecretARN},
		"secretsmanager:VersionStage": {"AWSCURRENT"},
	}
	return identity, resource, ctx
}

// BenchmarkEvaluate measures one authorization decision on the policies
// of ptBenchPolicies:
//
//	go test -run '^$' -bench BenchmarkEvaluate -benchmem ./internal/iam/
func BenchmarkEvaluate(b *testing.B) {
	identity, resource, ctx := ptBenchPolicies(b)
	if r := Evaluate(ctx, identity, resource, nil); r.Decision != Allow {
		b.Fatalf("Evaluate() = %+v, want Allow", r)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(ctx, identity, resource, nil)
	}
}

// BenchmarkParsePolicy measures parsing the same policies, which callers
// do once per document, not per request.
func BenchmarkParsePolicy(b *testing.B) {
	var stmts []string
	for i := range 20 {
		stmts = append(stmts, ptAllow("secretsmanager:Get*", "arn:aws:secretsmanager:*:*:secret:app"+strconv.Itoa(i)+"/*",
			ptCond("StringEquals", "aws:PrincipalTag/team", "${aws:username}")))
	}
	doc := ptDoc(stmts...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePolicy(doc, IdentityPolicyKind); err != nil {
			b.Fatal(err)
		}
	}
}
