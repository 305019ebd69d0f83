package params

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Parameter types.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"
)

// Tiers. IntelligentTiering is accepted on input and stored as the tier it
// resolves to.
const (
	TierStandard           = "Standard"
	TierAdvanced           = "Advanced"
	TierIntelligentTiering = "Intelligent-Tiering"
)

// Data types.
const (
	DataTypeText     = "text"
	DataTypeEC2Image = "aws:ec2:image"
)

// DefaultKeyAlias is the KMS key AWS reports for SecureString parameters
// that use the default key. Coffer maps it onto the region's default KMS
// key.
const DefaultKeyAlias = "alias/aws/ssm"

// ReferencePrefix is the parameter path that reads Secrets Manager secrets.
const ReferencePrefix = "/aws/reference/secretsmanager/"

// Limits as AWS documents them.
const (
	MaxVersions         = 100 // versions kept per parameter
	MaxLabelsPerVersion = 10
	MaxLabelLength      = 100
	MaxHierarchyLevels  = 15
	MaxNameLength       = 2048
	MaxDescription      = 1024
	MaxAllowedPattern   = 1024
	MaxStandardValue    = 4096
	MaxAdvancedValue    = 8192
	MaxTags             = 50
	MaxBatch            = 10 // GetParameters, DeleteParameters
	MaxByPathResults    = 10
	MaxDescribeResults  = 50
	MaxHistoryResults   = 50
	DefaultMaxParams    = 10000 // standard parameters per account and region
)

// Call is who is asking and where: the principal and the region of the
// request's SigV4 credential scope, which selects the namespace.
type Call struct {
	Principal       iam.Principal
	Region          string
	SourceIP        string
	SecureTransport bool
}

// Value is a parameter value: plaintext, or for a SecureString read
// without decryption its ciphertext. It redacts itself in every print and
// log; Reveal is the one way to the string.
type Value struct{ s string }

// NewValue returns a Value holding s.
func NewValue(s string) Value { return Value{s: s} }

// Reveal returns the value. Callers must not log or persist it.
func (v Value) Reveal() string { return v.s }

// Len is the value's size in bytes.
func (v Value) Len() int { return len(v.s) }

func (Value) String() string               { return "params.Value(redacted)" }
func (Value) GoString() string             { return "params.Value(redacted)" }
func (Value) Format(f fmt.State, _ rune)   { fmt.Fprint(f, "params.Value(redacted)") }
func (Value) LogValue() slog.Value         { return slog.StringValue("redacted") }
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"redacted"`), nil }

// Tag is user metadata on a parameter.
type Tag struct {
	Key   string
	Value string
}

// Parameter is one version of a parameter as the read operations report
// it. Value is empty for DescribeParameters.
type Parameter struct {
	Name           string
	ARN            string
	Type           string
	Value          Value
	Version        int64
	Selector       string // ":<version>" or ":<label>" when the name had one
	SourceResult   Value  // for /aws/reference/secretsmanager/: the secret as JSON
	Modified       time.Time
	ModifiedUser   string // principal ARN
	DataType       string
	Description    string
	AllowedPattern string
	KeyID          string // SecureString only: as given, or DefaultKeyAlias
	Tier           string
	Labels         []string
}

// PutInput is a PutParameter request. Pointers distinguish absent fields,
// which an overwrite takes from the current version.
type PutInput struct {
	Name           string
	Value          *Value
	Type           string
	Description    *string
	KeyID          string
	Overwrite      bool
	AllowedPattern *string
	Tags           []Tag
	Tier           string
	DataType       string
}

// PutResult is what PutParameter reports.
type PutResult struct {
	Version int64
	Tier    string
}

// Filter is one ParameterStringFilter: Key is Name, Type, KeyId, Path,
// Tier, DataType, Label or tag:<key>; Option is Equals (default),
// BeginsWith, Contains (Name only), or for Path Recursive or OneLevel
// (default).
type Filter struct {
	Key    string
	Option string
	Values []string
}

// LegacyFilter is one of DescribeParameters' older ParametersFilter: Name
// (begins with), Type or KeyId (equals).
type LegacyFilter struct {
	Key    string
	Values []string
}

// ByPathInput is a GetParametersByPath request.
type ByPathInput struct {
	Path           string
	Recursive      bool
	Filters        []Filter
	WithDecryption bool
	MaxResults     int
	NextToken      string
}

// DescribeInput is a DescribeParameters request.
type DescribeInput struct {
	Filters       []Filter
	LegacyFilters []LegacyFilter
	MaxResults    int
	NextToken     string
}

// HistoryInput is a GetParameterHistory request.
type HistoryInput struct {
	Name           string
	WithDecryption bool
	MaxResults     int
	NextToken      string
}
