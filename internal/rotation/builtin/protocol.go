package builtin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/rotation"
)

// The staging labels the protocol moves.
const (
	stageCurrent  = "AWSCURRENT"
	stagePending  = "AWSPENDING"
	stagePrevious = "AWSPREVIOUS"
)

// rotator is what differs between the built-ins: three of the four steps.
// finishSecret is the same for all of them.
type rotator interface {
	createSecret(ctx context.Context, s *session) error
	setSecret(ctx context.Context, s *session) error
	testSecret(ctx context.Context, s *session) error
}

// session is one step's hold on the secret being rotated.
type session struct {
	sm    *secretsmanager.Client
	arn   string // the event's SecretId: the full ARN
	token string // the AWSPENDING version's id
}

// runStep checks the event and the secret's staging as the templates'
// handler does, then runs the step; its errors name the rotator and step.
func runStep(ctx context.Context, sm *secretsmanager.Client, ev rotation.Event, name string, r rotator) error {
	if err := step(ctx, sm, ev, r); err != nil {
		return fmt.Errorf("rotator %s: %s: %w", name, ev.Step, err)
	}
	return nil
}

func step(ctx context.Context, sm *secretsmanager.Client, ev rotation.Event, r rotator) error {
	if ev.SecretID == "" || ev.ClientRequestToken == "" {
		return errors.New("the event has no SecretId or no ClientRequestToken")
	}
	var run func(context.Context, *session) error
	switch ev.Step {
	case rotation.StepCreate:
		run = r.createSecret
	case rotation.StepSet:
		run = r.setSecret
	case rotation.StepTest:
		run = r.testSecret
	case rotation.StepFinish:
		run = finishSecret
	default:
		return fmt.Errorf("unknown step %q", ev.Step)
	}
	s := &session{sm: sm, arn: ev.SecretID, token: ev.ClientRequestToken}
	md, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return fmt.Errorf("describe secret: %w", err)
	}
	if md.RotationEnabled != nil && !*md.RotationEnabled {
		return fmt.Errorf("secret %s is not enabled for rotation", s.arn)
	}
	stages, ok := md.VersionIdsToStages[s.token]
	switch {
	case !ok:
		return fmt.Errorf("version %s has no stage for rotation of secret %s", s.token, s.arn)
	case slices.Contains(stages, stageCurrent):
		return nil // this rotation is over
	case !slices.Contains(stages, stagePending):
		return fmt.Errorf("version %s is not AWSPENDING for rotation of secret %s", s.token, s.arn)
	}
	return run(ctx, s)
}

// finishSecret moves AWSCURRENT to the token's version (AWSPREVIOUS
// follows by itself), unless it is there already.
func finishSecret(ctx context.Context, s *session) error {
	md, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(s.arn)})
	if err != nil {
		return fmt.Errorf("describe secret: %w", err)
	}
	var current *string
	for id, stages := range md.VersionIdsToStages {
		if slices.Contains(stages, stageCurrent) {
			if id == s.token {
				return nil
			}
			current = aws.String(id)
			break
		}
	}
	_, err = s.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(s.arn), VersionStage: aws.String(stageCurrent),
		MoveToVersionId: aws.String(s.token), RemoveFromVersionId: current,
	})
	if err != nil {
		return fmt.Errorf("move AWSCURRENT to version %s: %w", s.token, err)
	}
	return nil
}

// value returns the SecretString of secretID at stage (and at the
// version versionID, if not empty).
func (s *session) value(ctx context.Context, secretID, stage, versionID string) (string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := s.sm.GetSecretValue(ctx, in)
	if err != nil {
		return "", fmt.Errorf("get the %s value of %s: %w", stage, secretID, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("the %s value of %s is binary; this rotator rotates strings", stage, secretID)
	}
	return *out.SecretString, nil
}

// current returns the secret's AWSCURRENT value.
func (s *session) current(ctx context.Context) (string, error) {
	return s.value(ctx, s.arn, stageCurrent, "")
}

// pending returns the token's AWSPENDING value.
func (s *session) pending(ctx context.Context) (string, error) {
	return s.value(ctx, s.arn, stagePending, s.token)
}

// pendingExists reports whether createSecret already put the token's
// value: GetSecretValue answers ResourceNotFoundException until it has.
func (s *session) pendingExists(ctx context.Context) (bool, error) {
	_, err := s.pending(ctx)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

func isNotFound(err error) bool {
	_, ok := errors.AsType[*types.ResourceNotFoundException](err)
	return ok
}

// putPending stores value as the token's version, labelled AWSPENDING only.
func (s *session) putPending(ctx context.Context, value string) error {
	_, err := s.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(s.arn), ClientRequestToken: aws.String(s.token),
		SecretString: aws.String(value), VersionStages: []string{stagePending},
	})
	if err != nil {
		return fmt.Errorf("put the AWSPENDING value: %w", err)
	}
	return nil
}

// newPassword asks the API for a random password.
func (s *session) newPassword(ctx context.Context, in secretsmanager.GetRandomPasswordInput) (string, error) {
	out, err := s.sm.GetRandomPassword(ctx, &in)
	if err != nil {
		return "", fmt.Errorf("get a random password: %w", err)
	}
	return aws.ToString(out.RandomPassword), nil
}
