package secretsmanager

import (
	"context"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/rotation/schedule"
	"github.com/coffer-dev/coffer/internal/secrets"
)

func (a *API) rotateSecret(ctx context.Context, call secrets.Call, in *RotateSecretInput) (any, error) {
	if len(in.RotationLambdaARN) > 2048 {
		return nil, &secrets.ValidationError{Field: "rotationLambdaARN", Constraint: "Member must have length less than or equal to 2048"}
	}
	var rules *schedule.Rules
	if r := in.RotationRules; r != nil {
		rules = &schedule.Rules{}
		if r.AutomaticallyAfterDays != nil {
			rules.AfterDays = *r.AutomaticallyAfterDays
			if rules.AfterDays < schedule.MinAfterDays || rules.AfterDays > schedule.MaxAfterDays {
				return nil, &secrets.ValidationError{Field: "rotationRules.automaticallyAfterDays", Constraint: "Member must have value between 1 and 1000"}
			}
		}
		if r.ScheduleExpression != nil {
			rules.Expression = *r.ScheduleExpression
		}
		if r.Duration != nil {
			rules.Duration = *r.Duration
		}
	}
	res, err := a.svc.Rotate(ctx, call, secrets.RotateInput{
		SecretID: in.SecretId, Token: in.ClientRequestToken, LambdaARN: in.RotationLambdaARN,
		Rules: rules, Immediately: in.RotateImmediately,
	})
	if err != nil {
		return nil, err
	}
	return &RotateSecretOutput{ARN: res.ARN, Name: res.Name, VersionId: res.VersionID}, nil
}

func (a *API) cancelRotateSecret(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	res, err := a.svc.CancelRotate(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &RotateSecretOutput{ARN: res.ARN, Name: res.Name, VersionId: res.VersionID}, nil
}

func rotationOut(r *secrets.Rotation) rotationFields {
	if r == nil {
		return rotationFields{}
	}
	enabled := r.Enabled
	out := rotationFields{RotationEnabled: &enabled, RotationLambdaARN: r.LambdaARN}
	if rr := r.Rules; rr.AfterDays != 0 || rr.Expression != "" {
		out.RotationRules = &RotationRulesType{}
		if rr.AfterDays != 0 {
			out.RotationRules.AutomaticallyAfterDays = &rr.AfterDays
		}
		if rr.Expression != "" {
			out.RotationRules.ScheduleExpression = &rr.Expression
		}
		if rr.Duration != "" {
			out.RotationRules.Duration = &rr.Duration
		}
	}
	out.LastRotatedDate = ts(r.LastRotated)
	out.NextRotationDate = ts(r.Next)
	return out
}

func failureOut(r *secrets.Rotation) *RotationFailure {
	if r == nil || r.Failure == nil {
		return nil
	}
	f := r.Failure
	return &RotationFailure{
		Step: f.Step, Message: f.Message, Date: awsproto.Timestamp(f.Time),
		Attempts: f.Attempts, NextAttemptDate: ts(f.RetryAt),
	}
}
