package iam

import (
	"context"
	"strconv"
)

// Recorder collects, for the audit record of one request, each
// authorization decision made while serving it. The server puts one in the
// request's context (request.Info implements it); Authorize reports to it.
type Recorder interface {
	Decided(action, resource string, r EvalResult)
}

type recorderKey struct{}

// WithRecorder returns ctx carrying rec.
func WithRecorder(ctx context.Context, rec Recorder) context.Context {
	return context.WithValue(ctx, recorderKey{}, rec)
}

func recorderFrom(ctx context.Context) Recorder {
	rec, _ := ctx.Value(recorderKey{}).(Recorder)
	return rec
}

// String names the statement for logs and audit records:
// "identity:POLICY#INDEX" or "resource#INDEX", with "(SID)" when it has one.
func (r *StatementRef) String() string {
	if r == nil {
		return ""
	}
	s := r.Kind.String()
	if r.PolicyName != "" {
		s += ":" + r.PolicyName
	}
	s += "#" + strconv.Itoa(r.Index)
	if r.Sid != "" {
		s += "(" + r.Sid + ")"
	}
	return s
}
