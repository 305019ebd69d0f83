package iam

import (
	"strconv"
	"strings"
	"time"
)

// EvalContext is the request an evaluation decides: who asks to do what to
// which resource, and the condition context keys.
//
// Keys holds the context keys by name; names are looked up without regard
// to ASCII case, and a key may have several values (aws:TagKeys). Coffer
// supplies these:
//
//	aws:SourceIp                 the client's address
//	aws:SecureTransport          "true" over TLS
//	aws:RequestTag/K, aws:TagKeys tags a request sets (CreateSecret, TagResource)
//	aws:ResourceTag/K            the secret's tags; secretsmanager:ResourceTag/K is
//	                             looked up under either name
//	secretsmanager:Name, secretsmanager:SecretId, secretsmanager:VersionStage,
//	secretsmanager:VersionId, secretsmanager:Description, secretsmanager:KmsKeyId,
//	secretsmanager:BlockPublicPolicy
//	                             from the request, when the operation has them
//
// The evaluator derives these from the other fields unless Keys has them:
//
//	aws:PrincipalArn      the principal's ARN; for a role session, the role's
//	aws:PrincipalAccount  the principal's account
//	aws:PrincipalType     User, AssumedRole, FederatedUser or Account
//	aws:userid            Principal.UserID (AIDA..., or AROA...:session)
//	aws:username          an IAM user's name; absent for other principals
//	aws:PrincipalTag/K    PrincipalTags (user, role or session tags)
//	aws:CurrentTime       Now, as 2006-01-02T15:04:05Z
//	aws:EpochTime         Now, in seconds since 1970
type EvalContext struct {
	Principal     Principal
	PrincipalTags map[string]string
	Action        string // service:Action, e.g. secretsmanager:GetSecretValue
	Resource      string // the resource's ARN, or "*"
	Keys          map[string][]string
	Now           time.Time // the request's time; zero means time.Now()
}

// NamedPolicy is an identity policy with the name it is attached under.
type NamedPolicy struct {
	Name   string
	Policy *Policy
}

// EvalResult is the decision on a request and the statement behind it.
type EvalResult struct {
	Decision Decision
	// Statement is the statement that decided: the Deny for an
	// ExplicitDeny, the Allow for an Allow, nil for an ImplicitDeny.
	Statement *StatementRef
	Reason    string // one sentence, for logs and audit
}

// StatementRef names a statement of one of the evaluated policies.
type StatementRef struct {
	Kind       PolicyKind
	PolicyName string // the NamedPolicy's name, for identity policies
	Index      int    // position in the policy's Statement list
	Sid        string
}

// The reasons Evaluate gives.
const (
	reasonDenyIdentity    = "explicitly denied by an identity-based policy"
	reasonDenyResource    = "explicitly denied by the resource-based policy"
	reasonDenySession     = "explicitly denied by a session policy"
	reasonAllowIdentity   = "allowed by an identity-based policy"
	reasonAllowResource   = "allowed by the resource-based policy, which names the principal"
	reasonAllowRole       = "allowed by the resource-based policy, which names the principal's role"
	reasonNoSession       = "no session policy allows the action"
	reasonNoAllow         = "no identity-based or resource-based policy allows the action"
	reasonAccountDelegate = "the resource-based policy names only the account, and no identity-based policy allows the action"
)

// Evaluate decides ctx against the principal's identity policies, the
// resource's policy (nil if none) and the session's session policies
// (none unless the principal is a session created with some). It follows
// AWS's evaluation logic within one account; see the file comment of
// policy.go. Statements of the resource policy apply only to the
// principals they name.
func Evaluate(ctx EvalContext, identity []NamedPolicy, resource *Policy, session []*Policy) EvalResult {
	var e policyEvaluator // (not a composite literal, which the compiler builds in a temporary and copies)
	e.ctx = ctx

	var idAllow *Statement
	var idName string
	for _, np := range identity {
		if np.Policy == nil {
			continue
		}
		for _, i := range np.Policy.statementsFor(e.service()) {
			s := &np.Policy.Statements[i]
			if !s.deny && idAllow != nil {
				continue // another Allow cannot change the decision
			}
			if s.applies(&e, false) == principalNone {
				continue
			}
			if s.deny {
				return policyDecided(ExplicitDeny, IdentityPolicyKind, np.Name, s, reasonDenyIdentity)
			}
			idAllow, idName = s, np.Name
		}
	}

	var resAllow *Statement
	resMatch := principalNone
	if resource != nil {
		for _, i := range resource.statementsFor(e.service()) {
			s := &resource.Statements[i]
			if !s.deny && resMatch == principalDirect {
				continue
			}
			m := s.applies(&e, true)
			if m == principalNone {
				continue
			}
			if s.deny {
				return policyDecided(ExplicitDeny, resource.kind, "", s, reasonDenyResource)
			}
			if m > resMatch {
				resAllow, resMatch = s, m
			}
		}
	}

	var sessAllow *Statement
	for _, p := range session {
		if p == nil {
			continue
		}
		for _, i := range p.statementsFor(e.service()) {
			s := &p.Statements[i]
			if !s.deny && sessAllow != nil {
				continue
			}
			if s.applies(&e, false) == principalNone {
				continue
			}
			if s.deny {
				return policyDecided(ExplicitDeny, SessionPolicyKind, "", s, reasonDenySession)
			}
			sessAllow = s
		}
	}

	withinSession := len(session) == 0 || sessAllow != nil
	switch {
	case resMatch == principalDirect:
		return policyDecided(Allow, resource.kind, "", resAllow, reasonAllowResource)
	case resMatch == principalRole && withinSession:
		return policyDecided(Allow, resource.kind, "", resAllow, reasonAllowRole)
	case idAllow != nil && withinSession:
		return policyDecided(Allow, IdentityPolicyKind, idName, idAllow, reasonAllowIdentity)
	case idAllow != nil || resMatch == principalRole:
		return EvalResult{Decision: ImplicitDeny, Reason: reasonNoSession}
	case resMatch == principalAccount:
		return EvalResult{Decision: ImplicitDeny, Reason: reasonAccountDelegate}
	}
	return EvalResult{Decision: ImplicitDeny, Reason: reasonNoAllow}
}

func policyDecided(d Decision, kind PolicyKind, name string, s *Statement, reason string) EvalResult {
	return EvalResult{
		Decision:  d,
		Statement: &StatementRef{Kind: kind, PolicyName: name, Index: s.index, Sid: s.Sid},
		Reason:    reason,
	}
}

// applies reports how the statement applies to the request: principalNone
// if it does not. A statement without Principal or NotPrincipal applies to
// the caller directly, except in a resource policy (needPrincipal), where
// it applies to no one.
func (s *Statement) applies(e *policyEvaluator, needPrincipal bool) principalMatch {
	if !s.matchesAction(e) || !s.matchesResource(e) {
		return principalNone
	}
	m := principalDirect
	switch {
	case s.Principal != nil:
		m = s.Principal.match(e.caller())
	case s.NotPrincipal != nil:
		if s.NotPrincipal.excludes(e.caller()) {
			m = principalNone
		}
	case needPrincipal:
		m = principalNone
	}
	if m == principalNone {
		return principalNone
	}
	for i := range s.Conditions {
		if !s.Conditions[i].holds(e) {
			return principalNone
		}
	}
	return m
}

func (s *Statement) matchesAction(e *policyEvaluator) bool {
	service := e.service()
	for i := range s.actions {
		p := &s.actions[i]
		// Most statements name other services: compare the service first.
		if p.service != "" && !policyKeyEqual(p.service, service) {
			continue
		}
		if ok, _ := p.match(e, e.ctx.Action, modeFold); ok {
			return !s.notAction
		}
	}
	return s.notAction
}

// matchesResource compares the whole ARN with each pattern: * and ? may
// cross the ARN's colons here, unlike in ArnLike. A pattern with a policy
// variable that has no value matches nothing, as in IAM, so it does not
// exclude anything from a NotResource either.
func (s *Statement) matchesResource(e *policyEvaluator) bool {
	if s.anyResource {
		return true
	}
	for i := range s.resources {
		if ok, _ := s.resources[i].match(e, e.ctx.Resource, modeExact); ok {
			return !s.notResource
		}
	}
	return s.notResource
}

// policyEvaluator holds what one evaluation learns about its request, so
// that it is learned once: the caller taken apart, the time, and an index
// of Keys by case-folded hash. It lives on the stack of Evaluate.
type policyEvaluator struct {
	ctx EvalContext // a copy: keeping a pointer to the argument would make it escape

	callerDone bool
	c          policyCaller
	svcDone    bool
	svc        string // the service of ctx.Action
	nowDone    bool
	now        time.Time

	// The index of Keys: in index, or in bigIndex (allocated) when Keys
	// has more entries than index holds.
	indexed  bool
	nindex   int
	index    [16]policyKeyEntry
	bigIndex []policyKeyEntry
}

type policyKeyEntry struct {
	hash uint64
	name string
	vals []string
}

func (e *policyEvaluator) caller() *policyCaller {
	if !e.callerDone {
		e.c, e.callerDone = newPolicyCaller(&e.ctx.Principal), true
	}
	return &e.c
}

// service returns the service prefix of the request's action.
func (e *policyEvaluator) service() string {
	if !e.svcDone {
		e.svc, _, _ = strings.Cut(e.ctx.Action, ":")
		e.svcDone = true
	}
	return e.svc
}

func (e *policyEvaluator) requestTime() time.Time {
	if !e.nowDone {
		e.now, e.nowDone = e.ctx.Now, true
		if e.now.IsZero() {
			e.now = time.Now()
		}
	}
	return e.now
}

// policyValues are the values of one context key in a request. The clock
// keys carry the time itself rather than text, so that date and numeric
// conditions on them format and parse nothing.
type policyValues struct {
	list  []string
	one   string
	n     int
	clock policyClock
	t     time.Time
}

type policyClock uint8

const (
	clockNone policyClock = iota
	clockCurrentTime
	clockEpochTime
)

func (v *policyValues) str(i int) string {
	switch {
	case v.list != nil:
		return v.list[i]
	case v.clock == clockCurrentTime:
		return v.t.UTC().Format("2006-01-02T15:04:05Z")
	case v.clock == clockEpochTime:
		return strconv.FormatInt(v.t.Unix(), 10)
	}
	return v.one
}

func (v *policyValues) number(i int) (float64, bool) {
	if v.clock != clockNone {
		return float64(v.t.Unix()), true
	}
	return parsePolicyNumber(v.str(i))
}

func (v *policyValues) time(i int) (time.Time, bool) {
	if v.clock != clockNone {
		return v.t, true
	}
	return parsePolicyDate(v.str(i))
}

func policyValue(s string) policyValues {
	if s == "" {
		return policyValues{}
	}
	return policyValues{one: s, n: 1}
}

// lookup returns the values of k in the request: from Keys (under k's name
// or its alias), else derived from the principal, its tags or the clock.
func (e *policyEvaluator) lookup(k *policyKey) policyValues {
	if vals, ok := e.find(k.name, k.hash); ok {
		return policyValues{list: vals, n: len(vals)}
	}
	if k.alias != "" {
		if vals, ok := e.find(k.alias, k.aliasHash); ok {
			return policyValues{list: vals, n: len(vals)}
		}
	}
	switch k.builtin {
	case builtinPrincipalArn:
		c := e.caller()
		if c.kind == pcAssumedRole {
			return policyValue(c.roleARN())
		}
		return policyValue(c.arn)
	case builtinPrincipalAccount:
		return policyValue(e.caller().account)
	case builtinPrincipalType:
		return policyValue(e.caller().principalType())
	case builtinUserID:
		c := e.caller()
		if c.userID == "" && c.kind == pcRoot {
			return policyValue(c.account)
		}
		return policyValue(c.userID)
	case builtinUsername:
		if c := e.caller(); c.kind == pcUser {
			return policyValue(c.name)
		}
	case builtinPrincipalTag:
		if v, ok := e.ctx.PrincipalTags[k.tag]; ok {
			return policyValues{one: v, n: 1}
		}
		for tk, v := range e.ctx.PrincipalTags {
			if strings.EqualFold(tk, k.tag) {
				return policyValues{one: v, n: 1}
			}
		}
	case builtinCurrentTime:
		return policyValues{n: 1, clock: clockCurrentTime, t: e.requestTime()}
	case builtinEpochTime:
		return policyValues{n: 1, clock: clockEpochTime, t: e.requestTime()}
	}
	return policyValues{}
}

// variable resolves a policy variable: the key's value if it has exactly
// one (a multivalued key cannot be a variable).
func (e *policyEvaluator) variable(k *policyKey) (string, bool) {
	v := e.lookup(k)
	if v.n != 1 {
		return "", false
	}
	return v.str(0), true
}

// find looks name up in Keys without regard to case, through the hash
// index, built on first need.
func (e *policyEvaluator) find(name string, hash uint64) ([]string, bool) {
	if len(e.ctx.Keys) == 0 {
		return nil, false
	}
	if !e.indexed {
		e.buildIndex()
	}
	index := e.index[:e.nindex]
	if e.bigIndex != nil {
		index = e.bigIndex
	}
	for i := range index {
		en := &index[i]
		if en.hash == hash && policyKeyEqual(en.name, name) {
			return en.vals, true
		}
	}
	return nil, false
}

func (e *policyEvaluator) buildIndex() {
	e.indexed = true
	if len(e.ctx.Keys) > len(e.index) {
		big, n := make([]policyKeyEntry, len(e.ctx.Keys)), 0
		for k, vals := range e.ctx.Keys {
			big[n] = policyKeyEntry{hash: policyKeyHash(k), name: k, vals: vals}
			n++
		}
		e.bigIndex = big
		return
	}
	for k, vals := range e.ctx.Keys {
		e.index[e.nindex] = policyKeyEntry{hash: policyKeyHash(k), name: k, vals: vals}
		e.nindex++
	}
}
