package ssm_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// seedTree puts a small hierarchy used by the listing tests.
func seedTree(t *testing.T, c *ssm.Client) {
	t.Helper()
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/app/a"), Value: aws.String("1"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/app/b"), Value: aws.String("2"), Type: types.ParameterTypeSecureString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/app/c"), Value: aws.String("x,y"), Type: types.ParameterTypeStringList,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}}})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/app/db/user"), Value: aws.String("u"), Type: types.ParameterTypeString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/app/db/pass"), Value: aws.String("p"), Type: types.ParameterTypeSecureString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/other/z"), Value: aws.String("z"), Type: types.ParameterTypeString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("top"), Value: aws.String("t"), Type: types.ParameterTypeString})
}

// byPath collects every page of GetParametersByPath as name=value.
func byPath(t *testing.T, c *ssm.Client, in *ssm.GetParametersByPathInput) []string {
	t.Helper()
	var out []string
	p := ssm.NewGetParametersByPathPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetParametersByPath(%s): %v", aws.ToString(in.Path), err)
		}
		for _, prm := range page.Parameters {
			out = append(out, aws.ToString(prm.Name)+"="+aws.ToString(prm.Value))
		}
	}
	return out
}

func TestGetParametersByPath(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	seedTree(t, c)
	for _, tc := range []struct {
		name string
		in   *ssm.GetParametersByPathInput
		want []string
	}{
		{"one level lists direct children only", &ssm.GetParametersByPathInput{Path: aws.String("/app"), WithDecryption: aws.Bool(true)},
			[]string{"/app/a=1", "/app/b=2", "/app/c=x,y"}},
		{"a trailing slash changes nothing", &ssm.GetParametersByPathInput{Path: aws.String("/app/"), WithDecryption: aws.Bool(true)},
			[]string{"/app/a=1", "/app/b=2", "/app/c=x,y"}},
		{"recursive lists every descendant, two per page", &ssm.GetParametersByPathInput{Path: aws.String("/app"), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)},
			[]string{"/app/a=1", "/app/b=2", "/app/c=x,y", "/app/db/pass=p", "/app/db/user=u"}},
		{"the root lists top-level names", &ssm.GetParametersByPathInput{Path: aws.String("/")},
			[]string{"top=t"}},
		{"a Type filter selects SecureStrings", &ssm.GetParametersByPathInput{Path: aws.String("/app"), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"SecureString"}}}},
			[]string{"/app/b=2", "/app/db/pass=p"}},
		{"a tag filter with Equals selects by value", &ssm.GetParametersByPathInput{Path: aws.String("/app"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("tag:team"), Option: aws.String("Equals"), Values: []string{"edge"}}}},
			[]string{"/app/c=x,y"}},
		{"a tag filter with BeginsWith selects by prefix", &ssm.GetParametersByPathInput{Path: aws.String("/app"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("tag:team"), Option: aws.String("BeginsWith"), Values: []string{"co"}}}},
			[]string{"/app/a=1"}},
		{"a KeyId filter selects the default key's parameters", &ssm.GetParametersByPathInput{Path: aws.String("/app"), WithDecryption: aws.Bool(true),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("KeyId"), Values: []string{"alias/aws/ssm"}}}},
			[]string{"/app/b=2"}},
		{"an unknown path lists nothing", &ssm.GetParametersByPathInput{Path: aws.String("/none")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := byPath(t, c, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestGetParametersByPathLabelFilterReturnsTheLabeledVersion(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	putString(t, c, "/l/a", "old")
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/l/a"), Value: aws.String("new"), Overwrite: aws.Bool(true)})
	putString(t, c, "/l/b", "b")
	if _, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/l/a"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"}}); err != nil {
		t.Fatal(err)
	}
	got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/l"),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Label"), Values: []string{"stable"}}}})
	if !slices.Equal(got, []string{"/l/a=old"}) {
		t.Errorf("Label filter = %v, want [/l/a=old]", got)
	}
}

func TestGetParametersByPathSecureStringWithoutDecryptionHidesValues(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/p/s"), Value: aws.String("hidden-by-path"), Type: types.ParameterTypeSecureString})
	got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/p")})
	if len(got) != 1 || got[0] == "/p/s=hidden-by-path" {
		t.Errorf("without decryption = %v, want ciphertext", got)
	}
}

func TestGetParametersByPathErrors(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   *ssm.GetParametersByPathInput
		code string
	}{
		{"MaxResults over 10 is refused", &ssm.GetParametersByPathInput{Path: aws.String("/a"), MaxResults: aws.Int32(11)}, "ValidationException"},
		{"a path without a leading slash is refused", &ssm.GetParametersByPathInput{Path: aws.String("a")}, "ValidationException"},
		{"a Name filter is not valid by path", &ssm.GetParametersByPathInput{Path: aws.String("/a"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"x"}}}}, "InvalidFilterKey"},
		{"a duplicated filter is refused", &ssm.GetParametersByPathInput{Path: aws.String("/a"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"String"}}, {Key: aws.String("Type"), Values: []string{"String"}}}}, "InvalidFilterKey"},
		{"an unknown type value is refused", &ssm.GetParametersByPathInput{Path: aws.String("/a"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"Number"}}}}, "InvalidFilterValue"},
		{"a Type filter without values is refused", &ssm.GetParametersByPathInput{Path: aws.String("/a"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type")}}}, "InvalidFilterValue"},
		{"Contains on Type is not an option", &ssm.GetParametersByPathInput{Path: aws.String("/a"),
			ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Option: aws.String("Contains"), Values: []string{"String"}}}}, "InvalidFilterOption"},
		{"a token not issued by the server is refused", &ssm.GetParametersByPathInput{Path: aws.String("/a"), NextToken: aws.String("bogus!")}, "InvalidNextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetParametersByPath(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
}

// describe collects every page of DescribeParameters as names.
func describe(t *testing.T, c *ssm.Client, in *ssm.DescribeParametersInput) []string {
	t.Helper()
	var out []string
	p := ssm.NewDescribeParametersPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("DescribeParameters: %v", err)
		}
		for _, m := range page.Parameters {
			out = append(out, aws.ToString(m.Name))
		}
	}
	return out
}

func TestDescribeParameters(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	ctx := context.Background()
	seedTree(t, c)
	sf := func(key, option string, values ...string) types.ParameterStringFilter {
		f := types.ParameterStringFilter{Key: aws.String(key), Values: values}
		if option != "" {
			f.Option = aws.String(option)
		}
		return f
	}
	for _, tc := range []struct {
		name string
		in   *ssm.DescribeParametersInput
		want []string
	}{
		{"no filter lists everything by name, three per page", &ssm.DescribeParametersInput{MaxResults: aws.Int32(3)},
			[]string{"/app/a", "/app/b", "/app/c", "/app/db/pass", "/app/db/user", "/other/z", "top"}},
		{"Name BeginsWith", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Name", "BeginsWith", "/app/d")}},
			[]string{"/app/db/pass", "/app/db/user"}},
		{"Name Equals matches with or without the slash", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Name", "", "/top")}},
			[]string{"top"}},
		{"Name Contains", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Name", "Contains", "db")}},
			[]string{"/app/db/pass", "/app/db/user"}},
		{"Path OneLevel", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Path", "OneLevel", "/app/db")}},
			[]string{"/app/db/pass", "/app/db/user"}},
		{"Path Recursive with Type", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Path", "Recursive", "/app"), sf("Type", "", "SecureString")}},
			[]string{"/app/b", "/app/db/pass"}},
		{"tag key present", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("tag:team", "")}},
			[]string{"/app/a", "/app/c"}},
		{"Tier", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Tier", "", "Advanced")}}, nil},
		{"legacy Name filter begins with", &ssm.DescribeParametersInput{Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyName, Values: []string{"/other"}}}},
			[]string{"/other/z"}},
		{"legacy Type filter", &ssm.DescribeParametersInput{Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyType, Values: []string{"StringList"}}}},
			[]string{"/app/c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := describe(t, c, tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	out, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Name", "", "/app/b")}})
	if err != nil || len(out.Parameters) != 1 {
		t.Fatalf("DescribeParameters(/app/b) = %+v, %v", out, err)
	}
	m := out.Parameters[0]
	if aws.ToString(m.KeyId) != "alias/aws/ssm" || m.Type != types.ParameterTypeSecureString || m.Tier != types.ParameterTierStandard ||
		!strings.HasPrefix(aws.ToString(m.LastModifiedUser), "arn:aws:iam::"+srv.Account()+":") ||
		aws.ToString(m.ARN) != "arn:aws:ssm:us-east-1:"+srv.Account()+":parameter/app/b" || aws.ToString(m.DataType) != "text" {
		t.Errorf("metadata = %+v", m)
	}

	for _, tc := range []struct {
		name string
		in   *ssm.DescribeParametersInput
		code string
	}{
		{"Filters and ParameterFilters together are refused", &ssm.DescribeParametersInput{
			Filters:          []types.ParametersFilter{{Key: types.ParametersFilterKeyName, Values: []string{"/a"}}},
			ParameterFilters: []types.ParameterStringFilter{sf("Type", "", "String")}}, "ValidationException"},
		{"MaxResults over 50 is refused", &ssm.DescribeParametersInput{MaxResults: aws.Int32(51)}, "ValidationException"},
		{"Label is not a Describe filter", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Label", "", "x")}}, "InvalidFilterKey"},
		{"an unknown tier is refused", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Tier", "", "Gold")}}, "InvalidFilterValue"},
		{"a Path option other than Recursive or OneLevel is refused", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Path", "Equals", "/a")}}, "InvalidFilterOption"},
		{"a Path under /aws is refused", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{sf("Path", "", "/aws/x")}}, "ValidationException"},
		{"a bad token is refused", &ssm.DescribeParametersInput{NextToken: aws.String("xyz")}, "InvalidNextToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.DescribeParameters(ctx, tc.in)
			wantCode(t, err, tc.code)
		})
	}
}

func TestHistoryListsEveryVersionWithLabels(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/hist"), Value: aws.String("one"), Type: types.ParameterTypeSecureString, Description: aws.String("d1")})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/hist"), Value: aws.String("two"), Overwrite: aws.Bool(true), Description: aws.String("d2")})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/hist"), Value: aws.String("three"), Overwrite: aws.Bool(true)})
	if _, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/hist"), ParameterVersion: aws.Int64(2), Labels: []string{"blue", "green"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	var labels [][]string
	p := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: aws.String("/hist"), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.Parameters {
			got = append(got, aws.ToString(h.Value)+"/"+aws.ToString(h.Description)+"/"+aws.ToString(h.KeyId))
			labels = append(labels, h.Labels)
		}
	}
	want := []string{"one/d1/alias/aws/ssm", "two/d2/alias/aws/ssm", "three/d2/alias/aws/ssm"}
	if !slices.Equal(got, want) {
		t.Errorf("history = %v, want %v", got, want)
	}
	if len(labels) != 3 || len(labels[0]) != 0 || !slices.Equal(labels[1], []string{"blue", "green"}) || len(labels[2]) != 0 {
		t.Errorf("history labels = %v, want [] [blue green] []", labels)
	}
	enc, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/hist")})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range enc.Parameters {
		if v := aws.ToString(h.Value); v == "one" || v == "two" || v == "three" {
			t.Errorf("history without decryption shows plaintext %q", v)
		}
	}
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/none")})
	wantCode(t, err, "ParameterNotFound")
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/hist"), MaxResults: aws.Int32(51)})
	wantCode(t, err, "ValidationException")
}

func TestLabelRules(t *testing.T) {
	t.Parallel()
	_, c := newClient(t)
	ctx := context.Background()
	putString(t, c, "/lab", "1")
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/lab"), Value: aws.String("2"), Overwrite: aws.Bool(true)})

	out, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(1),
		Labels: []string{"Prod", "1st", "awsy", "SSMx", "has space", "ok-label_1.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ParameterVersion != 1 || !slices.Equal(out.InvalidLabels, []string{"1st", "awsy", "SSMx", "has space"}) {
		t.Errorf("LabelParameterVersion = version %d invalid %v, want 1 [1st awsy SSMx has space]", out.ParameterVersion, out.InvalidLabels)
	}
	// Without a version the latest is labeled, and the label moves there.
	out, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/lab"), Labels: []string{"Prod"}})
	if err != nil || out.ParameterVersion != 2 {
		t.Fatalf("LabelParameterVersion(latest) = %+v, %v; want version 2", out, err)
	}
	if v := aws.ToString(get(t, c, "/lab:Prod", false).Value); v != "2" {
		t.Errorf("/lab:Prod = %q after the move, want 2", v)
	}

	ten := []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"}
	if _, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(1), Labels: ten[:9]}); err != nil {
		t.Fatal(err)
	}
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(1), Labels: []string{"x1", "x2"}})
	wantCode(t, err, "ParameterVersionLabelLimitExceeded")
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(9), Labels: []string{"x"}})
	wantCode(t, err, "ParameterVersionNotFound")
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/none"), Labels: []string{"x"}})
	wantCode(t, err, "ParameterNotFound")

	un, err := c.UnlabelParameterVersion(ctx, &ssm.UnlabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(1), Labels: []string{"l0", "Prod", "zz"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(un.RemovedLabels, []string{"l0"}) || !slices.Equal(un.InvalidLabels, []string{"Prod", "zz"}) {
		t.Errorf("UnlabelParameterVersion = removed %v invalid %v, want [l0] [Prod zz]", un.RemovedLabels, un.InvalidLabels)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/lab:l0")})
	wantCode(t, err, "ParameterVersionNotFound")
	_, err = c.UnlabelParameterVersion(ctx, &ssm.UnlabelParameterVersionInput{Name: aws.String("/lab"), ParameterVersion: aws.Int64(7), Labels: []string{"l1"}})
	wantCode(t, err, "ParameterVersionNotFound")
}
