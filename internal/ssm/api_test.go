package ssm_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// newClient starts a server and returns it with an admin SSM client.
func newClient(t *testing.T) (*coffertest.Server, *ssm.Client) {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	return srv, ssm.NewFromConfig(srv.Config("us-east-1"), func(o *ssm.Options) { o.RetryMaxAttempts = 1 })
}

// wantCode fails the test unless err is an AWS API error with code.
func wantCode(t *testing.T, err error, code string) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s (%v), want %s", ae.ErrorCode(), err, code)
	}
	return ae
}

func put(t *testing.T, c *ssm.Client, in *ssm.PutParameterInput) *ssm.PutParameterOutput {
	t.Helper()
	out, err := c.PutParameter(context.Background(), in)
	if err != nil {
		t.Fatalf("PutParameter(%s): %v", aws.ToString(in.Name), err)
	}
	return out
}

func putString(t *testing.T, c *ssm.Client, name, value string) {
	t.Helper()
	put(t, c, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: types.ParameterTypeString})
}

func get(t *testing.T, c *ssm.Client, name string, decrypt bool) *types.Parameter {
	t.Helper()
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		t.Fatalf("GetParameter(%s): %v", name, err)
	}
	return out.Parameter
}

func TestEachTypeRoundTrips(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	for _, tc := range []struct {
		name, value string
		typ         types.ParameterType
	}{
		{"/app/url", "db.internal:5432", types.ParameterTypeString},
		{"/app/hosts", "a,b,c", types.ParameterTypeStringList},
		{"/app/password", "s3cr3t-value", types.ParameterTypeSecureString},
	} {
		out := put(t, c, &ssm.PutParameterInput{Name: aws.String(tc.name), Value: aws.String(tc.value), Type: tc.typ})
		if out.Version != 1 || out.Tier != types.ParameterTierStandard {
			t.Errorf("PutParameter(%s) = version %d tier %s, want 1 Standard", tc.name, out.Version, out.Tier)
		}
		p := get(t, c, tc.name, true)
		wantARN := "arn:aws:ssm:us-east-1:" + srv.Account() + ":parameter" + tc.name
		if aws.ToString(p.Value) != tc.value || p.Type != tc.typ || p.Version != 1 || aws.ToString(p.ARN) != wantARN ||
			aws.ToString(p.DataType) != "text" || aws.ToString(p.Name) != tc.name || p.LastModifiedDate == nil {
			t.Errorf("GetParameter(%s, decrypt) = %+v, want value %q type %s ARN %s", tc.name, p, tc.value, tc.typ, wantARN)
		}
	}
}

func TestSecureStringWithoutDecryptionIsCiphertext(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/k"), Value: aws.String("plain-canary"), Type: types.ParameterTypeSecureString})
	for _, p := range []*types.Parameter{get(t, c, "/k", false)} {
		v := aws.ToString(p.Value)
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || strings.Contains(v, "plain-canary") || strings.Contains(string(raw), "plain-canary") {
			t.Errorf("GetParameter(/k) without decryption = %q, want base64 ciphertext without the plaintext", v)
		}
	}
	many, err := c.GetParameters(context.Background(), &ssm.GetParametersInput{Names: []string{"/k"}})
	if err != nil || len(many.Parameters) != 1 || strings.Contains(aws.ToString(many.Parameters[0].Value), "plain-canary") {
		t.Errorf("GetParameters(/k) without decryption = %+v, %v", many, err)
	}
	// String values are returned as they are, with or without decryption.
	putString(t, c, "/s", "visible")
	if v := aws.ToString(get(t, c, "/s", false).Value); v != "visible" {
		t.Errorf("GetParameter(/s) = %q, want visible", v)
	}
}

func TestOverwriteAddsAVersionAndKeepsWhatItDoesNotSet(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("v1"), Type: types.ParameterTypeString,
		Description: aws.String("first"), AllowedPattern: aws.String("v[0-9]+")})

	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("v2"), Type: types.ParameterTypeString})
	ae := wantCode(t, err, "ParameterAlreadyExists")
	if !strings.Contains(ae.ErrorMessage(), "overwrite") {
		t.Errorf("ParameterAlreadyExists message = %q", ae.ErrorMessage())
	}
	if p := get(t, c, "/o", false); aws.ToString(p.Value) != "v1" || p.Version != 1 {
		t.Fatalf("after refused put: %s v%d, want v1 at version 1", aws.ToString(p.Value), p.Version)
	}

	out := put(t, c, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("v2"), Overwrite: aws.Bool(true)})
	if out.Version != 2 {
		t.Fatalf("overwrite version = %d, want 2", out.Version)
	}
	desc, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil || len(desc.Parameters) != 1 {
		t.Fatalf("DescribeParameters = %+v, %v", desc, err)
	}
	m := desc.Parameters[0]
	if aws.ToString(m.Description) != "first" || aws.ToString(m.AllowedPattern) != "v[0-9]+" || m.Type != types.ParameterTypeString || m.Version != 2 {
		t.Errorf("after overwrite: %+v, want description, pattern and type kept", m)
	}

	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("bad"), Overwrite: aws.Bool(true)})
	wantCode(t, err, "ParameterPatternMismatchException")
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("v3"), Overwrite: aws.Bool(true), Type: types.ParameterTypeSecureString})
	wantCode(t, err, "HierarchyTypeMismatchException")
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/o"), Value: aws.String("v3"), Overwrite: aws.Bool(true),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, err, "ValidationException")
	if p := get(t, c, "/o", false); p.Version != 2 {
		t.Errorf("after refused overwrites: version %d, want 2", p.Version)
	}
}

func TestPutValidationErrors(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	deep := strings.Repeat("/l", 16)
	for _, tc := range []struct {
		name string
		in   *ssm.PutParameterInput
		code string
	}{
		{"name prefixed aws is refused", &ssm.PutParameterInput{Name: aws.String("awsthing"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"name prefixed ssm is refused", &ssm.PutParameterInput{Name: aws.String("/ssm/x/y"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"path under /aws is reserved", &ssm.PutParameterInput{Name: aws.String("/aws/x/y"), Value: aws.String("v"), Type: types.ParameterTypeString}, "AccessDeniedException"},
		{"name with a space is refused", &ssm.PutParameterInput{Name: aws.String("/a b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"hierarchy without a leading slash is refused", &ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: types.ParameterTypeString}, "ValidationException"},
		{"sixteen levels are refused", &ssm.PutParameterInput{Name: aws.String(deep), Value: aws.String("v"), Type: types.ParameterTypeString}, "HierarchyLevelLimitExceededException"},
		{"a new parameter needs a type", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v")}, "ValidationException"},
		{"an unknown type is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: "Number"}, "ValidationException"},
		{"an empty value is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String(""), Type: types.ParameterTypeString}, "ValidationException"},
		{"a standard value over 4 KB is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String(strings.Repeat("x", 4097)), Type: types.ParameterTypeString}, "ValidationException"},
		{"an advanced value over 8 KB is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String(strings.Repeat("x", 8193)), Type: types.ParameterTypeString, Tier: types.ParameterTierAdvanced}, "ValidationException"},
		{"an invalid allowed pattern is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: types.ParameterTypeString, AllowedPattern: aws.String("(")}, "InvalidAllowedPatternException"},
		{"a value not matching the pattern is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("abc"), Type: types.ParameterTypeString, AllowedPattern: aws.String(`\d+`)}, "ParameterPatternMismatchException"},
		{"an unknown data type is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: types.ParameterTypeString, DataType: aws.String("Text")}, "ValidationException"},
		{"aws:ec2:image on a SecureString is unsupported", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("ami-12345678"), Type: types.ParameterTypeSecureString, DataType: aws.String("aws:ec2:image")}, "UnsupportedParameterType"},
		{"an unknown KMS key is InvalidKeyId", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: types.ParameterTypeSecureString, KeyId: aws.String("alias/nope")}, "InvalidKeyId"},
		{"a KeyId on a String is refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: types.ParameterTypeString, KeyId: aws.String("alias/aws/ssm")}, "ValidationException"},
		{"more than 50 tags are refused", &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: types.ParameterTypeString, Tags: manyTags(51)}, "TooManyTagsError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutParameter(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
	desc, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil || len(desc.Parameters) != 0 {
		t.Fatalf("after refused puts DescribeParameters = %d parameters, %v; want none", len(desc.Parameters), err)
	}
}

func TestReservedPrefixMessageIsAWSs(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	_, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("ssm-thing"), Value: aws.String("v"), Type: types.ParameterTypeString})
	ae := wantCode(t, err, "ValidationException")
	if want := `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`; ae.ErrorMessage() != want {
		t.Errorf("message = %q, want %q", ae.ErrorMessage(), want)
	}
	_, err = c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/aws/x/y"), Value: aws.String("v"), Type: types.ParameterTypeString})
	if ae := wantCode(t, err, "AccessDeniedException"); ae.ErrorMessage() != "No access to reserved parameter name: /aws/x/y." {
		t.Errorf("message = %q", ae.ErrorMessage())
	}
}

func manyTags(n int) []types.Tag {
	tags := make([]types.Tag, n)
	for i := range tags {
		tags[i] = types.Tag{Key: aws.String("k" + strconv.Itoa(i)), Value: aws.String("v")}
	}
	return tags
}

func TestTiers(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	big := strings.Repeat("x", 5000)
	out := put(t, c, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String(big), Type: types.ParameterTypeString, Tier: types.ParameterTierIntelligentTiering})
	if out.Tier != types.ParameterTierAdvanced {
		t.Errorf("Intelligent-Tiering 5000-byte value: tier %s, want Advanced", out.Tier)
	}
	out = put(t, c, &ssm.PutParameterInput{Name: aws.String("/small"), Value: aws.String("x"), Type: types.ParameterTypeString, Tier: types.ParameterTierIntelligentTiering})
	if out.Tier != types.ParameterTierStandard {
		t.Errorf("Intelligent-Tiering 1-byte value: tier %s, want Standard", out.Tier)
	}
	out = put(t, c, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String("y"), Overwrite: aws.Bool(true)})
	if out.Tier != types.ParameterTierAdvanced {
		t.Errorf("overwrite without tier: %s, want Advanced kept", out.Tier)
	}
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/big"), Value: aws.String("z"), Overwrite: aws.Bool(true), Tier: types.ParameterTierStandard})
	wantCode(t, err, "ValidationException")
}

func TestSelectorsPickVersionsAndLabels(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/sel"), Value: aws.String("one"), Type: types.ParameterTypeSecureString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/sel"), Value: aws.String("two"), Overwrite: aws.Bool(true)})
	if _, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/sel"), ParameterVersion: aws.Int64(1), Labels: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, value, selector string }{
		{"/sel", "two", ""},
		{"/sel:1", "one", ":1"},
		{"/sel:2", "two", ":2"},
		{"/sel:prod", "one", ":prod"},
	} {
		p := get(t, c, tc.name, true)
		if aws.ToString(p.Value) != tc.value || aws.ToString(p.Selector) != tc.selector || aws.ToString(p.Name) != "/sel" {
			t.Errorf("GetParameter(%s) = %q selector %q name %q, want %q %q /sel", tc.name, aws.ToString(p.Value), aws.ToString(p.Selector), aws.ToString(p.Name), tc.value, tc.selector)
		}
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/sel:3")})
	wantCode(t, err, "ParameterVersionNotFound")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/sel:staging")})
	wantCode(t, err, "ParameterVersionNotFound")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	wantCode(t, err, "ParameterNotFound")

	// The parameter's ARN names it too.
	arn := aws.ToString(get(t, c, "/sel", false).ARN)
	if p := get(t, c, arn+":1", true); aws.ToString(p.Value) != "one" {
		t.Errorf("GetParameter(ARN:1) = %q, want one", aws.ToString(p.Value))
	}
}

func TestSingleLevelNameWithAndWithoutSlashIsOneParameter(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	putString(t, c, "flat", "v")
	_, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/flat"), Value: aws.String("w"), Type: types.ParameterTypeString})
	wantCode(t, err, "ParameterAlreadyExists")
	if v := aws.ToString(get(t, c, "/flat", false).Value); v != "v" {
		t.Errorf("GetParameter(/flat) = %q, want v", v)
	}
}

func TestGetParametersReportsInvalidNames(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	putString(t, c, "/a", "1")
	putString(t, c, "/b", "2")
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a", "/nope", "/b:1", "/b:7", "/a"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.Parameters {
		got = append(got, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
	}
	if !slices.Equal(got, []string{"/a=1", "/b=2"}) || !slices.Equal(out.InvalidParameters, []string{"/nope", "/b:7"}) {
		t.Errorf("GetParameters = %v invalid %v, want [/a=1 /b=2] invalid [/nope /b:7]", got, out.InvalidParameters)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
	wantCode(t, err, "ValidationException")
}

func TestDeleteParameterAndDeleteParameters(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	for _, n := range []string{"/d1", "/d2", "/d3"} {
		put(t, c, &ssm.PutParameterInput{Name: aws.String(n), Value: aws.String("v"), Type: types.ParameterTypeSecureString})
	}
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d1")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/d1")})
	wantCode(t, err, "ParameterNotFound")
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d1")})
	wantCode(t, err, "ParameterNotFound")

	out, err := c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/d2", "/d1", "/d3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.DeletedParameters, []string{"/d2", "/d3"}) || !slices.Equal(out.InvalidParameters, []string{"/d1"}) {
		t.Errorf("DeleteParameters = deleted %v invalid %v, want [/d2 /d3] [/d1]", out.DeletedParameters, out.InvalidParameters)
	}
	// A deleted name can be created again, starting at version 1.
	if out := put(t, c, &ssm.PutParameterInput{Name: aws.String("/d2"), Value: aws.String("v"), Type: types.ParameterTypeString}); out.Version != 1 {
		t.Errorf("recreated version = %d, want 1", out.Version)
	}
}

func TestOldestVersionIsDroppedAfterOneHundred(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	putString(t, c, "/h", "v1")
	for i := 2; i <= 100; i++ {
		put(t, c, &ssm.PutParameterInput{Name: aws.String("/h"), Value: aws.String("v" + strconv.Itoa(i)), Overwrite: aws.Bool(true)})
	}
	if _, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/h"), ParameterVersion: aws.Int64(1), Labels: []string{"pinned"}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/h"), Value: aws.String("v101"), Overwrite: aws.Bool(true)})
	wantCode(t, err, "ParameterMaxVersionLimitExceeded")

	if _, err := c.UnlabelParameterVersion(ctx, &ssm.UnlabelParameterVersionInput{Name: aws.String("/h"), ParameterVersion: aws.Int64(1), Labels: []string{"pinned"}}); err != nil {
		t.Fatal(err)
	}
	if out := put(t, c, &ssm.PutParameterInput{Name: aws.String("/h"), Value: aws.String("v101"), Overwrite: aws.Bool(true)}); out.Version != 101 {
		t.Fatalf("version = %d, want 101", out.Version)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/h:1")})
	wantCode(t, err, "ParameterVersionNotFound")
	if v := aws.ToString(get(t, c, "/h:2", false).Value); v != "v2" {
		t.Errorf("GetParameter(/h:2) = %q, want v2", v)
	}
	var n int
	p := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: aws.String("/h")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Parameters)
	}
	if n != 100 {
		t.Errorf("history holds %d versions, want 100", n)
	}
}

func TestTagsAddListRemove(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/tagged"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	_, err := c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}, {Key: aws.String("env"), Value: aws.String("prod")}}})
	if err != nil {
		t.Fatal(err)
	}
	list := func() map[string]string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/tagged")})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.TagList {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}
	if got := list(); len(got) != 2 || got["team"] != "b" || got["env"] != "prod" {
		t.Errorf("tags = %v, want team=b env=prod", got)
	}
	if _, err := c.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/tagged"), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 1 || got["env"] != "prod" {
		t.Errorf("tags after remove = %v, want env=prod", got)
	}
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/nope")})
	wantCode(t, err, "InvalidResourceId")
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingDocument, ResourceId: aws.String("/tagged")})
	wantCode(t, err, "InvalidResourceType")
	_, err = c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/tagged"), Tags: manyTags(50)})
	wantCode(t, err, "TooManyTagsError")
	if got := list(); len(got) != 1 {
		t.Errorf("tags after refused add = %v, want env=prod only", got)
	}
}
