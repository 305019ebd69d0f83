package client_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

// countingParameters counts GetParameter calls to the real server.
type countingParameters struct {
	api  client.ParametersAPI
	gets atomic.Int64
}

func (c *countingParameters) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	c.gets.Add(1)
	return c.api.GetParameter(ctx, in, optFns...)
}

func TestParameters(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	cfg := srv.Config(srv.Region)
	raw := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.RetryMaxAttempts = 1 })
	for _, p := range []struct {
		name, value string
		typ         ssmtypes.ParameterType
	}{
		{"/app/url", "https://example.com", ssmtypes.ParameterTypeString},
		{"/app/key", "s3cr3t", ssmtypes.ParameterTypeSecureString},
		{"/app/hosts", "a,b", ssmtypes.ParameterTypeStringList},
	} {
		if _, err := raw.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String(p.name), Value: aws.String(p.value), Type: p.typ}); err != nil {
			t.Fatalf("PutParameter(%s): %v", p.name, err)
		}
	}
	api := &countingParameters{api: raw}
	clock := newClock()
	c, err := client.New(cfg, func(o *client.Options) { o.Parameters = api; o.Clock = clock.Now; o.TTL = time.Minute })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	for _, tc := range []struct {
		name    string
		decrypt bool
		want    string
	}{
		{"/app/url", false, "https://example.com"},
		{"/app/key", true, "s3cr3t"},
		{"/app/hosts", false, "a,b"},
		{"/app/url", false, "https://example.com"}, // a hit
	} {
		got, err := c.GetParameter(t.Context(), tc.name, tc.decrypt)
		if err != nil || got != tc.want {
			t.Errorf("GetParameter(%s, %t) = %q, %v, want %q", tc.name, tc.decrypt, got, err, tc.want)
		}
	}
	if got := api.gets.Load(); got != 3 {
		t.Fatalf("GetParameter calls = %d, want 3", got)
	}

	// Without decryption a SecureString is a different cached item.
	if got, err := c.GetParameter(t.Context(), "/app/key", false); err != nil || got == "s3cr3t" {
		t.Errorf("GetParameter(/app/key, false) = %q, %v, want the encrypted form", got, err)
	}

	if _, err := raw.PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("https://new.example.com"), Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	if got, err := c.GetParameter(t.Context(), "/app/url", false); err != nil || got != "https://new.example.com" {
		t.Errorf("GetParameter(/app/url) after TTL = %q, %v, want the new value", got, err)
	}

	_, err = c.GetParameter(t.Context(), "/app/missing", false)
	if _, ok := errors.AsType[*ssmtypes.ParameterNotFound](err); !ok {
		t.Errorf("GetParameter(/app/missing) error = %v, want ParameterNotFound", err)
	}
}
