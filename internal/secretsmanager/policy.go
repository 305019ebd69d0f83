package secretsmanager

import (
	"context"

	"github.com/coffer-dev/coffer/internal/secrets"
)

func (a *API) putResourcePolicy(ctx context.Context, call secrets.Call, in *PutResourcePolicyInput) (any, error) {
	res, err := a.svc.PutResourcePolicy(ctx, call, in.SecretId, in.ResourcePolicy, in.BlockPublicPolicy)
	if err != nil {
		return nil, err
	}
	return &ARNNameOutput{ARN: res.ARN, Name: res.Name}, nil
}

func (a *API) getResourcePolicy(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	arn, name, doc, err := a.svc.GetResourcePolicy(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &GetResourcePolicyOutput{ARN: arn, Name: name, ResourcePolicy: doc}, nil
}

func (a *API) deleteResourcePolicy(ctx context.Context, call secrets.Call, in *SecretIdInput) (any, error) {
	res, err := a.svc.DeleteResourcePolicy(ctx, call, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &ARNNameOutput{ARN: res.ARN, Name: res.Name}, nil
}

func (a *API) validateResourcePolicy(ctx context.Context, call secrets.Call, in *ValidateResourcePolicyInput) (any, error) {
	passed, findings, err := a.svc.ValidateResourcePolicy(ctx, call, in.SecretId, in.ResourcePolicy)
	if err != nil {
		return nil, err
	}
	out := &ValidateResourcePolicyOutput{PolicyValidationPassed: passed, ValidationErrors: []ValidationErrorsEntry{}}
	for _, f := range findings {
		out.ValidationErrors = append(out.ValidationErrors, ValidationErrorsEntry{CheckName: f.Check, ErrorMessage: f.Message})
	}
	return out, nil
}
