package client_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/coffer-dev/coffer/client"
)

// gcmSealer seals under a per-process AES-256-GCM key, binding each item's
// key as additional data.
type gcmSealer struct {
	aead         cipher.AEAD
	seals, opens atomic.Int64
}

func newGCMSealer(t *testing.T) *gcmSealer {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	block, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		t.Fatal(err)
	}
	return &gcmSealer{aead: aead}
}

func (s *gcmSealer) Seal(key string, plaintext []byte) ([]byte, error) {
	s.seals.Add(1)
	return s.aead.Seal(nil, nil, plaintext, []byte(key)), nil
}

func (s *gcmSealer) Open(key string, sealed []byte) ([]byte, error) {
	s.opens.Add(1)
	return s.aead.Open(nil, nil, sealed, []byte(key))
}

func TestSealerRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", `{"password":"sealed-canary"}`)
	sealer := newGCMSealer(t)
	c := f.cache(t, func(o *client.Options) { o.Sealer = sealer })

	for range 3 {
		got, err := c.GetSecretJSONField(t.Context(), "db", "password")
		if err != nil || got != "sealed-canary" {
			t.Fatalf("GetSecretJSONField(db, password) = %q, %v, want sealed-canary", got, err)
		}
	}
	wantString(t, c, "db", `{"password":"sealed-canary"}`)
	if b, err := c.GetSecretBinary(t.Context(), "db"); err != nil || string(b) != `{"password":"sealed-canary"}` {
		t.Fatalf("GetSecretBinary(db) = %q, %v", b, err)
	}
	wantCalls(t, f.api, 1, 0)
	if s, o := sealer.seals.Load(), sealer.opens.Load(); s != 1 || o != 5 {
		t.Fatalf("Seal, Open calls = %d, %d; want 1, 5", s, o)
	}
}

// failingSealer fails as told.
type failingSealer struct{ sealErr, openErr error }

func (s failingSealer) Seal(key string, p []byte) ([]byte, error) { return p, s.sealErr }
func (s failingSealer) Open(key string, p []byte) ([]byte, error) { return p, s.openErr }

func TestSealerErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.create(t, "db", "canary")
	errSeal, errOpen := errors.New("seal refused"), errors.New("open refused")

	c := f.cache(t, func(o *client.Options) { o.Sealer = failingSealer{sealErr: errSeal} })
	if _, err := c.GetSecretString(t.Context(), "db"); !errors.Is(err, errSeal) {
		t.Fatalf("GetSecretString with a failing Seal = %v, want %v", err, errSeal)
	}
	c = f.cache(t, func(o *client.Options) { o.Sealer = failingSealer{openErr: errOpen} })
	_, err := c.GetSecretString(t.Context(), "db")
	if !errors.Is(err, errOpen) {
		t.Fatalf("GetSecretString with a failing Open = %v, want %v", err, errOpen)
	}
}
