package iamapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
)

func TestErrorTable(t *testing.T) {
	a := &API{log: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"a missing user is NoSuchEntity 404", &iam.NoSuchEntityError{Kind: "user", Name: "u"}, "NoSuchEntity", 404, "The user with name u cannot be found."},
		{"a missing key is named by id", &iam.NoSuchEntityError{Kind: "access key", Name: "AKIA1"}, "NoSuchEntity", 404, "The Access Key with id AKIA1 cannot be found."},
		{"a missing role policy names its owner kind", inlinePolicy(&iam.NoSuchEntityError{Kind: "policy", Name: "p"}, kindRolePolicy), "NoSuchEntity", 404, "The role policy with name p cannot be found."},
		{"a taken name is EntityAlreadyExists 409", &iam.EntityExistsError{Kind: "role", Name: "r"}, "EntityAlreadyExists", 409, "Role with name r already exists."},
		{"attachments left are DeleteConflict 409", &iam.DeleteConflictError{Reason: "why"}, "DeleteConflict", 409, "why"},
		{"a quota is LimitExceeded 409", &iam.LimitExceededError{Reason: "why"}, "LimitExceeded", 409, "why"},
		{"a bad value is InvalidInput 400", &iam.InvalidInputError{Reason: "why"}, "InvalidInput", 400, "why"},
		{"a bad document is MalformedPolicyDocument 400", &iam.MalformedPolicyError{Reason: "why"}, "MalformedPolicyDocument", 400, "why"},
		{"a wrapped domain error is still found", fmt.Errorf("context: %w", &iam.LimitExceededError{Reason: "why"}), "LimitExceeded", 409, "why"},
		{"a denial is AccessDenied 403", &iam.AccessDeniedError{PrincipalARN: "arn:p", Action: "iam:GetUser", Resource: "arn:r", Decision: iam.ExplicitDeny},
			"AccessDenied", 403, "User: arn:p is not authorized to perform: iam:GetUser on resource: arn:r because of an explicit deny in a policy"},
		{"anything else is ServiceFailure 500", errors.New("disk on fire"), "ServiceFailure", 500, "An error occurred on the server side."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.toAWS(context.Background(), "GetUser", tc.err)
			if got.Type != tc.code || got.Status != tc.status || got.Message != tc.msg {
				t.Errorf("toAWS(%v) = %s %d %q, want %s %d %q", tc.err, got.Type, got.Status, got.Message, tc.code, tc.status, tc.msg)
			}
		})
	}
}

func TestServiceFailureLogsTheCauseByRequestID(t *testing.T) {
	var logs bytes.Buffer
	a := &API{log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := request.With(context.Background(), &request.Info{ID: "req-123"})
	got := a.toAWS(ctx, "CreateUser", errors.New("disk on fire"))
	if strings.Contains(got.Message, "disk") {
		t.Errorf("the cause reached the client: %q", got.Message)
	}
	for _, want := range []string{"request_id=req-123", "op=CreateUser", "disk on fire"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}
