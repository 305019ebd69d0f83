package iamapi

import (
	"context"
	"slices"
	"strings"

	"github.com/coffer-dev/coffer/internal/iam"
)

// roleRef is an input that names an existing role (RoleName, required).
type roleRef struct{ RoleName string }

func (in *roleRef) read(f *form) { in.RoleName = f.required("RoleName", "roleName", nameType) }

func (in *roleRef) resource(account string) string { return roleARN(account, "", in.RoleName) }

type CreateRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	Tags                     []iam.Tag
}

func (in *CreateRoleInput) read(f *form) {
	in.RoleName = f.required("RoleName", "roleName", nameType)
	in.Path = f.optional("Path", "path", pathType)
	in.AssumeRolePolicyDocument = f.document("AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	in.Description = f.optional("Description", "description", descriptionType)
	in.MaxSessionDuration = f.int("MaxSessionDuration", "maxSessionDuration", 3600, 43200, 0)
	in.Tags = f.tags(false)
	f.noBoundary()
}

func (in *CreateRoleInput) resource(account string) string {
	return roleARN(account, in.Path, in.RoleName)
}

func (a *API) createRole(ctx context.Context, in *CreateRoleInput) (any, error) {
	r, err := a.store.CreateRole(ctx, iam.RoleInput{
		Name: in.RoleName, Path: in.Path, Description: in.Description, AssumeRolePolicy: in.AssumeRolePolicyDocument,
		MaxSessionDuration: in.MaxSessionDuration, Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(r, true)
	out.RoleLastUsed = nil // CreateRole does not report use
	return &CreateRoleOutput{Role: out}, nil
}

type GetRoleInput struct{ roleRef }

func (a *API) getRole(ctx context.Context, in *GetRoleInput) (any, error) {
	r, err := a.store.Role(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return &GetRoleOutput{Role: roleOut(r, true)}, nil
}

type ListRolesInput struct{ listInput }

func (a *API) listRoles(ctx context.Context, in *ListRolesInput) (any, error) {
	roles, err := a.store.Roles(ctx)
	if err != nil {
		return nil, err
	}
	roles = slices.DeleteFunc(roles, func(r *iam.Role) bool { return !strings.HasPrefix(r.Path, in.PathPrefix) })
	roles, pg, err := paginate(roles, func(r *iam.Role) string { return r.Name }, in.paging)
	if err != nil {
		return nil, err
	}
	out := &ListRolesOutput{Roles: make(members[Role], len(roles)), page: pg}
	for i, r := range roles {
		out.Roles[i] = roleOut(r, false)
	}
	return out, nil
}

type DeleteRoleInput struct{ roleRef }

func (a *API) deleteRole(ctx context.Context, in *DeleteRoleInput) (any, error) {
	return nil, a.store.DeleteRole(ctx, in.RoleName)
}

type UpdateAssumeRolePolicyInput struct {
	roleRef
	PolicyDocument string
}

func (in *UpdateAssumeRolePolicyInput) read(f *form) {
	in.roleRef.read(f)
	in.PolicyDocument = f.document("PolicyDocument", "policyDocument")
}

func (a *API) updateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyInput) (any, error) {
	return nil, a.store.UpdateAssumeRolePolicy(ctx, in.RoleName, in.PolicyDocument)
}

type TagRoleInput struct {
	roleRef
	Tags []iam.Tag
}

func (in *TagRoleInput) read(f *form) {
	in.roleRef.read(f)
	in.Tags = f.tags(true)
}

func (a *API) tagRole(ctx context.Context, in *TagRoleInput) (any, error) {
	return nil, a.store.TagRole(ctx, in.RoleName, in.Tags)
}

type UntagRoleInput struct {
	roleRef
	TagKeys []string
}

func (in *UntagRoleInput) read(f *form) {
	in.roleRef.read(f)
	in.TagKeys = f.tagKeys()
}

func (a *API) untagRole(ctx context.Context, in *UntagRoleInput) (any, error) {
	return nil, a.store.UntagRole(ctx, in.RoleName, in.TagKeys)
}

type ListRoleTagsInput struct {
	roleRef
	paging
}

func (in *ListRoleTagsInput) read(f *form) {
	in.roleRef.read(f)
	in.paging = f.paging()
}

func (a *API) listRoleTags(ctx context.Context, in *ListRoleTagsInput) (any, error) {
	r, err := a.store.Role(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return listTags(r.Tags, in.paging)
}

type PutRolePolicyInput struct {
	roleRef
	PolicyName     string
	PolicyDocument string
}

func (in *PutRolePolicyInput) read(f *form) {
	in.roleRef.read(f)
	in.PolicyName = f.required("PolicyName", "policyName", existingNameType)
	in.PolicyDocument = f.document("PolicyDocument", "policyDocument")
}

func (a *API) putRolePolicy(ctx context.Context, in *PutRolePolicyInput) (any, error) {
	return nil, a.store.PutRolePolicy(ctx, in.RoleName, in.PolicyName, in.PolicyDocument)
}

// rolePolicyRef names one inline policy of a role.
type rolePolicyRef struct {
	roleRef
	PolicyName string
}

func (in *rolePolicyRef) read(f *form) {
	in.roleRef.read(f)
	in.PolicyName = f.required("PolicyName", "policyName", existingNameType)
}

type GetRolePolicyInput struct{ rolePolicyRef }

func (a *API) getRolePolicy(ctx context.Context, in *GetRolePolicyInput) (any, error) {
	r, err := a.store.Role(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	doc, ok := r.Policies[in.PolicyName]
	if !ok {
		return nil, &iam.NoSuchEntityError{Kind: kindRolePolicy, Name: in.PolicyName}
	}
	return &GetRolePolicyOutput{RoleName: r.Name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

type DeleteRolePolicyInput struct{ rolePolicyRef }

func (a *API) deleteRolePolicy(ctx context.Context, in *DeleteRolePolicyInput) (any, error) {
	return nil, inlinePolicy(a.store.DeleteRolePolicy(ctx, in.RoleName, in.PolicyName), kindRolePolicy)
}

type ListRolePoliciesInput struct {
	roleRef
	paging
}

func (in *ListRolePoliciesInput) read(f *form) {
	in.roleRef.read(f)
	in.paging = f.paging()
}

func (a *API) listRolePolicies(ctx context.Context, in *ListRolePoliciesInput) (any, error) {
	r, err := a.store.Role(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return listPolicies(r.Policies, in.paging)
}
