package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// logBuffer is a logger's output, safe to read while the engine logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start runs e until the test ends, and fails the test if Run does not
// return once its context is cancelled.
func start(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of its context ending")
		}
	})
}

// settle waits until the rule worker has processed every event observed
// so far, flushed the due alerts at the clock's time, and the webhook has
// settled each of them.
func settle(t *testing.T, e *Engine) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		flushed := make(chan struct{})
		e.queue <- item{sync: flushed}
		<-flushed
		e.mu.Lock()
		for e.inflight > 0 {
			e.settled.Wait()
		}
		e.mu.Unlock()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("engine did not settle within 10s")
	}
}

// newEngine returns a running engine on clk with cfg and opts.
func newEngine(t *testing.T, clk *clock, cfg Config, opts Options) *Engine {
	t.Helper()
	opts.Now = clk.Now
	if opts.After == nil {
		opts.After = noWait(nil)
	}
	e, err := New(cfg, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	start(t, e)
	return e
}

// noWait is an Options.After that records the waits asked for in *waits
// (when not nil) and returns at once.
func noWait(waits *[]time.Duration) func(time.Duration) <-chan time.Time {
	var mu sync.Mutex
	return func(d time.Duration) <-chan time.Time {
		if waits != nil {
			mu.Lock()
			*waits = append(*waits, d)
			mu.Unlock()
		}
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
}

// hook is a webhook receiver that answers with statuses in order (then
// 200) and keeps every request it gets.
type hook struct {
	URL string

	mu       sync.Mutex
	statuses []int
	bodies   [][]byte
	headers  []http.Header
}

func newHook(t *testing.T, statuses ...int) *hook {
	t.Helper()
	h := &hook{statuses: statuses}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("webhook read body: %v", err)
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		h.headers = append(h.headers, r.Header.Clone())
		status := http.StatusOK
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL + "/hook"
	return h
}

// requests returns the number of requests received so far.
func (h *hook) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

// payloads decodes every request body received so far.
func (h *hook) payloads(t *testing.T) []payload {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []payload
	for _, b := range h.bodies {
		var p payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		out = append(out, p)
	}
	return out
}

// rulesOnly returns a config in which only the named rule is on.
func rulesOnly(rule string) Config {
	var c Config
	c.DeniedBurst.Disabled = rule != RuleDeniedBurst
	c.ReadRate.Disabled = rule != RuleReadRate
	c.NewSourceIP.Disabled = rule != RuleNewSourceIP
	c.BreakGlass.Disabled = rule != RuleBreakGlass
	return c
}

// alertsOf returns the alerts of rule among all.
func alertsOf(all []Alert, rule string) []Alert {
	var out []Alert
	for _, a := range all {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}

const (
	principalA = "arn:aws:iam::123456789012:role/app-a"
	principalB = "arn:aws:iam::123456789012:role/app-b"
	principalC = "arn:aws:iam::123456789012:role/app-c"
	secretX    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-X1y2Z3"
	secretY    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-a1B2c3"
)

// read returns an event for a secret read by principal from ip at t.
func read(t time.Time, principal, ip, secret string) *Event {
	return &Event{
		Time:        t,
		RequestID:   "req-" + t.Format("150405.000000000"),
		Principal:   principal,
		AccessKeyID: "AKIAEXAMPLE",
		SourceIP:    ip,
		Service:     "secretsmanager",
		Operation:   "GetSecretValue",
		Resources:   []string{secret},
		ReadsSecret: true,
	}
}

// denied returns an access-denied event for principal from ip at t.
func denied(t time.Time, principal, ip string) *Event {
	return &Event{
		Time:      t,
		RequestID: "req-" + t.Format("150405.000000000"),
		Principal: principal,
		SourceIP:  ip,
		Service:   "secretsmanager",
		Operation: "GetSecretValue",
		Resources: []string{secretX},
		Denied:    true,
		ErrorCode: "AccessDeniedException",
	}
}
