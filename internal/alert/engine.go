package alert

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Event is the part of an audit event the rules look at. It never carries
// a secret value.
type Event struct {
	Time        time.Time // zero: Observe uses Options.Now
	RequestID   string
	Principal   string // principal ARN ("" when unauthenticated)
	AccessKeyID string
	SourceIP    string
	Service     string   // "secretsmanager", "ssm", "iam", "sts"
	Operation   string   // e.g. "GetSecretValue"
	Resources   []string // ARNs
	// Denied is set for AccessDenied (explicit or implicit) and for failed
	// authentication.
	Denied    bool
	ErrorCode string
	// ReadsSecret is set when the operation returned a secret value
	// (GetSecretValue, BatchGetSecretValue, GetParameter(s) WithDecryption,
	// ...).
	ReadsSecret bool
}

// Alert is one alert as it is logged, kept in Engine.Alerts and POSTed to
// the webhook. It covers Count occurrences of its rule between First and
// Last (event times).
type Alert struct {
	Rule      string    `json:"rule"`
	Principal string    `json:"principal"` // "" for an unauthenticated source
	SourceIP  string    `json:"source_ip,omitempty"`
	Resource  string    `json:"resource,omitempty"` // an ARN the first occurrence touched
	Message   string    `json:"message"`
	Count     int       `json:"count"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	// RequestIDs are the request ids of the first occurrences (at most
	// 10), to look up in the audit log.
	RequestIDs []string `json:"request_ids,omitempty"`
}

// Options are an Engine's dependencies; the zero value is ready to use.
type Options struct {
	// Now is the clock of dedupe windows, group waits and the rate limit,
	// and the time of events that carry none. Nil means time.Now.
	Now func() time.Time
	// Client posts to the webhook. Nil means a client of its own.
	Client *http.Client
	// Logger receives every alert (Warn) and webhook failures. Nil
	// discards.
	Logger *slog.Logger
	// BreakGlass reports whether the secret with this ARN is marked
	// break-glass. It is called from the rule worker, never from Observe.
	// Nil turns the break-glass rule off.
	BreakGlass func(resourceARN string) bool
	// After waits before a webhook retry. Nil means time.After; tests
	// inject one that does not wait.
	After func(time.Duration) <-chan time.Time
}

// Stats counts what the engine did since New.
type Stats struct {
	Dropped   uint64 // events Observe dropped because the queue was full
	Overflow  uint64 // rule hits lost because the alert groups were at their cap
	Alerts    uint64 // alerts emitted (logged, kept, handed to the webhook)
	Delivered uint64 // alerts the webhook accepted
	Failed    uint64 // alerts the webhook never accepted
}

// recentAlerts is how many alerts Engine.Alerts returns at most.
const recentAlerts = 100

// Engine evaluates the rules over observed events and delivers alerts.
type Engine struct {
	cfg        Config
	now        func() time.Time
	log        *slog.Logger
	client     *http.Client
	breakGlass func(string) bool
	after      func(time.Duration) <-chan time.Time

	// wantDenied and wantReads say which events some enabled rule looks
	// at; Observe drops the others before queueing.
	wantDenied, wantReads bool
	queue                 chan item
	running               atomic.Bool

	dropped, overflow, alerts, delivered, failed atomic.Uint64

	// Owned by the rule worker (Run): no lock.
	rules      *rules
	groups     map[groupKey]*group
	dueBuf     []*group
	bucket     tokenBucket
	deliveries chan Alert

	mu sync.Mutex
	// recent holds the last alerts emitted, oldest first.
	recent []Alert
	// inflight counts alerts handed to the webhook and not yet settled;
	// settled is signalled when it drops to zero.
	inflight int
	settled  *sync.Cond
}

// item is one queued event, or (with sync set) a request from tests to
// flush and report back.
type item struct {
	ev   Event
	sync chan struct{}
}

// New checks cfg (zero fields take their defaults) and returns an engine.
// Nothing runs until Run.
func New(cfg Config, opts Options) (*Engine, error) {
	cfg, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:        cfg,
		now:        opts.Now,
		log:        opts.Logger,
		client:     opts.Client,
		breakGlass: opts.BreakGlass,
		after:      opts.After,
		queue:      make(chan item, cfg.QueueSize),
		groups:     make(map[groupKey]*group),
		bucket:     newTokenBucket(cfg.RateLimit, time.Minute),
		deliveries: make(chan Alert, min(max(2*cfg.RateLimit, 16), 1024)),
	}
	e.settled = sync.NewCond(&e.mu)
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.client == nil {
		e.client = &http.Client{}
	}
	if e.after == nil {
		e.after = time.After
	}
	e.rules = newRules(&e.cfg, e.breakGlass)
	if !cfg.Disabled {
		e.wantDenied = e.rules.deniedOn
		e.wantReads = e.rules.rateOn || e.rules.sourcesOn || e.rules.breakGlassOn
	}
	return e, nil
}

// Observe hands one request's event to the rules. It is called on the
// request path for every request: it does no I/O and never waits. Events no enabled rule looks at are ignored at once; when the
// queue is full the event is dropped and counted (Stats.Dropped). Observe
// copies *ev but keeps ev.Resources, which the caller must not change
// afterwards. A nil Engine ignores every event.
func (e *Engine) Observe(ev *Event) {
	if e == nil || !(ev.Denied && e.wantDenied || ev.ReadsSecret && e.wantReads) {
		return
	}
	it := item{ev: *ev}
	if it.ev.Time.IsZero() {
		it.ev.Time = e.now()
	}
	select {
	case e.queue <- it:
	default:
		e.dropped.Add(1)
	}
}

// Warm feeds the rules that learn what is usual (the read-rate baselines
// and the source IPs each principal reads from) an event from before the
// engine started, without raising alerts: the server replays its recent
// audit log with it, so that a restart does not begin a new learning
// period and a read-rate baseline survives it. Denied bursts and
// break-glass reads are about now, not history, and are not warmed. Call
// Warm before Run, in time order; it is not safe for concurrent use.
func (e *Engine) Warm(ev *Event) {
	if e == nil || e.cfg.Disabled || !ev.ReadsSecret || ev.Principal == "" || ev.Time.IsZero() {
		return
	}
	if e.running.Load() {
		panic("alert: Engine.Warm called after Run")
	}
	discard := func(*hit) {}
	if e.rules.rateOn {
		e.rules.readRate(ev, discard)
	}
	if e.rules.sourcesOn {
		e.rules.newSourceIP(ev, discard)
	}
}

// WarmWindow is how far back Warm is worth feeding: the source-IP
// learning period, or three read-rate baseline periods, whichever is
// longer among the rules that are on; 0 if none learns.
func (e *Engine) WarmWindow() time.Duration {
	if e == nil || e.cfg.Disabled {
		return 0
	}
	var w time.Duration
	if e.rules.rateOn {
		w = 3 * time.Duration(e.cfg.ReadRate.Baseline)
	}
	if e.rules.sourcesOn {
		w = max(w, time.Duration(e.cfg.NewSourceIP.Learning))
	}
	return w
}

// Run evaluates the rules and delivers alerts until ctx ends, then logs
// the alerts still pending and returns once its goroutines have stopped.
// Call it once.
func (e *Engine) Run(ctx context.Context) {
	if !e.running.CompareAndSwap(false, true) {
		panic("alert: Engine.Run called twice")
	}
	var wg sync.WaitGroup
	if e.cfg.Webhook.URL != "" {
		wg.Go(func() { e.deliver(ctx) })
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			e.shutdown()
			wg.Wait()
			return
		case it := <-e.queue:
			if it.sync != nil {
				e.flush(e.now())
				close(it.sync)
				continue
			}
			e.process(&it.ev)
		case <-tick.C:
			e.flush(e.now())
		}
	}
}

// process runs the rules over one event. Its hits are grouped by the
// event's time, not the time the worker got to it, so a backlog does not
// delay alerts further.
func (e *Engine) process(ev *Event) {
	e.rules.observe(ev, func(h *hit) { e.addHit(h, ev.Time) })
}

// Alerts returns the most recent alerts emitted (at most 100), oldest
// first.
func (e *Engine) Alerts() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Alert, len(e.recent))
	for i, a := range e.recent {
		a.RequestIDs = append([]string(nil), a.RequestIDs...)
		out[i] = a
	}
	return out
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Dropped:   e.dropped.Load(),
		Overflow:  e.overflow.Load(),
		Alerts:    e.alerts.Load(),
		Delivered: e.delivered.Load(),
		Failed:    e.failed.Load(),
	}
}

// emit logs a, keeps it among the recent alerts and hands it to the
// webhook.
func (e *Engine) emit(a Alert) {
	e.alerts.Add(1)
	e.logAlert("alert", a)
	hooked := e.cfg.Webhook.URL != ""
	e.mu.Lock()
	if len(e.recent) == recentAlerts {
		e.recent = append(e.recent[:0], e.recent[1:]...)
	}
	e.recent = append(e.recent, a)
	if hooked {
		e.inflight++
	}
	e.mu.Unlock()
	if !hooked {
		return
	}
	select {
	case e.deliveries <- a:
	default:
		e.failed.Add(1)
		e.settle()
		e.log.Error("alert webhook queue full; alert not posted", "rule", a.Rule, "principal", a.Principal)
	}
}

func (e *Engine) logAlert(msg string, a Alert) {
	e.log.Warn(msg,
		"rule", a.Rule,
		"principal", a.Principal,
		"source_ip", a.SourceIP,
		"resource", a.Resource,
		"count", a.Count,
		"first", a.First,
		"last", a.Last,
		"request_ids", a.RequestIDs,
		"detail", a.Message)
}

// settle marks one webhook delivery as done.
func (e *Engine) settle() {
	e.mu.Lock()
	e.inflight--
	if e.inflight == 0 {
		e.settled.Broadcast()
	}
	e.mu.Unlock()
}

// shutdown logs the alerts that are still pending: they would otherwise be
// lost silently.
func (e *Engine) shutdown() {
	for _, g := range e.groups {
		if g.pending.Count > 0 {
			e.logAlert("alert pending at shutdown, not delivered", g.pending)
		}
	}
}
