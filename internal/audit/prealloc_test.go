package audit

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataEnd(t *testing.T) {
	t.Parallel()
	rec := []byte("{\"seq\":1}\n")
	tests := []struct {
		name string
		data []byte
		want int64
	}{
		{"an empty file has no data", nil, 0},
		{"a file without padding is all data", rec, int64(len(rec))},
		{"padding after the last record is not data", append(bytes.Clone(rec), make([]byte, 5000)...), int64(len(rec))},
		{"a file of padding alone has no data", make([]byte, padChunk+3), 0},
		{"zeros before the last non-zero byte are data", append(append(bytes.Clone(rec), 0, 0), 'x', 0), int64(len(rec)) + 3},
		{"more zeros than the writer pads with are data", append(bytes.Clone(rec), make([]byte, maxPad+10)...), int64(len(rec)) + 10},
	}
	for _, tt := range tests {
		got, err := dataEnd(bytes.NewReader(tt.data), int64(len(tt.data)))
		if err != nil || got != tt.want {
			t.Errorf("%s: dataEnd(%d bytes) = %d, %v, want %d", tt.name, len(tt.data), got, err, tt.want)
		}
	}
}

// FuzzDataEnd checks dataEnd against trimming the zeros off the end, at
// most maxPad of them.
func FuzzDataEnd(f *testing.F) {
	f.Add([]byte("{}\n"), 10)
	f.Add([]byte{}, 0)
	f.Add([]byte{0, 1, 0}, 70000)
	f.Fuzz(func(t *testing.T, data []byte, pad int) {
		pad = ((pad % (maxPad + 1)) + maxPad + 1) % (maxPad + 1)
		file := append(bytes.Clone(data), make([]byte, pad)...)
		got, err := dataEnd(bytes.NewReader(file), int64(len(file)))
		want := max(int64(len(bytes.TrimRight(data, "\x00"))), int64(len(file)-maxPad))
		if err != nil || got != want {
			t.Fatalf("dataEnd(%q + %d zeros) = %d, %v, want %d", data, pad, got, err, want)
		}
	})
}

// fileSizes returns each log file's size and where its data ends.
func fileSizes(t *testing.T, dir string) (size, data []int64) {
	t.Helper()
	for _, p := range logFiles(t, dir) {
		f, end, err := openData(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		size, data = append(size, fi.Size()), append(data, end)
	}
	return size, data
}

// The file being written ends in preallocated zeros, which every reader
// skips; files the writer is done with (rotated, closed) end in their last
// record.
func TestPaddingIsReadPastAndCutWhenDone(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.MaxFileBytes = 8 << 10; c.CheckpointEvery = 5 })
	appendN(t, l, 0, 30)
	size, data := fileSizes(t, dir)
	if n := len(size); n < 3 || size[n-1] <= data[n-1] {
		t.Fatalf("live log: sizes %v, data %v: want several files, the last one padded", size, data)
	}
	for i := range len(size) - 1 {
		if size[i] != data[i] {
			t.Errorf("rotated file %d: size %d, data %d: want the padding cut", i, size[i], data[i])
		}
	}
	rep := mustVerify(t, dir, k, VerifyOptions{Live: true})
	if rep.Events != 30 || len(rep.Notices) != 1 {
		t.Errorf("Verify(live) = %+v, want 30 events and only the unterminated notice", rep)
	}
	var n int
	if err := Query(context.Background(), dir, Filter{}, func(*Event) error { n++; return nil }); err != nil || n != 30 {
		t.Errorf("Query of the live log = %d events, %v, want 30", n, err)
	}
	res, err := Lookup(context.Background(), dir, LookupInput{})
	if err != nil || len(res.Events) == 0 || res.Events[0].EventName != "GetSecretValue" {
		t.Errorf("Lookup of the live log = %+v, %v, want the newest events", res, err)
	}

	closeLog(t, l)
	size, data = fileSizes(t, dir)
	for i := range size {
		if size[i] != data[i] {
			t.Errorf("closed log, file %d: size %d, data %d: want the padding cut", i, size[i], data[i])
		}
	}
	if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 30 || !rep.Closed {
		t.Errorf("Verify(closed) = %+v, want 30 events, closed", rep)
	}
}

// A crash leaves the padding on disk: it is not damage, and not bytes
// the writer abandoned; nor is padding after a Close checkpoint (a crash
// before the padding was cut).
func TestPaddingLeftByACrashIsNotDamage(t *testing.T) {
	t.Parallel()
	for _, closed := range []bool{false, true} {
		k := testKeys(t)
		live := filepath.Join(t.TempDir(), "audit")
		l := openTestLog(t, live, k)
		appendN(t, l, 0, 3)
		dir := copyDir(t, live) // a crash now: the file ends in zeros
		closeLog(t, l)
		if closed {
			dir = copyDir(t, live)
			path := logFiles(t, dir)[0]
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()+firstPad); err != nil { // a crash before the cut
				t.Fatal(err)
			}
		}
		l = openTestLog(t, dir, k)
		appendN(t, l, 3, 1)
		closeLog(t, l)
		rep := mustVerify(t, dir, k, VerifyOptions{})
		switch {
		case rep.Events != 4 || !rep.Closed:
			t.Errorf("closed=%v: Verify = %+v, want 4 events, closed", closed, rep)
		case closed && len(rep.Notices) != 0:
			t.Errorf("closed=%v: Verify notices = %q, want none", closed, rep.Notices)
		case !closed && (len(rep.Notices) != 1 || strings.Contains(rep.Notices[0], "never acknowledged")):
			t.Errorf("closed=%v: Verify notices = %q, want one about the unclean shutdown, with no bytes abandoned", closed, rep.Notices)
		}
	}
}

// If the zeros cannot be written (a disk nearly full), records still are.
func TestAppendWorksWhenPaddingCannotBeWritten(t *testing.T) {
	t.Parallel()
	for _, direct := range []bool{false, directFlags != 0} {
		l, dir, k := newTestLog(t, func(c *LogConfig) {
			c.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) {
				f, err := os.OpenFile(name, flag, perm)
				return &noPadFile{f}, err
			}
			c.direct = direct
		})
		appendN(t, l, 0, 3)
		if st := l.Stats(); st.Records != 3 || st.Failures != 0 {
			t.Errorf("direct=%v: Stats() = %+v, want 3 records and no failure", direct, st)
		}
		closeLog(t, l)
		if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 3 {
			t.Errorf("direct=%v: Verify = %+v, want 3 events", direct, rep)
		}
	}
}

// noPadFile refuses writes of zeros alone, as a disk with room for a
// record but not for a step of padding would.
type noPadFile struct{ *os.File }

func (f *noPadFile) WriteAt(b []byte, off int64) (int, error) {
	if len(bytes.TrimLeft(b, "\x00")) == 0 {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: fs.ErrInvalid}
	}
	return f.File.WriteAt(b, off)
}

// An append-only log's live file holds its records and nothing else, so
// that a shipper following it by its size reads every record whole.
func TestAppendOnlyFilesHoldNoPadding(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.AppendOnly = true })
	for i := range 5 {
		appendN(t, l, i, 1)
		data, err := os.ReadFile(logFiles(t, dir)[0])
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(data, 0) >= 0 || len(data) == 0 || data[len(data)-1] != '\n' {
			t.Fatalf("after %d appends the live file is %d bytes with NULs or a partial line; want whole records only", i+1, len(data))
		}
		if n := bytes.Count(data, []byte(`"event":`)); n != i+1 {
			t.Fatalf("after %d appends the live file holds %d events", i+1, n)
		}
	}
	closeLog(t, l)
	if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 5 || !rep.Closed {
		t.Errorf("Verify = %+v, want 5 events, closed", rep)
	}
	c := LogConfig{Dir: dir, Keys: k, AppendOnly: true}
	if err := c.setDefaults(); err != nil || c.direct {
		t.Errorf("setDefaults with AppendOnly: direct = %v, err %v; want no direct I/O", c.direct, err)
	}
}
