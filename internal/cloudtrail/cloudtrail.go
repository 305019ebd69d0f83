// Package cloudtrail serves the AWS CloudTrail API subset Coffer answers:
// LookupEvents over the audit trail, so `aws cloudtrail lookup-events
// --endpoint-url ...` and SIEM collectors that poll CloudTrail read
// Coffer's trail unchanged. Handlers translate the wire to
// internal/audit.Lookup and hold no rules of their own.
package cloudtrail

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
)

// CloudTrail's JSON 1.1 target prefixes: the long one in the service model
// (botocore, the aws CLI), the short one the AWS SDK for Go v2 sends.
const (
	TargetPrefix      = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"
	ShortTargetPrefix = "CloudTrail_20131101"
)

type api struct {
	dir   string
	authz iam.Authorizer
	log   *slog.Logger
}

// NewMuxes returns the CloudTrail muxes (one per target prefix) over the
// audit log in dir.
func NewMuxes(dir string, authz iam.Authorizer, log *slog.Logger) []*awsproto.Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &api{dir: dir, authz: authz, log: log}
	var ms []*awsproto.Mux
	for _, prefix := range []string{TargetPrefix, ShortTargetPrefix} {
		m := awsproto.NewMux(prefix)
		m.Handle("LookupEvents", a.lookupEvents)
		ms = append(ms, m)
	}
	return ms
}

type lookupAttribute struct {
	AttributeKey   string `json:"AttributeKey"`
	AttributeValue string `json:"AttributeValue"`
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute   `json:"LookupAttributes"`
	StartTime        *awsproto.Timestamp `json:"StartTime"`
	EndTime          *awsproto.Timestamp `json:"EndTime"`
	EventCategory    string              `json:"EventCategory"`
	MaxResults       int                 `json:"MaxResults"`
	NextToken        string              `json:"NextToken"`
}

type resource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

type event struct {
	EventId         string             `json:"EventId"`
	EventName       string             `json:"EventName"`
	ReadOnly        string             `json:"ReadOnly"`
	AccessKeyId     string             `json:"AccessKeyId,omitempty"`
	EventTime       awsproto.Timestamp `json:"EventTime"`
	EventSource     string             `json:"EventSource"`
	Username        string             `json:"Username,omitempty"`
	Resources       []resource         `json:"Resources"`
	CloudTrailEvent string             `json:"CloudTrailEvent"`
}

type lookupEventsOutput struct {
	Events    []event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (a *api) lookupEvents(ctx context.Context, body []byte) (any, error) {
	in := new(lookupEventsInput)
	if err := awsproto.Decode(body, in); err != nil {
		return nil, err
	}
	info := request.From(ctx)
	d, err := a.authz.Authorize(ctx, iam.Request{
		Principal: info.Principal, Action: "cloudtrail:LookupEvents", Resource: "*",
		SourceIP: info.SourceIP, SecureTransport: info.SecureTransport,
	})
	if err != nil {
		return nil, err
	}
	if d != iam.Allow {
		e := &iam.AccessDeniedError{PrincipalARN: info.Principal.ARN, Action: "cloudtrail:LookupEvents", Resource: "*", Decision: d}
		return nil, clientError("AccessDeniedException", e.Error())
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return nil, clientError("InvalidEventCategoryException", "EventCategory must be insight.")
	}
	if in.EventCategory == "insight" {
		return &lookupEventsOutput{Events: []event{}}, nil // Coffer has no Insights events
	}
	q := audit.LookupInput{MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, at := range in.LookupAttributes {
		q.Attributes = append(q.Attributes, audit.LookupAttribute{Key: at.AttributeKey, Value: at.AttributeValue})
	}
	if in.StartTime != nil {
		q.StartTime = in.StartTime.Time()
	}
	if in.EndTime != nil {
		q.EndTime = in.EndTime.Time()
	}
	res, err := audit.Lookup(ctx, a.dir, q)
	if err != nil {
		return nil, a.toAWS(ctx, err)
	}
	out := &lookupEventsOutput{Events: make([]event, 0, len(res.Events)), NextToken: res.NextToken}
	for _, e := range res.Events {
		ev := event{
			EventId: e.EventID, EventName: e.EventName, ReadOnly: e.ReadOnly, AccessKeyId: e.AccessKeyID,
			EventTime: awsproto.Timestamp(e.EventTime), EventSource: e.EventSource, Username: e.Username,
			Resources: make([]resource, 0, len(e.Resources)), CloudTrailEvent: e.CloudTrailEvent,
		}
		for _, r := range e.Resources {
			ev.Resources = append(ev.Resources, resource(r))
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

func clientError(typ, msg string) *awsproto.Error {
	return &awsproto.Error{Type: typ, Message: msg, Status: http.StatusBadRequest}
}

func (a *api) toAWS(ctx context.Context, err error) error {
	for _, m := range []struct {
		err error
		typ string
	}{
		{audit.ErrInvalidLookupAttributes, "InvalidLookupAttributesException"},
		{audit.ErrInvalidTimeRange, "InvalidTimeRangeException"},
		{audit.ErrInvalidMaxResults, "InvalidMaxResultsException"},
		{audit.ErrInvalidNextToken, "InvalidNextTokenException"},
	} {
		if errors.Is(err, m.err) {
			return clientError(m.typ, err.Error())
		}
	}
	a.log.Error("lookup events", "request_id", request.From(ctx).ID, "err", err)
	return &awsproto.Error{Type: "InternalServerErrorException", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
}
