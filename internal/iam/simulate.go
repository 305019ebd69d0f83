package iam

// Simulation answers "may this principal do that, and which statement
// decides?" without acting: IAM's SimulatePrincipalPolicy and
// SimulateCustomPolicy. It runs the evaluator the server authorizes with
// (Evaluate), on the same policies identityOf loads, so a simulation
// cannot drift from what a request would get.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// SimulationSessionName is the session name of the role session a
// simulation of a role runs as: arn:aws:sts::ACCOUNT:assumed-role/ROLE/
// coffer-simulation, with aws:userid AROA...:coffer-simulation.
const SimulationSessionName = "coffer-simulation"

// SimulateInput is one simulation: every action on every resource.
type SimulateInput struct {
	// Principal is whose policies are simulated: a user, or a session of a
	// role without session policies, as SimulationPrincipal returns. Nil
	// simulates ExtraPolicies alone.
	Principal *Principal
	// ExtraPolicies are identity policy documents simulated as if they
	// were attached to Principal, after its own.
	ExtraPolicies []string
	// ResourcePolicy is the resources' policy document, or "" for none. It
	// applies to every resource and needs a caller (Principal or
	// CallerARN) for its Principal elements to name.
	ResourcePolicy string
	Actions        []string // service:Action; at least one
	Resources      []string // ARNs; empty means ["*"]
	// Keys are the request's context keys, as ContextKeys builds them.
	// Nothing else is assumed about the request (no aws:SourceIp, no
	// aws:SecureTransport); the evaluator still derives the principal and
	// clock keys (see EvalContext).
	Keys map[string][]string
	// CallerARN, if set, is the ARN of an IAM user of this account that
	// calls with Principal's policies: the principal resource policies
	// and the aws:Principal* keys see, with its tags (if it exists; it
	// need not). Empty means Principal itself.
	CallerARN string
}

// PolicySource says where a simulated policy comes from.
type PolicySource int

const (
	SourceUserPolicy     PolicySource = iota + 1 // an inline policy of the simulated user
	SourceRolePolicy                             // an inline policy of the simulated role
	SourceInputPolicy                            // one of SimulateInput.ExtraPolicies
	SourceResourcePolicy                         // SimulateInput.ResourcePolicy
	SourceSessionPolicy                          // a session policy of Principal
)

// PolicyPosition is a place in a policy document, as IAM's simulator
// reports one: the line, counted from 1, and the column just past the
// statement's opening or closing brace, counted from 1 in characters.
type PolicyPosition struct {
	Line, Column int
}

// SimulatedStatement is the statement that decided a simulated request.
type SimulatedStatement struct {
	// StatementRef names it; PolicyName is the inline policy's name for
	// SourceUserPolicy and SourceRolePolicy, and "" otherwise.
	StatementRef
	Source PolicySource
	Input  int // for SourceInputPolicy, the position in ExtraPolicies, from 1
	// Start and End are the positions of the statement's braces; zero
	// when the document is not at hand (a session policy).
	Start, End PolicyPosition
}

// SimulateResult is the decision on one action on one resource.
type SimulateResult struct {
	Action   string
	Resource string
	Decision Decision
	Reason   string
	// Statement is the Deny that decided an ExplicitDeny or the Allow that
	// decided an Allow; nil for an ImplicitDeny.
	Statement *SimulatedStatement
	// MissingKeys are the context keys that conditions of statements
	// matching the action and resource ask for and the request lacks, in
	// policy order, as written in the first policy that asks.
	MissingKeys []string
}

// SimulationPrincipal returns the principal a simulation of the user or
// role arn runs as: the user, or a session of the role named
// SimulationSessionName. A user or role that does not exist, or a group
// (Coffer has none), is a *NoSuchEntityError; any other ARN an
// *InvalidInputError. Users and roles are found by name, whatever path the
// ARN gives.
func (s *Store) SimulationPrincipal(ctx context.Context, arn string) (*Principal, error) {
	kind, name, ok := s.entityOf(arn)
	if !ok {
		return nil, &InvalidInputError{Reason: "ARN " + arn + " does not name a user or role of account " + s.account + "."}
	}
	switch kind {
	case "user":
		u, err := s.User(ctx, name)
		if err != nil {
			return nil, err
		}
		p := s.userPrincipal(u, "")
		return &p, nil
	case "role":
		r, err := s.Role(ctx, name)
		if err != nil {
			return nil, err
		}
		return &Principal{
			Account: s.account,
			ARN:     "arn:aws:sts::" + s.account + ":assumed-role/" + r.Name + "/" + SimulationSessionName,
			UserID:  r.ID + ":" + SimulationSessionName,
			Name:    r.Name,
			Session: &Session{RoleName: r.Name, RoleARN: r.ARN, RoleID: r.ID, SessionName: SimulationSessionName},
		}, nil
	}
	return nil, &NoSuchEntityError{Kind: kind, Name: name}
}

// entityOf splits an IAM ARN of this account into the kind of entity
// (user, role, group) and its name.
func (s *Store) entityOf(arn string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+s.account+":")
	if !ok {
		return "", "", false
	}
	kind, path, ok := strings.Cut(rest, "/")
	name = path[strings.LastIndexByte(path, '/')+1:]
	if !ok || name == "" || kind != "user" && kind != "role" && kind != "group" {
		return "", "", false
	}
	return kind, name, true
}

// simulatedPolicy is where an identity policy of a simulation comes from.
type simulatedPolicy struct {
	source PolicySource
	input  int
	doc    string
}

// inputPolicyName is the name an input policy is evaluated under. It
// cannot be an inline policy's name, which has no control characters.
func inputPolicyName(i int) string { return "\x00input " + strconv.Itoa(i) }

// Simulate decides every action in in.Actions on every resource in
// in.Resources, in that order (actions outer), as Evaluate would, and
// reports the statement that decided each. An input or resource policy
// that does not parse is a *MalformedPolicyError; a principal that no
// longer exists a *NoSuchEntityError.
func (s *Store) Simulate(ctx context.Context, in SimulateInput) ([]SimulateResult, error) {
	if len(in.Actions) == 0 {
		return nil, &InvalidInputError{Reason: "A simulation needs at least one action."}
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}

	var identity []NamedPolicy
	var session []*Policy
	var tags map[string]string
	origins := map[string]simulatedPolicy{}
	if in.Principal != nil {
		id, err := s.identityOf(ctx, *in.Principal)
		if err != nil {
			if pe, ok := errors.AsType[*PolicyError](err); ok {
				return nil, &MalformedPolicyError{Reason: "a policy of " + in.Principal.ARN + " does not parse: " + pe.Error()}
			}
			return nil, err
		}
		identity, session, tags = id.policies, id.session, id.tags
		source, docs, err := s.inlineDocs(ctx, *in.Principal)
		if err != nil {
			return nil, err
		}
		for _, np := range identity {
			origins[np.Name] = simulatedPolicy{source: source, doc: docs[np.Name]}
		}
	}
	for i, doc := range in.ExtraPolicies {
		// Parsed outside the cache: input documents are one-offs.
		p, err := ParsePolicy(doc, IdentityPolicyKind)
		if err != nil {
			return nil, &MalformedPolicyError{Reason: "input policy " + strconv.Itoa(i+1) + ": " + err.Error()}
		}
		name := inputPolicyName(i + 1)
		identity = append(identity, NamedPolicy{Name: name, Policy: p})
		origins[name] = simulatedPolicy{source: SourceInputPolicy, input: i + 1, doc: doc}
	}
	var resource *Policy
	if in.ResourcePolicy != "" {
		p, err := ParsePolicy(in.ResourcePolicy, ResourcePolicyKind)
		if err != nil {
			return nil, &MalformedPolicyError{Reason: "resource policy: " + err.Error()}
		}
		resource = p
	}

	caller := Principal{Account: s.account}
	switch {
	case in.CallerARN != "":
		var err error
		if caller, tags, err = s.simulatedCaller(ctx, in.CallerARN); err != nil {
			return nil, err
		}
	case in.Principal != nil:
		caller = *in.Principal
	case resource != nil:
		return nil, &InvalidInputError{Reason: "A simulation with a resource policy needs a caller ARN: the policy's Principal elements have no one to name."}
	}

	sim := simulation{identity: identity, resource: resource, session: session, origins: origins,
		resourceDoc: in.ResourcePolicy, spans: map[spanKey][2]PolicyPosition{}}
	now := s.now()
	out := make([]SimulateResult, 0, len(in.Actions)*len(resources))
	for _, action := range in.Actions {
		for _, res := range resources {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ec := EvalContext{Principal: caller, PrincipalTags: tags, Action: action, Resource: res, Keys: in.Keys, Now: now}
			r := Evaluate(ec, identity, resource, session)
			out = append(out, SimulateResult{
				Action: action, Resource: res, Decision: r.Decision, Reason: r.Reason,
				Statement: sim.statement(r.Statement), MissingKeys: sim.missingKeys(ec),
			})
		}
	}
	return out, nil
}

// inlineDocs returns where p's identity policies come from and their
// documents by name, for positions.
func (s *Store) inlineDocs(ctx context.Context, p Principal) (PolicySource, map[string]string, error) {
	if p.Session != nil && p.Session.RoleName != "" {
		r, err := s.Role(ctx, p.Session.RoleName)
		if err != nil {
			return 0, nil, err
		}
		return SourceRolePolicy, r.Policies, nil
	}
	u, err := s.User(ctx, p.Name)
	if err != nil {
		return 0, nil, err
	}
	return SourceUserPolicy, u.Policies, nil
}

// simulatedCaller returns the principal of a caller ARN and its tags: an
// IAM user of this account, existing or not.
func (s *Store) simulatedCaller(ctx context.Context, arn string) (Principal, map[string]string, error) {
	kind, name, ok := s.entityOf(arn)
	if !ok || kind != "user" {
		return Principal{}, nil, &InvalidInputError{Reason: "The caller ARN " + arn + " must name an IAM user of account " + s.account + "."}
	}
	u, err := s.User(ctx, name)
	if _, missing := errors.AsType[*NoSuchEntityError](err); missing {
		return Principal{Account: s.account, ARN: arn, Name: name}, nil, nil
	}
	if err != nil {
		return Principal{}, nil, err
	}
	return s.userPrincipal(u, ""), tagMap(u.Tags), nil
}

// simulation holds what one Simulate call evaluates against.
type simulation struct {
	identity    []NamedPolicy
	resource    *Policy
	session     []*Policy
	origins     map[string]simulatedPolicy // by NamedPolicy name
	resourceDoc string
	spans       map[spanKey][2]PolicyPosition
}

type spanKey struct {
	policy string // NamedPolicy name, or "" for the resource policy
	index  int
}

// statement describes the statement Evaluate reported.
func (sim *simulation) statement(ref *StatementRef) *SimulatedStatement {
	if ref == nil {
		return nil
	}
	st := &SimulatedStatement{StatementRef: *ref}
	var doc string
	switch ref.Kind {
	case IdentityPolicyKind:
		o := sim.origins[ref.PolicyName]
		st.Source, st.Input, doc = o.source, o.input, o.doc
		if o.source == SourceInputPolicy {
			st.PolicyName = ""
		}
	case SessionPolicyKind:
		st.Source = SourceSessionPolicy
		return st
	default:
		st.Source, doc = SourceResourcePolicy, sim.resourceDoc
	}
	key := spanKey{policy: ref.PolicyName, index: ref.Index}
	span, ok := sim.spans[key]
	if !ok {
		span[0], span[1], _ = statementPositions(doc, ref.Index)
		sim.spans[key] = span
	}
	st.Start, st.End = span[0], span[1]
	return st
}

// missingKeys lists the context keys that conditions of statements
// matching ec's action and resource ask for and ec lacks.
func (sim *simulation) missingKeys(ec EvalContext) []string {
	e := policyEvaluator{ctx: ec}
	var missing []string
	add := func(p *Policy) {
		if p == nil {
			return
		}
		for i := range p.Statements {
			st := &p.Statements[i]
			if len(st.Conditions) == 0 || !st.matchesAction(&e) || !st.matchesResource(&e) {
				continue
			}
			for j := range st.Conditions {
				c := &st.Conditions[j]
				if e.lookup(&c.key).n > 0 || containsFold(missing, c.Key) {
					continue
				}
				missing = append(missing, c.Key)
			}
		}
	}
	for _, np := range sim.identity {
		add(np.Policy)
	}
	add(sim.resource)
	for _, p := range sim.session {
		add(p)
	}
	return missing
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// statementPositions finds statement index of a policy document that
// parsed: the positions of its opening and closing braces.
func statementPositions(doc string, index int) (start, end PolicyPosition, ok bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return start, end, false
	}
	for dec.More() {
		name, err := dec.Token()
		if err != nil {
			return start, end, false
		}
		if name != "Statement" {
			if skipJSONValue(dec) != nil {
				return start, end, false
			}
			continue
		}
		t, err := dec.Token()
		if err != nil {
			return start, end, false
		}
		if t == json.Delim('[') {
			for i := 0; i < index; i++ {
				if !dec.More() || skipJSONValue(dec) != nil {
					return start, end, false
				}
			}
			if t, err = dec.Token(); err != nil {
				return start, end, false
			}
		} else if index != 0 {
			return start, end, false
		}
		if t != json.Delim('{') {
			return start, end, false
		}
		open := int(dec.InputOffset()) - 1
		if skipJSONRest(dec) != nil {
			return start, end, false
		}
		closing := int(dec.InputOffset()) - 1
		return positionAfter(doc, open), positionAfter(doc, closing), true
	}
	return start, end, false
}

// positionAfter is the position just past the byte at offset: its line
// and the column of the character after it, both from 1.
func positionAfter(doc string, offset int) PolicyPosition {
	lineStart := strings.LastIndexByte(doc[:offset], '\n') + 1
	return PolicyPosition{
		Line:   strings.Count(doc[:offset], "\n") + 1,
		Column: utf8.RuneCountInString(doc[lineStart:offset]) + 2,
	}
}

// skipJSONValue reads one whole value.
func skipJSONValue(dec *json.Decoder) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if t == json.Delim('{') || t == json.Delim('[') {
		return skipJSONRest(dec)
	}
	return nil
}

// skipJSONRest reads to the end of the object or array just opened.
func skipJSONRest(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// ContextEntry is a context key a simulation supplies: its name, the type
// of its values (string, stringList, numeric, numericList, boolean,
// booleanList, ip, ipList, binary, binaryList, date, dateList; "" takes
// the values as they are) and the values.
type ContextEntry struct {
	Key    string
	Type   string
	Values []string
}

// ContextKeys checks entries and turns them into EvalContext.Keys: a type
// without "List" takes one value; numbers, booleans, addresses, base64
// and dates must parse as conditions parse them; booleans are
// lower-cased and base64 made canonical. A key given twice (in any case)
// or a value of the wrong type is an *InvalidInputError.
func ContextKeys(entries []ContextEntry) (map[string][]string, error) {
	keys := make(map[string][]string, len(entries))
	seen := make(map[string]bool, len(entries)) // lower-cased names
	for _, en := range entries {
		lower := strings.ToLower(en.Key)
		if seen[lower] {
			return nil, &InvalidInputError{Reason: "Context key " + en.Key + " is given more than once."}
		}
		seen[lower] = true
		base, list := strings.CutSuffix(en.Type, "List")
		switch base {
		case "", "string", "numeric", "boolean", "ip", "binary", "date":
		default:
			return nil, &InvalidInputError{Reason: "Context key " + en.Key + " has unknown type " + en.Type + "."}
		}
		if en.Type != "" && !list && len(en.Values) != 1 {
			return nil, &InvalidInputError{Reason: fmt.Sprintf("Context key %s of type %s takes one value, not %d.", en.Key, en.Type, len(en.Values))}
		}
		vals := make([]string, len(en.Values))
		for j, v := range en.Values {
			norm, ok := contextValue(base, v)
			if !ok {
				return nil, &InvalidInputError{Reason: "Value " + v + " of context key " + en.Key + " is not of type " + en.Type + "."}
			}
			vals[j] = norm
		}
		keys[en.Key] = vals
	}
	return keys, nil
}

// contextValue checks a value of the type base (a ContextEntry type
// without "List") and returns it as conditions compare it.
func contextValue(base, v string) (string, bool) {
	switch base {
	case "numeric":
		_, ok := parsePolicyNumber(v)
		return v, ok
	case "boolean":
		return strings.ToLower(v), strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case "ip":
		_, err := netip.ParseAddr(v)
		return v, err == nil
	case "binary":
		b, err := base64.StdEncoding.DecodeString(v)
		return base64.StdEncoding.EncodeToString(b), err == nil
	case "date":
		_, ok := parsePolicyDate(v)
		return v, ok
	}
	return v, true
}
