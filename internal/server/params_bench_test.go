package server

import "testing"

func BenchmarkBodyParams(b *testing.B) {
	s := paramsServer(b)
	body := []byte(`{"SecretId":"bench-get"}`)
	b.Run("flat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.bodyParams(body)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.jsonParams(body)
		}
	})
}
