package client_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

// BenchmarkCacheHitSealed is BenchmarkCacheHit with a MemorySealer: each
// hit opens the sealed value (AES-256-GCM), so it allocates.
func BenchmarkCacheHitSealed(b *testing.B) {
	srv := coffertest.NewServer(b, coffertest.Options{})
	if _, err := srv.Client.CreateSecret(b.Context(), &sm.CreateSecretInput{
		Name: aws.String("db"), SecretString: aws.String(`{"password":"p"}`),
	}); err != nil {
		b.Fatal(err)
	}
	s := newMemorySealer(b)
	c, err := client.New(srv.Config(srv.Region), func(o *client.Options) { o.Sealer = s })
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		get  func() error
	}{
		{"String", func() error { _, err := c.GetSecretString(ctx, "db"); return err }},
		{"Binary", func() error { _, err := c.GetSecretBinary(ctx, "db"); return err }},
		{"JSONField", func() error { _, err := c.GetSecretJSONField(ctx, "db", "password"); return err }},
	} {
		if err := bc.get(); err != nil { // warm
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.get(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("StringParallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.GetSecretString(ctx, "db"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
