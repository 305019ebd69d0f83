package secrets_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/secrets"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
)

// benchService is the domain over a real bbolt file with fsync off, so the
// benchmark measures the domain's CPU rather than the disk.
func benchService(b *testing.B) (*secrets.Service, secrets.Call) {
	b.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "coffer.db"), bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	root, _ := keys.NewRootKey()
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: db, Account: "123456789012"})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := secrets.New(secrets.Config{Backend: db, Keys: kr, Account: "123456789012"})
	if err != nil {
		b.Fatal(err)
	}
	return svc, secrets.Call{Region: "us-east-1", Principal: iam.Principal{ARN: "arn:aws:iam::123456789012:user/admin"}}
}

// BenchmarkPutValue puts into a secret that already has the full 100
// versions, the steady state of a frequently rotated secret.
func BenchmarkPutValue(b *testing.B) {
	svc, call := benchService(b)
	ctx := context.Background()
	v := secrets.StringValue(`{"username":"app","password":"correct horse battery staple"}`)
	if _, err := svc.Create(ctx, call, secrets.CreateInput{Name: "busy", Value: &v}); err != nil {
		b.Fatal(err)
	}
	for range secrets.MaxVersions {
		if _, err := svc.PutValue(ctx, call, secrets.PutInput{SecretID: "busy", Value: &v}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.PutValue(ctx, call, secrets.PutInput{SecretID: "busy", Value: &v}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetValue(b *testing.B) {
	svc, call := benchService(b)
	ctx := context.Background()
	v := secrets.StringValue(`{"username":"app","password":"correct horse battery staple"}`)
	if _, err := svc.Create(ctx, call, secrets.CreateInput{Name: "hot", Value: &v}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.GetValue(ctx, call, "hot", secrets.Selector{}); err != nil {
			b.Fatal(err)
		}
	}
}
