package iam

import (
	"context"
	"errors"
	"sync"

	"github.com/coffer-dev/coffer/internal/storage"
)

// CheckSessionPolicy validates a session policy passed to AssumeRole.
func CheckSessionPolicy(doc string) error {
	if _, err := ParsePolicy(doc, SessionPolicyKind); err != nil {
		return &MalformedPolicyError{Reason: err.Error()}
	}
	return nil
}

// compiledCache keeps parsed policy documents by kind and text, so each
// document is parsed once however many principals or secrets carry it. A
// lookup does not allocate: the document itself is the map key.
type compiledCache struct {
	mu sync.RWMutex
	m  [TrustPolicyKind + 1]map[string]*Policy
}

func (c *compiledCache) get(doc string, kind PolicyKind) (*Policy, error) {
	c.mu.RLock()
	p, ok := c.m[kind][doc]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := ParsePolicy(doc, kind)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m[kind] == nil || len(c.m[kind]) > 4096 {
		c.m[kind] = make(map[string]*Policy)
	}
	c.m[kind][doc] = p
	c.mu.Unlock()
	return p, nil
}

// identity is what a principal's policies come to: its identity policies,
// session policies and tags.
type identity struct {
	policies []NamedPolicy
	session  []*Policy
	tags     map[string]string
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

func (s *Store) named(docs map[string]string) ([]NamedPolicy, error) {
	out := make([]NamedPolicy, 0, len(docs))
	for _, name := range PolicyNames(docs) {
		p, err := s.policies.get(docs[name], IdentityPolicyKind)
		if err != nil {
			return nil, err
		}
		out = append(out, NamedPolicy{Name: name, Policy: p})
	}
	return out, nil
}

// identityOf loads the principal's policies: a user's inline policies, or
// for a role session the role's inline policies, its session policies and
// its tags overridden by session tags. The compiled policies of a user or
// role are cached by record revision, so a request for an unchanged
// principal costs one storage read and no parsing, sorting or allocation.
func (s *Store) identityOf(ctx context.Context, p Principal) (*identity, error) {
	if p.Session != nil && p.Session.RoleName != "" {
		base, err := cachedIdentity(ctx, s, s.roleKey(p.Session.RoleName), func(r *Role) (map[string]string, []Tag) { return r.Policies, r.Tags })
		if err != nil {
			return nil, roleGone(err, p.Session.RoleName)
		}
		if len(p.Session.Policies) == 0 && len(p.Session.Tags) == 0 {
			return base, nil
		}
		id := &identity{policies: base.policies, tags: base.tags}
		for _, doc := range p.Session.Policies {
			sp, err := s.policies.get(doc, SessionPolicyKind)
			if err != nil {
				return nil, err
			}
			id.session = append(id.session, sp)
		}
		if len(p.Session.Tags) > 0 {
			id.tags = make(map[string]string, len(base.tags)+len(p.Session.Tags))
			for k, v := range base.tags {
				id.tags[k] = v
			}
			for _, t := range p.Session.Tags {
				id.tags[t.Key] = t.Value
			}
		}
		return id, nil
	}
	id, err := cachedIdentity(ctx, s, s.userKey(p.Name), func(u *User) (map[string]string, []Tag) { return u.Policies, u.Tags })
	if err != nil {
		return nil, userGone(err, p.Name)
	}
	return id, nil
}

func roleGone(err error, name string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &NoSuchEntityError{Kind: "role", Name: name}
	}
	return err
}

func userGone(err error, name string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return &NoSuchEntityError{Kind: "user", Name: name}
	}
	return err
}

type cachedIdentityEntry struct {
	rev storage.Revision
	id  *identity
}

// cachedIdentity returns the compiled policies and tags of the user or
// role record under key, compiling them only when the record changed.
func cachedIdentity[T any](ctx context.Context, s *Store, key string, parts func(*T) (map[string]string, []Tag)) (*identity, error) {
	rec, rev, err := get[T](ctx, s, key)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	e, ok := s.identities[key]
	s.mu.RUnlock()
	if ok && e.rev == rev {
		return e.id, nil
	}
	docs, tags := parts(rec)
	id := &identity{tags: tagMap(tags)}
	if id.policies, err = s.named(docs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.identities == nil || len(s.identities) > 16384 {
		s.identities = make(map[string]cachedIdentityEntry)
	}
	s.identities[key] = cachedIdentityEntry{rev: rev, id: id}
	s.mu.Unlock()
	return id, nil
}

// Authorize decides a request as AWS does: an explicit deny in any policy
// wins; else an allow from an identity policy (within any session
// policies) or from the resource's policy naming the principal; else deny.
// It implements Authorizer.
func (s *Store) Authorize(ctx context.Context, req Request) (Decision, error) {
	r, err := s.Evaluate(ctx, req)
	if err == nil {
		record(ctx, req.Action, req.Resource, r)
	}
	return r.Decision, err
}

// Evaluate is Authorize with the statement that decided, for
// SimulatePrincipalPolicy and audit.
func (s *Store) Evaluate(ctx context.Context, req Request) (EvalResult, error) {
	if req.Principal.Admin {
		return EvalResult{Decision: Allow, Reason: "coffer dev admin"}, nil
	}
	id, err := s.identityOf(ctx, req.Principal)
	if err != nil {
		var nse *NoSuchEntityError
		if errors.As(err, &nse) {
			return EvalResult{Decision: ImplicitDeny, Reason: "the principal no longer exists"}, nil
		}
		return EvalResult{}, err
	}
	var res *Policy
	if req.ResourcePolicy != "" {
		if res, err = s.policies.get(req.ResourcePolicy, ResourcePolicyKind); err != nil {
			return EvalResult{}, err
		}
	}
	return Evaluate(s.evalContext(req, id.tags), id.policies, res, id.session), nil
}

// boolValue holds the two values a boolean key can take, shared (the
// engine never modifies key values).
var boolValue = map[bool][]string{true: {"true"}, false: {"false"}}

// evalContext assembles the condition keys of a request.
func (s *Store) evalContext(req Request, principalTags map[string]string) EvalContext {
	keys := make(map[string][]string, len(req.Context)+len(req.ResourceTags)+2)
	for k, v := range req.Context {
		keys[k] = v
	}
	// The engine finds secretsmanager:ResourceTag/K under aws:ResourceTag/K.
	for k, v := range req.ResourceTags {
		keys["aws:ResourceTag/"+k] = []string{v}
	}
	if req.SourceIP != "" {
		keys["aws:SourceIp"] = []string{req.SourceIP}
	}
	keys["aws:SecureTransport"] = boolValue[req.SecureTransport]
	return EvalContext{Principal: req.Principal, PrincipalTags: principalTags, Action: req.Action, Resource: req.Resource, Keys: keys, Now: s.now()}
}

// AuthorizeAssume decides whether the caller may assume role, as AWS
// does: the role's trust policy must grant the action to the caller - by
// name, by its role, or by its account, in which case the caller's
// identity policies must allow it too. An identity policy alone never
// suffices (unlike other resource policies), and an explicit deny in any
// policy wins.
func (s *Store) AuthorizeAssume(ctx context.Context, caller Principal, role *Role, action string, keys map[string][]string) (Decision, error) {
	trust, err := s.policies.get(role.AssumeRolePolicy, TrustPolicyKind)
	if err != nil {
		return ImplicitDeny, nil // a broken trust policy trusts no one
	}
	var id *identity
	if caller.Admin {
		id = &identity{policies: []NamedPolicy{{Name: AdminPolicyName, Policy: s.mustAdmin()}}}
	} else if id, err = s.identityOf(ctx, caller); err != nil {
		var gone *NoSuchEntityError
		if errors.As(err, &gone) {
			return ImplicitDeny, nil // the caller's user or role was deleted
		}
		return ImplicitDeny, err
	}
	ec := EvalContext{Principal: caller, PrincipalTags: id.tags, Action: action, Resource: role.ARN, Keys: keys, Now: s.now()}
	if !trusts(ec, trust) {
		record(ctx, action, role.ARN, EvalResult{Decision: ImplicitDeny, Reason: "the role's trust policy does not name the caller"})
		return ImplicitDeny, nil
	}
	r := Evaluate(ec, id.policies, trust, id.session)
	record(ctx, action, role.ARN, r)
	return r.Decision, nil
}

func record(ctx context.Context, action, resource string, r EvalResult) {
	if rec := recorderFrom(ctx); rec != nil {
		rec.Decided(action, resource, r)
	}
}

// trusts reports whether an Allow statement of the trust policy applies to
// the request and names the caller in any way (itself, its role, or its
// account). Denies are left to Evaluate.
func trusts(ec EvalContext, trust *Policy) bool {
	var e policyEvaluator
	e.ctx = ec
	for _, i := range trust.statementsFor(e.service()) {
		st := &trust.Statements[i]
		if !st.deny && st.applies(&e, true) != principalNone {
			return true
		}
	}
	return false
}

// AuthorizeWebIdentity decides whether a verified web identity from the
// OIDC provider providerARN may assume role, by the trust policy alone.
func (s *Store) AuthorizeWebIdentity(ctx context.Context, providerARN string, role *Role, keys map[string][]string) (Decision, error) {
	trust, err := s.policies.get(role.AssumeRolePolicy, TrustPolicyKind)
	if err != nil {
		return ImplicitDeny, nil
	}
	fed := Principal{Account: s.account, ARN: providerARN, Federated: true}
	ec := EvalContext{Principal: fed, Action: "sts:AssumeRoleWithWebIdentity", Resource: role.ARN, Keys: keys, Now: s.now()}
	r := Evaluate(ec, nil, trust, nil)
	record(ctx, ec.Action, role.ARN, r)
	return r.Decision, nil
}

func (s *Store) mustAdmin() *Policy {
	p, err := s.policies.get(AdminPolicy, IdentityPolicyKind)
	if err != nil {
		panic("iam: the admin policy does not parse: " + err.Error())
	}
	return p
}
