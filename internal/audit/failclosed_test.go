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
	"testing/synctest"
	"time"
)

// faults injects failures into the log's files, as a full disk or a
// failing device would: writes that land half their bytes and fail, or
// fdatasyncs that fail after the write went through.
type faults struct {
	mu        sync.Mutex
	writeErr  error
	syncErr   error
	openCount int
}

func (fl *faults) set(write, sync error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.writeErr, fl.syncErr = write, sync
}

func (fl *faults) get() (write, sync error) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.writeErr, fl.syncErr
}

func (fl *faults) open(name string, flag int, perm fs.FileMode) (File, error) {
	fl.mu.Lock()
	fl.openCount++
	fl.mu.Unlock()
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fl: fl}, nil
}

type faultFile struct {
	*os.File
	fl *faults
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	if err, _ := f.fl.get(); err != nil {
		n, _ := f.File.WriteAt(b[:len(b)/2], off)
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: err}
	}
	return f.File.WriteAt(b, off)
}

func (f *faultFile) Sync() error {
	if _, err := f.fl.get(); err != nil {
		return os.NewSyscallError("fdatasync", err)
	}
	return f.File.Sync()
}

func TestAppendFailsWhileTheDiskIsFullAndRecovers(t *testing.T) {
	t.Parallel()
	var fl faults
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.OpenFile = fl.open; c.CheckpointEvery = 4 })
	appendN(t, l, 0, 5)

	fl.set(syscall.ENOSPC, nil)
	for i := range 3 {
		err := l.Append(context.Background(), testEvent(100+i))
		if err == nil || !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Append with a full disk = %v, want an error wrapping ENOSPC", err)
		}
	}
	if files := logFiles(t, dir); len(files) != 1 {
		t.Errorf("%d log files after 3 failed writes, want 1: failed fresh files must not pile up", len(files))
	}
	if st := l.Stats(); st.Failures != 3 || st.Records != 5 {
		t.Errorf("Stats() = %+v, want 3 failures and the 5 records written before", st)
	}

	fl.set(nil, nil)
	appendN(t, l, 5, 3)
	closeLog(t, l)
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Files != 2 || len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "write failed: no space left on device") ||
		!strings.Contains(rep.Notices[0], "bytes of "+filepath.Base(logFiles(t, dir)[0])+" were never acknowledged") {
		t.Errorf("Verify = %+v, want 2 files and one notice naming the failed write and the torn bytes", rep)
	}
}

// logWithAFailedFdatasync writes req-0 to req-2, then req-99, whose
// fdatasync fails, then req-3 and req-4, and closes the log.
func logWithAFailedFdatasync(t *testing.T) (dir string, k *Keys) {
	t.Helper()
	var fl faults
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.OpenFile = fl.open })
	appendN(t, l, 0, 3)
	fl.set(nil, syscall.EIO)
	if err := l.Append(context.Background(), testEvent(99)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append with a failing fdatasync = %v, want an error wrapping EIO", err)
	}
	fl.set(nil, nil)
	appendN(t, l, 3, 2)
	closeLog(t, l)
	return dir, k
}

func TestAppendFailsWhenFdatasyncFailsAndRecovers(t *testing.T) {
	t.Parallel()
	dir, k := logWithAFailedFdatasync(t)
	rep := mustVerify(t, dir, k, VerifyOptions{})
	// The record whose fdatasync failed is whole in the first file, but was
	// never acknowledged: the chain resumes after seq 3.
	if len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "after seq 3 (fdatasync failed: input/output error)") ||
		!strings.Contains(rep.Notices[0], "(records 4 to 4)") {
		t.Errorf("Verify notices = %q, want one saying record 4 was abandoned after the failed fdatasync", rep.Notices)
	}
}

// TestAppendFailsWhenTheDirectoryIsReplaced moves the audit directory away
// and puts a file in its place: writes to the old file still succeed (it is
// open), but nobody would find them, so Append must fail. Root ignores
// permissions, so this is a failure tests can provoke as root.
func TestAppendFailsWhenTheDirectoryIsReplaced(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t)
	appendN(t, l, 0, 3)

	moved := dir + ".moved"
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := l.Append(context.Background(), testEvent(10+i)); err == nil {
			t.Fatalf("Append %d with the directory replaced by a file = nil, want an error", i)
		}
	}

	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(moved, dir); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 20, 2)
	closeLog(t, l)
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Events != 6 || len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "log file moved or removed") {
		t.Errorf("Verify = %+v, want 6 events (3, the abandoned one, 2) and a notice about the moved file", rep)
	}
}

func TestAppendFailsWhenTheDirectoryIsRemoved(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t)
	appendN(t, l, 0, 3)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := l.Append(context.Background(), testEvent(10+i)); err == nil {
			t.Fatalf("Append %d with the directory removed = nil, want an error", i)
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 20, 2)
	closeLog(t, l)
	// The files before were deleted with the directory; what is left starts
	// with the Recover checkpoint, and is a verifiable slice of the chain.
	if _, err := verifyDir(t, dir, k, VerifyOptions{}); err == nil {
		t.Error("Verify of a log whose first files were deleted = nil, want missing-start")
	}
	mustVerify(t, dir, k, VerifyOptions{Partial: true})
}

func TestReopenAfterACrashResumesAfterTheLastIntactRecord(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		torn []byte // what the crash left after the last whole record
	}{
		{"nothing torn", nil},
		{"half a line", []byte(`{"seq":11,"prev":"ab`)},
		{"zeros", make([]byte, 300)},
		{"a whole line of garbage and half another", []byte("{not a record}\n{\"seq\":")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := testKeys(t)
			live := filepath.Join(t.TempDir(), "audit")
			l := openTestLog(t, live, k, func(c *LogConfig) { c.CheckpointEvery = 4 })
			appendN(t, l, 0, 8)
			dir := copyDir(t, live) // the disk as a crash now would leave it
			closeLog(t, l)
			files := logFiles(t, dir)
			appendBytes(t, files[len(files)-1], tc.torn)

			l = openTestLog(t, dir, k)
			appendN(t, l, 8, 2)
			closeLog(t, l)
			rep := mustVerify(t, dir, k, VerifyOptions{})
			if rep.Events != 10 || !rep.Closed || len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "after seq 10 (unclean shutdown)") {
				t.Errorf("Verify = %+v, want 10 events, closed, one notice of the unclean shutdown after seq 10", rep)
			}
			// The torn bytes are kept, outside the chain.
			data, err := os.ReadFile(files[len(files)-1])
			if err != nil {
				t.Fatal(err)
			}
			// (followed by the zeros preallocated after them, which are not data)
			if !bytes.HasSuffix(bytes.TrimRight(data, "\x00"), bytes.TrimRight(tc.torn, "\x00")) {
				t.Error("the torn tail was removed; it must stay on disk as evidence")
			}
		})
	}
}

func TestReopenSetsAsideAFileWithoutAnIntactRecord(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t)
	appendN(t, l, 0, 3)
	closeLog(t, l)
	// A crash after the next file was created and half a write landed.
	torn := filepath.Join(dir, fileName(5))
	if err := os.WriteFile(torn, []byte(`{"seq":5,"pr`), 0o600); err != nil {
		t.Fatal(err)
	}
	l = openTestLog(t, dir, k)
	appendN(t, l, 3, 1)
	closeLog(t, l)
	if _, err := os.Stat(torn + tornSuffix); err != nil {
		t.Errorf("the torn file was not set aside: %v", err)
	}
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "set aside: "+filepath.Base(torn)+tornSuffix) {
		t.Errorf("Verify notices = %q, want one naming the set-aside file", rep.Notices)
	}
}

func TestReopenRefusesDamageNoCrashLeaves(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"bytes after the Close checkpoint", func(t *testing.T, path string) {
			appendBytes(t, path, []byte("{\"seq\":99}\n"))
		}},
		{"more damaged bytes than one write", func(t *testing.T, path string) {
			lines := readLines(t, path)
			lines[0][len(lines[0])/2] ^= 1 // the first record: everything after it is damaged
			lines = lines[:len(lines)-2]   // and no Close checkpoint
			lines = append(lines, bytes.Repeat([]byte("x"), maxAbandon))
			writeLines(t, path, lines)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, dir, k := newTestLog(t)
			appendN(t, l, 0, 3)
			closeLog(t, l)
			path := logFiles(t, dir)[0]
			tc.damage(t, path)
			_, err := OpenLog(context.Background(), LogConfig{Dir: dir, Keys: k})
			if err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Fatalf("OpenLog = %v, want an error naming %s", err, path)
			}
		})
	}
}

// appendBytes writes b after the data of the file at path, over the
// zeros the writer preallocated if there are any: where a torn write, or
// one in progress, lands.
func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	end, err := dataEnd(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, end); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTheChainRestartsWithoutWaitingForAnAppend checks that once writes
// work again the committer writes the Recover checkpoint on its own, so
// that the failure is sealed into the chain even if no request comes.
func TestTheChainRestartsWithoutWaitingForAnAppend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fl faults
		l, dir, k := newTestLog(t, func(c *LogConfig) { c.OpenFile = fl.open; c.CheckpointInterval = time.Second })
		appendN(t, l, 0, 2)
		fl.set(syscall.ENOSPC, nil)
		if err := l.Append(context.Background(), testEvent(2)); err == nil {
			t.Fatal("Append with a full disk succeeded")
		}
		fl.set(nil, nil)
		time.Sleep(time.Second) // fake time: the committer's ticker fires
		synctest.Wait()
		if st := l.Stats(); st.Checkpoints != 1 {
			t.Errorf("Stats() = %+v, want the Recover checkpoint written without an append", st)
		}
		closeLog(t, l)
		if rep := mustVerify(t, dir, k, VerifyOptions{}); len(rep.Notices) != 1 {
			t.Errorf("Verify notices = %q, want one", rep.Notices)
		}
	})
}
