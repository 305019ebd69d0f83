package params

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Delete implements DeleteParameter: the parameter and all its versions
// are removed at once.
func (s *Service) Delete(ctx context.Context, call Call, name string) error {
	if err := checkNameLength(name); err != nil {
		return err
	}
	return s.delete(ctx, call, "ssm:DeleteParameter", name)
}

// DeleteMany implements DeleteParameters: the names deleted and the names
// that named no parameter.
func (s *Service) DeleteMany(ctx context.Context, call Call, names []string) (deleted, invalid []string, err error) {
	switch {
	case len(names) == 0:
		return nil, nil, validationf("1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(names) > MaxBatch:
		return nil, nil, validationf("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatch)
	}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		err := s.delete(ctx, call, "ssm:DeleteParameters", name)
		if _, ok := errors.AsType[*NotFoundError](err); ok || checkNameLength(name) != nil {
			invalid = append(invalid, name)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		deleted = append(deleted, name)
	}
	return deleted, invalid, nil
}

func (s *Service) delete(ctx context.Context, call Call, action, name string) error {
	key := s.recordKey(call.Region, name)
	defer s.locks.Lock(key)()
	for range maxAttempts {
		l, err := s.load(ctx, call.Region, name, name)
		if err != nil {
			return err
		}
		if err := s.authorizeRecord(ctx, call, action, l.rec, nil); err != nil {
			return err
		}
		ops := []storage.Op{{Key: key, Delete: true}}
		for _, v := range l.rec.Versions {
			if v.Type == TypeSecureString {
				ops = append(ops, storage.Op{Key: s.valueKey(call.Region, l.rec.Name, v.Version), Delete: true})
			}
		}
		err = s.backend.Txn(ctx, storage.Txn{Conds: []storage.Cond{{Key: key, Revision: l.rev}}, Ops: ops})
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("commit parameter deletion: %w", err)
		}
		return nil
	}
	return errors.New("parameter changed concurrently too many times")
}

func checkLabels(labels []string) error {
	if len(labels) == 0 || len(labels) > MaxLabelsPerVersion {
		return validationf("1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must have length less than or equal to 10, Member must have length greater than or equal to 1")
	}
	for _, l := range labels {
		if len(l) > MaxLabelLength || l == "" {
			return validationf("1 validation error detected: Value at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]")
		}
	}
	return nil
}

// Label implements LabelParameterVersion: it attaches labels to version
// (0: the latest), moving each from whichever version carried it. Labels
// that break AWS's label rules are not attached and are returned as
// invalid. It returns the version labeled.
func (s *Service) Label(ctx context.Context, call Call, name string, version int64, labels []string) (invalid []string, labeled int64, err error) {
	if err := checkNameLength(name); err != nil {
		return nil, 0, err
	}
	if err := checkLabels(labels); err != nil {
		return nil, 0, err
	}
	_, err = s.update(ctx, call, name, func(rec *paramRecord) ([]storage.Op, error) {
		invalid = invalid[:0]
		if err := s.authorizeRecord(ctx, call, "ssm:LabelParameterVersion", rec, nil); err != nil {
			return nil, err
		}
		target := rec.latest()
		if version != 0 {
			if target = rec.version(version); target == nil {
				return nil, &VersionNotFoundError{Name: name, Version: strconv.FormatInt(version, 10)}
			}
		}
		labeled = target.Version
		var add []string
		for _, l := range labels {
			switch {
			case !validLabel(l):
				invalid = append(invalid, l)
			case !slices.Contains(target.Labels, l) && !slices.Contains(add, l):
				add = append(add, l)
			}
		}
		if len(add) == 0 {
			return nil, errNoChange
		}
		if len(target.Labels)+len(add) > MaxLabelsPerVersion {
			return nil, ErrLabelLimit
		}
		for i := range rec.Versions {
			v := &rec.Versions[i]
			v.Labels = slices.DeleteFunc(v.Labels, func(l string) bool { return slices.Contains(add, l) })
		}
		target.Labels = append(target.Labels, add...)
		return nil, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return invalid, labeled, nil
}

// Unlabel implements UnlabelParameterVersion: labels on version are
// removed; the others are returned as invalid.
func (s *Service) Unlabel(ctx context.Context, call Call, name string, version int64, labels []string) (removed, invalid []string, err error) {
	if err := checkNameLength(name); err != nil {
		return nil, nil, err
	}
	if version < 1 {
		return nil, nil, validationf("1 validation error detected: Value 'null' at 'parameterVersion' failed to satisfy constraint: Member must not be null")
	}
	if err := checkLabels(labels); err != nil {
		return nil, nil, err
	}
	_, err = s.update(ctx, call, name, func(rec *paramRecord) ([]storage.Op, error) {
		removed, invalid = removed[:0], invalid[:0]
		if err := s.authorizeRecord(ctx, call, "ssm:UnlabelParameterVersion", rec, nil); err != nil {
			return nil, err
		}
		v := rec.version(version)
		if v == nil {
			return nil, &VersionNotFoundError{Name: name, Version: strconv.FormatInt(version, 10)}
		}
		for _, l := range labels {
			if i := slices.Index(v.Labels, l); i >= 0 {
				v.Labels = slices.Delete(v.Labels, i, i+1)
				removed = append(removed, l)
			} else if !slices.Contains(removed, l) {
				invalid = append(invalid, l)
			}
		}
		if len(removed) == 0 {
			return nil, errNoChange
		}
		return nil, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return removed, invalid, nil
}

// ResourceTypeParameter is the only tagging resource type Coffer serves.
const ResourceTypeParameter = "Parameter"

// tagUpdate runs a tagging change on the parameter id names.
func (s *Service) tagUpdate(ctx context.Context, call Call, resourceType, id string, fn func(rec *paramRecord) ([]storage.Op, error)) (*paramRecord, error) {
	if resourceType != ResourceTypeParameter {
		return nil, ErrInvalidResourceType
	}
	if checkNameLength(id) != nil {
		return nil, ErrInvalidResourceID
	}
	rec, err := s.update(ctx, call, id, fn)
	if _, ok := errors.AsType[*NotFoundError](err); ok {
		return nil, ErrInvalidResourceID
	}
	return rec, err
}

// AddTags implements AddTagsToResource: new keys are added and existing
// keys take the new value.
func (s *Service) AddTags(ctx context.Context, call Call, resourceType, id string, tags []Tag) error {
	if len(tags) == 0 {
		return validationf("1 validation error detected: Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err := s.tagUpdate(ctx, call, resourceType, id, func(rec *paramRecord) ([]storage.Op, error) {
		if err := s.authorizeRecord(ctx, call, "ssm:AddTagsToResource", rec, iam.RequestTagConditions(tags)); err != nil {
			return nil, err
		}
		rec.Tags = dedupeTags(append(rec.Tags, tags...))
		if len(rec.Tags) > MaxTags {
			return nil, ErrTooManyTags
		}
		return nil, nil
	})
	return err
}

// RemoveTags implements RemoveTagsFromResource.
func (s *Service) RemoveTags(ctx context.Context, call Call, resourceType, id string, keys []string) error {
	if len(keys) == 0 {
		return validationf("1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	_, err := s.tagUpdate(ctx, call, resourceType, id, func(rec *paramRecord) ([]storage.Op, error) {
		if err := s.authorizeRecord(ctx, call, "ssm:RemoveTagsFromResource", rec, map[string][]string{"aws:TagKeys": keys}); err != nil {
			return nil, err
		}
		n := len(rec.Tags)
		rec.Tags = slices.DeleteFunc(rec.Tags, func(t Tag) bool { return slices.Contains(keys, t.Key) })
		if len(rec.Tags) == n {
			return nil, errNoChange
		}
		return nil, nil
	})
	return err
}

// ListTags implements ListTagsForResource.
func (s *Service) ListTags(ctx context.Context, call Call, resourceType, id string) ([]Tag, error) {
	rec, err := s.tagUpdate(ctx, call, resourceType, id, func(rec *paramRecord) ([]storage.Op, error) {
		if err := s.authorizeRecord(ctx, call, "ssm:ListTagsForResource", rec, nil); err != nil {
			return nil, err
		}
		return nil, errNoChange
	})
	if err != nil {
		return nil, err
	}
	return slices.Clone(rec.Tags), nil
}
