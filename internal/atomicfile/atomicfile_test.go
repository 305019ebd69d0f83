package atomicfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/atomicfile"
)

// assertFile checks path's content and exact mode.
func assertFile(t *testing.T, path string, want []byte, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("content of %s = %q, want %q", path, got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != perm {
		t.Errorf("mode of %s = %v, want %v", path, fi.Mode(), perm)
	}
}

// assertDir checks that dir holds exactly the named entries (no temp files).
func assertDir(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("entries of %s = %v, want %v", dir, got, names)
	}
}

func TestWriteFileCreatesWithExactMode(t *testing.T) {
	t.Parallel()
	for _, perm := range []fs.FileMode{0o600, 0o640, 0o644, 0o400} {
		t.Run(perm.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if err := atomicfile.WriteFile(path, []byte("hello"), perm); err != nil {
				t.Fatalf("WriteFile(%s) = %v", path, err)
			}
			assertFile(t, path, []byte("hello"), perm)
			assertDir(t, dir, "f")
		})
	}
}

func TestWriteFileReplacesContentAndMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old content, longer than the new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile(%s) = %v", path, err)
	}
	assertFile(t, path, []byte("new"), 0o600)
	assertDir(t, dir, "f")
}

func TestWriteFileRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := atomicfile.WriteFile("rel", []byte("x"), 0o600); err != nil {
		t.Fatalf("WriteFile(rel) = %v", err)
	}
	assertFile(t, filepath.Join(dir, "rel"), []byte("x"), 0o600)
}

func TestWriteFileFailureLeavesNoTempFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A non-empty directory at path makes the rename fail after the temp
	// file was written.
	path := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(path, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatalf("WriteFile(%s) over a non-empty directory = nil, want error", path)
	}
	assertDir(t, dir, "d")
}

func TestWriteFileMissingDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing", "f")
	err := atomicfile.WriteFile(path, []byte("x"), 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("WriteFile(%s) = %v, want fs.ErrNotExist", path, err)
	}
}

func TestWriteFileConcurrentWritersLeaveOneWholeFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	contents := make(map[string]bool)
	var wg sync.WaitGroup
	for i := range 8 {
		data := bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
		contents[string(data)] = true
		wg.Go(func() {
			if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
				t.Errorf("WriteFile = %v", err)
			}
		})
	}
	wg.Wait()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !contents[string(got)] {
		t.Errorf("content of %s is not one of the written values (%d bytes)", path, len(got))
	}
	assertDir(t, dir, "f")
}

func TestWriteNewFileCreates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := atomicfile.WriteNewFile(path, []byte("first"), 0o600); err != nil {
		t.Fatalf("WriteNewFile(%s) = %v", path, err)
	}
	assertFile(t, path, []byte("first"), 0o600)
	assertDir(t, dir, "key")
}

func TestWriteNewFileNeverClobbers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte("existing"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.WriteNewFile(path, []byte("second"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteNewFile(%s) over an existing file = %v, want fs.ErrExist", path, err)
	}
	assertFile(t, path, []byte("existing"), 0o600)
	assertDir(t, dir, "key")
}

func TestWriteNewFileConcurrentCreatorsOneWins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins []string
	)
	for i := range 8 {
		data := fmt.Sprintf("writer %d", i)
		wg.Go(func() {
			err := atomicfile.WriteNewFile(path, []byte(data), 0o600)
			switch {
			case err == nil:
				mu.Lock()
				wins = append(wins, data)
				mu.Unlock()
			case !errors.Is(err, fs.ErrExist):
				t.Errorf("WriteNewFile = %v, want nil or fs.ErrExist", err)
			}
		})
	}
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d writers succeeded, want 1", len(wins))
	}
	assertFile(t, path, []byte(wins[0]), 0o600)
	assertDir(t, dir, "key")
}
