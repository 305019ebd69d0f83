package sts_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
)

type staticProvider struct{ c aws.Credentials }

func (p staticProvider) Retrieve(context.Context) (aws.Credentials, error) { return p.c, nil }

func staticCreds(id, secret, token string) aws.CredentialsProvider {
	return staticProvider{aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "test"}}
}
