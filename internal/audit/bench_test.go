package audit

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/coffer-dev/coffer/internal/benchtest"
)

// BenchmarkAppend measures durable appends per second to the file log
// (real fdatasync, in a temp dir) from 1, 16 and 64 concurrent appenders,
// each appending a typical GetSecretValue event (about 600 bytes).
// records/fsync is how many records group commit made durable with each
// fdatasync: what one API request costs in disk flushes under that load;
// cpu-us/append is the process's CPU time (user and system, the kernel's
// write and fdatasync work included) per append, the benchmark's own
// goroutines included. The results and the command are in docs/audit.md.
//
// The append-only sub-benchmarks write as --audit-append-only does (no
// preallocation, no direct I/O).
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		mode       string
		appendOnly bool
	}{{"", false}, {"append-only/", true}} {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%swriters=%d", bc.mode, writers), func(b *testing.B) {
				benchmarkAppend(b, writers, bc.appendOnly)
			})
		}
	}
}

func benchmarkAppend(b *testing.B, writers int, appendOnly bool) {
	k := testKeys(b)
	l := openTestLog(b, filepath.Join(b.TempDir(), "audit"), k, func(c *LogConfig) { c.AppendOnly = appendOnly })
	defer closeLog(b, l)
	e := testEvent(1)
	before, cpu := l.Stats(), processCPU()
	benchtest.RunWriters(b, writers, "appends", func() error { return l.Append(context.Background(), e) })
	st := l.Stats()
	b.ReportMetric(float64(st.Records-before.Records)/float64(st.Syncs-before.Syncs), "records/fsync")
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-us/append")
}

// BenchmarkPrepareAndEncode measures the CPU an append costs its caller
// before the committer takes over: copying the event, digesting its
// sensitive parameters, and encoding it as JSON.
func BenchmarkPrepareAndEncode(b *testing.B) {
	k := testKeys(b)
	e := testEvent(1)
	e.Params["SecretString"] = "a value to digest"
	for b.Loop() {
		p, err := prepare(e, k, e.Time)
		if err != nil {
			b.Fatal(err)
		}
		_ = appendEvent(make([]byte, 0, 1024), p)
	}
}

// BenchmarkTrailAppendCPU measures what an append through a Trail costs
// in CPU apart from the disk: the file's fdatasync is replaced by nothing,
// so this is preparing, encoding, hashing, the hand-off to the committer
// and back, and the write into the page cache. Not a durable log.
func BenchmarkTrailAppendCPU(b *testing.B) {
	k := testKeys(b)
	l := openTestLog(b, filepath.Join(b.TempDir(), "audit"), k, func(c *LogConfig) {
		c.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) {
			f, err := os.OpenFile(name, flag, perm)
			return noSyncFile{f}, err
		}
	})
	defer closeLog(b, l)
	tr, err := New(Config{Keys: k, Sinks: []Sink{l}})
	if err != nil {
		b.Fatal(err)
	}
	e := testEvent(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.Append(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
}

// noSyncFile is a log file whose Sync does nothing: for benchmarks of the
// CPU path only.
type noSyncFile struct{ *os.File }

func (noSyncFile) Sync() error { return nil }
