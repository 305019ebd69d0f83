package iamapi

import "context"

// Coffer has no managed policies, groups or instance profiles yet. Tools
// that manage users and roles (Terraform's aws provider reads attached
// policies and groups when it refreshes or destroys a user or role) ask for
// them anyway, so these list actions answer what is true: an empty list,
// for an entity that must exist.

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedPoliciesOutput struct {
	AttachedPolicies members[attachedPolicy] `xml:"AttachedPolicies"`
	page
}

type groupXML struct {
	GroupName string `xml:"GroupName"`
}

type listGroupsOutput struct {
	Groups members[groupXML] `xml:"Groups"`
	page
}

type instanceProfileXML struct {
	InstanceProfileName string `xml:"InstanceProfileName"`
}

type listInstanceProfilesOutput struct {
	InstanceProfiles members[instanceProfileXML] `xml:"InstanceProfiles"`
	page
}

// ListAttachedUserPoliciesInput names a user; paging is accepted.
type ListAttachedUserPoliciesInput struct {
	userRef
	paging
}

func (in *ListAttachedUserPoliciesInput) read(f *form) { in.userRef.read(f); in.paging = f.paging() }

// ListGroupsForUserInput names a user; paging is accepted.
type ListGroupsForUserInput struct {
	userRef
	paging
}

func (in *ListGroupsForUserInput) read(f *form) { in.userRef.read(f); in.paging = f.paging() }

// ListAttachedRolePoliciesInput names a role; paging is accepted.
type ListAttachedRolePoliciesInput struct {
	roleRef
	paging
}

func (in *ListAttachedRolePoliciesInput) read(f *form) { in.roleRef.read(f); in.paging = f.paging() }

// ListInstanceProfilesForRoleInput names a role; paging is accepted.
type ListInstanceProfilesForRoleInput struct {
	roleRef
	paging
}

func (in *ListInstanceProfilesForRoleInput) read(f *form) { in.roleRef.read(f); in.paging = f.paging() }

func (a *API) listAttachedUserPolicies(ctx context.Context, in *ListAttachedUserPoliciesInput) (any, error) {
	if _, err := a.store.User(ctx, in.UserName); err != nil {
		return nil, err
	}
	return &listAttachedPoliciesOutput{AttachedPolicies: members[attachedPolicy]{}}, nil
}

func (a *API) listGroupsForUser(ctx context.Context, in *ListGroupsForUserInput) (any, error) {
	if _, err := a.store.User(ctx, in.UserName); err != nil {
		return nil, err
	}
	return &listGroupsOutput{Groups: members[groupXML]{}}, nil
}

func (a *API) listAttachedRolePolicies(ctx context.Context, in *ListAttachedRolePoliciesInput) (any, error) {
	if _, err := a.store.Role(ctx, in.RoleName); err != nil {
		return nil, err
	}
	return &listAttachedPoliciesOutput{AttachedPolicies: members[attachedPolicy]{}}, nil
}

func (a *API) listInstanceProfilesForRole(ctx context.Context, in *ListInstanceProfilesForRoleInput) (any, error) {
	if _, err := a.store.Role(ctx, in.RoleName); err != nil {
		return nil, err
	}
	return &listInstanceProfilesOutput{InstanceProfiles: members[instanceProfileXML]{}}, nil
}
