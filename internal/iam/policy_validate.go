package iam

import (
	"slices"
	"strconv"
	"strings"
)

// FindingType is the severity of a Finding, with IAM Access Analyzer's
// names.
type FindingType string

const (
	FindingError           FindingType = "ERROR"            // the policy is refused, or cannot work
	FindingSecurityWarning FindingType = "SECURITY_WARNING" // the policy grants more than is safe
	FindingWarning         FindingType = "WARNING"          // the policy likely does not do what was meant
	FindingSuggestion      FindingType = "SUGGESTION"       // the policy works but could be simpler
)

// Finding is one result of ValidatePolicy.
type Finding struct {
	Type      FindingType
	Check     string // issue code, as IAM Access Analyzer names it: "ALLOW_WITH_NOT_PRINCIPAL"
	Message   string
	Statement int // index of the statement concerned, or -1 for the document
}

// ValidatePolicy checks doc as a policy of the given kind in the manner of
// IAM Access Analyzer's ValidatePolicy: a document ParsePolicy refuses
// gives one ERROR; one it accepts may still give errors (what AWS stores
// but cannot work), security warnings (Allow with NotPrincipal, public
// access), warnings (unknown Secrets Manager actions and condition keys,
// operators of the wrong type, wildcards in exact-match operators) and
// suggestions (empty Sids and arrays, redundant actions and resources).
// It returns nil for a policy with nothing to report.
func ValidatePolicy(doc string, kind PolicyKind) []Finding {
	p, err := ParsePolicy(doc, kind)
	if err != nil {
		pe, _ := err.(*PolicyError)
		return []Finding{{Type: FindingError, Check: pe.check, Message: pe.Error(), Statement: pe.Statement}}
	}
	v := policyValidator{p: p}
	v.validate()
	return v.findings
}

type policyValidator struct {
	p        *Policy
	findings []Finding
}

func (v *policyValidator) add(t FindingType, stmt int, check, msg string) {
	v.findings = append(v.findings, Finding{Type: t, Check: check, Message: msg, Statement: stmt})
}

func (v *policyValidator) validate() {
	p := v.p
	if p.Version == "" {
		v.add(FindingWarning, -1, "MISSING_VERSION",
			"the policy has no Version, so it is read as 2008-10-17, without policy variables; add \"Version\": \"2012-10-17\"")
	}
	for i := range p.Statements {
		v.statement(&p.Statements[i])
	}
}

func (v *policyValidator) statement(s *Statement) {
	i := s.index
	if s.hasSid && s.Sid == "" {
		v.add(FindingSuggestion, i, "EMPTY_SID_VALUE", "the Sid is empty; remove it or give the statement a name")
	}
	if s.Sid != "" && !v.p.kind.iam() {
		for _, prev := range v.p.Statements[:i] {
			if prev.Sid == s.Sid {
				v.add(FindingWarning, i, "UNIQUE_SIDS_RECOMMENDED", "the Sid "+policyQuote(s.Sid)+" is used by more than one statement")
				break
			}
		}
	}
	if s.Effect == EffectAllow && s.NotPrincipal != nil {
		v.add(FindingSecurityWarning, i, "ALLOW_WITH_NOT_PRINCIPAL",
			"Allow with NotPrincipal grants access to every principal not listed, including anonymous ones; name the principals in Principal instead")
	}
	if s.Effect == EffectAllow && s.Principal != nil && statementPublic(s) {
		v.add(FindingSecurityWarning, i, "PUBLIC_ACCESS",
			"the statement allows any principal (\"*\") without a condition that limits it to an account, principal, network or source")
	}
	for _, ps := range []*PrincipalSet{s.Principal, s.NotPrincipal} {
		if ps != nil && ps.empty() {
			v.add(FindingSuggestion, i, "EMPTY_ARRAY_PRINCIPAL", "the principal element names no principal, so the statement applies to no one")
		}
	}
	v.actions(s)
	v.resources(s)
	for j := range s.Conditions {
		v.condition(i, &s.Conditions[j])
	}
}

func (v *policyValidator) actions(s *Statement) {
	list := s.Actions
	if s.notAction {
		list = s.NotActions
	}
	for j, a := range list {
		svc, name, _ := strings.Cut(a, ":")
		if a != "*" && strings.ContainsAny(svc, "*?") {
			v.add(FindingSuggestion, s.index, "WILDCARD_IN_SERVICE_NAME", "the service of action "+policyQuote(a)+" has a wildcard; name the service")
		}
		if strings.EqualFold(svc, "secretsmanager") && !knownSecretsManagerAction(name) {
			v.add(FindingWarning, s.index, "INVALID_ACTION", "action "+policyQuote(a)+" matches no Secrets Manager action")
		}
		for k, b := range list {
			if k != j && actionCovers(b, a, k < j) {
				v.add(FindingSuggestion, s.index, "REDUNDANT_ACTION", "action "+policyQuote(a)+" is already covered by "+policyQuote(b))
				break
			}
		}
	}
}

// actionCovers reports whether action pattern b makes a redundant. Equal
// patterns cover each other; only the later one is reported (earlier).
func actionCovers(b, a string, earlier bool) bool {
	if strings.EqualFold(a, b) {
		return earlier
	}
	if b == "*" {
		return true
	}
	if !strings.ContainsAny(a, "*?") {
		p, _ := compilePolicyPattern(b, true, false, 0)
		return policyGlobMatch(p.toks, nil, a, foldUnicode, -1)
	}
	bsvc, bname, _ := strings.Cut(b, ":")
	asvc, _, _ := strings.Cut(a, ":")
	return bname == "*" && strings.EqualFold(asvc, bsvc)
}

func (v *policyValidator) resources(s *Statement) {
	name, list := "Resource", s.Resources
	if s.notResource {
		name, list = "NotResource", s.NotResources
	}
	if list != nil && len(list) == 0 {
		v.add(FindingSuggestion, s.index, "EMPTY_ARRAY_RESOURCE", "the "+name+" element is an empty list, so the statement applies to no resource")
	}
	for j, r := range list {
		if v.p.Version == PolicyVersion2012 {
			if fifth := arnFifthColon(r); fifth < len(r) && strings.Contains(r[:fifth], "${") {
				v.add(FindingWarning, s.index, "VARIABLE_UNSUPPORTED_IN_ARN_PREFIX",
					"resource "+policyQuote(r)+" has a policy variable before the resource part of the ARN, where it is not substituted")
			}
		} else if strings.Contains(r, "${") {
			v.add(FindingError, s.index, "VARIABLE_UNSUPPORTED_IN_VERSION",
				"resource "+policyQuote(r)+" uses a policy variable, which needs Version 2012-10-17; it is read as literal text")
		}
		for k, b := range list {
			if k != j && resourceCovers(b, r, k < j, s.resources[k]) {
				v.add(FindingSuggestion, s.index, "REDUNDANT_RESOURCE", "resource "+policyQuote(r)+" is already covered by "+policyQuote(b))
				break
			}
		}
	}
}

func resourceCovers(b, a string, earlier bool, bp policyPattern) bool {
	switch {
	case a == b:
		return earlier
	case b == "*":
		return true
	case strings.ContainsAny(a, "*?") || strings.Contains(a, "${") || bp.vars > 0:
		return false
	}
	return policyGlobMatch(bp.toks, nil, a, foldNone, -1)
}

func (v *policyValidator) condition(stmt int, c *Condition) {
	if len(c.Values) == 0 {
		check := "EMPTY_ARRAY_CONDITION"
		switch {
		case c.set == qualifierForAllValues:
			check += "_FOR_ALL_VALUES"
		case c.set == qualifierForAnyValue:
			check += "_FOR_ANY_VALUE"
		case c.ifExists:
			check += "_IF_EXISTS"
		}
		v.add(FindingSuggestion, stmt, check, c.Operator+" on "+policyQuote(c.Key)+" has no values")
	}
	if c.family == familyNull && c.set != qualifierNone {
		v.add(FindingSuggestion, stmt, "NULL_WITH_QUALIFIER", "the Null operator ignores "+policyQuote(c.Operator[:strings.IndexByte(c.Operator, ':')]))
	}
	if c.family == familyBool && len(c.Values) > 1 {
		v.add(FindingError, stmt, "INVALID_CONDITION_MULTIPLE_BOOLEAN", "Bool on "+policyQuote(c.Key)+" takes a single value")
	}
	if c.family == familyString && c.compare != compareLike {
		for _, val := range c.Values {
			plain := strings.NewReplacer("${*}", "", "${?}", "").Replace(val)
			if strings.ContainsAny(plain, "*?") {
				v.add(FindingWarning, stmt, "WILDCARD_WITHOUT_LIKE_OPERATOR",
					"value "+policyQuote(val)+" of "+c.Operator+" has a * or ?, which match only themselves; use StringLike for wildcards")
				break
			}
		}
	}
	if v.p.Version != PolicyVersion2012 {
		for _, val := range c.Values {
			if strings.Contains(val, "${") {
				v.add(FindingError, stmt, "VARIABLE_UNSUPPORTED_IN_VERSION",
					"value "+policyQuote(val)+" uses a policy variable, which needs Version 2012-10-17; it is read as literal text")
				break
			}
		}
	}
	info, known := conditionKeyInfo(c.Key)
	if !known {
		lower := strings.ToLower(c.Key)
		if strings.HasPrefix(lower, "aws:") || strings.HasPrefix(lower, "secretsmanager:") {
			v.add(FindingWarning, stmt, "UNKNOWN_CONDITION_KEY", "condition key "+policyQuote(c.Key)+" is not one AWS or Secrets Manager defines")
		}
		return
	}
	if c.family != familyNull && !info.accepts(c.family) {
		v.add(FindingWarning, stmt, "TYPE_MISMATCH",
			"condition key "+policyQuote(c.Key)+" is "+info.typ.String()+"; "+c.Operator+" does not compare it as such")
	}
	switch {
	case info.multi && c.set == qualifierNone && c.family != familyNull:
		v.add(FindingError, stmt, "MISSING_QUALIFIER",
			"condition key "+policyQuote(c.Key)+" has several values in a request; qualify "+c.Operator+" with ForAllValues or ForAnyValue")
	case !info.multi && c.set == qualifierForAllValues:
		v.add(FindingSecurityWarning, stmt, "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY",
			"ForAllValues on the single-valued key "+policyQuote(c.Key)+" also holds when the key is missing; drop the qualifier")
	}
}

// statementPublic reports whether a statement's Principal is "*" without a
// condition that pins it down (see IsPublic).
func statementPublic(s *Statement) bool {
	if s.NotPrincipal != nil {
		return true
	}
	if s.Principal == nil || !s.Principal.Wildcard {
		return false
	}
	for i := range s.Conditions {
		if conditionPins(&s.Conditions[i]) {
			return false
		}
	}
	return true
}

// IsPublic reports whether p grants access to anyone: the check behind
// PutResourcePolicy's BlockPublicPolicy.
//
// A policy is public if one of its Allow statements has Principal "*" (or
// {"AWS": "*"}, or NotPrincipal) and none of its conditions pins the
// statement down. A condition pins it down if it is StringEquals,
// StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike or IpAddress,
// without IfExists and without ForAllValues (both hold when the key is
// missing), on one of aws:PrincipalAccount, aws:PrincipalArn,
// aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceAccount,
// aws:SourceArn, aws:SourceOwner, aws:SourceOrgID, aws:SourceOrgPaths,
// aws:SourceVpc, aws:SourceVpce, aws:SourceIp, aws:userid or aws:username,
// and every one of its values is fixed: no policy variable, no wildcard
// (for ARNs: none in the account field), and for aws:SourceIp a range no
// wider than /8 (IPv4) or /32 (IPv6). Deny statements never make a policy
// public.
func IsPublic(p *Policy) bool {
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Effect == EffectAllow && statementPublic(s) {
			return true
		}
	}
	return false
}

// policyPinningKeys are the condition keys that can limit a "*" principal.
var policyPinningKeys = []string{
	"aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:principalorgpaths",
	"aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
	"aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:userid", "aws:username",
}

func conditionPins(c *Condition) bool {
	if c.negated || c.ifExists || c.set == qualifierForAllValues || len(c.Values) == 0 {
		return false
	}
	key := strings.ToLower(c.Key)
	if !slices.Contains(policyPinningKeys, key) {
		return false
	}
	switch c.family {
	case familyIP:
		for _, n := range c.networks {
			if n.Bits() < 8 || (n.Addr().Is6() && n.Bits() < 32) {
				return false
			}
		}
		return key == "aws:sourceip"
	case familyString, familyARN:
		for j := range c.patterns {
			p := &c.patterns[j]
			if p.vars > 0 {
				return false
			}
			if key == "aws:principalarn" || key == "aws:sourcearn" {
				a, ok := splitPolicyARN(p.raw)
				if !ok || a.account == "" || strings.ContainsAny(a.account, "*?") {
					return false
				}
				continue
			}
			if c.compare == compareLike && strings.ContainsAny(p.raw, "*?") {
				return false
			}
		}
		return true
	}
	return false
}

// secretsManagerActions are the actions Secrets Manager defines.
var secretsManagerActions = []string{
	"BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy",
	"DeleteSecret", "DescribeSecret", "GetRandomPassword", "GetResourcePolicy",
	"GetSecretValue", "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy",
	"PutSecretValue", "RemoveRegionsFromReplication", "ReplicateSecretToRegions",
	"RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
	"UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy",
}

// knownSecretsManagerAction reports whether the action name (after
// "secretsmanager:"), which may hold wildcards, matches a Secrets Manager
// action.
func knownSecretsManagerAction(name string) bool {
	p, _ := compilePolicyPattern(name, true, false, 0)
	for _, a := range secretsManagerActions {
		if policyGlobMatch(p.toks, nil, a, foldUnicode, -1) {
			return true
		}
	}
	return false
}

// conditionKeyType is what a known condition key holds.
type conditionKeyType uint8

const (
	ckString conditionKeyType = iota
	ckARN
	ckDate
	ckEpoch // numeric or date
	ckNumeric
	ckBool
	ckIP
)

func (t conditionKeyType) String() string {
	switch t {
	case ckARN:
		return "an ARN"
	case ckDate:
		return "a date"
	case ckEpoch:
		return "a number of seconds"
	case ckNumeric:
		return "a number"
	case ckBool:
		return "a boolean"
	case ckIP:
		return "an IP address"
	}
	return "a string"
}

type conditionKeyDesc struct {
	typ   conditionKeyType
	multi bool // the request may carry several values
}

func (d conditionKeyDesc) accepts(f conditionFamily) bool {
	switch d.typ {
	case ckARN:
		return f == familyARN || f == familyString
	case ckDate:
		return f == familyDate
	case ckEpoch:
		return f == familyDate || f == familyNumeric
	case ckNumeric:
		return f == familyNumeric
	case ckBool:
		return f == familyBool
	case ckIP:
		return f == familyIP
	}
	return f == familyString
}

// knownConditionKeys are the global keys and Secrets Manager's keys, by
// lower-cased name. Tag keys (aws:RequestTag/K, ...) are matched by prefix.
var knownConditionKeys = map[string]conditionKeyDesc{
	"aws:calledvia":                    {ckString, true},
	"aws:calledviafirst":               {ckString, false},
	"aws:calledvialast":                {ckString, false},
	"aws:currenttime":                  {ckDate, false},
	"aws:ec2instancesourceprivateipv4": {ckIP, false},
	"aws:ec2instancesourcevpc":         {ckString, false},
	"aws:epochtime":                    {ckEpoch, false},
	"aws:federatedprovider":            {ckString, false},
	"aws:multifactorauthage":           {ckNumeric, false},
	"aws:multifactorauthpresent":       {ckBool, false},
	"aws:principalaccount":             {ckString, false},
	"aws:principalarn":                 {ckARN, false},
	"aws:principalisawsservice":        {ckBool, false},
	"aws:principalorgid":               {ckString, false},
	"aws:principalorgpaths":            {ckString, true},
	"aws:principalservicename":         {ckString, false},
	"aws:principalservicenameslist":    {ckString, true},
	"aws:principaltype":                {ckString, false},
	"aws:referer":                      {ckString, false},
	"aws:requestedregion":              {ckString, false},
	"aws:resourceaccount":              {ckString, false},
	"aws:resourceorgid":                {ckString, false},
	"aws:resourceorgpaths":             {ckString, true},
	"aws:securetransport":              {ckBool, false},
	"aws:sourceaccount":                {ckString, false},
	"aws:sourcearn":                    {ckARN, false},
	"aws:sourceidentity":               {ckString, false},
	"aws:sourceip":                     {ckIP, false},
	"aws:sourceorgid":                  {ckString, false},
	"aws:sourceorgpaths":               {ckString, false},
	"aws:sourceowner":                  {ckString, false},
	"aws:sourcevpc":                    {ckString, false},
	"aws:sourcevpcarn":                 {ckARN, false},
	"aws:sourcevpce":                   {ckString, false},
	"aws:tagkeys":                      {ckString, true},
	"aws:tokenissuetime":               {ckDate, false},
	"aws:useragent":                    {ckString, false},
	"aws:userid":                       {ckString, false},
	"aws:username":                     {ckString, false},
	"aws:viaawsservice":                {ckBool, false},
	"aws:vpcsourceip":                  {ckIP, false},

	"secretsmanager:addreplicaregions":               {ckString, true},
	"secretsmanager:allowrotationlambdaarn":          {ckARN, false},
	"secretsmanager:blockpublicpolicy":               {ckBool, false},
	"secretsmanager:description":                     {ckString, false},
	"secretsmanager:forcedeletewithoutrecovery":      {ckBool, false},
	"secretsmanager:forceoverwritereplicasecret":     {ckBool, false},
	"secretsmanager:kmskeyarn":                       {ckARN, false},
	"secretsmanager:kmskeyid":                        {ckString, false},
	"secretsmanager:modifyrotationrules":             {ckBool, false},
	"secretsmanager:name":                            {ckString, false},
	"secretsmanager:recoverywindowindays":            {ckNumeric, false},
	"secretsmanager:resource/allowrotationlambdaarn": {ckARN, false},
	"secretsmanager:rotateimmediately":               {ckBool, false},
	"secretsmanager:rotationlambdaarn":               {ckARN, false},
	"secretsmanager:secretid":                        {ckARN, false},
	"secretsmanager:secretprimaryregion":             {ckString, false},
	"secretsmanager:type":                            {ckString, false},
	"secretsmanager:versionid":                       {ckString, false},
	"secretsmanager:versionstage":                    {ckString, false},
}

var policyTagKeyPrefixes = []string{"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/", "secretsmanager:resourcetag/"}

func conditionKeyInfo(key string) (conditionKeyDesc, bool) {
	lower := strings.ToLower(key)
	for _, prefix := range policyTagKeyPrefixes {
		if strings.HasPrefix(lower, prefix) && len(lower) > len(prefix) {
			return conditionKeyDesc{typ: ckString}, true
		}
	}
	d, ok := knownConditionKeys[lower]
	return d, ok
}

// String returns the finding as one line.
func (f Finding) String() string {
	where := ""
	if f.Statement >= 0 {
		where = "Statement[" + strconv.Itoa(f.Statement) + "]: "
	}
	return string(f.Type) + " " + f.Check + ": " + where + f.Message
}
