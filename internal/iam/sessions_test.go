package iam

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
)

func TestTemporaryCredentialsExpire(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root, _ := keys.NewRootKey()
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: db, Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := NewStore(StoreConfig{Backend: db, Keys: kr, Account: "123456789012", Now: clock})
	if _, err := s.CreateRole(ctx, RoleInput{Name: "r", AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`}); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateSession(ctx, Session{RoleName: "r", RoleARN: "arn:aws:iam::123456789012:role/r", RoleID: "AROAX", SessionName: "s", Duration: 15 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PrincipalFor(ctx, c.AccessKeyID, c.SessionToken); err != nil {
		t.Fatalf("fresh credentials: %v", err)
	}
	mu.Lock()
	now = now.Add(15*time.Minute - time.Second)
	mu.Unlock()
	if _, err := s.PrincipalFor(ctx, c.AccessKeyID, c.SessionToken); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if _, err := s.PrincipalFor(ctx, c.AccessKeyID, c.SessionToken); !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("at expiry = %v, want ErrExpiredToken", err)
	}
	// The secret is still there for SigV4 (expiry is reported, not "unknown").
	if _, err := s.SecretKey(ctx, c.AccessKeyID); err != nil {
		t.Fatalf("SecretKey of expired credentials = %v", err)
	}
	if n, err := s.PurgeExpiredSessions(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeExpiredSessions = %d, %v; want 1", n, err)
	}
	if _, err := s.PrincipalFor(ctx, c.AccessKeyID, c.SessionToken); !errors.Is(err, ErrUnknownAccessKey) {
		t.Fatalf("after the purge = %v, want ErrUnknownAccessKey", err)
	}
}
