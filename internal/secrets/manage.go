package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/storage"
)

// DeleteInput is a DeleteSecret request.
type DeleteInput struct {
	SecretID             string
	RecoveryWindowInDays *int // nil: the default (30), unless Force
	Force                bool
}

// DeleteResult reports a scheduled or immediate deletion.
type DeleteResult struct {
	ARN          string
	Name         string
	DeletionDate time.Time
}

// Delete implements DeleteSecret: it schedules the purge at the end of the
// recovery window, or purges at once with Force.
func (s *Service) Delete(ctx context.Context, call Call, in DeleteInput) (*DeleteResult, error) {
	if in.RecoveryWindowInDays != nil && in.Force {
		return nil, invalidParam("RecoveryWindowInDays", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := DefaultRecovery
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < MinRecovery || days > MaxRecovery {
			return nil, invalidParam("RecoveryWindowInDays", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	now := s.now().UTC()
	if in.Force {
		return s.forceDelete(ctx, call, in.SecretID, now)
	}
	rec, err := s.update(ctx, call, in.SecretID, "secretsmanager:DeleteSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if rec.isReplica() {
			return nil, ErrReplicaReadOnly
		}
		if rec.hasReplicas() {
			return nil, replicasRemain(rec)
		}
		if rec.isDeleted() {
			return nil, invalidRequest("You tried to perform the operation on a secret that's currently marked deleted.")
		}
		rec.DeletedDate = now
		rec.PurgeAt = now.Add(time.Duration(days) * 24 * time.Hour)
		return &mutation{}, nil
	})
	if err != nil {
		return nil, err
	}
	return &DeleteResult{ARN: rec.ARN, Name: rec.Name, DeletionDate: rec.PurgeAt}, nil
}

func replicasRemain(rec *secretRecord) error {
	regions := make([]string, len(rec.Replicas))
	for i, r := range rec.Replicas {
		regions[i] = r.Region
	}
	return invalidParam("SecretId", "You can't delete secret %s that still has replica regions [%s]", rec.Name, strings.Join(regions, ","))
}

// forceDelete purges a secret at once. As AWS does, forcing the deletion
// of a secret that does not exist succeeds.
func (s *Service) forceDelete(ctx context.Context, call Call, id string, now time.Time) (*DeleteResult, error) {
	for range maxAttempts {
		l, err := s.resolve(ctx, call.Region, id)
		if errors.Is(err, ErrNotFound) {
			if err := s.authorize(ctx, call, "secretsmanager:DeleteSecret", nil, nil); err != nil {
				return nil, err
			}
			name := id
			if rest, ok := s.parseARN(call.Region, id); ok {
				name = rest
			}
			return &DeleteResult{ARN: s.arn(call.Region, name, newSuffix()), Name: name, DeletionDate: now}, nil
		}
		if err != nil {
			return nil, err
		}
		if err := s.authorize(ctx, call, "secretsmanager:DeleteSecret", l.rec, nil); err != nil {
			return nil, err
		}
		if l.rec.isReplica() {
			return nil, ErrReplicaReadOnly
		}
		if l.rec.hasReplicas() {
			return nil, replicasRemain(l.rec)
		}
		err = s.purge(ctx, call.Region, l)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &DeleteResult{ARN: l.rec.ARN, Name: l.rec.Name, DeletionDate: now}, nil
	}
	return nil, errors.New("secret changed concurrently too many times")
}

// purge removes a secret record and every version value, conditioned on
// the record being unchanged since it was read.
func (s *Service) purge(ctx context.Context, region string, l *loaded) error {
	kvs, err := s.backend.List(ctx, s.versionsPrefix(region, l.rec.Name), "", 0)
	if err != nil {
		return fmt.Errorf("list versions: %w", err)
	}
	txn := storage.Txn{
		Conds: []storage.Cond{{Key: l.key, Revision: l.rev}},
		Ops:   []storage.Op{{Key: l.key, Delete: true}},
	}
	for _, kv := range kvs {
		txn.Ops = append(txn.Ops, storage.Op{Key: kv.Key, Delete: true})
	}
	if err := s.backend.Txn(ctx, txn); err != nil {
		return fmt.Errorf("purge secret: %w", err)
	}
	s.sealed.forget(txn.Ops)
	s.changes.add(region, l.rec.ARN, l.rec.Name)
	s.log.Info("secret purged", "secret_arn", l.rec.ARN)
	if s.purged != nil {
		s.purged(ctx, region, l.rec.ARN, nil)
	}
	return nil
}

// Restore implements RestoreSecret: it cancels a scheduled deletion.
func (s *Service) Restore(ctx context.Context, call Call, id string) (*WriteResult, error) {
	rec, err := s.update(ctx, call, id, "secretsmanager:RestoreSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if rec.isReplica() {
			return nil, ErrReplicaReadOnly
		}
		if !rec.isDeleted() {
			return nil, errNoChange
		}
		rec.DeletedDate, rec.PurgeAt = time.Time{}, time.Time{}
		return &mutation{}, nil
	})
	if errors.Is(err, errNoChange) {
		l, err := s.resolve(ctx, call.Region, id)
		if err != nil {
			return nil, err
		}
		return resultOf(l.rec, ""), nil
	}
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

// Tag implements TagResource: keys already present take the new value.
func (s *Service) Tag(ctx context.Context, call Call, id string, tags []Tag) error {
	if len(tags) == 0 {
		return invalidParam("Tags", "You must provide at least one tag.")
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err := s.update(ctx, call, id, "secretsmanager:TagResource", iam.RequestTagConditions(tags), func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		merged := dedupeTags(append(slices.Clone(rec.Tags), tags...))
		if len(merged) > MaxTags {
			return nil, invalidParam("Tags", "Number of tags exceeds the limit of 50.")
		}
		rec.Tags = merged
		return &mutation{}, nil
	})
	return err
}

// Untag implements UntagResource.
func (s *Service) Untag(ctx context.Context, call Call, id string, keys []string) error {
	for _, k := range keys {
		if k == "" || len(k) > 128 {
			return &ValidationError{Field: "tagKeys.member", Constraint: "Member must have length between 1 and 128"}
		}
	}
	_, err := s.update(ctx, call, id, "secretsmanager:UntagResource", map[string][]string{"aws:TagKeys": keys}, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		rec.Tags = slices.DeleteFunc(rec.Tags, func(t Tag) bool { return slices.Contains(keys, t.Key) })
		return &mutation{}, nil
	})
	return err
}

// StageInput is an UpdateSecretVersionStage request.
type StageInput struct {
	SecretID     string
	Stage        string
	RemoveFromID string
	MoveToID     string
}

// UpdateStage implements UpdateSecretVersionStage: it moves, attaches or
// detaches one stage atomically. A stage on another version must be named
// in RemoveFromID; moving AWSCURRENT carries AWSPREVIOUS along.
func (s *Service) UpdateStage(ctx context.Context, call Call, in StageInput) (*WriteResult, error) {
	if in.Stage == "" || len(in.Stage) > 256 {
		return nil, &ValidationError{Field: "versionStage", Constraint: "Member must have length between 1 and 256"}
	}
	for _, id := range []string{in.RemoveFromID, in.MoveToID} {
		if id != "" && (len(id) < 32 || len(id) > 64) {
			return nil, &ValidationError{Field: "versionId", Constraint: "Member must have length between 32 and 64"}
		}
	}
	rec, err := s.update(ctx, call, in.SecretID, "secretsmanager:UpdateSecretVersionStage", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		return nil, rec.applyStage(in)
	})
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

func (r *secretRecord) applyStage(in StageInput) error {
	if in.MoveToID != "" && r.version(in.MoveToID) == nil {
		return invalidParam("MoveToVersionId", "Secrets Manager can't find the specified secret version: %s", in.MoveToID)
	}
	if in.RemoveFromID != "" {
		v := r.version(in.RemoveFromID)
		if v == nil {
			return invalidParam("RemoveFromVersionId", "Secrets Manager can't find the specified secret version: %s", in.RemoveFromID)
		}
		if !v.hasStage(in.Stage) {
			return invalidParam("RemoveFromVersionId", "The staging label %s is not attached to version %s.", in.Stage, in.RemoveFromID)
		}
	}
	holder := r.staged(in.Stage)
	if holder != nil && holder.ID != in.MoveToID && holder.ID != in.RemoveFromID {
		return invalidParam("RemoveFromVersionId",
			"The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.",
			in.Stage, holder.ID)
	}
	if in.MoveToID == "" {
		if in.Stage == StageCurrent {
			return invalidParam("MoveToVersionId", "You can't remove the staging label AWSCURRENT without attaching it to another version. Specify MoveToVersionId.")
		}
		if in.RemoveFromID != "" {
			r.removeStage(in.Stage)
		}
		return nil
	}
	if len(r.version(in.MoveToID).Stages) >= MaxStagesPerVer && !r.version(in.MoveToID).hasStage(in.Stage) {
		return &LimitExceededError{Reason: "You can't attach more than 20 staging labels to a version."}
	}
	r.moveStage(in.Stage, in.MoveToID)
	return nil
}
