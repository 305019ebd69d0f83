package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// recordFormat is the encoding version of secretRecord.
const recordFormat = 1

// secretRecord is the stored form of a secret: private, versioned, and
// converted explicitly to and from the domain type Secret.
type secretRecord struct {
	Format         int             `json:"f"`
	ARN            string          `json:"arn"`
	Name           string          `json:"n"`
	Description    string          `json:"d,omitempty"`
	HasDescription bool            `json:"hd,omitempty"`
	KMSKeyID       string          `json:"k,omitempty"` // as given by the user
	KMSKeyARN      string          `json:"ka"`          // resolved key
	Tags           []Tag           `json:"t,omitempty"`
	Created        time.Time       `json:"c"`
	LastChanged    time.Time       `json:"lc"`
	LastAccessed   time.Time       `json:"la,omitzero"`
	DeletedDate    time.Time       `json:"dd,omitzero"`
	PurgeAt        time.Time       `json:"pa,omitzero"`
	PrimaryRegion  string          `json:"pr,omitempty"` // set on replicas
	Replicas       []replicaRecord `json:"r,omitempty"`
	Versions       []versionRecord `json:"v,omitempty"`
	ResourcePolicy string          `json:"rp,omitempty"`
	Rotation       *rotationRecord `json:"ro,omitempty"`
}

// versionRecord is kept small: a secret record carries up to MaxVersions
// of them and is re-encoded on every write, so times are integers and the
// KMS key is stored only where it differs from the secret's.
type versionRecord struct {
	ID           string   `json:"id"`
	Stages       []string `json:"s,omitempty"`
	Created      stamp    `json:"c"`
	LastAccessed stamp    `json:"la,omitempty"`
	KMSKeyARN    string   `json:"k,omitempty"` // "" = the secret's KMSKeyARN
	// NoValue marks the AWSPENDING version a rotation adds before its
	// createSecret step stores the value.
	NoValue bool `json:"nv,omitempty"`
	// Deprecated is when the version lost its last staging label; the
	// retention sweep purges it a window later.
	Deprecated stamp `json:"dp,omitempty"`
}

// stamp is a time as Unix nanoseconds (0 for the zero time): cheaper to
// encode and decode than RFC 3339 text.
type stamp int64

func toStamp(t time.Time) stamp {
	if t.IsZero() {
		return 0
	}
	return stamp(t.UnixNano())
}

func (s stamp) time() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(s)).UTC()
}

type replicaRecord struct {
	Region        string    `json:"r"`
	KMSKeyID      string    `json:"k,omitempty"`
	Status        string    `json:"s"`
	StatusMessage string    `json:"m,omitempty"`
	LastAccessed  time.Time `json:"la,omitzero"`
}

// BreakGlassTag marks a secret whose every read raises an alert.
const BreakGlassTag = "coffer:break-glass"

func (r *secretRecord) breakGlass() bool {
	for _, t := range r.Tags {
		if t.Key == BreakGlassTag {
			return t.Value == "true"
		}
	}
	return false
}

func (r *secretRecord) isReplica() bool   { return r.PrimaryRegion != "" }
func (r *secretRecord) isDeleted() bool   { return !r.DeletedDate.IsZero() }
func (r *secretRecord) hasReplicas() bool { return len(r.Replicas) > 0 }

// version returns the version with id, or nil.
func (r *secretRecord) version(id string) *versionRecord {
	for i := range r.Versions {
		if r.Versions[i].ID == id {
			return &r.Versions[i]
		}
	}
	return nil
}

// staged returns the version carrying stage, or nil.
func (r *secretRecord) staged(stage string) *versionRecord {
	for i := range r.Versions {
		for _, s := range r.Versions[i].Stages {
			if s == stage {
				return &r.Versions[i]
			}
		}
	}
	return nil
}

// removeStage takes stage off whichever version carries it and returns
// that version's id ("" if none did).
func (r *secretRecord) removeStage(stage string) string {
	for i := range r.Versions {
		v := &r.Versions[i]
		for j, s := range v.Stages {
			if s == stage {
				v.Stages = append(v.Stages[:j:j], v.Stages[j+1:]...)
				return v.ID
			}
		}
	}
	return ""
}

func (v *versionRecord) hasStage(stage string) bool {
	for _, s := range v.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

func (v *versionRecord) addStage(stage string) {
	if !v.hasStage(stage) {
		v.Stages = append(v.Stages, stage)
	}
}

// clone returns a deep copy, so a cached record is never mutated.
func (r *secretRecord) clone() *secretRecord {
	c := *r
	c.Tags = append([]Tag(nil), r.Tags...)
	c.Replicas = append([]replicaRecord(nil), r.Replicas...)
	if r.Rotation != nil {
		rot := *r.Rotation
		c.Rotation = &rot
	}
	c.Versions = make([]versionRecord, len(r.Versions))
	for i, v := range r.Versions {
		v.Stages = append([]string(nil), v.Stages...)
		c.Versions[i] = v
	}
	return &c
}

func (r *secretRecord) toSecret() *Secret {
	s := &Secret{
		ARN:          r.ARN,
		Name:         r.Name,
		Description:  r.Description,
		KMSKeyID:     r.KMSKeyID,
		Tags:         append([]Tag(nil), r.Tags...),
		Created:      r.Created,
		LastChanged:  r.LastChanged,
		LastAccessed: r.LastAccessed,
		DeletedDate:  r.DeletedDate,
		PurgeAt:      r.PurgeAt,
		IsReplica:    r.isReplica(),
		Rotation:     r.Rotation.toRotation(),
	}
	s.PrimaryRegion = r.primaryRegion()
	for _, rep := range r.Replicas {
		s.Replicas = append(s.Replicas, Replica(rep))
	}
	for _, v := range r.Versions {
		s.Versions = append(s.Versions, v.toVersion(r.KMSKeyARN))
	}
	return s
}

func (v versionRecord) toVersion(secretKey string) Version {
	key := v.KMSKeyARN
	if key == "" {
		key = secretKey
	}
	return Version{
		ID:           v.ID,
		Stages:       append([]string(nil), v.Stages...),
		Created:      v.Created.time(),
		LastAccessed: v.LastAccessed.time(),
		KMSKeyIDs:    []string{key},
	}
}

// Storage keys. Names never appear in them: blind() is a keyed HMAC.
func (s *Service) secretKey(region, name string) string {
	return secretsPrefix(region) + s.blind(region, name)
}

// blind is keys.Blind(region, name), remembered: every request for a
// secret by name needs it, and an HMAC per request is measurable.
func (s *Service) blind(region, name string) string {
	k := blindKey{region, name}
	s.blindMu.RLock()
	b, ok := s.blinded[k]
	s.blindMu.RUnlock()
	if ok {
		return b
	}
	b = s.keys.Blind(region, name)
	s.blindMu.Lock()
	if s.blinded == nil || len(s.blinded) >= 16384 {
		s.blinded = make(map[blindKey]string)
	}
	s.blinded[k] = b
	s.blindMu.Unlock()
	return b
}

type blindKey struct{ region, name string }

// regionOfKey returns the Region of a secret record's storage key.
func regionOfKey(key string) string {
	region, _, _ := strings.Cut(strings.TrimPrefix(key, "sms/"), "/")
	return region
}

// stampDeprecated records when each version lost its last staging label
// (and forgets it for versions that have one again).
func (r *secretRecord) stampDeprecated(now time.Time) {
	for i := range r.Versions {
		v := &r.Versions[i]
		switch {
		case len(v.Stages) > 0:
			v.Deprecated = 0
		case v.Deprecated == 0:
			v.Deprecated = toStamp(now)
		}
	}
}

// secretsPrefix lists one region's secret records; "sms/" lists all.
func secretsPrefix(region string) string { return "sms/" + region + "/" }

// versionsPrefix lists the version values of one secret.
func (s *Service) versionsPrefix(region, name string) string {
	return "smv/" + region + "/" + s.blind(region, name) + "/"
}

func (s *Service) versionKey(region, name, versionID string) string {
	return s.versionsPrefix(region, name) + versionID
}

// valueAAD binds a sealed value to its secret and version, the encryption
// context AWS Secrets Manager gives KMS.
func valueAAD(arn, versionID string) []byte {
	b := make([]byte, 0, len(arn)+len(versionID)+1)
	b = append(b, arn...)
	b = append(b, 0)
	return append(b, versionID...)
}

// loaded is a secret record as read, with the revision to condition on.
type loaded struct {
	key string
	rev storage.Revision
	rec *secretRecord
}

// load reads the secret record stored under key. It returns ErrNotFound
// when absent. The record returned may be shared with the cache: callers
// that change it must clone first (mutable does).
func (s *Service) load(ctx context.Context, key string) (*loaded, error) {
	// With a watermark, a record read since the last commit is current
	// without reading storage again.
	var mark uint64
	if wm, ok := s.backend.(storage.Watermarker); ok {
		mark = wm.Watermark() + 1 // 0 means "no watermark"
		if rec, rev, ok := s.cache.current(key, mark); ok {
			s.cache.hits.Add(1)
			return &loaded{key: key, rev: rev, rec: rec}, nil
		}
	}
	raw, rev, err := s.backend.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read secret record: %w", err)
	}
	if rec, ok := s.cache.get(key, rev, raw, mark); ok {
		s.cache.hits.Add(1)
		return &loaded{key: key, rev: rev, rec: rec}, nil
	}
	s.cache.misses.Add(1)
	rec, err := s.decodeKV(key, raw)
	if err != nil {
		return nil, err
	}
	s.cache.put(key, rev, rec, mark)
	return &loaded{key: key, rev: rev, rec: rec}, nil
}

// decodeKV opens and decodes the secret record stored under key.
func (s *Service) decodeKV(key string, raw []byte) (*secretRecord, error) {
	plain, err := s.keys.OpenRecord(key, raw)
	if err != nil {
		return nil, fmt.Errorf("open secret record: %w", ErrDecryption)
	}
	rec := new(secretRecord)
	err = json.Unmarshal(plain, rec)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("decode secret record: %w", err)
	}
	if rec.Format != recordFormat {
		return nil, fmt.Errorf("secret record format %d not supported", rec.Format)
	}
	return rec, nil
}

// sealRecord encodes and seals rec for storage under key.
func (s *Service) sealRecord(key string, rec *secretRecord) ([]byte, error) {
	rec.Format = recordFormat
	plain, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode secret record: %w", err)
	}
	return s.keys.SealRecord(key, plain)
}

// primaryRegion is the Region of the primary for replicas and for primaries
// that have replicas (as DescribeSecret reports it), else "".
func (r *secretRecord) primaryRegion() string {
	if r.isReplica() {
		return r.PrimaryRegion
	}
	if r.hasReplicas() {
		return arnRegion(r.ARN)
	}
	return ""
}

func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
