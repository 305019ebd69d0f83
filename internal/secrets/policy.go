package secrets

import (
	"context"
	"errors"
	"strconv"

	"github.com/coffer-dev/coffer/internal/iam"
)

// ErrPublicPolicy reports a resource policy that would grant public access
// while BlockPublicPolicy is set.
var ErrPublicPolicy = errors.New("resource policy grants public access")

// MalformedPolicyError reports a resource policy that does not parse;
// Reason names the statement and element at fault.
type MalformedPolicyError struct{ Reason string }

func (e *MalformedPolicyError) Error() string { return e.Reason }

// parseResourcePolicy checks doc as a secret's resource policy.
func parseResourcePolicy(doc string) (*iam.Policy, error) {
	if doc == "" {
		return nil, &ValidationError{Field: "resourcePolicy", Constraint: notNull}
	}
	p, err := iam.ParsePolicy(doc, iam.ResourcePolicyKind)
	if err != nil {
		return nil, &MalformedPolicyError{Reason: err.Error()}
	}
	return p, nil
}

// PutResourcePolicy implements PutResourcePolicy. With blockPublic (AWS's
// default is false for the API, true in the console), a policy that grants
// access to anyone is refused.
func (s *Service) PutResourcePolicy(ctx context.Context, call Call, id, doc string, blockPublic bool) (*WriteResult, error) {
	p, err := parseResourcePolicy(doc)
	if err != nil {
		return nil, err
	}
	if blockPublic && iam.IsPublic(p) {
		return nil, ErrPublicPolicy
	}
	rec, err := s.update(ctx, call, id, "secretsmanager:PutResourcePolicy", map[string][]string{"secretsmanager:BlockPublicPolicy": {strconv.FormatBool(blockPublic)}}, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		rec.ResourcePolicy = doc
		return &mutation{noReplicaSync: true}, nil
	})
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

// GetResourcePolicy implements GetResourcePolicy; the policy is "" when the
// secret has none.
func (s *Service) GetResourcePolicy(ctx context.Context, call Call, id string) (arn, name, policy string, err error) {
	l, err := s.resolveFor(ctx, call, id, "secretsmanager:GetResourcePolicy")
	if err != nil {
		return "", "", "", err
	}
	if err := s.authorize(ctx, call, "secretsmanager:GetResourcePolicy", l.rec, nil); err != nil {
		return "", "", "", err
	}
	return l.rec.ARN, l.rec.Name, l.rec.ResourcePolicy, nil
}

// DeleteResourcePolicy implements DeleteResourcePolicy.
func (s *Service) DeleteResourcePolicy(ctx context.Context, call Call, id string) (*WriteResult, error) {
	rec, err := s.update(ctx, call, id, "secretsmanager:DeleteResourcePolicy", nil, func(l *loaded, rec *secretRecord) (*mutation, error) {
		if err := writable(rec); err != nil {
			return nil, err
		}
		if rec.ResourcePolicy == "" {
			return nil, errNoChange
		}
		rec.ResourcePolicy = ""
		return &mutation{noReplicaSync: true}, nil
	})
	if errors.Is(err, errNoChange) {
		l, err := s.resolve(ctx, call.Region, id)
		if err != nil {
			return nil, err
		}
		return resultOf(l.rec, ""), nil
	}
	if err != nil {
		return nil, err
	}
	return resultOf(rec, ""), nil
}

// PolicyFinding is one result of ValidateResourcePolicy.
type PolicyFinding struct {
	Check   string
	Message string
}

// ValidateResourcePolicy implements ValidateResourcePolicy: it reports
// findings (errors, security warnings, suggestions, warnings) rather than
// only pass/fail. The policy passes when no finding is an error or a
// security warning. id, when given, must name a secret the call may reach.
func (s *Service) ValidateResourcePolicy(ctx context.Context, call Call, id, doc string) (bool, []PolicyFinding, error) {
	if doc == "" {
		return false, nil, &ValidationError{Field: "resourcePolicy", Constraint: notNull}
	}
	var rec *secretRecord
	if id != "" {
		l, err := s.resolveFor(ctx, call, id, "secretsmanager:ValidateResourcePolicy")
		if err != nil {
			return false, nil, err
		}
		rec = l.rec
	}
	if err := s.authorize(ctx, call, "secretsmanager:ValidateResourcePolicy", rec, nil); err != nil {
		return false, nil, err
	}
	passed := true
	var out []PolicyFinding
	for _, f := range iam.ValidatePolicy(doc, iam.ResourcePolicyKind) {
		if f.Type == iam.FindingError || f.Type == iam.FindingSecurityWarning {
			passed = false
		}
		out = append(out, PolicyFinding{Check: f.Check, Message: string(f.Type) + ": " + f.Message})
	}
	return passed, out, nil
}
