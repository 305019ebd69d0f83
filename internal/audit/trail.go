package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sink is a destination for events: the file Log, a StreamSink (stdout),
// the SIEM sink of package httpsink. Implementations must be safe for
// concurrent use.
type Sink interface {
	// Name identifies the sink in logs and stats ("file", "stdout", ...).
	Name() string
	// Write delivers e, which Trail has prepared (ID and time set,
	// sensitive parameters digested) and which the sink must not modify
	// nor keep after Write returns (encode it, as every sink here does).
	// It returns nil once the sink has accepted e: durably if Durable.
	// It must not block for long: a sink that waits for room in a buffer
	// bounds that wait.
	Write(ctx context.Context, e *Event) error
	// Durable reports whether a nil Write means e is on stable storage
	// (or acknowledged by a store that is), so that Trail may serve the
	// request on this sink's word.
	Durable() bool
	// Close flushes what the sink holds and releases it; ctx bounds the
	// flush.
	Close(ctx context.Context) error
}

// ErrNotRecorded is returned (wrapped, with each sink's error) by
// Trail.Append when no durable sink accepted the event. The request must
// then be refused: Coffer never serves an unaudited response.
var ErrNotRecorded = errors.New("audit: no durable sink accepted the event")

// Config configures a Trail.
type Config struct {
	Keys   *Keys  // required: digests sensitive parameters
	Sinks  []Sink // at least one of them Durable
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
}

// Trail fans each event out to its sinks, with one rule (Vault's, made
// durable): Append succeeds if at least one Durable sink accepted the
// event. Append waits for every durable sink, so when the file Log is
// configured an Append that returns nil has the record fdatasync'd in the
// log, unless the log failed and another durable sink took the event.
// Sinks that are not durable get the event only once a durable sink has
// it, so a SIEM never hears of a request that was refused for want of an
// audit record; their failures are counted and logged, and never fail a
// request.
type Trail struct {
	keys    *Keys
	durable []Sink
	others  []Sink
	stats   []sinkStats // by position in durable, then others
	log     *slog.Logger
	now     func() time.Time
}

type sinkStats struct {
	name             string
	accepted, failed atomic.Uint64
	lastLog          atomic.Int64 // unix nanos of the last failure logged
}

// SinkStats counts what one sink accepted and refused.
type SinkStats struct {
	Name     string
	Durable  bool
	Accepted uint64
	Failed   uint64
}

// New returns a Trail over cfg.Sinks. It refuses a configuration in which
// no sink is durable: every request would be refused.
func New(cfg Config) (*Trail, error) {
	if cfg.Keys == nil {
		return nil, errors.New("audit: Config.Keys is nil")
	}
	t := &Trail{keys: cfg.Keys, log: cfg.Logger, now: cfg.Now}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.now == nil {
		t.now = time.Now
	}
	for _, s := range cfg.Sinks {
		if s.Durable() {
			t.durable = append(t.durable, s)
		}
	}
	for _, s := range cfg.Sinks {
		if !s.Durable() {
			t.others = append(t.others, s)
		}
	}
	if len(t.durable) == 0 {
		return nil, errors.New("audit: no durable sink configured (the file log, or a sink marked durable): every request would be refused")
	}
	t.stats = make([]sinkStats, len(t.durable)+len(t.others))
	for i, s := range append(append([]Sink(nil), t.durable...), t.others...) {
		t.stats[i].name = s.Name()
	}
	return t, nil
}

// Append prepares e (see Event.Params) and writes it to the sinks. It
// returns nil if a durable sink accepted it, ErrInvalidEvent for an event
// that cannot be recorded, and an error wrapping ErrNotRecorded otherwise.
func (t *Trail) Append(ctx context.Context, e *Event) error {
	p, err := prepare(e, t.keys, t.now())
	if err != nil {
		return err
	}
	if len(t.durable) == 1 {
		// The common case, the file log alone: no fan-out to allocate for.
		if err := t.durable[0].Write(ctx, p); err != nil {
			t.count(0, err)
			return fmt.Errorf("%w: %s: %w", ErrNotRecorded, t.durable[0].Name(), err)
		}
		t.count(0, nil)
		t.writeOthers(ctx, p)
		return nil
	}
	errs := make([]error, len(t.durable))
	var wg sync.WaitGroup
	for i, s := range t.durable {
		wg.Go(func() { errs[i] = s.Write(ctx, p) })
	}
	wg.Wait()
	accepted := false
	for i, err := range errs {
		t.count(i, err)
		if err == nil {
			accepted = true
		} else {
			errs[i] = fmt.Errorf("%s: %w", t.durable[i].Name(), err)
		}
	}
	if !accepted {
		return fmt.Errorf("%w: %w", ErrNotRecorded, errors.Join(errs...))
	}
	t.writeOthers(ctx, p)
	return nil
}

// writeOthers gives p to the sinks that are not durable, once a durable
// one has it.
func (t *Trail) writeOthers(ctx context.Context, p *Event) {
	for i, s := range t.others {
		t.count(len(t.durable)+i, s.Write(ctx, p))
	}
}

// count records a sink's outcome, logging failures at most once every ten
// seconds per sink so that an outage of a SIEM does not flood the log.
func (t *Trail) count(i int, err error) {
	st := &t.stats[i]
	if err == nil {
		st.accepted.Add(1)
		return
	}
	n := st.failed.Add(1)
	now := t.now().UnixNano()
	if last := st.lastLog.Load(); now-last >= int64(10*time.Second) && st.lastLog.CompareAndSwap(last, now) {
		t.log.Error("audit sink refused an event", "sink", st.name, "failed_total", n, "err", err)
	}
}

// Stats returns what each sink accepted and refused.
func (t *Trail) Stats() []SinkStats {
	out := make([]SinkStats, len(t.stats))
	for i := range t.stats {
		out[i] = SinkStats{Name: t.stats[i].name, Durable: i < len(t.durable),
			Accepted: t.stats[i].accepted.Load(), Failed: t.stats[i].failed.Load()}
	}
	return out
}

// Close closes the sinks that are not durable (flushing what they hold,
// within ctx), then the durable ones, and returns every error.
func (t *Trail) Close(ctx context.Context) error {
	var errs []error
	for _, s := range append(append([]Sink(nil), t.others...), t.durable...) {
		if err := s.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("audit: close sink %s: %w", s.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// Format is the JSON shape a sink writes events in.
type Format string

const (
	// FormatNative is Event's own JSON, as in the log's records.
	FormatNative Format = "native"
	// FormatCloudTrail is an AWS CloudTrail event record (see CloudTrail).
	FormatCloudTrail Format = "cloudtrail"
)

// ParseFormat parses a Format name; "" is FormatNative.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", FormatNative:
		return FormatNative, nil
	case FormatCloudTrail:
		return FormatCloudTrail, nil
	}
	return "", fmt.Errorf("audit: unknown format %q (want native or cloudtrail)", s)
}

// AppendJSON appends e in format f to dst, without a newline.
func AppendJSON(dst []byte, e *Event, f Format) ([]byte, error) {
	if f != FormatCloudTrail {
		return appendEvent(dst, e), nil
	}
	b, err := json.Marshal(CloudTrail(e))
	if err != nil {
		return dst, fmt.Errorf("audit: encode event: %w", err)
	}
	return append(dst, b...), nil
}

// StreamSink writes events as JSON lines to a stream, such as stdout.
type StreamSink struct {
	name    string
	format  Format
	durable bool

	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// StreamConfig configures a StreamSink.
type StreamConfig struct {
	Format Format // default FormatNative
	// Durable makes the sink count as durable: set it only when whoever
	// reads the stream owns durability (journald, a container runtime's
	// log driver), since a nil Write then only means the line was handed
	// to the stream.
	Durable bool
}

// NewStreamSink returns a sink named name that writes one JSON line per
// event to w. Writes are serialized; a stalled reader stalls them.
func NewStreamSink(name string, w io.Writer, cfg StreamConfig) *StreamSink {
	if cfg.Format == "" {
		cfg.Format = FormatNative
	}
	return &StreamSink{name: name, format: cfg.Format, durable: cfg.Durable, w: w}
}

// Name implements Sink.
func (s *StreamSink) Name() string { return s.name }

// Durable implements Sink: StreamConfig.Durable.
func (s *StreamSink) Durable() bool { return s.durable }

// Write writes e as one line.
func (s *StreamSink) Write(_ context.Context, e *Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := AppendJSON(s.buf[:0], e, s.format)
	if err != nil {
		return err
	}
	s.buf = append(b, '\n')
	_, err = s.w.Write(s.buf)
	return err
}

// Close does nothing: the stream belongs to the caller.
func (s *StreamSink) Close(context.Context) error { return nil }
