package iamapi

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
)

// form reads one request's parameters and checks them against the
// constraints of the IAM API model, collecting every violation the way
// AWS's front end reports them: "2 validation errors detected: Value null
// at 'userName' failed to satisfy constraint: Member must not be null; ...".
// Members are named in lower camel case, as in AWS's messages.
type form struct {
	values url.Values
	caller iam.Principal // stands in for an omitted UserName where AWS allows it
	errs   []string
	// refusal is an error other than a constraint violation (a UserName
	// that cannot be inferred, an unsupported parameter), reported when
	// the parameters are otherwise valid.
	refusal *awsproto.Error
}

// pattern is a model pattern: Go's regexp and the text AWS prints.
type pattern struct {
	re   *regexp.Regexp
	text string
}

func newPattern(goRE, text string) *pattern {
	return &pattern{re: regexp.MustCompile(goRE), text: text}
}

// constraint is a string type of the model: length bounds (max 0: none)
// and an optional pattern the whole value must match.
type constraint struct {
	min, max int
	pattern  *pattern
}

// String types of the IAM API model.
var (
	nameChars = newPattern(`^[\w+=,.@-]+$`, `[\w+=,.@-]+`)

	nameType         = constraint{1, 64, nameChars}  // userNameType, roleNameType
	existingNameType = constraint{1, 128, nameChars} // existingUserNameType, policyNameType
	pathType         = constraint{1, 512, newPattern(`^(/|/[\x21-\x7E]+/)$`, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)}
	pathPrefixType   = constraint{1, 512, newPattern(`^/[\x21-\x7F]*$`, `\u002F[\u0021-\u007F]*`)}
	documentType     = constraint{1, 131072, newPattern(`^[\t\n\r\x20-\x{FF}]+$`, `[\u0009\u000A\u000D\u0020-\u00FF]+`)}
	descriptionType  = constraint{0, 1000, newPattern(`^[\t\n\r\x20-\x7E\x{A1}-\x{FF}]*$`, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)}
	accessKeyIDType  = constraint{16, 128, newPattern(`^\w+$`, `[\w]+`)}
	tagKeyType       = constraint{1, 128, newPattern(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)}
	tagValueType     = constraint{0, 256, newPattern(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)}
	markerType       = constraint{1, 320, nil}
	arnType          = constraint{20, 2048, nil}
)

// get returns param's value and whether the request carried it.
func (f *form) get(param string) (string, bool) {
	v, ok := f.values[param]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// err returns the error for what was read: the ValidationError listing
// every violation, else the refusal, else nil.
func (f *form) err() error {
	switch {
	case len(f.errs) == 1:
		return validationError("1 validation error detected: " + f.errs[0])
	case len(f.errs) > 1:
		return validationError(strconv.Itoa(len(f.errs)) + " validation errors detected: " + strings.Join(f.errs, "; "))
	case f.refusal != nil:
		return f.refusal
	}
	return nil
}

func validationError(msg string) *awsproto.Error {
	return &awsproto.Error{Type: codeValidation, Message: msg, Status: http.StatusBadRequest}
}

// violation records that value ("Value 'v'", "Value null", or "Value"
// when the value is not quoted back) at member breaks constraint.
func (f *form) violation(value, member, constraint string) {
	f.errs = append(f.errs, value+" at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (f *form) null(member string) { f.violation("Value null", member, "Member must not be null") }

// check validates a string member the request carried. Its value is
// quoted back unless echo is false, as for policy documents.
func (f *form) check(member, v string, c constraint, echo bool) {
	value := "Value"
	if echo {
		value = "Value '" + v + "'"
	}
	n := utf8.RuneCountInString(v)
	switch {
	case c.max > 0 && n > c.max:
		f.violation(value, member, "Member must have length less than or equal to "+strconv.Itoa(c.max))
	case n < c.min:
		f.violation(value, member, "Member must have length greater than or equal to "+strconv.Itoa(c.min))
	case c.pattern != nil && !c.pattern.re.MatchString(v):
		f.violation(value, member, "Member must satisfy regular expression pattern: "+c.pattern.text)
	}
}

// optional reads a string member that may be absent ("" then).
func (f *form) optional(param, member string, c constraint) string {
	v, ok := f.get(param)
	if ok {
		f.check(member, v, c, true)
	}
	return v
}

// required reads a string member that must be present.
func (f *form) required(param, member string, c constraint) string {
	v, ok := f.get(param)
	if !ok {
		f.null(member)
		return ""
	}
	f.check(member, v, c, true)
	return v
}

// document reads a required policy document, which is not echoed back.
func (f *form) document(param, member string) string {
	v, ok := f.get(param)
	if !ok {
		f.null(member)
		return ""
	}
	f.check(member, v, documentType, false)
	return v
}

// userOrCaller reads an optional UserName; when it is absent the request
// acts on the calling user, as AWS does for GetUser and the access key
// actions. Credentials that are not a user's (a role session) must name
// the user.
func (f *form) userOrCaller() string {
	if _, ok := f.get("UserName"); ok {
		return f.required("UserName", "userName", existingNameType)
	}
	if f.caller.Name == "" || f.caller.Session != nil && f.caller.Session.RoleName != "" {
		f.refusal = validationError("Must specify userName when calling with non-User credentials")
		return ""
	}
	return f.caller.Name
}

// enum reads a required member whose value must be one of allowed.
func (f *form) enum(param, member string, allowed ...string) string {
	v, ok := f.get(param)
	if !ok {
		f.null(member)
		return ""
	}
	if !slices.Contains(allowed, v) {
		f.violation("Value '"+v+"'", member, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	}
	return v
}

// int reads an optional integer member in [min, max]; def when absent.
func (f *form) int(param, member string, min, max, def int) int {
	v, ok := f.get(param)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		f.violation("Value '"+v+"'", member, "Member must be a number")
	case n < min:
		f.violation("Value '"+v+"'", member, "Member must have value greater than or equal to "+strconv.Itoa(min))
	case n > max:
		f.violation("Value '"+v+"'", member, "Member must have value less than or equal to "+strconv.Itoa(max))
	default:
		return n
	}
	return def
}

// noBoundary refuses PermissionsBoundary: Coffer does not evaluate
// permissions boundaries, and ignoring one would grant more than the
// caller asked for.
func (f *form) noBoundary() {
	if v, ok := f.get("PermissionsBoundary"); ok {
		f.check("permissionsBoundary", v, arnType, true)
		f.refusal = &awsproto.Error{Type: codeInvalidInput, Status: http.StatusBadRequest,
			Message: "Permissions boundaries are not supported by this server."}
	}
}

// memberIndexes returns the indexes N of the list parameter list, sent as
// list.member.N or list.member.N.Field, in ascending order, and whether the
// list was sent at all (an empty list is sent as a bare "list=").
func memberIndexes(values url.Values, list string) ([]int, bool) {
	prefix := list + ".member."
	_, present := values[list]
	var idx []int
	for k := range values {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		present = true
		num, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(num); err == nil && n > 0 && !slices.Contains(idx, n) {
			idx = append(idx, n)
		}
	}
	slices.Sort(idx)
	return idx, present
}

// tags reads a list of Tag structures (Tags.member.N.Key, .Value).
func (f *form) tags(required bool) []iam.Tag {
	idx, present := memberIndexes(f.values, "Tags")
	if !present {
		if required {
			f.null("tags")
		}
		return nil
	}
	tags := make([]iam.Tag, 0, len(idx))
	for i, n := range idx {
		param := "Tags.member." + strconv.Itoa(n)
		member := "tags." + strconv.Itoa(i+1) + ".member"
		tags = append(tags, iam.Tag{
			Key:   f.required(param+".Key", member+".key", tagKeyType),
			Value: f.required(param+".Value", member+".value", tagValueType),
		})
	}
	return tags
}

// tagKeys reads the required list of tag keys (TagKeys.member.N).
func (f *form) tagKeys() []string {
	idx, present := memberIndexes(f.values, "TagKeys")
	if !present {
		f.null("tagKeys")
		return nil
	}
	keys := make([]string, 0, len(idx))
	for i, n := range idx {
		keys = append(keys, f.required("TagKeys.member."+strconv.Itoa(n), "tagKeys."+strconv.Itoa(i+1)+".member", tagKeyType))
	}
	return keys
}

// paging reads Marker and MaxItems (default 100, at most 1000).
func (f *form) paging() paging {
	return paging{
		marker:   f.optional("Marker", "marker", markerType),
		maxItems: f.int("MaxItems", "maxItems", 1, 1000, 100),
	}
}
