package builtin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// randomPassword replaces a plain string secret, or one field of a JSON
// object secret, with a random password. There is no outside system to
// tell: setSecret and testSecret only check that the new value is there.
type randomPassword struct {
	field    string // the JSON field replaced in an object secret
	password secretsmanager.GetRandomPasswordInput
}

func (r *randomPassword) createSecret(ctx context.Context, s *session) error {
	current, err := s.current(ctx)
	if err != nil {
		return err
	}
	if ok, err := s.pendingExists(ctx); ok || err != nil {
		return err
	}
	pw, err := s.newPassword(ctx, r.password)
	if err != nil {
		return err
	}
	next, err := r.replace(current, pw)
	if err != nil {
		return err
	}
	return s.putPending(ctx, next)
}

// replace returns current with the password replaced: all of it if it is
// not a JSON object, else its field, which must be there already (a
// missing field more likely means a wrong option than a field to add).
func (r *randomPassword) replace(current, pw string) (string, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(current), &obj) != nil || obj == nil {
		return pw, nil // a plain string (or JSON that is not an object)
	}
	if _, ok := obj[r.field]; !ok {
		return "", fmt.Errorf("the secret is a JSON object without the field %q to rotate (option field)", r.field)
	}
	v, err := json.Marshal(pw)
	if err != nil {
		return "", fmt.Errorf("encode the new password: %w", err) // never happens: a string encodes
	}
	obj[r.field] = v
	next, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("encode the new JSON value: %w", err) // ditto: every member came from JSON
	}
	return string(next), nil
}

func (r *randomPassword) setSecret(ctx context.Context, s *session) error {
	_, err := s.pending(ctx)
	return err
}

func (r *randomPassword) testSecret(ctx context.Context, s *session) error {
	_, err := s.pending(ctx)
	return err
}
