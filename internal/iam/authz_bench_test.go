package iam

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
)

// BenchmarkStoreAuthorize is the whole policy check the server makes for a
// GetSecretValue by a non-admin user whose inline policy has the 20
// statements with conditions of BenchmarkEvaluate, against a secret with a
// resource policy: identity lookup (cached), condition keys, evaluation.
// docs/benchmarks.md sets it beside the server CPU of a whole request.
//
//	go test -run '^$' -bench StoreAuthorize -benchmem ./internal/iam/
func BenchmarkStoreAuthorize(b *testing.B) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "coffer.db"), bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	root, _ := keys.NewRootKey()
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: db, Account: ptAccount})
	if err != nil {
		b.Fatal(err)
	}
	s := NewStore(StoreConfig{Backend: db, Keys: kr, Account: ptAccount})
	if _, err := s.CreateUser(ctx, "alice", "/", []Tag{{Key: "team", Value: "prod"}}); err != nil {
		b.Fatal(err)
	}
	if err := s.PutUserPolicy(ctx, "alice", "app", ptDoc(ptBenchStatements(b)...)); err != nil {
		b.Fatal(err)
	}
	k, err := s.CreateAccessKey(ctx, "alice")
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.Principal(ctx, k.ID)
	if err != nil {
		b.Fatal(err)
	}
	resourcePolicy := ptDoc(
		ptDeny("secretsmanager:DeleteSecret", "*", `"Principal": "*"`),
		ptAllow("secretsmanager:GetSecretValue", "*", ptPrincipal(ptAccount), ptCond("StringEquals", "aws:PrincipalAccount", ptAccount)),
	)
	req := Request{
		Principal: p, Action: "secretsmanager:GetSecretValue", Resource: ptSecretARN, ResourcePolicy: resourcePolicy,
		ResourceTags: map[string]string{"owner": "alice"},
		Context:      map[string][]string{"secretsmanager:SecretId": {ptSecretARN}, "secretsmanager:VersionStage": {"AWSCURRENT"}},
		SourceIP:     "203.0.113.7", SecureTransport: true,
	}
	if d, err := s.Authorize(ctx, req); err != nil || d != Allow {
		b.Fatalf("Authorize = %v, %v; want Allow", d, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d, _ := s.Authorize(ctx, req); d != Allow {
			b.Fatal("denied")
		}
	}
}
