package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/storage"
)

// CreateInput is a CreateSecret request.
type CreateInput struct {
	Name           string
	Description    string
	HasDescription bool
	KMSKeyID       string
	Value          *Value // nil: a secret with no version yet
	Token          string // ClientRequestToken; becomes the version id
	Tags           []Tag
	Replicas       []ReplicaInput
	ForceOverwrite bool // ForceOverwriteReplicaSecret
}

// ReplicaInput names a Region to replicate to and the key to use there.
type ReplicaInput struct {
	Region   string
	KMSKeyID string
}

// WriteResult is what the writing operations report.
type WriteResult struct {
	ARN       string
	Name      string
	VersionID string // empty when no version was written
	Stages    []string
	Replicas  []Replica
}

// errNoChange, returned by an update callback, ends the update without a
// commit (an idempotent retry of a write that already happened).
var errNoChange = errors.New("no change")

// Create implements CreateSecret.
func (s *Service) Create(ctx context.Context, call Call, in CreateInput) (*WriteResult, error) {
	if err := validateName(in.Name); err != nil {
		return nil, err
	}
	for _, check := range []func() error{
		func() error { return validateDescription(in.Description) },
		func() error { return validateToken(in.Token) },
		func() error { return validateValue(in.Value) },
		func() error { return validateTags(in.Tags) },
		func() error { return s.validateReplicaInputs(call.Region, in.Replicas) },
	} {
		if err := check(); err != nil {
			return nil, err
		}
	}
	key := s.secretKey(call.Region, in.Name)
	for range maxAttempts {
		l, err := s.load(ctx, key)
		if err == nil && s.expired(l.rec) {
			// Its recovery window has ended: purge it now, then create.
			if err := s.purge(ctx, call.Region, l); err != nil && !errors.Is(err, storage.ErrConflict) {
				return nil, err
			}
			continue
		}
		if err == nil {
			if err := s.authorize(ctx, call, "secretsmanager:CreateSecret", l.rec, iam.RequestTagConditions(in.Tags)); err != nil {
				return nil, err
			}
			return s.createExisting(ctx, call, l.rec, in)
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		res, err := s.createNew(ctx, call, key, in)
		if errors.Is(err, storage.ErrConflict) {
			continue // someone created it meanwhile: re-read and report as AWS would
		}
		return res, err
	}
	return nil, errors.New("secret changed concurrently too many times")
}

// createExisting answers a CreateSecret whose name is taken: an idempotent
// retry (same token, same value) succeeds; anything else is refused.
func (s *Service) createExisting(ctx context.Context, call Call, rec *secretRecord, in CreateInput) (*WriteResult, error) {
	if rec.isReplica() {
		return nil, ErrReplicaReadOnly
	}
	if rec.isDeleted() {
		return nil, invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
	}
	if in.Token == "" {
		return nil, &ExistsError{Name: in.Name}
	}
	v := rec.version(in.Token)
	if v == nil {
		return nil, &ExistsError{Name: in.Name}
	}
	if in.Value == nil {
		return nil, &TokenInUseError{Token: in.Token, ARN: rec.ARN}
	}
	old, err := s.openValue(ctx, call.Region, rec, v.ID)
	if err != nil {
		return nil, err
	}
	if !equalValues(old, *in.Value) {
		return nil, &TokenInUseError{Token: in.Token, ARN: rec.ARN}
	}
	return resultOf(rec, v.ID), nil
}

func (s *Service) createNew(ctx context.Context, call Call, key string, in CreateInput) (*WriteResult, error) {
	now := s.now().UTC()
	rec := &secretRecord{
		ARN:            s.arn(call.Region, in.Name, newSuffix()),
		Name:           in.Name,
		Description:    in.Description,
		HasDescription: in.HasDescription,
		KMSKeyID:       in.KMSKeyID,
		Tags:           dedupeTags(in.Tags),
		Created:        now,
		LastChanged:    now,
	}
	if err := s.authorize(ctx, call, "secretsmanager:CreateSecret", rec, iam.RequestTagConditions(in.Tags)); err != nil {
		return nil, err
	}
	kms, err := s.resolveKey(ctx, call.Region, in.KMSKeyID)
	if err != nil {
		return nil, err
	}
	rec.KMSKeyARN = kms.ARN
	m := &mutation{}
	versionID := ""
	if in.Value != nil {
		versionID = in.Token
		if versionID == "" {
			versionID = newVersionID()
		}
		rec.Versions = []versionRecord{{ID: versionID, Stages: []string{StageCurrent}, Created: toStamp(now)}}
		op, err := s.sealValue(ctx, call.Region, rec.Name, rec.ARN, kms, versionID, *in.Value)
		if err != nil {
			return nil, err
		}
		m.ops = append(m.ops, op)
		m.newValues = map[string]Value{versionID: *in.Value}
	}
	conds := []storage.Cond{{Key: key, Revision: 0}}
	if len(in.Replicas) > 0 {
		c, err := s.planReplicas(ctx, rec, in.Replicas, in.ForceOverwrite, m)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c...)
	}
	sealed, err := s.sealRecord(key, rec)
	if err != nil {
		return nil, err
	}
	txn := storage.Txn{Conds: conds, Ops: append([]storage.Op{{Key: key, Value: sealed}}, m.ops...)}
	if rec.hasReplicas() {
		ops, err := s.syncReplicas(ctx, call.Region, rec, m)
		if err != nil {
			return nil, err
		}
		txn.Ops = append(txn.Ops, ops...)
	}
	if err := s.backend.Txn(ctx, txn); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, err
		}
		return nil, fmt.Errorf("commit new secret: %w", err)
	}
	s.cache.seed(key, rec, sealed)
	s.sealed.forget(txn.Ops)
	s.changed(call.Region, rec)
	return resultOf(rec, versionID), nil
}

// PutInput is a PutSecretValue request.
type PutInput struct {
	SecretID string
	Value    *Value
	Token    string
	Stages   []string // nil: AWSCURRENT
}

// PutValue implements PutSecretValue.
func (s *Service) PutValue(ctx context.Context, call Call, in PutInput) (*WriteResult, error) {
	if in.Value == nil {
		return nil, invalidRequest("You must provide either SecretString or SecretBinary.")
	}
	if err := validateToken(in.Token); err != nil {
		return nil, err
	}
	if err := validateValue(in.Value); err != nil {
		return nil, err
	}
	if err := validateStages(in.Stages); err != nil {
		return nil, err
	}
	token := in.Token
	if token == "" {
		token = newVersionID()
	}
	var res *WriteResult
	rec, err := s.update(ctx, call, in.SecretID, "secretsmanager:PutSecretValue", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		m, err := s.addVersion(ctx, call.Region, rec, token, *in.Value, in.Stages)
		if errors.Is(err, errNoChange) {
			res = resultOf(rec, token)
		}
		return m, err
	})
	if errors.Is(err, errNoChange) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	request.From(ctx).Audit.VersionID = token
	return resultOf(rec, token), nil
}

// UpdateInput is an UpdateSecret request.
type UpdateInput struct {
	SecretID    string
	Description *string
	KMSKeyID    *string
	Value       *Value
	Token       string
}

// Update implements UpdateSecret.
func (s *Service) Update(ctx context.Context, call Call, in UpdateInput) (*WriteResult, error) {
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return nil, err
		}
	}
	if err := validateToken(in.Token); err != nil {
		return nil, err
	}
	if err := validateValue(in.Value); err != nil {
		return nil, err
	}
	token := ""
	if in.Value != nil {
		token = in.Token
		if token == "" {
			token = newVersionID()
		}
	}
	var res *WriteResult
	rec, err := s.update(ctx, call, in.SecretID, "secretsmanager:UpdateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		if in.KMSKeyID != nil {
			kms, err := s.resolveKey(ctx, call.Region, *in.KMSKeyID)
			if err != nil {
				return nil, err
			}
			for i := range rec.Versions { // they stay sealed under the old key
				if rec.Versions[i].KMSKeyARN == "" {
					rec.Versions[i].KMSKeyARN = rec.KMSKeyARN
				}
			}
			rec.KMSKeyID, rec.KMSKeyARN = *in.KMSKeyID, kms.ARN
		}
		if in.Description != nil {
			rec.Description, rec.HasDescription = *in.Description, true
		}
		rec.LastChanged = s.now().UTC()
		if in.Value == nil {
			return &mutation{}, nil
		}
		m, err := s.addVersion(ctx, call.Region, rec, token, *in.Value, nil)
		if errors.Is(err, errNoChange) {
			res = resultOf(rec, token)
		}
		return m, err
	})
	if errors.Is(err, errNoChange) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	return resultOf(rec, token), nil
}

// writable refuses changes to replicas and to secrets marked for deletion.
func writable(rec *secretRecord) error {
	if rec.isReplica() {
		return ErrReplicaReadOnly
	}
	if rec.isDeleted() {
		return ErrMarkedForDeletion
	}
	return nil
}

// addVersion adds version id with value v to rec and moves stages onto it
// (AWSCURRENT when stages is nil), as PutSecretValue documents: moving
// AWSCURRENT moves AWSPREVIOUS to the version it left; the first version
// always gets AWSCURRENT. A token already used with the same value returns
// errNoChange; with another value, TokenInUseError.
func (s *Service) addVersion(ctx context.Context, region string, rec *secretRecord, id string, v Value, stages []string) (*mutation, error) {
	existing := rec.version(id)
	if existing != nil && !existing.NoValue {
		old, err := s.openValue(ctx, region, rec, id)
		var nf *VersionNotFoundError
		if errors.As(err, &nf) {
			return nil, &TokenInUseError{Token: id, ARN: rec.ARN}
		}
		if err != nil {
			return nil, err
		}
		if equalValues(old, v) {
			return nil, errNoChange
		}
		return nil, &TokenInUseError{Token: id, ARN: rec.ARN}
	}
	kms, err := s.resolveKey(ctx, region, rec.KMSKeyID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if stages == nil {
		stages = []string{StageCurrent}
	}
	if len(rec.Versions) == 0 && !slices.Contains(stages, StageCurrent) {
		stages = append(slices.Clip(stages), StageCurrent)
	}
	vr := versionRecord{ID: id, Created: toStamp(now)}
	if kms.ARN != rec.KMSKeyARN {
		vr.KMSKeyARN = kms.ARN
	}
	if existing != nil {
		// The AWSPENDING version a rotation added: createSecret fills it
		// in, keeping its labels.
		vr.Stages = existing.Stages
		*existing = vr
	} else {
		rec.Versions = append(rec.Versions, vr)
	}
	for _, st := range stages {
		rec.moveStage(st, id)
	}
	rec.LastChanged = now
	m := &mutation{newValues: map[string]Value{id: v}}
	op, err := s.sealValue(ctx, region, rec.Name, rec.ARN, kms, id, v)
	if err != nil {
		return nil, err
	}
	m.ops = append(m.ops, op)
	m.dropped = rec.trimVersions()
	for _, d := range m.dropped {
		m.ops = append(m.ops, storage.Op{Key: s.versionKey(region, rec.Name, d), Delete: true})
	}
	return m, nil
}

// moveStage attaches stage to version to, taking it off any other version;
// moving AWSCURRENT carries AWSPREVIOUS to the version it left.
func (r *secretRecord) moveStage(stage, to string) {
	from := r.removeStage(stage)
	if from == to {
		from = ""
	}
	r.version(to).addStage(stage)
	if stage == StageCurrent && from != "" {
		r.removeStage(StagePrevious)
		r.version(from).addStage(StagePrevious)
	}
}

// trimVersions removes the oldest versions without stages beyond
// MaxVersions and returns their ids.
func (r *secretRecord) trimVersions() []string {
	var dropped []string
	for i := 0; len(r.Versions) > MaxVersions && i < len(r.Versions); {
		if len(r.Versions[i].Stages) == 0 {
			dropped = append(dropped, r.Versions[i].ID)
			r.Versions = append(r.Versions[:i], r.Versions[i+1:]...)
			continue
		}
		i++
	}
	return dropped
}

func resultOf(rec *secretRecord, versionID string) *WriteResult {
	res := &WriteResult{ARN: rec.ARN, Name: rec.Name}
	if v := rec.version(versionID); v != nil {
		res.VersionID = v.ID
		res.Stages = append([]string(nil), v.Stages...)
	}
	for _, rep := range rec.Replicas {
		res.Replicas = append(res.Replicas, Replica(rep))
	}
	return res
}

func dedupeTags(tags []Tag) []Tag {
	var out []Tag
	for _, t := range tags {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i] = t
			continue
		}
		out = append(out, t)
	}
	return out
}
