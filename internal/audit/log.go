package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// File is what the log writes to: an *os.File, or a wrapper of one that
// injects faults in tests (LogConfig.OpenFile). The log writes at offsets
// (it preallocates, see prealloc.go) and cuts the padding off with
// Truncate when it is done with a file.
type File interface {
	io.WriterAt
	Sync() error
	Stat() (fs.FileInfo, error)
	Truncate(size int64) error
	Close() error
}

// LogConfig configures a Log. Dir and Keys are required; zero values of
// the other fields take the defaults written next to them.
type LogConfig struct {
	Dir  string // created 0700 if missing; refused if group or others may access it
	Keys *Keys  // signs checkpoints, digests sensitive parameters

	MaxFileBytes       int64         // rotate a file that reaches this size; default 64 MiB
	MaxFileAge         time.Duration // rotate a file this old that holds records; default 24h
	CheckpointEvery    int           // records between interval checkpoints; default 1000
	CheckpointInterval time.Duration // how long records may stay unsigned (checked every half of it); default 10s

	Logger *slog.Logger     // nil discards
	Now    func() time.Time // default time.Now; for event times and file ages
	// OpenFile opens log files; nil means os.OpenFile. Tests wrap the real
	// file to inject faults (a full disk, a failing fdatasync).
	OpenFile func(name string, flag int, perm fs.FileMode) (File, error)

	// NoSync writes records without making them durable (no fdatasync, no
	// O_DSYNC): for `coffer dev`, whose data dir does not outlive it. The
	// chain and checkpoints are as usual.
	NoSync bool

	// AppendOnly writes the files as plain append-only files: no zeros
	// written ahead and no direct I/O, so a file's size is always the end
	// of its last record, for log shippers that follow a file by its size
	// (tail -f, Filebeat, Fluent Bit, Vector). Each write then also makes
	// the file's new size durable, which costs more (docs/audit.md).
	AppendOnly bool

	// direct opens log files with directFlags (where there are any): on
	// when OpenFile is the default; tests that wrap files turn it on too.
	direct bool
}

// Defaults of LogConfig.
const (
	DefaultMaxFileBytes       = 64 << 20
	DefaultMaxFileAge         = 24 * time.Hour
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = 10 * time.Second
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("audit: log closed")

// Log is the hash-chained audit log in a directory of JSON-lines files
// (see the package doc). Append is safe for concurrent use; appends that
// arrive while a write is being made durable share the next write and
// fdatasync (group commit).
type Log struct {
	cfg       LogConfig
	log       *slog.Logger
	reqs      chan *appendReq
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
	closeErr  error // set by the committer before it closes done
	idle      *idler

	records, checkpoints, syncs, failures atomic.Uint64

	// reqPool recycles appendReqs, with their done channel and body
	// buffer, once their append has returned. It is the Log's own, so
	// that channels never cross testing/synctest bubbles.
	reqPool sync.Pool

	// w is owned by OpenLog until the committer starts, then by the
	// committer alone.
	w writer
}

// writer is the state of the file being written and of the chain.
type writer struct {
	f      File        // nil after a failure, until the next write creates a file
	id     fs.FileInfo // f's, from when it was created: its identity (device and inode)
	path   string
	name   string    // base name of f
	size   int64     // bytes of f that are durable and acknowledged
	end    int64     // where the last write's records end in f, acknowledged or not
	alloc  int64     // bytes of f written, records and the zeros after them
	pad    int64     // the next step of zeros to write ahead
	opened time.Time // when f was created
	fresh  bool      // f holds no acknowledged record

	seq      uint64            // the last acknowledged record
	hash     [sha256.Size]byte // its hash
	lastFile string            // the base name of the file that holds it
	lastEnd  int64             // and the offset where it ends

	sinceCheckpoint int // events since the last checkpoint
	checkpointAt    time.Time
	// resume is set when records were lost (a crash, a failed write): the
	// next write starts a file with a Recover checkpoint carrying it.
	resume *Resume
	buf    []byte
	// blockingUntil: syncs before then release the scheduler (see syncTook).
	blockingUntil time.Time

	// direct: f was opened with directFlags; every write is durable on
	// return and covers whole blocks (see writeDirect). tail holds the
	// bytes of f's last partial block, which the next write rewrites;
	// dbuf is the aligned buffer writes are assembled in.
	direct bool
	tail   []byte
	dbuf   []byte
}

// appendReq is one event on its way to the committer.
type appendReq struct {
	ctx  context.Context
	body []byte     // the event's JSON
	err  error      // set by the committer
	done chan error // buffered, so the committer never blocks on it
}

// LogStats counts what a Log has written since it was opened.
type LogStats struct {
	Records     uint64 // events durably written
	Checkpoints uint64
	Syncs       uint64 // durable writes of log files (O_DSYNC writes, or fdatasyncs)
	Failures    uint64 // writes or fdatasyncs that failed
}

// OpenLog opens the log in cfg.Dir, creating the directory if needed. It
// resumes the chain after the last intact record: if the previous writer
// did not close the log (a crash), the torn tail it left is kept on disk
// but abandoned, and the new file starts with a signed Recover checkpoint
// saying so. It refuses a directory whose last file is damaged beyond what
// a crash can leave (more than one write's worth, or anything after a
// Close checkpoint), naming the file; run `coffer audit verify` on it.
//
// Every OpenLog starts a new file, so files already written are never
// written again. The Log must be closed with Close.
func OpenLog(ctx context.Context, cfg LogConfig) (*Log, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	l := &Log{
		cfg:     cfg,
		log:     cfg.Logger,
		reqs:    make(chan *appendReq),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if err := openDir(cfg.Dir); err != nil {
		return nil, err
	}
	if err := l.resumeChain(ctx); err != nil {
		return nil, err
	}
	l.w.checkpointAt = cfg.Now()
	if err := l.ensureFile(); err != nil {
		return nil, err
	}
	if l.w.resume != nil {
		l.log.Warn("audit log resumed after an unclean end", "dir", cfg.Dir, "cause", l.w.resume.Cause,
			"file", l.w.resume.File, "seq", l.w.seq, "abandoned_bytes", l.w.resume.Abandoned, "set_aside", l.w.resume.SetAside)
		if err := l.commit(nil, ""); err != nil {
			l.w.f.Close()
			return nil, err
		}
	}
	l.log.Info("audit log opened", "dir", cfg.Dir, "file", l.w.name, "seq", l.w.seq)
	l.idle = newIdler()
	go l.commitLoop()
	return l, nil
}

func (c *LogConfig) setDefaults() error {
	switch {
	case c.Dir == "":
		return errors.New("audit: LogConfig.Dir is empty")
	case c.Keys == nil:
		return errors.New("audit: LogConfig.Keys is nil")
	case c.MaxFileBytes < 0 || c.MaxFileAge < 0 || c.CheckpointEvery < 0 || c.CheckpointInterval < 0:
		return errors.New("audit: LogConfig limits must not be negative")
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.MaxFileAge == 0 {
		c.MaxFileAge = DefaultMaxFileAge
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = DefaultCheckpointEvery
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.OpenFile == nil {
		c.OpenFile = func(name string, flag int, perm fs.FileMode) (File, error) { return os.OpenFile(name, flag, perm) }
		c.direct = directFlags != 0 && !c.NoSync && !c.AppendOnly
	}
	return nil
}

// openDir creates dir (0700) if needed and refuses one that group or
// others may access: the log names principals and resources.
func openDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: create %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("audit: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("audit: %s has mode %04o; the audit log must not be accessible to group or others (chmod 700 %s)", dir, perm, dir)
	}
	return nil
}

// Append records e durably: it returns nil only once the record is written
// and durable. Concurrent appends share one durable write.
// It returns an error (and the request must be refused) if the record
// could not be made durable; later appends try again in a new file.
//
// If ctx ends first, Append returns ctx's error and the record may still
// be written. Callers auditing an HTTP request should pass a context that
// outlives the client's connection (context.WithoutCancel), so that a
// client hanging up does not cancel its own audit record.
func (l *Log) Append(ctx context.Context, e *Event) error {
	p, err := prepare(e, l.cfg.Keys, l.cfg.Now())
	if err != nil {
		return err
	}
	return l.appendPrepared(ctx, p)
}

// Write implements Sink: it is Append of an event Trail has prepared
// (Sink.Write's contract), which is not prepared again.
func (l *Log) Write(ctx context.Context, e *Event) error { return l.appendPrepared(ctx, e) }

func (l *Log) appendPrepared(ctx context.Context, p *Event) error {
	r, _ := l.reqPool.Get().(*appendReq)
	if r == nil {
		r = &appendReq{body: make([]byte, 0, 1024), done: make(chan error, 1)}
	}
	r.ctx, r.err = ctx, nil
	r.body = appendEvent(r.body[:0], p)
	if len(r.body) > maxEventBytes {
		n := len(r.body)
		l.recycle(r)
		return fmt.Errorf("%w: %d bytes encoded, more than %d", ErrInvalidEvent, n, maxEventBytes)
	}
	select {
	case l.reqs <- r:
	case <-l.closing:
		l.recycle(r)
		return ErrClosed
	case <-ctx.Done():
		l.recycle(r)
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		l.recycle(r)
		return err
	case <-ctx.Done():
		return ctx.Err() // the committer still holds r: it is not recycled
	}
}

// recycle returns r to the pool; the committer must be done with it.
func (l *Log) recycle(r *appendReq) {
	r.ctx = nil
	if cap(r.body) > 4<<10 {
		r.body = make([]byte, 0, 1024)
	}
	l.reqPool.Put(r)
}

// Durable implements Sink: a nil Append means the record is on disk.
func (l *Log) Durable() bool { return true }

// Name implements Sink.
func (l *Log) Name() string { return "file" }

// Close writes a signed Close checkpoint after the records already queued,
// makes it durable and closes the file. Appends after Close return
// ErrClosed. If ctx ends first Close returns its error; the log still
// closes in the background.
func (l *Log) Close(ctx context.Context) error {
	l.closeOnce.Do(func() { close(l.closing) })
	select {
	case <-l.done:
		return l.closeErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns counters since OpenLog; LogStats.Records/LogStats.Syncs is
// the number of records each fdatasync made durable.
func (l *Log) Stats() LogStats {
	return LogStats{
		Records:     l.records.Load(),
		Checkpoints: l.checkpoints.Load(),
		Syncs:       l.syncs.Load(),
		Failures:    l.failures.Load(),
	}
}
