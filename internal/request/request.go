// Package request carries what the server learned about a request before
// it reached an API handler: its id, the authenticated principal, and the
// region of its credential scope. The server stores an Info in the
// request's context; handlers and audit read it.
//
// request imports only iam (for Principal) and must not import net/http.
package request

import (
	"context"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Info describes one authenticated API request.
type Info struct {
	ID              string // x-amzn-RequestId
	Principal       iam.Principal
	Region          string // from the SigV4 credential scope: selects the namespace
	SourceIP        string
	UserAgent       string
	SecureTransport bool
	Audit           Audit
}

type key struct{}

// With returns ctx carrying info, which also records the request's
// authorization decisions (iam.Recorder).
func With(ctx context.Context, info *Info) context.Context {
	return iam.WithRecorder(context.WithValue(ctx, key{}, info), info)
}

// From returns the Info in ctx, or an empty one when there is none.
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		return info
	}
	return &Info{}
}

// Audit is what serving the request touched and how it was decided,
// collected for its audit record. The server reads it after the handler
// returns; handlers and domain code only add to it. One request is served
// by one goroutine, so it needs no lock.
type Audit struct {
	Resources    []string // ARNs, in the order first touched
	Decision     string   // "Allow", or the first deny ("ImplicitDeny", "ExplicitDeny")
	Statement    string   // the statement that decided, when there is one
	Action       string   // the action of that decision
	VersionID    string
	VersionStage string
	// BreakGlass lists the secrets read that are tagged coffer:break-glass.
	BreakGlass []string
}

// Decided implements iam.Recorder: a deny is kept over later allows, so
// the record shows why a request was refused.
func (i *Info) Decided(action, resource string, r iam.EvalResult) {
	a := &i.Audit
	if resource != "" && resource != "*" {
		i.AddResource(resource)
	}
	if a.Decision != "" && a.Decision != iam.Allow.String() {
		return
	}
	a.Decision, a.Action, a.Statement = r.Decision.String(), action, r.Statement.String()
}

// AddResource adds arn to the request's resources once.
func (i *Info) AddResource(arn string) {
	for _, r := range i.Audit.Resources {
		if r == arn {
			return
		}
	}
	i.Audit.Resources = append(i.Audit.Resources, arn)
}
