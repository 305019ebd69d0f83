package alert

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// readsInMinute observes n reads by principal in the minute starting at
// from: spread evenly over it, or clumped into its first second.
func readsInMinute(e *Engine, from time.Time, principal string, n int, clumped bool) {
	span := time.Minute
	if clumped {
		span = time.Second
	}
	for j := range n {
		e.Observe(read(from.Add(time.Duration(j)*span/time.Duration(n)), principal, "10.0.0.1", secretX))
	}
}

func TestReadRateFiresOnJumpNotOnSteadyLoad(t *testing.T) {
	t.Parallel()
	clk := newClock()
	cfg := rulesOnly(RuleReadRate)
	// A jump minute queues 6,900 events before the test settles: room for
	// all of them, so a slow worker (a loaded machine) drops none.
	cfg.QueueSize = 1 << 14
	e := newEngine(t, clk, cfg, Options{})
	t0 := clk.Now()
	minute := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	// Three hours of steady load: 20/min, 500/min, and 500/min arriving
	// in a clump at the start of every minute (a cron fleet).
	const hours = 3
	for m := range hours * 60 {
		readsInMinute(e, minute(m), principalA, 20, false)
		readsInMinute(e, minute(m), principalB, 500, false)
		readsInMinute(e, minute(m), principalC, 500, true)
		clk.Set(minute(m + 1))
		settle(t, e)
	}
	if got := e.Alerts(); len(got) != 0 {
		t.Fatalf("alerts under %d hours of steady load: %+v, want none", hours, got)
	}
	if s := e.Stats(); s.Dropped != 0 {
		t.Fatalf("Stats().Dropped = %d, want 0 (the test settles every minute)", s.Dropped)
	}

	// Then a jump for two minutes: A to 20× its rate, B to 12×; C steady.
	for m := hours * 60; m < hours*60+2; m++ {
		readsInMinute(e, minute(m), principalA, 400, false)
		readsInMinute(e, minute(m), principalB, 6000, false)
		readsInMinute(e, minute(m), principalC, 500, true)
		clk.Set(minute(m + 1))
		settle(t, e)
	}
	for m := hours*60 + 2; m < hours*60+12; m++ {
		readsInMinute(e, minute(m), principalA, 20, false)
		readsInMinute(e, minute(m), principalB, 500, false)
		readsInMinute(e, minute(m), principalC, 500, true)
		clk.Set(minute(m + 1))
		settle(t, e)
	}
	if s := e.Stats(); s.Dropped != 0 {
		t.Fatalf("Stats().Dropped = %d, want 0", s.Dropped)
	}
	got := e.Alerts()
	if len(got) != 2 {
		t.Fatalf("%d alerts after the jump, want one each for A and B: %+v", len(got), got)
	}
	for i, who := range []string{principalA, principalB} {
		a := got[i]
		if a.Rule != RuleReadRate || a.Principal != who || !strings.Contains(a.Message, "baseline") {
			t.Errorf("alert %d = %+v, want read-rate for %s naming the baseline", i, a, who)
		}
		if a.First.Before(minute(hours*60)) || a.First.After(minute(hours*60+1)) {
			t.Errorf("alert %d first occurrence at %v, want in the first minute of the jump (%v)", i, a.First, minute(hours*60))
		}
	}
	if got[0].Count < 200 || got[1].Count < 5000 {
		t.Errorf("counts %d and %d, want at least the thresholds 200 and 5000", got[0].Count, got[1].Count)
	}
}

// A principal with no baseline yet alerts in its first minute only above
// the ceiling, and after it is measured against its first minute.
func TestReadRateNewPrincipal(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEngine(t, clk, rulesOnly(RuleReadRate), Options{})
	t0 := clk.Now()
	for m := range 5 {
		readsInMinute(e, t0.Add(time.Duration(m)*time.Minute), principalA, 900, m == 0)
		clk.Advance(time.Minute)
		settle(t, e)
	}
	if got := e.Alerts(); len(got) != 0 {
		t.Fatalf("alerts for a new principal at 900/min (ceiling 1000): %+v, want none", got)
	}
	readsInMinute(e, clk.Now(), principalB, 1200, true)
	clk.Advance(time.Minute)
	settle(t, e)
	got := e.Alerts()
	if len(got) != 1 || got[0].Principal != principalB || !strings.Contains(got[0].Message, "first minute") {
		t.Fatalf("alerts after a new principal read 1200 in its first minute = %+v, want one for it", got)
	}
}

// The read-rate state is bounded by MaxPrincipals and forgets idle
// principals.
func TestReadRateStateIsBounded(t *testing.T) {
	t.Parallel()
	cfg, err := Config{MaxPrincipals: 3}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	r := newRules(&cfg, nil)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 10 {
		r.observe(read(now, fmt.Sprintf("arn:aws:iam::123456789012:user/u%d", i), "10.0.0.1", secretX), func(*hit) {})
	}
	if n, m := r.rates.len(), r.sources.len(); n != 3 || m != 3 {
		t.Errorf("principals tracked = %d (read-rate), %d (new-source-ip), want the cap, 3", n, m)
	}
	r.expire(now.Add(24*time.Hour + time.Second))
	if n, m := r.rates.len(), r.sources.len(); n != 0 || m != 3 {
		t.Errorf("after a day idle: %d (read-rate), %d (new-source-ip), want 0 and 3 (sources are only evicted by the cap)", n, m)
	}
}

func TestNewSourceIP(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEngine(t, clk, rulesOnly(RuleNewSourceIP), Options{})
	t0 := clk.Now()
	at := func(d time.Duration) time.Time { clk.Set(t0.Add(d)); return clk.Now() }

	// Learning: the first day's sources are remembered, not alerted.
	e.Observe(read(at(0), principalA, "192.0.2.1", secretX))
	e.Observe(read(at(time.Hour), principalA, "192.0.2.2", secretX))
	e.Observe(read(at(23*time.Hour), principalA, "198.51.100.1", secretY))
	e.Observe(read(at(0), principalB, "2001:db8::1", secretX))
	at(23*time.Hour + time.Minute)
	settle(t, e)
	if got := e.Alerts(); len(got) != 0 {
		t.Fatalf("alerts during the learning period: %+v, want none", got)
	}

	// After it, known sources are quiet; a new one alerts once.
	e.Observe(read(at(25*time.Hour), principalA, "192.0.2.1", secretX))
	e.Observe(read(at(25*time.Hour), principalA, "::ffff:192.0.2.2", secretX)) // IPv4-mapped: the same source
	e.Observe(read(at(25*time.Hour), principalB, "2001:db8::beef", secretX))   // same /64
	e.Observe(read(at(25*time.Hour+time.Second), principalA, "203.0.113.5", secretY))
	e.Observe(read(at(25*time.Hour+2*time.Second), principalA, "203.0.113.5", secretY))
	at(25*time.Hour + time.Minute)
	settle(t, e)
	e.Observe(read(at(26*time.Hour), principalA, "203.0.113.5", secretX)) // now known
	at(27 * time.Hour)
	settle(t, e)
	got := e.Alerts()
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1: %+v", len(got), got)
	}
	if a := got[0]; a.Rule != RuleNewSourceIP || a.Principal != principalA || a.SourceIP != "203.0.113.5" || a.Resource != secretY || a.Count != 1 {
		t.Errorf("alert = %+v, want new-source-ip for %s from 203.0.113.5 reading %s, count 1", a, principalA, secretY)
	}
	// Another /64 is another source.
	e.Observe(read(at(28*time.Hour), principalB, "2001:db8:1::1", secretX))
	at(28*time.Hour + time.Minute)
	settle(t, e)
	if got := alertsOf(e.Alerts(), RuleNewSourceIP); len(got) != 2 || got[1].Principal != principalB {
		t.Errorf("alerts after B read from a new /64 = %+v, want a second, for B", got)
	}
}

func TestNewSourceIPRemembersABoundedNumberOfSources(t *testing.T) {
	t.Parallel()
	cfg, err := Config{NewSourceIP: NewSourceIPRule{MaxIPs: 2}}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	r := newRules(&cfg, nil)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var hits []string
	observe := func(d time.Duration, ip string) {
		r.observe(read(now.Add(d), principalA, ip, secretX), func(h *hit) {
			if h.rule == RuleNewSourceIP {
				hits = append(hits, h.sourceIP)
			}
		})
	}
	observe(0, "10.0.0.1")
	observe(time.Hour, "10.0.0.2")
	observe(25*time.Hour, "10.0.0.3") // new: alerts, and 10.0.0.1 (least recently used) is forgotten
	observe(25*time.Hour, "10.0.0.2")
	observe(25*time.Hour, "10.0.0.1") // forgotten: alerts again
	if got := strings.Join(hits, " "); got != "10.0.0.3 10.0.0.1" {
		t.Errorf("new-source-ip hits = %q, want %q", got, "10.0.0.3 10.0.0.1")
	}
	if n := r.sources.get(principalA, now).seen.len(); n != 2 {
		t.Errorf("sources remembered = %d, want the cap, 2", n)
	}
}

func TestBreakGlass(t *testing.T) {
	t.Parallel()
	clk := newClock()
	e := newEngine(t, clk, rulesOnly(RuleBreakGlass), Options{BreakGlass: func(arn string) bool { return arn == secretX }})
	e.Observe(read(clk.Now(), principalA, "10.0.0.1", secretY))
	d := denied(clk.Now(), principalA, "10.0.0.1") // a denied read of the break-glass secret returns nothing
	e.Observe(d)
	clk.Advance(time.Minute)
	settle(t, e)
	if got := e.Alerts(); len(got) != 0 {
		t.Fatalf("alerts after reading a plain secret and a denied read: %+v, want none", got)
	}
	batch := read(clk.Now(), principalB, "10.0.0.2", secretY)
	batch.Operation, batch.Resources = "BatchGetSecretValue", []string{secretY, secretX}
	e.Observe(batch)
	clk.Advance(time.Minute)
	settle(t, e)
	got := e.Alerts()
	if len(got) != 1 {
		t.Fatalf("%d alerts after a read of the break-glass secret, want 1: %+v", len(got), got)
	}
	if a := got[0]; a.Rule != RuleBreakGlass || a.Principal != principalB || a.Resource != secretX || a.SourceIP != "10.0.0.2" {
		t.Errorf("alert = %+v, want break-glass for %s reading %s", a, principalB, secretX)
	}
}

// Without the BreakGlass callback the rule is off, and Observe does not
// queue reads for it alone.
func TestBreakGlassNeedsCallback(t *testing.T) {
	t.Parallel()
	e, err := New(rulesOnly(RuleBreakGlass), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.Observe(read(time.Now(), principalA, "10.0.0.1", secretX))
	if n := len(e.queue); n != 0 {
		t.Errorf("queued %d events with no rule to look at them, want 0", n)
	}
}

// TestWarmCarriesLearningAcrossARestart feeds an engine a day of reads
// with Warm, as the server does from its audit log at start. Against an
// engine that starts cold: a new source alerts at once (the cold one is
// still learning), and a jump in reads alerts against the carried
// baseline (the cold one has none, and allows up to the ceiling).
func TestWarmCarriesLearningAcrossARestart(t *testing.T) {
	t.Parallel()
	var cfg Config
	cfg.DeniedBurst.Disabled, cfg.BreakGlass.Disabled = true, true
	clk := newClock()
	t0 := clk.Now()
	newEngineAt := func(warm bool) *Engine {
		e, err := New(cfg, Options{Now: clk.Now, After: noWait(nil)})
		if err != nil {
			t.Fatal(err)
		}
		if warm { // 26 hours of 3 reads a minute from one source
			for m := range 26 * 60 {
				for i := range 3 {
					e.Warm(read(t0.Add(time.Duration(m)*time.Minute+time.Duration(i)*time.Second), principalA, "192.0.2.1", secretX))
				}
			}
		}
		start(t, e)
		return e
	}
	clk.Set(t0.Add(26 * time.Hour))
	warm, cold := newEngineAt(true), newEngineAt(false)
	if w := warm.WarmWindow(); w != 24*time.Hour {
		t.Errorf("WarmWindow() = %v, want the 24h learning period", w)
	}
	now := clk.Now()
	for _, e := range []*Engine{warm, cold} {
		for j := range 200 {
			e.Observe(read(now.Add(time.Duration(j)*200*time.Millisecond), principalA, "192.0.2.1", secretX))
		}
		e.Observe(read(now.Add(50*time.Second), principalA, "203.0.113.9", secretX))
	}
	clk.Advance(2 * time.Minute)
	settle(t, warm)
	settle(t, cold)
	rules := func(e *Engine) (out []string) {
		for _, a := range e.Alerts() {
			out = append(out, a.Rule)
		}
		slices.Sort(out)
		return out
	}
	if got, want := rules(warm), []string{RuleNewSourceIP, RuleReadRate}; !slices.Equal(got, want) {
		t.Errorf("warmed engine alerts %v, want %v", got, want)
	}
	if got := rules(cold); len(got) != 0 {
		t.Errorf("cold engine alerts %v, want none (learning; no baseline)", got)
	}
}
