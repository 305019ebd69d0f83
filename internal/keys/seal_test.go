package keys_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
)

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	for _, size := range []int{0, 1, 64, 4096, 64 << 10} {
		value := make([]byte, size)
		rand.Read(value)
		for _, aad := range [][]byte{nil, []byte("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf\x00v1")} {
			sealed, err := k.Seal(ctx, key, value, aad)
			if err != nil {
				t.Fatalf("Seal(%d bytes) = %v", size, err)
			}
			if len(sealed) != size+keys.SealOverhead {
				t.Errorf("len(Seal(%d bytes)) = %d, want %d", size, len(sealed), size+keys.SealOverhead)
			}
			if size >= 16 && bytes.Contains(sealed, value[:16]) {
				t.Errorf("Seal(%d bytes) contains the plaintext", size)
			}
			got, err := k.Open(ctx, sealed, aad)
			if err != nil {
				t.Fatalf("Open(Seal(%d bytes)) = %v", size, err)
			}
			if !bytes.Equal(got, value) {
				t.Errorf("Open(Seal(%d bytes)) returned different bytes", size)
			}
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	t.Parallel()
	k, key := newTestKeyring(t)
	a := mustSeal(t, k, key, "same value", "aad")
	b := mustSeal(t, k, key, "same value", "aad")
	if bytes.Equal(a[17:], b[17:]) {
		t.Error("two Seals of the same value share a wrapped data key or ciphertext")
	}
}

func TestOpenWrongAADFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	sealed := mustSeal(t, k, key, "hunter2", "secret-a\x00v1")
	for _, aad := range []string{"", "secret-a\x00v2", "secret-b\x00v1", "secret-a\x00v1\x00"} {
		if got, err := k.Open(ctx, sealed, []byte(aad)); !errors.Is(err, keys.ErrDecryption) || got != nil {
			t.Errorf("Open(sealed, %q) = %q, %v, want ErrDecryption", aad, got, err)
		}
	}
}

// Swapping two ciphertexts yields a decryption failure, never the other
// secret's value (DESIGN.md, security invariant 3).
func TestSwappedCiphertextsFail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	other, err := k.ResolveKey(ctx, "eu-west-1", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		keyB   keys.KMSKey
		aadA   string
		aadB   string
		valueA string
		valueB string
	}{
		{"two secrets under one KMS key", key, "arn:a\x00v1", "arn:b\x00v1", "value-a", "value-b"},
		{"two versions of one secret", key, "arn:a\x00v1", "arn:a\x00v2", "value-1", "value-2"},
		{"two secrets under different KMS keys", other, "arn:a\x00v1", "arn:b\x00v1", "value-a", "value-b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustSeal(t, k, key, tc.valueA, tc.aadA)
			b := mustSeal(t, k, tc.keyB, tc.valueB, tc.aadB)
			if got, err := k.Open(ctx, b, []byte(tc.aadA)); !errors.Is(err, keys.ErrDecryption) {
				t.Errorf("Open(b, aadA) = %q, %v, want ErrDecryption", got, err)
			}
			if got, err := k.Open(ctx, a, []byte(tc.aadB)); !errors.Is(err, keys.ErrDecryption) {
				t.Errorf("Open(a, aadB) = %q, %v, want ErrDecryption", got, err)
			}
			// Splice a's header and wrapped data key onto b's ciphertext
			// and the other way round.
			const split = 1 + 16 + 60
			for _, spliced := range [][]byte{
				slices.Concat(a[:split], b[split:]),
				slices.Concat(b[:split], a[split:]),
			} {
				for _, aad := range []string{tc.aadA, tc.aadB} {
					if got, err := k.Open(ctx, spliced, []byte(aad)); !errors.Is(err, keys.ErrDecryption) {
						t.Errorf("Open(spliced, %q) = %q, %v, want ErrDecryption", aad, got, err)
					}
				}
			}
		})
	}
}

func TestOpenFlippedByteAnywhereFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	sealed := mustSeal(t, k, key, strings.Repeat("v", 64), "aad")
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := slices.Clone(sealed)
			bad[i] ^= mask
			if got, err := k.Open(ctx, bad, []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
				t.Fatalf("Open(sealed with byte %d ^ %#x) = %q, %v, want ErrDecryption", i, mask, got, err)
			}
		}
	}
}

func TestOpenTruncatedOrExtendedFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	sealed := mustSeal(t, k, key, "value", "aad")
	for n := range len(sealed) {
		if got, err := k.Open(ctx, sealed[:n], []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
			t.Fatalf("Open(sealed[:%d]) = %q, %v, want ErrDecryption", n, got, err)
		}
	}
	if got, err := k.Open(ctx, append(slices.Clone(sealed), 0), []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open(sealed + 1 byte) = %q, %v, want ErrDecryption", got, err)
	}
}

func TestOpenUnknownKMSKeyFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	sealed := mustSeal(t, k, key, "value", "aad")
	rand.Read(sealed[1:17])
	if got, err := k.Open(ctx, sealed, []byte("aad")); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open(sealed naming an unknown KMS key) = %q, %v, want ErrDecryption", got, err)
	}
}

func TestOpenReportsBackendErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root, b := newRoot(t), newMemBackend()
	k := newKeyring(t, root, b)
	key, err := k.ResolveKey(ctx, testRegion, "")
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t, k, key, "value", "aad")

	// A new keyring has not cached the KMS key; a backend that fails is not
	// a decryption failure.
	boom := errors.New("disk on fire")
	k2 := newKeyring(t, root, failingGets{b, "kms/key/", boom})
	if _, err := k2.Open(ctx, sealed, []byte("aad")); !errors.Is(err, boom) || errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open with a failing backend = %v, want %v", err, boom)
	}
}

func TestSealUnknownKeyIsKeyNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	for _, bad := range []keys.KMSKey{
		{},
		{ID: "not-a-uuid"},
		{ID: "00000000-0000-4000-8000-000000000000", ARN: key.ARN, Region: key.Region},
	} {
		if _, err := k.Seal(ctx, bad, []byte("v"), nil); !errors.Is(err, keys.ErrKeyNotFound) {
			t.Errorf("Seal(%+v) = %v, want ErrKeyNotFound", bad, err)
		}
	}
}

func TestDecryptionErrorsRevealNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	canary := rand.Text()
	sealed := mustSeal(t, k, key, canary, "aad")
	_, err := k.Open(ctx, sealed, []byte("wrong"))
	if err != keys.ErrDecryption {
		t.Fatalf("Open(wrong aad) = %v, want exactly ErrDecryption", err)
	}
	rec, _ := k.SealRecord("sm/a", []byte(canary))
	_, err = k.OpenRecord("sm/b", rec)
	if err != keys.ErrDecryption {
		t.Fatalf("OpenRecord(moved) = %v, want exactly ErrDecryption", err)
	}
}

func TestSealRecordRoundTrip(t *testing.T) {
	t.Parallel()
	k, _ := newTestKeyring(t)
	for _, value := range []string{"", "x", `{"Name":"db/password","Tags":[]}`} {
		sealed, err := k.SealRecord("sm/us-east-1/s/abc", []byte(value))
		if err != nil {
			t.Fatal(err)
		}
		if len(value) >= 8 && bytes.Contains(sealed, []byte(value)) {
			t.Errorf("SealRecord(%q) contains the plaintext", value)
		}
		got, err := k.OpenRecord("sm/us-east-1/s/abc", sealed)
		if err != nil || string(got) != value {
			t.Errorf("OpenRecord(SealRecord(%q)) = %q, %v", value, got, err)
		}
	}
}

func TestRecordMovedToAnotherKeyFails(t *testing.T) {
	t.Parallel()
	k, _ := newTestKeyring(t)
	a, _ := k.SealRecord("sm/us-east-1/s/aaa", []byte("record a"))
	b, _ := k.SealRecord("sm/us-east-1/s/bbb", []byte("record b"))
	if got, err := k.OpenRecord("sm/us-east-1/s/bbb", a); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("OpenRecord(bbb, a) = %q, %v, want ErrDecryption", got, err)
	}
	if got, err := k.OpenRecord("sm/us-east-1/s/aaa", b); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("OpenRecord(aaa, b) = %q, %v, want ErrDecryption", got, err)
	}
}

func TestOpenRecordTamperedFails(t *testing.T) {
	t.Parallel()
	k, _ := newTestKeyring(t)
	const key = "sm/r"
	sealed, _ := k.SealRecord(key, []byte("record"))
	for i := range sealed {
		bad := slices.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := k.OpenRecord(key, bad); !errors.Is(err, keys.ErrDecryption) {
			t.Fatalf("OpenRecord(byte %d flipped) = %v, want ErrDecryption", i, err)
		}
	}
	for n := range len(sealed) {
		if _, err := k.OpenRecord(key, sealed[:n]); !errors.Is(err, keys.ErrDecryption) {
			t.Fatalf("OpenRecord(sealed[:%d]) = %v, want ErrDecryption", n, err)
		}
	}
}

func TestRecordsAndValuesDoNotCrossOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	k, key := newTestKeyring(t)
	rec, _ := k.SealRecord("k", []byte("v"))
	if _, err := k.Open(ctx, rec, []byte("k")); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("Open(record) = %v, want ErrDecryption", err)
	}
	val := mustSeal(t, k, key, "v", "k")
	if _, err := k.OpenRecord("k", val); !errors.Is(err, keys.ErrDecryption) {
		t.Errorf("OpenRecord(value) = %v, want ErrDecryption", err)
	}
}

func TestBlind(t *testing.T) {
	t.Parallel()
	k, _ := newTestKeyring(t)
	other, _ := newTestKeyring(t)
	got := k.Blind("us-east-1", "db/password")
	if len(got) != 32 || strings.Trim(got, "0123456789abcdef") != "" {
		t.Errorf("Blind = %q, want 32 lower-case hex characters", got)
	}
	if again := k.Blind("us-east-1", "db/password"); again != got {
		t.Errorf("Blind is not deterministic: %q then %q", got, again)
	}
	distinct := map[string][]string{}
	for _, parts := range [][]string{
		{"us-east-1", "db/password"},
		{"us-east-1", "db/passwore"},
		{"us-east-1db/password"},
		{"us-east-", "1db/password"},
		{"ab", "c"},
		{"a", "bc"},
		{},
		{""},
		{"", ""},
	} {
		b := k.Blind(parts...)
		if prev, ok := distinct[b]; ok {
			t.Errorf("Blind(%q) = Blind(%q) = %s", parts, prev, b)
		}
		distinct[b] = parts
	}
	if o := other.Blind("us-east-1", "db/password"); o == got {
		t.Errorf("Blind under two root keys = %s for both", o)
	}
}
