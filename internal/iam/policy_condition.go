package iam

import (
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one operator applied to one context key. A Condition
// element with several operators, or several keys under one operator,
// becomes several Conditions, and all of them must hold (AND). The values
// of one Condition are alternatives: any may match (OR), and for a negated
// operator none may (NOR).
//
// A key missing from the request makes the condition false, except that
// ...IfExists operators then hold, Null tests exactly that, negated
// operators (StringNotEquals, ArnNotLike, NotIpAddress, ...) hold,
// ForAllValues holds and ForAnyValue does not. A key with several values
// (aws:TagKeys) is compared value by value: ForAllValues needs every value
// to match, ForAnyValue one; without a set operator Coffer treats the key
// like ForAnyValue for positive operators and as "no value matches" for
// negated ones, which IAM Access Analyzer flags but AWS does not document.
type Condition struct {
	Operator string   // as written: "StringEquals", "ForAnyValue:StringLikeIfExists", ...
	Key      string   // as written: "aws:PrincipalTag/team"
	Values   []string // as written; JSON numbers and booleans as their text

	family   conditionFamily
	compare  conditionCompare
	negated  bool
	ifExists bool
	set      conditionQualifier
	key      policyKey
	patterns []policyPattern // string, ARN and Bool values
	numbers  []float64
	times    []time.Time
	networks []netip.Prefix
	binaries []string // canonical base64
	nulls    []bool   // Null: true means "the key is absent"
}

type conditionFamily uint8

const (
	familyString conditionFamily = iota + 1
	familyNumeric
	familyDate
	familyBool
	familyBinary
	familyIP
	familyARN
	familyNull
)

type conditionCompare uint8

const (
	compareEquals conditionCompare = iota
	compareEqualsFold
	compareLike
	compareLess
	compareLessEquals
	compareGreater
	compareGreaterEquals
)

type conditionQualifier uint8

const (
	qualifierNone conditionQualifier = iota
	qualifierForAnyValue
	qualifierForAllValues
)

type conditionOperator struct {
	family  conditionFamily
	compare conditionCompare
	negated bool
}

// conditionOperators are IAM's condition operators, without the set
// prefixes and the IfExists suffix.
var conditionOperators = map[string]conditionOperator{
	"StringEquals":              {familyString, compareEquals, false},
	"StringNotEquals":           {familyString, compareEquals, true},
	"StringEqualsIgnoreCase":    {familyString, compareEqualsFold, false},
	"StringNotEqualsIgnoreCase": {familyString, compareEqualsFold, true},
	"StringLike":                {familyString, compareLike, false},
	"StringNotLike":             {familyString, compareLike, true},
	"NumericEquals":             {familyNumeric, compareEquals, false},
	"NumericNotEquals":          {familyNumeric, compareEquals, true},
	"NumericLessThan":           {familyNumeric, compareLess, false},
	"NumericLessThanEquals":     {familyNumeric, compareLessEquals, false},
	"NumericGreaterThan":        {familyNumeric, compareGreater, false},
	"NumericGreaterThanEquals":  {familyNumeric, compareGreaterEquals, false},
	"DateEquals":                {familyDate, compareEquals, false},
	"DateNotEquals":             {familyDate, compareEquals, true},
	"DateLessThan":              {familyDate, compareLess, false},
	"DateLessThanEquals":        {familyDate, compareLessEquals, false},
	"DateGreaterThan":           {familyDate, compareGreater, false},
	"DateGreaterThanEquals":     {familyDate, compareGreaterEquals, false},
	"Bool":                      {familyBool, compareEquals, false},
	"BinaryEquals":              {familyBinary, compareEquals, false},
	"IpAddress":                 {familyIP, compareEquals, false},
	"NotIpAddress":              {familyIP, compareEquals, true},
	"ArnEquals":                 {familyARN, compareLike, false}, // ArnEquals and ArnLike are the same
	"ArnLike":                   {familyARN, compareLike, false},
	"ArnNotEquals":              {familyARN, compareLike, true},
	"ArnNotLike":                {familyARN, compareLike, true},
	"Null":                      {familyNull, compareEquals, false},
}

// parseConditions parses a statement's Condition element.
func (sp *statementParser) parseConditions(st *Statement, v *policyJSON, fail policyFail) *PolicyError {
	if v.kind != policyJSONObject {
		return fail("Condition", "DATA_TYPE_MISMATCH", "must be an object of operators")
	}
	for _, op := range v.members {
		if op.value.kind != policyJSONObject {
			return fail("Condition", "DATA_TYPE_MISMATCH", "operator "+policyQuote(op.name)+" must map condition keys to values")
		}
		for i, k := range op.value.members {
			if !conditionKeyValid(k.name) {
				return fail("Condition", "INVALID_CONDITION_KEY_FORMAT", "condition key "+policyQuote(k.name)+" is not service:key")
			}
			for _, prev := range op.value.members[:i] {
				if strings.EqualFold(prev.name, k.name) {
					return fail("Condition", "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
						"condition keys "+policyQuote(prev.name)+" and "+policyQuote(k.name)+" are the same key")
				}
			}
			values, ok := conditionValues(&k.value)
			if !ok {
				return fail("Condition", "DATA_TYPE_MISMATCH",
					"values of "+policyQuote(k.name)+" must be strings, numbers or booleans, or a list of them")
			}
			c := Condition{Operator: op.name, Key: k.name, Values: values}
			if check, reason := c.compile(sp.vars); check != "" {
				return fail("Condition", check, reason)
			}
			st.Conditions = append(st.Conditions, c)
		}
	}
	return nil
}

// conditionKeyValid reports whether key is service:name. Tag keys may hold
// spaces, so only the service part is held to the key syntax.
func conditionKeyValid(key string) bool {
	svc, name, ok := strings.Cut(key, ":")
	return ok && svc != "" && name != "" && !strings.ContainsAny(svc, " \t\r\n*?${}")
}

// conditionValues reads a condition value: a scalar or a list of scalars.
func conditionValues(v *policyJSON) ([]string, bool) {
	if v.scalar() {
		return []string{v.text}, true
	}
	if v.kind != policyJSONArray {
		return nil, false
	}
	values := make([]string, 0, len(v.items))
	for _, item := range v.items {
		if !item.scalar() {
			return nil, false
		}
		values = append(values, item.text)
	}
	return values, true
}

// compile parses c.Operator and c.Values. vars says whether the policy
// substitutes variables.
func (c *Condition) compile(vars bool) (check, reason string) {
	name := c.Operator
	if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		c.set, name = qualifierForAnyValue, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		c.set, name = qualifierForAllValues, rest
	}
	op, ok := conditionOperators[name]
	if !ok {
		if base, found := strings.CutSuffix(name, "IfExists"); found {
			op, ok = conditionOperators[base]
			if ok && op.family == familyNull {
				return "NULL_WITH_IF_EXISTS", "the Null operator has no IfExists form"
			}
			c.ifExists = true
		}
	}
	if !ok {
		return "INVALID_CONDITION_OPERATOR", "unknown operator " + policyQuote(c.Operator)
	}
	c.family, c.compare, c.negated = op.family, op.compare, op.negated
	c.key = compilePolicyKey(c.Key)
	for _, v := range c.Values {
		if check, reason := c.compileValue(v, vars); check != "" {
			return check, reason
		}
	}
	return "", ""
}

func (c *Condition) compileValue(v string, vars bool) (check, reason string) {
	if vars && strings.Contains(v, "${") && c.family != familyString && c.family != familyARN && c.family != familyBool {
		return "INVALID_VARIABLE_FOR_OPERATOR", "policy variables work only with string, ARN and Bool operators, not " + policyQuote(c.Operator)
	}
	switch c.family {
	case familyString, familyARN, familyBool:
		wild := c.compare == compareLike
		p, serr := compilePolicyPattern(v, wild, vars, 0)
		if serr != nil {
			return serr.check, serr.reason
		}
		if c.family == familyBool && p.vars == 0 && !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return "TYPE_MISMATCH_BOOLEAN", "value " + policyQuote(v) + " of " + c.Operator + " is not true or false"
		}
		c.patterns = append(c.patterns, p)
	case familyNumeric:
		n, ok := parsePolicyNumber(v)
		if !ok {
			return "TYPE_MISMATCH_NUMBER", "value " + policyQuote(v) + " of " + c.Operator + " is not a number"
		}
		c.numbers = append(c.numbers, n)
	case familyDate:
		t, ok := parsePolicyDate(v)
		if !ok {
			return "TYPE_MISMATCH_DATE", "value " + policyQuote(v) + " of " + c.Operator + " is not an ISO 8601 date or epoch seconds"
		}
		c.times = append(c.times, t)
	case familyIP:
		p, ok := parsePolicyNetwork(v)
		if !ok {
			return "TYPE_MISMATCH_IP_RANGE", "value " + policyQuote(v) + " of " + c.Operator + " is not an IP address or CIDR range"
		}
		c.networks = append(c.networks, p)
	case familyBinary:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "TYPE_MISMATCH", "value " + policyQuote(v) + " of BinaryEquals is not base64"
		}
		c.binaries = append(c.binaries, base64.StdEncoding.EncodeToString(b))
	case familyNull:
		switch {
		case strings.EqualFold(v, "true"):
			c.nulls = append(c.nulls, true)
		case strings.EqualFold(v, "false"):
			c.nulls = append(c.nulls, false)
		default:
			return "TYPE_MISMATCH_BOOLEAN", "value " + policyQuote(v) + " of Null is not true or false"
		}
	}
	return "", ""
}

// holds reports whether the condition holds for the request.
func (c *Condition) holds(e *policyEvaluator) bool {
	vals := e.lookup(&c.key)
	if c.family == familyNull {
		present := vals.n > 0
		for _, absent := range c.nulls {
			if absent != present {
				return true
			}
		}
		return false
	}
	if vals.n == 0 {
		switch {
		case c.ifExists, c.set == qualifierForAllValues:
			return true
		case c.set == qualifierForAnyValue:
			return false
		}
		return c.negated
	}
	switch c.set {
	case qualifierForAllValues:
		for i := range vals.n {
			if c.matchValue(e, &vals, i) == c.negated {
				return false
			}
		}
		return true
	case qualifierForAnyValue:
		for i := range vals.n {
			if c.matchValue(e, &vals, i) != c.negated {
				return true
			}
		}
		return false
	}
	for i := range vals.n {
		if c.matchValue(e, &vals, i) {
			return !c.negated
		}
	}
	return c.negated
}

// matchValue reports whether the i'th request value matches any of the
// policy's values, ignoring negation.
func (c *Condition) matchValue(e *policyEvaluator, vals *policyValues, i int) bool {
	switch c.family {
	case familyString, familyARN, familyBool:
		s := vals.str(i)
		mode := modeExact
		switch {
		case c.family == familyARN:
			mode = modeARN
		case c.family == familyBool || c.compare == compareEqualsFold:
			mode = modeFold
		}
		for j := range c.patterns {
			if ok, _ := c.patterns[j].match(e, s, mode); ok {
				return true
			}
		}
	case familyNumeric:
		x, ok := vals.number(i)
		if !ok {
			return false
		}
		for _, n := range c.numbers {
			if policyCompare(x, n, c.compare) {
				return true
			}
		}
	case familyDate:
		t, ok := vals.time(i)
		if !ok {
			return false
		}
		for _, want := range c.times {
			if policyCompare(t.Compare(want), 0, c.compare) {
				return true
			}
		}
	case familyIP:
		addr, err := netip.ParseAddr(vals.str(i))
		if err != nil {
			return false
		}
		addr = addr.Unmap()
		for _, n := range c.networks {
			if n.Contains(addr) {
				return true
			}
		}
	case familyBinary:
		s := vals.str(i)
		for _, b := range c.binaries {
			if s == b {
				return true
			}
		}
	}
	return false
}

func policyCompare[T int | float64](x, y T, cmp conditionCompare) bool {
	switch cmp {
	case compareLess:
		return x < y
	case compareLessEquals:
		return x <= y
	case compareGreater:
		return x > y
	case compareGreaterEquals:
		return x >= y
	}
	return x == y
}

// parsePolicyNumber parses an integer or decimal: an optional sign,
// digits, an optional fraction and exponent. It refuses what
// strconv.ParseFloat also takes (hex, Inf, NaN, underscores).
func parsePolicyNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// policyDateLayouts are the W3C profiles of ISO 8601 that IAM accepts for
// date conditions, tried in order; a date without a zone is UTC.
var policyDateLayouts = []string{
	time.RFC3339, // also takes fractional seconds
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parsePolicyDate parses an ISO 8601 date or epoch seconds.
func parsePolicyDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if len(s) != 4 && strings.Trim(s, "0123456789") == "" {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil || secs > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(secs, 0).UTC(), true
	}
	for _, layout := range policyDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePolicyNetwork parses a CIDR range, or an address meaning /32 (/128).
func parsePolicyNetwork(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil || p.Addr().Zone() != "" {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
