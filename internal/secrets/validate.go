package secrets

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/coffer-dev/coffer/internal/uuid"
)

// ValidationError reports a value outside the API model's constraints
// (length, range, enum); the API layer answers ValidationException.
type ValidationError struct {
	Field      string // wire path, e.g. "secretString"
	Constraint string // e.g. "Member must have length less than or equal to 65536"
}

// notNull is the constraint of a missing required member.
const notNull = "Member must not be null"

func (e *ValidationError) Error() string {
	value := "Value"
	if e.Constraint == notNull {
		value = "Value null"
	}
	return fmt.Sprintf("1 validation error detected: %s at '%s' failed to satisfy constraint: %s", value, e.Field, e.Constraint)
}

func validateName(name string) error {
	if name == "" {
		return &ValidationError{Field: "name", Constraint: notNull}
	}
	if len(name) > MaxNameLength {
		return &ValidationError{Field: "name", Constraint: "Member must have length less than or equal to 512"}
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("/_+=.@-", c)) {
			return invalidParam("Name", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
		}
	}
	if strings.HasPrefix(name, "arn:") {
		return invalidParam("Name", "Invalid name. A secret name can't start with arn:")
	}
	return nil
}

func validateToken(token string) error {
	if token == "" {
		return nil
	}
	if len(token) < 32 || len(token) > 64 {
		return invalidParam("ClientRequestToken", "ClientRequestToken must be 32-64 characters long.")
	}
	for _, c := range token {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return invalidParam("ClientRequestToken", "ClientRequestToken must contain only alphanumeric characters and hyphens.")
		}
	}
	return nil
}

func validateDescription(d string) error {
	if len(d) > MaxDescription {
		return &ValidationError{Field: "description", Constraint: "Member must have length less than or equal to 2048"}
	}
	return nil
}

func validateValue(v *Value) error {
	if v == nil {
		return nil
	}
	field := "secretString"
	if v.binary {
		field = "secretBinary"
	}
	if v.Len() > MaxValueBytes {
		return &ValidationError{Field: field, Constraint: "Member must have length less than or equal to 65536"}
	}
	if v.binary && len(v.bin) == 0 {
		return &ValidationError{Field: field, Constraint: "Member must have length greater than or equal to 1"}
	}
	return nil
}

func validateStages(stages []string) error {
	if len(stages) > MaxStagesPerVer {
		return &ValidationError{Field: "versionStages", Constraint: "Member must have length less than or equal to 20"}
	}
	for _, st := range stages {
		if st == "" || len(st) > 256 {
			return &ValidationError{Field: "versionStages", Constraint: "Member must have length between 1 and 256"}
		}
	}
	return nil
}

func validateTags(tags []Tag) error {
	if len(tags) > MaxTags {
		return invalidParam("Tags", "Number of tags exceeds the limit of 50.")
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 {
			return &ValidationError{Field: "tags.member.key", Constraint: "Member must have length between 1 and 128"}
		}
		if len(t.Value) > 256 {
			return &ValidationError{Field: "tags.member.value", Constraint: "Member must have length less than or equal to 256"}
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return invalidParam("Tags", "Invalid tag key. The aws: prefix is reserved for use by AWS.")
		}
	}
	return nil
}

func validateRegion(r string) bool {
	if len(r) < 4 || len(r) > 32 {
		return false
	}
	dash := 0
	for _, c := range r {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-':
			dash++
		default:
			return false
		}
	}
	return dash >= 2
}

// newVersionID returns a random RFC 4122 version 4 UUID.
func newVersionID() string { return uuid.New() }

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newSuffix returns the 6 random characters AWS appends to secret ARNs.
func newSuffix() string {
	var out [6]byte
	var b [1]byte
	for i := 0; i < len(out); {
		rand.Read(b[:])
		if int(b[0]) >= 256-256%len(suffixAlphabet) { // reject to stay uniform
			continue
		}
		out[i] = suffixAlphabet[int(b[0])%len(suffixAlphabet)]
		i++
	}
	return string(out[:])
}
