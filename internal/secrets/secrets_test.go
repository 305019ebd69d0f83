package secrets_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/secrets"
	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	svc     *secrets.Service
	backend storage.Backend
	clock   *clock
	call    secrets.Call
}

// newEnv is the real domain over a real bbolt file and real keys.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	b, err := bolt.Open(filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	root, err := keys.NewRootKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: b, Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	svc, err := secrets.New(secrets.Config{Backend: b, Keys: kr, Account: "123456789012", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, backend: b, clock: clk, call: secrets.Call{Region: "us-east-1", Principal: iam.Principal{ARN: "arn:aws:iam::123456789012:user/admin"}}}
}

func (e *env) create(t *testing.T, name, value string) *secrets.WriteResult {
	t.Helper()
	v := secrets.StringValue(value)
	res, err := e.svc.Create(context.Background(), e.call, secrets.CreateInput{Name: name, Value: &v})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	return res
}

func TestPurgeHappensWhenDueAndNotBefore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "doomed", "v")
	e.create(t, "kept", "v")
	days := 7
	if _, err := e.svc.Delete(ctx, e.call, secrets.DeleteInput{SecretID: "doomed", RecoveryWindowInDays: &days}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(7*24*time.Hour - time.Second)
	if n, err := e.svc.PurgeDue(ctx); err != nil || n != 0 {
		t.Fatalf("PurgeDue a second before the window ends = %d, %v; want 0", n, err)
	}
	if _, err := e.svc.Describe(ctx, e.call, "doomed"); err != nil {
		t.Fatalf("Describe inside the window: %v", err)
	}
	e.clock.Add(time.Second)
	// Once due, the secret reads as gone even before the sweep runs.
	if _, err := e.svc.Describe(ctx, e.call, "doomed"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Describe when due = %v, want ErrNotFound", err)
	}
	if n, err := e.svc.PurgeDue(ctx); err != nil || n != 1 {
		t.Fatalf("PurgeDue when due = %d, %v; want 1", n, err)
	}
	kvs, err := e.backend.List(ctx, "smv/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != 1 {
		t.Fatalf("%d version values left after the purge, want only kept's 1", len(kvs))
	}
	if _, err := e.svc.GetValue(ctx, e.call, "kept", secrets.Selector{}); err != nil {
		t.Fatalf("an unrelated secret was hurt by the purge: %v", err)
	}
}

func TestRestoreInsideWindowPreventsPurge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "saved", "v")
	if _, err := e.svc.Delete(ctx, e.call, secrets.DeleteInput{SecretID: "saved"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(29 * 24 * time.Hour)
	if _, err := e.svc.Restore(ctx, e.call, "saved"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * 24 * time.Hour)
	if n, _ := e.svc.PurgeDue(ctx); n != 0 {
		t.Fatalf("purged %d restored secrets", n)
	}
	if _, err := e.svc.GetValue(ctx, e.call, "saved", secrets.Selector{}); err != nil {
		t.Fatal(err)
	}
}

// swap exchanges the stored bytes of two keys.
func swap(t *testing.T, b storage.Backend, k1, k2 string) {
	t.Helper()
	ctx := context.Background()
	v1, _, err := b.Get(ctx, k1)
	if err != nil {
		t.Fatal(err)
	}
	v2, _, err := b.Get(ctx, k2)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: k1, Value: v2}, {Key: k2, Value: v1}}}); err != nil {
		t.Fatal(err)
	}
}

func TestSwappedCiphertextsFailToDecrypt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "alice", "alice-secret")
	e.create(t, "bob", "bob-secret")
	kvs, err := e.backend.List(ctx, "smv/", "", 0)
	if err != nil || len(kvs) != 2 {
		t.Fatalf("version values = %d, %v", len(kvs), err)
	}
	swap(t, e.backend, kvs[0].Key, kvs[1].Key)
	for _, name := range []string{"alice", "bob"} {
		v, err := e.svc.GetValue(ctx, e.call, name, secrets.Selector{})
		if !errors.Is(err, secrets.ErrDecryption) {
			t.Fatalf("GetValue(%s) after swapping values = %v, %v; want ErrDecryption", name, v != nil, err)
		}
	}
}

func TestSwappedRecordsFailToOpen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "alice", "a")
	e.create(t, "bob", "b")
	kvs, err := e.backend.List(ctx, "sms/", "", 0)
	if err != nil || len(kvs) != 2 {
		t.Fatalf("secret records = %d, %v", len(kvs), err)
	}
	swap(t, e.backend, kvs[0].Key, kvs[1].Key)
	if _, err := e.svc.Describe(ctx, e.call, "alice"); !errors.Is(err, secrets.ErrDecryption) {
		t.Fatalf("Describe after swapping records = %v, want ErrDecryption", err)
	}
}

func TestConcurrentPutsAllLand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "busy", "v0")
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := secrets.StringValue(string(rune('a' + i)))
			_, err := e.svc.PutValue(ctx, e.call, secrets.PutInput{SecretID: "busy", Value: &v})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent PutValue: %v", err)
		}
	}
	s, err := e.svc.Describe(ctx, e.call, "busy")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Versions) != 21 {
		t.Fatalf("versions = %d, want 21", len(s.Versions))
	}
	cur, prev := 0, 0
	for _, v := range s.Versions {
		for _, st := range v.Stages {
			switch st {
			case secrets.StageCurrent:
				cur++
			case secrets.StagePrevious:
				prev++
			}
		}
	}
	if cur != 1 || prev != 1 {
		t.Fatalf("AWSCURRENT on %d versions and AWSPREVIOUS on %d, want 1 each", cur, prev)
	}
}

func TestValueRedactsItself(t *testing.T) {
	v := secrets.StringValue("hunter2")
	for _, s := range []string{v.String(), v.GoString()} {
		if s != "secrets.Value(redacted)" {
			t.Fatalf("Value prints %q", s)
		}
	}
}

func TestCachedRecordsNeverOutliveACommit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.create(t, "watched", "v")
	if _, err := e.svc.Describe(ctx, e.call, "watched"); err != nil { // now cached
		t.Fatal(err)
	}
	kvs, err := e.backend.List(ctx, "sms/", "", 0)
	if err != nil || len(kvs) != 1 {
		t.Fatalf("records = %d, %v", len(kvs), err)
	}
	// A commit the service did not make: the record disappears.
	if err := e.backend.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: kvs[0].Key, Delete: true}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Describe(ctx, e.call, "watched"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Describe after the record was deleted underneath = %v, want ErrNotFound", err)
	}
}
