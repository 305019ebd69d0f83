package secretsmanager

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/password"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/secrets"
)

// The one table from domain errors to AWS Secrets Manager's error types,
// statuses and messages. Every client error is HTTP 400, as AWS sends it;
// anything unrecognised is an InternalServiceError whose cause is logged,
// never sent.

const (
	typeResourceNotFound  = "ResourceNotFoundException"
	typeInvalidParameter  = "InvalidParameterException"
	typeInvalidRequest    = "InvalidRequestException"
	typeResourceExists    = "ResourceExistsException"
	typeLimitExceeded     = "LimitExceededException"
	typeDecryptionFailure = "DecryptionFailure"
	typeValidation        = "ValidationException"
	typeAccessDenied      = "AccessDeniedException"
	typeInternal          = "InternalServiceError"
)

var sentinels = []struct {
	err error
	typ string
	msg string
}{
	{secrets.ErrNotFound, typeResourceNotFound, "Secrets Manager can't find the specified secret."},
	{secrets.ErrMarkedForDeletion, typeInvalidRequest, "You can't perform this operation on the secret because it was marked for deletion."},
	{secrets.ErrReplicaReadOnly, typeInvalidParameter, "Operation not permitted on a replica secret. Call must be made in primary secret's region."},
	{secrets.ErrDecryption, typeDecryptionFailure, "Secrets Manager can't decrypt the protected secret text using the provided KMS key."},
	{secrets.ErrKMSKeyNotFound, typeResourceNotFound, "Secrets Manager can't find the specified KMS key."},
	{secrets.ErrPublicPolicy, "PublicPolicyException", "BlockPublicPolicy is enabled and the resource policy grants access to anyone: it would make the secret public."},
}

func clientError(typ, msg string) *awsproto.Error {
	return &awsproto.Error{Type: typ, Message: msg, Status: http.StatusBadRequest}
}

// toAWS maps err to the AWS error the client sees.
func (a *API) toAWS(ctx context.Context, err error) *awsproto.Error {
	if ae, ok := errors.AsType[*awsproto.Error](err); ok {
		return ae
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return clientError(s.typ, s.msg)
		}
	}
	if e, ok := errors.AsType[*secrets.VersionNotFoundError](err); ok {
		if e.VersionID != "" {
			return clientError(typeResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: "+e.VersionID)
		}
		return clientError(typeResourceNotFound, "Secrets Manager can't find the specified secret value for staging label: "+e.Stage)
	}
	if e, ok := errors.AsType[*secrets.ExistsError](err); ok {
		return clientError(typeResourceExists, "The operation failed because the secret "+e.Name+" already exists.")
	}
	if e, ok := errors.AsType[*secrets.TokenInUseError](err); ok {
		return clientError(typeResourceExists, "You can't use ClientRequestToken "+e.Token+" because that value is already in use for a version of secret "+e.ARN+".")
	}
	if e, ok := errors.AsType[*secrets.InvalidParameterError](err); ok {
		return clientError(typeInvalidParameter, e.Reason)
	}
	if e, ok := errors.AsType[*secrets.InvalidRequestError](err); ok {
		return clientError(typeInvalidRequest, e.Reason)
	}
	if e, ok := errors.AsType[*secrets.LimitExceededError](err); ok {
		return clientError(typeLimitExceeded, e.Reason)
	}
	if e, ok := errors.AsType[*secrets.ValidationError](err); ok {
		return clientError(typeValidation, e.Error())
	}
	if e, ok := errors.AsType[*secrets.MalformedPolicyError](err); ok {
		return clientError("MalformedPolicyDocumentException", e.Reason)
	}
	if e, ok := errors.AsType[*password.Error](err); ok {
		return clientError(typeInvalidParameter, e.Reason)
	}
	if e, ok := errors.AsType[*iam.AccessDeniedError](err); ok {
		return clientError(typeAccessDenied, e.Error())
	}
	if e, ok := errors.AsType[*rotation.ErrUnknownFunction](err); ok {
		return clientError(typeAccessDenied, e.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &awsproto.Error{Type: typeInternal, Message: "The request was cancelled or timed out.", Status: http.StatusInternalServerError}
	}
	a.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("request_id", request.From(ctx).ID), slog.String("err", err.Error()))
	return &awsproto.Error{Type: typeInternal, Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
}
