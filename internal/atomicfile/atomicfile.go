package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces the file at path with data. The file ends up
// with mode perm exactly, whatever the umask. When WriteFile returns nil the
// new content and the directory entry are on stable storage.
//
// If path is a symbolic link, the link itself is replaced. An error after the
// rename (fsync of the directory) leaves the new file in place but not known
// to be durable.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, os.Rename)
}

// WriteNewFile is WriteFile for a file that must not exist yet: it publishes
// the file with a hard link, which fails if path exists, and never clobbers
// it. The error then satisfies errors.Is(err, fs.ErrExist). The directory must
// be on a file system that supports hard links.
func WriteNewFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, func(tmp, path string) error {
		if err := os.Link(tmp, path); err != nil {
			return err
		}
		// The temp name is only a second link now; remove it before the
		// directory fsync so that both changes are made durable together.
		return os.Remove(tmp)
	})
}

func write(path string, data []byte, perm fs.FileMode, publish func(tmp, path string) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, tmp, err := createTemp(dir, base, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	closed, done := false, false
	defer func() {
		if !closed {
			f.Close()
		}
		if !done {
			os.Remove(tmp)
		}
	}()

	// Set the mode explicitly: O_CREATE applied the umask, and the caller
	// asked for perm.
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := publish(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("atomicfile: write %s: fsync directory: %w", path, err)
	}
	return nil
}

// createTemp creates a new file next to base, with mode perm (before umask),
// failing rather than opening a file that already exists.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, string, error) {
	for range 10 {
		var b [8]byte
		rand.Read(b[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("no free temp name in %s", dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
