package secrets

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Selector picks a version: by id, by stage, or both (they must agree).
// The zero Selector picks AWSCURRENT.
type Selector struct {
	VersionID string
	Stage     string
}

// GetValue implements GetSecretValue.
func (s *Service) GetValue(ctx context.Context, call Call, id string, sel Selector) (*SecretValue, error) {
	l, err := s.resolveFor(ctx, call, id, "secretsmanager:GetSecretValue")
	if err != nil {
		return nil, err
	}
	var cond map[string][]string
	if sel.VersionID != "" || sel.Stage != "" {
		cond = make(map[string][]string, 4)
		if sel.VersionID != "" {
			cond["secretsmanager:VersionId"] = []string{sel.VersionID}
		}
		if sel.Stage != "" {
			cond["secretsmanager:VersionStage"] = []string{sel.Stage}
		}
	}
	if err := s.authorize(ctx, call, "secretsmanager:GetSecretValue", l.rec, cond); err != nil {
		return nil, err
	}
	return s.getValue(ctx, call.Region, l, sel)
}

func (s *Service) getValue(ctx context.Context, region string, l *loaded, sel Selector) (*SecretValue, error) {
	rec := l.rec
	if rec.isDeleted() {
		return nil, ErrMarkedForDeletion
	}
	v, err := rec.pick(sel)
	if err != nil {
		return nil, err
	}
	a := &request.From(ctx).Audit
	if rec.breakGlass() {
		a.BreakGlass = append(a.BreakGlass, rec.ARN)
	}
	if a.VersionID == "" {
		a.VersionID, a.VersionStage = v.ID, sel.Stage
		if sel.Stage == "" && sel.VersionID == "" {
			a.VersionStage = StageCurrent
		}
	}
	if v.NoValue { // a rotation's AWSPENDING version before createSecret
		return nil, &VersionNotFoundError{VersionID: v.ID}
	}
	val, err := s.openValue(ctx, region, rec, v.ID)
	if err != nil {
		return nil, err
	}
	s.touch(ctx, l, v.ID)
	return &SecretValue{ARN: rec.ARN, Name: rec.Name, Version: v.toVersion(rec.KMSKeyARN), Value: val}, nil
}

// pick selects the version sel names.
func (r *secretRecord) pick(sel Selector) (*versionRecord, error) {
	switch {
	case sel.VersionID != "":
		v := r.version(sel.VersionID)
		if v == nil {
			return nil, &VersionNotFoundError{VersionID: sel.VersionID}
		}
		if sel.Stage != "" && !v.hasStage(sel.Stage) {
			return nil, invalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	default:
		stage := sel.Stage
		if stage == "" {
			stage = StageCurrent
		}
		v := r.staged(stage)
		if v == nil {
			return nil, &VersionNotFoundError{Stage: stage}
		}
		return v, nil
	}
}

// touch records the day a secret (and version) was last read. AWS reports
// LastAccessedDate at day granularity, so this writes at most once a day
// per secret and stays off the hot path otherwise. It is best effort: a
// lost race or a failure never fails the read.
func (s *Service) touch(ctx context.Context, l *loaded, versionID string) {
	today := s.now().UTC().Truncate(24 * time.Hour)
	v := l.rec.version(versionID)
	if l.rec.LastAccessed.Equal(today) && v != nil && v.LastAccessed == toStamp(today) {
		return
	}
	rec := l.rec.clone()
	rec.LastAccessed = today
	if v := rec.version(versionID); v != nil {
		v.LastAccessed = toStamp(today)
	}
	sealed, err := s.sealRecord(l.key, rec)
	if err != nil {
		return
	}
	err = s.backend.Txn(ctx, storage.Txn{
		Conds: []storage.Cond{{Key: l.key, Revision: l.rev}},
		Ops:   []storage.Op{{Key: l.key, Value: sealed}},
	})
	if err != nil && !errors.Is(err, storage.ErrConflict) {
		s.log.Warn("record last accessed date", "secret_arn", rec.ARN, "err", err)
	}
}

// Describe implements DescribeSecret. Secrets scheduled for deletion are
// described too (with their DeletedDate).
func (s *Service) Describe(ctx context.Context, call Call, id string) (*Secret, error) {
	l, err := s.resolveFor(ctx, call, id, "secretsmanager:DescribeSecret")
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, call, "secretsmanager:DescribeSecret", l.rec, nil); err != nil {
		return nil, err
	}
	return l.rec.toSecret(), nil
}

// ListVersionsInput is a ListSecretVersionIds request.
type ListVersionsInput struct {
	SecretID          string
	IncludeDeprecated bool
	MaxResults        int
	NextToken         string
}

// ListVersionIDs implements ListSecretVersionIds: newest first, versions
// without stages only when IncludeDeprecated.
func (s *Service) ListVersionIDs(ctx context.Context, call Call, in ListVersionsInput) (*Secret, []Version, string, error) {
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return nil, nil, "", &ValidationError{Field: "maxResults", Constraint: "Member must have value between 1 and 100"}
	}
	l, err := s.resolveFor(ctx, call, in.SecretID, "secretsmanager:ListSecretVersionIds")
	if err != nil {
		return nil, nil, "", err
	}
	if err := s.authorize(ctx, call, "secretsmanager:ListSecretVersionIds", l.rec, nil); err != nil {
		return nil, nil, "", err
	}
	var all []Version
	for i := len(l.rec.Versions) - 1; i >= 0; i-- {
		v := l.rec.Versions[i]
		if len(v.Stages) == 0 && !in.IncludeDeprecated {
			continue
		}
		all = append(all, v.toVersion(l.rec.KMSKeyARN))
	}
	page, next, err := paginate(all, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, nil, "", err
	}
	return l.rec.toSecret(), page, next, nil
}

// paginate returns one page of items and the token for the next.
// Tokens are offsets; they are only meaningful for the same query.
func paginate[T any](items []T, max int, token string) ([]T, string, error) {
	if max <= 0 {
		max = defaultListLimit
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalidParam("NextToken", "Invalid NextToken.")
		}
		start = n
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// BatchError is one secret BatchGetSecretValue could not return.
type BatchError struct {
	SecretID string
	Err      error
}

// BatchGetInput is a BatchGetSecretValue request: either SecretIDs or
// Filters.
type BatchGetInput struct {
	SecretIDs  []string
	Filters    []Filter
	MaxResults int
	NextToken  string
}

// BatchGetValues implements BatchGetSecretValue: secretsmanager:BatchGetSecretValue
// for the call, then GetSecretValue on each secret; each secret that cannot
// be read is reported in the errors, not failing the whole call.
func (s *Service) BatchGetValues(ctx context.Context, call Call, in BatchGetInput) ([]*SecretValue, []BatchError, string, error) {
	switch {
	case len(in.SecretIDs) > 0 && len(in.Filters) > 0:
		return nil, nil, "", invalidParam("SecretIdList", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	case len(in.SecretIDs) == 0 && len(in.Filters) == 0:
		return nil, nil, "", invalidParam("SecretIdList", "Either 'SecretIdList' or 'Filters' must be provided.")
	case len(in.SecretIDs) > MaxBatchSecrets:
		return nil, nil, "", &ValidationError{Field: "secretIdList", Constraint: "Member must have length less than or equal to 20"}
	case in.MaxResults != 0 && len(in.Filters) == 0:
		return nil, nil, "", invalidParam("MaxResults", "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
	case in.MaxResults < 0 || in.MaxResults > 20:
		return nil, nil, "", &ValidationError{Field: "maxResults", Constraint: "Member must have value between 1 and 20"}
	}
	if err := s.authorize(ctx, call, "secretsmanager:BatchGetSecretValue", nil, nil); err != nil {
		return nil, nil, "", err
	}
	if len(in.Filters) > 0 {
		// Filters list secrets, which needs its own grant, as in AWS.
		if err := s.authorize(ctx, call, "secretsmanager:ListSecrets", nil, nil); err != nil {
			return nil, nil, "", err
		}
	}
	var (
		out  []*SecretValue
		errs []BatchError
		next string
	)
	ids := in.SecretIDs
	if len(in.Filters) > 0 {
		max := in.MaxResults
		if max == 0 {
			max = 20
		}
		recs, n, err := s.list(ctx, call.Region, ListInput{Filters: in.Filters, MaxResults: max, NextToken: in.NextToken})
		if err != nil {
			return nil, nil, "", err
		}
		next = n
		ids = nil
		for _, r := range recs {
			ids = append(ids, r.ARN)
		}
	}
	for _, id := range ids {
		v, err := s.GetValue(ctx, call, id, Selector{})
		if err != nil {
			var denied *iam.AccessDeniedError
			if !errors.As(err, &denied) && !isClientError(err) {
				return nil, nil, "", err
			}
			errs = append(errs, BatchError{SecretID: id, Err: err})
			continue
		}
		out = append(out, v)
	}
	return out, errs, next, nil
}

// isClientError reports whether err is about the caller's input or the
// secret's state, not a server fault.
func isClientError(err error) bool {
	var (
		vnf *VersionNotFoundError
		ip  *InvalidParameterError
		ir  *InvalidRequestError
	)
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrMarkedForDeletion) || errors.Is(err, ErrDecryption) ||
		errors.As(err, &vnf) || errors.As(err, &ip) || errors.As(err, &ir)
}
