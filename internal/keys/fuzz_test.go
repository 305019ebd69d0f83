package keys_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
)

// FuzzOpen feeds Open arbitrary sealed bytes: it must never panic, and must
// either fail with ErrDecryption or return the one value sealed under aad.
func FuzzOpen(f *testing.F) {
	k, key := newTestKeyring(f)
	ctx := context.Background()
	aad := []byte("arn\x00v1")
	valid, err := k.Seal(ctx, key, []byte("fuzz value"), aad)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(valid[:len(valid)-1])
	f.Fuzz(func(t *testing.T, sealed []byte) {
		got, err := k.Open(ctx, sealed, aad)
		switch {
		case err == nil && !bytes.Equal(got, []byte("fuzz value")):
			t.Fatalf("Open = %q, nil for bytes that were never sealed", got)
		case err != nil && !errors.Is(err, keys.ErrDecryption):
			t.Fatalf("Open = %v, want ErrDecryption", err)
		}
	})
}

// FuzzResolveKey feeds ResolveKey arbitrary references, as KmsKeyId arrives
// from requests: it must never panic, and anything but the default key's
// names is ErrKeyNotFound.
func FuzzResolveKey(f *testing.F) {
	k, key := newTestKeyring(f)
	ctx := context.Background()
	for _, ref := range []string{
		"", "alias/aws/secretsmanager", key.ID, key.ARN,
		"arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager",
		"arn:aws:kms:us-east-1:123456789012:key/", "arn:aws:kms::", "alias/",
		"1234abcd-12ab-34cd-56ef-1234567890ab",
	} {
		f.Add(ref)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		got, err := k.ResolveKey(ctx, testRegion, ref)
		if err != nil {
			if !errors.Is(err, keys.ErrKeyNotFound) {
				t.Fatalf("ResolveKey(%q) = %v, want ErrKeyNotFound", ref, err)
			}
			return
		}
		if got != key {
			t.Fatalf("ResolveKey(%q) = %+v, want the default key %+v", ref, got, key)
		}
	})
}
