package iamapi

import (
	"cmp"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
)

// Protocol constants of the IAM API.
const (
	service = "iam"
	version = "2010-05-08"
	xmlns   = "https://iam.amazonaws.com/doc/2010-05-08/"
)

// API serves the IAM actions over an iam.Store.
type API struct {
	store *iam.Store
	log   *slog.Logger
}

// NewMux returns the query-protocol mux for signing name "iam" with every
// supported action registered. log receives the causes of internal errors;
// nil discards them.
func NewMux(store *iam.Store, log *slog.Logger) *awsproto.QueryMux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{store: store, log: log}
	m := awsproto.NewQueryMux(service, version, xmlns)

	handle(m, a, "CreateUser", a.createUser)
	handle(m, a, "GetUser", a.getUser)
	handle(m, a, "ListUsers", a.listUsers)
	handle(m, a, "DeleteUser", a.deleteUser)
	handle(m, a, "TagUser", a.tagUser)
	handle(m, a, "UntagUser", a.untagUser)
	handle(m, a, "ListUserTags", a.listUserTags)
	handle(m, a, "PutUserPolicy", a.putUserPolicy)
	handle(m, a, "GetUserPolicy", a.getUserPolicy)
	handle(m, a, "DeleteUserPolicy", a.deleteUserPolicy)
	handle(m, a, "ListUserPolicies", a.listUserPolicies)

	handle(m, a, "CreateAccessKey", a.createAccessKey)
	handle(m, a, "ListAccessKeys", a.listAccessKeys)
	handle(m, a, "UpdateAccessKey", a.updateAccessKey)
	handle(m, a, "DeleteAccessKey", a.deleteAccessKey)

	handle(m, a, "CreateRole", a.createRole)
	handle(m, a, "GetRole", a.getRole)
	handle(m, a, "ListRoles", a.listRoles)
	handle(m, a, "DeleteRole", a.deleteRole)
	handle(m, a, "UpdateAssumeRolePolicy", a.updateAssumeRolePolicy)
	handle(m, a, "TagRole", a.tagRole)
	handle(m, a, "UntagRole", a.untagRole)
	handle(m, a, "ListRoleTags", a.listRoleTags)
	handle(m, a, "PutRolePolicy", a.putRolePolicy)
	handle(m, a, "GetRolePolicy", a.getRolePolicy)
	handle(m, a, "DeleteRolePolicy", a.deleteRolePolicy)
	handle(m, a, "ListRolePolicies", a.listRolePolicies)

	// Empty by construction (no managed policies, groups or instance
	// profiles yet); see empty.go.
	handle(m, a, "ListAttachedUserPolicies", a.listAttachedUserPolicies)
	handle(m, a, "ListGroupsForUser", a.listGroupsForUser)
	handle(m, a, "ListAttachedRolePolicies", a.listAttachedRolePolicies)
	handle(m, a, "ListInstanceProfilesForRole", a.listInstanceProfilesForRole)

	handle(m, a, "SimulatePrincipalPolicy", a.simulatePrincipalPolicy)
	handle(m, a, "SimulateCustomPolicy", a.simulateCustomPolicy)
	return m
}

// input is an action's parameters: read from the form (which checks the
// model's constraints), and naming the resource the action acts on.
type input interface {
	read(f *form)
	// resource is the ARN the action is authorized against, or "*" for
	// actions without a resource (ListUsers, ListRoles).
	resource(account string) string
}

// handle registers the IAM action name. Every request runs the same way:
// read and validate the parameters into a fresh In, authorize the action
// on the input's resource, then run h; errors go through errors.go.
func handle[In any, P interface {
	*In
	input
}](m *awsproto.QueryMux, a *API, name string, h func(ctx context.Context, in P) (any, error)) {
	action := "iam:" + name
	m.Handle(name, func(ctx context.Context, params url.Values) (any, error) {
		info := request.From(ctx)
		f := &form{values: params, caller: info.Principal}
		in := P(new(In))
		in.read(f)
		if err := f.err(); err != nil {
			return nil, err
		}
		if err := a.authorize(ctx, info.Principal, action, in.resource(a.store.Account())); err != nil {
			return nil, a.toAWS(ctx, name, err)
		}
		out, err := h(ctx, in)
		if err != nil {
			return nil, a.toAWS(ctx, name, err)
		}
		return out, nil
	})
}

// authorize is the one place IAM actions are authorized: by the caller's
// identity policies, as for every other service. An existing user or role
// is named by its stored ARN (with its path), so policies that name paths
// match.
func (a *API) authorize(ctx context.Context, p iam.Principal, action, resource string) error {
	resource = a.storedARN(ctx, resource)
	info := request.From(ctx)
	d, err := a.store.Authorize(ctx, iam.Request{
		Principal: p, Action: action, Resource: resource,
		SourceIP: info.SourceIP, SecureTransport: info.SecureTransport,
	})
	if err != nil {
		return err
	}
	if d != iam.Allow {
		return &iam.AccessDeniedError{PrincipalARN: p.ARN, Action: action, Resource: resource, Decision: d}
	}
	return nil
}

// storedARN returns the ARN an existing user or role is stored under, or
// arn unchanged.
func (a *API) storedARN(ctx context.Context, arn string) string {
	prefix := "arn:aws:iam::" + a.store.Account() + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return arn
	}
	kind, path, _ := strings.Cut(rest, "/")
	name := path[strings.LastIndex(path, "/")+1:]
	switch kind {
	case "user":
		if u, err := a.store.User(ctx, name); err == nil {
			return u.ARN
		}
	case "role":
		if r, err := a.store.Role(ctx, name); err == nil {
			return r.ARN
		}
	}
	return arn
}

// ARNs of the resources IAM actions act on. Entities are named with their
// path where the request gives it (CreateUser, CreateRole) and with "/"
// otherwise: the request names an existing entity without its path.
func userARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + cmp.Or(path, "/") + name
}

func roleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + cmp.Or(path, "/") + name
}

// paging is a list request's Marker and MaxItems.
type paging struct {
	marker   string
	maxItems int
}

// paginate returns the page of items that p asks for, ordered by key, and
// the page trailer. A marker is the key the next page starts at, encoded;
// a page resumes at the first item whose key is not less than it, so
// deleting items between calls skips nothing that remains.
func paginate[T any](items []T, key func(T) string, p paging) ([]T, page, error) {
	items = slices.SortedFunc(slices.Values(items), func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	start := 0
	if p.marker != "" {
		from, err := base64.RawURLEncoding.DecodeString(p.marker)
		if err != nil {
			return nil, page{}, &awsproto.Error{Type: codeInvalidInput, Message: "Invalid Marker.", Status: http.StatusBadRequest}
		}
		start, _ = slices.BinarySearchFunc(items, string(from), func(item T, k string) int { return cmp.Compare(key(item), k) })
	}
	end := min(start+p.maxItems, len(items))
	out := items[start:end]
	if end == len(items) {
		return out, page{}, nil
	}
	return out, page{IsTruncated: true, Marker: base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))}, nil
}
