package iamapi

import (
	"context"
	"slices"
	"strings"

	"github.com/coffer-dev/coffer/internal/iam"
)

// userRef is an input that names an existing user (UserName, required).
type userRef struct{ UserName string }

func (in *userRef) read(f *form) { in.UserName = f.required("UserName", "userName", existingNameType) }

func (in *userRef) resource(account string) string { return userARN(account, "", in.UserName) }

// callerRef is an input whose UserName, when omitted, is the calling user.
type callerRef struct{ UserName string }

func (in *callerRef) read(f *form) { in.UserName = f.userOrCaller() }

func (in *callerRef) resource(account string) string { return userARN(account, "", in.UserName) }

type CreateUserInput struct {
	UserName string
	Path     string
	Tags     []iam.Tag
}

func (in *CreateUserInput) read(f *form) {
	in.UserName = f.required("UserName", "userName", nameType)
	in.Path = f.optional("Path", "path", pathType)
	in.Tags = f.tags(false)
	f.noBoundary()
}

func (in *CreateUserInput) resource(account string) string {
	return userARN(account, in.Path, in.UserName)
}

func (a *API) createUser(ctx context.Context, in *CreateUserInput) (any, error) {
	u, err := a.store.CreateUser(ctx, in.UserName, in.Path, in.Tags)
	if err != nil {
		return nil, err
	}
	return &CreateUserOutput{User: userOut(u, true)}, nil
}

type GetUserInput struct{ callerRef }

func (a *API) getUser(ctx context.Context, in *GetUserInput) (any, error) {
	u, err := a.store.User(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: userOut(u, true)}, nil
}

// listInput is ListUsers' and ListRoles' input.
type listInput struct {
	PathPrefix string
	paging
}

func (in *listInput) read(f *form) {
	in.PathPrefix = f.optional("PathPrefix", "pathPrefix", pathPrefixType)
	in.paging = f.paging()
}

func (in *listInput) resource(string) string { return "*" }

type ListUsersInput struct{ listInput }

func (a *API) listUsers(ctx context.Context, in *ListUsersInput) (any, error) {
	users, err := a.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	users = slices.DeleteFunc(users, func(u *iam.User) bool { return !strings.HasPrefix(u.Path, in.PathPrefix) })
	users, pg, err := paginate(users, func(u *iam.User) string { return u.Name }, in.paging)
	if err != nil {
		return nil, err
	}
	out := &ListUsersOutput{Users: make(members[User], len(users)), page: pg}
	for i, u := range users {
		out.Users[i] = userOut(u, false)
	}
	return out, nil
}

type DeleteUserInput struct{ userRef }

func (a *API) deleteUser(ctx context.Context, in *DeleteUserInput) (any, error) {
	return nil, a.store.DeleteUser(ctx, in.UserName)
}

type TagUserInput struct {
	userRef
	Tags []iam.Tag
}

func (in *TagUserInput) read(f *form) {
	in.userRef.read(f)
	in.Tags = f.tags(true)
}

func (a *API) tagUser(ctx context.Context, in *TagUserInput) (any, error) {
	return nil, a.store.TagUser(ctx, in.UserName, in.Tags)
}

type UntagUserInput struct {
	userRef
	TagKeys []string
}

func (in *UntagUserInput) read(f *form) {
	in.userRef.read(f)
	in.TagKeys = f.tagKeys()
}

func (a *API) untagUser(ctx context.Context, in *UntagUserInput) (any, error) {
	return nil, a.store.UntagUser(ctx, in.UserName, in.TagKeys)
}

type ListUserTagsInput struct {
	userRef
	paging
}

func (in *ListUserTagsInput) read(f *form) {
	in.userRef.read(f)
	in.paging = f.paging()
}

func (a *API) listUserTags(ctx context.Context, in *ListUserTagsInput) (any, error) {
	u, err := a.store.User(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return listTags(u.Tags, in.paging)
}

// listTags is ListUserTags' and ListRoleTags' result, ordered by key.
func listTags(tags []iam.Tag, p paging) (*ListTagsOutput, error) {
	tags, pg, err := paginate(tags, func(t iam.Tag) string { return t.Key }, p)
	if err != nil {
		return nil, err
	}
	return &ListTagsOutput{Tags: tagsOut(tags), page: pg}, nil
}

type PutUserPolicyInput struct {
	userRef
	PolicyName     string
	PolicyDocument string
}

func (in *PutUserPolicyInput) read(f *form) {
	in.userRef.read(f)
	in.PolicyName = f.required("PolicyName", "policyName", existingNameType)
	in.PolicyDocument = f.document("PolicyDocument", "policyDocument")
}

func (a *API) putUserPolicy(ctx context.Context, in *PutUserPolicyInput) (any, error) {
	return nil, a.store.PutUserPolicy(ctx, in.UserName, in.PolicyName, in.PolicyDocument)
}

// userPolicyRef names one inline policy of a user.
type userPolicyRef struct {
	userRef
	PolicyName string
}

func (in *userPolicyRef) read(f *form) {
	in.userRef.read(f)
	in.PolicyName = f.required("PolicyName", "policyName", existingNameType)
}

type GetUserPolicyInput struct{ userPolicyRef }

func (a *API) getUserPolicy(ctx context.Context, in *GetUserPolicyInput) (any, error) {
	u, err := a.store.User(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	doc, ok := u.Policies[in.PolicyName]
	if !ok {
		return nil, &iam.NoSuchEntityError{Kind: kindUserPolicy, Name: in.PolicyName}
	}
	return &GetUserPolicyOutput{UserName: u.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

type DeleteUserPolicyInput struct{ userPolicyRef }

func (a *API) deleteUserPolicy(ctx context.Context, in *DeleteUserPolicyInput) (any, error) {
	return nil, inlinePolicy(a.store.DeleteUserPolicy(ctx, in.UserName, in.PolicyName), kindUserPolicy)
}

type ListUserPoliciesInput struct {
	userRef
	paging
}

func (in *ListUserPoliciesInput) read(f *form) {
	in.userRef.read(f)
	in.paging = f.paging()
}

func (a *API) listUserPolicies(ctx context.Context, in *ListUserPoliciesInput) (any, error) {
	u, err := a.store.User(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return listPolicies(u.Policies, in.paging)
}

// listPolicies is ListUserPolicies' and ListRolePolicies' result.
func listPolicies(policies map[string]string, p paging) (*ListPoliciesOutput, error) {
	names, pg, err := paginate(iam.PolicyNames(policies), func(n string) string { return n }, p)
	if err != nil {
		return nil, err
	}
	return &ListPoliciesOutput{PolicyNames: names, page: pg}, nil
}
