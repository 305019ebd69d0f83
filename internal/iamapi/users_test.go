package iamapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

func TestUserLifecycle(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)

	created, err := c.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/engineering/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u := created.User
	if got, want := aws.ToString(u.Arn), "arn:aws:iam::"+srv.Account()+":user/engineering/alice"; got != want {
		t.Errorf("CreateUser ARN = %s, want %s", got, want)
	}
	if id := aws.ToString(u.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Errorf("UserId = %s, want AIDA + 17 characters", id)
	}
	if aws.ToString(u.Path) != "/engineering/" || aws.ToString(u.UserName) != "alice" {
		t.Errorf("CreateUser = path %s name %s", aws.ToString(u.Path), aws.ToString(u.UserName))
	}
	if u.CreateDate == nil || u.CreateDate.Before(before) || u.CreateDate.After(time.Now().Add(time.Second)) {
		t.Errorf("CreateDate = %v, want about now", u.CreateDate)
	}
	wantTags := []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}
	if diff := cmp.Diff(wantTags, u.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" {
		t.Errorf("CreateUser tags (-want +got):\n%s", diff)
	}

	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(u, got.User, cmp.AllowUnexported(types.User{}, types.Tag{})); diff != "" {
		t.Errorf("GetUser differs from CreateUser (-create +get):\n%s", diff)
	}

	// Names are unique regardless of case, as in IAM.
	for _, name := range []string{"alice", "ALICE"} {
		_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		if msg := wantError(t, err, "EntityAlreadyExists", http.StatusConflict); msg != "User with name "+name+" already exists." {
			t.Errorf("CreateUser(%s) message = %q", name, msg)
		}
	}

	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if msg := wantError(t, err, "NoSuchEntity", http.StatusNotFound); msg != "The user with name alice cannot be found." {
		t.Errorf("GetUser(deleted) message = %q", msg)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
}

func TestGetUserWithoutNameIsTheCaller(t *testing.T) {
	t.Parallel()
	srv, c := newServer(t)
	ctx := context.Background()
	out, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.User.Arn), "arn:aws:iam::"+srv.Account()+":user/admin"; got != want {
		t.Errorf("GetUser() ARN = %s, want %s", got, want)
	}

	// With another user's key, the caller is that user.
	mustCreateUser(t, c, "bob")
	allowSelfService(t, c, "bob")
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	bob := clientWith(srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
	out, err = bob.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.User.UserName) != "bob" {
		t.Errorf("GetUser() with bob's key = %s, want bob", aws.ToString(out.User.UserName))
	}
}

func TestListUsersPagesWithMaxItems(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	want := []string{"admin"}
	for _, name := range []string{"u5", "u1", "u4", "u7", "u2", "u6", "u3"} {
		mustCreateUser(t, c, name)
	}
	want = append(want, "u1", "u2", "u3", "u4", "u5", "u6", "u7")

	var got []string
	var pages int
	in := &iam.ListUsersInput{MaxItems: aws.Int32(3)}
	for {
		out, err := c.ListUsers(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Users) > 3 {
			t.Fatalf("page %d has %d users, more than MaxItems 3", pages, len(out.Users))
		}
		for _, u := range out.Users {
			got = append(got, aws.ToString(u.UserName))
			if u.Tags != nil {
				t.Errorf("ListUsers returned tags for %s; AWS leaves them out", aws.ToString(u.UserName))
			}
		}
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("last page has Marker %q", aws.ToString(out.Marker))
			}
			break
		}
		if aws.ToString(out.Marker) == "" {
			t.Fatal("truncated page without a Marker")
		}
		in.Marker = out.Marker
	}
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("ListUsers pages = %d, users %v; want 3 pages of %v", pages, got, want)
	}

	// The SDK's paginator walks the same pages.
	var viaPaginator []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			viaPaginator = append(viaPaginator, aws.ToString(u.UserName))
		}
	}
	if !slices.Equal(viaPaginator, want) {
		t.Errorf("paginator = %v, want %v", viaPaginator, want)
	}

	// A page resumes after a deleted marker user.
	first, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2)}) // admin, u1; marker at u2
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u2")}); err != nil {
		t.Fatal(err)
	}
	next, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1), Marker: first.Marker})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Users) != 1 || aws.ToString(next.Users[0].UserName) != "u3" {
		t.Errorf("page after deleted u2 = %v, want [u3]", next.Users)
	}

	_, err = c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not base64!")})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
}

func TestListUsersPathPrefix(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	for name, path := range map[string]string{"a": "/eng/", "b": "/eng/db/", "c": "/ops/"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/eng/")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range out.Users {
		got = append(got, aws.ToString(u.UserName))
	}
	if !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ListUsers(PathPrefix /eng/) = %v, want [a b]", got)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "carol")
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	if msg := wantError(t, err, "DeleteConflict", http.StatusConflict); msg != "Cannot delete entity, must delete access keys first." {
		t.Errorf("DeleteUser with a key: message %q", msg)
	}
	if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: key.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readOnlyPolicy)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	if msg := wantError(t, err, "DeleteConflict", http.StatusConflict); msg != "Cannot delete entity, must delete policies first." {
		t.Errorf("DeleteUser with a policy: message %q", msg)
	}
	// The refused deletes changed nothing.
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatalf("GetUser after refused deletes: %v", err)
	}
	if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatalf("DeleteUser once detached: %v", err)
	}
}

func TestUserTags(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	mustCreateUser(t, c, "dave")
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dave"), Tags: []types.Tag{tag("b", "2"), tag("a", "1"), tag("c", "")}}); err != nil {
		t.Fatal(err)
	}
	// Tagging an existing key replaces its value.
	if _, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dave"), Tags: []types.Tag{tag("a", "one")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("dave"), TagKeys: []string{"b", "absent"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	want := []types.Tag{tag("a", "one"), tag("c", "")}
	if diff := cmp.Diff(want, out.Tags, cmp.AllowUnexported(types.Tag{})); diff != "" || out.IsTruncated {
		t.Errorf("ListUserTags (-want +got):\n%s truncated %v", diff, out.IsTruncated)
	}
	page, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("dave"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tags) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Errorf("ListUserTags(MaxItems 1) = %d tags, truncated %v, marker %v", len(page.Tags), page.IsTruncated, page.Marker)
	}
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.User.Tags) != 2 {
		t.Errorf("GetUser tags = %v, want 2", got.User.Tags)
	}

	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []types.Tag{tag("a", "1")}})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("nobody"), TagKeys: []string{"a"}})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("nobody")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dave"), Tags: []types.Tag{tag("aws:reserved", "1")}})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dave"), Tags: []types.Tag{tag("bad*key", "1")}})
	wantError(t, err, "ValidationError", http.StatusBadRequest)
	var many []types.Tag
	for i := range 51 {
		many = append(many, tag("k"+strings.Repeat("x", i), "v"))
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("dave"), Tags: many})
	wantError(t, err, "LimitExceeded", http.StatusConflict)
}

func TestBadUserNamesAreValidationErrors(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name, user, path, message string
	}{
		{"a name with a space is refused", "bad name", "",
			`1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`},
		{"a name of 65 characters is refused", strings.Repeat("n", 65), "",
			"1 validation error detected: Value '" + strings.Repeat("n", 65) + "' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"an empty name is refused", "", "",
			"1 validation error detected: Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"a path without the closing slash is refused", "ok", "/eng",
			`1 validation error detected: Value '/eng' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"a bad name and a bad path are both reported", "bad name", "eng/",
			`2 validation errors detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; Value 'eng/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &iam.CreateUserInput{UserName: aws.String(tc.user)}
			if tc.path != "" {
				in.Path = aws.String(tc.path)
			}
			_, err := c.CreateUser(ctx, in)
			if msg := wantError(t, err, "ValidationError", http.StatusBadRequest); msg != tc.message {
				t.Errorf("CreateUser(%q, %q) message:\ngot  %s\nwant %s", tc.user, tc.path, msg, tc.message)
			}
		})
	}
	// Nothing was created.
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 1 {
		t.Errorf("after refused creates, ListUsers = %d users, want only admin", len(out.Users))
	}
}

func TestPermissionsBoundaryIsRefused(t *testing.T) {
	t.Parallel()
	_, c := newServer(t)
	ctx := context.Background()
	boundary := aws.String("arn:aws:iam::000000000000:policy/Boundary")
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("eve"), PermissionsBoundary: boundary})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), PermissionsBoundary: boundary})
	wantError(t, err, "InvalidInput", http.StatusBadRequest)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("eve")})
	wantError(t, err, "NoSuchEntity", http.StatusNotFound)
}
