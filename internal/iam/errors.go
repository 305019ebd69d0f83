package iam

import "fmt"

// NoSuchEntityError reports a user, role, key or policy that does not exist.
type NoSuchEntityError struct {
	Kind string // "user", "role", "access key", "policy"
	Name string
}

func (e *NoSuchEntityError) Error() string {
	switch e.Kind {
	case "user":
		return fmt.Sprintf("The user with name %s cannot be found.", e.Name)
	case "role":
		return fmt.Sprintf("The role with name %s cannot be found.", e.Name)
	case "access key":
		return fmt.Sprintf("The Access Key with id %s cannot be found.", e.Name)
	}
	return fmt.Sprintf("The %s with name %s cannot be found.", e.Kind, e.Name)
}

// EntityExistsError reports a name that is taken.
type EntityExistsError struct {
	Kind string
	Name string
}

func (e *EntityExistsError) Error() string {
	return fmt.Sprintf("%s with name %s already exists.", capitalize(e.Kind), e.Name)
}

// DeleteConflictError reports an entity that still has attachments.
type DeleteConflictError struct{ Reason string }

func (e *DeleteConflictError) Error() string { return e.Reason }

// LimitExceededError reports a quota the request would exceed.
type LimitExceededError struct{ Reason string }

func (e *LimitExceededError) Error() string { return e.Reason }

// InvalidInputError reports a parameter whose value is not acceptable.
type InvalidInputError struct{ Reason string }

func (e *InvalidInputError) Error() string { return e.Reason }

// MalformedPolicyError reports a policy document that does not parse.
type MalformedPolicyError struct{ Reason string }

func (e *MalformedPolicyError) Error() string { return e.Reason }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
