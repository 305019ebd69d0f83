package secretsmanager_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// apiCode returns the AWS error code of err, failing the test if err is
// not an AWS API error.
func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	return ae.ErrorCode()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := apiCode(t, err); got != code {
		t.Fatalf("error code = %s (%v), want %s", got, err, code)
	}
}

func mustCreate(t *testing.T, c *sm.Client, name, value string) *sm.CreateSecretOutput {
	t.Helper()
	out, err := c.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
	return out
}

func getString(t *testing.T, c *sm.Client, in *sm.GetSecretValueInput) *sm.GetSecretValueOutput {
	t.Helper()
	out, err := c.GetSecretValue(context.Background(), in)
	if err != nil {
		t.Fatalf("GetSecretValue(%s): %v", aws.ToString(in.SecretId), err)
	}
	return out
}

func TestCreateAndGetByNameFullARNAndPartialARN(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c := srv.Client
	created := mustCreate(t, c, "MySecret", `{"username":"user","password":"password"}`)
	arn := aws.ToString(created.ARN)
	prefix := "arn:aws:secretsmanager:us-east-1:" + srv.Account() + ":secret:MySecret-"
	if !strings.HasPrefix(arn, prefix) || len(arn) != len(prefix)+6 {
		t.Fatalf("ARN = %s, want %s + 6 characters", arn, prefix)
	}
	if aws.ToString(created.VersionId) == "" {
		t.Fatal("CreateSecret with a value returned no VersionId")
	}
	for _, id := range []string{"MySecret", arn, strings.TrimSuffix(arn, arn[len(arn)-7:])} {
		out := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String(id)})
		if got := aws.ToString(out.SecretString); got != `{"username":"user","password":"password"}` {
			t.Errorf("GetSecretValue(%s).SecretString = %q", id, got)
		}
		if aws.ToString(out.ARN) != arn || aws.ToString(out.Name) != "MySecret" {
			t.Errorf("GetSecretValue(%s) = ARN %s Name %s", id, aws.ToString(out.ARN), aws.ToString(out.Name))
		}
		if !slices.Equal(out.VersionStages, []string{"AWSCURRENT"}) {
			t.Errorf("VersionStages = %v, want [AWSCURRENT]", out.VersionStages)
		}
		if out.CreatedDate == nil || out.CreatedDate.IsZero() {
			t.Error("CreatedDate missing")
		}
	}
	// A full ARN with the wrong suffix names no secret.
	_, err := c.GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: aws.String(prefix + "zzzzzz")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestBinarySecretRoundTrips(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	bin := []byte{0, 1, 2, 0xff, 'x'}
	_, err := srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: bin})
	if err != nil {
		t.Fatal(err)
	}
	out := getString(t, srv.Client, &sm.GetSecretValueInput{SecretId: aws.String("bin")})
	if string(out.SecretBinary) != string(bin) || out.SecretString != nil {
		t.Fatalf("GetSecretValue = binary %v string %v, want binary %v only", out.SecretBinary, out.SecretString, bin)
	}
}

func TestCreateExistingNameIsResourceExists(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	mustCreate(t, srv.Client, "dup", "a")
	_, err := srv.Client.CreateSecret(context.Background(), &sm.CreateSecretInput{Name: aws.String("dup"), SecretString: aws.String("b")})
	wantCode(t, err, "ResourceExistsException")
}

func TestClientRequestTokenIdempotency(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	tok := "11111111-2222-3333-4444-555555555555"
	first, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(tok)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(first.VersionId) != tok {
		t.Fatalf("VersionId = %s, want the token %s", aws.ToString(first.VersionId), tok)
	}
	again, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(tok)})
	if err != nil {
		t.Fatalf("retrying CreateSecret with the same token and value: %v", err)
	}
	if aws.ToString(again.VersionId) != tok || aws.ToString(again.ARN) != aws.ToString(first.ARN) {
		t.Fatalf("retry returned %s %s", aws.ToString(again.ARN), aws.ToString(again.VersionId))
	}
	_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("other"), ClientRequestToken: aws.String(tok)})
	wantCode(t, err, "ResourceExistsException")

	tok2 := "22222222-2222-3333-4444-555555555555"
	p1, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(tok2)})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(tok2)})
	if err != nil {
		t.Fatalf("retrying PutSecretValue with the same token and value: %v", err)
	}
	if aws.ToString(p1.VersionId) != aws.ToString(p2.VersionId) {
		t.Fatalf("retry made a new version %s != %s", aws.ToString(p2.VersionId), aws.ToString(p1.VersionId))
	}
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v3"), ClientRequestToken: aws.String(tok2)})
	wantCode(t, err, "ResourceExistsException")
	versions, err := c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("idem"), IncludeDeprecated: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(versions.Versions) != 2 {
		t.Fatalf("versions after idempotent retries = %d, want 2", len(versions.Versions))
	}
	out := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("idem")})
	if aws.ToString(out.SecretString) != "v2" {
		t.Fatalf("current value = %q after a refused reuse, want v2", aws.ToString(out.SecretString))
	}
}

func TestPutSecretValueMovesCurrentAndPrevious(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	v1 := aws.ToString(mustCreate(t, c, "rot", "one").VersionId)
	p2, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("rot"), SecretString: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(p2.VersionId)
	if !slices.Equal(p2.VersionStages, []string{"AWSCURRENT"}) {
		t.Errorf("PutSecretValue stages = %v", p2.VersionStages)
	}
	prev := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionStage: aws.String("AWSPREVIOUS")})
	if aws.ToString(prev.SecretString) != "one" || aws.ToString(prev.VersionId) != v1 {
		t.Fatalf("AWSPREVIOUS = %q (%s), want one (%s)", aws.ToString(prev.SecretString), aws.ToString(prev.VersionId), v1)
	}
	byID := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionId: aws.String(v1)})
	if aws.ToString(byID.SecretString) != "one" {
		t.Fatalf("by VersionId = %q", aws.ToString(byID.SecretString))
	}
	// A custom stage only: AWSCURRENT stays where it is.
	p3, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("rot"), SecretString: aws.String("three"), VersionStages: []string{"canary"}})
	if err != nil {
		t.Fatal(err)
	}
	cur := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("rot")})
	if aws.ToString(cur.VersionId) != v2 {
		t.Fatalf("AWSCURRENT moved to %s by a put with VersionStages=[canary]", aws.ToString(cur.VersionId))
	}
	canary := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionStage: aws.String("canary")})
	if aws.ToString(canary.VersionId) != aws.ToString(p3.VersionId) {
		t.Fatalf("canary on %s, want %s", aws.ToString(canary.VersionId), aws.ToString(p3.VersionId))
	}
	desc, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("rot")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}, aws.ToString(p3.VersionId): {"canary"}}
	if len(desc.VersionIdsToStages) != len(want) {
		t.Fatalf("VersionIdsToStages = %v, want %v", desc.VersionIdsToStages, want)
	}
	for id, st := range want {
		if !slices.Equal(desc.VersionIdsToStages[id], st) {
			t.Errorf("VersionIdsToStages[%s] = %v, want %v", id, desc.VersionIdsToStages[id], st)
		}
	}
	// Selecting a version by id with a stage it does not carry is refused.
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")})
	wantCode(t, err, "InvalidRequestException")
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionStage: aws.String("nope")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("rot"), VersionId: aws.String("99999999-2222-3333-4444-555555555555")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestSecretWithoutValueHasNoCurrentVersion(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	out, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("empty"), Description: aws.String("later")})
	if err != nil {
		t.Fatal(err)
	}
	if out.VersionId != nil {
		t.Fatalf("VersionId = %s for a secret created without a value", aws.ToString(out.VersionId))
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("empty")})
	wantCode(t, err, "ResourceNotFoundException")
	// The first PutSecretValue gets AWSCURRENT even when asked for another stage.
	p, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("empty"), SecretString: aws.String("x"), VersionStages: []string{"mine"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.VersionStages, "AWSCURRENT") || !slices.Contains(p.VersionStages, "mine") {
		t.Fatalf("first version stages = %v, want mine and AWSCURRENT", p.VersionStages)
	}
}

func TestUpdateSecret(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	v1 := aws.ToString(mustCreate(t, c, "upd", "one").VersionId)
	u, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("upd"), Description: aws.String("now described")})
	if err != nil {
		t.Fatal(err)
	}
	if u.VersionId != nil {
		t.Fatalf("description-only update made version %s", aws.ToString(u.VersionId))
	}
	u2, err := c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("upd"), SecretString: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	cur := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("upd")})
	if aws.ToString(cur.SecretString) != "two" || aws.ToString(cur.VersionId) != aws.ToString(u2.VersionId) {
		t.Fatalf("after UpdateSecret current = %q %s", aws.ToString(cur.SecretString), aws.ToString(cur.VersionId))
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("upd")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.Description) != "now described" || !slices.Equal(d.VersionIdsToStages[v1], []string{"AWSPREVIOUS"}) {
		t.Fatalf("DescribeSecret = description %q stages %v", aws.ToString(d.Description), d.VersionIdsToStages)
	}
	_, err = c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("upd"), SecretString: aws.String("a"), SecretBinary: []byte("b")})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.UpdateSecret(ctx, &sm.UpdateSecretInput{SecretId: aws.String("missing"), Description: aws.String("x")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestValueSizeLimit(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	max := strings.Repeat("a", 65536)
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("big"), SecretString: aws.String(max)}); err != nil {
		t.Fatalf("a 65,536-byte value is refused: %v", err)
	}
	out := getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("big")})
	if len(aws.ToString(out.SecretString)) != 65536 {
		t.Fatalf("read back %d bytes", len(aws.ToString(out.SecretString)))
	}
	_, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("big"), SecretString: aws.String(max + "a")})
	if err == nil {
		t.Fatal("a 65,537-byte value was accepted")
	}
}

func TestTagAndUntag(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("tagged"), SecretString: aws.String("v"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("tagged"), Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("b")}, {Key: aws.String("env"), Value: aws.String("prod")},
	}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range d.Tags {
		got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if len(got) != 2 || got["team"] != "b" || got["env"] != "prod" {
		t.Fatalf("tags = %v, want team=b env=prod", got)
	}
	if _, err := c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: aws.String("tagged"), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("tagged")})
	if len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "env" {
		t.Fatalf("tags after untag = %v", d.Tags)
	}
	_, err = c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("nope"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestGetRandomPassword(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	out, err := c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(out.RandomPassword)) != 32 {
		t.Fatalf("default length = %d, want 32", len(aws.ToString(out.RandomPassword)))
	}
	out, err = c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{
		PasswordLength: aws.Int64(64), ExcludePunctuation: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludeCharacters: aws.String("abc"),
	})
	if err != nil {
		t.Fatal(err)
	}
	pw := aws.ToString(out.RandomPassword)
	if len(pw) != 64 || strings.ContainsAny(pw, "abcABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&()*+,-./:;<=>?@[]^_`{|}~") {
		t.Fatalf("password %q breaks its options", pw)
	}
	_, err = c.GetRandomPassword(ctx, &sm.GetRandomPasswordInput{PasswordLength: aws.Int64(5000)})
	if err == nil {
		t.Fatal("PasswordLength 5000 accepted")
	}
}

func TestRegionsAreIndependentNamespaces(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	east, west := srv.ClientIn("us-east-1"), srv.ClientIn("eu-west-1")
	e := mustCreate(t, east, "shared-name", "east")
	w := mustCreate(t, west, "shared-name", "west")
	if !strings.Contains(aws.ToString(w.ARN), ":eu-west-1:") || !strings.Contains(aws.ToString(e.ARN), ":us-east-1:") {
		t.Fatalf("ARNs do not carry their region: %s %s", aws.ToString(e.ARN), aws.ToString(w.ARN))
	}
	if got := aws.ToString(getString(t, west, &sm.GetSecretValueInput{SecretId: aws.String("shared-name")}).SecretString); got != "west" {
		t.Fatalf("eu-west-1 reads %q", got)
	}
	// An ARN from another region is not found here.
	_, err := west.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: e.ARN})
	wantCode(t, err, "ResourceNotFoundException")
}
