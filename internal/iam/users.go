package iam

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// Tag is a key/value label on a user, role or session.
type Tag struct {
	Key   string
	Value string
}

// User is an IAM user: a long-term identity with access keys.
type User struct {
	Name     string            `json:"n"`
	ID       string            `json:"id"` // AIDA...
	ARN      string            `json:"arn"`
	Path     string            `json:"p"`
	Created  time.Time         `json:"c"`
	Tags     []Tag             `json:"t,omitempty"`
	Policies map[string]string `json:"pol,omitempty"` // inline policy name -> document
	KeyIDs   []string          `json:"k,omitempty"`
}

// Role is an IAM role: assumed through STS for temporary credentials.
type Role struct {
	Name               string            `json:"n"`
	ID                 string            `json:"id"` // AROA...
	ARN                string            `json:"arn"`
	Path               string            `json:"p"`
	Description        string            `json:"d,omitempty"`
	AssumeRolePolicy   string            `json:"trust"`
	MaxSessionDuration int               `json:"max"` // seconds, 3600..43200
	Created            time.Time         `json:"c"`
	Tags               []Tag             `json:"t,omitempty"`
	Policies           map[string]string `json:"pol,omitempty"`
}

func validName(kind, name string, max int) error {
	if name == "" || len(name) > max {
		return &InvalidInputError{Reason: "1 validation error detected: Value at '" + kind + "Name' failed to satisfy constraint: Member must have length between 1 and " + itoa(max)}
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("+=,.@_-", c)) {
			return &InvalidInputError{Reason: "1 validation error detected: Value '" + name + "' at '" + kind + "Name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"}
		}
	}
	return nil
}

func validPath(path string) (string, error) {
	if path == "" {
		return "/", nil
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || len(path) > 512 {
		return "", &InvalidInputError{Reason: "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."}
	}
	return path, nil
}

func validTags(tags []Tag) error {
	if len(tags) > 50 {
		return &LimitExceededError{Reason: "Cannot exceed quota for TagsPerUser: 50"}
	}
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return &InvalidInputError{Reason: "Tag keys must be 1-128 characters and values at most 256 characters."}
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return &InvalidInputError{Reason: "Tag keys beginning with 'aws:' are reserved."}
		}
	}
	return nil
}

func mergeTags(cur, add []Tag) []Tag {
	out := slices.Clone(cur)
	for _, t := range add {
		if i := slices.IndexFunc(out, func(o Tag) bool { return strings.EqualFold(o.Key, t.Key) }); i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, name, path string, tags []Tag) (*User, error) {
	if err := validName("user", name, 64); err != nil {
		return nil, err
	}
	path, err := validPath(path)
	if err != nil {
		return nil, err
	}
	if err := validTags(tags); err != nil {
		return nil, err
	}
	var u *User
	err = modify(ctx, s, s.userKey(name), func(cur *User) (*User, []storage.Op, error) {
		if cur != nil {
			return nil, nil, &EntityExistsError{Kind: "user", Name: name}
		}
		u = &User{
			Name: name, ID: "AIDA" + randomString(17, keyAlphabet), Path: path, Created: s.now().UTC(),
			ARN: "arn:aws:iam::" + s.account + ":user" + path + name, Tags: tags,
		}
		return u, nil, nil
	})
	return u, err
}

// User returns a user by name.
func (s *Store) User(ctx context.Context, name string) (*User, error) {
	u, _, err := get[User](ctx, s, s.userKey(name))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, &NoSuchEntityError{Kind: "user", Name: name}
	}
	return u, err
}

// Users lists every user, sorted by name.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	us, err := list[User](ctx, s, "iam/user/")
	slices.SortFunc(us, func(a, b *User) int { return strings.Compare(a.Name, b.Name) })
	return us, err
}

// DeleteUser removes a user that has no access keys and no policies left,
// as IAM requires.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	return modify(ctx, s, s.userKey(name), func(cur *User) (*User, []storage.Op, error) {
		switch {
		case cur == nil:
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: name}
		case len(cur.KeyIDs) > 0:
			return nil, nil, &DeleteConflictError{Reason: "Cannot delete entity, must delete access keys first."}
		case len(cur.Policies) > 0:
			return nil, nil, &DeleteConflictError{Reason: "Cannot delete entity, must delete policies first."}
		}
		return nil, nil, nil
	})
}

// TagUser adds or replaces tags on a user.
func (s *Store) TagUser(ctx context.Context, name string, tags []Tag) error {
	return modify(ctx, s, s.userKey(name), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: name}
		}
		cur.Tags = mergeTags(cur.Tags, tags)
		return cur, nil, validTags(cur.Tags)
	})
}

// UntagUser removes tags from a user.
func (s *Store) UntagUser(ctx context.Context, name string, keys []string) error {
	return modify(ctx, s, s.userKey(name), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: name}
		}
		cur.Tags = slices.DeleteFunc(cur.Tags, func(t Tag) bool {
			return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		return cur, nil, nil
	})
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Store) PutUserPolicy(ctx context.Context, user, policyName, doc string) error {
	if err := s.checkPolicy(policyName, doc); err != nil {
		return err
	}
	return modify(ctx, s, s.userKey(user), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: user}
		}
		if cur.Policies == nil {
			cur.Policies = map[string]string{}
		}
		cur.Policies[policyName] = doc
		return cur, nil, nil
	})
}

// DeleteUserPolicy removes an inline policy of a user.
func (s *Store) DeleteUserPolicy(ctx context.Context, user, policyName string) error {
	return modify(ctx, s, s.userKey(user), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: user}
		}
		if _, ok := cur.Policies[policyName]; !ok {
			return nil, nil, &NoSuchEntityError{Kind: "policy", Name: policyName}
		}
		delete(cur.Policies, policyName)
		return cur, nil, nil
	})
}

// PolicyNames returns the sorted names of inline policies in m.
func PolicyNames(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// RequestTagConditions are the condition keys of the tags a request sets:
// aws:RequestTag/<key> for each, and aws:TagKeys listing the keys; nil for
// no tags. Any tag type with Key and Value fields will do.
func RequestTagConditions[T ~struct{ Key, Value string }](tags []T) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string][]string, len(tags)+1)
	for _, t := range tags {
		t := struct{ Key, Value string }(t)
		m["aws:RequestTag/"+t.Key] = []string{t.Value}
		m["aws:TagKeys"] = append(m["aws:TagKeys"], t.Key)
	}
	return m
}
