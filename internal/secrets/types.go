package secrets

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Stages Secrets Manager gives meaning to.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
	StagePending  = "AWSPENDING"
)

// Limits as AWS documents them.
const (
	MaxValueBytes    = 65536 // SecretString or SecretBinary
	MaxVersions      = 100   // versions kept per secret; oldest unlabeled ones go first
	MaxNameLength    = 512
	MaxStagesPerVer  = 20
	MaxTags          = 50
	MaxDescription   = 2048
	DefaultRecovery  = 30 // days
	MinRecovery      = 7
	MaxRecovery      = 30
	MaxBatchSecrets  = 20
	defaultListLimit = 100
)

// Call is who is asking and where: the principal and the region of the
// request's SigV4 credential scope, which selects the namespace.
type Call struct {
	Principal       iam.Principal
	Region          string
	SourceIP        string
	SecureTransport bool
}

// Value is a plaintext secret value: a string or binary. It redacts itself
// in every print and log; Reveal is the one way to the bytes.
type Value struct {
	str    string
	bin    []byte
	binary bool
}

// StringValue returns a Value holding s.
func StringValue(s string) Value { return Value{str: s} }

// BinaryValue returns a Value holding b.
func BinaryValue(b []byte) Value { return Value{bin: b, binary: true} }

// Reveal returns the plaintext. Callers must not log or persist it.
func (v Value) Reveal() (s string, b []byte, isBinary bool) { return v.str, v.bin, v.binary }

// Len is the value's size in bytes.
func (v Value) Len() int {
	if v.binary {
		return len(v.bin)
	}
	return len(v.str)
}

func (Value) String() string                 { return "secrets.Value(redacted)" }
func (Value) GoString() string               { return "secrets.Value(redacted)" }
func (Value) Format(f fmt.State, _ rune)     { fmt.Fprint(f, "secrets.Value(redacted)") }
func (Value) LogValue() slog.Value           { return slog.StringValue("redacted") }
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"redacted"`), nil }

// Tag is user metadata on a secret.
type Tag struct {
	Key   string
	Value string
}

// Version describes one immutable version of a secret (not its value).
type Version struct {
	ID           string
	Stages       []string
	Created      time.Time
	LastAccessed time.Time // day granularity, as AWS reports it
	KMSKeyIDs    []string
}

// Replica is the state of one replica Region of a primary secret.
type Replica struct {
	Region        string
	KMSKeyID      string
	Status        string // InSync | Failed | InProgress
	StatusMessage string
	LastAccessed  time.Time
}

// Replication statuses as AWS reports them.
const (
	ReplicaInSync     = "InSync"
	ReplicaFailed     = "Failed"
	ReplicaInProgress = "InProgress"
)

// Secret is the metadata of a secret, as DescribeSecret reports it.
type Secret struct {
	ARN           string
	Name          string
	Description   string
	KMSKeyID      string // as the user gave it; empty for the default key
	Tags          []Tag
	Created       time.Time
	LastChanged   time.Time
	LastAccessed  time.Time
	DeletedDate   time.Time // zero unless scheduled for deletion
	PurgeAt       time.Time // when the purge is due
	PrimaryRegion string    // set on replicas and on primaries that have replicas
	Replicas      []Replica
	Versions      []Version // oldest first
	// IsReplica is true when this record is a read-only copy of a secret
	// whose primary lives in PrimaryRegion.
	IsReplica     bool
	OwningService string
	// Rotation is nil for a secret never configured for rotation.
	Rotation *Rotation
}

// VersionStages maps each version id with at least one stage to its stages,
// or every version when deprecated is true.
func (s *Secret) VersionStages() map[string][]string {
	m := make(map[string][]string, len(s.Versions))
	for _, v := range s.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = v.Stages
		}
	}
	return m
}

// SecretValue is what GetSecretValue returns.
type SecretValue struct {
	ARN     string
	Name    string
	Version Version
	Value   Value
}
