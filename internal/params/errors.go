package params

import (
	"errors"
	"fmt"
)

// ErrDecryption reports that a stored value or record failed
// authentication: it was tampered with, moved, or sealed under a key this
// server does not hold.
var ErrDecryption = errors.New("parameter value failed to decrypt")

// ErrInvalidNextToken reports a NextToken this server did not issue.
var ErrInvalidNextToken = errors.New("invalid next token")

// ErrTooManyTags reports a request that would leave a parameter with more
// than MaxTags tags.
var ErrTooManyTags = errors.New("too many tags")

// ErrInvalidResourceType reports a tagging request for a resource type
// other than Parameter.
var ErrInvalidResourceType = errors.New("invalid resource type")

// ErrInvalidResourceID reports a tagging request for a parameter that
// does not exist.
var ErrInvalidResourceID = errors.New("invalid resource id")

// ErrLabelLimit reports a version that would carry more than
// MaxLabelsPerVersion labels.
var ErrLabelLimit = errors.New("a parameter version can have at most 10 labels")

// ErrHierarchyLevels reports a name deeper than MaxHierarchyLevels.
var ErrHierarchyLevels = errors.New("parameter name has more than 15 hierarchy levels")

// ErrTypeMismatch reports an overwrite that changes a parameter's type.
var ErrTypeMismatch = errors.New("parameter type cannot be changed")

// ErrParameterLimit reports a create beyond the region's parameter quota.
var ErrParameterLimit = errors.New("parameter limit exceeded")

// ErrUnsupportedType reports a type the parameter's data type does not
// allow.
var ErrUnsupportedType = errors.New("unsupported parameter type")

// ErrExists reports a PutParameter without Overwrite for a name that is taken.
var ErrExists = errors.New("parameter already exists")

// NotFoundError reports that no parameter has Name in this region (Name is
// as the caller sent it, selector included).
type NotFoundError struct {
	Name string
	// Reference is true for /aws/reference/secretsmanager/ names whose
	// secret does not exist.
	Reference bool
}

func (e *NotFoundError) Error() string { return "parameter " + e.Name + " not found" }

// VersionNotFoundError reports a version or label selector that names no
// version of Name.
type VersionNotFoundError struct {
	Name    string
	Version string // the number or label asked for
}

func (e *VersionNotFoundError) Error() string {
	return fmt.Sprintf("version %s of parameter %s not found", e.Version, e.Name)
}

// MaxVersionError reports an overwrite refused because the oldest of
// MaxVersions versions carries a label and so cannot be dropped.
type MaxVersionError struct {
	Name    string
	Version int64
}

func (e *MaxVersionError) Error() string {
	return fmt.Sprintf("parameter %s: oldest version %d has a label and cannot be dropped", e.Name, e.Version)
}

// ReservedNameError reports a name under the reserved /aws/ hierarchy.
type ReservedNameError struct{ Name string }

func (e *ReservedNameError) Error() string { return "reserved parameter name " + e.Name }

// InvalidPatternError reports an AllowedPattern that is not a valid
// regular expression.
type InvalidPatternError struct{ Pattern string }

func (e *InvalidPatternError) Error() string { return "invalid allowed pattern " + e.Pattern }

// PatternMismatchError reports a value that does not match the
// parameter's AllowedPattern. It never carries the value.
type PatternMismatchError struct{ Pattern string }

func (e *PatternMismatchError) Error() string {
	return "parameter value does not match allowed pattern " + e.Pattern
}

// InvalidKeyIDError reports a KeyId that names no KMS key of this region.
type InvalidKeyIDError struct{ KeyID string }

func (e *InvalidKeyIDError) Error() string { return "invalid KMS key id " + e.KeyID }

// ValidationError reports input that fails a constraint. Reason is the
// sentence shown to the client; it never contains a value.
type ValidationError struct{ Reason string }

func (e *ValidationError) Error() string { return e.Reason }

// FilterError reports a bad ParameterFilters entry. Kind is "key",
// "value" or "option"; Reason is shown to the client.
type FilterError struct {
	Kind   string
	Reason string
}

func (e *FilterError) Error() string { return "invalid filter " + e.Kind + ": " + e.Reason }

func validationf(format string, args ...any) error {
	return &ValidationError{Reason: fmt.Sprintf(format, args...)}
}
