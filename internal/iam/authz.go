package iam

import (
	"context"
	"encoding/json"
)

// CheckSessionPolicy validates a session policy passed to AssumeRole.
func CheckSessionPolicy(doc string) error {
	if !json.Valid([]byte(doc)) {
		return &MalformedPolicyError{Reason: "Syntax errors in policy."}
	}
	return nil
}

// AuthorizeAssume decides whether the caller may assume role: by the
// role's trust policy and, unless the trust policy names the caller
// itself, the caller's identity policies.
func (s *Store) AuthorizeAssume(ctx context.Context, caller Principal, role *Role, action string, keys map[string][]string) (Decision, error) {
	return ImplicitDeny, nil // replaced by the policy engine
}

// AuthorizeWebIdentity decides whether a verified web identity from the
// OIDC provider providerARN may assume role, by the trust policy alone.
func (s *Store) AuthorizeWebIdentity(ctx context.Context, providerARN string, role *Role, keys map[string][]string) (Decision, error) {
	return ImplicitDeny, nil // replaced by the policy engine
}
