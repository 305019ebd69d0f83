package httpsink

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffer-dev/coffer/internal/audit"
)

// Config configures a Sink. URL is required; zero values of the other
// fields take the defaults written next to them.
type Config struct {
	Name   string      // in logs and stats; default "http"
	URL    string      // where batches are POSTed; http or https
	Header http.Header // sent with every POST, e.g. the SIEM's Authorization; never logged
	Format audit.Format

	BatchSize      int           // events per POST at most; default 100
	FlushInterval  time.Duration // longest an event waits for its batch to fill; default 1s (not used with WaitForAck)
	BufferSize     int           // events held while the SIEM is slow or down; default 10000
	EnqueueTimeout time.Duration // how long Write waits for room in a full buffer; default 50ms
	Timeout        time.Duration // per POST; default 10s
	MinBackoff     time.Duration // first retry delay; default 100ms
	MaxBackoff     time.Duration // longest retry delay; default 30s

	// WaitForAck makes Write wait until the SIEM has acknowledged (2xx) the
	// POST that carried the event, at most AckTimeout; the sink then counts
	// as durable, and the request waits for the SIEM. Off, Write returns
	// once the event is buffered.
	WaitForAck bool
	AckTimeout time.Duration // default 5s

	Client *http.Client // default: http.Client with Timeout
	Logger *slog.Logger // nil discards
}

// Errors of Write.
var (
	// ErrBufferFull: the buffer stayed full for EnqueueTimeout (the SIEM is
	// down or slower than the request rate); the event was not taken.
	ErrBufferFull = errors.New("httpsink: buffer full")
	// ErrClosed: Write after Close.
	ErrClosed = errors.New("httpsink: closed")
	// ErrRejected: the SIEM refused the batch with a status that retrying
	// cannot fix (4xx other than 408 and 429); the batch was dropped.
	ErrRejected = errors.New("httpsink: batch rejected")
)

// Sink POSTs events to a SIEM in batches of JSON lines
// (Content-Type application/x-ndjson), from its own bounded buffer, by one
// sender goroutine that retries failed POSTs with exponential backoff and
// jitter. Write never waits for the network unless WaitForAck is set;
// when the buffer is full it waits at most EnqueueTimeout.
type Sink struct {
	cfg   Config
	queue chan *item

	// mu guards closed; Write holds it for reading while it enqueues, so
	// that nothing is enqueued after Close has begun.
	mu     sync.RWMutex
	closed bool

	closing chan struct{} // closed by Close: flush and stop
	done    chan struct{} // closed by the sender when it has stopped
	// life is the sender's lifetime: cancelled when Close's ctx ends, it
	// stops a POST in flight and the retries.
	life  context.Context
	abort context.CancelFunc

	posts, sent, retries, dropped atomic.Uint64
}

// item is one encoded event.
type item struct {
	line []byte
	ack  chan error // buffered; nil unless WaitForAck
}

// Stats counts what a Sink did.
type Stats struct {
	Posts   uint64 // POSTs made, retries included
	Sent    uint64 // events the SIEM acknowledged
	Retries uint64
	Dropped uint64 // events refused (buffer full), rejected, or abandoned at Close
	Queued  int    // events in the buffer now
}

// New returns a Sink and starts its sender; Close stops it.
func New(cfg Config) (*Sink, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Sink{
		cfg:     cfg,
		queue:   make(chan *item, cfg.BufferSize),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.life, s.abort = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

func (c *Config) setDefaults() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("httpsink: URL %q: want an http or https URL", c.URL)
	}
	if _, err := audit.ParseFormat(string(c.Format)); err != nil {
		return fmt.Errorf("httpsink: %w", err)
	}
	if c.BatchSize < 0 || c.BufferSize < 0 || c.FlushInterval < 0 || c.EnqueueTimeout < 0 || c.Timeout < 0 ||
		c.MinBackoff < 0 || c.MaxBackoff < 0 || c.AckTimeout < 0 {
		return errors.New("httpsink: Config values must not be negative")
	}
	setDefault(&c.Name, "http")
	setDefault(&c.Format, audit.FormatNative)
	setDefault(&c.BatchSize, 100)
	setDefault(&c.FlushInterval, time.Second)
	setDefault(&c.BufferSize, 10000)
	setDefault(&c.EnqueueTimeout, 50*time.Millisecond)
	setDefault(&c.Timeout, 10*time.Second)
	setDefault(&c.MinBackoff, 100*time.Millisecond)
	setDefault(&c.MaxBackoff, 30*time.Second)
	setDefault(&c.AckTimeout, 5*time.Second)
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.Timeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Name implements audit.Sink.
func (s *Sink) Name() string { return s.cfg.Name }

// Durable implements audit.Sink: only with WaitForAck does a nil Write
// mean the SIEM has the event.
func (s *Sink) Durable() bool { return s.cfg.WaitForAck }

// Write buffers e for the next batch. If the buffer is full it waits for
// room at most EnqueueTimeout, then returns ErrBufferFull. With
// WaitForAck it then waits for the SIEM's acknowledgement of the batch,
// at most AckTimeout.
func (s *Sink) Write(ctx context.Context, e *audit.Event) error {
	line, err := audit.AppendJSON(nil, e, s.cfg.Format)
	if err != nil {
		return err
	}
	it := &item{line: append(line, '\n')}
	if s.cfg.WaitForAck {
		it.ack = make(chan error, 1)
	}
	if err := s.enqueue(ctx, it); err != nil {
		return err
	}
	if it.ack == nil {
		return nil
	}
	t := time.NewTimer(s.cfg.AckTimeout)
	defer t.Stop()
	select {
	case err := <-it.ack:
		return err
	case <-t.C:
		return fmt.Errorf("httpsink: %s: no acknowledgement within %v", s.cfg.Name, s.cfg.AckTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sink) enqueue(ctx context.Context, it *item) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- it:
		return nil
	default:
	}
	t := time.NewTimer(s.cfg.EnqueueTimeout)
	defer t.Stop()
	select {
	case s.queue <- it:
		return nil
	case <-t.C:
		s.dropped.Add(1)
		return fmt.Errorf("%w: %d events waiting for %s", ErrBufferFull, len(s.queue), s.cfg.Name)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close sends what is buffered, retrying until ctx ends, and stops the
// sender. Events still unsent when ctx ends are dropped and counted, and
// Close returns ctx's error.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.closing)
	select {
	case <-s.done:
		s.abort()
		return nil
	case <-ctx.Done():
		s.abort()
		<-s.done
		return fmt.Errorf("httpsink: %s: close: %w (%d events dropped in all)", s.cfg.Name, ctx.Err(), s.dropped.Load())
	}
}

// Stats returns the sink's counters.
func (s *Sink) Stats() Stats {
	return Stats{Posts: s.posts.Load(), Sent: s.sent.Load(), Retries: s.retries.Load(), Dropped: s.dropped.Load(), Queued: len(s.queue)}
}

// run is the sender: it takes a first event, waits up to FlushInterval for
// the batch to fill, and sends it; after Close it sends what is left.
func (s *Sink) run() {
	defer close(s.done)
	batch := make([]*item, 0, s.cfg.BatchSize)
	for {
		var closing bool
		select {
		case it := <-s.queue:
			batch = append(batch[:0], it)
		case <-s.closing:
			closing = true
		}
		if closing {
			s.drain(batch[:0])
			return
		}
		s.fill(&batch)
		s.send(batch)
	}
}

// fill adds events to batch until it is full, FlushInterval passes, or
// the sink is closing and nothing more is queued. With WaitForAck it
// does not wait: requests are waiting for this batch, so it takes what
// is queued and goes, and events that arrive meanwhile make the next
// batch (group commit, as the file log does).
func (s *Sink) fill(batch *[]*item) {
	t := time.NewTimer(s.cfg.FlushInterval)
	defer t.Stop()
	wait := !s.cfg.WaitForAck
	for len(*batch) < s.cfg.BatchSize {
		select {
		case it := <-s.queue:
			*batch = append(*batch, it)
			continue
		default:
		}
		if !wait {
			return
		}
		select {
		case it := <-s.queue:
			*batch = append(*batch, it)
		case <-t.C:
			return
		case <-s.closing:
			wait = false // take what is queued, without waiting for more
		}
	}
}

// drain sends everything still queued after Close (no Write enqueues any
// more), in full batches.
func (s *Sink) drain(batch []*item) {
	for {
		batch = batch[:0]
	take:
		for len(batch) < s.cfg.BatchSize {
			select {
			case it := <-s.queue:
				batch = append(batch, it)
			default:
				break take
			}
		}
		if len(batch) == 0 {
			return
		}
		s.send(batch)
	}
}

// send POSTs batch until the SIEM acknowledges it, rejects it for good,
// or the sink is aborted, and answers the events that wait for an ack.
func (s *Sink) send(batch []*item) {
	var body bytes.Buffer
	for _, it := range batch {
		body.Write(it.line)
	}
	var err error
	for attempt := 0; ; attempt++ {
		if err = s.post(body.Bytes()); err == nil {
			s.sent.Add(uint64(len(batch)))
			break
		}
		if errors.Is(err, ErrRejected) {
			s.cfg.Logger.Error("audit SIEM rejected a batch; dropped", "sink", s.cfg.Name, "events", len(batch), "err", err)
			s.dropped.Add(uint64(len(batch)))
			break
		}
		if attempt == 0 || attempt%10 == 0 {
			s.cfg.Logger.Warn("audit SIEM unavailable; retrying", "sink", s.cfg.Name, "events", len(batch), "attempt", attempt+1, "err", err)
		}
		t := time.NewTimer(s.backoff(attempt))
		select {
		case <-t.C:
			s.retries.Add(1)
			continue
		case <-s.life.Done():
			t.Stop()
			s.dropped.Add(uint64(len(batch)))
			err = fmt.Errorf("httpsink: %s closed before the SIEM accepted the batch: %w", s.cfg.Name, err)
		}
		break
	}
	for _, it := range batch {
		if it.ack != nil {
			it.ack <- err
		}
	}
}

// post makes one POST of body. A 2xx is success; 408, 429 and 5xx and
// transport errors can be retried; other statuses are ErrRejected.
func (s *Sink) post(body []byte) error {
	ctx, cancel := context.WithTimeout(s.life, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRejected, err)
	}
	for k, v := range s.cfg.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	s.posts.Add(1)
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return fmt.Errorf("httpsink: %s answered %s", s.cfg.Name, resp.Status)
	}
	return fmt.Errorf("%w: %s answered %s", ErrRejected, s.cfg.Name, resp.Status)
}

// backoff returns the delay before retry attempt+1: MinBackoff doubled
// per attempt up to MaxBackoff, then a random point in its upper half so
// that many Coffer nodes do not retry in step.
func (s *Sink) backoff(attempt int) time.Duration {
	d := s.cfg.MaxBackoff
	if attempt < 32 {
		d = min(s.cfg.MinBackoff<<attempt, s.cfg.MaxBackoff)
	}
	var b [8]byte
	rand.Read(b[:])
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(binary.LittleEndian.Uint64(b[:])%uint64(half))
}
