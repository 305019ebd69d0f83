package params

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// recordFormat is the encoding version of paramRecord.
const recordFormat = 1

// paramRecord is the stored form of a parameter: private, versioned, and
// converted explicitly to the domain type Parameter. The whole record is
// sealed, so String and StringList values in it are encrypted at rest.
type paramRecord struct {
	Format   int             `json:"f"`
	Name     string          `json:"n"` // as first created
	Tags     []Tag           `json:"t,omitempty"`
	Versions []versionRecord `json:"v"` // oldest first
}

type versionRecord struct {
	Version        int64     `json:"n"`
	Type           string    `json:"y"`
	Value          string    `json:"x,omitempty"` // String and StringList only
	Description    string    `json:"d,omitempty"`
	AllowedPattern string    `json:"p,omitempty"`
	KeyID          string    `json:"k,omitempty"`  // SecureString: as reported
	KMSKeyARN      string    `json:"ka,omitempty"` // SecureString: resolved key
	Tier           string    `json:"t"`
	DataType       string    `json:"dt"`
	Labels         []string  `json:"l,omitempty"`
	Modified       time.Time `json:"m"`
	ModifiedUser   string    `json:"u,omitempty"`
}

func (r *paramRecord) latest() *versionRecord { return &r.Versions[len(r.Versions)-1] }

// version returns version n, or nil.
func (r *paramRecord) version(n int64) *versionRecord {
	for i := range r.Versions {
		if r.Versions[i].Version == n {
			return &r.Versions[i]
		}
	}
	return nil
}

// labeled returns the version carrying label, or nil.
func (r *paramRecord) labeled(label string) *versionRecord {
	for i := range r.Versions {
		if slices.Contains(r.Versions[i].Labels, label) {
			return &r.Versions[i]
		}
	}
	return nil
}

func (r *paramRecord) tagMap() map[string]string {
	if len(r.Tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.Tags))
	for _, t := range r.Tags {
		m[t.Key] = t.Value
	}
	return m
}

// clone returns a deep copy.
func (r *paramRecord) clone() *paramRecord {
	c := *r
	c.Tags = slices.Clone(r.Tags)
	c.Versions = make([]versionRecord, len(r.Versions))
	for i, v := range r.Versions {
		v.Labels = slices.Clone(v.Labels)
		c.Versions[i] = v
	}
	return &c
}

// arn is the ARN of the parameter name in region.
func (s *Service) arn(region, name string) string {
	return "arn:aws:ssm:" + region + ":" + s.account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// Storage keys. Names never appear in them: Blind is a keyed HMAC.
func recordsPrefix(region string) string { return "ssp/" + region + "/" }

func (s *Service) blind(region, name string) string {
	return s.keys.Blind("ssm", region, normalize(name))
}

func (s *Service) recordKey(region, name string) string {
	return recordsPrefix(region) + s.blind(region, name)
}

func (s *Service) valuesPrefix(region, name string) string {
	return "ssv/" + region + "/" + s.blind(region, name) + "/"
}

func (s *Service) valueKey(region, name string, version int64) string {
	return s.valuesPrefix(region, name) + strconv.FormatInt(version, 10)
}

// valueAAD binds a sealed SecureString value to its parameter and version.
func valueAAD(arn string, version int64) []byte {
	b := make([]byte, 0, len(arn)+21)
	b = append(b, arn...)
	b = append(b, 0)
	return strconv.AppendInt(b, version, 10)
}

// loaded is a parameter record as read, with the revision to condition on.
type loaded struct {
	key string
	rev storage.Revision
	rec *paramRecord
}

// load reads the record of name, or returns a *NotFoundError naming shown.
func (s *Service) load(ctx context.Context, region, name, shown string) (*loaded, error) {
	key := s.recordKey(region, name)
	raw, rev, err := s.backend.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &NotFoundError{Name: shown}
	}
	if err != nil {
		return nil, fmt.Errorf("read parameter record: %w", err)
	}
	rec, err := s.openRecord(key, raw)
	if err != nil {
		return nil, err
	}
	return &loaded{key: key, rev: rev, rec: rec}, nil
}

// loadAll reads every parameter record of region, sorted by name.
func (s *Service) loadAll(ctx context.Context, region string) ([]*paramRecord, error) {
	kvs, err := s.backend.List(ctx, recordsPrefix(region), "", 0)
	if err != nil {
		return nil, fmt.Errorf("list parameter records: %w", err)
	}
	recs := make([]*paramRecord, 0, len(kvs))
	for _, kv := range kvs {
		rec, err := s.openRecord(kv.Key, kv.Value)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	slices.SortFunc(recs, func(a, b *paramRecord) int { return strings.Compare(a.Name, b.Name) })
	return recs, nil
}

func (s *Service) openRecord(key string, raw []byte) (*paramRecord, error) {
	plain, err := s.keys.OpenRecord(key, raw)
	if err != nil {
		s.log.Error("parameter record failed authentication", "storage_key", key)
		return nil, fmt.Errorf("open parameter record: %w", ErrDecryption)
	}
	rec := new(paramRecord)
	err = json.Unmarshal(plain, rec)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("decode parameter record: %w", err)
	}
	if rec.Format != recordFormat {
		return nil, fmt.Errorf("parameter record format %d not supported", rec.Format)
	}
	if len(rec.Versions) == 0 {
		return nil, errors.New("parameter record has no versions")
	}
	return rec, nil
}

func (s *Service) sealRecord(key string, rec *paramRecord) ([]byte, error) {
	rec.Format = recordFormat
	plain, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode parameter record: %w", err)
	}
	defer clear(plain)
	return s.keys.SealRecord(key, plain)
}
