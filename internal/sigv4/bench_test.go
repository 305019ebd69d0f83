package sigv4_test

import (
	"context"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

// BenchmarkVerify measures the hot path: a GetSecretValue request as
// net/http's server hands it over (five signed headers, a 60-byte body),
// with the signing key already cached.
func BenchmarkVerify(b *testing.B) {
	s := defaultSpec()
	r, body := overWire(b, sign(b, s), s.body)
	if got := r.Header.Get("Authorization"); !strings.Contains(got, "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target,") {
		b.Fatalf("Authorization = %q, want five signed headers", got)
	}
	v := newVerifier(sigv4.Config{})
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body); err != nil {
		b.Fatalf("Verify() = %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body); err != nil {
			b.Fatal(err)
		}
	}
}
