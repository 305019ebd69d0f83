package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

// fakeClock is a settable Options.Clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// counting wraps the real SDK client, counts calls, and can hold
// GetSecretValue until released or fail every call.
type counting struct {
	api       client.SecretsAPI
	gets      atomic.Int64
	describes atomic.Int64

	mu      sync.Mutex
	block   chan struct{} // when non-nil, GetSecretValue waits for it to close
	entered chan struct{} // when non-nil, GetSecretValue sends on it first
	err     error         // when non-nil, returned by every call
}

func (c *counting) GetSecretValue(ctx context.Context, in *sm.GetSecretValueInput, optFns ...func(*sm.Options)) (*sm.GetSecretValueOutput, error) {
	c.gets.Add(1)
	c.mu.Lock()
	block, entered, err := c.block, c.entered, c.err
	c.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return c.api.GetSecretValue(ctx, in, optFns...)
}

func (c *counting) DescribeSecret(ctx context.Context, in *sm.DescribeSecretInput, optFns ...func(*sm.Options)) (*sm.DescribeSecretOutput, error) {
	c.describes.Add(1)
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return c.api.DescribeSecret(ctx, in, optFns...)
}

func (c *counting) set(fn func(c *counting)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c)
}

// fixture is a real server, a counting client on it, and a clock.
type fixture struct {
	srv   *coffertest.Server
	api   *counting
	clock *fakeClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := coffertest.NewServer(t, coffertest.Options{})
	return &fixture{srv: srv, api: &counting{api: sm.NewFromConfig(srv.Config(srv.Region), func(o *sm.Options) { o.RetryMaxAttempts = 1 })}, clock: newClock()}
}

// cache returns a cache on f's server and clock; opts adjust the options.
func (f *fixture) cache(t *testing.T, opts ...func(*client.Options)) *client.Cache {
	t.Helper()
	base := func(o *client.Options) { o.Secrets = f.api; o.Clock = f.clock.Now }
	c, err := client.New(f.srv.Config(f.srv.Region), append([]func(*client.Options){base}, opts...)...)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (f *fixture) create(t *testing.T, name, value string) {
	t.Helper()
	_, err := f.srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%s): %v", name, err)
	}
}

func (f *fixture) put(t *testing.T, name, value string) {
	t.Helper()
	_, err := f.srv.Client.PutSecretValue(t.Context(), &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatalf("PutSecretValue(%s): %v", name, err)
	}
}

func wantString(t *testing.T, c *client.Cache, id, want string) {
	t.Helper()
	got, err := c.GetSecretString(t.Context(), id)
	if err != nil || got != want {
		t.Fatalf("GetSecretString(%s) = %q, %v, want %q", id, got, err, want)
	}
}

func wantCalls(t *testing.T, api *counting, gets, describes int64) {
	t.Helper()
	if g, d := api.gets.Load(), api.describes.Load(); g != gets || d != describes {
		t.Fatalf("calls: GetSecretValue %d, DescribeSecret %d; want %d, %d", g, d, gets, describes)
	}
}

// waitFor polls cond, for a background goroutine, until it holds or 10s
// pass; the cache's clock is fake, so this is the only real waiting.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTTLExpiry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "one")
	c := f.cache(t, func(o *client.Options) { o.TTL = time.Minute })

	wantString(t, c, "db", "one")
	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 1, 0)

	f.clock.Advance(59 * time.Second)
	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 1, 0)

	f.clock.Advance(time.Second)
	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 2, 0)
	if st := c.Stats(); st != (client.CacheStats{Hits: 2, Misses: 2}) {
		t.Errorf("Stats() = %+v, want 2 hits and 2 misses", st)
	}
}

func TestRotationPickedUpAfterTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "old")
	c := f.cache(t, func(o *client.Options) { o.TTL = time.Minute })

	wantString(t, c, "db", "old")
	f.put(t, "db", "new")
	wantString(t, c, "db", "old") // still fresh
	f.clock.Advance(time.Minute)
	wantString(t, c, "db", "new")

	prev, err := c.GetSecretVersion(t.Context(), "db", client.Version{Stage: "AWSPREVIOUS"})
	if err != nil || prev.Reveal() != "old" {
		t.Fatalf("GetSecretVersion(db, AWSPREVIOUS) = %q, %v, want old", prev.Reveal(), err)
	}
	cur, err := c.GetSecretVersion(t.Context(), "db", client.Version{})
	if err != nil {
		t.Fatal(err)
	}
	byID, err := c.GetSecretVersion(t.Context(), "db", client.Version{ID: prev.VersionID()})
	if err != nil || byID.Reveal() != "old" || byID.VersionID() == cur.VersionID() {
		t.Fatalf("GetSecretVersion(db, ID %s) = %q, %v, want old", prev.VersionID(), byID.Reveal(), err)
	}
}

func TestRefreshNowAndInvalidate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "old")
	c := f.cache(t, func(o *client.Options) { o.VersionCheck = true })

	wantString(t, c, "db", "old")
	f.put(t, "db", "new")
	if err := c.RefreshNow(t.Context(), "db"); err != nil {
		t.Fatalf("RefreshNow: %v", err)
	}
	wantString(t, c, "db", "new")
	wantCalls(t, f.api, 2, 0) // no version check: RefreshNow always fetches

	f.put(t, "db", "newer")
	c.Invalidate("db")
	wantString(t, c, "db", "newer")
	wantCalls(t, f.api, 3, 0)
}

func TestInvalidateDuringFetch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "old")
	c := f.cache(t)

	block, entered := make(chan struct{}), make(chan struct{}, 1)
	f.api.set(func(a *counting) { a.block, a.entered = block, entered })
	got := make(chan string, 1)
	go func() { s, _ := c.GetSecretString(t.Context(), "db"); got <- s }()
	<-entered
	c.Invalidate("db") // the fetch in flight may have read the old value
	f.api.set(func(a *counting) { a.block, a.entered = nil, nil })
	close(block)
	if s := <-got; s != "old" {
		t.Fatalf("caller of the disowned fetch got %q, want old", s)
	}
	f.put(t, "db", "new")
	wantString(t, c, "db", "new") // the disowned result was not cached
	wantCalls(t, f.api, 2, 0)
}

func TestRefreshAhead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "old")
	c := f.cache(t, func(o *client.Options) { o.TTL = 10 * time.Minute; o.RefreshAhead = 0.2 })

	wantString(t, c, "db", "old")
	f.put(t, "db", "new")
	f.clock.Advance(7 * time.Minute) // before the refresh-ahead point
	wantString(t, c, "db", "old")
	wantCalls(t, f.api, 1, 0)

	// Hold the background refresh so hits happen while it is in flight.
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	f.api.set(func(a *counting) { a.block, a.entered = block, entered })
	f.clock.Advance(time.Minute + time.Second) // 1m59s before expiry
	for range 50 {
		wantString(t, c, "db", "old")
	}
	<-entered
	wantCalls(t, f.api, 2, 0)
	f.api.set(func(a *counting) { a.block, a.entered = nil, nil })
	close(block)

	waitFor(t, func() bool {
		got, err := c.GetSecretString(t.Context(), "db")
		if err != nil {
			t.Fatal(err)
		}
		return got == "new"
	})
	wantCalls(t, f.api, 2, 0) // one refresh, not one per hit
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t)

	block, entered := make(chan struct{}), make(chan struct{}, 100)
	f.api.set(func(a *counting) { a.block, a.entered = block, entered })
	const callers = 100
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			got, err := c.GetSecretString(context.Background(), "db")
			if err == nil && got != "value" {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		}()
	}
	started.Wait()
	<-entered // the one fetch is in flight; every other caller joins it
	close(block)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GetSecretString(db): %v", err)
		}
	}
	wantCalls(t, f.api, 1, 0)
}

func TestVersionCheck(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "one")
	c := f.cache(t, func(o *client.Options) { o.TTL = time.Minute; o.VersionCheck = true })

	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 1, 0)

	f.clock.Advance(time.Minute)
	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 1, 1) // unchanged: DescribeSecret only

	f.clock.Advance(30 * time.Second) // the check renewed the TTL
	wantString(t, c, "db", "one")
	wantCalls(t, f.api, 1, 1)

	f.put(t, "db", "two")
	f.clock.Advance(30 * time.Second)
	wantString(t, c, "db", "two")
	wantCalls(t, f.api, 2, 2)
}

func TestStaleIfError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t, func(o *client.Options) { o.TTL = time.Minute; o.StaleIfError = 10 * time.Minute })

	wantString(t, c, "db", "value")
	f.srv.Stop(t)

	f.clock.Advance(time.Minute)
	wantString(t, c, "db", "value") // stale, after a failed fetch
	wantCalls(t, f.api, 2, 0)
	wantString(t, c, "db", "value") // stale, backing off: no fetch
	wantCalls(t, f.api, 2, 0)

	f.clock.Advance(time.Second)
	wantString(t, c, "db", "value")
	wantCalls(t, f.api, 3, 0) // retried after the backoff
	if st := c.Stats(); st != (client.CacheStats{Misses: 3, Stale: 3}) {
		t.Errorf("Stats() = %+v, want 3 misses (fetches) and 3 stale values served", st)
	}

	f.clock.Advance(10 * time.Minute) // past expiry + StaleIfError
	if got, err := c.GetSecretString(t.Context(), "db"); err == nil {
		t.Fatalf("GetSecretString(db) past StaleIfError = %q, want an error", got)
	}
	if err := c.RefreshNow(t.Context(), "db"); err == nil {
		t.Fatal("RefreshNow(db) with the server down succeeded")
	}
}

func TestStaleIfErrorNotForRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t, func(o *client.Options) { o.TTL = time.Minute; o.StaleIfError = time.Hour })

	wantString(t, c, "db", "value")
	_, err := f.srv.Client.DeleteSecret(t.Context(), &sm.DeleteSecretInput{SecretId: aws.String("db"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	_, err = c.GetSecretString(t.Context(), "db")
	if _, ok := errors.AsType[*smtypes.ResourceNotFoundException](err); !ok {
		t.Fatalf("GetSecretString(deleted secret) error = %v, want ResourceNotFoundException", err)
	}
}

func TestEviction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, name := range []string{"a", "b", "c"} {
		f.create(t, name, name+"-value")
	}
	c := f.cache(t, func(o *client.Options) { o.MaxItems = 2 })

	wantString(t, c, "a", "a-value")
	f.clock.Advance(time.Second)
	wantString(t, c, "b", "b-value")
	f.clock.Advance(time.Second)
	wantString(t, c, "a", "a-value") // a is now more recently used than b
	f.clock.Advance(time.Second)
	wantString(t, c, "c", "c-value") // evicts b
	wantCalls(t, f.api, 3, 0)

	wantString(t, c, "a", "a-value")
	wantString(t, c, "c", "c-value")
	wantCalls(t, f.api, 3, 0)
	wantString(t, c, "b", "b-value")
	wantCalls(t, f.api, 4, 0)
}

func TestTTLZeroDisablesCaching(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t, func(o *client.Options) { o.TTL = 0 })
	for range 3 {
		wantString(t, c, "db", "value")
	}
	wantCalls(t, f.api, 3, 0)
}

func TestJSONField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const doc = `{"username":"admin","password":"hunter2-canary","port":5432,"opts":{"ssl":true}}`
	f.create(t, "rds", doc)
	f.create(t, "plain", "not-json-canary")
	c := f.cache(t)

	for _, tc := range []struct{ field, want string }{
		{"username", "admin"},
		{"password", "hunter2-canary"},
		{"port", "5432"},
		{"opts", `{"ssl":true}`},
	} {
		got, err := c.GetSecretJSONField(t.Context(), "rds", tc.field)
		if err != nil || got != tc.want {
			t.Errorf("GetSecretJSONField(rds, %s) = %q, %v, want %q", tc.field, got, err, tc.want)
		}
	}

	_, err := c.GetSecretJSONField(t.Context(), "rds", "host")
	if !errors.Is(err, client.ErrFieldNotFound) || !strings.Contains(err.Error(), `"host"`) || strings.Contains(err.Error(), "canary") {
		t.Errorf("GetSecretJSONField(rds, host) error = %v, want ErrFieldNotFound naming host and no value", err)
	}
	_, err = c.GetSecretJSONField(t.Context(), "plain", "user")
	if !errors.Is(err, client.ErrNotJSON) || strings.Contains(err.Error(), "canary") || strings.Contains(err.Error(), "'n'") {
		t.Errorf("GetSecretJSONField(plain, user) error = %v, want ErrNotJSON and no part of the value", err)
	}
	wantCalls(t, f.api, 2, 0)
}

func TestBinary(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	bin := []byte{0, 1, 2, 0xff, 'x'}
	_, err := f.srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("key"), SecretBinary: bin})
	if err != nil {
		t.Fatal(err)
	}
	f.create(t, "text", "hello")
	c := f.cache(t)

	got, err := c.GetSecretBinary(t.Context(), "key")
	if err != nil || string(got) != string(bin) {
		t.Fatalf("GetSecretBinary(key) = %x, %v, want %x", got, err, bin)
	}
	if s, err := c.GetSecretString(t.Context(), "key"); err != nil || s != string(bin) {
		t.Fatalf("GetSecretString(key) = %q, %v, want %q", s, err, bin)
	}
	if v, err := c.GetSecretVersion(t.Context(), "key", client.Version{}); err != nil || !v.IsBinary() {
		t.Fatalf("GetSecretVersion(key).IsBinary() = false, %v; want true", err)
	}
	if b, err := c.GetSecretBinary(t.Context(), "text"); err != nil || string(b) != "hello" {
		t.Fatalf("GetSecretBinary(text) = %q, %v, want hello", b, err)
	}
	wantCalls(t, f.api, 2, 0)
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t)

	block, entered := make(chan struct{}), make(chan struct{}, 2)
	f.api.set(func(a *counting) { a.block, a.entered = block, entered })

	// A second caller that keeps waiting keeps the fetch alive when the
	// first caller gives up.
	ctx, cancel := context.WithCancel(t.Context())
	first := make(chan error, 1)
	go func() { _, err := c.GetSecretString(ctx, "db"); first <- err }()
	<-entered
	second := make(chan string, 1)
	go func() { s, _ := c.GetSecretString(t.Context(), "db"); second <- s }()
	waitFor(t, func() bool { return client.Waiters(c, "db") == 2 })
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("GetSecretString with a canceled context = %v, want context.Canceled", err)
	}
	f.api.set(func(a *counting) { a.block, a.entered = nil, nil })
	close(block)
	if got := <-second; got != "value" {
		t.Fatalf("second caller got %q, want value", got)
	}
	wantCalls(t, f.api, 1, 0)

	// When its only caller gives up, the fetch is canceled.
	c.Invalidate("db")
	block = make(chan struct{})
	f.api.set(func(a *counting) { a.block, a.entered = block, entered })
	ctx, cancel = context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetSecretString(ctx, "db"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetSecretString past its deadline = %v, want context.DeadlineExceeded", err)
	}
	c.Close() // waits for the fetch, which ends only through its context
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		field string
		fn    func(*client.Options)
	}{
		{"negative TTL is refused", "TTL", func(o *client.Options) { o.TTL = -1 }},
		{"negative MaxItems is refused", "MaxItems", func(o *client.Options) { o.MaxItems = -1 }},
		{"RefreshAhead of 1 is refused", "RefreshAhead", func(o *client.Options) { o.RefreshAhead = 1 }},
		{"negative StaleIfError is refused", "StaleIfError", func(o *client.Options) { o.StaleIfError = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.New(aws.Config{}, tc.fn)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("New = %v, want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestValueRedacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "canary-value")
	c := f.cache(t)
	v, err := c.GetSecretVersion(t.Context(), "db", client.Version{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v), v.String()} {
		if strings.Contains(s, "canary") {
			t.Fatalf("a formatted Value shows its plaintext: %s", s)
		}
	}
	if v.Reveal() != "canary-value" {
		t.Fatalf("Reveal() = %q, want canary-value", v.Reveal())
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "value")
	c := f.cache(t)
	wantString(t, c, "db", "value")
	c.Close()
	wantString(t, c, "db", "value") // hits still served
	if _, err := c.GetSecretString(t.Context(), "other"); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("miss after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkCacheHit(b *testing.B) { benchmarkCacheHits(b) }

// benchmarkCacheHits measures hits of every kind on a cache built with
// optFns (BenchmarkCacheHitSealed passes a Sealer).
func benchmarkCacheHits(b *testing.B, optFns ...func(*client.Options)) {
	srv := coffertest.NewServer(b, coffertest.Options{})
	if _, err := srv.Client.CreateSecret(b.Context(), &sm.CreateSecretInput{
		Name: aws.String("db"), SecretString: aws.String(`{"password":"p"}`),
	}); err != nil {
		b.Fatal(err)
	}
	c, err := client.New(srv.Config(srv.Region), optFns...)
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
