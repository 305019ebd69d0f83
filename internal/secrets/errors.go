package secrets

import (
	"errors"
	"fmt"
)

// ErrNotFound reports that no secret matches the SecretId in this region.
var ErrNotFound = errors.New("secret not found")

// ErrDecryption reports that a stored value failed authentication: it was
// tampered with, moved, or sealed under a key this server does not hold.
var ErrDecryption = errors.New("secret value failed to decrypt")

// ErrReplicaReadOnly reports a write attempted on a replica secret.
var ErrReplicaReadOnly = errors.New("operation not permitted on a replica secret")

// ErrMarkedForDeletion reports an operation refused because the secret is
// scheduled for deletion.
var ErrMarkedForDeletion = errors.New("secret is marked for deletion")

// ErrKMSKeyNotFound reports a KmsKeyId that names no key this server holds.
var ErrKMSKeyNotFound = errors.New("kms key not found")

// ExistsError reports a CreateSecret for a name that is taken.
type ExistsError struct{ Name string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("the operation failed because the secret %s already exists", e.Name)
}

// TokenInUseError reports a ClientRequestToken reused with a different value.
type TokenInUseError struct{ Token, ARN string }

func (e *TokenInUseError) Error() string {
	return fmt.Sprintf("client request token %s is already in use for a version of secret %s", e.Token, e.ARN)
}

// VersionNotFoundError reports that the selected version does not exist
// (or, for a stage, that no version carries it).
type VersionNotFoundError struct {
	VersionID string
	Stage     string
}

func (e *VersionNotFoundError) Error() string {
	if e.VersionID != "" {
		return "no secret value for version id " + e.VersionID
	}
	return "no secret value for staging label " + e.Stage
}

// InvalidParameterError reports a parameter whose value is not acceptable.
// Reason is a sentence safe to show the client; it never contains a value.
type InvalidParameterError struct {
	Field  string
	Reason string
}

func (e *InvalidParameterError) Error() string { return e.Field + ": " + e.Reason }

// InvalidRequestError reports a request that is well-formed but not valid
// for the secret's current state. Reason is safe to show the client.
type InvalidRequestError struct{ Reason string }

func (e *InvalidRequestError) Error() string { return e.Reason }

// LimitExceededError reports a quota the request would exceed.
type LimitExceededError struct{ Reason string }

func (e *LimitExceededError) Error() string { return e.Reason }

func invalidParam(field, format string, args ...any) error {
	return &InvalidParameterError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) error {
	return &InvalidRequestError{Reason: fmt.Sprintf(format, args...)}
}
