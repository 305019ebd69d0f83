package client_test

import (
	"testing"

	"github.com/coffer-dev/coffer/client"
)

// BenchmarkCacheHitSealed is BenchmarkCacheHit with a MemorySealer: each
// hit opens the sealed value (AES-256-GCM), so it allocates.
func BenchmarkCacheHitSealed(b *testing.B) {
	s := newMemorySealer(b)
	benchmarkCacheHits(b, func(o *client.Options) { o.Sealer = s })
}
