package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/coffer-dev/coffer/internal/storage"
)

// checkPolicy validates an inline policy's name and document.
func (s *Store) checkPolicy(name, doc string) error {
	if err := validName("policy", name, 128); err != nil {
		return err
	}
	if PolicySize(doc, IdentityPolicyKind) > PolicySizeLimit(IdentityPolicyKind) {
		return &LimitExceededError{Reason: "Maximum policy size of 10240 bytes exceeded."}
	}
	// Store only what the engine can evaluate: a document it refuses
	// would fail every later request of the principal.
	if _, err := s.policies.get(doc, IdentityPolicyKind); err != nil {
		return &MalformedPolicyError{Reason: err.Error()}
	}
	return nil
}

// RoleInput describes a role to create.
type RoleInput struct {
	Name               string
	Path               string
	Description        string
	AssumeRolePolicy   string
	MaxSessionDuration int // seconds; 0 = 3600
	Tags               []Tag
}

// CreateRole adds a role.
func (s *Store) CreateRole(ctx context.Context, in RoleInput) (*Role, error) {
	if err := validName("role", in.Name, 64); err != nil {
		return nil, err
	}
	path, err := validPath(in.Path)
	if err != nil {
		return nil, err
	}
	if err := validTags(in.Tags); err != nil {
		return nil, err
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = 3600
	}
	if in.MaxSessionDuration < 3600 || in.MaxSessionDuration > 43200 {
		return nil, &InvalidInputError{Reason: "1 validation error detected: Value at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"}
	}
	if err := s.checkTrustPolicy(in.AssumeRolePolicy); err != nil {
		return nil, err
	}
	var r *Role
	err = modify(ctx, s, s.roleKey(in.Name), func(cur *Role) (*Role, []storage.Op, error) {
		if cur != nil {
			return nil, nil, &EntityExistsError{Kind: "role", Name: in.Name}
		}
		r = &Role{
			Name: in.Name, ID: "AROA" + randomString(17, keyAlphabet), Path: path, Description: in.Description,
			ARN: "arn:aws:iam::" + s.account + ":role" + path + in.Name, AssumeRolePolicy: in.AssumeRolePolicy,
			MaxSessionDuration: in.MaxSessionDuration, Created: s.now().UTC(), Tags: in.Tags,
		}
		return r, nil, nil
	})
	return r, err
}

func (s *Store) checkTrustPolicy(doc string) error {
	if doc == "" {
		return &InvalidInputError{Reason: "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"}
	}
	if _, err := s.policies.get(doc, TrustPolicyKind); err != nil {
		return &MalformedPolicyError{Reason: err.Error()}
	}
	return nil
}

// Role returns a role by name.
func (s *Store) Role(ctx context.Context, name string) (*Role, error) {
	r, _, err := get[Role](ctx, s, s.roleKey(name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &NoSuchEntityError{Kind: "role", Name: name}
	}
	return r, err
}

// Roles lists every role, sorted by name.
func (s *Store) Roles(ctx context.Context) ([]*Role, error) {
	rs, err := list[Role](ctx, s, "iam/role/")
	slices.SortFunc(rs, func(a, b *Role) int { return strings.Compare(a.Name, b.Name) })
	return rs, err
}

// DeleteRole removes a role that has no inline policies left.
func (s *Store) DeleteRole(ctx context.Context, name string) error {
	return modify(ctx, s, s.roleKey(name), func(cur *Role) (*Role, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "role", Name: name}
		}
		if len(cur.Policies) > 0 {
			return nil, nil, &DeleteConflictError{Reason: "Cannot delete entity, must delete policies first."}
		}
		return nil, nil, nil
	})
}

// UpdateRole changes a role with fn (trust policy, tags, policies).
func (s *Store) updateRole(ctx context.Context, name string, fn func(r *Role) error) error {
	return modify(ctx, s, s.roleKey(name), func(cur *Role) (*Role, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "role", Name: name}
		}
		return cur, nil, fn(cur)
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Store) UpdateAssumeRolePolicy(ctx context.Context, name, doc string) error {
	if err := s.checkTrustPolicy(doc); err != nil {
		return err
	}
	return s.updateRole(ctx, name, func(r *Role) error { r.AssumeRolePolicy = doc; return nil })
}

// TagRole adds or replaces tags on a role.
func (s *Store) TagRole(ctx context.Context, name string, tags []Tag) error {
	return s.updateRole(ctx, name, func(r *Role) error { r.Tags = mergeTags(r.Tags, tags); return validTags(r.Tags) })
}

// UntagRole removes tags from a role.
func (s *Store) UntagRole(ctx context.Context, name string, keys []string) error {
	return s.updateRole(ctx, name, func(r *Role) error {
		r.Tags = slices.DeleteFunc(r.Tags, func(t Tag) bool {
			return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		return nil
	})
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Store) PutRolePolicy(ctx context.Context, role, policyName, doc string) error {
	if err := s.checkPolicy(policyName, doc); err != nil {
		return err
	}
	return s.updateRole(ctx, role, func(r *Role) error {
		if r.Policies == nil {
			r.Policies = map[string]string{}
		}
		r.Policies[policyName] = doc
		return nil
	})
}

// DeleteRolePolicy removes an inline policy of a role.
func (s *Store) DeleteRolePolicy(ctx context.Context, role, policyName string) error {
	return s.updateRole(ctx, role, func(r *Role) error {
		if _, ok := r.Policies[policyName]; !ok {
			return &NoSuchEntityError{Kind: "policy", Name: policyName}
		}
		delete(r.Policies, policyName)
		return nil
	})
}
