package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// PublicKey verifies checkpoint signatures; required. Keys.PublicKey,
	// or ParsePublicKey of what `coffer audit pubkey` prints.
	PublicKey ed25519.PublicKey
	// Live accepts a log that is still being written: its last file may end
	// without a Close checkpoint, or in an incomplete line. Verify then says
	// so in a notice instead of reporting a truncation.
	Live bool
	// Partial accepts files that are a contiguous part of a longer log: the
	// chain may start after seq 1 (older files removed by retention) and may
	// continue after the last file given.
	Partial bool
}

// Kind classifies the first problem Verify finds.
type Kind string

const (
	// KindMalformed: a line is not a record at all (not JSON, no hash, a
	// line too long, a checkpoint without a signature).
	KindMalformed Kind = "malformed"
	// KindAltered: a record's hash does not match its content, e.g. a
	// flipped byte.
	KindAltered Kind = "altered"
	// KindMissing: the sequence jumps forward, e.g. a deleted record, or a
	// deleted file between two others.
	KindMissing Kind = "missing"
	// KindReordered: records are out of sequence order, e.g. two swapped.
	KindReordered Kind = "reordered"
	// KindBrokenLink: a record's prev is not the hash of the record before
	// it although its seq follows: a record was replaced, or records were
	// removed and the rest renumbered.
	KindBrokenLink Kind = "broken-link"
	// KindBadSignature: a checkpoint's signature does not verify (forged or
	// altered and re-hashed), or it was signed by another key.
	KindBadSignature Kind = "bad-signature"
	// KindTruncated: the log ends early: in an incomplete line, without its
	// Close checkpoint, or after a Rotate checkpoint with no file after it.
	KindTruncated Kind = "truncated"
	// KindMissingStart: the chain does not start at seq 1, so earlier files
	// are missing (VerifyOptions.Partial accepts this).
	KindMissingStart Kind = "missing-start"
)

// ChainError is the first problem Verify found, located by file, line
// (from 1) and sequence number (the record's, or the one expected there
// when the line could not be read as a record).
type ChainError struct {
	Kind   Kind
	File   string
	Line   int
	Seq    uint64
	Detail string

	offset int64 // of the line in File
}

func (e *ChainError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	s := "audit: " + loc + ": " + string(e.Kind)
	if e.Seq > 0 {
		s += " at seq " + strconv.FormatUint(e.Seq, 10)
	}
	return s + ": " + e.Detail
}

// Report is what Verify read.
type Report struct {
	Files             int
	Events            uint64 // event records read, abandoned ones included
	Checkpoints       uint64 // checkpoints read, all signatures valid
	FirstSeq, LastSeq uint64
	LastCheckpointSeq uint64
	// Closed is true when the log ends with a Close checkpoint: every
	// record is covered by a signature, so no truncation went unnoticed.
	Closed bool
	// Notices are facts worth a reader's attention that are not tampering:
	// where a writer resumed after a crash or a failed write (and what it
	// abandoned), a live or partial log.
	Notices []string
}

// ringSize is how many recent records the verifier remembers, to check a
// Recover checkpoint that resumes the chain a few records back (after a
// failed write of up to maxBatch records).
const ringSize = 1024

type ringEntry struct {
	seq  uint64
	hash [sha256.Size]byte
	file string
	end  int64
}

type verifier struct {
	opts    VerifyOptions
	rep     *Report
	started bool
	seq     uint64
	hash    [sha256.Size]byte
	last    CheckpointReason // of the last record, "" for an event
	path    string           // the file and line of the last record
	line    int
	ring    [ringSize]ringEntry
}

// Verify checks that files, in chain order (as Files lists them), hold one
// intact hash chain with valid checkpoint signatures, and returns what it
// read. The first problem is returned as a *ChainError naming the file,
// line and sequence number; other errors are I/O errors. Verify reads the
// files as streams and keeps only a few records in memory.
//
// Without options, the log must start at seq 1 and end with a Close
// checkpoint. Places where the writer resumed the chain after a crash or
// a failed write are not problems, but each is reported in
// Report.Notices.
func Verify(ctx context.Context, opts VerifyOptions, files ...string) (*Report, error) {
	if len(opts.PublicKey) != ed25519.PublicKeySize {
		return nil, errors.New("audit: verify: no Ed25519 public key")
	}
	if len(files) == 0 {
		return nil, errors.New("audit: verify: no files")
	}
	v := &verifier{opts: opts, rep: &Report{}}
	var pending *ChainError // a problem at the end of the previous file
	var prevName string
	var prevSize int64
	for i, path := range files {
		var err error
		pending, prevSize, err = v.openFile(ctx, path, pending, prevName, prevSize, i == len(files)-1)
		if err != nil {
			return v.rep, err
		}
		prevName = filepath.Base(path)
		v.rep.Files++
	}
	return v.rep, v.end(pending)
}

func (v *verifier) openFile(ctx context.Context, path string, pending *ChainError, prevName string, prevSize int64, last bool) (*ChainError, int64, error) {
	f, size, err := openData(path)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer f.Close()
	return v.file(ctx, path, io.LimitReader(f, size), size, pending, prevName, prevSize, last)
}

// file verifies one file, read from r. pending is a problem the previous
// file ended in; only a Recover checkpoint at the start of this file
// excuses it. It returns the problem this file ends in, if any, for the
// next file to excuse, and the file's size.
func (v *verifier) file(ctx context.Context, path string, r io.Reader, size int64, pending *ChainError, prevName string, prevSize int64, last bool) (*ChainError, int64, error) {
	lr := newLineReader(r)
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		line, off, complete, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		problem := func(k Kind, detail string) *ChainError {
			return &ChainError{Kind: k, File: path, Line: lr.line, Seq: v.seq + 1, Detail: detail, offset: off}
		}
		var r *record
		switch {
		case errors.Is(err, errTooLong):
			return v.firstProblem(pending, problem(KindMalformed, fmt.Sprintf("line longer than %d bytes", maxLine))), size, nil
		case err != nil:
			return nil, 0, fmt.Errorf("audit: verify: read %s: %w", path, err)
		case !complete:
			return v.firstProblem(pending, problem(KindTruncated, "the last line is incomplete: a torn write, or the file was cut")), size, nil
		}
		r, err = parseRecord(line)
		switch {
		case errors.Is(err, errAltered):
			return v.firstProblem(pending, problem(KindAltered, "the record's hash does not match its content")), size, nil
		case err != nil:
			return v.firstProblem(pending, problem(KindMalformed, "the line is not an audit record")), size, nil
		}
		if first {
			first = false
			if pending != nil || (v.started && r.Checkpoint != nil && r.Checkpoint.Reason == Recover) {
				if cerr := v.resume(r, path, pending, prevName, prevSize); cerr != nil {
					return nil, 0, cerr
				}
				pending = nil
			}
		}
		if cerr := v.check(r, path, lr, off); cerr != nil {
			if last || pending != nil {
				return nil, 0, cerr
			}
			return cerr, size, nil
		}
		v.apply(r, path, lr.line, lr.off)
	}
	return pending, size, nil
}

// firstProblem returns p unless an earlier problem is still unexcused.
func (v *verifier) firstProblem(pending, p *ChainError) *ChainError {
	if pending != nil {
		return pending
	}
	return p
}

// check verifies that r continues the chain and, for a checkpoint, that
// its signature is valid. lr is used to look one record ahead, to tell a
// deleted record from two swapped ones.
func (v *verifier) check(r *record, path string, lr *lineReader, off int64) *ChainError {
	problem := func(k Kind, seq uint64, detail string) *ChainError {
		return &ChainError{Kind: k, File: path, Line: lr.line, Seq: seq, Detail: detail, offset: off}
	}
	switch want := v.seq + 1; {
	case !v.started && r.Seq != 1:
		if !v.opts.Partial {
			return problem(KindMissingStart, r.Seq, fmt.Sprintf("the chain starts at seq %d, not 1: earlier files are missing (verify with --partial if retention removed them)", r.Seq))
		}
		v.notice("%s:%d: the files given start at seq %d; earlier records were not checked", path, lr.line, r.Seq)
	case !v.started && r.prevHash() != zeroHash:
		return problem(KindBrokenLink, r.Seq, "seq 1 does not start from the zero hash")
	case !v.started:
	case r.Seq > want:
		line := lr.line
		if next, _, complete, err := lr.next(); err == nil && complete {
			if n, err := parseRecord(next); err == nil && n.Seq == want {
				return &ChainError{Kind: KindReordered, File: path, Line: line, Seq: r.Seq, offset: off,
					Detail: fmt.Sprintf("seq %d comes before seq %d: records swapped or moved", r.Seq, want)}
			}
		}
		what := fmt.Sprintf("record %d is missing", want)
		if r.Seq > want+1 {
			what = fmt.Sprintf("records %d to %d are missing", want, r.Seq-1)
		}
		return &ChainError{Kind: KindMissing, File: path, Line: line, Seq: r.Seq, offset: off,
			Detail: fmt.Sprintf("%s: the sequence jumps from %d to %d (records deleted)", what, v.seq, r.Seq)}
	case r.Seq < want:
		return problem(KindReordered, r.Seq, fmt.Sprintf("seq %d comes after seq %d: records swapped, moved or repeated", r.Seq, v.seq))
	case r.prevHash() != v.hash:
		return problem(KindBrokenLink, r.Seq, fmt.Sprintf("its prev is not the hash of seq %d: a record was replaced, or records removed and renumbered", v.seq))
	}
	if r.Checkpoint != nil && !r.signedBy(v.opts.PublicKey) {
		detail := "the checkpoint's signature does not verify: forged, or altered and re-hashed"
		if r.Checkpoint.Key != keyID(v.opts.PublicKey) {
			detail = fmt.Sprintf("the checkpoint names signing key %q, not the verifying key %q", r.Checkpoint.Key, keyID(v.opts.PublicKey))
		}
		return problem(KindBadSignature, r.Seq, detail)
	}
	return nil
}

// resume checks a file's first record after the previous file ended in a
// problem, or when it resumes the chain a few records back: only a signed
// Recover checkpoint that continues after a record the verifier has seen,
// and abandons no more than one write's worth of the previous file,
// including where pending lies, is accepted. On success the verifier's
// chain state is moved back to that record.
func (v *verifier) resume(r *record, path string, pending *ChainError, prevName string, prevSize int64) *ChainError {
	problem := func(k Kind, detail string) *ChainError {
		return &ChainError{Kind: k, File: path, Line: 1, Seq: r.Seq, Detail: detail}
	}
	cp := r.Checkpoint
	if cp == nil || cp.Reason != Recover || cp.Resume == nil {
		return pending
	}
	if !r.signedBy(v.opts.PublicKey) {
		return problem(KindBadSignature, "the Recover checkpoint's signature does not verify")
	}
	res, after := cp.Resume, r.Seq-1
	e := v.ring[after%ringSize]
	switch {
	case !v.started:
		return pending
	case e.seq != after || e.hash != r.prevHash() || e.file != res.File || e.end != res.Offset:
		return problem(KindBrokenLink, fmt.Sprintf("the Recover checkpoint resumes after seq %d at %s:%d, which is not a record of this chain", after, res.File, res.Offset))
	case res.File != prevName:
		return problem(KindBrokenLink, fmt.Sprintf("the Recover checkpoint resumes in %s, not in the file before it (%s)", res.File, prevName))
	case pending != nil && pending.offset < res.Offset:
		return pending
	case prevSize-res.Offset > maxAbandon:
		return problem(KindTruncated, fmt.Sprintf("the Recover checkpoint abandons %d bytes of %s, more than one write", prevSize-res.Offset, prevName))
	}
	msg := fmt.Sprintf("%s:1: the writer resumed the chain after seq %d (%s)", path, after, res.Cause)
	if n := prevSize - res.Offset; n > 0 {
		msg += fmt.Sprintf("; the last %d bytes of %s were never acknowledged and are not part of the chain", n, prevName)
		if v.seq > after {
			msg += fmt.Sprintf(" (records %d to %d)", after+1, v.seq)
		}
	}
	if res.SetAside != "" {
		msg += "; set aside: " + res.SetAside
	}
	v.notice("%s", msg)
	v.seq, v.hash = after, e.hash
	return nil
}

func (v *verifier) apply(r *record, path string, line int, end int64) {
	v.started = true
	v.seq, v.hash = r.Seq, r.hash
	v.path, v.line = path, line
	v.ring[r.Seq%ringSize] = ringEntry{seq: r.Seq, hash: r.hash, file: filepath.Base(path), end: end}
	if v.rep.FirstSeq == 0 {
		v.rep.FirstSeq = r.Seq
	}
	v.rep.LastSeq = r.Seq
	if r.Checkpoint != nil {
		v.rep.Checkpoints++
		v.rep.LastCheckpointSeq = r.Seq
		v.last = r.Checkpoint.Reason
		if r.Checkpoint.Reason == Recover && r.Checkpoint.Resume != nil && r.Seq == 1 {
			v.notice("the chain starts with a Recover checkpoint (%s)", r.Checkpoint.Resume.Cause)
		}
		return
	}
	v.rep.Events++
	v.last = ""
}

// end checks how the log ends.
func (v *verifier) end(pending *ChainError) error {
	if pending != nil {
		if !v.opts.Live || pending.Kind != KindTruncated {
			return pending
		}
		v.notice("%s:%d: the last line is incomplete: a write in progress, or a torn write", pending.File, pending.Line)
	}
	switch {
	case !v.started:
		v.notice("no records")
		return nil
	case v.last == Close:
		v.rep.Closed = true
	case v.last == Rotate && v.opts.Partial:
		v.notice("the log continues after seq %d in files not given", v.seq)
	case v.last == Rotate:
		return &ChainError{Kind: KindTruncated, Seq: v.seq, File: v.path, Line: v.line,
			Detail: fmt.Sprintf("the last file ends with a Rotate checkpoint at seq %d, but no later file was given: the files after it are missing", v.seq)}
	case v.opts.Live || v.opts.Partial:
		v.notice("unterminated: the log is being written (or its writer crashed); the %d records after the last checkpoint (seq %d) are not yet covered by a signature, so a truncation among them cannot be detected",
			v.seq-v.rep.LastCheckpointSeq, v.rep.LastCheckpointSeq)
	default:
		return &ChainError{Kind: KindTruncated, Seq: v.seq, File: v.path, Line: v.line,
			Detail: fmt.Sprintf("the log ends at seq %d without a Close checkpoint (the last checkpoint is at seq %d): records were cut off, or the writer is still running (verify with --live) or crashed", v.seq, v.rep.LastCheckpointSeq)}
	}
	return nil
}

func (v *verifier) notice(format string, args ...any) {
	v.rep.Notices = append(v.rep.Notices, fmt.Sprintf(format, args...))
}
