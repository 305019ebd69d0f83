package sts_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
	"github.com/coffer-dev/coffer/internal/iam"
)

// sessionConfig returns an aws.Config signed with temporary credentials.
func sessionConfig(srv *coffertest.Server, c *ststypes.Credentials) aws.Config {
	cfg := srv.Config("us-east-1")
	cfg.Credentials = staticCreds(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

func mustSecret(t *testing.T, c *sm.Client, name string, tags ...smtypes.Tag) string {
	t.Helper()
	out, err := c.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(name + "-value"), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func mustRole(t *testing.T, srv *coffertest.Server, name, trust string, policies map[string]string) *iam.Role {
	t.Helper()
	ctx := context.Background()
	r, err := srv.IAM().CreateRole(ctx, iam.RoleInput{Name: name, AssumeRolePolicy: trust})
	if err != nil {
		t.Fatal(err)
	}
	for n, doc := range policies {
		if err := srv.IAM().PutRolePolicy(ctx, name, n, doc); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func trustAdmin(srv *coffertest.Server) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account() + `:user/admin"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
}

func TestFunctionRoleReadsExactlyItsOwnSecret(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	mine := mustSecret(t, srv.Client, "fn/orders/db")
	mustSecret(t, srv.Client, "fn/billing/db")
	role := mustRole(t, srv, "orders-fn", trustAdmin(srv), map[string]string{"read-own": `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadOwn","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + mine + `"}]}`})
	out, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("invocation-1")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sessionConfig(srv, out.Credentials)
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + srv.Account() + ":assumed-role/orders-fn/invocation-1"; aws.ToString(who.Arn) != want {
		t.Fatalf("caller = %s, want %s", aws.ToString(who.Arn), want)
	}
	fn := sm.NewFromConfig(cfg)
	v, err := fn.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("fn/orders/db")})
	if err != nil || aws.ToString(v.SecretString) != "fn/orders/db-value" {
		t.Fatalf("reading its own secret = %v, %v", v, err)
	}
	for name, call := range map[string]func() error{
		"another secret": func() error {
			_, err := fn.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("fn/billing/db")})
			return err
		},
		"ListSecrets": func() error { _, err := fn.ListSecrets(ctx, &sm.ListSecretsInput{}); return err },
		"PutSecretValue on its own secret": func() error {
			_, err := fn.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(mine), SecretString: aws.String("x")})
			return err
		},
		"DescribeSecret": func() error {
			_, err := fn.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(mine)})
			return err
		},
		"a secret that does not exist (no probing of names)": func() error {
			_, err := fn.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("fn/nonexistent")})
			return err
		},
		"BatchGetSecretValue by filter without ListSecrets": func() error {
			_, err := fn.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"fn"}}}})
			return err
		},
	} {
		if err := call(); err == nil || code(t, err) != "AccessDeniedException" {
			t.Errorf("%s = %v, want AccessDeniedException", name, err)
		}
	}
	// BatchGetSecretValue needs its own action; with it, each unreadable
	// secret is reported in Errors.
	_, err = fn.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{mine}})
	if err == nil || code(t, err) != "AccessDeniedException" {
		t.Fatalf("BatchGetSecretValue without its action = %v", err)
	}
}

func TestBatchGetReportsEachDeniedSecret(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	mine := mustSecret(t, srv.Client, "a")
	other := mustSecret(t, srv.Client, "b")
	role := mustRole(t, srv, "batch", trustAdmin(srv), map[string]string{"p": `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:BatchGetSecretValue","Resource":"*"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + mine + `"}]}`})
	out, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := sm.NewFromConfig(sessionConfig(srv, out.Credentials)).BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{mine, other}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SecretValues) != 1 || aws.ToString(res.SecretValues[0].ARN) != mine {
		t.Fatalf("values = %+v", res.SecretValues)
	}
	if len(res.Errors) != 1 || aws.ToString(res.Errors[0].ErrorCode) != "AccessDeniedException" || aws.ToString(res.Errors[0].SecretId) != other {
		t.Fatalf("errors = %+v", res.Errors)
	}
}

func TestTagBasedAccessFollowsSessionTags(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	tag := func(v string) smtypes.Tag { return smtypes.Tag{Key: aws.String("team"), Value: aws.String(v)} }
	mustSecret(t, srv.Client, "pay", tag("payments"))
	mustSecret(t, srv.Client, "plat", tag("platform"))
	role := mustRole(t, srv, "abac", trustAdmin(srv), map[string]string{"abac": `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
		 "Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`})
	for _, team := range []string{"payments", "platform"} {
		out, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("t-" + team),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := sm.NewFromConfig(sessionConfig(srv, out.Credentials))
		for _, name := range []string{"pay", "plat"} {
			_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(name)})
			allowed := (name == "pay") == (team == "payments")
			if allowed && err != nil {
				t.Errorf("team %s reading %s: %v", team, name, err)
			}
			if !allowed && (err == nil || code(t, err) != "AccessDeniedException") {
				t.Errorf("team %s reading %s = %v, want AccessDeniedException", team, name, err)
			}
		}
	}
}

func TestSessionPolicyNarrowsTheRole(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	a := mustSecret(t, srv.Client, "narrow-a")
	mustSecret(t, srv.Client, "narrow-b")
	role := mustRole(t, srv, "broad", trustAdmin(srv), map[string]string{"all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`})
	out, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + a + `"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := sm.NewFromConfig(sessionConfig(srv, out.Credentials))
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("narrow-a")}); err != nil {
		t.Fatalf("session may read narrow-a: %v", err)
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("narrow-b")})
	if err == nil || code(t, err) != "AccessDeniedException" {
		t.Fatalf("session reading narrow-b = %v, want AccessDeniedException", err)
	}
}

func TestTrustPolicyDecidesWhoMayAssume(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	store := srv.IAM()
	if _, err := store.CreateUser(ctx, "bob", "/", nil); err != nil {
		t.Fatal(err)
	}
	k, err := store.CreateAccessKey(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := srv.Config("us-east-1")
	bob.Credentials = staticCreds(k.ID, k.Secret.Reveal(), "")
	onlyAdmin := mustRole(t, srv, "admin-only", trustAdmin(srv), nil)
	account := mustRole(t, srv, "account-trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+srv.Account()+`:root"},"Action":"sts:AssumeRole"}]}`, nil)
	assume := func(arn string) error {
		_, err := sts.NewFromConfig(bob).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("bob")})
		return err
	}
	if err := assume(onlyAdmin.ARN); err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("bob assuming a role that trusts only admin = %v, want AccessDenied", err)
	}
	// A trust policy naming the account delegates to bob's own policies.
	if err := assume(account.ARN); err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("bob without sts:AssumeRole = %v, want AccessDenied", err)
	}
	if err := store.PutUserPolicy(ctx, "bob", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+account.ARN+`"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := assume(account.ARN); err != nil {
		t.Fatalf("bob with sts:AssumeRole on the role: %v", err)
	}
	if err := assume("arn:aws:iam::" + srv.Account() + ":role/missing"); err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("assuming a missing role = %v, want AccessDenied", err)
	}
	_, err = sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(onlyAdmin.ARN), RoleSessionName: aws.String("x"), DurationSeconds: aws.Int32(7200)})
	if err == nil || code(t, err) != "ValidationError" {
		t.Fatalf("DurationSeconds beyond the role's maximum = %v, want ValidationError", err)
	}
}

func TestDeactivatedKeyIsRefused(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	store := srv.IAM()
	if _, err := store.CreateUser(ctx, "carol", "/", nil); err != nil {
		t.Fatal(err)
	}
	if err := store.PutUserPolicy(ctx, "carol", "list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	k, err := store.CreateAccessKey(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	c := srv.ClientWith("us-east-1", k.ID, k.Secret.Reveal())
	if _, err := c.ListSecrets(ctx, &sm.ListSecretsInput{}); err != nil {
		t.Fatalf("active key: %v", err)
	}
	if err := store.UpdateAccessKey(ctx, "carol", k.ID, iam.KeyInactive); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSecrets(ctx, &sm.ListSecretsInput{}); err == nil || code(t, err) != "UnrecognizedClientException" {
		t.Fatalf("inactive key = %v, want UnrecognizedClientException", err)
	}
}

func TestSessionTagsNeedTagSession(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	role := mustRole(t, srv, "no-tags", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+srv.Account()+`:user/admin"},"Action":"sts:AssumeRole"}]}`, nil)
	st := sts.NewFromConfig(srv.Config("us-east-1"))
	_, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("tagged"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}})
	if err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("session tags without sts:TagSession = %v, want AccessDenied", err)
	}
	if _, err := st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("plain")}); err != nil {
		t.Fatalf("the same role without tags: %v", err)
	}
	_, err = st.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("managed"),
		PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}})
	if err == nil || code(t, err) != "ValidationError" {
		t.Fatalf("PolicyArns = %v, want ValidationError (managed policies are not supported, not ignored)", err)
	}
}

func TestSessionsEndWithTheirUserOrRole(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	store := srv.IAM()
	if _, err := store.CreateUser(ctx, "temp", "/", nil); err != nil {
		t.Fatal(err)
	}
	if err := store.PutUserPolicy(ctx, "temp", "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	k, err := store.CreateAccessKey(ctx, "temp")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config("us-east-1")
	cfg.Credentials = staticCreds(k.ID, k.Secret.Reveal(), "")
	tok, err := sts.NewFromConfig(cfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	role := mustRole(t, srv, "chain", trustAdmin(srv), map[string]string{"all": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`})
	rs, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("chain")})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return store.DeleteAccessKey(ctx, "temp", k.ID) },
		func() error { return store.DeleteUserPolicy(ctx, "temp", "p") },
		func() error { return store.DeleteUser(ctx, "temp") },
		func() error { return store.DeleteRolePolicy(ctx, "chain", "all") },
		func() error { return store.DeleteRole(ctx, "chain") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = sm.NewFromConfig(sessionConfig(srv, tok.Credentials)).ListSecrets(ctx, &sm.ListSecretsInput{})
	if err == nil || code(t, err) != "UnrecognizedClientException" {
		t.Fatalf("session of a deleted user = %v, want UnrecognizedClientException", err)
	}
	_, err = sts.NewFromConfig(sessionConfig(srv, rs.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("again")})
	if err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("chaining from a deleted role's session = %v, want AccessDenied", err)
	}
	_, err = sm.NewFromConfig(sessionConfig(srv, rs.Credentials)).ListSecrets(ctx, &sm.ListSecretsInput{})
	if err == nil || code(t, err) != "AccessDeniedException" {
		t.Fatalf("a deleted role's session = %v, want AccessDeniedException", err)
	}
}

func TestIdentityPolicyAloneCannotAssumeARole(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	if _, err := srv.IAM().CreateUser(context.Background(), "bob", "/", nil); err != nil {
		t.Fatal(err)
	}
	// admin's policy allows "*", but the trust policy names only bob.
	role := mustRole(t, srv, "bobs", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+srv.Account()+`:user/bob"},"Action":"sts:AssumeRole"}]}`, nil)
	_, err := sts.NewFromConfig(srv.Config("us-east-1")).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("admin")})
	if err == nil || code(t, err) != "AccessDenied" {
		t.Fatalf("admin assuming a role that trusts only bob = %v, want AccessDenied", err)
	}
}
