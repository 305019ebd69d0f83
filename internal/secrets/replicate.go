package secrets

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/coffer-dev/coffer/internal/storage"
)

// A replica is a read-only copy of a primary secret in another Region's
// namespace. Because every Region lives in the same store, the copy is
// written in the same transaction as each change to the primary: replicas
// are always in step, and ReplicationStatus is InSync unless the name was
// already taken in the replica Region (Failed).

func (s *Service) validateReplicaInputs(primary string, in []ReplicaInput) error {
	seen := map[string]bool{}
	for _, r := range in {
		if !validateRegion(r.Region) {
			return invalidParam("AddReplicaRegions", "Invalid replica region.")
		}
		if r.Region == primary {
			return invalidParam("AddReplicaRegions", "Invalid replica region. You can't replicate a secret to the same Region as the primary secret.")
		}
		if seen[r.Region] {
			return invalidParam("AddReplicaRegions", "Invalid replica region. Duplicate Region %s.", r.Region)
		}
		seen[r.Region] = true
	}
	return nil
}

// planReplicas adds replica entries for regions to rec and returns the
// conditions that keep a replica from clobbering a secret of the same name
// that appears meanwhile. A taken name makes that replica Failed, unless
// force, which overwrites it.
func (s *Service) planReplicas(ctx context.Context, rec *secretRecord, regions []ReplicaInput, force bool, m *mutation) ([]storage.Cond, error) {
	var conds []storage.Cond
	for _, in := range regions {
		if slices.ContainsFunc(rec.Replicas, func(r replicaRecord) bool { return r.Region == in.Region }) {
			continue
		}
		rep := replicaRecord{Region: in.Region, KMSKeyID: in.KMSKeyID, Status: ReplicaInSync, StatusMessage: "Replication succeeded"}
		key := s.secretKey(in.Region, rec.Name)
		_, rev, err := s.backend.Get(ctx, key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			conds = append(conds, storage.Cond{Key: key, Revision: 0})
		case err != nil:
			return nil, err
		case force:
			conds = append(conds, storage.Cond{Key: key, Revision: rev})
			old, err := s.backend.List(ctx, s.versionsPrefix(in.Region, rec.Name), "", 0)
			if err != nil {
				return nil, err
			}
			for _, kv := range old {
				m.ops = append(m.ops, storage.Op{Key: kv.Key, Delete: true})
			}
		default:
			rep.Status = ReplicaFailed
			rep.StatusMessage = "Replication failed: Secret name already exists in Region " + in.Region + "."
		}
		if rep.Status == ReplicaInSync {
			if _, err := s.resolveKey(ctx, in.Region, in.KMSKeyID); err != nil {
				rep.Status = ReplicaFailed
				rep.StatusMessage = "Replication failed: KMS key " + in.KMSKeyID + " can't be found in Region " + in.Region + "."
			}
		}
		rec.Replicas = append(rec.Replicas, rep)
	}
	return conds, nil
}

// syncReplicas returns the ops that bring every in-sync replica of rec in
// line with it: the replica record, newly added version values (sealed for
// the replica's ARN and key) and removed versions.
func (s *Service) syncReplicas(ctx context.Context, primary string, rec *secretRecord, m *mutation) ([]storage.Op, error) {
	var ops []storage.Op
	for _, rep := range rec.Replicas {
		if rep.Status != ReplicaInSync {
			continue
		}
		kms, err := s.resolveKey(ctx, rep.Region, rep.KMSKeyID)
		if err != nil {
			return nil, err
		}
		r := rec.clone()
		r.ARN = replicaARN(rec.ARN, rep.Region)
		r.PrimaryRegion = primary
		r.Replicas = nil
		r.KMSKeyID, r.KMSKeyARN = rep.KMSKeyID, kms.ARN
		r.ResourcePolicy = ""
		for i := range r.Versions {
			r.Versions[i].KMSKeyARN = "" // the replica's own key
		}
		key := s.secretKey(rep.Region, rec.Name)
		sealed, err := s.sealRecord(key, r)
		if err != nil {
			return nil, err
		}
		ops = append(ops, storage.Op{Key: key, Value: sealed})
		for id, v := range m.newValues {
			op, err := s.sealValue(ctx, rep.Region, r.Name, r.ARN, kms, id, v)
			if err != nil {
				return nil, err
			}
			ops = append(ops, op)
		}
		for _, id := range m.dropped {
			ops = append(ops, storage.Op{Key: s.versionKey(rep.Region, r.Name, id), Delete: true})
		}
	}
	return ops, nil
}

// replicaARN is the primary's ARN with the replica's Region.
func replicaARN(arn, region string) string {
	parts := strings.SplitN(arn, ":", 5)
	parts[3] = region
	return strings.Join(parts, ":")
}

// allValues decrypts every version of rec, for a first copy to a replica.
func (s *Service) allValues(ctx context.Context, region string, rec *secretRecord) (map[string]Value, error) {
	out := make(map[string]Value, len(rec.Versions))
	for _, v := range rec.Versions {
		val, err := s.openValue(ctx, region, rec, v.ID)
		if err != nil {
			var nf *VersionNotFoundError
			if errors.As(err, &nf) {
				continue // a version without a value (rotation pending)
			}
			return nil, err
		}
		out[v.ID] = val
	}
	return out, nil
}

// Replicate implements ReplicateSecretToRegions.
func (s *Service) Replicate(ctx context.Context, call Call, id string, regions []ReplicaInput, force bool) (*WriteResult, error) {
	if len(regions) == 0 {
		return nil, invalidParam("AddReplicaRegions", "You must provide at least one Region.")
	}
	if err := s.validateReplicaInputs(call.Region, regions); err != nil {
		return nil, err
	}
	rec, err := s.update(ctx, call, id, "secretsmanager:ReplicateSecretToRegions", nil, func(_ *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		vals, err := s.allValues(ctx, call.Region, rec)
		if err != nil {
			return nil, err
		}
		m := &mutation{newValues: vals}
		// Only the new regions need the full copy; existing ones get an
		// unchanged record rewritten, which is harmless.
		m.conds, err = s.planReplicas(ctx, rec, regions, force, m)
		rec.LastChanged = s.now().UTC()
		return m, err
	})
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

// RemoveRegions implements RemoveRegionsFromReplication: the replicas in
// regions are deleted.
func (s *Service) RemoveRegions(ctx context.Context, call Call, id string, regions []string) (*WriteResult, error) {
	if len(regions) == 0 {
		return nil, invalidParam("RemoveReplicaRegions", "You must provide at least one Region.")
	}
	rec, err := s.update(ctx, call, id, "secretsmanager:RemoveRegionsFromReplication", nil, func(_ *loaded, rec *secretRecord) (*mutation, error) {
		if rec.isReplica() {
			return nil, ErrReplicaReadOnly
		}
		m := &mutation{}
		for _, region := range regions {
			i := slices.IndexFunc(rec.Replicas, func(r replicaRecord) bool { return r.Region == region })
			if i < 0 {
				return nil, invalidParam("RemoveReplicaRegions", "Region %s is not a replica Region of this secret.", region)
			}
			if rec.Replicas[i].Status != ReplicaFailed {
				m.ops = append(m.ops, storage.Op{Key: s.secretKey(region, rec.Name), Delete: true})
				old, err := s.backend.List(ctx, s.versionsPrefix(region, rec.Name), "", 0)
				if err != nil {
					return nil, err
				}
				for _, kv := range old {
					m.ops = append(m.ops, storage.Op{Key: kv.Key, Delete: true})
				}
			}
			rec.Replicas = slices.Delete(rec.Replicas, i, i+1)
		}
		rec.LastChanged = s.now().UTC()
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

// StopReplication implements StopReplicationToReplica: called in the
// replica's Region, it promotes the replica to a standalone secret and
// removes it from its primary.
func (s *Service) StopReplication(ctx context.Context, call Call, id string) (string, error) {
	for range maxAttempts {
		l, err := s.resolveFor(ctx, call, id, "secretsmanager:StopReplicationToReplica")
		if err != nil {
			return "", err
		}
		if err := s.authorize(ctx, call, "secretsmanager:StopReplicationToReplica", l.rec, nil); err != nil {
			return "", err
		}
		if !l.rec.isReplica() {
			return "", invalidRequest("StopReplicationToReplica can only be called on a replica secret.")
		}
		rec := l.rec.clone()
		primaryKey := s.secretKey(rec.PrimaryRegion, rec.Name)
		txn := storage.Txn{Conds: []storage.Cond{{Key: l.key, Revision: l.rev}}}
		if pl, err := s.load(ctx, primaryKey); err == nil {
			prim := pl.rec.clone()
			prim.Replicas = slices.DeleteFunc(prim.Replicas, func(r replicaRecord) bool { return r.Region == call.Region })
			sealed, err := s.sealRecord(primaryKey, prim)
			if err != nil {
				return "", err
			}
			txn.Conds = append(txn.Conds, storage.Cond{Key: primaryKey, Revision: pl.rev})
			txn.Ops = append(txn.Ops, storage.Op{Key: primaryKey, Value: sealed})
		} else if !errors.Is(err, ErrNotFound) {
			return "", err
		}
		rec.PrimaryRegion = ""
		rec.LastChanged = s.now().UTC()
		sealed, err := s.sealRecord(l.key, rec)
		if err != nil {
			return "", err
		}
		txn.Ops = append(txn.Ops, storage.Op{Key: l.key, Value: sealed})
		err = s.backend.Txn(ctx, txn)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		s.changes.add(call.Region, rec.ARN, rec.Name)
		return rec.ARN, nil
	}
	return "", errors.New("secret changed concurrently too many times")
}
