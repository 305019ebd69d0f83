//go:build linux

package audit

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// flagRecorder is an OpenFile that opens real files and remembers the
// flags it was given; refuse, if set, fails opens that ask for O_DIRECT
// with EINVAL, as tmpfs before Linux 6.6 does.
type flagRecorder struct {
	mu     sync.Mutex
	flags  []int
	refuse bool
}

func (r *flagRecorder) open(name string, flag int, perm fs.FileMode) (File, error) {
	r.mu.Lock()
	r.flags = append(r.flags, flag)
	r.mu.Unlock()
	if r.refuse && flag&unix.O_DIRECT != 0 {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL}
	}
	return os.OpenFile(name, flag, perm)
}

func (r *flagRecorder) opened() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.flags...)
}

func TestDefaultConfigWritesDirectly(t *testing.T) {
	c := LogConfig{Dir: t.TempDir(), Keys: testKeys(t)}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if !c.direct {
		t.Error("setDefaults left direct off with the default OpenFile")
	}
	c = LogConfig{Dir: t.TempDir(), Keys: testKeys(t), OpenFile: new(flagRecorder).open}
	if err := c.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if c.direct {
		t.Error("setDefaults turned direct on for a caller's OpenFile")
	}
}

// TestDirectWritesKeepEveryRecord appends events of many sizes, alone and
// in concurrent batches, so that writes start and end at every offset in
// a block, through a rotation, and checks that the files were opened
// O_DIRECT|O_DSYNC and hold every record, intact, in chain order.
func TestDirectWritesKeepEveryRecord(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	var rec flagRecorder
	l := openTestLog(t, dir, k, func(c *LogConfig) {
		c.OpenFile, c.direct = rec.open, true
		c.MaxFileBytes = 96 << 10
		c.CheckpointEvery = 50
	})
	sized := func(i int) *Event {
		e := testEvent(i)
		e.UserAgent = strings.Repeat("u", (i*37)%1500) // records from about 0.7 to 2.2 KiB
		return e
	}
	const alone, together = 40, 200
	for i := range alone {
		if err := l.Append(context.Background(), sized(i)); err != nil {
			t.Fatalf("Append %d = %v", i, err)
		}
	}
	var wg sync.WaitGroup
	for i := alone; i < alone+together; i++ {
		wg.Go(func() {
			if err := l.Append(context.Background(), sized(i)); err != nil {
				t.Errorf("Append %d = %v", i, err)
			}
		})
	}
	wg.Wait()
	closeLog(t, l)

	flags := rec.opened()
	if len(flags) < 2 {
		t.Fatalf("%d files opened, want a rotation", len(flags))
	}
	for i, f := range flags {
		if f&unix.O_DIRECT == 0 || f&unix.O_DSYNC != unix.O_DSYNC {
			t.Errorf("file %d opened with flags %#x, want O_DIRECT|O_DSYNC", i, f)
		}
	}
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Events != alone+together || !rep.Closed {
		t.Errorf("Verify = %+v, want %d events and a closed log", rep, alone+together)
	}
	seen := map[string]bool{}
	if err := Query(context.Background(), dir, Filter{}, func(e *Event) error {
		seen[e.RequestID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != alone+together {
		t.Errorf("Query found %d distinct events, want %d", len(seen), alone+together)
	}
	for _, f := range logFiles(t, dir) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(data, 0) >= 0 {
			t.Errorf("%s holds NUL bytes after Close; the padding must be cut off", filepath.Base(f))
		}
	}
}

func TestDirectRefusedAtOpenFallsBackToFdatasync(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	rec := flagRecorder{refuse: true}
	l := openTestLog(t, dir, k, func(c *LogConfig) { c.OpenFile, c.direct = rec.open, true })
	appendN(t, l, 0, 20)
	if st := l.Stats(); st.Records != 20 || st.Syncs == 0 {
		t.Errorf("Stats() = %+v, want 20 records made durable", st)
	}
	closeLog(t, l)
	flags := rec.opened()
	if len(flags) != 2 || flags[0]&unix.O_DIRECT == 0 || flags[1]&(unix.O_DIRECT|unix.O_DSYNC) != 0 {
		t.Errorf("opens asked for flags %#x, want one refused O_DIRECT|O_DSYNC open, then a plain one", flags)
	}
	if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 20 {
		t.Errorf("Verify = %+v, want 20 events", rep)
	}
}

// TestDirectWriteFailsClosedAndRecovers fails direct writes (a full disk,
// then an I/O error) after some records are durable: the appends fail,
// the records already acknowledged stay intact in their block (the
// failed write rewrote it), and the next write starts a new file whose
// Recover checkpoint names what was abandoned.
func TestDirectWriteFailsClosedAndRecovers(t *testing.T) {
	t.Parallel()
	for _, cause := range []error{syscall.ENOSPC, syscall.EIO} {
		t.Run(cause.Error(), func(t *testing.T) {
			t.Parallel()
			var fl faults
			k := testKeys(t)
			dir := filepath.Join(t.TempDir(), "audit")
			l := openTestLog(t, dir, k, func(c *LogConfig) { c.OpenFile, c.direct = fl.open, true })
			appendN(t, l, 0, 5)
			fl.set(cause, nil)
			if err := l.Append(context.Background(), testEvent(99)); !errors.Is(err, cause) {
				t.Fatalf("Append with failing writes = %v, want an error wrapping %v", err, cause)
			}
			fl.set(nil, nil)
			appendN(t, l, 5, 3)
			closeLog(t, l)
			rep := mustVerify(t, dir, k, VerifyOptions{})
			if rep.Files != 2 || len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "after seq 5") {
				t.Errorf("Verify = %+v, want 2 files and one notice that the chain resumed after seq 5", rep)
			}
			var ids []string
			Query(context.Background(), dir, Filter{}, func(e *Event) error {
				ids = append(ids, e.RequestID)
				return nil
			})
			want := "req-0 req-1 req-2 req-3 req-4 req-5 req-6 req-7"
			if got := strings.Join(ids, " "); got != want {
				t.Errorf("events %q, want %q (req-99 never acknowledged)", got, want)
			}
		})
	}
}
