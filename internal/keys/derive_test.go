package keys_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
)

func TestAuditKeysAreDeterministicPerRootKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	root, _, err := keys.LoadOrCreateRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	mac1, sign1, err := root.AuditKeys()
	if err != nil {
		t.Fatal(err)
	}
	again, err := keys.LoadRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	mac2, sign2, err := again.AuditKeys()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mac1, mac2) || !sign1.Equal(sign2) {
		t.Error("AuditKeys differ for the same root key file")
	}
	if len(mac1) != 32 || len(sign1) != ed25519.PrivateKeySize {
		t.Errorf("AuditKeys lengths = %d, %d; want 32, %d", len(mac1), len(sign1), ed25519.PrivateKeySize)
	}
	if bytes.Equal(mac1, sign1.Seed()) {
		t.Error("the digest key equals the signing seed; they must be separate subkeys")
	}
	other, err := keys.NewRootKey()
	if err != nil {
		t.Fatal(err)
	}
	mac3, sign3, err := other.AuditKeys()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(mac1, mac3) || sign1.Equal(sign3) {
		t.Error("two root keys gave the same audit keys")
	}
}

func TestLoadRootKeyNeverCreates(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	if _, err := keys.LoadRootKey(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadRootKey(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadRootKey created %s", path)
	}
}
