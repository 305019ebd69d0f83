//go:build !linux

package audit

// directFlags is Linux's (see direct_linux.go); elsewhere the log writes
// through the page cache and fdatasyncs.
const directFlags = 0

const directAlign = 4096

func pwriteDirect(f File, b []byte, off int64, inline bool) error {
	_, err := f.WriteAt(b, off)
	return err
}

func alignedBuf(n int) []byte { return make([]byte, n) }
