package secretsmanager

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/password"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/secrets"
)

// API serves the Secrets Manager operations over a secrets.Service.
type API struct {
	svc *secrets.Service
	log *slog.Logger
}

// NewMux returns the JSON 1.1 mux for target prefix "secretsmanager" with
// every supported operation registered. log receives the causes of
// internal errors; nil discards them.
func NewMux(svc *secrets.Service, log *slog.Logger) *awsproto.Mux {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{svc: svc, log: log}
	m := awsproto.NewMux("secretsmanager")
	m.Handle("CreateSecret", op(a, a.createSecret))
	m.Handle("GetSecretValue", op(a, a.getSecretValue))
	m.Handle("BatchGetSecretValue", op(a, a.batchGetSecretValue))
	m.Handle("PutSecretValue", op(a, a.putSecretValue))
	m.Handle("UpdateSecret", op(a, a.updateSecret))
	m.Handle("DescribeSecret", op(a, a.describeSecret))
	m.Handle("ListSecrets", op(a, a.listSecrets))
	m.Handle("ListSecretVersionIds", op(a, a.listSecretVersionIds))
	m.Handle("UpdateSecretVersionStage", op(a, a.updateSecretVersionStage))
	m.Handle("DeleteSecret", op(a, a.deleteSecret))
	m.Handle("RestoreSecret", op(a, a.restoreSecret))
	m.Handle("TagResource", op(a, a.tagResource))
	m.Handle("UntagResource", op(a, a.untagResource))
	m.Handle("GetRandomPassword", op(a, a.getRandomPassword))
	m.Handle("ReplicateSecretToRegions", op(a, a.replicateSecretToRegions))
	m.Handle("RemoveRegionsFromReplication", op(a, a.removeRegionsFromReplication))
	m.Handle("StopReplicationToReplica", op(a, a.stopReplicationToReplica))
	m.Handle("PutResourcePolicy", op(a, a.putResourcePolicy))
	m.Handle("GetResourcePolicy", op(a, a.getResourcePolicy))
	m.Handle("DeleteResourcePolicy", op(a, a.deleteResourcePolicy))
	m.Handle("ValidateResourcePolicy", op(a, a.validateResourcePolicy))
	m.Handle("RotateSecret", op(a, a.rotateSecret))
	m.Handle("CancelRotateSecret", op(a, a.cancelRotateSecret))
	return m
}

// op adapts a typed handler to awsproto.Op: strict decode of the body into
// In, then the domain errors mapped through errors.go's table.
func op[In any](a *API, h func(ctx context.Context, call secrets.Call, in *In) (any, error)) awsproto.Op {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := awsproto.Decode(body, in); err != nil {
			return nil, err
		}
		info := request.From(ctx)
		call := secrets.Call{Principal: info.Principal, Region: info.Region, SourceIP: info.SourceIP, SecureTransport: info.SecureTransport}
		out, err := h(ctx, call, in)
		if err != nil {
			return nil, a.toAWS(ctx, err)
		}
		return out, nil
	}
}

func value(s *string, b []byte) (*secrets.Value, error) {
	switch {
	case s != nil && b != nil:
		return nil, &secrets.InvalidParameterError{Field: "SecretString", Reason: "You can't specify both a binary secret value and a string secret value in the same secret."}
	case s != nil:
		v := secrets.StringValue(*s)
		return &v, nil
	case b != nil:
		v := secrets.BinaryValue(b)
		return &v, nil
	}
	return nil, nil
}

func tagsIn(tags []Tag) []secrets.Tag {
	out := make([]secrets.Tag, len(tags))
	for i, t := range tags {
		out[i] = secrets.Tag(t)
	}
	return out
}

func tagsOut(tags []secrets.Tag) []Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag(t)
	}
	return out
}

func replicasIn(rs []ReplicaRegionType) []secrets.ReplicaInput {
	out := make([]secrets.ReplicaInput, len(rs))
	for i, r := range rs {
		out[i] = secrets.ReplicaInput{Region: r.Region, KMSKeyID: r.KmsKeyId}
	}
	return out
}

func replicasOut(rs []secrets.Replica) []ReplicationStatusType {
	var out []ReplicationStatusType
	for _, r := range rs {
		out = append(out, ReplicationStatusType{
			Region: r.Region, KmsKeyId: r.KMSKeyID, Status: r.Status,
			StatusMessage: r.StatusMessage, LastAccessedDate: ts(r.LastAccessed),
		})
	}
	return out
}

// ts is an optional timestamp: nil for the zero time.
func ts(t time.Time) *awsproto.Timestamp {
	if t.IsZero() {
		return nil
	}
	a := awsproto.Timestamp(t)
	return &a
}

func (a *API) createSecret(ctx context.Context, call secrets.Call, in *CreateSecretInput) (any, error) {
	v, err := value(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	ci := secrets.CreateInput{
		Name: in.Name, KMSKeyID: in.KmsKeyId, Value: v, Token: in.ClientRequestToken,
		Tags: tagsIn(in.Tags), Replicas: replicasIn(in.AddReplicaRegions), ForceOverwrite: in.ForceOverwriteReplicaSecret,
	}
	if in.Description != nil {
		ci.Description, ci.HasDescription = *in.Description, true
	}
	res, err := a.svc.Create(ctx, call, ci)
	if err != nil {
		return nil, err
	}
	return &CreateSecretOutput{ARN: res.ARN, Name: res.Name, VersionId: res.VersionID, ReplicationStatus: replicasOut(res.Replicas)}, nil
}

func valueOut(v *secrets.SecretValue) GetSecretValueOutput {
	out := GetSecretValueOutput{
		ARN: v.ARN, Name: v.Name, VersionId: v.Version.ID,
		VersionStages: v.Version.Stages, CreatedDate: awsproto.Timestamp(v.Version.Created),
	}
	s, b, isBinary := v.Value.Reveal()
	if isBinary {
		out.SecretBinary = b
	} else {
		out.SecretString = &s
	}
	return out
}

func (a *API) getSecretValue(ctx context.Context, call secrets.Call, in *GetSecretValueInput) (any, error) {
	v, err := a.svc.GetValue(ctx, call, in.SecretId, secrets.Selector{VersionID: in.VersionId, Stage: in.VersionStage})
	if err != nil {
		return nil, err
	}
	out := valueOut(v)
	return &out, nil
}

func filtersIn(fs []Filter) []secrets.Filter {
	out := make([]secrets.Filter, len(fs))
	for i, f := range fs {
		out[i] = secrets.Filter(f)
	}
	return out
}

func (a *API) batchGetSecretValue(ctx context.Context, call secrets.Call, in *BatchGetSecretValueInput) (any, error) {
	vals, errs, next, err := a.svc.BatchGetValues(ctx, call, secrets.BatchGetInput{
		SecretIDs: in.SecretIdList, Filters: filtersIn(in.Filters), MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &BatchGetSecretValueOutput{SecretValues: []GetSecretValueOutput{}, Errors: []APIErrorType{}, NextToken: next}
	for _, v := range vals {
		out.SecretValues = append(out.SecretValues, valueOut(v))
	}
	for _, e := range errs {
		ae := a.toAWS(ctx, e.Err)
		out.Errors = append(out.Errors, APIErrorType{SecretId: e.SecretID, ErrorCode: ae.Type, Message: ae.Message})
	}
	return out, nil
}

func (a *API) putSecretValue(ctx context.Context, call secrets.Call, in *PutSecretValueInput) (any, error) {
	v, err := value(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	res, err := a.svc.PutValue(ctx, call, secrets.PutInput{SecretID: in.SecretId, Value: v, Token: in.ClientRequestToken, Stages: in.VersionStages})
	if err != nil {
		return nil, err
	}
	return &PutSecretValueOutput{ARN: res.ARN, Name: res.Name, VersionId: res.VersionID, VersionStages: res.Stages}, nil
}

func (a *API) updateSecret(ctx context.Context, call secrets.Call, in *UpdateSecretInput) (any, error) {
	v, err := value(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	res, err := a.svc.Update(ctx, call, secrets.UpdateInput{
		SecretID: in.SecretId, Description: in.Description, KMSKeyID: in.KmsKeyId, Value: v, Token: in.ClientRequestToken,
	})
	if err != nil {
		return nil, err
	}
	return &UpdateSecretOutput{ARN: res.ARN, Name: res.Name, VersionId: res.VersionID}, nil
}

func (a *API) describeSecret(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	s, err := a.svc.Describe(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &DescribeSecretOutput{
		ARN: s.ARN, Name: s.Name, Description: s.Description, KmsKeyId: s.KMSKeyID,
		LastChangedDate: ts(s.LastChanged), LastAccessedDate: ts(s.LastAccessed), DeletedDate: ts(s.DeletedDate),
		Tags: tagsOut(s.Tags), VersionIdsToStages: s.VersionStages(), CreatedDate: ts(s.Created),
		PrimaryRegion: s.PrimaryRegion, ReplicationStatus: replicasOut(s.Replicas), OwningService: s.OwningService,
		rotationFields: rotationOut(s.Rotation), CofferRotationFailure: failureOut(s.Rotation),
	}, nil
}

func (a *API) listSecrets(ctx context.Context, call secrets.Call, in *ListSecretsInput) (any, error) {
	list, next, err := a.svc.List(ctx, call, secrets.ListInput{
		Filters: filtersIn(in.Filters), IncludePlannedDeletion: in.IncludePlannedDeletion,
		MaxResults: in.MaxResults, NextToken: in.NextToken, SortBy: in.SortBy, SortOrder: in.SortOrder,
	})
	if err != nil {
		return nil, err
	}
	out := &ListSecretsOutput{SecretList: make([]SecretListEntry, 0, len(list)), NextToken: next}
	for _, s := range list {
		out.SecretList = append(out.SecretList, SecretListEntry{
			ARN: s.ARN, Name: s.Name, Description: s.Description, KmsKeyId: s.KMSKeyID,
			LastChangedDate: ts(s.LastChanged), LastAccessedDate: ts(s.LastAccessed), DeletedDate: ts(s.DeletedDate),
			Tags: tagsOut(s.Tags), SecretVersionsToStages: s.VersionStages(), CreatedDate: ts(s.Created),
			PrimaryRegion: s.PrimaryRegion, OwningService: s.OwningService, rotationFields: rotationOut(s.Rotation),
		})
	}
	return out, nil
}

func (a *API) listSecretVersionIds(ctx context.Context, call secrets.Call, in *ListSecretVersionIdsInput) (any, error) {
	s, versions, next, err := a.svc.ListVersionIDs(ctx, call, secrets.ListVersionsInput{
		SecretID: in.SecretId, IncludeDeprecated: in.IncludeDeprecated, MaxResults: in.MaxResults, NextToken: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &ListSecretVersionIdsOutput{ARN: s.ARN, Name: s.Name, NextToken: next, Versions: make([]SecretVersionsListEntry, 0, len(versions))}
	for _, v := range versions {
		out.Versions = append(out.Versions, SecretVersionsListEntry{
			VersionId: v.ID, VersionStages: v.Stages, LastAccessedDate: ts(v.LastAccessed),
			CreatedDate: awsproto.Timestamp(v.Created), KmsKeyIds: v.KMSKeyIDs,
		})
	}
	return out, nil
}

func (a *API) updateSecretVersionStage(ctx context.Context, call secrets.Call, in *UpdateSecretVersionStageInput) (any, error) {
	res, err := a.svc.UpdateStage(ctx, call, secrets.StageInput{
		SecretID: in.SecretId, Stage: in.VersionStage, RemoveFromID: in.RemoveFromVersionId, MoveToID: in.MoveToVersionId,
	})
	if err != nil {
		return nil, err
	}
	return &ARNNameOutput{ARN: res.ARN, Name: res.Name}, nil
}

func (a *API) deleteSecret(ctx context.Context, call secrets.Call, in *DeleteSecretInput) (any, error) {
	res, err := a.svc.Delete(ctx, call, secrets.DeleteInput{
		SecretID: in.SecretId, RecoveryWindowInDays: in.RecoveryWindowInDays, Force: in.ForceDeleteWithoutRecovery,
	})
	if err != nil {
		return nil, err
	}
	return &DeleteSecretOutput{ARN: res.ARN, Name: res.Name, DeletionDate: awsproto.Timestamp(res.DeletionDate)}, nil
}

func (a *API) restoreSecret(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	res, err := a.svc.Restore(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &ARNNameOutput{ARN: res.ARN, Name: res.Name}, nil
}

func (a *API) tagResource(ctx context.Context, call secrets.Call, in *TagResourceInput) (any, error) {
	if err := a.svc.Tag(ctx, call, in.SecretId, tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	return Empty{}, nil
}

func (a *API) untagResource(ctx context.Context, call secrets.Call, in *UntagResourceInput) (any, error) {
	if err := a.svc.Untag(ctx, call, in.SecretId, in.TagKeys); err != nil {
		return nil, err
	}
	return Empty{}, nil
}

func (a *API) getRandomPassword(ctx context.Context, call secrets.Call, in *GetRandomPasswordInput) (any, error) {
	if err := a.svc.Authorize(ctx, call, "secretsmanager:GetRandomPassword"); err != nil {
		return nil, err
	}
	opts := password.Options{
		ExcludeCharacters: in.ExcludeCharacters, ExcludeNumbers: in.ExcludeNumbers,
		ExcludePunctuation: in.ExcludePunctuation, ExcludeUppercase: in.ExcludeUppercase,
		ExcludeLowercase: in.ExcludeLowercase, IncludeSpace: in.IncludeSpace,
		RequireEachIncludedType: in.RequireEachIncludedType,
	}
	if in.PasswordLength != nil {
		n := *in.PasswordLength
		if n < password.MinLength || n > password.MaxLength {
			return nil, &secrets.ValidationError{Field: "passwordLength", Constraint: fmt.Sprintf("Member must have value between %d and %d", password.MinLength, password.MaxLength)}
		}
		opts.Length = int(n)
	}
	pw, err := password.Generate(opts)
	if err != nil {
		return nil, err
	}
	return &GetRandomPasswordOutput{RandomPassword: pw}, nil
}

func (a *API) replicateSecretToRegions(ctx context.Context, call secrets.Call, in *ReplicateSecretToRegionsInput) (any, error) {
	res, err := a.svc.Replicate(ctx, call, in.SecretId, replicasIn(in.AddReplicaRegions), in.ForceOverwriteReplicaSecret)
	if err != nil {
		return nil, err
	}
	return &ReplicationOutput{ARN: res.ARN, ReplicationStatus: nonNil(replicasOut(res.Replicas))}, nil
}

func (a *API) removeRegionsFromReplication(ctx context.Context, call secrets.Call, in *RemoveRegionsFromReplicationInput) (any, error) {
	res, err := a.svc.RemoveRegions(ctx, call, in.SecretId, in.RemoveReplicaRegions)
	if err != nil {
		return nil, err
	}
	return &ReplicationOutput{ARN: res.ARN, ReplicationStatus: nonNil(replicasOut(res.Replicas))}, nil
}

func (a *API) stopReplicationToReplica(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	arn, err := a.svc.StopReplication(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &StopReplicationToReplicaOutput{ARN: arn}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
