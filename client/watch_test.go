package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

func TestFollowingChangesServesARotatedValueWithinASecond(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db/pw"), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	following, err := client.New(srv.Config("us-east-1"), func(o *client.Options) { o.TTL = 300 * time.Second; o.FollowChanges = true })
	if err != nil {
		t.Fatal(err)
	}
	defer following.Close()
	plain, err := client.New(srv.Config("us-east-1"), func(o *client.Options) { o.TTL = 300 * time.Second })
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for _, c := range []*client.Cache{following, plain} {
		if v, err := c.GetSecretString(ctx, "db/pw"); err != nil || v != "v1" {
			t.Fatalf("first read = %q, %v", v, err)
		}
	}
	rotated := time.Now()
	if _, err := srv.Client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("db/pw"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	deadline := rotated.Add(time.Second)
	for {
		v, err := following.GetSecretString(ctx, "db/pw")
		if err != nil {
			t.Fatal(err)
		}
		if v == "v2" {
			t.Logf("rotation seen after %v", time.Since(rotated).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still serving %q a second after the rotation (TTL 300s)", v)
		}
		time.Sleep(10 * time.Millisecond) // polling the cache with a deadline, not synchronising
	}
	// Without following, the TTL decides, as with AWS's caching clients.
	if v, _ := plain.GetSecretString(ctx, "db/pw"); v != "v1" {
		t.Fatalf("a cache that does not follow changes served %q before its TTL ended", v)
	}
}

func TestWatchNeedsListSecrets(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	if _, err := srv.IAM().CreateUser(ctx, "fn", "/", nil); err != nil {
		t.Fatal(err)
	}
	k, err := srv.IAM().CreateAccessKey(ctx, "fn")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config("us-east-1")
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret.Reveal()}, nil
	})
	w, err := client.NewWatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Next(ctx); err == nil {
		t.Fatal("a principal without secretsmanager:ListSecrets may watch every secret's name")
	}
}
