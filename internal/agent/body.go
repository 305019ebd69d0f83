package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The agent answers with the GetSecretValue and GetParameter JSON bodies.
// The client caches values, not whole responses, so the agent gives it
// services whose "value" is the response body: bodySecrets and
// bodyParameters call the real service and put the encoded body where the
// cache looks for the value. A hit then costs one write of cached bytes.

// bodySecrets returns GetSecretValue's JSON body as SecretString.
type bodySecrets struct{ SecretsAPI }

func (s bodySecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	out, err := s.SecretsAPI.GetSecretValue(ctx, in, optFns...)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(secretBody{
		ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name), VersionID: aws.ToString(out.VersionId),
		SecretString: out.SecretString, SecretBinary: out.SecretBinary,
		VersionStages: out.VersionStages, CreatedDate: epochSeconds(aws.ToTime(out.CreatedDate)),
	})
	if err != nil {
		return nil, fmt.Errorf("encode secret: %T", err) // json errors may quote the value
	}
	return &secretsmanager.GetSecretValueOutput{
		ARN: out.ARN, Name: out.Name, VersionId: out.VersionId, VersionStages: out.VersionStages,
		SecretString: aws.String(string(body)),
	}, nil
}

// secretBody is GetSecretValue's response, as Secrets Manager sends it.
type secretBody struct {
	ARN           string       `json:"ARN"`
	Name          string       `json:"Name"`
	VersionID     string       `json:"VersionId"`
	SecretString  *string      `json:"SecretString,omitempty"`
	SecretBinary  []byte       `json:"SecretBinary,omitempty"`
	VersionStages []string     `json:"VersionStages"`
	CreatedDate   epochSeconds `json:"CreatedDate"`
}

// epochSeconds encodes a time as JSON 1.1 does: seconds since the epoch,
// with milliseconds.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// bodyParameters returns GetParameter's JSON body as the parameter's value.
type bodyParameters struct {
	api interface {
		GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	}
}

func (p bodyParameters) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	out, err := p.api.GetParameter(ctx, in, optFns...)
	if err != nil {
		return nil, err
	}
	if out.Parameter == nil {
		return nil, fmt.Errorf("get parameter: no parameter in response")
	}
	pr := out.Parameter
	wire := parameterBody{Parameter: parameter{
		ARN: aws.ToString(pr.ARN), DataType: aws.ToString(pr.DataType),
		Name: aws.ToString(pr.Name), Selector: pr.Selector, SourceResult: pr.SourceResult,
		Type: string(pr.Type), Value: aws.ToString(pr.Value), Version: pr.Version,
	}}
	if pr.LastModifiedDate != nil {
		d := epochSeconds(*pr.LastModifiedDate)
		wire.Parameter.LastModifiedDate = &d
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, fmt.Errorf("encode parameter: %T", err)
	}
	cp := *pr
	cp.Value = aws.String(string(body))
	return &ssm.GetParameterOutput{Parameter: &cp}, nil
}

// parameterBody is GetParameter's response, as SSM sends it.
type parameterBody struct {
	Parameter parameter `json:"Parameter"`
}

type parameter struct {
	ARN              string        `json:"ARN"`
	DataType         string        `json:"DataType"`
	LastModifiedDate *epochSeconds `json:"LastModifiedDate,omitempty"`
	Name             string        `json:"Name"`
	Selector         *string       `json:"Selector,omitempty"`
	SourceResult     *string       `json:"SourceResult,omitempty"`
	Type             string        `json:"Type"`
	Value            string        `json:"Value"`
	Version          int64         `json:"Version"`
}
