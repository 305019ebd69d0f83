package client_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/coffertest"
)

var _ client.Sealer = (*client.MemorySealer)(nil)

func newMemorySealer(t testing.TB) *client.MemorySealer {
	t.Helper()
	s, err := client.NewMemorySealer()
	if err != nil {
		t.Fatalf("NewMemorySealer: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMemorySealer(t *testing.T) {
	t.Parallel()
	s := newMemorySealer(t)
	t.Logf("key mlocked: %v", s.Locked())
	plain := []byte("sealed-canary")
	sealed, err := s.Seal("secret:db", plain)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed bytes contain the plaintext")
	}
	again, _ := s.Seal("secret:db", plain)
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: nonce reused")
	}

	t.Run("RoundTrip", func(t *testing.T) {
		got, err := s.Open("secret:db", sealed)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open = %q, %v; want %q", got, err, plain)
		}
		got[0] = 'X' // the caller's own: must not change what is sealed
		if got, err := s.Open("secret:db", sealed); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open after modifying an earlier result = %q, %v", got, err)
		}
	})
	t.Run("OtherKey", func(t *testing.T) {
		if _, err := s.Open("secret:other", sealed); err == nil {
			t.Fatal("sealed bytes opened under another item's key")
		}
	})
	t.Run("OtherSealer", func(t *testing.T) {
		if _, err := newMemorySealer(t).Open("secret:db", sealed); err == nil {
			t.Fatal("sealed bytes opened by another sealer")
		}
	})
	t.Run("Tampered", func(t *testing.T) {
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1
			if _, err := s.Open("secret:db", bad); err == nil {
				t.Fatalf("sealed bytes with byte %d flipped opened", i)
			}
		}
		if _, err := s.Open("secret:db", sealed[:len(sealed)-1]); err == nil {
			t.Fatal("truncated sealed bytes opened")
		}
	})
}

func TestMemorySealerClose(t *testing.T) {
	t.Parallel()
	s, err := client.NewMemorySealer()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("k", []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	// TestMemorySealerCloseZeroesKey checks the key is zeroed.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Seal("k", []byte("v")); !errors.Is(err, client.ErrSealerClosed) {
		t.Errorf("Seal after Close = %v, want ErrSealerClosed", err)
	}
	if _, err := s.Open("k", sealed); !errors.Is(err, client.ErrSealerClosed) {
		t.Errorf("Open after Close = %v, want ErrSealerClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestCacheWithMemorySealer runs a cache on a real server with a
// MemorySealer: it serves the values, and no cached item holds one in the
// clear.
func TestCacheWithMemorySealer(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	for name, value := range map[string]string{"db": `{"password":"sealed-canary"}`, "api": "api-canary"} {
		if _, err := srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatalf("CreateSecret(%s): %v", name, err)
		}
	}
	if _, err := srv.Client.CreateSecret(t.Context(), &sm.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte("binary-canary")}); err != nil {
		t.Fatalf("CreateSecret(bin): %v", err)
	}
	s := newMemorySealer(t)
	c, err := client.New(srv.Config("us-east-1"), func(o *client.Options) { o.Sealer = s })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 { // a miss, then a hit
		if got, err := c.GetSecretJSONField(t.Context(), "db", "password"); err != nil || got != "sealed-canary" {
			t.Fatalf("GetSecretJSONField(db, password) = %q, %v", got, err)
		}
		if got, err := c.GetSecretString(t.Context(), "api"); err != nil || got != "api-canary" {
			t.Fatalf("GetSecretString(api) = %q, %v", got, err)
		}
		if got, err := c.GetSecretBinary(t.Context(), "bin"); err != nil || string(got) != "binary-canary" {
			t.Fatalf("GetSecretBinary(bin) = %q, %v", got, err)
		}
	}
	if client.CachedInClear(c, []byte("canary")) {
		t.Fatal("a cached item holds its value in the clear")
	}
	s.Close()
	if _, err := c.GetSecretString(t.Context(), "api"); !errors.Is(err, client.ErrSealerClosed) {
		t.Fatalf("GetSecretString after the sealer closed = %v, want ErrSealerClosed", err)
	}
}
