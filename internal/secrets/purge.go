package secrets

import (
	"context"
	"errors"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// PurgeDue purges every secret whose recovery window has ended, in every
// Region, and returns how many it purged. The server's scheduler calls it
// periodically; until it runs, such secrets already read as not found.
func (s *Service) PurgeDue(ctx context.Context) (int, error) {
	now := s.now()
	n := 0
	err := s.eachRecord(ctx, func(region string, kv storage.KV, rec *secretRecord) error {
		if !rec.isDeleted() || now.Before(rec.PurgeAt) {
			return nil
		}
		err := s.purge(ctx, region, &loaded{key: kv.Key, rev: kv.Revision, rec: rec})
		if errors.Is(err, storage.ErrConflict) {
			return nil // changed meanwhile (restored?); the next sweep decides
		}
		if err == nil {
			n++
		}
		return err
	})
	return n, err
}

// expired reports whether rec's recovery window has ended.
func (s *Service) expired(rec *secretRecord) bool {
	return rec.isDeleted() && !s.now().Before(rec.PurgeAt)
}

// PurgeVersions removes, in every Region, the versions that have carried no
// staging label for at least retention (deprecated versions, as AWS calls
// them), values and all, and returns how many it removed. retention <= 0
// keeps them (only the MaxVersions cap applies).
func (s *Service) PurgeVersions(ctx context.Context, retention time.Duration) (int, error) {
	if retention <= 0 {
		return 0, nil
	}
	cutoff := toStamp(s.now().Add(-retention))
	n := 0
	err := s.eachRecord(ctx, func(region string, kv storage.KV, rec *secretRecord) error {
		if rec.isReplica() || rec.isDeleted() || !rec.hasExpiredVersions(cutoff) {
			return nil
		}
		var removed []string
		_, err := s.update(ctx, systemCall(region), rec.ARN, "secretsmanager:UpdateSecret", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
			m := &mutation{}
			kept := rec.Versions[:0]
			for _, v := range rec.Versions {
				if len(v.Stages) == 0 && v.Deprecated != 0 && v.Deprecated <= cutoff {
					m.ops = append(m.ops, storage.Op{Key: s.versionKey(region, rec.Name, v.ID), Delete: true})
					m.dropped = append(m.dropped, v.ID)
					continue
				}
				kept = append(kept, v)
			}
			if len(m.ops) == 0 {
				return nil, errNoChange
			}
			rec.Versions = kept
			removed = m.dropped
			return m, nil
		})
		if errors.Is(err, errNoChange) || errors.Is(err, ErrNotFound) {
			return nil
		}
		if err == nil && s.purged != nil {
			s.purged(ctx, region, rec.ARN, removed)
		}
		n += len(removed)
		return err
	})
	return n, err
}

func (r *secretRecord) hasExpiredVersions(cutoff stamp) bool {
	for _, v := range r.Versions {
		if len(v.Stages) == 0 && v.Deprecated != 0 && v.Deprecated <= cutoff {
			return true
		}
	}
	return false
}
