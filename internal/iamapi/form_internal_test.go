package iamapi

import (
	"net/url"
	"slices"
	"testing"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Whom an omitted UserName stands for, case by case; the role session case
// also runs end to end in TestRoleSessionMustNameTheUser.
func TestUserOrCallerRefusesRoleSessions(t *testing.T) {
	role := iam.Principal{Name: "deployer", Session: &iam.Session{RoleName: "deployer", SessionName: "ci"}}
	user := iam.Principal{Name: "alice", Session: &iam.Session{UserName: "alice"}}
	for _, tc := range []struct {
		name     string
		caller   iam.Principal
		params   url.Values
		wantUser string
		wantErr  string
	}{
		{"a user's key stands for the user", iam.Principal{Name: "bob"}, url.Values{}, "bob", ""},
		{"a user's session stands for the user", user, url.Values{}, "alice", ""},
		{"a role session must name the user", role, url.Values{}, "", "ValidationError: Must specify userName when calling with non-User credentials"},
		{"a role session naming the user is served", role, url.Values{"UserName": {"bob"}}, "bob", ""},
		{"an explicit UserName wins over the caller", iam.Principal{Name: "bob"}, url.Values{"UserName": {"carol"}}, "carol", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &form{values: tc.params, caller: tc.caller}
			got := f.userOrCaller()
			var gotErr string
			if err := f.err(); err != nil {
				gotErr = err.Error()
			}
			if got != tc.wantUser || gotErr != tc.wantErr {
				t.Errorf("userOrCaller() = %q, %q; want %q, %q", got, gotErr, tc.wantUser, tc.wantErr)
			}
		})
	}
}

func TestMemberIndexes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		list        string
		values      url.Values
		want        []int
		wantPresent bool
	}{
		{"an absent list is not present", "Tags", url.Values{"Other": {"x"}, "TagKeys.member.1": {"k"}}, nil, false},
		{"an empty list is present", "Tags", url.Values{"Tags": {""}}, nil, true},
		{"structure members are counted once, in order", "Tags", url.Values{
			"Tags.member.2.Key": {"b"}, "Tags.member.2.Value": {"2"}, "Tags.member.1.Key": {"a"}, "Tags.member.10.Key": {"j"},
		}, []int{1, 2, 10}, true},
		{"gaps and junk indexes are tolerated", "TagKeys", url.Values{"TagKeys.member.3": {"c"}, "TagKeys.member.x": {"?"}, "TagKeys.member.0": {"?"}}, []int{3}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, present := memberIndexes(tc.values, tc.list)
			if !slices.Equal(got, tc.want) || present != tc.wantPresent {
				t.Errorf("memberIndexes(%v, %s) = %v, %v; want %v, %v", tc.values, tc.list, got, present, tc.want, tc.wantPresent)
			}
		})
	}
}

func TestEncodeDocumentIsRFC3986(t *testing.T) {
	in := `{"a b":"c+d/e~f_g.h-i*"}` + "\n"
	want := `%7B%22a%20b%22%3A%22c%2Bd%2Fe~f_g.h-i%2A%22%7D%0A`
	if got := encodeDocument(in); got != want {
		t.Errorf("encodeDocument(%q) = %s, want %s", in, got, want)
	}
}
