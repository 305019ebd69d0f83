package ref

import (
	"fmt"
	"strconv"
	"strings"
)

// Services a Ref can point into.
const (
	SecretsManager = "secretsmanager"
	SSM            = "ssm"
)

// StageCurrent is the stage of a secret's current version: what a
// reference without a stage or version reads.
const StageCurrent = "AWSCURRENT"

// SecretsManagerReferencePrefix is the Parameter Store path that reads a
// Secrets Manager secret (Serverless v3 parses such values as JSON unless
// the reference says raw).
const SecretsManagerReferencePrefix = "/aws/reference/secretsmanager/"

// Ref is one parsed reference, whatever its dialect.
type Ref struct {
	Service string // SecretsManager or SSM

	// ID is the secret's name or ARN (SecretsManager), or the parameter's
	// name or ARN without a version or label selector (SSM).
	ID string

	// JSONKey, when set, selects one top-level field of the secret's JSON
	// SecretString.
	JSONKey string

	// Stage and VersionID select a Secrets Manager version; at most one is
	// set, and neither means the current version.
	Stage     string
	VersionID string

	// SSMVersion (> 0) or SSMLabel selects a parameter version; at most one
	// is set, and neither means the newest.
	SSMVersion int64
	SSMLabel   string

	// Decrypt asks Parameter Store for the plaintext of a SecureString
	// (WithDecryption). Meaningless for Secrets Manager.
	Decrypt bool

	// Region is where the reference says the secret lives (an ARN's
	// region, Serverless's ${ssm(eu-west-1):...}); empty means the
	// caller's default region.
	Region string

	// Raw asks for the value exactly as stored: no JSON parsing of a
	// Secrets Manager value read through /aws/reference/secretsmanager/
	// (Serverless v3's raw option).
	Raw bool
}

// ParameterName is the Name to send to GetParameter: ID with its ":version"
// or ":label" selector.
func (r Ref) ParameterName() string {
	switch {
	case r.SSMVersion > 0:
		return r.ID + ":" + strconv.FormatInt(r.SSMVersion, 10)
	case r.SSMLabel != "":
		return r.ID + ":" + r.SSMLabel
	}
	return r.ID
}

// Match is one reference found in a value: value[Start:End] is the text to
// replace with what Ref resolves to.
type Match struct {
	Start, End int
	Ref        Ref
}

// SyntaxError reports a malformed reference. Ref is the reference as
// written (or the opening of an unterminated one); it never holds the text
// around the reference.
type SyntaxError struct {
	Ref    string
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("malformed reference %q: %s", e.Ref, e.Reason)
}

// maxQuoted caps how much of a reference an error quotes.
const maxQuoted = 200

func syntaxErr(ref, format string, args ...any) error {
	if len(ref) > maxQuoted {
		ref = ref[:maxQuoted] + "..."
	}
	return &SyntaxError{Ref: ref, Reason: fmt.Sprintf(format, args...)}
}

// Openers of the references that may sit anywhere inside a value.
const (
	openServerless = "${ssm"
	openCFN        = "{{resolve:"
	openAzure      = "@Microsoft.KeyVault("
)

// Find returns every reference in value, in order, without overlaps.
// Serverless, CloudFormation and Azure references are found anywhere in
// the value (several may share one value); ARNs, GCP resource names and
// coffer:// URLs are references only when they are the whole value. A
// value without references yields no matches and no error; a malformed
// reference is an error (*SyntaxError) and no matches.
func Find(value string) ([]Match, error) {
	r, ok, err := whole(value)
	if err != nil {
		return nil, err
	}
	if ok {
		return []Match{{Start: 0, End: len(value), Ref: r}}, nil
	}
	var ms []Match
	for i := 0; i < len(value); {
		start, kind := nextOpener(value, i)
		if start < 0 {
			break
		}
		var (
			r   Ref
			end int
			err error
		)
		switch kind {
		case openServerless:
			r, end, err = parseServerless(value, start)
		case openCFN:
			r, end, err = parseCFN(value, start)
		case openAzure:
			r, end, err = parseAzure(value, start)
		}
		if err != nil {
			return nil, err
		}
		ms = append(ms, Match{Start: start, End: end, Ref: r})
		i = end
	}
	return ms, nil
}

// nextOpener returns the position of the first opener at or after i and
// which one it is, or -1.
func nextOpener(value string, i int) (int, string) {
	best, kind := -1, ""
	for _, o := range []string{openServerless, openCFN, openAzure} {
		j := strings.Index(value[i:], o)
		if o == openServerless {
			// Only ${ssm: and ${ssm(, not ${ssmFoo}.
			for j >= 0 {
				k := i + j + len(o)
				if k < len(value) && (value[k] == ':' || value[k] == '(') {
					break
				}
				next := strings.Index(value[i+j+1:], o)
				if next < 0 {
					j = -1
					break
				}
				j += 1 + next
			}
		}
		if j >= 0 && (best < 0 || i+j < best) {
			best, kind = i+j, o
		}
	}
	return best, kind
}

// whole parses the dialects that are references only as a whole value.
// ok is false, with no error, when value is not one of them.
func whole(value string) (Ref, bool, error) {
	switch {
	case strings.HasPrefix(value, "arn:"):
		return parseARN(value)
	case strings.HasPrefix(value, "projects/"):
		return parseGCP(value)
	case strings.HasPrefix(value, "coffer://"):
		r, err := parseCoffer(value)
		return r, err == nil, err
	}
	return Ref{}, false, nil
}

// Character sets of names, checked so that a typo fails here rather than as
// a confusing "not found".

func isSecretNameChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("/_+=.@-", c) >= 0
}

func isParamNameChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("/_.-", c) >= 0
}

func isTokenChar(c byte) bool { // labels, stages, version ids, JSON keys
	return isAlnum(c) || strings.IndexByte("_.-", c) >= 0
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func all(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	return s != "" && all(s, func(c byte) bool { return '0' <= c && c <= '9' })
}

// isRegion reports whether s looks like an AWS region: us-east-1,
// us-gov-west-1, eu-central-2.
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 || !isDigits(parts[len(parts)-1]) {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || !all(p, func(c byte) bool { return 'a' <= c && c <= 'z' }) {
			return false
		}
	}
	return true
}

// checkSecretName checks a Secrets Manager name (not an ARN).
func checkSecretName(quoted, name string) error {
	switch {
	case name == "":
		return syntaxErr(quoted, "empty secret name")
	case len(name) > 512:
		return syntaxErr(quoted, "secret name longer than 512 characters")
	case !all(name, isSecretNameChar):
		return syntaxErr(quoted, "secret name has a character outside A-Z a-z 0-9 / _ + = . @ -")
	}
	return nil
}

// secretARN parses arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
// at the start of fields (a value split at ':') and returns the ARN, its
// region and the fields after it.
func secretARN(quoted string, f []string) (arn, region string, rest []string, err error) {
	if len(f) < 7 || f[0] != "arn" || !strings.HasPrefix(f[1], "aws") || f[2] != SecretsManager ||
		f[5] != "secret" || f[6] == "" {
		return "", "", nil, syntaxErr(quoted, "not a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)")
	}
	if !isRegion(f[3]) {
		return "", "", nil, syntaxErr(quoted, "secret ARN without a valid region")
	}
	if !isDigits(f[4]) {
		return "", "", nil, syntaxErr(quoted, "secret ARN without a valid account id")
	}
	if err := checkSecretName(quoted, f[6]); err != nil {
		return "", "", nil, err
	}
	return strings.Join(f[:7], ":"), f[3], f[7:], nil
}

// selectVersion sets the JSON key, stage and version id of a Secrets
// Manager reference, refusing both a stage and a version id, as
// CloudFormation and ECS do.
func selectVersion(quoted string, r *Ref, key, stage, version string) error {
	if stage != "" && version != "" {
		return syntaxErr(quoted, "both a version stage and a version id; give one")
	}
	if key != "" && strings.ContainsAny(key, "\x00") {
		return syntaxErr(quoted, "JSON key with a NUL byte")
	}
	if stage != "" && !all(stage, isTokenChar) {
		return syntaxErr(quoted, "version stage has a character outside A-Z a-z 0-9 _ . -")
	}
	if version != "" && !all(version, isTokenChar) {
		return syntaxErr(quoted, "version id has a character outside A-Z a-z 0-9 _ . -")
	}
	r.JSONKey, r.Stage, r.VersionID = key, stage, version
	return nil
}

// parseSSMName parses a parameter name or ARN with an optional ":version"
// or ":label" selector into r (ID, SSMVersion, SSMLabel, and Region for an
// ARN).
func parseSSMName(quoted, s string, r *Ref) error {
	var name, sel string
	hasSel := false
	if strings.HasPrefix(s, "arn:") {
		f := strings.SplitN(s, ":", 7)
		if len(f) < 6 || !strings.HasPrefix(f[1], "aws") || f[2] != SSM ||
			!strings.HasPrefix(f[5], "parameter/") {
			return syntaxErr(quoted, "not a parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)")
		}
		if !isRegion(f[3]) {
			return syntaxErr(quoted, "parameter ARN without a valid region")
		}
		if !isDigits(f[4]) {
			return syntaxErr(quoted, "parameter ARN without a valid account id")
		}
		pname := strings.TrimPrefix(f[5], "parameter")
		if pname == "/" || !all(pname, isParamNameChar) {
			return syntaxErr(quoted, "parameter ARN with an empty or invalid name")
		}
		name, r.Region = strings.Join(f[:6], ":"), f[3]
		if len(f) == 7 {
			sel, hasSel = f[6], true
		}
	} else {
		name, sel, hasSel = strings.Cut(s, ":")
		switch {
		case name == "":
			return syntaxErr(quoted, "empty parameter name")
		case len(name) > 2048:
			return syntaxErr(quoted, "parameter name longer than 2048 characters")
		case !all(name, isParamNameChar):
			return syntaxErr(quoted, "parameter name has a character outside A-Z a-z 0-9 / _ . -")
		}
	}
	r.ID = name
	if !hasSel {
		return nil
	}
	switch {
	case sel == "":
		return syntaxErr(quoted, "empty version or label after ':'")
	case isDigits(sel):
		n, err := strconv.ParseInt(sel, 10, 64)
		if err != nil || n < 1 {
			return syntaxErr(quoted, "parameter version out of range")
		}
		r.SSMVersion = n
	case all(sel, isTokenChar):
		r.SSMLabel = sel
	default:
		return syntaxErr(quoted, "parameter label has a character outside A-Z a-z 0-9 _ . -")
	}
	return nil
}
