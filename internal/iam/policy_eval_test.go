package iam

import (
	"strings"
	"testing"
	"time"
)

// ptCase is one evaluation: policies, changes to the default request
// (alice reading prod/db's value), and the decision wanted.
type ptCase struct {
	name     string
	identity []string // identity policy documents
	resource string   // resource policy document, "" for none
	session  []string // session policy documents
	opts     []ptOpt
	want     Decision
}

// ptID is a case with one identity policy.
func ptID(name string, want Decision, policy string, opts ...ptOpt) ptCase {
	return ptCase{name: name, identity: []string{policy}, opts: opts, want: want}
}

// ptIf is a case whose identity policy allows the request if cond (a
// Condition member) holds.
func ptIf(name string, holds bool, cond string, opts ...ptOpt) ptCase {
	want := ImplicitDeny
	if holds {
		want = Allow
	}
	return ptID(name, want, ptDoc(ptAllow(ptGetValue, "*", cond)), opts...)
}

// ptRes is a case with a resource policy and, unless identity is "", one
// identity policy.
func ptRes(name string, want Decision, identity, resource string, opts ...ptOpt) ptCase {
	c := ptCase{name: name, resource: resource, opts: opts, want: want}
	if identity != "" {
		c.identity = []string{identity}
	}
	return c
}

var (
	ptAllowAll     = ptDoc(ptAllow("*", "*"))
	ptAllowGet     = ptDoc(ptAllow(ptGetValue, "*"))
	ptMySecrets    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:${aws:username}/*"
	ptBinary       = "QmluYXJ5VmFsdWU=" // "BinaryValue"
	ptNowISO       = "2024-06-01T12:00:00Z"
	ptEpoch        = "1717243200" // ptNow
	ptResAllowGet  = func(principal string) string { return ptDoc(ptAllow(ptGetValue, "*", principal)) }
	ptSessionLimit = ptDoc(ptAllow("secretsmanager:DescribeSecret", "*"))
)

var ptCases = []ptCase{
	// Actions.
	{name: "no policy at all is an implicit deny", want: ImplicitDeny},
	ptID("an exact action allows", Allow, ptAllowGet),
	ptID("actions match without regard to case", Allow, ptDoc(ptAllow("SecretsManager:getsecretVALUE", "*"))),
	ptID("a service wildcard allows the service's actions", Allow, ptDoc(ptAllow("secretsmanager:*", "*"))),
	ptID("a bare star allows every action", Allow, ptAllowAll),
	ptID("a prefix wildcard allows matching actions", Allow, ptDoc(ptAllow("secretsmanager:Get*", "*"))),
	ptID("a prefix wildcard does not allow other actions", ImplicitDeny, ptDoc(ptAllow("secretsmanager:List*", "*"))),
	ptID("a question mark matches one character", Allow, ptDoc(ptAllow("secretsmanager:GetSecretValu?", "*"))),
	ptID("a question mark does not match zero characters", ImplicitDeny, ptDoc(ptAllow("secretsmanager:GetSecretValue?", "*"))),
	ptID("an infix wildcard allows matching actions", Allow, ptDoc(ptAllow("secretsmanager:*Secret*", "*"))),
	ptID("an action of another service does not allow", ImplicitDeny, ptDoc(ptAllow("ssm:GetParameter", "*"))),
	ptID("a list of actions allows when one matches", Allow, ptDoc(ptAllow(`["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]`, "*"))),
	ptID("a wildcard in the service name matches", Allow, ptDoc(ptAllow("secrets*:GetSecretValue", "*"))),
	ptID("a wildcard service with another action name does not match", ImplicitDeny, ptDoc(ptAllow("*:DescribeSecret", "*"))),
	ptID("NotAction allows the actions it does not list", Allow, ptDoc(`{"Effect": "Allow", "NotAction": "secretsmanager:DeleteSecret", "Resource": "*"}`)),
	ptID("NotAction does not allow a listed action", ImplicitDeny, ptDoc(`{"Effect": "Allow", "NotAction": "secretsmanager:GetSecretValue", "Resource": "*"}`)),
	ptID("NotAction with a wildcard leaves out every matching action", ImplicitDeny, ptDoc(`{"Effect": "Allow", "NotAction": "secretsmanager:Get*", "Resource": "*"}`)),
	ptID("Deny with NotAction denies every action it does not list", ExplicitDeny,
		ptDoc(ptAllowAllStmt, `{"Effect": "Deny", "NotAction": "secretsmanager:Describe*", "Resource": "*"}`)),
	ptID("Deny with NotAction spares the actions it lists", Allow,
		ptDoc(ptAllowAllStmt, `{"Effect": "Deny", "NotAction": "secretsmanager:Describe*", "Resource": "*"}`),
		ptAction("secretsmanager:DescribeSecret")),

	// Resources.
	ptID("an exact resource ARN allows", Allow, ptDoc(ptAllow(ptGetValue, ptSecretARN))),
	ptID("a resource wildcard suffix allows", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*"))),
	ptID("a resource wildcard for another prefix does not allow", ImplicitDeny, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/*"))),
	ptID("resources match case-sensitively", ImplicitDeny, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:123456789012:secret:PROD/*"))),
	ptID("question marks match the secret's random suffix", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????"))),
	ptID("question marks need exactly as many characters", ImplicitDeny, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-?????"))),
	ptID("a resource wildcard spans the ARN's colons", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*"))),
	ptID("a resource in another account does not allow", ImplicitDeny, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:210987654321:secret:*"))),
	ptID("a list of resources allows when one matches", Allow, ptDoc(ptAllow(ptGetValue, `["arn:aws:secretsmanager:*:*:secret:dev/*", "arn:aws:secretsmanager:*:*:secret:prod/*"]`))),
	ptID("NotResource allows the resources it does not list", Allow, ptDoc(`{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:dev/*"}`)),
	ptID("NotResource does not allow a listed resource", ImplicitDeny, ptDoc(`{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:prod/*"}`)),
	ptID("Deny with NotResource denies every other resource", ExplicitDeny,
		ptDoc(ptAllowAllStmt, `{"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:dev/*"}`)),
	ptID("Deny with NotResource spares the resources it lists", Allow,
		ptDoc(ptAllowAllStmt, `{"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:secretsmanager:*:*:secret:prod/*"}`)),

	// Deny precedence among identity policies.
	ptID("a Deny in the same policy beats an Allow", ExplicitDeny, ptDoc(ptAllowAllStmt, ptDeny(ptGetValue, ptSecretARN))),
	ptID("a Deny before the Allow wins just the same", ExplicitDeny, ptDoc(ptDeny("secretsmanager:Get*", "*"), ptAllowAllStmt)),
	{name: "a Deny in another identity policy beats an Allow", identity: []string{ptAllowAll, ptDoc(ptDeny("*", "*"))}, want: ExplicitDeny},
	ptID("a Deny of another action does not block", Allow, ptDoc(ptAllowAllStmt, ptDeny("secretsmanager:DeleteSecret", "*"))),
	ptID("a Deny of another resource does not block", Allow, ptDoc(ptAllowAllStmt, ptDeny("*", "arn:aws:secretsmanager:*:*:secret:dev/*"))),
	ptID("a Deny whose condition fails does not block", Allow, ptDoc(ptAllowAllStmt, ptDeny("*", "*", ptCond("Bool", "aws:SecureTransport", "false"))), ptKey("aws:SecureTransport", "true")),
	ptID("a Deny whose condition holds blocks", ExplicitDeny, ptDoc(ptAllowAllStmt, ptDeny("*", "*", ptCond("Bool", "aws:SecureTransport", "false"))), ptKey("aws:SecureTransport", "false")),
	ptID("a Deny on a missing Bool key does not block", Allow, ptDoc(ptAllowAllStmt, ptDeny("*", "*", ptCond("Bool", "aws:SecureTransport", "false")))),
	ptID("a Deny with BoolIfExists on a missing key blocks", ExplicitDeny, ptDoc(ptAllowAllStmt, ptDeny("*", "*", ptCond("BoolIfExists", "aws:SecureTransport", "false")))),

	// Policy variables.
	ptID("${aws:username} matches the user's own secrets", Allow, ptDoc(ptAllow(ptGetValue, ptMySecrets)), ptSecret("alice/token-AbCdEf")),
	ptID("${aws:username} does not match another user's secrets", ImplicitDeny, ptDoc(ptAllow(ptGetValue, ptMySecrets)), ptSecret("bob/token-AbCdEf")),
	ptID("${aws:username} has no value for a role session, so the resource matches nothing", ImplicitDeny, ptDoc(ptAllow(ptGetValue, ptMySecrets)), ptSession, ptSecret("deploy/token-AbCdEf")),
	ptID("a variable's default stands in when the key is missing", Allow,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:username, 'shared'}/*")), ptSession, ptSecret("shared/x")),
	ptID("a variable's default is not used when the key has a value", ImplicitDeny,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:username, 'shared'}/*")), ptSecret("shared/x")),
	ptID("a default value may hold a doubled quote", Allow,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/x, 'o''brien'}")), ptSecret("o'brien")),
	ptID("${aws:userid} resolves to the unique id", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:userid}/*")), ptSecret(ptAliceID+"/x")),
	ptID("${aws:PrincipalTag/team} resolves to the tag", Allow,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*")), ptTag("team", "prod")),
	ptID("${aws:PrincipalTag/team} without the tag matches nothing", ImplicitDeny,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*"))),
	ptID("variable names are case-insensitive", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${AWS:UserName}/*")), ptSecret("alice/x")),
	ptID("any context key can be a variable", Allow,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${secretsmanager:VersionStage}/*")), ptSecret("AWSCURRENT/x"), ptKey("secretsmanager:VersionStage", "AWSCURRENT")),
	ptID("a multivalued key cannot be a variable", ImplicitDeny,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${aws:TagKeys}/*")), ptSecret("a/x"), ptKey("aws:TagKeys", "a", "b")),
	ptID("${*} is a literal star, not a wildcard", ImplicitDeny, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:prod/${*}"))),
	ptID("${*} matches a literal star", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:prod/${*}")), ptSecret("prod/*")),
	ptID("${?} matches a literal question mark", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:why${?}")), ptSecret("why?")),
	ptID("${$} matches a literal dollar", Allow, ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:*:*:secret:${$}{x}")), ptSecret("${x}")),
	ptID("variables are literal text in a 2008-10-17 policy", Allow,
		`{"Version": "2008-10-17", "Statement": `+ptAllow(ptGetValue, ptMySecrets)+`}`, ptSecret("${aws:username}/x")),
	ptID("variables are literal text in a policy without Version", ImplicitDeny,
		`{"Statement": `+ptAllow(ptGetValue, ptMySecrets)+`}`, ptSecret("alice/x")),
	ptID("a variable before the ARN's resource part is not substituted", ImplicitDeny,
		ptDoc(ptAllow(ptGetValue, "arn:aws:secretsmanager:us-east-1:${aws:PrincipalAccount}:secret:*"))),
	ptID("a Deny whose NotResource has an unresolved variable excludes nothing", ExplicitDeny,
		ptDoc(ptAllowAllStmt, `{"Effect": "Deny", "Action": "*", "NotResource": "`+ptMySecrets+`"}`), ptSession, ptSecret("deploy/x")),
	ptIf("a variable in a condition value resolves", true,
		ptCond("StringEquals", "aws:ResourceTag/owner", "${aws:PrincipalArn}"), ptKey("aws:ResourceTag/owner", ptAliceARN)),
	ptIf("an unresolved variable in StringEquals matches nothing", false,
		ptCond("StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"), ptKey("aws:ResourceTag/team", "")),
	ptIf("an unresolved variable in StringNotEquals matches no value, so the condition holds", true,
		ptCond("StringNotEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"), ptKey("aws:ResourceTag/team", "prod")),
	ptIf("${aws:SourceIp} compares as text in a string condition", true,
		ptCond("StringEquals", "secretsmanager:Description", "from ${aws:SourceIp}"), ptKey("secretsmanager:Description", "from 203.0.113.7"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("a variable in StringLike keeps the pattern's wildcards", true,
		ptCond("StringLike", "secretsmanager:Name", "${aws:username}/*"), ptKey("secretsmanager:Name", "alice/api")),

	// String operators.
	ptIf("StringEquals matches an equal value", true, ptCond("StringEquals", "aws:username", "alice")),
	ptIf("StringEquals is case-sensitive", false, ptCond("StringEquals", "aws:username", "Alice")),
	ptIf("StringEquals matches any of several values", true, ptCond("StringEquals", "aws:username", "bob", "alice")),
	ptIf("StringEquals treats a star as a character", false, ptCond("StringEquals", "aws:username", "a*")),
	ptIf("StringEquals fails on a missing key", false, ptCond("StringEquals", "aws:PrincipalTag/team", "prod")),
	ptIf("StringEqualsIfExists holds on a missing key", true, ptCond("StringEqualsIfExists", "aws:PrincipalTag/team", "prod")),
	ptIf("StringEqualsIfExists fails on a present key that differs", false, ptCond("StringEqualsIfExists", "aws:PrincipalTag/team", "prod"), ptTag("team", "dev")),
	ptIf("StringNotEquals holds for a different value", true, ptCond("StringNotEquals", "aws:username", "bob")),
	ptIf("StringNotEquals fails for an equal value", false, ptCond("StringNotEquals", "aws:username", "alice")),
	ptIf("StringNotEquals with several values fails if any is equal", false, ptCond("StringNotEquals", "aws:username", "bob", "alice")),
	ptIf("StringNotEquals holds on a missing key", true, ptCond("StringNotEquals", "aws:PrincipalTag/team", "prod")),
	ptIf("StringNotEqualsIfExists holds on a missing key", true, ptCond("StringNotEqualsIfExists", "aws:PrincipalTag/team", "prod")),
	ptIf("StringEqualsIgnoreCase matches another case", true, ptCond("StringEqualsIgnoreCase", "aws:username", "ALICE")),
	ptIf("StringEqualsIgnoreCaseIfExists holds on a missing key", true, ptCond("StringEqualsIgnoreCaseIfExists", "aws:PrincipalTag/x", "y")),
	ptIf("StringNotEqualsIgnoreCase fails for another case of the value", false, ptCond("StringNotEqualsIgnoreCase", "aws:username", "ALICE")),
	ptIf("StringNotEqualsIgnoreCaseIfExists holds for another value", true, ptCond("StringNotEqualsIgnoreCaseIfExists", "aws:username", "bob")),
	ptIf("StringLike matches a star", true, ptCond("StringLike", "aws:username", "al*")),
	ptIf("StringLike matches a question mark", true, ptCond("StringLike", "aws:username", "al?ce")),
	ptIf("StringLike without wildcards needs the whole value", false, ptCond("StringLike", "aws:username", "ali")),
	ptIf("StringLike is case-sensitive", false, ptCond("StringLike", "aws:username", "AL*")),
	ptIf("StringLikeIfExists holds on a missing key", true, ptCond("StringLikeIfExists", "aws:PrincipalTag/team", "p*")),
	ptIf("StringNotLike holds when no pattern matches", true, ptCond("StringNotLike", "aws:username", "b*", "c*")),
	ptIf("StringNotLike fails when a pattern matches", false, ptCond("StringNotLike", "aws:username", "b*", "a*")),
	ptIf("StringNotLike holds on a missing key", true, ptCond("StringNotLike", "aws:PrincipalTag/team", "p*")),
	ptIf("StringNotLikeIfExists fails on a present matching key", false, ptCond("StringNotLikeIfExists", "aws:PrincipalTag/team", "p*"), ptTag("team", "prod")),
	ptIf("condition key names are case-insensitive in the policy", true, ptCond("StringEquals", "AWS:USERNAME", "alice")),
	ptIf("condition key names are case-insensitive in the request", true,
		ptCond("StringEquals", "secretsmanager:VersionStage", "AWSCURRENT"), ptKey("SECRETSMANAGER:versionstage", "AWSCURRENT")),
	ptIf("several keys under one operator must all match", false,
		`"Condition": {"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "prod"}}`, ptTag("team", "dev")),
	ptIf("several keys under one operator that all match hold", true,
		`"Condition": {"StringEquals": {"aws:username": "alice", "aws:PrincipalTag/team": "prod"}}`, ptTag("team", "prod")),
	ptIf("several operators must all hold", false,
		`"Condition": {"StringEquals": {"aws:username": "alice"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`, ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("a JSON boolean condition value stands for its text", true, `"Condition": {"Bool": {"aws:SecureTransport": true}}`, ptKey("aws:SecureTransport", "true")),
	ptIf("a JSON number condition value stands for its text", true,
		`"Condition": {"NumericLessThanEquals": {"secretsmanager:RecoveryWindowInDays": 30}}`, ptKey("secretsmanager:RecoveryWindowInDays", "7")),

	// Numeric operators.
	ptIf("NumericEquals matches an equal number", true, ptCond("NumericEquals", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericEquals compares numbers, not text", true, ptCond("NumericEquals", "secretsmanager:RecoveryWindowInDays", "30.0"), ptKey("secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericEqualsIfExists holds on a missing key", true, ptCond("NumericEqualsIfExists", "secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericNotEquals holds for another number", true, ptCond("NumericNotEquals", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "7")),
	ptIf("NumericNotEquals holds on a missing key", true, ptCond("NumericNotEquals", "secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericNotEqualsIfExists fails for the same number", false, ptCond("NumericNotEqualsIfExists", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericLessThan holds for a smaller number", true, ptCond("NumericLessThan", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "7")),
	ptIf("NumericLessThan fails for an equal number", false, ptCond("NumericLessThan", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericLessThanIfExists holds on a missing key", true, ptCond("NumericLessThanIfExists", "secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericLessThanEquals holds for an equal number", true, ptCond("NumericLessThanEquals", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "30")),
	ptIf("NumericLessThanEqualsIfExists fails for a larger number", false, ptCond("NumericLessThanEqualsIfExists", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "31")),
	ptIf("NumericGreaterThan holds for a larger number", true, ptCond("NumericGreaterThan", "secretsmanager:RecoveryWindowInDays", "7"), ptKey("secretsmanager:RecoveryWindowInDays", "7.5")),
	ptIf("NumericGreaterThanIfExists fails for a smaller number", false, ptCond("NumericGreaterThanIfExists", "secretsmanager:RecoveryWindowInDays", "7"), ptKey("secretsmanager:RecoveryWindowInDays", "-1")),
	ptIf("NumericGreaterThanEquals holds for an equal number", true, ptCond("NumericGreaterThanEquals", "secretsmanager:RecoveryWindowInDays", "7"), ptKey("secretsmanager:RecoveryWindowInDays", "7")),
	ptIf("NumericGreaterThanEqualsIfExists holds on a missing key", true, ptCond("NumericGreaterThanEqualsIfExists", "secretsmanager:RecoveryWindowInDays", "7")),
	ptIf("a numeric condition fails on a value that is not a number", false, ptCond("NumericLessThan", "secretsmanager:RecoveryWindowInDays", "30"), ptKey("secretsmanager:RecoveryWindowInDays", "seven")),
	ptIf("a numeric condition fails on a missing key", false, ptCond("NumericLessThan", "secretsmanager:RecoveryWindowInDays", "30")),

	// Date operators.
	ptIf("DateLessThan holds before the deadline", true, ptCond("DateLessThan", "aws:CurrentTime", "2024-12-31T00:00:00Z")),
	ptIf("DateLessThan fails after the deadline", false, ptCond("DateLessThan", "aws:CurrentTime", "2024-01-01T00:00:00Z")),
	ptIf("DateLessThanIfExists holds on a missing key", true, ptCond("DateLessThanIfExists", "aws:TokenIssueTime", "2024-01-01T00:00:00Z")),
	ptIf("DateLessThan fails on a missing key", false, ptCond("DateLessThan", "aws:TokenIssueTime", "2025-01-01T00:00:00Z")),
	ptIf("DateLessThanEquals holds at the same instant", true, ptCond("DateLessThanEquals", "aws:CurrentTime", ptNowISO)),
	ptIf("DateLessThanEqualsIfExists fails after the instant", false, ptCond("DateLessThanEqualsIfExists", "aws:CurrentTime", "2024-06-01T11:59:59Z")),
	ptIf("DateGreaterThan holds after the start", true, ptCond("DateGreaterThan", "aws:CurrentTime", "2024-06-01")),
	ptIf("DateGreaterThanIfExists holds on a missing key", true, ptCond("DateGreaterThanIfExists", "aws:TokenIssueTime", "2024-06-01")),
	ptIf("DateGreaterThanEquals holds at the same instant", true, ptCond("DateGreaterThanEquals", "aws:CurrentTime", ptNowISO)),
	ptIf("DateGreaterThanEqualsIfExists fails before the instant", false, ptCond("DateGreaterThanEqualsIfExists", "aws:CurrentTime", "2024-06-01T12:00:01Z")),
	ptIf("DateEquals holds at the same instant", true, ptCond("DateEquals", "aws:CurrentTime", ptNowISO)),
	ptIf("DateEqualsIfExists fails at another instant", false, ptCond("DateEqualsIfExists", "aws:CurrentTime", "2024-06-01T12:00:01Z")),
	ptIf("DateNotEquals holds at another instant", true, ptCond("DateNotEquals", "aws:CurrentTime", "2024-06-02")),
	ptIf("DateNotEquals holds on a missing key", true, ptCond("DateNotEquals", "aws:TokenIssueTime", "2024-06-02")),
	ptIf("DateNotEqualsIfExists fails at the same instant", false, ptCond("DateNotEqualsIfExists", "aws:CurrentTime", ptNowISO)),
	ptIf("a date value may be epoch seconds", true, ptCond("DateEquals", "aws:CurrentTime", ptEpoch)),
	ptIf("a date value may have a zone offset", true, ptCond("DateEquals", "aws:CurrentTime", "2024-06-01T14:00:00+02:00")),
	ptIf("a date value may have fractional seconds", true, ptCond("DateEquals", "aws:CurrentTime", "2024-06-01T12:00:00.000Z")),
	ptIf("a date condition reads a request value given as epoch seconds", true,
		ptCond("DateGreaterThan", "aws:TokenIssueTime", "2024-05-31"), ptKey("aws:TokenIssueTime", ptEpoch)),
	ptIf("a date condition reads a request value given in ISO 8601", false,
		ptCond("DateGreaterThan", "aws:TokenIssueTime", "2024-05-31"), ptKey("aws:TokenIssueTime", "2024-05-30T23:00:00Z")),
	ptIf("a date condition on aws:EpochTime compares instants", true, ptCond("DateLessThan", "aws:EpochTime", "2025-01-01")),
	ptIf("a numeric condition on aws:EpochTime compares seconds", true, ptCond("NumericGreaterThan", "aws:EpochTime", "1700000000")),
	ptIf("aws:CurrentTime compares as text in a string condition", true, ptCond("StringLike", "aws:CurrentTime", "2024-06-01T*")),
	ptIf("aws:EpochTime compares as text in a string condition", true, ptCond("StringEquals", "aws:EpochTime", ptEpoch)),
	ptIf("the request time defaults to now", true, ptCond("DateGreaterThan", "aws:CurrentTime", "2020-01-01"), ptAt(time.Time{})),

	// Bool, binary.
	ptIf("Bool matches true", true, ptCond("Bool", "aws:SecureTransport", "true"), ptKey("aws:SecureTransport", "true")),
	ptIf("Bool false does not match true", false, ptCond("Bool", "aws:SecureTransport", "false"), ptKey("aws:SecureTransport", "true")),
	ptIf("Bool values ignore case", true, ptCond("Bool", "aws:SecureTransport", "TRUE"), ptKey("aws:SecureTransport", "true")),
	ptIf("Bool fails on a missing key", false, ptCond("Bool", "aws:SecureTransport", "true")),
	ptIf("BoolIfExists holds on a missing key", true, ptCond("BoolIfExists", "aws:SecureTransport", "true")),
	ptIf("BinaryEquals matches the same bytes", true, ptCond("BinaryEquals", "secretsmanager:Description", ptBinary), ptKey("secretsmanager:Description", ptBinary)),
	ptIf("BinaryEquals fails for other bytes", false, ptCond("BinaryEquals", "secretsmanager:Description", ptBinary), ptKey("secretsmanager:Description", "b3RoZXI=")),
	ptIf("BinaryEqualsIfExists holds on a missing key", true, ptCond("BinaryEqualsIfExists", "secretsmanager:Description", ptBinary)),

	// IP addresses.
	ptIf("IpAddress holds for an address in the range", true, ptCond("IpAddress", "aws:SourceIp", "203.0.113.0/24"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("IpAddress fails for an address outside the range", false, ptCond("IpAddress", "aws:SourceIp", "198.51.100.0/24"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("IpAddress without a prefix length means /32", true, ptCond("IpAddress", "aws:SourceIp", "203.0.113.7"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("IpAddress holds for any of several ranges", true, ptCond("IpAddress", "aws:SourceIp", "10.0.0.0/8", "203.0.113.0/24"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("IpAddress matches IPv6 ranges", true, ptCond("IpAddress", "aws:SourceIp", "2001:DB8:1234:5678::/64"), ptKey("aws:SourceIp", "2001:db8:1234:5678::1")),
	ptIf("an IPv4 address is not in an IPv6 range", false, ptCond("IpAddress", "aws:SourceIp", "2001:db8::/32"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("an IPv4-mapped IPv6 address is in its IPv4 range", true, ptCond("IpAddress", "aws:SourceIp", "203.0.113.0/24"), ptKey("aws:SourceIp", "::ffff:203.0.113.7")),
	ptIf("IpAddress fails on a missing key", false, ptCond("IpAddress", "aws:SourceIp", "0.0.0.0/0")),
	ptIf("IpAddress fails on a value that is not an address", false, ptCond("IpAddress", "aws:SourceIp", "0.0.0.0/0"), ptKey("aws:SourceIp", "localhost")),
	ptIf("IpAddressIfExists holds on a missing key", true, ptCond("IpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")),
	ptIf("NotIpAddress holds for an address outside the range", true, ptCond("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("NotIpAddress fails for an address in the range", false, ptCond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("NotIpAddressIfExists holds on a missing key", true, ptCond("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8")),

	// ARN operators.
	ptIf("ArnLike matches wildcards within a segment", true,
		ptCond("ArnLike", "secretsmanager:SecretId", "arn:aws:secretsmanager:*:123456789012:secret:prod/*"), ptKey("secretsmanager:SecretId", ptSecretARN)),
	ptIf("ArnEquals takes wildcards too", true,
		ptCond("ArnEquals", "secretsmanager:SecretId", "arn:aws:secretsmanager:us-east-?:123456789012:secret:*"), ptKey("secretsmanager:SecretId", ptSecretARN)),
	ptIf("ArnLike's wildcards do not cross a colon before the resource part", false,
		ptCond("ArnLike", "aws:SourceArn", "arn:aws:secretsmanager:*:123456789012:secret:*"),
		ptKey("aws:SourceArn", "arn:aws:secretsmanager:us-east-1:999999999999:x:123456789012:secret:y")),
	ptIf("StringLike's wildcards cross colons where ArnLike's do not", true,
		ptCond("StringLike", "aws:SourceArn", "arn:aws:secretsmanager:*:123456789012:secret:*"),
		ptKey("aws:SourceArn", "arn:aws:secretsmanager:us-east-1:999999999999:x:123456789012:secret:y")),
	ptIf("ArnLike's last segment may hold colons", true,
		ptCond("ArnLike", "aws:SourceArn", "arn:aws:logs:*:*:log-group:*"), ptKey("aws:SourceArn", "arn:aws:logs:us-east-1:123456789012:log-group:app:stream")),
	ptIf("ArnLike is case-sensitive", false,
		ptCond("ArnLike", "secretsmanager:SecretId", "arn:aws:secretsmanager:*:*:secret:PROD/*"), ptKey("secretsmanager:SecretId", ptSecretARN)),
	ptIf("an ArnLike pattern of fewer than six segments matches no ARN", false,
		ptCond("ArnLike", "secretsmanager:SecretId", "*"), ptKey("secretsmanager:SecretId", ptSecretARN)),
	ptIf("ArnLike resolves policy variables", true,
		ptCond("ArnLike", "aws:SourceArn", "arn:aws:iam::*:user/${aws:username}"), ptKey("aws:SourceArn", ptAliceARN)),
	ptIf("ArnLikeIfExists holds on a missing key", true, ptCond("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*")),
	ptIf("ArnEqualsIfExists fails for another ARN", false, ptCond("ArnEqualsIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*"), ptKey("aws:SourceArn", ptSecretARN)),
	ptIf("ArnNotLike holds for another ARN", true, ptCond("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:*"), ptKey("aws:SourceArn", ptSecretARN)),
	ptIf("ArnNotLike holds on a missing key", true, ptCond("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:*")),
	ptIf("ArnNotEquals fails for a matching ARN", false, ptCond("ArnNotEquals", "aws:SourceArn", "arn:aws:secretsmanager:*:*:*"), ptKey("aws:SourceArn", ptSecretARN)),
	ptIf("ArnNotLikeIfExists fails for a matching ARN", false, ptCond("ArnNotLikeIfExists", "aws:SourceArn", "arn:aws:secretsmanager:*:*:*"), ptKey("aws:SourceArn", ptSecretARN)),
	ptIf("ArnNotEqualsIfExists holds on a missing key", true, ptCond("ArnNotEqualsIfExists", "aws:SourceArn", "arn:aws:secretsmanager:*:*:*")),

	// Null.
	ptIf("Null true holds when the key is missing", true, ptCond("Null", "aws:TokenIssueTime", "true")),
	ptIf("Null true fails when the key is present", false, ptCond("Null", "aws:TokenIssueTime", "true"), ptKey("aws:TokenIssueTime", ptNowISO)),
	ptIf("Null false holds when the key is present", true, ptCond("Null", "aws:PrincipalTag/team", "false"), ptTag("team", "prod")),
	ptIf("Null false fails when the key is missing", false, ptCond("Null", "aws:PrincipalTag/team", "false")),
	ptIf("Null treats an empty list of values as missing", true, ptCond("Null", "aws:TagKeys", "true"), ptKey("aws:TagKeys")),

	// Set operators on multivalued keys.
	ptIf("ForAllValues holds when every value is listed", true,
		ptCond("ForAllValues:StringEquals", "aws:TagKeys", "env", "team"), ptKey("aws:TagKeys", "team", "env")),
	ptIf("ForAllValues fails when a value is not listed", false,
		ptCond("ForAllValues:StringEquals", "aws:TagKeys", "env", "team"), ptKey("aws:TagKeys", "team", "owner")),
	ptIf("ForAllValues holds when the key is missing", true, ptCond("ForAllValues:StringEquals", "aws:TagKeys", "env")),
	ptIf("ForAllValues holds for an empty set of values", true, ptCond("ForAllValues:StringEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys")),
	ptIf("ForAllValues works with StringLike", true,
		ptCond("ForAllValues:StringLike", "aws:TagKeys", "app-*"), ptKey("aws:TagKeys", "app-name", "app-owner")),
	ptIf("ForAnyValue holds when one value is listed", true,
		ptCond("ForAnyValue:StringEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys", "team", "env")),
	ptIf("ForAnyValue fails when no value is listed", false,
		ptCond("ForAnyValue:StringEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys", "team", "owner")),
	ptIf("ForAnyValue fails when the key is missing", false, ptCond("ForAnyValue:StringEquals", "aws:TagKeys", "env")),
	ptIf("ForAnyValue fails for an empty set of values", false, ptCond("ForAnyValue:StringEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys")),
	ptIf("ForAnyValue with IfExists holds when the key is missing", true, ptCond("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "env")),
	ptIf("ForAllValues:StringNotEquals holds when no value is listed", true,
		ptCond("ForAllValues:StringNotEquals", "aws:TagKeys", "owner"), ptKey("aws:TagKeys", "team", "env")),
	ptIf("ForAllValues:StringNotEquals fails when one value is listed", false,
		ptCond("ForAllValues:StringNotEquals", "aws:TagKeys", "owner"), ptKey("aws:TagKeys", "team", "owner")),
	ptIf("ForAnyValue:StringNotEquals holds when one value is not listed", true,
		ptCond("ForAnyValue:StringNotEquals", "aws:TagKeys", "owner"), ptKey("aws:TagKeys", "team", "owner")),
	ptIf("ForAnyValue:StringNotEquals fails when every value is listed", false,
		ptCond("ForAnyValue:StringNotEquals", "aws:TagKeys", "owner", "team"), ptKey("aws:TagKeys", "team", "owner")),
	ptIf("ForAnyValue:NumericGreaterThan compares each value", true,
		ptCond("ForAnyValue:NumericGreaterThan", "secretsmanager:RecoveryWindowInDays", "20"), ptKey("secretsmanager:RecoveryWindowInDays", "7", "30")),
	ptIf("ForAnyValue on a single-valued key is a plain comparison", true,
		ptCond("ForAnyValue:StringEquals", "secretsmanager:VersionStage", "AWSCURRENT"), ptKey("secretsmanager:VersionStage", "AWSCURRENT")),
	ptIf("without a set operator, a positive operator holds if any value matches", true,
		ptCond("StringEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys", "team", "env")),
	ptIf("without a set operator, a negated operator fails if any value matches", false,
		ptCond("StringNotEquals", "aws:TagKeys", "env"), ptKey("aws:TagKeys", "team", "env")),
	ptID("a Deny with ForAnyValue blocks a request carrying a reserved tag key", ExplicitDeny,
		ptDoc(ptAllowAllStmt, ptDeny("secretsmanager:TagResource", "*", ptCond("ForAnyValue:StringLike", "aws:TagKeys", "aws:*"))),
		ptAction("secretsmanager:TagResource"), ptKey("aws:TagKeys", "team", "aws:cloudformation:stack")),

	// The keys Coffer supplies or derives.
	ptIf("aws:username is the user's name", true, ptCond("StringEquals", "aws:username", "alice")),
	ptIf("aws:username is absent for a role session", true, ptCond("Null", "aws:username", "true"), ptSession),
	ptIf("aws:userid is the user's unique id", true, ptCond("StringEquals", "aws:userid", ptAliceID)),
	ptIf("aws:userid of a role session is role id and session", true, ptCond("StringEquals", "aws:userid", ptRoleID+":ci-42"), ptSession),
	ptIf("aws:PrincipalArn is the user's ARN", true, ptCond("ArnEquals", "aws:PrincipalArn", ptAliceARN)),
	ptIf("aws:PrincipalArn of a role session is the role's ARN with its path", true,
		ptCond("StringEquals", "aws:PrincipalArn", "arn:aws:iam::123456789012:role/ops/deploy"), ptSession),
	ptIf("aws:PrincipalArn of a bare role session is built from the session ARN", true,
		ptCond("StringEquals", "aws:PrincipalArn", ptRoleARN), ptSessionNoRecord),
	ptIf("aws:PrincipalAccount is the principal's account", true, ptCond("StringEquals", "aws:PrincipalAccount", ptAccount)),
	ptIf("aws:PrincipalType is User for a user", true, ptCond("StringEquals", "aws:PrincipalType", "User")),
	ptIf("aws:PrincipalType is AssumedRole for a role session", true, ptCond("StringEquals", "aws:PrincipalType", "AssumedRole"), ptSession),
	ptIf("aws:PrincipalTag reads the principal's tags", true, ptCond("StringEquals", "aws:PrincipalTag/team", "prod"), ptTag("team", "prod")),
	ptIf("aws:PrincipalTag finds tag keys without regard to case", true, ptCond("StringEquals", "aws:PrincipalTag/Team", "prod"), ptTag("team", "prod")),
	ptIf("aws:SourceIp is the client's address", true, ptCond("IpAddress", "aws:SourceIp", "203.0.113.0/24"), ptKey("aws:SourceIp", "203.0.113.7")),
	ptIf("aws:SecureTransport says whether TLS was used", false, ptCond("Bool", "aws:SecureTransport", "true"), ptKey("aws:SecureTransport", "false")),
	ptIf("aws:RequestTag reads the tags the request sets", true, ptCond("StringEquals", "aws:RequestTag/env", "prod"), ptKey("aws:RequestTag/env", "prod")),
	ptIf("aws:ResourceTag reads the secret's tags", true, ptCond("StringEquals", "aws:ResourceTag/owner", "alice"), ptKey("aws:ResourceTag/owner", "alice")),
	ptIf("secretsmanager:ResourceTag reads tags supplied as aws:ResourceTag", true,
		ptCond("StringEquals", "secretsmanager:ResourceTag/owner", "alice"), ptKey("aws:ResourceTag/owner", "alice")),
	ptIf("aws:ResourceTag reads tags supplied as secretsmanager:ResourceTag", true,
		ptCond("StringEquals", "aws:ResourceTag/owner", "alice"), ptKey("secretsmanager:ResourceTag/owner", "alice")),
	ptIf("secretsmanager:Name is the name in the request", true, ptCond("StringLike", "secretsmanager:Name", "prod/*"), ptKey("secretsmanager:Name", "prod/db")),
	ptIf("secretsmanager:SecretId is the secret's ARN", true,
		ptCond("ArnLike", "secretsmanager:SecretId", "arn:aws:secretsmanager:*:*:secret:prod/*"), ptKey("secretsmanager:SecretId", ptSecretARN)),
	ptIf("secretsmanager:VersionStage is the stage asked for", false,
		ptCond("StringEquals", "secretsmanager:VersionStage", "AWSCURRENT"), ptKey("secretsmanager:VersionStage", "AWSPREVIOUS")),
	ptIf("secretsmanager:VersionId is the version asked for", true,
		ptCond("StringEquals", "secretsmanager:VersionId", "v-1"), ptKey("secretsmanager:VersionId", "v-1")),
	ptIf("secretsmanager:Description is the description in the request", true,
		ptCond("StringLike", "secretsmanager:Description", "*database*"), ptKey("secretsmanager:Description", "the database password")),
	ptIf("secretsmanager:KmsKeyId is the key in the request", true,
		ptCond("StringEquals", "secretsmanager:KmsKeyId", "alias/app"), ptKey("secretsmanager:KmsKeyId", "alias/app")),
	ptIf("secretsmanager:BlockPublicPolicy is the request's flag", true,
		ptCond("Bool", "secretsmanager:BlockPublicPolicy", "true"), ptKey("secretsmanager:BlockPublicPolicy", "true")),
	ptIf("a key in Keys overrides the derived one", true, ptCond("StringEquals", "aws:username", "carol"), ptKey("aws:username", "carol")),

	// Resource policies.
	ptRes("a resource policy naming the user allows without an identity policy", Allow, "", ptResAllowGet(ptPrincipal(ptAliceARN))),
	ptRes("a resource policy naming the user by unique id allows", Allow, "", ptResAllowGet(ptPrincipal(ptAliceID))),
	ptRes("a resource policy naming the session allows without an identity policy", Allow, "", ptResAllowGet(ptPrincipal(ptSessionARN)), ptSession),
	ptRes("a resource policy naming the role allows its session", Allow, "", ptResAllowGet(ptPrincipal(ptRoleARN)), ptSession),
	ptRes("a resource policy naming the role with its path allows its session", Allow, "", ptResAllowGet(ptPrincipal("arn:aws:iam::123456789012:role/ops/deploy")), ptSession),
	ptRes("a resource policy naming the role by unique id allows its session", Allow, "", ptResAllowGet(ptPrincipal(ptRoleID)), ptSession),
	ptRes("a resource policy naming another role does not allow", ImplicitDeny, "", ptResAllowGet(ptPrincipal("arn:aws:iam::123456789012:role/other")), ptSession),
	ptRes("a resource policy naming another user does not allow", ImplicitDeny, "", ptResAllowGet(ptPrincipal(ptBobARN))),
	ptRes("a resource policy naming the account does not allow on its own", ImplicitDeny, "", ptResAllowGet(ptPrincipal(ptAccount))),
	ptRes("a resource policy naming the account root does not allow on its own", ImplicitDeny, "", ptResAllowGet(ptPrincipal("arn:aws:iam::123456789012:root"))),
	ptRes("a resource policy naming the account delegates to an identity policy that allows", Allow, ptAllowGet, ptResAllowGet(ptPrincipal(ptAccount))),
	ptRes("a resource policy allowing \"*\" allows anyone", Allow, "", ptResAllowGet(`"Principal": "*"`)),
	ptRes("a resource policy allowing {\"AWS\": \"*\"} allows anyone", Allow, "", ptResAllowGet(`"Principal": {"AWS": "*"}`)),
	ptRes("a resource policy allowing another action does not allow", ImplicitDeny, "", ptDoc(ptAllow("secretsmanager:DescribeSecret", "*", ptPrincipal(ptAliceARN)))),
	ptRes("a resource policy allow whose condition fails does not allow", ImplicitDeny, "",
		ptDoc(ptAllow(ptGetValue, "*", ptPrincipal(ptAliceARN), ptCond("StringEquals", "aws:PrincipalTag/team", "prod")))),
	ptRes("a resource policy allow whose condition holds allows", Allow, "",
		ptDoc(ptAllow(ptGetValue, "*", `"Principal": "*"`, ptCond("StringEquals", "aws:PrincipalAccount", ptAccount)))),
	ptRes("a resource policy Deny naming the account beats an identity Allow", ExplicitDeny, ptAllowAll, ptDoc(ptDeny("*", "*", ptPrincipal(ptAccount)))),
	ptRes("a resource policy Deny naming \"*\" beats an identity Allow", ExplicitDeny, ptAllowAll, ptDoc(ptDeny("*", "*", `"Principal": "*"`))),
	ptRes("a resource policy Deny naming the role applies to its session", ExplicitDeny, ptAllowAll, ptDoc(ptDeny("*", "*", ptPrincipal(ptRoleARN))), ptSession),
	ptRes("a resource policy Deny naming another user does not apply", Allow, ptAllowAll, ptDoc(ptDeny("*", "*", ptPrincipal(ptBobARN)))),
	ptRes("a resource policy Deny beats its own Allow", ExplicitDeny, "",
		ptDoc(ptAllow("*", "*", ptPrincipal(ptAliceARN)), ptDeny(ptGetValue, "*", ptPrincipal(ptAliceARN)))),
	ptRes("an identity Deny beats a resource policy Allow", ExplicitDeny, ptDoc(ptDeny("*", "*")), ptResAllowGet(ptPrincipal(ptAliceARN))),
	ptRes("NotPrincipal Deny spares a user listed with its account", Allow, ptAllowAll, ptDoc(ptDeny("*", "*", ptNotPrincipal(ptAliceARN, ptAccount)))),
	ptRes("NotPrincipal Deny listing the user without its account still denies the user", ExplicitDeny, ptAllowAll, ptDoc(ptDeny("*", "*", ptNotPrincipal(ptAliceARN)))),
	ptRes("NotPrincipal Deny denies the users it does not list", ExplicitDeny, ptAllowAll, ptDoc(ptDeny("*", "*", ptNotPrincipal(ptAliceARN, ptAccount))), ptBob),
	ptRes("NotPrincipal Deny spares a session listed with its role and account", Allow, ptAllowAll,
		ptDoc(ptDeny("*", "*", ptNotPrincipal(ptSessionARN, ptRoleARN, "arn:aws:iam::123456789012:root"))), ptSession),
	ptRes("NotPrincipal Deny listing a session without its role still denies it", ExplicitDeny, ptAllowAll,
		ptDoc(ptDeny("*", "*", ptNotPrincipal(ptSessionARN, ptAccount))), ptSession),
	ptRes("NotPrincipal Allow grants to principals it does not list", Allow, "", ptResAllowGet(ptNotPrincipal(ptBobARN))),
	ptRes("NotPrincipal Allow does not grant to a principal listed with its account", ImplicitDeny, "", ptResAllowGet(ptNotPrincipal(ptAliceARN, ptAccount))),
	ptRes("a trust policy without Resource allows the principal it names", Allow, "",
		`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole", `+ptPrincipal(ptAliceARN)+`}}`,
		ptAction("sts:AssumeRole"), ptResource(ptRoleARN)),
	ptRes("a trust policy naming an OIDC provider allows its web identities", Allow, "",
		`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}}}`,
		ptAction("sts:AssumeRoleWithWebIdentity"), ptResource(ptRoleARN), func(c *EvalContext) {
			c.Principal = Principal{Account: ptAccount, ARN: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", Federated: true}
		}),
	ptRes("a trust policy naming the account does not admit a web identity", ImplicitDeny, "",
		`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:*", "Principal": {"AWS": "123456789012"}}}`,
		ptAction("sts:AssumeRoleWithWebIdentity"), ptResource(ptRoleARN), func(c *EvalContext) {
			c.Principal = Principal{Account: ptAccount, ARN: "arn:aws:iam::123456789012:oidc-provider/example.com", Federated: true}
		}),

	// Session policies.
	{name: "a session policy that does not allow the action denies what the identity allows",
		identity: []string{ptAllowAll}, session: []string{ptSessionLimit}, opts: []ptOpt{ptSession}, want: ImplicitDeny},
	{name: "a session policy and an identity policy that both allow allow",
		identity: []string{ptAllowAll}, session: []string{ptAllowGet}, opts: []ptOpt{ptSession}, want: Allow},
	{name: "a session policy grants nothing on its own",
		session: []string{ptAllowAll}, opts: []ptOpt{ptSession}, want: ImplicitDeny},
	{name: "a Deny in a session policy beats an identity Allow",
		identity: []string{ptAllowAll}, session: []string{ptDoc(ptAllowAllStmt, ptDeny(ptGetValue, "*"))}, opts: []ptOpt{ptSession}, want: ExplicitDeny},
	{name: "one of several session policies allowing is enough",
		identity: []string{ptAllowAll}, session: []string{ptSessionLimit, ptAllowGet}, opts: []ptOpt{ptSession}, want: Allow},
	{name: "session policies limit a resource policy that names the role",
		resource: ptResAllowGet(ptPrincipal(ptRoleARN)), session: []string{ptSessionLimit}, opts: []ptOpt{ptSession}, want: ImplicitDeny},
	{name: "a resource policy naming the role allows within the session policies",
		resource: ptResAllowGet(ptPrincipal(ptRoleARN)), session: []string{ptAllowGet}, opts: []ptOpt{ptSession}, want: Allow},
	{name: "session policies do not limit a resource policy that names the session",
		resource: ptResAllowGet(ptPrincipal(ptSessionARN)), session: []string{ptSessionLimit}, opts: []ptOpt{ptSession}, want: Allow},
	{name: "session policies do not limit a resource policy that allows \"*\"",
		resource: ptResAllowGet(`"Principal": "*"`), session: []string{ptSessionLimit}, opts: []ptOpt{ptSession}, want: Allow},
	{name: "a Deny in a session policy beats a resource policy naming the session",
		resource: ptResAllowGet(ptPrincipal(ptSessionARN)), session: []string{ptDoc(ptDeny("*", "*"))}, opts: []ptOpt{ptSession}, want: ExplicitDeny},
}

// ptAllowAllStmt allows everything; cases add Deny statements next to it.
var ptAllowAllStmt = ptAllow("*", "*")

// TestEvaluateCases evaluates every case of ptCases.
func TestEvaluateCases(t *testing.T) {
	t.Parallel()
	const minCases = 150
	if len(ptCases) < minCases {
		t.Fatalf("ptCases has %d cases; keep at least %d", len(ptCases), minCases)
	}
	seen := map[string]bool{}
	for _, tc := range ptCases {
		if seen[tc.name] {
			t.Errorf("two cases are named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ptEvaluate(t, tc)
			if got.Decision != tc.want {
				t.Errorf("Evaluate() = %v (%s), want %v", got.Decision, got.Reason, tc.want)
			}
			if (got.Statement == nil) != (got.Decision == ImplicitDeny) {
				t.Errorf("Evaluate() = %v with Statement %+v; want a statement exactly when not ImplicitDeny", got.Decision, got.Statement)
			}
		})
	}
}

// ptEvaluate parses tc's policies and evaluates its request.
func ptEvaluate(t testing.TB, tc ptCase) EvalResult {
	t.Helper()
	ctx := ptContext()
	for _, o := range tc.opts {
		o(&ctx)
	}
	var identity []NamedPolicy
	for i, doc := range tc.identity {
		identity = append(identity, NamedPolicy{Name: "policy" + string(rune('A'+i)), Policy: ptMustParse(t, doc, IdentityPolicyKind)})
	}
	var resource *Policy
	if tc.resource != "" {
		kind := ResourcePolicyKind
		if strings.HasPrefix(ctx.Action, "sts:") {
			kind = TrustPolicyKind
		}
		resource = ptMustParse(t, tc.resource, kind)
	}
	var session []*Policy
	for _, doc := range tc.session {
		session = append(session, ptMustParse(t, doc, SessionPolicyKind))
	}
	return Evaluate(ctx, identity, resource, session)
}
