package iam

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Fixtures of the policy tests. Names start with pt so that they stay out
// of the way of the package's other tests.
const (
	ptAccount    = "123456789012"
	ptOther      = "210987654321"
	ptAliceARN   = "arn:aws:iam::123456789012:user/alice"
	ptAliceID    = "AIDAALICE1234567890A"
	ptBobARN     = "arn:aws:iam::123456789012:user/bob"
	ptRoleARN    = "arn:aws:iam::123456789012:role/deploy"
	ptRoleID     = "AROADEPLOY1234567890"
	ptSessionARN = "arn:aws:sts::123456789012:assumed-role/deploy/ci-42"
	ptSecretARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
	ptGetValue   = "secretsmanager:GetSecretValue"
)

// ptNow is the time of every test request: 2024-06-01T12:00:00Z.
var ptNow = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// ptContext is the default request: alice reads prod/db's value.
func ptContext() EvalContext {
	return EvalContext{
		Principal: Principal{Account: ptAccount, ARN: ptAliceARN, UserID: ptAliceID, Name: "alice"},
		Action:    ptGetValue,
		Resource:  ptSecretARN,
		Now:       ptNow,
	}
}

// ptOpt changes the default request.
type ptOpt func(*EvalContext)

// ptKey sets a context key.
func ptKey(key string, values ...string) ptOpt {
	return func(c *EvalContext) {
		if c.Keys == nil {
			c.Keys = map[string][]string{}
		}
		c.Keys[key] = values
	}
}

// ptTag sets a principal tag.
func ptTag(key, value string) ptOpt {
	return func(c *EvalContext) {
		if c.PrincipalTags == nil {
			c.PrincipalTags = map[string]string{}
		}
		c.PrincipalTags[key] = value
	}
}

func ptAction(a string) ptOpt   { return func(c *EvalContext) { c.Action = a } }
func ptResource(r string) ptOpt { return func(c *EvalContext) { c.Resource = r } }
func ptAt(t time.Time) ptOpt    { return func(c *EvalContext) { c.Now = t } }

// ptSecret makes the request about the secret with the given name.
func ptSecret(name string) ptOpt {
	return ptResource("arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name)
}

// ptBob makes bob the caller.
func ptBob(c *EvalContext) {
	c.Principal = Principal{Account: ptAccount, ARN: ptBobARN, UserID: "AIDABOB1234567890ABC", Name: "bob"}
}

// ptSession makes the caller the ci-42 session of role deploy.
func ptSession(c *EvalContext) {
	c.Principal = Principal{
		Account: ptAccount, ARN: ptSessionARN, UserID: ptRoleID + ":ci-42", Name: "deploy",
		Session: &Session{RoleName: "deploy", RoleARN: "arn:aws:iam::123456789012:role/ops/deploy", SessionName: "ci-42"},
	}
}

// ptSessionNoRecord is a role session without a Session record, as a
// caller that only knows the ARN would pass it.
func ptSessionNoRecord(c *EvalContext) {
	c.Principal = Principal{Account: ptAccount, ARN: ptSessionARN, UserID: ptRoleID + ":ci-42"}
}

// ptJSON quotes s as a JSON string, unless it already is JSON (a list or
// an object), which it returns as is.
func ptJSON(s string) string {
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// ptDoc is a 2012-10-17 policy with the given statements.
func ptDoc(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ", ") + `]}`
}

// ptStmt is a statement. action and resource are a string or a JSON list;
// extra are further members, such as ptCond's.
func ptStmt(effect, action, resource string, extra ...string) string {
	members := []string{`"Effect": "` + effect + `"`, `"Action": ` + ptJSON(action)}
	if resource != "" {
		members = append(members, `"Resource": `+ptJSON(resource))
	}
	members = append(members, extra...)
	return "{" + strings.Join(members, ", ") + "}"
}

func ptAllow(action, resource string, extra ...string) string {
	return ptStmt("Allow", action, resource, extra...)
}

func ptDeny(action, resource string, extra ...string) string {
	return ptStmt("Deny", action, resource, extra...)
}

// ptCond is a Condition member with one operator and key.
func ptCond(op, key string, values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = ptJSON(v)
	}
	return `"Condition": {"` + op + `": {"` + key + `": [` + strings.Join(quoted, ", ") + `]}}`
}

// ptPrincipal is a Principal member naming AWS principals.
func ptPrincipal(aws ...string) string {
	quoted := make([]string, len(aws))
	for i, v := range aws {
		quoted[i] = ptJSON(v)
	}
	return `"Principal": {"AWS": [` + strings.Join(quoted, ", ") + `]}`
}

func ptNotPrincipal(aws ...string) string {
	return "\"Not" + ptPrincipal(aws...)[1:]
}

// ptMustParse parses doc or fails the test.
func ptMustParse(t testing.TB, doc string, kind PolicyKind) *Policy {
	t.Helper()
	p, err := ParsePolicy(doc, kind)
	if err != nil {
		t.Fatalf("ParsePolicy(%s, %v) = %v", doc, kind, err)
	}
	return p
}
