package iam

import (
	"context"
	"fmt"
	"time"
)

// Principal is who is calling: the identity an access key belongs to.
type Principal struct {
	Account     string // 12-digit account id
	ARN         string // e.g. arn:aws:iam::123456789012:user/admin
	UserID      string // AWS-style unique id (AIDA...)
	AccessKeyID string
	Name        string // user name, or role name for a role session
	// SessionToken is set for temporary credentials; never logged.
	SessionToken string
	// Admin marks the principal `coffer dev` gives any credentials: every
	// request is allowed without consulting policies.
	Admin bool
	// Session is set for temporary credentials: what they stand for.
	Session *Session
	Expires time.Time
	// Federated marks a web identity (an OIDC provider's ARN) asking to
	// assume a role.
	Federated bool
}

// Decision is the outcome of evaluating policies for one request.
type Decision int

const (
	ImplicitDeny Decision = iota // no statement allowed it
	Allow
	ExplicitDeny // a Deny statement matched; wins over any Allow
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// Request is one authorization question: may Principal perform Action on
// Resource? ResourcePolicy is the resource's own policy document, if any;
// ResourceTags become aws:ResourceTag/* keys; Context carries the other
// condition keys of the operation (secretsmanager:VersionStage, ...).
type Request struct {
	Principal       Principal
	Action          string // e.g. secretsmanager:GetSecretValue
	Resource        string // ARN, or "*" for actions without a resource
	ResourcePolicy  string
	ResourceTags    map[string]string
	Context         map[string][]string
	SourceIP        string
	SecureTransport bool
}

// Authorizer decides requests. Implementations must be safe for concurrent use.
type Authorizer interface {
	Authorize(ctx context.Context, req Request) (Decision, error)
}

// AllowAll allows every request. It is the authorizer of the core server,
// where the only principal is the bootstrap admin.
type AllowAll struct{}

// Authorize implements Authorizer.
func (AllowAll) Authorize(context.Context, Request) (Decision, error) { return Allow, nil }

// AccessDeniedError reports a denied request in the facts AWS's message needs.
type AccessDeniedError struct {
	PrincipalARN string
	Action       string
	Resource     string
	Decision     Decision
}

func (e *AccessDeniedError) Error() string {
	why := "no identity-based policy allows the " + e.Action + " action"
	if e.Decision == ExplicitDeny {
		why = "of an explicit deny in a policy"
	}
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s",
		e.PrincipalARN, e.Action, e.Resource, why)
}
