package keys_test

import (
	"context"
	"testing"
)

var benchAAD = []byte("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/password-AbCdEf\x00a1b2c3d4-5678-90ab-cdef-1234567890ab")

func BenchmarkSeal(b *testing.B) {
	k, key := newTestKeyring(b)
	ctx := context.Background()
	value := make([]byte, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		if _, err := k.Seal(ctx, key, value, benchAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k, key := newTestKeyring(b)
	ctx := context.Background()
	sealed, err := k.Seal(ctx, key, make([]byte, 64), benchAAD)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(64)
	for b.Loop() {
		if _, err := k.Open(ctx, sealed, benchAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenParallel(b *testing.B) {
	k, key := newTestKeyring(b)
	ctx := context.Background()
	sealed, err := k.Seal(ctx, key, make([]byte, 64), benchAAD)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := k.Open(ctx, sealed, benchAAD); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkOpenRecord(b *testing.B) {
	k, _ := newTestKeyring(b)
	const key = "sm/us-east-1/s/0123456789abcdef0123456789abcdef"
	sealed, _ := k.SealRecord(key, make([]byte, 256))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.OpenRecord(key, sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlind(b *testing.B) {
	k, _ := newTestKeyring(b)
	b.ReportAllocs()
	for b.Loop() {
		k.Blind("us-east-1", "prod/db/password")
	}
}
