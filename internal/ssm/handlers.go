package ssm

import (
	"context"
	"log/slog"
	"time"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/params"
	"github.com/coffer-dev/coffer/internal/request"
)

// TargetPrefix is the X-Amz-Target prefix of the SSM API.
const TargetPrefix = "AmazonSSM"

// API serves the Parameter Store operations over a params.Service.
type API struct {
	svc *params.Service
	log *slog.Logger
}

// NewMux returns the JSON 1.1 mux for target prefix "AmazonSSM" with every
// supported operation registered. log receives the causes of internal
// errors; nil discards them.
func NewMux(svc *params.Service, log *slog.Logger) *awsproto.Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{svc: svc, log: log}
	m := awsproto.NewMux(TargetPrefix)
	m.Handle("PutParameter", op(a, a.putParameter))
	m.Handle("GetParameter", op(a, a.getParameter))
	m.Handle("GetParameters", op(a, a.getParameters))
	m.Handle("GetParametersByPath", op(a, a.getParametersByPath))
	m.Handle("DeleteParameter", op(a, a.deleteParameter))
	m.Handle("DeleteParameters", op(a, a.deleteParameters))
	m.Handle("DescribeParameters", op(a, a.describeParameters))
	m.Handle("GetParameterHistory", op(a, a.getParameterHistory))
	m.Handle("LabelParameterVersion", op(a, a.labelParameterVersion))
	m.Handle("UnlabelParameterVersion", op(a, a.unlabelParameterVersion))
	m.Handle("AddTagsToResource", op(a, a.addTagsToResource))
	m.Handle("RemoveTagsFromResource", op(a, a.removeTagsFromResource))
	m.Handle("ListTagsForResource", op(a, a.listTagsForResource))
	return m
}

// op adapts a typed handler to awsproto.Op: strict decode of the body into
// In, then the domain errors mapped through errors.go's table.
func op[In any](a *API, h func(ctx context.Context, call params.Call, in *In) (any, error)) awsproto.Op {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := awsproto.Decode(body, in); err != nil {
			return nil, err
		}
		info := request.From(ctx)
		call := params.Call{Principal: info.Principal, Region: info.Region, SourceIP: info.SourceIP, SecureTransport: info.SecureTransport}
		out, err := h(ctx, call, in)
		if err != nil {
			return nil, a.toAWS(ctx, err)
		}
		return out, nil
	}
}

func ts(t time.Time) *awsproto.Timestamp {
	if t.IsZero() {
		return nil
	}
	a := awsproto.Timestamp(t)
	return &a
}

func tagsIn(tags []Tag) []params.Tag {
	out := make([]params.Tag, len(tags))
	for i, t := range tags {
		out[i] = params.Tag(t)
	}
	return out
}

func filtersIn(fs []ParameterStringFilter) []params.Filter {
	out := make([]params.Filter, len(fs))
	for i, f := range fs {
		out[i] = params.Filter(f)
	}
	return out
}

func parameterOut(p *params.Parameter) Parameter {
	return Parameter{
		ARN: p.ARN, DataType: p.DataType, LastModifiedDate: ts(p.Modified), Name: p.Name,
		Selector: p.Selector, SourceResult: p.SourceResult.Reveal(), Type: p.Type,
		Value: p.Value.Reveal(), Version: p.Version,
	}
}

func parametersOut(ps []*params.Parameter) []Parameter {
	out := make([]Parameter, len(ps))
	for i, p := range ps {
		out[i] = parameterOut(p)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (a *API) putParameter(ctx context.Context, call params.Call, in *PutParameterInput) (any, error) {
	pin := params.PutInput{
		Name: in.Name, Type: in.Type, Description: in.Description, KeyID: in.KeyId,
		Overwrite: in.Overwrite, AllowedPattern: in.AllowedPattern, Tags: tagsIn(in.Tags),
		Tier: in.Tier, DataType: in.DataType,
	}
	if in.Value != nil {
		v := params.NewValue(*in.Value)
		pin.Value = &v
	}
	res, err := a.svc.Put(ctx, call, pin)
	if err != nil {
		return nil, err
	}
	return &PutParameterOutput{Tier: res.Tier, Version: res.Version}, nil
}

func (a *API) getParameter(ctx context.Context, call params.Call, in *GetParameterInput) (any, error) {
	p, err := a.svc.Get(ctx, call, in.Name, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return &GetParameterOutput{Parameter: parameterOut(p)}, nil
}

func (a *API) getParameters(ctx context.Context, call params.Call, in *GetParametersInput) (any, error) {
	ps, invalid, err := a.svc.GetMany(ctx, call, in.Names, in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return &GetParametersOutput{InvalidParameters: nonNil(invalid), Parameters: parametersOut(ps)}, nil
}

func (a *API) getParametersByPath(ctx context.Context, call params.Call, in *GetParametersByPathInput) (any, error) {
	ps, next, err := a.svc.ByPath(ctx, call, params.ByPathInput{
		Path: in.Path, Recursive: in.Recursive, Filters: filtersIn(in.ParameterFilters),
		WithDecryption: in.WithDecryption, MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	return &GetParametersByPathOutput{NextToken: next, Parameters: parametersOut(ps)}, nil
}

func (a *API) deleteParameter(ctx context.Context, call params.Call, in *NameInput) (any, error) {
	return nil, a.svc.Delete(ctx, call, in.Name)
}

func (a *API) deleteParameters(ctx context.Context, call params.Call, in *NamesInput) (any, error) {
	deleted, invalid, err := a.svc.DeleteMany(ctx, call, in.Names)
	if err != nil {
		return nil, err
	}
	return &DeleteParametersOutput{DeletedParameters: nonNil(deleted), InvalidParameters: nonNil(invalid)}, nil
}

func (a *API) describeParameters(ctx context.Context, call params.Call, in *DescribeParametersInput) (any, error) {
	din := params.DescribeInput{Filters: filtersIn(in.ParameterFilters), MaxResults: in.MaxResults, NextToken: in.NextToken}
	for _, f := range in.Filters {
		din.LegacyFilters = append(din.LegacyFilters, params.LegacyFilter(f))
	}
	ps, next, err := a.svc.Describe(ctx, call, din)
	if err != nil {
		return nil, err
	}
	out := &DescribeParametersOutput{NextToken: next, Parameters: make([]ParameterMetadata, len(ps))}
	for i, p := range ps {
		out.Parameters[i] = ParameterMetadata{
			ARN: p.ARN, AllowedPattern: p.AllowedPattern, DataType: p.DataType, Description: p.Description,
			KeyId: p.KeyID, LastModifiedDate: ts(p.Modified), LastModifiedUser: p.ModifiedUser, Name: p.Name,
			Policies: []ParameterInlinePolicy{}, Tier: p.Tier, Type: p.Type, Version: p.Version,
		}
	}
	return out, nil
}

func (a *API) getParameterHistory(ctx context.Context, call params.Call, in *GetParameterHistoryInput) (any, error) {
	ps, next, err := a.svc.History(ctx, call, params.HistoryInput{
		Name: in.Name, WithDecryption: in.WithDecryption, MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &GetParameterHistoryOutput{NextToken: next, Parameters: make([]ParameterHistory, len(ps))}
	for i, p := range ps {
		out.Parameters[i] = ParameterHistory{
			AllowedPattern: p.AllowedPattern, DataType: p.DataType, Description: p.Description, KeyId: p.KeyID,
			Labels: nonNil(p.Labels), LastModifiedDate: ts(p.Modified), LastModifiedUser: p.ModifiedUser,
			Name: p.Name, Policies: []ParameterInlinePolicy{}, Tier: p.Tier, Type: p.Type,
			Value: p.Value.Reveal(), Version: p.Version,
		}
	}
	return out, nil
}

func (a *API) labelParameterVersion(ctx context.Context, call params.Call, in *LabelParameterVersionInput) (any, error) {
	var version int64
	if in.ParameterVersion != nil {
		version = *in.ParameterVersion
		if version < 1 {
			return nil, &params.VersionNotFoundError{Name: in.Name, Version: "0"}
		}
	}
	invalid, labeled, err := a.svc.Label(ctx, call, in.Name, version, in.Labels)
	if err != nil {
		return nil, err
	}
	return &LabelParameterVersionOutput{InvalidLabels: nonNil(invalid), ParameterVersion: labeled}, nil
}

func (a *API) unlabelParameterVersion(ctx context.Context, call params.Call, in *LabelParameterVersionInput) (any, error) {
	var version int64
	if in.ParameterVersion != nil {
		version = *in.ParameterVersion
	}
	removed, invalid, err := a.svc.Unlabel(ctx, call, in.Name, version, in.Labels)
	if err != nil {
		return nil, err
	}
	return &UnlabelParameterVersionOutput{InvalidLabels: nonNil(invalid), RemovedLabels: nonNil(removed)}, nil
}

func (a *API) addTagsToResource(ctx context.Context, call params.Call, in *AddTagsToResourceInput) (any, error) {
	return nil, a.svc.AddTags(ctx, call, in.ResourceType, in.ResourceId, tagsIn(in.Tags))
}

func (a *API) removeTagsFromResource(ctx context.Context, call params.Call, in *RemoveTagsFromResourceInput) (any, error) {
	return nil, a.svc.RemoveTags(ctx, call, in.ResourceType, in.ResourceId, in.TagKeys)
}

func (a *API) listTagsForResource(ctx context.Context, call params.Call, in *ListTagsForResourceInput) (any, error) {
	tags, err := a.svc.ListTags(ctx, call, in.ResourceType, in.ResourceId)
	if err != nil {
		return nil, err
	}
	out := &ListTagsForResourceOutput{TagList: make([]Tag, len(tags))}
	for i, t := range tags {
		out.TagList[i] = Tag(t)
	}
	return out, nil
}
