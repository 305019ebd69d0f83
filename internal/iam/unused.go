package iam

// Least privilege from evidence: which grants of a principal's identity
// policies it used, and the smallest policy that still allows what it did
// (what AWS's IAM Access Advisor, "last accessed", and its policy
// generation do). The evidence is a list of Uses, which the caller takes
// from the audit trail; this file knows nothing of the trail.
//
// Statements are matched on Action and Resource only: conditions are not
// evaluated (the trail does not keep the request's context keys), so a
// grant counts as used if its action and resource match a use, whatever
// its conditions say.

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// Use is an action a principal was allowed to perform on a resource.
type Use struct {
	Action   string    // service:Operation, e.g. secretsmanager:GetSecretValue
	Resource string    // the resource's ARN, or "*" for an action without one
	Last     time.Time // when, or the last time if several
	// Possible marks an action the request may have needed, but the trail
	// cannot tell (BatchGetSecretValue needs ListSecrets only with
	// Filters). A possible use counts where an Allow statement grants it,
	// and is dropped where none does.
	Possible bool
}

// AccessInput is what LastAccessed reports on.
type AccessInput struct {
	// Principal is whose policies these are: a user, or a session of a
	// role. Policy variables in Resource elements resolve against it.
	Principal Principal
	Policies  []NamedPolicy // its identity policies
	// Actions are the actions the server serves (service:Operation):
	// wildcards and NotAction are expanded against them.
	Actions []string
	Uses    []Use
}

// AccessReport says, for each Allow statement of the policies, which of
// the actions and resources it grants were used and when last.
type AccessReport struct {
	Statements []StatementAccess
	// Granted are the uses some Allow statement grants, one for each
	// action and resource (action names as the uses spell them, the last
	// time of each): what GeneratePolicy needs.
	Granted []Use
	// Ungranted are the uses no Allow statement grants: a resource policy
	// allowed them. A narrower identity policy need not allow them.
	Ungranted []Use
}

// StatementAccess is the use of one Allow statement.
type StatementAccess struct {
	Policy string // the NamedPolicy's name
	Index  int    // position in the policy's Statement list
	Sid    string
	// Statement is the statement itself, for its Action, NotAction,
	// Resource, NotResource and Conditions.
	Statement *Statement
	// Actions are the served actions the statement grants, in the order
	// of AccessInput.Actions, then the Action patterns that name no served
	// action (NotServed).
	Actions []Access
	// Resources are the statement's Resource (or NotResource) patterns as
	// written. A Resource pattern is used when a use of an action the
	// statement grants matched it; every NotResource pattern has the last
	// use the statement granted.
	Resources []Access
}

// Access is one action or resource pattern of a statement and the last
// time a use matched it.
type Access struct {
	Name      string
	Last      time.Time // zero if never used
	NotServed bool      // an Action pattern that matches no action the server serves
}

// Used reports whether a use matched it.
func (a Access) Used() bool { return !a.Last.IsZero() }

// LastAccessed matches in.Uses against the Allow statements of
// in.Policies. Deny statements grant nothing and are not reported; a use
// that an Allow statement grants counts as granted even if a Deny of the
// same policies matches it (it was allowed, so the deny's conditions did
// not hold).
func LastAccessed(in AccessInput) *AccessReport {
	uses := mergeUses(in.Uses)
	rep := &AccessReport{}
	for _, u := range uses {
		if grantedBy(in.Policies, &in.Principal, u.Action, u.Resource) {
			u.Possible = false
			rep.Granted = append(rep.Granted, u)
		} else if !u.Possible {
			rep.Ungranted = append(rep.Ungranted, u)
		}
	}
	for _, np := range in.Policies {
		if np.Policy == nil {
			continue
		}
		for i := range np.Policy.Statements {
			s := &np.Policy.Statements[i]
			if s.deny {
				continue
			}
			rep.Statements = append(rep.Statements, statementAccess(np.Name, i, s, &in, rep.Granted))
		}
	}
	return rep
}

// mergeUses returns one use per action (ignoring case) and resource,
// with the last time; a use is possible only if all its sources were.
// The result is sorted by action and resource.
func mergeUses(in []Use) []Use {
	type key struct{ action, resource string }
	at := map[key]int{}
	var out []Use
	for _, u := range in {
		if u.Resource == "" {
			u.Resource = "*"
		}
		k := key{strings.ToLower(u.Action), u.Resource}
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			out = append(out, u)
			continue
		}
		if u.Last.After(out[i].Last) {
			out[i].Last = u.Last
		}
		out[i].Possible = out[i].Possible && u.Possible
	}
	slices.SortFunc(out, func(a, b Use) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Action), strings.ToLower(b.Action)), cmp.Compare(a.Resource, b.Resource))
	})
	return out
}

// grantedBy reports whether an Allow statement of policies matches the
// action and resource, conditions aside.
func grantedBy(policies []NamedPolicy, p *Principal, action, resource string) bool {
	for _, np := range policies {
		if np.Policy == nil {
			continue
		}
		for i := range np.Policy.Statements {
			if s := &np.Policy.Statements[i]; !s.deny && s.grants(p, action, resource) {
				return true
			}
		}
	}
	return false
}

// grants reports whether the statement's Action and Resource match the
// request, without looking at its conditions or effect.
func (s *Statement) grants(p *Principal, action, resource string) bool {
	e := accessEvaluator(p, action, resource)
	return s.matchesAction(e) && s.matchesResource(e)
}

// accessEvaluator returns an evaluator for a request with no context
// keys, so that patterns can be matched outside Evaluate.
func accessEvaluator(p *Principal, action, resource string) *policyEvaluator {
	e := &policyEvaluator{}
	e.ctx = EvalContext{Principal: *p, Action: action, Resource: resource}
	return e
}

func statementAccess(policy string, index int, s *Statement, in *AccessInput, granted []Use) StatementAccess {
	sa := StatementAccess{Policy: policy, Index: index, Sid: s.Sid, Statement: s}
	served := make([]bool, len(s.actions))
	for _, a := range in.Actions {
		e := accessEvaluator(&in.Principal, a, "*")
		if !s.matchesAction(e) {
			continue
		}
		for i := range s.actions {
			if ok, _ := s.actions[i].match(e, a, modeFold); ok {
				served[i] = true
			}
		}
		acc := Access{Name: a}
		for _, u := range granted {
			if strings.EqualFold(u.Action, a) && s.grants(&in.Principal, u.Action, u.Resource) {
				acc.Last = later(acc.Last, u.Last)
			}
		}
		sa.Actions = append(sa.Actions, acc)
	}
	if !s.notAction {
		for i, ok := range served {
			if !ok {
				sa.Actions = append(sa.Actions, Access{Name: s.Actions[i], NotServed: true})
			}
		}
	}
	names := s.Resources
	if s.notResource {
		names = s.NotResources
	}
	for i, name := range names {
		acc := Access{Name: name}
		for _, u := range granted {
			e := accessEvaluator(&in.Principal, u.Action, u.Resource)
			if !s.matchesAction(e) {
				continue
			}
			var ok bool
			if s.notResource {
				ok = s.matchesResource(e)
			} else {
				ok, _ = s.resources[i].match(e, u.Resource, modeExact)
			}
			if ok {
				acc.Last = later(acc.Last, u.Last)
			}
		}
		sa.Resources = append(sa.Resources, acc)
	}
	return sa
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// GeneralizeSecretARN returns the resource pattern a generated policy
// uses for a secret's ARN: the ARN with its random six-character suffix
// replaced by "??????", as AWS's policy generator writes it, so that the
// grant survives the secret being deleted and created again. Other ARNs,
// and secret ARNs without a suffix, are returned unchanged; the result
// always matches the ARN.
func GeneralizeSecretARN(arn string) string {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return arn
	}
	name := parts[6]
	if len(name) < 8 || name[len(name)-7] != '-' {
		return arn
	}
	for i := len(name) - 6; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return arn
		}
	}
	return arn[:len(arn)-6] + "??????"
}

// generatedPolicy and generatedStatement are the JSON shape GeneratePolicy
// writes, members in IAM's usual order.
type generatedPolicy struct {
	Version   string
	Statement []generatedStatement
}

type generatedStatement struct {
	Effect   Effect
	Action   []string
	Resource []string
}

// GeneratePolicy returns an identity policy (Version 2012-10-17) that
// allows every use, and beyond them only the same actions on secrets of
// the same names created again: each statement allows a set of actions on the resources
// that were used with exactly that set; secret ARNs are generalized with
// GeneralizeSecretARN; an action used on "*" is not repeated on single
// resources. It has no conditions. The document is checked with
// ParsePolicy; it fails if there are no uses (a policy needs a statement)
// or if the result is over the identity policy size limit.
func GeneratePolicy(uses []Use) (string, error) {
	merged := mergeUses(uses)
	byResource := map[string][]string{} // resource pattern -> actions
	anywhere := map[string]bool{}       // lower-cased actions used on "*"
	for _, u := range merged {
		if u.Resource == "*" {
			anywhere[strings.ToLower(u.Action)] = true
		}
	}
	for _, u := range merged {
		if u.Resource != "*" && anywhere[strings.ToLower(u.Action)] {
			continue
		}
		r := GeneralizeSecretARN(u.Resource)
		if !slices.ContainsFunc(byResource[r], func(a string) bool { return strings.EqualFold(a, u.Action) }) {
			byResource[r] = append(byResource[r], u.Action)
		}
	}
	bySet := map[string]*generatedStatement{}
	var statements []*generatedStatement
	for _, r := range slices.Sorted(maps.Keys(byResource)) {
		actions := byResource[r]
		slices.SortFunc(actions, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
		key := strings.ToLower(strings.Join(actions, "\n"))
		st := bySet[key]
		if st == nil {
			st = &generatedStatement{Effect: EffectAllow, Action: actions}
			bySet[key] = st
			statements = append(statements, st)
		}
		st.Resource = append(st.Resource, r)
	}
	doc := generatedPolicy{Version: PolicyVersion2012, Statement: make([]generatedStatement, 0, len(statements))}
	for _, st := range statements {
		doc.Statement = append(doc.Statement, *st)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return "", err
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if _, err := ParsePolicy(out, IdentityPolicyKind); err != nil {
		return out, err
	}
	return out, nil
}
