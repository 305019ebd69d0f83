package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDeniedBurstIsOneWebhookDelivery(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHook(t)
	cfg := Config{Webhook: Webhook{URL: h.URL}}
	e := newEngine(t, clk, cfg, Options{})

	start := clk.Now()
	var ids []string
	for i := range 50 {
		ev := denied(clk.Advance(100*time.Millisecond), principalA, "198.51.100.7")
		ids = append(ids, ev.RequestID)
		e.Observe(ev)
		if i%10 == 0 {
			settle(t, e)
		}
	}
	settle(t, e)
	if n := h.requests(); n != 0 {
		t.Fatalf("webhook got %d requests before the group wait ended, want 0", n)
	}
	clk.Advance(10 * time.Second)
	settle(t, e)
	clk.Advance(20 * time.Minute)
	settle(t, e)

	got := h.payloads(t)
	if len(got) != 1 {
		t.Fatalf("webhook got %d deliveries, want exactly 1: %+v", len(got), got)
	}
	want := Alert{
		Rule:       RuleDeniedBurst,
		Principal:  principalA,
		SourceIP:   "198.51.100.7",
		Resource:   secretX,
		Message:    "at least 10 denied requests within 1m0s",
		Count:      50,
		First:      start.Add(100 * time.Millisecond),
		Last:       start.Add(5000 * time.Millisecond),
		RequestIDs: ids[:10],
	}
	if diff := cmp.Diff(want, got[0].Alert); diff != "" {
		t.Errorf("delivered alert (-want +got):\n%s", diff)
	}
	if got[0].Source != "coffer" || !strings.Contains(got[0].Text, "denied-burst") || !strings.Contains(got[0].Text, principalA) {
		t.Errorf("payload text %q source %q: want the rule and principal, source coffer", got[0].Text, got[0].Source)
	}
	if diff := cmp.Diff([]Alert{want}, e.Alerts()); diff != "" {
		t.Errorf("Alerts() (-want +got):\n%s", diff)
	}
	if s := e.Stats(); s.Alerts != 1 || s.Delivered != 1 || s.Failed != 0 || s.Dropped != 0 {
		t.Errorf("Stats() = %+v, want 1 alert delivered, nothing failed or dropped", s)
	}
}

// The first nine denied requests of a burst are not an alert: the tenth,
// within the window, is; ten spread over more than the window are not.
func TestDeniedBurstThresholdAndWindow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEngine(t, clk, rulesOnly(RuleDeniedBurst), Options{})
	for range 9 {
		e.Observe(denied(clk.Advance(time.Second), principalA, "198.51.100.7"))
	}
	// Unauthenticated requests from another address count apart, by address.
	for range 10 {
		e.Observe(denied(clk.Advance(7*time.Second), "", "203.0.113.9")) // 10 in 63 s
	}
	clk.Advance(time.Hour)
	settle(t, e)
	if got := e.Alerts(); len(got) != 0 {
		t.Fatalf("alerts after 9 denied, and 10 over 63s: %+v, want none", got)
	}
	for range 10 {
		e.Observe(denied(clk.Advance(time.Second), "", "203.0.113.9"))
	}
	clk.Advance(time.Minute)
	settle(t, e)
	got := e.Alerts()
	if len(got) != 1 || got[0].Principal != "" || got[0].SourceIP != "203.0.113.9" || got[0].Count != 10 {
		t.Fatalf("alerts after 10 unauthenticated denied in 10s = %+v, want one for the source IP, count 10", got)
	}
}

// A group alerts once per dedupe window; what it suppresses in between is
// counted into the next alert, which comes when the window ends. After a
// quiet window, the next hit starts a fresh group.
func TestDedupeCountsSuppressedIntoNextAlert(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEngine(t, clk, rulesOnly(RuleBreakGlass), Options{BreakGlass: func(arn string) bool { return arn == secretX }})
	t0 := clk.Now()
	e.Observe(read(t0, principalA, "10.0.0.1", secretX))
	clk.Advance(10 * time.Second)
	settle(t, e) // first alert at t0+10s
	var later []time.Time
	for range 5 {
		later = append(later, clk.Advance(time.Minute))
		e.Observe(read(later[len(later)-1], principalA, "10.0.0.1", secretX))
	}
	settle(t, e)
	if n := len(e.Alerts()); n != 1 {
		t.Fatalf("%d alerts within the dedupe window, want 1", n)
	}
	clk.Set(t0.Add(10*time.Second + 15*time.Minute))
	settle(t, e)
	got := e.Alerts()
	if len(got) != 2 {
		t.Fatalf("%d alerts after the dedupe window, want 2: %+v", len(got), got)
	}
	if got[0].Count != 1 || got[1].Count != 5 || !got[1].First.Equal(later[0]) || !got[1].Last.Equal(later[4]) {
		t.Errorf("alerts = %+v,\nwant the first with count 1 and the second with count 5 from %v to %v", got, later[0], later[4])
	}
	// Quiet for a whole window: the group is forgotten, and the next read
	// waits only the group wait.
	clk.Advance(16 * time.Minute)
	settle(t, e)
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX))
	clk.Advance(10 * time.Second)
	settle(t, e)
	if got := e.Alerts(); len(got) != 3 || got[2].Count != 1 {
		t.Errorf("alerts after a quiet window = %+v, want a third with count 1", got)
	}
}

// Over the global rate limit alerts are held, not lost: they go out as
// the bucket refills, urgent (break-glass) ones first.
func TestRateLimitHoldsAlertsUntilTokensRefill(t *testing.T) {
	t.Parallel()
	clk := newClock()
	cfg := rulesOnly(RuleBreakGlass)
	cfg.DeniedBurst.Disabled = false
	e := newEngine(t, clk, cfg, Options{BreakGlass: func(arn string) bool { return arn == secretX }})
	for i := range 14 {
		p := fmt.Sprintf("arn:aws:iam::123456789012:user/u%02d", i)
		for range 10 {
			e.Observe(denied(clk.Now(), p, "10.0.0.1"))
		}
	}
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX)) // urgent, and the last to come
	settle(t, e)                                                // all grouped before any is due
	clk.Advance(10 * time.Second)
	settle(t, e)
	got := e.Alerts()
	if len(got) != 10 {
		t.Fatalf("%d alerts in the first minute, want the rate limit, 10", len(got))
	}
	if got[0].Rule != RuleBreakGlass {
		t.Errorf("first alert under the rate limit is %s, want break-glass first", got[0].Rule)
	}
	clk.Advance(18 * time.Second) // 3 tokens at 10/min
	settle(t, e)
	if n := len(e.Alerts()); n != 13 {
		t.Errorf("%d alerts after 18s more, want 13", n)
	}
	clk.Advance(time.Minute)
	settle(t, e)
	if n := len(e.Alerts()); n != 15 {
		t.Errorf("%d alerts in all, want 15: none lost to the rate limit", n)
	}
}

func TestWebhookRetriesAfterServerError(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHook(t, http.StatusInternalServerError, http.StatusBadGateway)
	var waits []time.Duration
	cfg := rulesOnly(RuleBreakGlass)
	cfg.Webhook = Webhook{URL: h.URL, Headers: map[string]string{"Authorization": "Bearer hook-token"}}
	e := newEngine(t, clk, cfg, Options{
		BreakGlass: func(string) bool { return true },
		After:      noWait(&waits),
	})
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX))
	clk.Advance(10 * time.Second)
	settle(t, e)
	if n := h.requests(); n != 3 {
		t.Fatalf("webhook got %d requests, want 3 (500, 502, then 200)", n)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, waits); diff != "" {
		t.Errorf("backoff waits (-want +got):\n%s", diff)
	}
	p := h.payloads(t)
	if p[0].Rule != RuleBreakGlass || p[0].Principal != principalA || p[0].Count != 1 {
		t.Errorf("first payload = %+v, want a break-glass alert for %s, count 1", p[0], principalA)
	}
	for _, q := range p[1:] {
		if diff := cmp.Diff(p[0], q); diff != "" {
			t.Errorf("a retry posted another payload (-first +retry):\n%s", diff)
		}
	}
	h.mu.Lock()
	for _, hd := range h.headers {
		if hd.Get("Authorization") != "Bearer hook-token" || hd.Get("Content-Type") != "application/json" {
			t.Errorf("webhook request headers %v, want the configured Authorization and JSON content type", hd)
		}
	}
	h.mu.Unlock()
	if s := e.Stats(); s.Delivered != 1 || s.Failed != 0 {
		t.Errorf("Stats() = %+v, want 1 delivered, 0 failed", s)
	}
}

// Retries are bounded, a 4xx other than 408 and 429 is not retried, and
// the log names neither the webhook URL (its path may be a credential)
// nor its headers.
func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		statuses []int
		wantReqs int
		wantWait []time.Duration
	}{
		{"a webhook that keeps failing is tried Attempts times", []int{500, 500, 503, 500}, 4, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second}},
		{"a 400 is not retried", []int{400}, 1, nil},
		{"a 429 is retried", []int{429, 429, 429, 429}, 4, []time.Duration{time.Second, 2 * time.Second, 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			h := newHook(t, tc.statuses...)
			var waits []time.Duration
			var logs logBuffer
			cfg := rulesOnly(RuleBreakGlass)
			cfg.Webhook = Webhook{URL: h.URL + "/T0/B0/hook-path-canary", Attempts: 4, MaxBackoff: Duration(2 * time.Second),
				Headers: map[string]string{"X-Token": "header-canary"}}
			e := newEngine(t, clk, cfg, Options{BreakGlass: func(string) bool { return true }, After: noWait(&waits), Logger: logs.logger()})
			e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX))
			clk.Advance(10 * time.Second)
			settle(t, e)
			if n := h.requests(); n != tc.wantReqs {
				t.Errorf("webhook got %d requests, want %d", n, tc.wantReqs)
			}
			if diff := cmp.Diff(tc.wantWait, waits); diff != "" {
				t.Errorf("backoff waits (-want +got):\n%s", diff)
			}
			if s := e.Stats(); s.Delivered != 0 || s.Failed != 1 {
				t.Errorf("Stats() = %+v, want 0 delivered, 1 failed", s)
			}
			out := logs.String()
			if !strings.Contains(out, "alert webhook gave up") {
				t.Errorf("log does not say the webhook gave up:\n%s", out)
			}
			if strings.Contains(out, "canary") {
				t.Errorf("log shows the webhook URL or headers:\n%s", out)
			}
		})
	}
}

func TestWebhookUnreachableLogsNoURL(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T0/B0/path-canary"
	srv.Close() // nothing listens there now
	clk := newClock()
	var logs logBuffer
	cfg := rulesOnly(RuleBreakGlass)
	cfg.Webhook = Webhook{URL: url, Attempts: 2}
	e := newEngine(t, clk, cfg, Options{BreakGlass: func(string) bool { return true }, Logger: logs.logger()})
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX))
	clk.Advance(10 * time.Second)
	settle(t, e)
	out := logs.String()
	if s := e.Stats(); s.Failed != 1 || !strings.Contains(out, "alert webhook gave up") {
		t.Errorf("Stats() = %+v, log:\n%s\nwant one failure, logged", s, out)
	}
	if strings.Contains(out, "canary") {
		t.Errorf("log shows the webhook URL:\n%s", out)
	}
}

func TestNewRefusesBadConfigNamingTheField(t *testing.T) {
	t.Parallel()
	_, err := New(Config{RateLimit: -3}, Options{})
	ce, ok := errors.AsType[*ConfigError](err)
	if !ok || ce.Field != "rate-limit" {
		t.Errorf("New(RateLimit -3) = %v, want a *ConfigError for rate-limit", err)
	}
}

func TestObserveNeverBlocksWhenQueueIsFull(t *testing.T) {
	t.Parallel()
	e, err := New(Config{QueueSize: 4}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// No Run: nothing drains the queue.
	done := make(chan struct{})
	go func() {
		defer close(done)
		now := time.Now()
		for range 100 {
			e.Observe(read(now, principalA, "10.0.0.1", secretX))
		}
		for range 100 {
			e.Observe(&Event{Time: now, Principal: principalA, Operation: "ListSecrets"}) // no rule looks at it
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Observe blocked on a full queue")
	}
	if s := e.Stats(); s.Dropped != 96 {
		t.Errorf("Stats().Dropped = %d, want 96 (100 reads, 4 queued, ListSecrets ignored)", s.Dropped)
	}
	var nilEngine *Engine
	nilEngine.Observe(read(time.Now(), principalA, "10.0.0.1", secretX)) // must not panic
}

func TestDisabledEngineIgnoresEverything(t *testing.T) {
	t.Parallel()
	e, err := New(Config{Disabled: true, QueueSize: 1}, Options{BreakGlass: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		e.Observe(read(time.Now(), principalA, "10.0.0.1", secretX))
		e.Observe(denied(time.Now(), principalA, "10.0.0.1"))
	}
	if s := e.Stats(); s.Dropped != 0 || len(e.queue) != 0 {
		t.Errorf("disabled engine queued %d and dropped %d events, want none", len(e.queue), s.Dropped)
	}
}

// Alerts still waiting for their group wait when Run ends are logged, not
// lost silently.
func TestShutdownLogsPendingAlerts(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var logs logBuffer
	e, err := New(rulesOnly(RuleBreakGlass), Options{Now: clk.Now, Logger: logs.logger(), BreakGlass: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.Run(ctx) }()
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretX))
	settle(t, e)
	cancel()
	<-done
	if out := logs.String(); !strings.Contains(out, "alert pending at shutdown") || !strings.Contains(out, principalA) {
		t.Errorf("log after shutdown:\n%s\nwant the pending break-glass alert", out)
	}
}

// The payload is the documented shape: these keys and nothing else.
func TestPayloadShape(t *testing.T) {
	t.Parallel()
	first := time.Date(2025, 3, 1, 12, 0, 1, 0, time.UTC)
	body, err := json.Marshal(newPayload(Alert{
		Rule: RuleBreakGlass, Principal: principalA, SourceIP: "10.0.0.1", Resource: secretX,
		Message: "read of a break-glass secret", Count: 2, First: first, Last: first.Add(time.Minute),
		RequestIDs: []string{"r1", "r2"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"text":        "coffer alert break-glass: " + principalA + ": read of a break-glass secret (" + secretX + "); 2 between 2025-03-01T12:00:01Z and 2025-03-01T12:01:01Z",
		"source":      "coffer",
		"rule":        "break-glass",
		"principal":   principalA,
		"source_ip":   "10.0.0.1",
		"resource":    secretX,
		"message":     "read of a break-glass secret",
		"count":       2.0,
		"first":       "2025-03-01T12:00:01Z",
		"last":        "2025-03-01T12:01:01Z",
		"request_ids": []any{"r1", "r2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

// BenchmarkObserve measures the request path's cost. "enqueue" keeps room
// in the queue (it is drained with the timer stopped); "queue full" is the
// drop path; "not a read" is what most requests cost.
func BenchmarkObserve(b *testing.B) {
	ev := read(time.Now(), principalA, "10.0.0.1", secretX)
	b.Run("enqueue", func(b *testing.B) {
		e, err := New(Config{}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if len(e.queue) == cap(e.queue) {
				b.StopTimer()
				for len(e.queue) > 0 {
					<-e.queue
				}
				b.StartTimer()
			}
			e.Observe(ev)
		}
		if d := e.Stats().Dropped; d != 0 {
			b.Fatalf("dropped %d events", d)
		}
	})
	b.Run("queue full", func(b *testing.B) {
		e, err := New(Config{QueueSize: 1}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		e.Observe(ev)
		b.ReportAllocs()
		for b.Loop() {
			e.Observe(ev)
		}
	})
	b.Run("not a read", func(b *testing.B) {
		e, err := New(Config{}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		list := &Event{Time: time.Now(), Principal: principalA, Operation: "ListSecrets"}
		b.ReportAllocs()
		for b.Loop() {
			e.Observe(list)
		}
	})
}

// BenchmarkProcess measures the rule worker's cost per secret read, over
// 1000 principals reading steadily with every rule on: the rate of reads
// one worker keeps up with before Observe starts dropping.
func BenchmarkProcess(b *testing.B) {
	e, err := New(Config{}, Options{BreakGlass: func(string) bool { return false }})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	evs := make([]*Event, n)
	for i := range evs {
		evs[i] = read(time.Time{}, fmt.Sprintf("arn:aws:iam::123456789012:role/fn-%d", i), fmt.Sprintf("10.0.%d.%d", i/250, i%250), secretX)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		ev := evs[i%n]
		ev.Time = now.Add(time.Duration(i) * time.Millisecond) // 1000 reads/s in all, 1/s each
		e.process(ev)
		i++
	}
}
