package audit

import (
	"bufio"
	"errors"
	"io"
)

// errTooLong reports a line longer than maxLine.
var errTooLong = errors.New("line too long")

// lineReader reads a log file line by line, keeping count of lines and
// byte offsets. Memory stays bounded by maxLine whatever the file holds.
type lineReader struct {
	r    *bufio.Reader
	line int   // number of the line last returned, from 1
	off  int64 // offset of the next line
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, maxLine+1)}
}

// next returns the next line without its '\n', and its offset. complete
// is false for a last line that has no '\n' (a torn write, or one in
// progress). A line longer than maxLine is skipped and reported as
// errTooLong; the reader can go on after it. At the end it returns io.EOF.
// The line is valid until the next call.
func (lr *lineReader) next() (line []byte, off int64, complete bool, err error) {
	off = lr.off
	b, err := lr.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		n := int64(len(b))
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = lr.r.ReadSlice('\n')
			n += int64(len(b))
		}
		lr.off += n
		lr.line++
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, off, false, err
		}
		return nil, off, err == nil, errTooLong
	}
	if errors.Is(err, io.EOF) {
		if len(b) == 0 {
			return nil, off, false, io.EOF
		}
		lr.off += int64(len(b))
		lr.line++
		return b, off, false, nil
	}
	if err != nil {
		return nil, off, false, err
	}
	lr.off += int64(len(b))
	lr.line++
	return b[:len(b)-1], off, true, nil
}
