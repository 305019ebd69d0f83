package audit

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// errMoved reports that the file being written is no longer the one at its
// path: the file or its directory was removed, renamed or replaced.
var errMoved = errors.New("the log file was moved or removed")

// commitLoop is the committer: it takes one append, then every append
// already waiting, and writes them with one write and one fdatasync, until
// Close. Between appends it writes the checkpoints and rotations that time
// makes due.
func (l *Log) commitLoop() {
	defer close(l.done)
	defer l.idle.close()
	tick := time.NewTicker(max(min(l.cfg.CheckpointInterval, l.cfg.MaxFileAge)/2, time.Millisecond))
	defer tick.Stop()
	batch := make([]*appendReq, 0, maxBatch)
	for {
		select {
		case <-l.closing:
			l.closeErr = l.finish(batch)
			return
		case r := <-l.reqs:
			batch = append(batch[:0], r)
			l.gather(&batch)
			l.commit(batch, "")
			clear(batch)
		case <-tick.C:
			l.tick()
		}
	}
}

// gather adds the appends already waiting to batch, then lets the rest
// of the process run until it has nothing else to do (idler.wait) and adds
// the appends that produced, until a wait adds none, the batch is full, or
// maxGather has passed since it began. So the write waits for the requests
// already being served, never for requests not yet received: with one
// request in flight it waits for nothing.
func (l *Log) gather(batch *[]*appendReq) {
	start := time.Now()
	for rounds := 0; ; rounds++ {
		n := len(*batch)
	drain:
		for len(*batch) < maxBatch {
			select {
			case r := <-l.reqs:
				*batch = append(*batch, r)
			default:
				break drain
			}
		}
		if len(*batch) == maxBatch || (rounds > 0 && len(*batch) == n) || rounds == maxGatherRounds || time.Since(start) >= maxGather {
			return
		}
		l.idle.wait()
	}
}

// Bounds of one gather: a server so busy that every wait brings more
// appends still writes at least every maxGather.
const (
	maxGatherRounds = 32
	maxGather       = 2 * time.Millisecond
)

// tick writes what time has made due: an interval checkpoint, a rotation,
// or, after a failure, the Recover checkpoint that restarts the chain.
func (l *Log) tick() {
	now := l.cfg.Now()
	switch {
	case l.w.f == nil:
		if l.w.resume != nil {
			l.commit(nil, "") // after a failure: try to restart the chain
		}
	case !l.w.fresh && now.Sub(l.w.opened) >= l.cfg.MaxFileAge:
		l.commit(nil, Rotate)
	case l.w.sinceCheckpoint > 0 && now.Sub(l.w.checkpointAt) >= l.cfg.CheckpointInterval:
		l.commit(nil, Interval)
	case l.w.resume != nil:
		l.commit(nil, "")
	}
}

// finish commits the appends still queued and a Close checkpoint, then
// closes the file.
func (l *Log) finish(batch []*appendReq) error {
	for {
		batch = batch[:0]
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if len(batch) < maxBatch {
			break
		}
		l.commit(batch, "")
	}
	err := l.commit(batch, Close)
	if l.w.f != nil {
		if err == nil {
			l.trim()
		}
		if cerr := l.w.f.Close(); err == nil {
			err = cerr
		}
		l.w.f = nil
	}
	if err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	l.log.Info("audit log closed", "dir", l.cfg.Dir, "seq", l.w.seq)
	return nil
}

// pending is one write being built: the records' lines and the chain
// state after them, applied to the writer only once the write is durable.
type pending struct {
	buf             []byte
	seq             uint64
	hash            [sha256.Size]byte
	events          int
	checkpoints     int
	sinceCheckpoint int              // events after the last checkpoint in buf, or -1 if none in buf
	last            CheckpointReason // of the last record, "" for an event
}

func (p *pending) event(body []byte) {
	p.seq++
	p.buf, p.hash = appendRecord(p.buf, p.seq, &p.hash, false, body, nil)
	p.events++
	if p.sinceCheckpoint >= 0 {
		p.sinceCheckpoint++
	}
	p.last = ""
}

func (l *Log) checkpoint(p *pending, reason CheckpointReason, resume *Resume) {
	body, err := json.Marshal(Checkpoint{Reason: reason, Time: l.cfg.Now().UTC(), Key: l.cfg.Keys.id, Resume: resume})
	if err != nil {
		panic(fmt.Sprintf("audit: encode checkpoint: %v", err)) // plain struct of strings and numbers
	}
	p.seq++
	p.buf, p.hash = appendRecord(p.buf, p.seq, &p.hash, true, body, l.cfg.Keys.signer)
	p.checkpoints++
	p.sinceCheckpoint = 0
	p.last = reason
}

// commit writes the live appends of batch, and the checkpoint want (or
// the one that size, age or count make due), as one write made durable by
// one fdatasync, and answers every append. It returns the write's error.
func (l *Log) commit(batch []*appendReq, want CheckpointReason) error {
	if err := l.ensureFile(); err != nil {
		reply(batch, err)
		return err
	}
	p := pending{buf: l.w.buf[:0], seq: l.w.seq, hash: l.w.hash, sinceCheckpoint: -1}
	if l.w.resume != nil {
		l.checkpoint(&p, Recover, l.w.resume)
	}
	for _, r := range batch {
		if r.err = r.ctx.Err(); r.err == nil {
			p.event(r.body)
		}
	}
	reason := want
	if reason != Close {
		size := l.w.size + int64(len(p.buf))
		aged := (!l.w.fresh || p.events > 0) && l.cfg.Now().Sub(l.w.opened) >= l.cfg.MaxFileAge
		switch {
		case size >= l.cfg.MaxFileBytes || aged:
			reason = Rotate
		case reason == "" && l.w.sinceCheckpoint+p.events >= l.cfg.CheckpointEvery:
			reason = Interval
		}
	}
	if reason == Rotate && l.w.fresh && p.events == 0 && p.checkpoints == 0 {
		reason = "" // nothing to rotate away from
	}
	if reason != "" {
		l.checkpoint(&p, reason, nil)
	}
	if len(p.buf) == 0 {
		reply(batch, nil)
		return nil
	}
	if err := l.writeSync(p.buf); err != nil {
		l.abandon(err)
		err = fmt.Errorf("audit: record not durable: %w", err)
		reply(batch, err)
		return err
	}
	l.apply(&p)
	reply(batch, nil)
	if reason == Rotate {
		l.trim()
		l.w.f.Close()
		l.w.f = nil
		if err := l.ensureFile(); err != nil {
			// The chain is intact; the next write tries again.
			l.log.Error("audit: start the next log file", "dir", l.cfg.Dir, "err", err)
		}
	}
	return nil
}

func reply(batch []*appendReq, err error) {
	for _, r := range batch {
		if r.err == nil {
			r.err = err
		}
		r.done <- r.err
	}
}

// apply makes p the writer's state once it is durable.
func (l *Log) apply(p *pending) {
	w := &l.w
	w.seq, w.hash = p.seq, p.hash
	w.size += int64(len(p.buf))
	w.lastFile, w.lastEnd = w.name, w.size
	w.fresh = false
	w.resume = nil
	if p.sinceCheckpoint >= 0 {
		w.sinceCheckpoint = p.sinceCheckpoint
		w.checkpointAt = l.cfg.Now()
	} else {
		w.sinceCheckpoint += p.events
	}
	if cap(p.buf) <= 1<<20 {
		w.buf = p.buf[:0]
	}
	l.records.Add(uint64(p.events))
	l.checkpoints.Add(uint64(p.checkpoints))
}

// writeSync writes buf after the file's last record and makes it durable
// (writeDirect, or writeBuffered where direct I/O is off), then checks
// that the file is still the one at its path.
func (l *Log) writeSync(buf []byte) error {
	write := l.writeBuffered
	if l.w.direct {
		write = l.writeDirect
	}
	if err := write(buf); err != nil {
		return err
	}
	if !l.inPlace() {
		return fmt.Errorf("%s: %w", l.w.path, errMoved)
	}
	l.syncs.Add(1)
	return nil
}

// writeBuffered writes buf through the page cache, with the next step of
// zeros after it once the zeros written before run out (see prealloc.go),
// and fdatasyncs it (unless NoSync).
func (l *Log) writeBuffered(buf []byte) error {
	w := &l.w
	n, err := w.f.WriteAt(buf, w.size)
	w.end = w.size + int64(max(n, 0))
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	if end := w.end; end > w.alloc {
		w.alloc = end
		// Padding is an optimisation (and not for append-only files): if
		// the zeros do not fit (a full disk), the records still can, and
		// later writes append.
		if !l.cfg.AppendOnly {
			if n, err := w.f.WriteAt(zeros[:w.pad], end); err == nil && n == int(w.pad) {
				w.alloc = end + w.pad
				w.pad = min(2*w.pad, maxPad)
			}
		}
	}
	if l.cfg.NoSync {
		return nil
	}
	if err := l.durable(func(inline bool) error { return datasync(w.f, inline) }); err != nil {
		return fmt.Errorf("fdatasync %s: %w", w.path, err)
	}
	return nil
}

// writeDirect is writeBuffered for a file opened with directFlags: it writes
// the last partial block's bytes again followed by buf, zero-filled to a
// whole block, in one write that is durable when it returns (no separate
// fdatasync, no copy into the page cache). Rewriting a durable block with
// the same bytes in front is safe however the write tears: every sector
// holds either its old bytes or its new ones, and the old bytes are the
// same. Zeros are written ahead of the records a step at a time, as in
// writeSync, so that records overwrite allocated blocks.
func (l *Log) writeDirect(buf []byte) error {
	w := &l.w
	end := w.size + int64(len(buf))
	if err := l.padDirect(end); err != nil {
		if errors.Is(err, syscall.EINVAL) && w.size == 0 {
			// The file system took O_DIRECT at open but refuses these
			// writes (an alignment larger than directAlign): start the
			// file again without it.
			l.noDirect("the file system refuses aligned direct writes")
			w.f.Close()
			os.Remove(w.path)
			w.f = nil
			if err := l.ensureFile(); err != nil {
				return err
			}
			return l.writeBuffered(buf)
		}
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	start := w.size &^ (directAlign - 1)
	n := int(alignUp(end) - start)
	if cap(w.dbuf) < n {
		w.dbuf = alignedBuf(max(n, 2*cap(w.dbuf), 64<<10))
	}
	b := w.dbuf[:n]
	k := copy(b, w.tail)
	k += copy(b[k:], buf)
	clear(b[k:])
	w.end = end
	if err := l.durable(func(inline bool) error { return pwriteDirect(w.f, b, start, inline) }); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	w.tail = append(w.tail[:0], b[end&^(directAlign-1)-start:end-start]...)
	return nil
}

// padDirect writes zeros ahead, directly, so that the records ending at
// end overwrite written blocks. As in writeSync a failure is not the
// records' (they can still extend the file), except EINVAL on a fresh
// file, which says direct writes do not work here at all.
func (l *Log) padDirect(end int64) error {
	w := &l.w
	need := alignUp(end)
	if need <= w.alloc {
		return nil
	}
	to := alignUp(need + w.pad)
	zeros := directZeros()
	for w.alloc < to {
		n := min(to-w.alloc, int64(len(zeros)))
		if err := pwriteDirect(w.f, zeros[:n], w.alloc, false); err != nil {
			if errors.Is(err, syscall.EINVAL) && w.alloc == 0 {
				return err
			}
			return nil
		}
		w.alloc += n
	}
	w.pad = min(2*w.pad, maxPad)
	return nil
}

// directZeros is the padding writeDirect writes, aligned; never written to.
var directZeros = sync.OnceValue(func() []byte { return alignedBuf(maxPad) })

func alignUp(n int64) int64 { return (n + directAlign - 1) &^ (directAlign - 1) }

// noDirect turns direct writes off for the files the log opens from now on.
func (l *Log) noDirect(why string) {
	if l.cfg.direct {
		l.log.Info("audit: writing the log through the page cache with fdatasync", "dir", l.cfg.Dir, "reason", why)
	}
	l.cfg.direct = false
}

// A sync slower than slowSync turns inline syncs (see datasync) off for
// blockingFor: a disk that stalls must not stall the process with it.
// Virtual disks take tens of milliseconds now and then; a disk that
// stalls takes seconds.
const (
	slowSync    = 250 * time.Millisecond
	blockingFor = 10 * time.Second
)

func (l *Log) syncInline() bool { return !time.Now().Before(l.w.blockingUntil) }

// durable runs op, the call that makes a write durable, inline unless a
// slow one turned that off, and times it (syncTook).
func (l *Log) durable(op func(inline bool) error) error {
	inline := l.syncInline()
	start := time.Now()
	err := op(inline)
	l.syncTook(time.Since(start), inline)
	return err
}

func (l *Log) syncTook(d time.Duration, inline bool) {
	if d < slowSync {
		return
	}
	if inline {
		l.log.Warn("audit: slow fdatasync; syncing without holding the scheduler for a while", "file", l.w.name, "took", d, "for", blockingFor)
	}
	l.w.blockingUntil = time.Now().Add(blockingFor)
}

// trim cuts the padding off a file the writer is done with, after its
// last record (a Rotate or Close checkpoint) is durable, so that it ends in
// that record. Readers skip padding anyway, so a failure (or a crash
// before it) is only logged.
func (l *Log) trim() {
	w := &l.w
	if w.alloc == w.size {
		return
	}
	err := w.f.Truncate(w.size)
	if err == nil {
		err = datasync(w.f, false)
	}
	if err != nil {
		l.log.Warn("audit: cut the zeros preallocated after the last record", "file", w.name, "err", err)
		return
	}
	w.alloc = w.size
}

// inPlace reports whether the open file is still the file at its path, so
// that records are never acknowledged into a file nobody will find: one
// whose directory was removed or renamed away.
func (l *Log) inPlace() bool {
	cur, err := os.Stat(l.w.path)
	return err == nil && os.SameFile(l.w.id, cur)
}

// ensureFile creates the next log file if none is open: named after the
// next sequence number, 0600, and with its directory entry made durable.
func (l *Log) ensureFile() error {
	if l.w.f != nil {
		return nil
	}
	name := fileName(l.w.seq + 1)
	path := filepath.Join(l.cfg.Dir, name)
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if l.cfg.direct {
		flag |= directFlags
	}
	f, err := l.cfg.OpenFile(path, flag, 0o600)
	if l.cfg.direct && errors.Is(err, syscall.EINVAL) {
		// The file system refuses O_DIRECT (tmpfs before Linux 6.6,
		// some FUSE and network file systems): write through the page
		// cache and fdatasync instead.
		l.noDirect("the file system refuses O_DIRECT")
		flag &^= directFlags
		f, err = l.cfg.OpenFile(path, flag, 0o600)
	}
	if errors.Is(err, fs.ErrExist) {
		// A file the chain does not reach (its first record would follow
		// the last one acknowledged): debris of a failed write that could
		// not be removed then. Keep it, out of the way.
		aside, aerr := setAside(path)
		if aerr != nil {
			return fmt.Errorf("audit: create %s: %w", path, err)
		}
		l.noteSetAside("file in the way", aside)
		f, err = l.cfg.OpenFile(path, flag, 0o600)
	}
	if err != nil {
		return fmt.Errorf("audit: create %s: %w", path, err)
	}
	id, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("audit: create %s: %w", path, err)
	}
	if err := syncDir(l.cfg.Dir); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("audit: create %s: fsync directory: %w", path, err)
	}
	l.w.f, l.w.id, l.w.path, l.w.name = f, id, path, name
	l.w.direct, l.w.tail = l.cfg.direct, l.w.tail[:0]
	l.w.size, l.w.end, l.w.alloc, l.w.pad = 0, 0, 0, firstPad
	l.w.opened, l.w.fresh = l.cfg.Now(), true
	return nil
}

// noteSetAside records in the pending Resume that a file was set aside.
func (l *Log) noteSetAside(cause, aside string) {
	if l.w.resume == nil {
		l.w.resume = &Resume{Cause: cause, File: l.w.lastFile, Offset: l.w.lastEnd}
	}
	if l.w.resume.SetAside != "" {
		aside = l.w.resume.SetAside + " " + aside
	}
	l.w.resume.SetAside = aside
}

// abandon gives up the open file after a failed write: nothing more is
// written to it, and the next write starts a new file with a Recover
// checkpoint that continues the chain after the last acknowledged record.
// A file that holds no acknowledged record is removed instead (or set
// aside, if it cannot be), so that repeated failures leave no litter.
func (l *Log) abandon(cause error) {
	l.failures.Add(1)
	w := &l.w
	fi, statErr := w.f.Stat()
	if statErr == nil && fi.Size() < w.end {
		w.end = fi.Size()
	}
	w.f.Close()
	w.f = nil
	r := &Resume{Cause: causeText(cause), File: w.lastFile, Offset: w.lastEnd}
	if w.resume != nil {
		r.SetAside = w.resume.SetAside
	}
	switch {
	case w.fresh:
		if statErr == nil {
			if cur, err := os.Stat(w.path); err == nil && os.SameFile(fi, cur) {
				if os.Remove(w.path) != nil {
					if aside, err := setAside(w.path); err == nil {
						r.SetAside = joinSpace(r.SetAside, aside)
					}
				} else {
					syncDir(l.cfg.Dir)
				}
			}
		}
	case statErr == nil:
		r.Abandoned = max(0, w.end-w.size)
	}
	w.resume = r
	l.log.Error("audit: write failed; requests are refused until a write succeeds", "dir", l.cfg.Dir, "file", w.name, "seq", w.seq, "err", cause)
}

func joinSpace(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// causeText is the short cause a Recover checkpoint gives: what failed,
// and the system's reason, without paths.
func causeText(err error) string {
	what := "write failed"
	if errors.Is(err, errMoved) {
		return "log file moved or removed"
	}
	if pe, ok := errors.AsType[*os.SyscallError](err); ok && pe.Syscall == "fdatasync" {
		what = "fdatasync failed"
	}
	if errno, ok := errors.AsType[syscall.Errno](err); ok {
		return what + ": " + errno.Error()
	}
	return what
}

// setAside renames path out of the log's name pattern, to path.torn (or
// path.torn.N if that exists), and returns the new base name.
func setAside(path string) (string, error) {
	for i := 0; i < 100; i++ {
		to := path + tornSuffix
		if i > 0 {
			to = fmt.Sprintf("%s%s.%d", path, tornSuffix, i)
		}
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(path, to); err != nil {
			return "", err
		}
		syncDir(filepath.Dir(path))
		return filepath.Base(to), nil
	}
	return "", fmt.Errorf("no free name to set %s aside", path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
