package iam

// The IAM policy language: parse, validate and evaluate policy documents
// exactly as AWS does, so that a policy written for AWS means the same
// thing in Coffer.
//
// ParsePolicy checks a document once, when it is stored, and compiles it:
// actions, resources and condition values become patterns (wildcards and
// policy variables split out), numbers, dates and CIDRs are parsed, and
// condition keys are hashed. Evaluate then decides a request against the
// compiled policies without parsing or allocating on the common path:
//
//   - a Deny statement that applies, in any identity, resource or session
//     policy, is an ExplicitDeny and wins;
//   - otherwise the request is allowed if an identity policy allows it (and,
//     when the session has session policies, a session policy does too), or
//     if the resource policy allows it to a Principal that names the caller
//     itself (or, for a role session, its role, again within the session
//     policies); a resource policy that names only the caller's account
//     delegates to the identity policies and grants nothing itself;
//   - otherwise it is an ImplicitDeny.
//
// ValidatePolicy reports findings in the manner of IAM Access Analyzer's
// ValidatePolicy (what Secrets Manager's ValidateResourcePolicy returns),
// and IsPublic is the BlockPublicPolicy check.
//
// Where AWS documents a behaviour, the code follows the documentation;
// where it does not, the choice is written down next to the code.

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PolicyKind is where a policy document is attached, which decides the
// elements it may use and its size limit.
type PolicyKind int

const (
	// IdentityPolicyKind is a policy attached to a user or role (inline or
	// managed). It has no Principal.
	IdentityPolicyKind PolicyKind = iota + 1
	// ResourcePolicyKind is a resource-based policy such as a secret's. Each
	// statement names a Principal or NotPrincipal.
	ResourcePolicyKind
	// SessionPolicyKind is a session policy passed to AssumeRole: it limits
	// what the session may do and grants nothing itself.
	SessionPolicyKind
	// TrustPolicyKind is a role's trust policy (AssumeRolePolicyDocument):
	// a resource policy on the role with sts actions, a Principal, and no
	// Resource.
	TrustPolicyKind
)

func (k PolicyKind) String() string {
	switch k {
	case IdentityPolicyKind:
		return "identity"
	case ResourcePolicyKind:
		return "resource"
	case SessionPolicyKind:
		return "session"
	case TrustPolicyKind:
		return "trust"
	}
	return "PolicyKind(" + strconv.Itoa(int(k)) + ")"
}

// iam reports whether IAM itself stores documents of kind k, which holds
// them to IAM's rules on characters and statement ids.
func (k PolicyKind) iam() bool { return k != ResourcePolicyKind }

// Size limits, in characters. IAM does not count white space in identity
// policies; its limits apply to the sum of an entity's inline policies
// (2,048 for a user, 5,120 for a group, 10,240 for a role; 6,144 for one
// managed policy), which the caller checks with PolicySize. ParsePolicy
// refuses only what no identity could hold.
const (
	policyMaxIdentity = 10240
	policyMaxSession  = 2048 // AssumeRole's packed plaintext limit
	policyMaxTrust    = 2048 // IAM's default role trust policy quota
	policyMaxResource = 20480
)

// PolicySizeLimit returns the largest document ParsePolicy accepts for
// kind, as PolicySize counts it.
func PolicySizeLimit(kind PolicyKind) int {
	switch kind {
	case IdentityPolicyKind:
		return policyMaxIdentity
	case SessionPolicyKind:
		return policyMaxSession
	case TrustPolicyKind:
		return policyMaxTrust
	default:
		return policyMaxResource
	}
}

// PolicySize returns the size of doc as AWS counts it against the limits
// for kind: characters, not counting white space in identity policies.
func PolicySize(doc string, kind PolicyKind) int {
	if kind != IdentityPolicyKind {
		return utf8.RuneCountInString(doc)
	}
	n := 0
	for _, r := range doc {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

// Effect is a statement's Effect: EffectAllow or EffectDeny.
type Effect string

const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// The policy language versions. Policy variables exist only in 2012-10-17;
// in 2008-10-17 (and when Version is missing) ${...} is literal text.
const (
	PolicyVersion2012 = "2012-10-17"
	PolicyVersion2008 = "2008-10-17"
)

// Policy is a parsed and validated policy document. Its exported fields
// describe the document; evaluation uses what ParsePolicy compiled from
// them, so changing them has no effect. A Policy is safe for concurrent
// use by many evaluations.
type Policy struct {
	Version    string // "" when the document has none (it then means 2008-10-17)
	ID         string
	Statements []Statement

	kind PolicyKind
	// byService lists, for each service some Action names without
	// wildcards (lower-cased), the statements that can apply to its
	// actions: those naming it, and those in wild. wild lists the
	// statements that can apply to any service: NotAction, or a wildcard
	// in an action's service. Both are in document order; Evaluate walks
	// only the list for the request's service.
	byService map[string][]int32
	wild      []int32
	all       []int32
}

// policyIndexMin is the number of statements from which a policy gets a
// service index: for fewer, a map lookup costs more than it saves.
const policyIndexMin = 8

// statementsFor returns the indexes of the statements that can apply to an
// action of service.
func (p *Policy) statementsFor(service string) []int32 {
	if p.byService == nil {
		return p.all
	}
	if list, ok := p.byService[service]; ok {
		return list
	}
	var buf [64]byte
	if len(service) <= len(buf) && !policyASCIILower(service) {
		for i := 0; i < len(service); i++ {
			c := service[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
		if list, ok := p.byService[string(buf[:len(service)])]; ok {
			return list
		}
	}
	return p.wild
}

// index builds byService, wild and all.
func (p *Policy) index() {
	p.all = make([]int32, len(p.Statements))
	for i := range p.all {
		p.all[i] = int32(i)
	}
	if len(p.Statements) < policyIndexMin {
		return
	}
	p.byService = map[string][]int32{}
	for i := range p.Statements {
		s := &p.Statements[i]
		for _, a := range s.actions {
			if a.service != "" && !s.notAction {
				p.byService[strings.ToLower(a.service)] = nil
			}
		}
	}
	for i := range p.Statements {
		s := &p.Statements[i]
		wild := s.notAction
		for _, a := range s.actions {
			wild = wild || a.service == ""
		}
		if wild {
			p.wild = append(p.wild, int32(i))
		}
		for svc, list := range p.byService {
			if wild || s.namesService(svc) {
				p.byService[svc] = append(list, int32(i))
			}
		}
	}
}

// namesService reports whether one of the statement's Actions has the
// (lower-cased) service svc.
func (s *Statement) namesService(svc string) bool {
	for _, a := range s.actions {
		if strings.EqualFold(a.service, svc) {
			return true
		}
	}
	return false
}

func policyASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() PolicyKind { return p.kind }

// Statement is one statement of a policy. Exactly one of Actions and
// NotActions is set; at most one of Resources and NotResources (only a
// trust policy has neither); Principal or NotPrincipal only in resource and
// trust policies.
type Statement struct {
	Sid                     string
	Effect                  Effect
	Principal, NotPrincipal *PrincipalSet
	Actions, NotActions     []string
	Resources, NotResources []string
	// Conditions holds one entry per operator and key of the Condition
	// element, in document order; all must hold for the statement to apply.
	Conditions []Condition

	deny        bool // Effect is Deny
	index       int
	hasSid      bool // a Sid element is present, possibly ""
	actions     []policyPattern
	notAction   bool
	resources   []policyPattern
	notResource bool
	anyResource bool // no Resource element (trust policies)
}

// PolicyError reports a document ParsePolicy refuses, naming where.
type PolicyError struct {
	Statement int    // index in the Statement list, or -1 for the document
	Sid       string // the statement's Sid, if it has one
	Field     string // the element at fault (Version, Action, Condition, ...), or ""
	Reason    string

	check string // IAM Access Analyzer issue code, for ValidatePolicy
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	if e.Statement >= 0 {
		fmt.Fprintf(&b, "Statement[%d]", e.Statement)
		if e.Sid != "" {
			fmt.Fprintf(&b, " (Sid %q)", e.Sid)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

func policyQuote(s string) string { return strconv.Quote(s) }

// ParsePolicy parses and validates doc as a policy of the given kind.
//
// It accepts what IAM accepts: a single statement or a list; a string or a
// list for Action, Resource, Principal values and condition values (JSON
// numbers and booleans stand for their text); Version 2012-10-17 or
// 2008-10-17. It refuses unknown elements, duplicate members, a missing or
// empty Action, an Effect other than Allow or Deny, a Principal in identity
// and session policies (and its absence in resource and trust policies),
// malformed ARNs, principals and policy variables, unknown condition
// operators, condition values of the wrong type, and documents over the
// kind's size limit. Errors are *PolicyError.
func ParsePolicy(doc string, kind PolicyKind) (*Policy, error) {
	if kind < IdentityPolicyKind || kind > TrustPolicyKind {
		return nil, &PolicyError{Statement: -1, Reason: "unknown policy kind " + kind.String(), check: "INVALID_POLICY_KIND"}
	}
	if n, limit := PolicySize(doc, kind), PolicySizeLimit(kind); n > limit {
		return nil, &PolicyError{Statement: -1, check: "POLICY_SIZE_EXCEEDS_QUOTA",
			Reason: fmt.Sprintf("%s policy has %d characters; the limit is %d", kind, n, limit)}
	}
	if err := checkPolicyCharacters(doc, kind); err != nil {
		return nil, err
	}
	root, err := decodePolicyJSON(doc)
	if err != nil {
		return nil, &PolicyError{Statement: -1, Reason: "invalid JSON: " + err.Error(), check: "JSON_SYNTAX_ERROR"}
	}
	if root.kind != policyJSONObject {
		return nil, &PolicyError{Statement: -1, Reason: "policy document must be a JSON object", check: "DATA_TYPE_MISMATCH"}
	}
	p := &Policy{kind: kind}
	var statements *policyJSON
	for i := range root.members {
		m := &root.members[i]
		switch m.name {
		case "Version":
			if m.value.kind != policyJSONString {
				return nil, &PolicyError{Statement: -1, Field: "Version", Reason: "must be a string", check: "DATA_TYPE_MISMATCH"}
			}
			if m.value.text != PolicyVersion2012 && m.value.text != PolicyVersion2008 {
				return nil, &PolicyError{Statement: -1, Field: "Version", check: "INVALID_VERSION",
					Reason: "unsupported version " + policyQuote(m.value.text) + "; use " + PolicyVersion2012}
			}
			p.Version = m.value.text
		case "Id":
			if m.value.kind != policyJSONString {
				return nil, &PolicyError{Statement: -1, Field: "Id", Reason: "must be a string", check: "DATA_TYPE_MISMATCH"}
			}
			p.ID = m.value.text
		case "Statement":
			statements = &m.value
		default:
			return nil, &PolicyError{Statement: -1, Field: m.name, Reason: "unknown element", check: "INVALID_POLICY_ELEMENT"}
		}
	}
	if statements == nil {
		return nil, &PolicyError{Statement: -1, Field: "Statement", Reason: "missing", check: "MISSING_STATEMENT"}
	}
	var list []policyJSON
	switch statements.kind {
	case policyJSONObject:
		list = []policyJSON{*statements}
	case policyJSONArray:
		list = statements.items
	default:
		return nil, &PolicyError{Statement: -1, Field: "Statement", Reason: "must be an object or a list of objects", check: "DATA_TYPE_MISMATCH"}
	}
	if len(list) == 0 {
		return nil, &PolicyError{Statement: -1, Field: "Statement", Reason: "has no statements", check: "MISSING_STATEMENT"}
	}
	sp := statementParser{kind: kind, vars: p.Version == PolicyVersion2012}
	p.Statements = make([]Statement, len(list))
	for i := range list {
		if err := sp.parse(&p.Statements[i], i, &list[i]); err != nil {
			return nil, err
		}
	}
	p.index()
	if kind.iam() {
		// IAM refuses a policy whose statement ids repeat.
		for i := range p.Statements {
			for j := range i {
				if s := p.Statements[i].Sid; s != "" && s == p.Statements[j].Sid {
					return nil, &PolicyError{Statement: i, Sid: s, Field: "Sid", check: "UNIQUE_SIDS_REQUIRED",
						Reason: "repeats the Sid of Statement[" + strconv.Itoa(j) + "]; statement ids must be unique"}
				}
			}
		}
	}
	return p, nil
}

// checkPolicyCharacters enforces IAM's character set on the documents it
// stores (tab, line feed, carriage return and U+0020 to U+00FF) and valid
// UTF-8 on the rest.
func checkPolicyCharacters(doc string, kind PolicyKind) error {
	if !utf8.ValidString(doc) {
		return &PolicyError{Statement: -1, Reason: "document is not valid UTF-8", check: "JSON_SYNTAX_ERROR"}
	}
	if !kind.iam() {
		return nil
	}
	for i, r := range doc {
		if r != '\t' && r != '\n' && r != '\r' && (r < 0x20 || r > 0xff) {
			return &PolicyError{Statement: -1, check: "JSON_SYNTAX_ERROR",
				Reason: fmt.Sprintf("character %U at offset %d is not allowed in an IAM policy", r, i)}
		}
	}
	return nil
}

// statementParser parses the statements of one document.
type statementParser struct {
	kind PolicyKind
	vars bool // substitute policy variables (Version 2012-10-17)
}

func (sp *statementParser) parse(st *Statement, index int, v *policyJSON) *PolicyError {
	st.index = index
	fail := func(field, check, reason string) *PolicyError {
		return &PolicyError{Statement: index, Sid: st.Sid, Field: field, Reason: reason, check: check}
	}
	if v.kind != policyJSONObject {
		return fail("", "DATA_TYPE_MISMATCH", "statement must be an object")
	}
	// The Sid first, so that every error can name it.
	for _, m := range v.members {
		if m.name == "Sid" {
			if m.value.kind != policyJSONString {
				return fail("Sid", "DATA_TYPE_MISMATCH", "must be a string")
			}
			st.Sid, st.hasSid = m.value.text, true
		}
	}
	if sp.kind.iam() && !policySidValid(st.Sid) {
		return fail("Sid", "UNSUPPORTED_SID", "may hold only ASCII letters and digits")
	}
	var action, resource, principal, condition *policyJSON
	var actionName, resourceName, principalName string
	for i := range v.members {
		m := &v.members[i]
		switch m.name {
		case "Sid":
		case "Effect":
			if m.value.kind != policyJSONString {
				return fail("Effect", "DATA_TYPE_MISMATCH", "must be a string")
			}
			switch Effect(m.value.text) {
			case EffectAllow, EffectDeny:
				st.Effect = Effect(m.value.text)
			default:
				return fail("Effect", "INVALID_EFFECT", "must be \"Allow\" or \"Deny\", not "+policyQuote(m.value.text))
			}
		case "Action", "NotAction":
			if action != nil {
				return fail(m.name, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement cannot have both Action and NotAction")
			}
			action, actionName = &m.value, m.name
		case "Resource", "NotResource":
			if resource != nil {
				return fail(m.name, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement cannot have both Resource and NotResource")
			}
			resource, resourceName = &m.value, m.name
		case "Principal", "NotPrincipal":
			if principal != nil {
				return fail(m.name, "UNSUPPORTED_ELEMENT_COMBINATION", "a statement cannot have both Principal and NotPrincipal")
			}
			principal, principalName = &m.value, m.name
		case "Condition":
			condition = &m.value
		default:
			return fail(m.name, "INVALID_POLICY_ELEMENT", "unknown element")
		}
	}
	if st.Effect == "" {
		return fail("Effect", "MISSING_EFFECT", "missing")
	}
	st.deny = st.Effect == EffectDeny
	if err := sp.parseActions(st, action, actionName, fail); err != nil {
		return err
	}
	if err := sp.parseResources(st, resource, resourceName, fail); err != nil {
		return err
	}
	if err := sp.parsePrincipal(st, principal, principalName, fail); err != nil {
		return err
	}
	if condition != nil {
		if err := sp.parseConditions(st, condition, fail); err != nil {
			return err
		}
	}
	return nil
}

type policyFail func(field, check, reason string) *PolicyError

func (sp *statementParser) parseActions(st *Statement, v *policyJSON, name string, fail policyFail) *PolicyError {
	if v == nil {
		return fail("Action", "MISSING_ACTION", "missing; a statement needs Action or NotAction")
	}
	list, ok := policyStrings(v)
	if !ok {
		return fail(name, "DATA_TYPE_MISMATCH", "must be a string or a list of strings")
	}
	if len(list) == 0 {
		return fail(name, "MISSING_ACTION", "must name at least one action")
	}
	for _, a := range list {
		if !policyActionValid(a) {
			return fail(name, "INVALID_ACTION", "action "+policyQuote(a)+" is not \"*\" or service:action")
		}
		if sp.kind == TrustPolicyKind {
			svc, _, _ := strings.Cut(a, ":")
			if !strings.EqualFold(svc, "sts") {
				return fail(name, "UNSUPPORTED_ACTION_IN_POLICY", "a trust policy allows only sts actions, not "+policyQuote(a))
			}
		}
		p, _ := compilePolicyPattern(a, true, false, 0)
		if svc, _, ok := strings.Cut(a, ":"); ok && !strings.ContainsAny(svc, "*?") {
			p.service = svc
		}
		st.actions = append(st.actions, p)
	}
	if name == "NotAction" {
		st.NotActions, st.notAction = list, true
	} else {
		st.Actions = list
	}
	return nil
}

func (sp *statementParser) parseResources(st *Statement, v *policyJSON, name string, fail policyFail) *PolicyError {
	if v == nil {
		if sp.kind == TrustPolicyKind {
			st.anyResource = true
			return nil
		}
		return fail("Resource", "MISSING_RESOURCE", "missing; a statement needs Resource or NotResource")
	}
	if sp.kind == TrustPolicyKind {
		return fail(name, "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE", "a trust policy has no "+name)
	}
	list, ok := policyStrings(v)
	if !ok {
		return fail(name, "DATA_TYPE_MISMATCH", "must be a string or a list of strings")
	}
	for _, r := range list {
		if check, reason := policyResourceProblem(r); check != "" {
			return fail(name, check, reason)
		}
		p, serr := compilePolicyPattern(r, true, sp.vars, arnFifthColon(r)+1)
		if serr != nil {
			return fail(name, serr.check, serr.reason)
		}
		st.resources = append(st.resources, p)
	}
	if name == "NotResource" {
		st.NotResources, st.notResource = list, true
	} else {
		st.Resources = list
	}
	return nil
}

func (sp *statementParser) parsePrincipal(st *Statement, v *policyJSON, name string, fail policyFail) *PolicyError {
	switch {
	case v == nil && (sp.kind == ResourcePolicyKind || sp.kind == TrustPolicyKind):
		return fail("Principal", "MISSING_PRINCIPAL", "missing; every statement of a "+sp.kind.String()+" policy names a Principal")
	case v == nil:
		return nil
	case sp.kind == IdentityPolicyKind || sp.kind == SessionPolicyKind:
		return fail(name, "UNSUPPORTED_PRINCIPAL", "not allowed in "+sp.kind.String()+" policies")
	case name == "NotPrincipal" && sp.kind == TrustPolicyKind:
		return fail(name, "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL", "not allowed in a trust policy")
	}
	ps := &PrincipalSet{}
	switch v.kind {
	case policyJSONString:
		if v.text != "*" {
			return fail(name, "INVALID_PRINCIPAL_FORMAT", "a string principal must be \"*\"; name others as {\"AWS\": ...}")
		}
		ps.Wildcard = true
	case policyJSONObject:
		for _, m := range v.members {
			list, ok := policyStrings(&m.value)
			if !ok {
				return fail(name, "DATA_TYPE_MISMATCH", m.name+" must be a string or a list of strings")
			}
			switch m.name {
			case "AWS":
				ps.AWS = list
			case "Service":
				ps.Service = list
			case "Federated":
				ps.Federated = list
			case "CanonicalUser":
				ps.CanonicalUser = list
			default:
				return fail(name, "INVALID_PRINCIPAL_KEY", "unknown principal type "+policyQuote(m.name))
			}
		}
	default:
		return fail(name, "DATA_TYPE_MISMATCH", "must be \"*\" or an object")
	}
	if check, reason := ps.compile(); check != "" {
		return fail(name, check, reason)
	}
	if name == "NotPrincipal" {
		st.NotPrincipal = ps
	} else {
		st.Principal = ps
	}
	return nil
}

// policyStrings reads a string or a list of strings. The list of an empty
// array is empty but not nil.
func policyStrings(v *policyJSON) ([]string, bool) {
	switch v.kind {
	case policyJSONString:
		return []string{v.text}, true
	case policyJSONArray:
		list := make([]string, 0, len(v.items))
		for _, item := range v.items {
			if item.kind != policyJSONString {
				return nil, false
			}
			list = append(list, item.text)
		}
		return list, true
	}
	return nil, false
}

// policySidValid reports whether sid is an IAM statement id: ASCII letters
// and digits only.
func policySidValid(sid string) bool {
	for i := 0; i < len(sid); i++ {
		c := sid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// policyActionValid reports whether a is "*" or service:action, where the
// service and action may hold wildcards but no other punctuation.
func policyActionValid(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" || strings.Contains(name, ":") {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '*' || c == '?' || c == ':') {
			return false
		}
	}
	return true
}

// policyPartitions are the AWS partitions an ARN may name.
var policyPartitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}

// policyResourceProblem checks a Resource value the way IAM does: "*", or
// an ARN with a known partition and a service without wildcards.
func policyResourceProblem(r string) (check, reason string) {
	if r == "*" {
		return "", ""
	}
	rest, ok := strings.CutPrefix(r, "arn:")
	if !ok {
		return "INVALID_ARN_PREFIX", "resource " + policyQuote(r) + " must be an ARN or \"*\""
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return "MISSING_ARN_FIELD", "resource " + policyQuote(r) + " must be an ARN or \"*\""
	}
	known := partition == "*"
	for _, p := range policyPartitions {
		known = known || p == partition
	}
	if !known {
		return "INVALID_PARTITION", "resource " + policyQuote(r) + " names an unknown partition " + policyQuote(partition)
	}
	service, _, _ := strings.Cut(rest, ":")
	if service == "" || strings.ContainsAny(service, "*?") {
		return "INVALID_SERVICE", "resource " + policyQuote(r) + " must name its service without wildcards"
	}
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return "MISSING_ARN_FIELD", "resource " + policyQuote(r) + " is missing ARN fields"
	}
	return "", ""
}
