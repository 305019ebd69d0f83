package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/cloudtrail"
	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/iamapi"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/secretsmanager"
	"github.com/coffer-dev/coffer/internal/ssm"
	stsapi "github.com/coffer-dev/coffer/internal/sts"
)

func TestUnusedServedActionsAreTheMuxes(t *testing.T) {
	t.Parallel()
	byService := map[string][]string{}
	for _, a := range servedActions {
		svc, op, _ := strings.Cut(a, ":")
		byService[svc] = append(byService[svc], op)
	}
	if got, want := byService["secretsmanager"], secretsmanager.NewMux(nil, nil).Names(); !slices.Equal(got, want) {
		t.Errorf("servedActions for secretsmanager:\n%s", cmp.Diff(want, got))
	}
	if got, want := byService["ssm"], ssm.NewMux(nil, nil).Names(); !slices.Equal(got, want) {
		t.Errorf("servedActions for ssm:\n%s", cmp.Diff(want, got))
	}
	for _, m := range cloudtrail.NewMuxes("", nil, nil) {
		if got, want := byService["cloudtrail"], m.Names(); !slices.Equal(got, want) {
			t.Errorf("servedActions for cloudtrail (%s):\n%s", m.Prefix(), cmp.Diff(want, got))
		}
	}
	if got, want := byService["iam"], iamapi.NewMux(nil, nil).Names(); !slices.Equal(got, want) {
		t.Errorf("servedActions for iam:\n%s", cmp.Diff(want, got))
	}
	// sts:TagSession is a permission, not an operation the mux serves.
	stsServed := slices.DeleteFunc(slices.Clone(byService["sts"]), func(op string) bool { return op == "TagSession" })
	if got, want := stsServed, stsapi.NewMux(stsapi.Config{}).Names(); !slices.Equal(got, want) {
		t.Errorf("servedActions for sts:\n%s", cmp.Diff(want, got))
	}
	if len(byService) != len(iamPrefixes) {
		t.Errorf("servedActions has services %v, iamPrefixes %v", byService, iamPrefixes)
	}
}

func TestUnusedEventUses(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	const (
		db    = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf"
		api   = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/api-AbCdEf"
		param = "arn:aws:ssm:us-east-1:000000000000:parameter/aws/reference/secretsmanager/app/db"
		role  = "arn:aws:iam::000000000000:role/fn"
	)
	ev := func(service, op string, decision audit.Decision, status int, resources ...string) *audit.Event {
		e := &audit.Event{Type: audit.APICall, Time: at, Service: service, Operation: op, Decision: decision, Status: status}
		for _, r := range resources {
			e.Resources = append(e.Resources, audit.Resource{ARN: r})
		}
		return e
	}
	use := func(action, resource string) iam.Use { return iam.Use{Action: action, Resource: resource, Last: at} }
	possible := func(action, resource string) iam.Use {
		return iam.Use{Action: action, Resource: resource, Last: at, Possible: true}
	}
	serviceEvent := ev("secretsmanager", "RotationStep", "", 0, db)
	serviceEvent.Type = audit.ServiceEvent
	failed := ev("sts", "GetCallerIdentity", "", 400)
	failed.ErrorCode = "ValidationError"
	for _, tc := range []struct {
		name string
		ev   *audit.Event
		want []iam.Use
	}{
		{"an allowed read uses its action on its secret", ev("secretsmanager", "GetSecretValue", audit.Allow, 200, db),
			[]iam.Use{use("secretsmanager:GetSecretValue", db)}},
		{"an allowed request that then failed still used its grant", ev("secretsmanager", "GetSecretValue", audit.Allow, 400, db),
			[]iam.Use{use("secretsmanager:GetSecretValue", db)}},
		{"an action without a resource is used on *", ev("secretsmanager", "ListSecrets", audit.Allow, 200),
			[]iam.Use{use("secretsmanager:ListSecrets", "*")}},
		{"a denied request uses nothing", ev("secretsmanager", "GetSecretValue", audit.Deny, 400, db), nil},
		{"a success without a decision needed no permission, and counts", ev("sts", "GetCallerIdentity", "", 200),
			[]iam.Use{use("sts:GetCallerIdentity", "*")}},
		{"a failure without a decision uses nothing", failed, nil},
		{"a scheduler action is not the principal's", serviceEvent, nil},
		{"an unknown service is not counted", ev("coffer", "Unknown", audit.Allow, 200), nil},
		{"a batch read uses GetSecretValue on each secret, and maybe ListSecrets",
			ev("secretsmanager", "BatchGetSecretValue", audit.Allow, 200, db, api),
			[]iam.Use{use("secretsmanager:GetSecretValue", db), use("secretsmanager:GetSecretValue", api),
				use("secretsmanager:BatchGetSecretValue", "*"), possible("secretsmanager:ListSecrets", "*")}},
		{"an SSM reference to a secret uses GetSecretValue on the secret", ev("ssm", "GetParameter", audit.Allow, 200, param, db),
			[]iam.Use{use("ssm:GetParameter", param), use("secretsmanager:GetSecretValue", db)}},
		{"AssumeRole maybe tagged its session", ev("sts", "AssumeRole", audit.Allow, 200, role),
			[]iam.Use{use("sts:AssumeRole", role), possible("sts:TagSession", role)}},
	} {
		if diff := cmp.Diff(tc.want, eventUses(tc.ev)); diff != "" {
			t.Errorf("%s: eventUses (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestUnusedParsePrincipalRef(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		arn  string
		want principalRef // zero: an error
	}{
		{"a user", "arn:aws:iam::000000000000:user/ci-bot", principalRef{kind: "user", name: "ci-bot"}},
		{"a user with a path", "arn:aws:iam::000000000000:user/ci/ci-bot", principalRef{kind: "user", name: "ci-bot"}},
		{"a role", "arn:aws:iam::000000000000:role/fn", principalRef{kind: "role", name: "fn"}},
		{"a role session stands for its role", "arn:aws:sts::000000000000:assumed-role/fn/inv-1", principalRef{kind: "role", name: "fn", session: "inv-1"}},
		{"a session without a name is refused", "arn:aws:sts::000000000000:assumed-role/fn", principalRef{}},
		{"a group is refused", "arn:aws:iam::000000000000:group/devs", principalRef{}},
		{"a secret is refused", "arn:aws:secretsmanager:us-east-1:000000000000:secret:x", principalRef{}},
		{"a name is refused", "ci-bot", principalRef{}},
		{"a user without a name is refused", "arn:aws:iam::000000000000:user/", principalRef{}},
	} {
		got, err := parsePrincipalRef(tc.arn)
		if tc.want.kind == "" {
			if err == nil {
				t.Errorf("%s: parsePrincipalRef(%q) = %+v, want an error", tc.name, tc.arn, got)
			}
			continue
		}
		tc.want.arn, tc.want.account = tc.arn, "000000000000"
		if err != nil || got != tc.want {
			t.Errorf("%s: parsePrincipalRef(%q) = %+v, %v; want %+v", tc.name, tc.arn, got, err, tc.want)
		}
	}
}

// unusedServer is a server with three secrets and a parameter, its
// environment pointing the SDK at it.
type unusedServer struct {
	*coffertest.Server
	account string
	secrets map[string]string // name -> ARN
	param   string            // ARN of /app/url
}

func newUnusedServer(t *testing.T) *unusedServer {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	awsEnv(t, srv)
	s := &unusedServer{Server: srv, account: srv.Account(), secrets: map[string]string{}}
	ctx := context.Background()
	for _, name := range []string{"app/db", "app/api", "app/other"} {
		out, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(name + "!")})
		if err != nil {
			t.Fatal(err)
		}
		s.secrets[name] = aws.ToString(out.ARN)
	}
	s.param = "arn:aws:ssm:us-east-1:" + s.account + ":parameter/app/url"
	return s
}

// user creates a user with one inline policy and returns its ARN and a
// Secrets Manager client signed with its key.
func (s *unusedServer) user(t *testing.T, name, policy string) (string, *sm.Client) {
	t.Helper()
	ctx := context.Background()
	store := s.IAM()
	u, err := store.CreateUser(ctx, name, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutUserPolicy(ctx, name, "broad", policy); err != nil {
		t.Fatal(err)
	}
	key, err := store.CreateAccessKey(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ARN, s.ClientWith("us-east-1", key.ID, key.Secret.Reveal())
}

const unusedBroadPolicy = `{"Version":"2012-10-17","Statement":[
	{"Sid":"Secrets","Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},
	{"Sid":"Params","Effect":"Allow","Action":"ssm:GetParameter*","Resource":"*"}]}`

// runUnused runs coffer audit unused --format json and decodes its output.
func runUnused(t *testing.T, args ...string) unusedJSON {
	t.Helper()
	out, err := runAuditCLI(t, "", append([]string{"unused", "--format", "json"}, args...)...)
	if err != nil {
		t.Fatalf("audit unused %q: %v\n%s", args, err, out)
	}
	var got unusedJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("audit unused %q printed no JSON: %v\n%s", args, err, out)
	}
	return got
}

// usedPairs returns the (action, resource) pairs the audit log in dir shows
// principal (a user ARN, or the prefix of a role's session ARNs) used,
// through eventUses, leaving possible uses out.
func usedPairs(t *testing.T, dir, principal string) map[[2]string]bool {
	t.Helper()
	pairs := map[[2]string]bool{}
	err := audit.Query(context.Background(), dir, audit.Filter{}, func(e *audit.Event) error {
		if e.Principal.ARN != principal && !strings.HasPrefix(e.Principal.ARN, principal) {
			return nil
		}
		for _, u := range eventUses(e) {
			if !u.Possible {
				pairs[[2]string{u.Action, u.Resource}] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pairs
}

// checkAllowsExactly evaluates the generated policy with the iam
// evaluator on every served action and every resource of the test (and
// those used): it must allow exactly the used pairs, and the actions used
// on "*" on every resource.
func (s *unusedServer) checkAllowsExactly(t *testing.T, got unusedJSON, p iam.Principal, used map[[2]string]bool) {
	t.Helper()
	if string(got.Policy) == "null" {
		t.Fatal("no policy was generated")
	}
	pol, err := iam.ParsePolicy(string(got.Policy), iam.IdentityPolicyKind)
	if err != nil {
		t.Fatalf("the generated policy does not parse: %v\n%s", err, got.Policy)
	}
	if pol.Version != iam.PolicyVersion2012 {
		t.Errorf("generated policy Version = %q", pol.Version)
	}
	for _, st := range pol.Statements {
		if len(st.Conditions) > 0 || st.Effect != iam.EffectAllow {
			t.Errorf("generated statement %+v: want Allow without conditions", st)
		}
	}
	resources := []string{"*", s.param}
	for _, arn := range s.secrets {
		resources = append(resources, arn)
	}
	for pair := range used {
		resources = append(resources, pair[1])
	}
	named := []iam.NamedPolicy{{Name: "generated", Policy: pol}}
	for _, action := range servedActions {
		for _, r := range resources {
			ec := iam.EvalContext{Principal: p, Action: action, Resource: r}
			allowed := iam.Evaluate(ec, named, nil, nil).Decision == iam.Allow
			// An action used on "*" (one without a resource) is
			// allowed on all of them.
			if want := used[[2]string{action, r}] || used[[2]string{action, "*"}]; allowed != want {
				t.Errorf("generated policy on %s %s: allowed %v, want %v\n%s", action, r, allowed, want, got.Policy)
			}
		}
	}
	if len(used) == 0 {
		t.Error("no used pairs to check")
	}
}

func lastUsedNames(list []lastUsedJSON) []string {
	var out []string
	for _, l := range list {
		out = append(out, l.Action+l.Resource)
	}
	return out
}

func TestUnusedCommandForAUser(t *testing.T) {
	s := newUnusedServer(t)
	ctx := context.Background()
	arn, c := s.user(t, "ci-bot", unusedBroadPolicy)
	for _, name := range []string{"app/db", "app/api"} {
		if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatal(err)
	}

	got := runUnused(t, "--principal", arn, "--days", "1", "--dir", s.AuditDir())
	if got.Principal != arn || got.Kind != "user" || got.ARN != arn || got.Requests != 3 || !slices.Equal(got.Policies, []string{"broad"}) {
		t.Errorf("header = %s %s %s, %d requests, policies %v; want %s, 3 requests, [broad]", got.Principal, got.Kind, got.ARN, got.Requests, got.Policies, arn)
	}
	if len(got.Statements) != 2 {
		t.Fatalf("%d statements, want 2", len(got.Statements))
	}
	secrets, params := got.Statements[0], got.Statements[1]
	if used := lastUsedNames(secrets.UsedActions); !slices.Equal(used, []string{"secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"}) {
		t.Errorf("used secretsmanager actions = %v", used)
	}
	for _, a := range secrets.UsedActions {
		if time.Since(a.LastUsed) > time.Minute {
			t.Errorf("%s last used %v, want a moment ago", a.Action, a.LastUsed)
		}
	}
	for _, want := range []string{"secretsmanager:DeleteSecret", "secretsmanager:PutSecretValue", "secretsmanager:CreateSecret"} {
		if !slices.Contains(secrets.UnusedActions, want) {
			t.Errorf("unused secretsmanager actions %v lack %s", secrets.UnusedActions, want)
		}
	}
	for _, notWant := range []string{"secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"} {
		if slices.Contains(secrets.UnusedActions, notWant) {
			t.Errorf("unused secretsmanager actions list the used %s", notWant)
		}
	}
	if len(secrets.UnusedActions)+len(secrets.UsedActions) != 23 {
		t.Errorf("secretsmanager:* expands to %d actions, want the 23 Coffer serves", len(secrets.UnusedActions)+len(secrets.UsedActions))
	}
	if len(secrets.UsedResources) != 1 || secrets.UsedResources[0].Resource != "*" {
		t.Errorf("secretsmanager resources used = %+v, want *", secrets.UsedResources)
	}
	if want := []string{"ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters", "ssm:GetParametersByPath"}; !slices.Equal(params.UnusedActions, want) || len(params.UsedActions) != 0 {
		t.Errorf("ssm:GetParameter* unused %v, used %v; want unused %v", params.UnusedActions, params.UsedActions, want)
	}
	if !slices.Equal(params.UnusedResources, []string{"*"}) {
		t.Errorf("ssm unused resources = %v, want [*]", params.UnusedResources)
	}
	if len(got.NotGranted) != 0 {
		t.Errorf("not granted = %+v, want none", got.NotGranted)
	}

	used := usedPairs(t, s.AuditDir(), arn)
	want := map[[2]string]bool{
		{"secretsmanager:GetSecretValue", s.secrets["app/db"]}:  true,
		{"secretsmanager:GetSecretValue", s.secrets["app/api"]}: true,
		{"secretsmanager:ListSecrets", "*"}:                     true,
	}
	if !cmp.Equal(used, want) {
		t.Fatalf("the trail shows %v, want %v", used, want)
	}
	p := iam.Principal{Account: s.account, ARN: arn, Name: "ci-bot"}
	s.checkAllowsExactly(t, got, p, used)

	// The same through the data dir, as text.
	out, err := runAuditCLI(t, "", "unused", "--principal", arn, "--days", "1", "--data-dir", s.DataDir)
	if err != nil {
		t.Fatalf("audit unused (text): %v\n%s", err, out)
	}
	for _, want := range []string{
		"Policy broad, statement 0 (Sid Secrets): Allow secretsmanager:* on *",
		"unused actions (21 of 23):", "    secretsmanager:DeleteSecret\n",
		"used actions:", "    secretsmanager:GetSecretValue  last used ",
		"Policy broad, statement 1 (Sid Params): Allow ssm:GetParameter* on *",
		"unused resources (1 of 1):", "Narrower policy:", "Conditions are not evaluated", `"Version": "2012-10-17"`,
		`"arn:aws:secretsmanager:us-east-1:` + s.account + `:secret:app/db-??????"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	doc := out[strings.Index(out, "\n{")+1:]
	if _, err := iam.ParsePolicy(doc, iam.IdentityPolicyKind); err != nil {
		t.Errorf("the policy the text ends with does not parse: %v\n%s", err, doc)
	}
}

func TestUnusedCommandForARoleWithTwoSessions(t *testing.T) {
	s := newUnusedServer(t)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + s.account + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := s.IAM().CreateRole(ctx, iam.RoleInput{Name: "orders-fn", AssumeRolePolicy: trust})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.IAM().PutRolePolicy(ctx, "orders-fn", "broad", unusedBroadPolicy); err != nil {
		t.Fatal(err)
	}
	stsClient := sts.NewFromConfig(s.Config("us-east-1"))
	var sessionARN string
	for session, secret := range map[string]string{"inv-1": "app/db", "inv-2": "app/api"} {
		as, err := stsClient.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String(session)})
		if err != nil {
			t.Fatal(err)
		}
		sessionARN = aws.ToString(as.AssumedRoleUser.Arn)
		c := sm.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: coffertest.HTTPClient(),
			Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(as.Credentials.AccessKeyId), aws.ToString(as.Credentials.SecretAccessKey), aws.ToString(as.Credentials.SessionToken))})
		if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(secret)}); err != nil {
			t.Fatal(err)
		}
	}

	// The role's ARN and either session's ARN name the same thing.
	for _, principal := range []string{role.ARN, sessionARN} {
		got := runUnused(t, "--principal", principal, "--days", "1", "--dir", s.AuditDir())
		if got.Kind != "role" || got.ARN != role.ARN || got.Requests != 2 {
			t.Errorf("--principal %s: kind %s, ARN %s, %d requests; want role %s, 2 requests", principal, got.Kind, got.ARN, got.Requests, role.ARN)
		}
		if used := lastUsedNames(got.Statements[0].UsedActions); !slices.Equal(used, []string{"secretsmanager:GetSecretValue"}) {
			t.Errorf("--principal %s: used actions %v", principal, used)
		}
		prefix := "arn:aws:sts::" + s.account + ":assumed-role/orders-fn/"
		used := usedPairs(t, s.AuditDir(), prefix)
		if len(used) != 2 {
			t.Errorf("the trail shows %v, want reads of two secrets", used)
		}
		p := iam.Principal{Account: s.account, ARN: prefix + "inv-3", Name: "orders-fn",
			Session: &iam.Session{RoleName: "orders-fn", RoleARN: role.ARN, SessionName: "inv-3"}}
		s.checkAllowsExactly(t, got, p, used)
	}
}

func TestUnusedCommandDaysLeavesOlderEventsOut(t *testing.T) {
	s := newUnusedServer(t)
	arn, _ := s.user(t, "old-bot", unusedBroadPolicy)
	// A log of our own, with events dated by the test: ten days ago the
	// user deleted app/other, an hour ago it read app/db.
	dir := filepath.Join(t.TempDir(), "audit")
	root, _, err := keys.LoadOrCreateRootKey(filepath.Join(t.TempDir(), "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := audit.KeysFromRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := audit.OpenLog(ctx, audit.LogConfig{Dir: dir, Keys: k})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	principal := audit.Principal{Type: audit.PrincipalIAMUser, ARN: arn, Name: "old-bot", Account: s.account}
	for _, e := range []*audit.Event{
		{Time: now.Add(-10 * 24 * time.Hour), Principal: principal, Service: "secretsmanager", Operation: "DeleteSecret",
			Decision: audit.Allow, Status: 200, Resources: []audit.Resource{{ARN: s.secrets["app/other"]}}},
		{Time: now.Add(-time.Hour), Principal: principal, Service: "secretsmanager", Operation: "GetSecretValue",
			Decision: audit.Allow, Status: 200, Resources: []audit.Resource{{ARN: s.secrets["app/db"]}}},
		{Time: now.Add(-time.Hour), Principal: principal, Service: "secretsmanager", Operation: "PutSecretValue",
			Decision: audit.Deny, Status: 400, ErrorCode: "AccessDeniedException", Resources: []audit.Resource{{ARN: s.secrets["app/db"]}}},
	} {
		if err := l.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}

	week := runUnused(t, "--principal", arn, "--days", "7", "--dir", dir)
	if week.Requests != 1 || !slices.Equal(lastUsedNames(week.Statements[0].UsedActions), []string{"secretsmanager:GetSecretValue"}) ||
		!slices.Contains(week.Statements[0].UnusedActions, "secretsmanager:DeleteSecret") {
		t.Errorf("--days 7: %d requests, used %v; want 1, GetSecretValue alone (DeleteSecret was ten days ago)",
			week.Requests, lastUsedNames(week.Statements[0].UsedActions))
	}
	if strings.Contains(string(week.Policy), "DeleteSecret") || strings.Contains(string(week.Policy), "PutSecretValue") {
		t.Errorf("--days 7 policy allows what was not used in the window (or was denied):\n%s", week.Policy)
	}
	month := runUnused(t, "--principal", arn, "--days", "30", "--dir", dir)
	if month.Requests != 2 || !slices.Equal(lastUsedNames(month.Statements[0].UsedActions), []string{"secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue"}) {
		t.Errorf("--days 30: %d requests, used %v; want 2, DeleteSecret and GetSecretValue", month.Requests, lastUsedNames(month.Statements[0].UsedActions))
	}
}

func TestUnusedCommandWithoutEventsOrPrincipal(t *testing.T) {
	s := newUnusedServer(t)
	arn, _ := s.user(t, "idle-bot", unusedBroadPolicy)

	got := runUnused(t, "--principal", arn, "--days", "1", "--dir", s.AuditDir())
	if got.Requests != 0 || string(got.Policy) != "null" {
		t.Errorf("idle principal: %d requests, policy %s; want 0 and null", got.Requests, got.Policy)
	}
	for _, st := range got.Statements {
		if len(st.UsedActions) != 0 || len(st.UsedResources) != 0 || len(st.UnusedActions) == 0 {
			t.Errorf("idle principal, statement %d: used %v %v, unused %v; want everything unused", st.Index, st.UsedActions, st.UsedResources, st.UnusedActions)
		}
	}
	out, err := runAuditCLI(t, "", "unused", "--principal", arn, "--days", "1", "--dir", s.AuditDir())
	if err != nil || !strings.Contains(out, "No narrower policy") || !strings.Contains(out, "unused actions (23 of 23)") {
		t.Errorf("idle principal, text: %v\n%s", err, out)
	}

	for _, tc := range []struct{ name, principal, want string }{
		{"an unknown user is named", "arn:aws:iam::" + s.account + ":user/nobody", "the server has no user named nobody"},
		{"an unknown role is named", "arn:aws:sts::" + s.account + ":assumed-role/ghost/s", "the server has no role named ghost"},
		{"another account is refused", "arn:aws:iam::999999999999:user/idle-bot", "is in account " + s.account + ", not 999999999999"},
		{"a non-principal ARN is refused", s.secrets["app/db"], "want the ARN of a user"},
	} {
		out, err := runAuditCLI(t, "", "unused", "--principal", tc.principal, "--dir", s.AuditDir())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: audit unused --principal %s = %v (%q), want an error with %q", tc.name, tc.principal, err, out, tc.want)
		}
	}
	if _, err := runAuditCLI(t, "", "unused", "--dir", s.AuditDir()); err == nil || !strings.Contains(err.Error(), "--principal is required") {
		t.Errorf("audit unused without --principal = %v", err)
	}
	if _, err := runAuditCLI(t, "", "unused", "--principal", arn, "--days", "0", "--dir", s.AuditDir()); err == nil {
		t.Error("audit unused --days 0 succeeded")
	}
}

func TestUnusedCommandLeavesResourcePolicyGrantsOut(t *testing.T) {
	s := newUnusedServer(t)
	ctx := context.Background()
	arn, c := s.user(t, "narrow-bot", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+s.secrets["app/db"]+`"}}`)
	// app/other lets narrow-bot read it through its own resource policy.
	rp := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + arn + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}`
	if _, err := s.Client.PutResourcePolicy(ctx, &sm.PutResourcePolicyInput{SecretId: aws.String("app/other"), ResourcePolicy: aws.String(rp)}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app/db", "app/other"} {
		if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)}); err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
	}
	got := runUnused(t, "--principal", arn, "--days", "1", "--dir", s.AuditDir())
	want := []string{"secretsmanager:GetSecretValue" + s.secrets["app/other"]}
	if got.Requests != 2 || !slices.Equal(lastUsedNames(got.NotGranted), want) {
		t.Errorf("%d requests, not granted %v; want 2 and %v", got.Requests, lastUsedNames(got.NotGranted), want)
	}
	// The narrower policy is the identity policy's part: app/db alone.
	used := map[[2]string]bool{{"secretsmanager:GetSecretValue", s.secrets["app/db"]}: true}
	s.checkAllowsExactly(t, got, iam.Principal{Account: s.account, ARN: arn, Name: "narrow-bot"}, used)
}
