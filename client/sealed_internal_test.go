package client

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

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
		if it.str != "" || it.bin != nil || it.d != nil || bytes.Contains(it.sealed.b, []byte("canary")) {
			t.Errorf("item %v holds its value in the clear", k)
		}
	}
}

// recordingSealer is xorSealer that keeps every sealed slice it returns,
// so a test can look at them after the cache is done with them.
type recordingSealer struct {
	xorSealer
	mu     sync.Mutex
	sealed map[string][][]byte
}

func (r *recordingSealer) Seal(key string, p []byte) ([]byte, error) {
	s, err := r.xorSealer.Seal(key, p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sealed == nil {
		r.sealed = map[string][][]byte{}
	}
	r.sealed[key] = append(r.sealed[key], s)
	return s, err
}

// nth returns the n-th sealed slice for the secret id.
func (r *recordingSealer) nth(t *testing.T, id string, n int) []byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key{kind: kindSecret, id: id}.String()
	if len(r.sealed[k]) <= n {
		t.Fatalf("%s sealed %d times, want more than %d", id, len(r.sealed[k]), n)
	}
	return r.sealed[k][n]
}

func zeroed(b []byte) bool {
	return len(b) > 0 && !bytes.ContainsFunc(b, func(r rune) bool { return r != 0 })
}

// currentSecrets is staticSecrets whose DescribeSecret says v1 is current.
type currentSecrets struct{ staticSecrets }

func (currentSecrets) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{"v1": {StageCurrent}}}, nil
}

// TestSealedBytesZeroedOnEviction: an evicted, dropped or replaced item's
// sealed bytes are zeroed, unless a renewed item still shares them.
func TestSealedBytesZeroedOnEviction(t *testing.T) {
	const value = "sealed-value"
	now := time.Unix(1e9, 0)
	rs := &recordingSealer{}
	c, err := New(aws.Config{}, func(o *Options) {
		o.Secrets, o.Sealer, o.MaxItems, o.VersionCheck = currentSecrets{staticSecrets{value}}, rs, 2, true
		o.Clock = func() time.Time { return now }
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	get := func(id string) {
		t.Helper()
		if got, err := c.GetSecretString(t.Context(), id); err != nil || got != value {
			t.Fatalf("GetSecretString(%s) = %q, %v", id, got, err)
		}
	}
	get("a")
	get("b")
	now = now.Add(time.Second) // b is the most recently used
	get("b")
	get("c") // evicts a, the least recently used
	if !zeroed(rs.nth(t, "a", 0)) {
		t.Error("the evicted item's sealed bytes are not zeroed")
	}
	c.Invalidate("b")
	if !zeroed(rs.nth(t, "b", 0)) {
		t.Error("the dropped item's sealed bytes are not zeroed")
	}
	if err := c.RefreshNow(t.Context(), "c"); err != nil {
		t.Fatal(err)
	}
	if !zeroed(rs.nth(t, "c", 0)) || zeroed(rs.nth(t, "c", 1)) {
		t.Error("the replaced item's sealed bytes are not zeroed, or its successor's are")
	}

	// After the TTL the version check renews c, sharing its sealed bytes:
	// they stay while the renewed item holds them.
	now = now.Add(2 * defaultTTL)
	get("c")
	if zeroed(rs.nth(t, "c", 1)) {
		t.Fatal("bytes shared with a renewed item were zeroed")
	}
	get("c")
	c.Invalidate("c")
	if !zeroed(rs.nth(t, "c", 1)) {
		t.Error("the renewed item's sealed bytes are not zeroed once it is dropped")
	}
}

// TestSealedReadsRaceEvictions reads sealed items while they are evicted
// and dropped: every read gets the value (run it under -race).
func TestSealedReadsRaceEvictions(t *testing.T) {
	const value = "racing-sealed-value"
	sealer, err := NewMemorySealer()
	if err != nil {
		t.Fatal(err)
	}
	defer sealer.Close()
	c, err := New(aws.Config{}, func(o *Options) { o.Secrets, o.Sealer, o.MaxItems = staticSecrets{value}, sealer, 2 })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				c.Invalidate(ids[i%len(ids)])
			}
		}
	})
	var readers sync.WaitGroup
	for r := range 4 {
		readers.Go(func() {
			for i := range 500 {
				id := ids[(r+i)%len(ids)]
				if got, err := c.GetSecretString(t.Context(), id); err != nil || got != value {
					t.Errorf("GetSecretString(%s) = %q, %v", id, got, err)
					return
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	wg.Wait()
}
