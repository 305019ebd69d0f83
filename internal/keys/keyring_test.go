package keys_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/storage"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// listKeys returns the storage keys under prefix.
func listKeys(t *testing.T, b storage.Backend, prefix string) []string {
	t.Helper()
	kvs, err := b.List(context.Background(), prefix, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, kv := range kvs {
		out = append(out, kv.Key)
	}
	return out
}

func TestResolveKeyDefault(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newMemBackend()
	k := newKeyring(t, newRoot(t), b)
	key, err := k.ResolveKey(ctx, testRegion, "")
	if err != nil {
		t.Fatalf("ResolveKey(%s, \"\") = %v", testRegion, err)
	}
	if !uuidRE.MatchString(key.ID) {
		t.Errorf("ID = %q, want a version 4 UUID", key.ID)
	}
	if want := "arn:aws:kms:us-east-1:123456789012:key/" + key.ID; key.ARN != want {
		t.Errorf("ARN = %q, want %q", key.ARN, want)
	}
	if key.Region != testRegion || key.Alias != "alias/aws/secretsmanager" {
		t.Errorf("ResolveKey = %+v, want region %s, alias alias/aws/secretsmanager", key, testRegion)
	}
	for _, ref := range []string{
		"",
		"alias/aws/secretsmanager",
		"arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager",
		key.ID,
		strings.ToUpper(key.ID),
		key.ARN,
	} {
		got, err := k.ResolveKey(ctx, testRegion, ref)
		if err != nil || got != key {
			t.Errorf("ResolveKey(%s, %q) = %+v, %v, want %+v", testRegion, ref, got, err, key)
		}
	}
	if got := listKeys(t, b, "kms/key/"); len(got) != 1 {
		t.Errorf("stored KMS keys = %q, want one", got)
	}
}

func TestResolveKeyOneDefaultPerRegion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKeyring(t, newRoot(t), newMemBackend())
	east, err := k.ResolveKey(ctx, "us-east-1", "")
	if err != nil {
		t.Fatal(err)
	}
	west, err := k.ResolveKey(ctx, "eu-west-1", "")
	if err != nil {
		t.Fatal(err)
	}
	if east.ID == west.ID {
		t.Errorf("us-east-1 and eu-west-1 share default key %s", east.ID)
	}
	if west.Region != "eu-west-1" || !strings.HasPrefix(west.ARN, "arn:aws:kms:eu-west-1:") {
		t.Errorf("eu-west-1 default = %+v", west)
	}
}

func TestResolveKeyRefusesOtherRefs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k := newKeyring(t, newRoot(t), newMemBackend())
	key, err := k.ResolveKey(ctx, testRegion, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, region, ref string }{
		{"key of another region by id is not found", "eu-west-1", key.ID},
		{"key of another region by ARN is not found", "eu-west-1", key.ARN},
		{"ARN of another account is not found", testRegion, strings.Replace(key.ARN, testAccount, "210987654321", 1)},
		{"ARN of another region is not found", testRegion, strings.Replace(key.ARN, testRegion, "eu-west-1", 1)},
		{"alias ARN of another account is not found", testRegion, "arn:aws:kms:us-east-1:210987654321:alias/aws/secretsmanager"},
		{"unknown key id is not found", testRegion, "1234abcd-12ab-34cd-56ef-1234567890ab"},
		{"unknown alias is not found", testRegion, "alias/my-key"},
		{"other partition is not found", testRegion, "arn:aws-cn:kms:us-east-1:123456789012:key/" + key.ID},
		{"secret ARN is not found", testRegion, "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf"},
		{"id with trailing text is not found", testRegion, key.ID + "x"},
		{"ARN with trailing text is not found", testRegion, key.ARN + "/x"},
		{"malformed ARN is not found", testRegion, "arn:aws:kms:us-east-1"},
		{"bare key/ prefix is not found", testRegion, "key/" + key.ID},
		{"storage path is not found", testRegion, "../kms/key/" + key.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := k.ResolveKey(ctx, tc.region, tc.ref)
			if !errors.Is(err, keys.ErrKeyNotFound) {
				t.Errorf("ResolveKey(%s, %q) = %+v, %v, want ErrKeyNotFound", tc.region, tc.ref, got, err)
			}
		})
	}
}

func TestResolveKeyRefusesInvalidRegion(t *testing.T) {
	t.Parallel()
	k := newKeyring(t, newRoot(t), newMemBackend())
	for _, region := range []string{"", "US-EAST-1", "us-east-1/x", "-us", "us-", strings.Repeat("a", 33)} {
		if _, err := k.ResolveKey(context.Background(), region, ""); err == nil {
			t.Errorf("ResolveKey(%q, \"\") = nil error, want invalid region", region)
		}
	}
}

// Concurrent first uses converge on one default key, whether they share a
// keyring or run on several nodes over one backend.
func TestResolveKeyConcurrentFirstUseCreatesOneKey(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{true, false} {
		name := map[bool]string{true: "one keyring", false: "one keyring per caller"}[shared]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			root, b := newRoot(t), newMemBackend()
			rings := make([]*keys.Keyring, 16)
			for i := range rings {
				if shared && i > 0 {
					rings[i] = rings[0]
				} else {
					rings[i] = newKeyring(t, root, b)
				}
			}
			ids := make([]string, len(rings))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, k := range rings {
				wg.Go(func() {
					<-start
					key, err := k.ResolveKey(ctx, testRegion, "")
					if err != nil {
						t.Errorf("ResolveKey = %v", err)
					}
					ids[i] = key.ID
				})
			}
			close(start)
			wg.Wait()
			for i, id := range ids {
				if id != ids[0] {
					t.Errorf("caller %d got key %s, caller 0 got %s", i, id, ids[0])
				}
			}
			if got := listKeys(t, b, "kms/key/"); len(got) != 1 {
				t.Errorf("stored KMS keys = %q, want one", got)
			}
			if got := listKeys(t, b, "kms/alias/"); len(got) != 1 {
				t.Errorf("stored aliases = %q, want one", got)
			}
		})
	}
}

func TestReopenedKeyringOpensOldValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, b := newRoot(t), newMemBackend()
	k1 := newKeyring(t, root, b)
	key, err := k1.ResolveKey(ctx, testRegion, "")
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t, k1, key, "old value", "aad")
	rec, _ := k1.SealRecord("sm/r", []byte("old record"))

	k2 := newKeyring(t, root, b)
	if got, err := k2.Open(ctx, sealed, []byte("aad")); err != nil || string(got) != "old value" {
		t.Errorf("reopened Open = %q, %v, want %q", got, err, "old value")
	}
	if got, err := k2.OpenRecord("sm/r", rec); err != nil || string(got) != "old record" {
		t.Errorf("reopened OpenRecord = %q, %v, want %q", got, err, "old record")
	}
	if key2, err := k2.ResolveKey(ctx, testRegion, ""); err != nil || key2 != key {
		t.Errorf("reopened ResolveKey = %+v, %v, want %+v", key2, err, key)
	}
	if b1, b2 := k1.Blind("x"), k2.Blind("x"); b1 != b2 {
		t.Errorf("Blind changed across reopen: %s, %s", b1, b2)
	}
}

func TestDifferentRootKeyCannotOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newMemBackend()
	k1 := newKeyring(t, newRoot(t), b)
	key, err := k1.ResolveKey(ctx, testRegion, "")
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t, k1, key, "value", "aad")
	rec, _ := k1.SealRecord("sm/r", []byte("record"))

	other := newRoot(t)
	_, err = keys.NewKeyring(ctx, keys.Config{Root: other, Backend: b, Account: testAccount})
	if !errors.Is(err, keys.ErrRootKeyMismatch) {
		t.Fatalf("NewKeyring(other root) = %v, want ErrRootKeyMismatch", err)
	}

	// Without the start-up check, the crypto still refuses.
	if err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: "kms/root-check", Delete: true}}}); err != nil {
		t.Fatal(err)
	}
	k2 := newKeyring(t, other, b)
	if got, err := k2.Open(ctx, sealed, []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open under another root key = %q, %v, want ErrDecryption", got, err)
	}
	if got, err := k2.OpenRecord("sm/r", rec); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("OpenRecord under another root key = %q, %v, want ErrDecryption", got, err)
	}
	if got, err := k2.ResolveKey(ctx, testRegion, ""); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("ResolveKey under another root key = %+v, %v, want an error wrapping ErrDecryption", got, err)
	}
	if got, err := k2.ResolveKey(ctx, testRegion, key.ID); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("ResolveKey(id) under another root key = %+v, %v, want an error wrapping ErrDecryption", got, err)
	}
}

func TestStoredKMSKeysAreBoundToTheirID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, b := newRoot(t), newMemBackend()
	k1 := newKeyring(t, root, b)
	east, _ := k1.ResolveKey(ctx, "us-east-1", "")
	west, _ := k1.ResolveKey(ctx, "eu-west-1", "")
	sealed := mustSeal(t, k1, east, "value", "aad")

	// Store west's wrapped record under east's id.
	v, _, err := b.Get(ctx, "kms/key/"+west.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: "kms/key/" + east.ID, Value: v}}}); err != nil {
		t.Fatal(err)
	}
	k2 := newKeyring(t, root, b)
	if got, err := k2.Open(ctx, sealed, []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open with a KMS key record moved to another id = %q, %v, want ErrDecryption", got, err)
	}
}

func TestStoreHoldsNoRootKeyOrPlaintext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	root, _, err := keys.LoadOrCreateRootKey(dir + "/root.key")
	if err != nil {
		t.Fatal(err)
	}
	rootBytes := readFile(t, dir+"/root.key")
	b := newMemBackend()
	k := newKeyring(t, root, b)
	key, _ := k.ResolveKey(ctx, testRegion, "")
	canary := "canary-" + strings.Repeat("x", 20)
	sealed := mustSeal(t, k, key, canary, "aad")
	rec, _ := k.SealRecord("sm/r", []byte(canary))
	if err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: "sm/v", Value: sealed}, {Key: "sm/r", Value: rec}}}); err != nil {
		t.Fatal(err)
	}
	kvs, _ := b.List(ctx, "", "", 0)
	for _, kv := range kvs {
		for _, needle := range []string{string(rootBytes), hexString(rootBytes), canary} {
			if strings.Contains(kv.Key, needle) || strings.Contains(string(kv.Value), needle) {
				t.Errorf("stored entry %s contains key material or plaintext", kv.Key)
			}
		}
	}
}

func TestNewKeyringRefusesBadConfig(t *testing.T) {
	t.Parallel()
	root, b := newRoot(t), newMemBackend()
	for _, tc := range []struct {
		name  string
		cfg   keys.Config
		field string
	}{
		{"nil root key is refused", keys.Config{Backend: b, Account: testAccount}, "Root"},
		{"zero root key is refused", keys.Config{Root: new(keys.RootKey), Backend: b, Account: testAccount}, "Root"},
		{"nil backend is refused", keys.Config{Root: root, Account: testAccount}, "Backend"},
		{"empty account is refused", keys.Config{Root: root, Backend: b}, "Account"},
		{"short account is refused", keys.Config{Root: root, Backend: b, Account: "12345678901"}, "Account"},
		{"non-digit account is refused", keys.Config{Root: root, Backend: b, Account: "12345678901x"}, "Account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.NewKeyring(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), "Config."+tc.field) {
				t.Errorf("NewKeyring = %v, want an error naming Config.%s", err, tc.field)
			}
		})
	}
}

func TestNewKeyringReportsBackendErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	b := failingGets{newMemBackend(), "", boom}
	_, err := keys.NewKeyring(context.Background(), keys.Config{Root: newRoot(t), Backend: b, Account: testAccount})
	if !errors.Is(err, boom) {
		t.Errorf("NewKeyring over a failing backend = %v, want %v", err, boom)
	}
}
