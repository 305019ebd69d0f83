package iamapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
)

// The one table from iam's domain errors to IAM's error codes, HTTP
// statuses and messages. Codes and statuses are those of the IAM API model
// (NoSuchEntity 404; EntityAlreadyExists, DeleteConflict and LimitExceeded
// 409; InvalidInput, MalformedPolicyDocument and ValidationError 400).
// Anything not in the table is a ServiceFailure (500) whose cause is
// logged with the request id and never sent.

const (
	codeNoSuchEntity        = "NoSuchEntity"
	codeEntityAlreadyExists = "EntityAlreadyExists"
	codeDeleteConflict      = "DeleteConflict"
	codeLimitExceeded       = "LimitExceeded"
	codeInvalidInput        = "InvalidInput"
	codeMalformedPolicy     = "MalformedPolicyDocument"
	codeValidation          = "ValidationError"
	codeAccessDenied        = "AccessDenied"
	codeServiceFailure      = "ServiceFailure"
)

// mapping is one row: errors of one type, their code, status and message.
type mapping struct {
	code   string
	status int
	match  func(error) (msg string, ok bool)
}

// row maps the domain error type E; msg words its facts as AWS does.
func row[E error](code string, status int, msg func(E) string) mapping {
	return mapping{code: code, status: status, match: func(err error) (string, bool) {
		e, ok := errors.AsType[E](err)
		if !ok {
			return "", false
		}
		return msg(e), true
	}}
}

var table = []mapping{
	row(codeNoSuchEntity, http.StatusNotFound, noSuchEntityMessage),
	row(codeEntityAlreadyExists, http.StatusConflict, func(e *iam.EntityExistsError) string {
		return fmt.Sprintf("%s with name %s already exists.", entityWord(e.Kind), e.Name)
	}),
	row(codeDeleteConflict, http.StatusConflict, func(e *iam.DeleteConflictError) string { return e.Reason }),
	row(codeLimitExceeded, http.StatusConflict, func(e *iam.LimitExceededError) string { return e.Reason }),
	row(codeInvalidInput, http.StatusBadRequest, func(e *iam.InvalidInputError) string { return e.Reason }),
	row(codeMalformedPolicy, http.StatusBadRequest, func(e *iam.MalformedPolicyError) string { return e.Reason }),
	row(codeAccessDenied, http.StatusForbidden, func(e *iam.AccessDeniedError) string { return e.Error() }),
}

// Kinds of missing entity the handlers name beyond iam's own ("user",
// "role", "access key", "policy").
const (
	kindUserPolicy = "user policy"
	kindRolePolicy = "role policy"
)

func noSuchEntityMessage(e *iam.NoSuchEntityError) string {
	if e.Kind == "access key" {
		return "The Access Key with id " + e.Name + " cannot be found."
	}
	return "The " + e.Kind + " with name " + e.Name + " cannot be found."
}

// entityWord is how EntityAlreadyExists messages begin: "User", "Role".
func entityWord(kind string) string {
	if kind == "" {
		return "Entity"
	}
	return strings.ToUpper(kind[:1]) + kind[1:]
}

// inlinePolicy names a missing inline policy after its owner ("user
// policy", "role policy"), as AWS's messages do; iam only knows "policy".
func inlinePolicy(err error, kind string) error {
	if e, ok := errors.AsType[*iam.NoSuchEntityError](err); ok && e.Kind == "policy" {
		return &iam.NoSuchEntityError{Kind: kind, Name: e.Name}
	}
	return err
}

// toAWS maps the error of action to the error the client sees.
func (a *API) toAWS(ctx context.Context, action string, err error) *awsproto.Error {
	if ae, ok := errors.AsType[*awsproto.Error](err); ok {
		return ae
	}
	for _, m := range table {
		if msg, ok := m.match(err); ok {
			return &awsproto.Error{Type: m.code, Message: msg, Status: m.status}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &awsproto.Error{Type: codeServiceFailure, Message: "The request was cancelled or timed out.", Status: http.StatusInternalServerError}
	}
	a.log.LogAttrs(ctx, slog.LevelError, "internal error", slog.String("request_id", request.From(ctx).ID),
		slog.String("op", action), slog.String("err", err.Error()))
	return &awsproto.Error{Type: codeServiceFailure, Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
}
