// Package benchtest holds helpers that several packages' benchmarks share.
// Only tests import it.
package benchtest

import (
	"runtime"
	"testing"
)

// RunWriters runs op b.N times from about writers goroutines (a multiple
// of GOMAXPROCS; 1 runs in the benchmark's goroutine) and reports
// operations per second, as "<unit>/s", and the number of writers.
func RunWriters(b *testing.B, writers int, unit string, op func() error) {
	b.Helper()
	if writers == 1 {
		for b.Loop() {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		procs := runtime.GOMAXPROCS(0)
		parallelism := (writers + procs - 1) / procs
		writers = parallelism * procs
		b.SetParallelism(parallelism)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64(writers), "writers")
}
