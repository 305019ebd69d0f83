package secrets

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Filter is one ListSecrets filter: a key and values, OR'ed; a value that
// starts with "!" negates its match. Filters are AND'ed.
type Filter struct {
	Key    string
	Values []string
}

// Filter keys ListSecrets accepts.
var filterKeys = []string{"description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"}

// ListInput is a ListSecrets request.
type ListInput struct {
	Filters                []Filter
	IncludePlannedDeletion bool
	MaxResults             int
	NextToken              string
	SortBy                 string // created-date (default) | last-accessed-date | last-changed-date | name
	SortOrder              string // asc | desc (default)
}

// List implements ListSecrets.
func (s *Service) List(ctx context.Context, call Call, in ListInput) ([]*Secret, string, error) {
	if err := s.authorize(ctx, call, "secretsmanager:ListSecrets", nil, nil); err != nil {
		return nil, "", err
	}
	recs, next, err := s.list(ctx, call.Region, in)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Secret, len(recs))
	for i, r := range recs {
		out[i] = r.toSecret()
	}
	return out, next, nil
}

func validateListInput(in ListInput) error {
	if in.MaxResults < 0 || in.MaxResults > 100 {
		return &ValidationError{Field: "maxResults", Constraint: "Member must have value between 1 and 100"}
	}
	switch in.SortBy {
	case "", "created-date", "last-accessed-date", "last-changed-date", "name":
	default:
		return &ValidationError{Field: "sortBy", Constraint: "Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]"}
	}
	switch in.SortOrder {
	case "", "asc", "desc":
	default:
		return &ValidationError{Field: "sortOrder", Constraint: "Member must satisfy enum value set: [asc, desc]"}
	}
	if len(in.Filters) > 10 {
		return &ValidationError{Field: "filters", Constraint: "Member must have length less than or equal to 10"}
	}
	for i, f := range in.Filters {
		if !slices.Contains(filterKeys, f.Key) {
			return &ValidationError{
				Field:      fmt.Sprintf("filters.%d.member.key", i+1),
				Constraint: "Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]",
			}
		}
		if len(f.Values) == 0 {
			return invalidParam("Filters", "Invalid filter values for key: %s", f.Key)
		}
		if len(f.Values) > 10 {
			return &ValidationError{Field: fmt.Sprintf("filters.%d.member.values", i+1), Constraint: "Member must have length less than or equal to 10"}
		}
		for _, v := range f.Values {
			if v == "" || len(v) > 512 {
				return &ValidationError{Field: fmt.Sprintf("filters.%d.member.values", i+1), Constraint: "Member must have length between 1 and 512"}
			}
		}
	}
	return nil
}

// list returns the matching, sorted page of secret records in region.
func (s *Service) list(ctx context.Context, region string, in ListInput) ([]*secretRecord, string, error) {
	if err := validateListInput(in); err != nil {
		return nil, "", err
	}
	kvs, err := s.backend.List(ctx, secretsPrefix(region), "", 0)
	if err != nil {
		return nil, "", fmt.Errorf("list secrets: %w", err)
	}
	now := s.now()
	var recs []*secretRecord
	for _, kv := range kvs {
		rec, ok := s.cache.get(kv.Key, kv.Revision, kv.Value, 0)
		if !ok {
			if rec, err = s.decodeKV(kv.Key, kv.Value); err != nil {
				return nil, "", err
			}
			s.cache.put(kv.Key, kv.Revision, rec, 0)
		}
		if rec.isDeleted() && (!in.IncludePlannedDeletion || !now.Before(rec.PurgeAt)) {
			continue
		}
		if matchesAll(rec, in.Filters) {
			recs = append(recs, rec)
		}
	}
	sortRecords(recs, in.SortBy, in.SortOrder)
	return paginate(recs, in.MaxResults, in.NextToken)
}

func sortRecords(recs []*secretRecord, by, order string) {
	key := func(r *secretRecord) time.Time { return r.Created }
	switch by {
	case "last-accessed-date":
		key = func(r *secretRecord) time.Time { return r.LastAccessed }
	case "last-changed-date":
		key = func(r *secretRecord) time.Time { return r.LastChanged }
	}
	slices.SortStableFunc(recs, func(a, b *secretRecord) int {
		var c int
		if by == "name" {
			c = strings.Compare(a.Name, b.Name)
		} else {
			c = key(a).Compare(key(b))
		}
		if c == 0 {
			c = strings.Compare(a.ARN, b.ARN)
		}
		if order != "asc" {
			c = -c
		}
		return c
	})
}

func matchesAll(rec *secretRecord, filters []Filter) bool {
	for _, f := range filters {
		if !matchesFilter(rec, f) {
			return false
		}
	}
	return true
}

// matchesFilter: positive values are OR'ed; every negated value must not
// match. name, tag-key, tag-value and primary-region match by prefix, case
// sensitive; description and all match by words, ignoring case (AWS
// documents a prefix match but, as observed by moto's maintainers, matches
// each word of the value against the words of the attribute).
func matchesFilter(rec *secretRecord, f Filter) bool {
	anyPositive, positiveHit := false, false
	for _, v := range f.Values {
		neg := strings.HasPrefix(v, "!")
		if neg {
			v = v[1:]
		}
		hit := matchesValue(rec, f.Key, v)
		if neg {
			if hit {
				return false
			}
			continue
		}
		anyPositive = true
		positiveHit = positiveHit || hit
	}
	return !anyPositive || positiveHit
}

func matchesValue(rec *secretRecord, key, v string) bool {
	prefix := func(s string) bool { return strings.HasPrefix(s, v) }
	switch key {
	case "name":
		return prefix(rec.Name)
	case "description":
		return matchesWords(v, rec.Description)
	case "tag-key":
		return slices.ContainsFunc(rec.Tags, func(t Tag) bool { return prefix(t.Key) })
	case "tag-value":
		return slices.ContainsFunc(rec.Tags, func(t Tag) bool { return prefix(t.Value) })
	case "primary-region":
		return rec.primaryRegion() != "" && prefix(rec.primaryRegion())
	case "owning-service":
		return false
	case "all":
		attrs := []string{rec.Name, rec.Description, rec.primaryRegion()}
		for _, t := range rec.Tags {
			attrs = append(attrs, t.Key, t.Value)
		}
		return matchesWords(v, attrs...)
	}
	return false
}

// matchesWords reports whether every word of pattern is a prefix of some
// word of attrs, ignoring case.
func matchesWords(pattern string, attrs ...string) bool {
	want := words(pattern)
	if len(want) == 0 {
		return false
	}
	var have []string
	for _, a := range attrs {
		have = append(have, words(a)...)
	}
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
			return false
		}
	}
	return true
}

// words splits s, lower-cased, on spaces and the characters names use as
// separators.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '\t' || strings.ContainsRune("/-_+=.@", r)
	})
}
