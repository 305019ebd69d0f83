package client

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// staticSecrets returns one value for every secret.
type staticSecrets struct{ value string }

func (s staticSecrets) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(s.value), VersionId: aws.String("v1")}, nil
}

func (s staticSecrets) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{}, nil
}

// xorSealer is a toy Sealer: enough to tell sealed bytes from plaintext.
type xorSealer struct{}

func (xorSealer) Seal(_ string, p []byte) ([]byte, error) { return xor(p), nil }
func (xorSealer) Open(_ string, s []byte) ([]byte, error) { return xor(s), nil }

func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ 0x5a
	}
	return out
}

// TestSealedCacheHoldsNoPlaintext looks inside the cache: with a Sealer, no
// cached item holds the value in the clear, even after a JSON field read.
func TestSealedCacheHoldsNoPlaintext(t *testing.T) {
	const canary = `{"k":"plaintext-canary"}`
	c, err := New(aws.Config{}, func(o *Options) { o.Secrets = staticSecrets{canary}; o.Sealer = xorSealer{} })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := c.GetSecretJSONField(t.Context(), "db", "k"); err != nil || got != "plaintext-canary" {
		t.Fatalf("GetSecretJSONField(db, k) = %q, %v", got, err)
	}
	if len(c.entries) != 1 {
		t.Fatalf("%d cached items, want 1", len(c.entries))
	}
	for k, e := range c.entries {
		it := e.it.Load()
		if it.str != "" || it.bin != nil || it.d != nil || bytes.Contains(it.sealed, []byte("canary")) {
			t.Errorf("item %v holds its value in the clear", k)
		}
	}
}
