package audit

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestAppendCloseVerify(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.CheckpointEvery = 10 })
	appendN(t, l, 0, 25)
	st := l.Stats()
	closeLog(t, l)
	if st.Records != 25 || st.Checkpoints != 2 {
		t.Errorf("Stats() = %+v, want 25 records and 2 interval checkpoints", st)
	}
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Events != 25 || rep.Checkpoints != 3 || !rep.Closed || rep.FirstSeq != 1 || rep.LastSeq != 28 {
		t.Errorf("Verify = %+v, want 25 events, 3 checkpoints, closed, seq 1..28", rep)
	}
	if len(rep.Notices) != 0 {
		t.Errorf("Verify notices = %q, want none", rep.Notices)
	}
}

func TestLogFileModes(t *testing.T) {
	t.Parallel()
	l, dir, _ := newTestLog(t)
	appendN(t, l, 0, 1)
	closeLog(t, l)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, want 0700", fi.Mode().Perm())
	}
	for _, f := range logFiles(t, dir) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

func TestOpenLogRefusesADirOthersCanRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := OpenLog(context.Background(), LogConfig{Dir: dir, Keys: testKeys(t)})
	if err == nil || !strings.Contains(err.Error(), "0755") {
		t.Fatalf("OpenLog(0755 dir) = %v, want an error naming the mode", err)
	}
}

func TestReopenContinuesTheChain(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	for i := range 3 {
		l := openTestLog(t, dir, k)
		appendN(t, l, i*5, 5)
		closeLog(t, l)
	}
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Files != 3 || rep.Events != 15 || !rep.Closed || len(rep.Notices) != 0 {
		t.Errorf("Verify = %+v, want 3 files, 15 events, closed, no notices", rep)
	}
}

func TestRotationKeepsTheChain(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.MaxFileBytes = 4 << 10 })
	appendN(t, l, 0, 40)
	closeLog(t, l)
	files := logFiles(t, dir)
	if len(files) < 3 {
		t.Fatalf("%d files after 40 records of ~600 bytes with 4 KiB files, want several", len(files))
	}
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Events != 40 || !rep.Closed {
		t.Errorf("Verify = %+v, want 40 events, closed", rep)
	}
	// Each file but the last ends with a Rotate checkpoint, and the next
	// file's name is the sequence number that follows it.
	for i, f := range files[:len(files)-1] {
		lines := readLines(t, f)
		r, err := parseRecord(lines[len(lines)-2][:len(lines[len(lines)-2])-1])
		if err != nil || r.Checkpoint == nil || r.Checkpoint.Reason != Rotate {
			t.Fatalf("%s does not end with a Rotate checkpoint: %v", f, err)
		}
		if next, _ := fileSeq(filepath.Base(files[i+1])); next != r.Seq+1 {
			t.Errorf("%s follows seq %d", files[i+1], r.Seq)
		}
	}
}

func TestRotationByAge(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := openTestLog(t, dir, k, func(c *LogConfig) { c.Now = clock; c.MaxFileAge = time.Hour })
	appendN(t, l, 0, 2)
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	appendN(t, l, 2, 2) // the write that finds the file too old rotates it
	closeLog(t, l)
	if files := logFiles(t, dir); len(files) != 2 {
		t.Errorf("%d files, want 2 (rotated by age)", len(files))
	}
	mustVerify(t, dir, k, VerifyOptions{})
}

// TestConcurrentAppendsShareOneFdatasync holds the log's first write in
// its fdatasync while 20 more appends arrive: they must all go out in the
// next write, with one more fdatasync.
func TestConcurrentAppendsShareOneFdatasync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := testKeys(t)
		dir := filepath.Join(t.TempDir(), "audit")
		gate := make(chan struct{})
		l := openTestLog(t, dir, k, func(c *LogConfig) {
			c.CheckpointInterval = 24 * time.Hour
			c.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) {
				f, err := os.OpenFile(name, flag, perm)
				return &gatedFile{File: f, gate: gate}, err
			}
		})
		var wg sync.WaitGroup
		wg.Go(func() { appendN(t, l, 0, 1) })
		synctest.Wait() // the committer is in the first fdatasync
		for i := 1; i <= 20; i++ {
			wg.Go(func() { appendN(t, l, i, 1) })
		}
		synctest.Wait() // all 20 wait for the committer
		close(gate)
		wg.Wait()
		if st := l.Stats(); st.Records != 21 || st.Syncs != 2 {
			t.Errorf("Stats() = %+v, want 21 records in 2 fdatasyncs", st)
		}
		closeLog(t, l)
		mustVerify(t, dir, k, VerifyOptions{})
	})
}

// gatedFile blocks Sync until gate is closed.
type gatedFile struct {
	*os.File
	gate chan struct{}
}

func (f *gatedFile) Sync() error {
	<-f.gate
	return f.File.Sync()
}

func TestAppendAfterCloseFails(t *testing.T) {
	t.Parallel()
	l := openTestLog(t, filepath.Join(t.TempDir(), "audit"), testKeys(t))
	closeLog(t, l)
	if err := l.Append(context.Background(), testEvent(0)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestAppendRefusesAnEventWithoutOperation(t *testing.T) {
	t.Parallel()
	l := openTestLog(t, filepath.Join(t.TempDir(), "audit"), testKeys(t))
	defer closeLog(t, l)
	if err := l.Append(context.Background(), &Event{Service: "secretsmanager"}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("Append(no operation) = %v, want ErrInvalidEvent", err)
	}
}

func TestIntervalCheckpointByTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, dir, k := newTestLog(t, func(c *LogConfig) { c.CheckpointInterval = time.Second })
		appendN(t, l, 0, 3)
		time.Sleep(2 * time.Second) // fake time: the committer's ticker fires
		synctest.Wait()
		if st := l.Stats(); st.Checkpoints != 1 {
			t.Errorf("Stats() = %+v, want 1 checkpoint after the interval", st)
		}
		closeLog(t, l)
		mustVerify(t, dir, k, VerifyOptions{})
	})
}

// syncCounter counts Sync calls on the files it opens.
type syncCounter struct {
	*os.File
	n *atomic.Int64
}

func (f syncCounter) Sync() error {
	f.n.Add(1)
	return f.File.Sync()
}

func TestNoSyncWritesWithoutSyncing(t *testing.T) {
	t.Parallel()
	var syncs atomic.Int64
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	l := openTestLog(t, dir, k, func(c *LogConfig) {
		c.NoSync = true
		c.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) {
			f, err := os.OpenFile(name, flag, perm)
			return syncCounter{f, &syncs}, err
		}
	})
	appendN(t, l, 0, 10)
	if n := syncs.Load(); n != 0 {
		t.Errorf("%d syncs with NoSync, want none", n)
	}
	closeLog(t, l)
	if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 10 || !rep.Closed {
		t.Errorf("Verify = %+v, want 10 events and a closed log", rep)
	}

	c := LogConfig{Dir: dir, Keys: k, NoSync: true}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if c.direct {
		t.Error("NoSync with the default OpenFile still opens files for direct, synchronous writes")
	}
}
