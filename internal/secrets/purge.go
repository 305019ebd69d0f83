package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coffer-dev/coffer/internal/storage"
)

// PurgeDue purges every secret whose recovery window has ended, in every
// Region, and returns how many it purged. The server's scheduler calls it
// periodically; until it runs, such secrets already read as not found.
func (s *Service) PurgeDue(ctx context.Context) (int, error) {
	kvs, err := s.backend.List(ctx, "sms/", "", 0)
	if err != nil {
		return 0, fmt.Errorf("list secrets: %w", err)
	}
	now := s.now()
	n := 0
	for _, kv := range kvs {
		rec, err := s.decodeKV(kv.Key, kv.Value)
		if err != nil {
			s.log.Error("purge: unreadable secret record", "err", err)
			continue
		}
		if !rec.isDeleted() || now.Before(rec.PurgeAt) {
			continue
		}
		region := strings.SplitN(strings.TrimPrefix(kv.Key, "sms/"), "/", 2)[0]
		err = s.purge(ctx, region, &loaded{key: kv.Key, rev: kv.Revision, rec: rec})
		if errors.Is(err, storage.ErrConflict) {
			continue // changed meanwhile (restored?); the next sweep decides
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// expired reports whether rec's recovery window has ended.
func (s *Service) expired(rec *secretRecord) bool {
	return rec.isDeleted() && !s.now().Before(rec.PurgeAt)
}
