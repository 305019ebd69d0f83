package iam

import (
	"strings"
	"unicode/utf8"
)

// policyKey names a condition context key, compiled once: the hash and the
// built-in it stands for let the evaluator find its values without
// lower-casing or allocating.
type policyKey struct {
	name    string // as written in the policy
	hash    uint64 // policyKeyHash(name)
	builtin policyBuiltin
	tag     string // tag key, for aws:PrincipalTag/... and the resource tag keys
	// alias is the other spelling Coffer fills the same value under:
	// aws:ResourceTag/K and secretsmanager:ResourceTag/K.
	alias     string
	aliasHash uint64
}

// policyBuiltin is a context key the evaluator derives from EvalContext
// when the caller did not put it in Keys.
type policyBuiltin uint8

const (
	builtinNone policyBuiltin = iota
	builtinPrincipalArn
	builtinPrincipalAccount
	builtinPrincipalType
	builtinUserID
	builtinUsername
	builtinPrincipalTag
	builtinCurrentTime
	builtinEpochTime
)

func compilePolicyKey(name string) policyKey {
	k := policyKey{name: name, hash: policyKeyHash(name)}
	lower := strings.ToLower(name)
	switch lower {
	case "aws:principalarn":
		k.builtin = builtinPrincipalArn
	case "aws:principalaccount":
		k.builtin = builtinPrincipalAccount
	case "aws:principaltype":
		k.builtin = builtinPrincipalType
	case "aws:userid":
		k.builtin = builtinUserID
	case "aws:username":
		k.builtin = builtinUsername
	case "aws:currenttime":
		k.builtin = builtinCurrentTime
	case "aws:epochtime":
		k.builtin = builtinEpochTime
	}
	const principalTag, awsTag, smTag = "aws:principaltag/", "aws:resourcetag/", "secretsmanager:resourcetag/"
	switch {
	case strings.HasPrefix(lower, principalTag):
		k.builtin = builtinPrincipalTag
		k.tag = name[len(principalTag):]
	case strings.HasPrefix(lower, awsTag):
		k.tag = name[len(awsTag):]
		k.alias = "secretsmanager:ResourceTag/" + k.tag
	case strings.HasPrefix(lower, smTag):
		k.tag = name[len(smTag):]
		k.alias = "aws:ResourceTag/" + k.tag
	}
	if k.alias != "" {
		k.aliasHash = policyKeyHash(k.alias)
	}
	return k
}

// policyKeyHash hashes a condition key name without regard to ASCII case
// (key names are case-insensitive). It reads the length and the first and
// last eight bytes, with bit 0x20 set in each byte (which lower-cases ASCII
// letters, and may merge other characters too): that tells real key names
// apart cheaply, and a collision costs one more comparison, never a wrong
// answer.
func policyKeyHash(s string) uint64 {
	const fold = 0x2020202020202020
	var head, tail uint64
	if len(s) >= 8 {
		head, tail = policyLoad64(s[:8]), policyLoad64(s[len(s)-8:])
	} else {
		for i := 0; i < len(s); i++ {
			head |= uint64(s[i]) << (8 * i)
		}
	}
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	h = (h ^ (head | fold)) * 0xbf58476d1ce4e5b9
	h = (h ^ (tail | fold)) * 0x94d049bb133111eb
	return h ^ h>>31
}

// policyLoad64 reads eight bytes of s little-endian (in one load: the
// compiler merges the byte reads).
func policyLoad64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// policyKeyEqual reports whether two key names are equal without regard
// to ASCII case.
func policyKeyEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// policyPattern is a compiled Action, Resource or condition value: a
// sequence of literal text, wildcards and policy variables.
type policyPattern struct {
	raw  string
	toks []patternToken
	// Fast paths, set when they apply.
	any     bool // the pattern is "*"
	literal bool // a single literal (or empty): compare with text
	text    string
	// prefix is set when the pattern is literal text and one trailing *.
	prefix bool
	vars   int // number of variable tokens
	// service is the service of an action pattern whose service has no
	// wildcard, for a quick first comparison.
	service string
	// ascii is set when the pattern's text is ASCII: case-insensitive
	// comparisons then fold ASCII letters only, which is exact but for
	// the two non-ASCII letters Unicode folds into ASCII (K, ſ).
	ascii bool
}

type patternToken struct {
	kind       patternTokenKind
	text       string // literal text, or the default value of a variable
	key        policyKey
	hasDefault bool
	vi         int // index of a variable among the pattern's variables
}

type patternTokenKind uint8

const (
	ptLiteral patternTokenKind = iota
	ptStar
	ptQuestion
	ptVariable
)

// policySyntaxError reports a malformed policy variable; check is the IAM
// Access Analyzer issue code ValidatePolicy reports.
type policySyntaxError struct {
	check  string
	reason string
}

// compilePolicyPattern compiles s. With wild, * and ? are wildcards; with vars,
// ${...} from byte offset varsFrom on is a policy variable (IAM
// substitutes variables in a Resource only after the ARN's fifth colon,
// and never in a 2008-10-17 policy).
func compilePolicyPattern(s string, wild, vars bool, varsFrom int) (policyPattern, *policySyntaxError) {
	p := policyPattern{raw: s, ascii: policyASCII(s)}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, patternToken{kind: ptLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && i >= varsFrom && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			tok, end, serr := parsePolicyVariable(s, i)
			if serr != nil {
				return p, serr
			}
			if tok.kind == ptLiteral {
				lit.WriteString(tok.text) // ${*}, ${?}, ${$}
			} else {
				flush()
				tok.vi = p.vars
				p.toks = append(p.toks, tok)
				p.vars++
			}
			i = end
			continue
		}
		if wild && (c == '*' || c == '?') {
			flush()
			kind := ptQuestion
			if c == '*' {
				kind = ptStar
			}
			if kind == ptStar && len(p.toks) > 0 && p.toks[len(p.toks)-1].kind == ptStar {
				i++ // ** is *
				continue
			}
			p.toks = append(p.toks, patternToken{kind: kind})
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	switch {
	case len(p.toks) == 0:
		p.literal = true
	case len(p.toks) == 1 && p.toks[0].kind == ptLiteral:
		p.literal, p.text = true, p.toks[0].text
	case len(p.toks) == 1 && p.toks[0].kind == ptStar:
		p.any = true
	case len(p.toks) == 2 && p.toks[0].kind == ptLiteral && p.toks[1].kind == ptStar:
		p.prefix, p.text = true, p.toks[0].text
	}
	return p, nil
}

// parsePolicyVariable parses the variable that starts at s[i] ("${"). It returns
// the token (a literal for the escapes ${*}, ${?} and ${$}) and the offset
// after the closing brace.
func parsePolicyVariable(s string, i int) (patternToken, int, *policySyntaxError) {
	// Find the closing brace, skipping quoted default values, in which ''
	// stands for one quote.
	j, quoted := i+2, false
	for ; j < len(s); j++ {
		c := s[j]
		if quoted {
			if c == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					j++
					continue
				}
				quoted = false
			}
			continue
		}
		if c == '\'' {
			quoted = true
		}
		if c == '}' {
			break
		}
	}
	if j >= len(s) {
		return patternToken{}, 0, &policySyntaxError{"MISSING_BRACE_IN_VARIABLE", "policy variable " + s[i:] + " has no closing brace"}
	}
	body, end := s[i+2:j], j+1
	switch body {
	case "*", "?", "$":
		return patternToken{kind: ptLiteral, text: body}, end, nil
	}
	name, def, hasDefault := strings.Cut(body, ",")
	name = strings.TrimSpace(name)
	if name == "" {
		return patternToken{}, 0, &policySyntaxError{"EMPTY_VARIABLE", "empty policy variable ${" + body + "}"}
	}
	if strings.ContainsAny(name, " \t\r\n") {
		return patternToken{}, 0, &policySyntaxError{"UNSUPPORTED_SPACE_IN_VARIABLE", "policy variable ${" + body + "} has a space in its name"}
	}
	if !validPolicyKeyName(name) {
		return patternToken{}, 0, &policySyntaxError{"INVALID_VARIABLE", "policy variable ${" + body + "} does not name a context key (service:key)"}
	}
	tok := patternToken{kind: ptVariable, key: compilePolicyKey(name)}
	if hasDefault {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return patternToken{}, 0, &policySyntaxError{"MISSING_QUOTE_IN_VARIABLE", "default value of policy variable ${" + body + "} must be in single quotes"}
		}
		inner := def[1 : len(def)-1]
		if strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return patternToken{}, 0, &policySyntaxError{"MISSING_QUOTE_IN_VARIABLE", "default value of policy variable ${" + body + "} has an unpaired quote"}
		}
		tok.text, tok.hasDefault = strings.ReplaceAll(inner, "''", "'"), true
	}
	return tok, end, nil
}

// validPolicyKeyName reports whether name looks like a condition key:
// service:name, with no spaces or quotes.
func validPolicyKeyName(name string) bool {
	svc, key, ok := strings.Cut(name, ":")
	if !ok || svc == "" || key == "" {
		return false
	}
	return !strings.ContainsAny(name, " \t\r\n'\"${}")
}

// patternMode says how a pattern compares with a value.
type patternMode uint8

const (
	modeExact patternMode = iota // case-sensitive
	modeFold                     // case-insensitive
	modeARN                      // case-sensitive; wildcards stay inside the first five ARN segments
)

// match reports whether value matches p, resolving variables through e.
// resolved is false when a variable without a default has no single value:
// such a pattern matches nothing, as in IAM.
func (p *policyPattern) match(e *policyEvaluator, value string, mode patternMode) (matched, resolved bool) {
	switch {
	case p.any && mode != modeARN:
		return true, true
	case p.literal:
		if mode == modeFold {
			return policyFoldEqual(value, p.text, p.ascii), true
		}
		return value == p.text, true
	case p.prefix && mode != modeARN:
		if mode == modeFold {
			return len(value) >= len(p.text) && policyFoldEqual(value[:len(p.text)], p.text, p.ascii), true
		}
		return strings.HasPrefix(value, p.text), true
	}
	// The variables' values go in an array on the stack; writing them to
	// the heap would make the evaluator, which they come from, escape.
	// Patterns with more variables than that copy them (and allocate).
	var stack [8]string
	var vals []string
	switch {
	case p.vars > len(stack):
		vals = make([]string, p.vars)
		for i := range p.toks {
			if v, ok := p.toks[i].resolve(e); !ok {
				return false, false
			} else if p.toks[i].kind == ptVariable {
				vals[p.toks[i].vi] = strings.Clone(v)
			}
		}
	case p.vars > 0:
		for i := range p.toks {
			if v, ok := p.toks[i].resolve(e); !ok {
				return false, false
			} else if p.toks[i].kind == ptVariable {
				stack[p.toks[i].vi] = v
			}
		}
		vals = stack[:p.vars]
	}
	limit := -1
	if mode == modeARN {
		limit = arnFifthColon(value)
	}
	fold := foldNone
	if mode == modeFold {
		fold = foldUnicode
		if p.ascii && p.vars == 0 {
			fold = foldASCII
		}
	}
	return policyGlobMatch(p.toks, vals, value, fold, limit), true
}

// resolve returns the value of a variable token: the context key's value,
// else its default. ok is false if it has neither. Other tokens resolve to
// nothing.
func (t *patternToken) resolve(e *policyEvaluator) (v string, ok bool) {
	if t.kind != ptVariable {
		return "", true
	}
	if v, ok := e.variable(&t.key); ok {
		return v, true
	}
	return t.text, t.hasDefault
}

// arnFifthColon returns the offset of the fifth colon of an ARN, or len(s)
// if it has fewer: the colons up to it separate segments.
func arnFifthColon(s string) int {
	at := -1
	for range 5 {
		i := strings.IndexByte(s[at+1:], ':')
		if i < 0 {
			return len(s)
		}
		at += 1 + i
	}
	return at
}

// policyGlobMatch matches s against toks, where the variable tokens take the
// values in vals, in order. Wildcards are * (any run) and ? (one
// character). With limit >= 0 a wildcard cannot consume a colon at or
// before offset limit, which makes * and ? match within one ARN segment.
// It backtracks only to the last *, which is enough: a later * can always
// absorb what an earlier one would have.
func policyGlobMatch(toks []patternToken, vals []string, s string, fold policyFold, limit int) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case ptStar:
				if ti == len(toks)-1 {
					// A trailing star takes the rest, unless the rest
					// holds a colon it may not cross.
					if limit < 0 || si > limit {
						return true
					}
					return strings.IndexByte(s[si:min(limit+1, len(s))], ':') < 0
				}
				starT, starS = ti, si
				ti++
				continue
			case ptQuestion:
				if si < len(s) && (limit < 0 || s[si] != ':' || si > limit) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				text := t.text
				if t.kind == ptVariable {
					text = vals[t.vi]
				}
				if policyHasPrefix(s[si:], text, fold) {
					si += len(text)
					ti++
					continue
				}
				if ti == starT+1 && fold == foldNone && si < len(s) {
					// The literal follows the star, and si == starS: move
					// the star on to the literal's next occurrence at once
					// rather than a character at a time. If the star would
					// have to cross a colon it may not, nothing can match.
					j := strings.Index(s[si+1:], text)
					if j < 0 {
						return false
					}
					next := si + 1 + j
					if limit >= 0 {
						if c := strings.IndexByte(s[si:next], ':'); c >= 0 && si+c <= limit {
							return false
						}
					}
					starS = next
					si = starS + len(text)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) || (limit >= 0 && s[starS] == ':' && starS <= limit) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		ti, si = starT+1, starS
	}
}

func policyHasPrefix(s, prefix string, fold policyFold) bool {
	if len(s) < len(prefix) {
		return false
	}
	switch fold {
	case foldASCII:
		return policyKeyEqual(s[:len(prefix)], prefix)
	case foldUnicode:
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// policyFold is how a comparison treats case.
type policyFold uint8

const (
	foldNone    policyFold = iota
	foldASCII              // ASCII letters only
	foldUnicode            // Unicode simple folding
)

// policyFoldEqual compares without regard to case, folding ASCII letters
// only when ascii is set.
func policyFoldEqual(a, b string, ascii bool) bool {
	if ascii {
		return policyKeyEqual(a, b)
	}
	return strings.EqualFold(a, b)
}

func policyASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
