package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// DirName is the log's directory inside the data dir: <data-dir>/audit.
const DirName = "audit"

// Log files are named after the sequence number of their first record,
// zero-padded so that names sort in chain order:
// audit-00000000000000000001.jsonl.
const (
	filePrefix = "audit-"
	fileSuffix = ".jsonl"
	seqDigits  = 20
	// tornSuffix is appended to a file set aside because it held no
	// intact record; it no longer matches the pattern, so it leaves the
	// chain but stays on disk.
	tornSuffix = ".torn"
)

func fileName(firstSeq uint64) string {
	return fmt.Sprintf("%s%0*d%s", filePrefix, seqDigits, firstSeq, fileSuffix)
}

// fileSeq returns the first sequence number a log file name carries.
func fileSeq(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, filePrefix)
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, fileSuffix)
	if !ok || len(s) != seqDigits {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Files returns the log files in dir in chain order (by name); other
// files, such as set-aside ".torn" files, are left out. A missing dir has
// no files.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: list %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if _, ok := fileSeq(e.Name()); ok && e.Type().IsRegular() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(files)
	return files, nil
}
