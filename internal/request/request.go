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
}

type key struct{}

// With returns ctx carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the Info in ctx, or an empty one when there is none.
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		return info
	}
	return &Info{}
}
