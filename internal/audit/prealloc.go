package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// The writer preallocates the file it writes: it writes zeros ahead of the
// last record, a step at a time, and then overwrites them with records.
// Appending makes every durable write also flush the file's new size and
// block allocation through the file system's journal; overwriting blocks
// that are already allocated and written flushes the data alone, which on
// ext4 takes about a third less CPU and wall time per fdatasync
// (docs/benchmarks.md), and lets a direct write (writeDirect) skip the
// metadata altogether. Durability is unchanged: a batch is acknowledged
// only after the write that carries it is durable.
//
// So a file being written, or one a crash left, ends in a run of NUL
// bytes: padding, not data. No record contains a NUL byte (JSON escapes
// control characters), so readers take a file's data to end after its
// last byte that is not NUL, looking back at most maxPad bytes. Close and
// rotation cut the padding off, so files the writer is done with end in
// their last record.
const (
	// firstPad is the first step of zeros written ahead in a new file;
	// each step doubles, up to maxPad, so that short-lived files (tests,
	// small MaxFileBytes) stay small.
	firstPad = 64 << 10
	// maxPad bounds a step, and so the padding at the end of a file.
	maxPad = 1 << 20
)

// zeros is the padding the writer writes; never written to.
var zeros [maxPad]byte

// padChunk is how much dataEnd reads at a time.
const padChunk = 64 << 10

// dataEnd returns where the data of a log file of the given size ends:
// after its last byte that is not NUL, or size-maxPad if the last maxPad
// bytes are all NUL (more zeros than the writer pads with are data, for
// the readers to report).
func dataEnd(r io.ReaderAt, size int64) (int64, error) {
	buf := make([]byte, min(padChunk, size))
	for end := size; end > max(0, size-maxPad); {
		n := min(int64(len(buf)), end-max(0, size-maxPad))
		if _, err := r.ReadAt(buf[:n], end-n); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				return end - n + i + 1, nil
			}
		}
		end -= n
	}
	return max(0, size-maxPad), nil
}

// openData opens a log file for reading and returns it with the size of
// its data (see dataEnd).
func openData(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	end, err := dataEnd(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return f, end, nil
}
