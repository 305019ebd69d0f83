package ssm

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/params"
	"github.com/coffer-dev/coffer/internal/request"
)

// The one table from domain errors to SSM's error types and messages.
// Every client error is HTTP 400, as AWS sends it; anything unrecognised is
// an InternalServerError whose cause is logged, never sent.

const (
	typeParameterNotFound  = "ParameterNotFound"
	typeVersionNotFound    = "ParameterVersionNotFound"
	typeValidation         = "ValidationException"
	typeAccessDenied       = "AccessDeniedException"
	typeInternal           = "InternalServerError"
	msgInternal            = "An error occurred on the server side."
	msgReferenceNotFoundFn = "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret "
)

var sentinels = []struct {
	err error
	typ string
	msg string
}{
	{params.ErrExists, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."},
	{params.ErrLabelLimit, "ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again."},
	{params.ErrParameterLimit, "ParameterLimitExceeded", "You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again."},
	{params.ErrHierarchyLevels, "HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide."},
	{params.ErrTypeMismatch, "HierarchyTypeMismatchException", "Parameter Store does not support changing a parameter type in a hierarchy. For example, you can't change a parameter from a String type to a SecureString type. You must create a new, unique parameter."},
	{params.ErrUnsupportedType, "UnsupportedParameterType", "The parameter type isn't supported. The aws:ec2:image data type is supported only for String parameters."},
	{params.ErrInvalidNextToken, "InvalidNextToken", "The specified token isn't valid."},
	{params.ErrTooManyTags, "TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the command again."},
	{params.ErrInvalidResourceType, "InvalidResourceType", "Invalid Resource Type"},
	{params.ErrInvalidResourceID, "InvalidResourceId", "Invalid Resource Id"},
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
	if e, ok := errors.AsType[*params.NotFoundError](err); ok {
		if e.Reference {
			return clientError(typeParameterNotFound, msgReferenceNotFoundFn+e.Name+" not found.")
		}
		return clientError(typeParameterNotFound, "Parameter "+e.Name+" not found.")
	}
	if e, ok := errors.AsType[*params.VersionNotFoundError](err); ok {
		return clientError(typeVersionNotFound, "Systems Manager could not find version "+e.Version+" of "+e.Name+". Verify the version and try again.")
	}
	if e, ok := errors.AsType[*params.MaxVersionError](err); ok {
		return clientError("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of "+e.Name+
			" by calling the PutParameter API with the overwrite flag. Version "+itoa(e.Version)+
			", the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.")
	}
	if e, ok := errors.AsType[*params.ReservedNameError](err); ok {
		return clientError(typeAccessDenied, "No access to reserved parameter name: "+e.Name+".")
	}
	if e, ok := errors.AsType[*params.InvalidPatternError](err); ok {
		return clientError("InvalidAllowedPatternException", "The allowed pattern "+e.Pattern+" is not a valid regular expression.")
	}
	if e, ok := errors.AsType[*params.PatternMismatchError](err); ok {
		return clientError("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: "+e.Pattern)
	}
	if e, ok := errors.AsType[*params.InvalidKeyIDError](err); ok {
		return clientError("InvalidKeyId", "Invalid keyId "+e.KeyID)
	}
	if e, ok := errors.AsType[*params.ValidationError](err); ok {
		return clientError(typeValidation, e.Reason)
	}
	if e, ok := errors.AsType[*params.FilterError](err); ok {
		switch e.Kind {
		case "key":
			return clientError("InvalidFilterKey", e.Reason)
		case "value":
			return clientError("InvalidFilterValue", e.Reason)
		default:
			return clientError("InvalidFilterOption", e.Reason)
		}
	}
	if e, ok := errors.AsType[*iam.AccessDeniedError](err); ok {
		return clientError(typeAccessDenied, e.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &awsproto.Error{Type: typeInternal, Message: "The request was cancelled or timed out.", Status: http.StatusInternalServerError}
	}
	a.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("request_id", request.From(ctx).ID), slog.String("err", err.Error()))
	return &awsproto.Error{Type: typeInternal, Message: msgInternal, Status: http.StatusInternalServerError}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
