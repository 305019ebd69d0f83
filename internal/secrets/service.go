package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Config wires a Service. Backend, Keys and Account are required.
type Config struct {
	Backend storage.Backend
	Keys    *keys.Keyring
	Account string // 12-digit account id for ARNs
	// Authorizer decides every operation; nil means iam.AllowAll.
	Authorizer iam.Authorizer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational events; nil discards them.
	Logger *slog.Logger
	// CheckRotationFunction validates a RotationLambdaARN for RotateSecret;
	// nil accepts any.
	CheckRotationFunction func(region, arn string) error
	// RotationDue, if set, is called after RotateSecret starts a rotation,
	// to wake the scheduler. It must not block.
	RotationDue func()
	// Purged, if set, is told of every purge the sweeps commit: a whole
	// secret (versions nil) or versions past their retention (for audit).
	Purged func(ctx context.Context, region, arn string, versions []string)
}

// Service implements the Secrets Manager domain over a storage backend.
type Service struct {
	backend storage.Backend
	keys    *keys.Keyring
	account string
	authz   iam.Authorizer
	now     func() time.Time
	log     *slog.Logger
	cache   recordCache
	locks   storage.KeyLocks
	changes changeLog
	sealed  sealedCache // sealed version values by storage key

	checkFunction func(region, arn string) error
	rotationDue   func()
	purged        func(ctx context.Context, region, arn string, versions []string)

	blindMu sync.RWMutex
	blinded map[blindKey]string // see blind
}

// New returns a Service, or an error naming the missing field.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Backend == nil:
		return nil, errors.New("secrets: Config.Backend is required")
	case cfg.Keys == nil:
		return nil, errors.New("secrets: Config.Keys is required")
	case len(cfg.Account) != 12:
		return nil, errors.New("secrets: Config.Account must be a 12-digit account id")
	}
	s := &Service{
		backend: cfg.Backend,
		keys:    cfg.Keys,
		account: cfg.Account,
		authz:   cfg.Authorizer,
		now:     cfg.Now,
		log:     cfg.Logger,

		checkFunction: cfg.CheckRotationFunction,
		rotationDue:   cfg.RotationDue,
		purged:        cfg.Purged,
	}
	if s.authz == nil {
		s.authz = iam.AllowAll{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.cache.init(4096)
	return s, nil
}

func (s *Service) arn(region, name, suffix string) string {
	return "arn:aws:secretsmanager:" + region + ":" + s.account + ":secret:" + name + "-" + suffix
}

// resolve finds the secret a SecretId names in the call's region: a name,
// a full ARN (name plus the 6-character suffix) or a partial ARN (no suffix).
func (s *Service) resolve(ctx context.Context, region, id string) (*loaded, error) {
	l, err := s.resolveAny(ctx, region, id)
	if err == nil && s.expired(l.rec) {
		return nil, ErrNotFound
	}
	return l, err
}

func (s *Service) resolveAny(ctx context.Context, region, id string) (*loaded, error) {
	if id == "" {
		return nil, &ValidationError{Field: "secretId", Constraint: notNull}
	}
	if len(id) > 2048 {
		return nil, invalidParam("SecretId", "SecretId must be no longer than 2048 characters.")
	}
	if !strings.HasPrefix(id, "arn:") {
		return s.load(ctx, s.secretKey(region, id))
	}
	rest, ok := s.parseARN(region, id)
	if !ok {
		return nil, ErrNotFound
	}
	// Full ARN: the name is everything before "-XXXXXX".
	if n := len(rest) - 7; n > 0 && rest[n] == '-' && isSuffix(rest[n+1:]) {
		l, err := s.load(ctx, s.secretKey(region, rest[:n]))
		if err == nil && l.rec.ARN == id {
			return l, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	// Partial ARN: the name itself.
	return s.load(ctx, s.secretKey(region, rest))
}

// resolveFor is resolve for an operation: a caller that could not perform
// action on the secret even if it existed learns nothing of whether it
// does - it gets AccessDenied, not ResourceNotFound. The check uses the ARN
// the id names (or, for a name, the ARN without its random suffix).
func (s *Service) resolveFor(ctx context.Context, call Call, id, action string) (*loaded, error) {
	l, err := s.resolve(ctx, call.Region, id)
	if !errors.Is(err, ErrNotFound) {
		return l, err
	}
	probe := &secretRecord{ARN: id, Name: id}
	if rest, ok := s.parseARN(call.Region, id); ok {
		probe.Name = rest
	} else if !strings.HasPrefix(id, "arn:") {
		probe.ARN = "arn:aws:secretsmanager:" + call.Region + ":" + s.account + ":secret:" + id
	}
	if aerr := s.authorize(ctx, call, action, probe, nil); aerr != nil {
		return nil, aerr
	}
	return nil, err
}

// parseARN returns the resource name part of a secret ARN in this region
// and account.
func (s *Service) parseARN(region, arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[1] != "aws" || parts[2] != "secretsmanager" || parts[5] != "secret" {
		return "", false
	}
	if parts[3] != region || parts[4] != s.account || parts[6] == "" {
		return "", false
	}
	return parts[6], true
}

func isSuffix(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// authorize asks the Authorizer whether the call may perform action on
// the secret (rec may be nil for actions without a resource). extra holds
// the operation's own condition keys.
func (s *Service) authorize(ctx context.Context, call Call, action string, rec *secretRecord, extra map[string][]string) error {
	req := iam.Request{
		Principal: call.Principal, Action: action, Resource: "*", Context: extra,
		SourceIP: call.SourceIP, SecureTransport: call.SecureTransport,
	}
	if rec != nil {
		req.Resource = rec.ARN
		req.ResourcePolicy = rec.ResourcePolicy
		if req.Context == nil {
			req.Context = make(map[string][]string, 2)
		}
		req.Context["secretsmanager:SecretId"] = []string{rec.ARN}
		req.Context["secretsmanager:Name"] = []string{rec.Name}
		if len(rec.Tags) > 0 {
			req.ResourceTags = make(map[string]string, len(rec.Tags))
			for _, t := range rec.Tags {
				req.ResourceTags[t.Key] = t.Value
			}
		}
	}
	d, err := s.authz.Authorize(ctx, req)
	if err != nil {
		return fmt.Errorf("authorize %s: %w", action, err)
	}
	if d != iam.Allow {
		return &iam.AccessDeniedError{PrincipalARN: call.Principal.ARN, Action: action, Resource: req.Resource, Decision: d}
	}
	return nil
}

// maxAttempts bounds the retries of a read-modify-write that lost a race
// (to another node sharing the store: within one process, writers of a
// secret take its key lock first).
const maxAttempts = 16

// mutation is what an update callback produces beyond the changed record.
type mutation struct {
	ops []storage.Op
	// conds are further revision conditions of the commit (replica names
	// that must still be free).
	conds []storage.Cond
	// newValues are plaintexts of versions added by this change; they are
	// sealed again for each replica Region.
	newValues map[string]Value
	// dropped are version ids removed by this change.
	dropped []string
	// noReplicaSync skips replica propagation (replicas are unchanged).
	noReplicaSync bool
}

// update resolves id, authorizes action, lets fn change a private copy of
// the record, and commits the record with fn's extra ops in one Txn
// conditioned on the revision read. It retries when another writer won.
func (s *Service) update(ctx context.Context, call Call, id, action string, cond map[string][]string, fn func(l *loaded, rec *secretRecord) (*mutation, error)) (*secretRecord, error) {
	l, err := s.resolveFor(ctx, call, id, action)
	if err != nil {
		return nil, err
	}
	defer s.locks.Lock(l.key)()
	for attempt := range maxAttempts {
		if attempt > 0 {
			if l, err = s.resolve(ctx, call.Region, id); err != nil {
				return nil, err
			}
		}
		if err := s.authorize(ctx, call, action, l.rec, cond); err != nil {
			return nil, err
		}
		rec := l.rec.clone()
		m, err := fn(l, rec)
		if err != nil {
			return nil, err
		}
		rec.stampDeprecated(s.now())
		if m == nil {
			m = &mutation{}
		}
		txn := storage.Txn{Conds: append([]storage.Cond{{Key: l.key, Revision: l.rev}}, m.conds...)}
		sealed, err := s.sealRecord(l.key, rec)
		if err != nil {
			return nil, err
		}
		txn.Ops = append(txn.Ops, storage.Op{Key: l.key, Value: sealed})
		txn.Ops = append(txn.Ops, m.ops...)
		committed := sealed
		if !m.noReplicaSync && rec.hasReplicas() {
			ops, err := s.syncReplicas(ctx, call.Region, rec, m)
			if err != nil {
				return nil, err
			}
			txn.Ops = append(txn.Ops, ops...)
		}
		err = s.backend.Txn(ctx, txn)
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("commit secret: %w", err)
		}
		s.cache.seed(l.key, rec, committed)
		s.sealed.forget(txn.Ops)
		s.changed(call.Region, rec)
		return rec, nil
	}
	return nil, errors.New("secret changed concurrently too many times")
}

// changed records a committed write of rec (and of its replicas) for
// watchers.
func (s *Service) changed(region string, rec *secretRecord) {
	s.changes.add(region, rec.ARN, rec.Name)
	for _, r := range rec.Replicas {
		if r.Status == ReplicaInSync {
			s.changes.add(r.Region, replicaARN(rec.ARN, r.Region), rec.Name)
		}
	}
}

// recordCache keeps decoded secret records by storage key and revision, so
// a read of an unchanged secret skips decryption and decoding. A record
// this process just wrote is seeded with its sealed bytes (its revision is
// not known yet): the next read recognises it by those bytes - unique, as
// every seal has a fresh nonce - instead of decoding it again. Entries are
// shared and must never be mutated.
type recordCache struct {
	max int
	mu  sync.RWMutex
	m   map[string]cachedRecord

	hits, misses atomic.Uint64 // reads of one record (load), for CacheStats
}

type cachedRecord struct {
	rev     storage.Revision
	rec     *secretRecord
	sealed  []byte // set by seed until the revision is learned
	validAt uint64 // storage watermark+1 when rev was confirmed; 0 unknown
}

func (c *recordCache) init(max int) {
	c.max = max
	c.m = make(map[string]cachedRecord)
}

// current returns the cached record if it was confirmed at watermark mark
// (nothing committed since).
func (c *recordCache) current(key string, mark uint64) (*secretRecord, storage.Revision, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && e.sealed == nil && e.validAt != 0 && e.validAt == mark {
		return e.rec, e.rev, true
	}
	return nil, 0, false
}

func (c *recordCache) get(key string, rev storage.Revision, raw []byte, mark uint64) (*secretRecord, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	switch {
	case !ok:
		return nil, false
	case e.rev == rev && e.sealed == nil:
		if mark != 0 && e.validAt != mark {
			c.put(key, rev, e.rec, mark)
		}
		return e.rec, true
	case e.sealed != nil && bytes.Equal(e.sealed, raw):
		c.put(key, rev, e.rec, mark) // learned its revision
		return e.rec, true
	}
	return nil, false
}

func (c *recordCache) put(key string, rev storage.Revision, rec *secretRecord, mark uint64) {
	c.store(key, cachedRecord{rev: rev, rec: rec, validAt: mark})
}

// seed caches a record just committed as sealed.
func (c *recordCache) seed(key string, rec *secretRecord, sealed []byte) {
	c.store(key, cachedRecord{rec: rec, sealed: sealed})
}

func (c *recordCache) store(key string, e cachedRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k := range c.m { // evict an arbitrary entry
			delete(c.m, k)
			break
		}
	}
	c.m[key] = e
}

// CacheStats counts how often reads were served from the service's
// caches since it started.
type CacheStats struct {
	// RecordHits and RecordMisses count reads of a secret's record: a hit
	// skipped decryption and decoding (and, with a storage watermark, the
	// read from storage too).
	RecordHits, RecordMisses uint64
	// ValueHits and ValueMisses count reads of a version's sealed value:
	// a hit skipped the read from storage (the value is still decrypted).
	ValueHits, ValueMisses uint64
}

// CacheStats returns the counts so far.
func (s *Service) CacheStats() CacheStats {
	return CacheStats{
		RecordHits: s.cache.hits.Load(), RecordMisses: s.cache.misses.Load(),
		ValueHits: s.sealed.hits.Load(), ValueMisses: s.sealed.misses.Load(),
	}
}

// Authorize checks an action that has no secret as its resource (such as
// GetRandomPassword).
func (s *Service) Authorize(ctx context.Context, call Call, action string) error {
	return s.authorize(ctx, call, action, nil, nil)
}
