package keys_test

import (
	"context"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
)

func newRoot(t testing.TB) *keys.RootKey {
	t.Helper()
	root, err := keys.NewRootKey()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func newKeyring(t testing.TB, root *keys.RootKey, b storage.Backend) *keys.Keyring {
	t.Helper()
	k, err := keys.NewKeyring(context.Background(), keys.Config{Root: root, Backend: b, Account: testAccount})
	if err != nil {
		t.Fatalf("NewKeyring = %v", err)
	}
	return k
}

// newTestKeyring returns a keyring over a fresh backend and the region's
// default key.
func newTestKeyring(t testing.TB) (*keys.Keyring, keys.KMSKey) {
	t.Helper()
	k := newKeyring(t, newRoot(t), newMemBackend())
	key, err := k.ResolveKey(context.Background(), testRegion, "")
	if err != nil {
		t.Fatalf("ResolveKey(%s, \"\") = %v", testRegion, err)
	}
	return k, key
}

func mustSeal(t testing.TB, k *keys.Keyring, key keys.KMSKey, plaintext, aad string) []byte {
	t.Helper()
	sealed, err := k.Seal(context.Background(), key, []byte(plaintext), []byte(aad))
	if err != nil {
		t.Fatalf("Seal = %v", err)
	}
	return sealed
}
