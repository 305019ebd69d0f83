package alert

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
)

// hit is one occurrence of a rule, on its way to an alert group.
type hit struct {
	rule      string
	principal string
	sourceIP  string
	resource  string
	// subject is the part of the group key beyond rule and principal: the
	// source IP of an unauthenticated burst, the ARN of a break-glass
	// secret.
	subject string
	// message describes the occurrence; "" for a hit that continues one
	// already described (the group keeps the last message).
	message string
	count   int
	// first and last are the times of the first and last occurrence.
	first, last time.Time
	requestIDs  []string
	// urgent groups are emitted first when the rate limit is short.
	urgent bool
}

// rules holds the state of the four rules. Only the rule worker uses it.
type rules struct {
	cfg        *Config
	breakGlass func(string) bool
	// Which rules are on; break-glass needs the callback.
	deniedOn, rateOn, sourcesOn, breakGlassOn bool

	bursts  *lru[burstKey, burst]
	rates   *lru[string, rate]
	sources *lru[string, sources]
	// alpha is the weight of the newest minute in the read-rate baseline.
	alpha float64
}

func newRules(cfg *Config, breakGlass func(string) bool) *rules {
	return &rules{
		cfg:          cfg,
		breakGlass:   breakGlass,
		deniedOn:     !cfg.DeniedBurst.Disabled,
		rateOn:       !cfg.ReadRate.Disabled,
		sourcesOn:    !cfg.NewSourceIP.Disabled,
		breakGlassOn: !cfg.BreakGlass.Disabled && breakGlass != nil,
		bursts:       newLRU[burstKey, burst](cfg.MaxPrincipals),
		rates:        newLRU[string, rate](cfg.MaxPrincipals),
		sources:      newLRU[string, sources](cfg.MaxPrincipals),
		alpha:        1 - math.Exp(-float64(time.Minute)/float64(cfg.ReadRate.Baseline)),
	}
}

// observe runs every enabled rule over ev and passes each hit to add. The
// hit is only valid during the call.
func (r *rules) observe(ev *Event, add func(*hit)) {
	if ev.Denied {
		if r.deniedOn {
			r.denied(ev, add)
		}
		return
	}
	if !ev.ReadsSecret || ev.Principal == "" {
		return
	}
	if r.rateOn {
		r.readRate(ev, add)
	}
	if r.sourcesOn {
		r.newSourceIP(ev, add)
	}
	if r.breakGlassOn {
		r.breakGlassRead(ev, add)
	}
}

// expire forgets idle state; now is the engine's clock.
func (r *rules) expire(now time.Time) {
	r.bursts.expire(now.Add(-time.Duration(r.cfg.DeniedBurst.Window)))
	r.rates.expire(now.Add(-time.Duration(r.cfg.ReadRate.Idle)))
	// sources are forgotten only when the cap needs room: forgetting an
	// idle principal would open a new learning period for whoever uses
	// its credentials next.
}

func firstResource(ev *Event) string {
	if len(ev.Resources) == 0 {
		return ""
	}
	return ev.Resources[0]
}

// ---- denied-burst ----------------------------------------------------------

// burstKey is a principal, or for unauthenticated requests a source IP.
type burstKey struct{ principal, sourceIP string }

// burst remembers the last Threshold denied requests of one key, and
// whether it is alerting.
type burst struct {
	ring []denial
	next int // the oldest, once the ring is full
	// firingUntil is set while alerting: each denied request before it
	// is one more occurrence and extends it by the window.
	firingUntil time.Time
}

type denial struct {
	time      time.Time
	requestID string
}

func (r *rules) denied(ev *Event, add func(*hit)) {
	c := &r.cfg.DeniedBurst
	key := burstKey{principal: ev.Principal}
	if key.principal == "" {
		key.sourceIP = ev.SourceIP
	}
	b := r.bursts.get(key, ev.Time)
	if b == nil {
		key = burstKey{strings.Clone(key.principal), strings.Clone(key.sourceIP)}
		b, _ = r.bursts.add(key, burst{ring: make([]denial, 0, c.Threshold)}, ev.Time)
	}
	window := time.Duration(c.Window)
	h := hit{
		rule:      RuleDeniedBurst,
		principal: ev.Principal,
		sourceIP:  ev.SourceIP,
		subject:   key.sourceIP,
		resource:  firstResource(ev),
		count:     1,
		first:     ev.Time,
		last:      ev.Time,
	}
	if ev.Time.Before(b.firingUntil) {
		b.firingUntil = ev.Time.Add(window)
		h.requestIDs = []string{ev.RequestID}
		add(&h)
		return
	}
	d := denial{ev.Time, ev.RequestID}
	if len(b.ring) < c.Threshold {
		b.ring = append(b.ring, d)
	} else {
		b.ring[b.next] = d
		b.next = (b.next + 1) % c.Threshold
	}
	if len(b.ring) < c.Threshold || ev.Time.Sub(b.ring[b.next].time) >= window {
		return
	}
	h.count = c.Threshold
	h.first = b.ring[b.next].time
	h.message = fmt.Sprintf("at least %d denied requests within %s", c.Threshold, window)
	for i := range b.ring {
		h.requestIDs = append(h.requestIDs, b.ring[(b.next+i)%c.Threshold].requestID)
	}
	b.ring, b.next = b.ring[:0], 0
	b.firingUntil = ev.Time.Add(window)
	add(&h)
}

// ---- read-rate -------------------------------------------------------------

// rate is one principal's reads, counted per minute from its first read,
// and its baseline.
type rate struct {
	start     time.Time // first read; minute k is [start+k·1m, start+(k+1)·1m)
	minute    int64     // the current minute
	cur, prev float64   // reads in the current and the previous minute
	// ewma averages the completed minutes, newest weighted alpha; weight
	// is the total weight they carry (1 - (1-alpha)^minutes), so that
	// ewma/weight is an unbiased baseline from the first minute on. Zero
	// weight: no minute completed yet, no baseline.
	ewma, weight float64
	firing       bool
}

func (r *rules) readRate(ev *Event, add func(*hit)) {
	c := &r.cfg.ReadRate
	st := r.rates.get(ev.Principal, ev.Time)
	if st == nil {
		st, _ = r.rates.add(strings.Clone(ev.Principal), rate{start: ev.Time}, ev.Time)
	}
	elapsed := ev.Time.Sub(st.start)
	minute := int64(elapsed / time.Minute)
	if minute > st.minute {
		r.completeMinutes(st, minute)
	}
	st.cur++
	// The reads of the last sixty seconds, estimated: all of this
	// minute's and the part of the previous minute's still in the window.
	frac := float64(elapsed-time.Duration(st.minute)*time.Minute) / float64(time.Minute)
	frac = min(max(frac, 0), 1)
	current := st.cur + st.prev*(1-frac)

	limit := max(c.Ceiling, c.Floor)
	baseline := 0.0
	if st.weight > 0 {
		baseline = st.ewma / st.weight
		limit = max(c.Factor*baseline, c.Floor)
	}
	if current <= limit {
		st.firing = false
		return
	}
	h := hit{
		rule:       RuleReadRate,
		principal:  ev.Principal,
		sourceIP:   ev.SourceIP,
		resource:   firstResource(ev),
		count:      1,
		first:      ev.Time,
		last:       ev.Time,
		requestIDs: []string{ev.RequestID},
	}
	if !st.firing {
		st.firing = true
		h.count = int(current)
		if st.weight > 0 {
			h.message = fmt.Sprintf("%.0f secret reads in the last minute; baseline %.1f/min, alert above %.0f/min", current, baseline, limit)
		} else {
			h.message = fmt.Sprintf("%.0f secret reads in the first minute of a new principal; alert above %.0f/min", current, limit)
		}
	}
	add(&h)
}

// completeMinutes closes st's current minute and any empty ones up to
// minute, folding them into the baseline.
func (r *rules) completeMinutes(st *rate, minute int64) {
	keep := 1 - r.alpha
	st.ewma = st.ewma*keep + r.alpha*st.cur
	st.weight = st.weight*keep + r.alpha
	if empty := minute - st.minute - 1; empty > 0 {
		decay := math.Pow(keep, float64(empty))
		st.ewma *= decay
		st.weight = 1 - (1-st.weight)*decay
		st.prev = 0
	} else {
		st.prev = st.cur
	}
	st.cur, st.minute = 0, minute
}

// ---- new-source-ip ---------------------------------------------------------

// sources are the source prefixes one principal has read from.
type sources struct {
	first time.Time // first read
	seen  *lru[netip.Prefix, struct{}]
}

func (r *rules) newSourceIP(ev *Event, add func(*hit)) {
	c := &r.cfg.NewSourceIP
	addr, err := netip.ParseAddr(ev.SourceIP)
	if err != nil {
		return
	}
	addr = addr.Unmap().WithZone("")
	bits := c.IPv6Prefix
	if addr.Is4() {
		bits = c.IPv4Prefix
	}
	prefix, err := addr.Prefix(bits)
	if err != nil {
		return
	}
	st := r.sources.get(ev.Principal, ev.Time)
	if st == nil {
		st, _ = r.sources.add(strings.Clone(ev.Principal), sources{first: ev.Time, seen: newLRU[netip.Prefix, struct{}](c.MaxIPs)}, ev.Time)
	}
	if st.seen.get(prefix, ev.Time) != nil {
		return
	}
	st.seen.add(prefix, struct{}{}, ev.Time)
	if ev.Time.Sub(st.first) < time.Duration(c.Learning) {
		return
	}
	add(&hit{
		rule:       RuleNewSourceIP,
		principal:  ev.Principal,
		sourceIP:   ev.SourceIP,
		resource:   firstResource(ev),
		message:    fmt.Sprintf("secret read from a new source IP %s (%d sources known)", ev.SourceIP, st.seen.len()-1),
		count:      1,
		first:      ev.Time,
		last:       ev.Time,
		requestIDs: []string{ev.RequestID},
	})
}

// ---- break-glass -----------------------------------------------------------

func (r *rules) breakGlassRead(ev *Event, add func(*hit)) {
	for _, arn := range ev.Resources {
		if !r.breakGlass(arn) {
			continue
		}
		add(&hit{
			rule:       RuleBreakGlass,
			principal:  ev.Principal,
			sourceIP:   ev.SourceIP,
			resource:   arn,
			subject:    arn,
			message:    "read of a break-glass secret",
			count:      1,
			first:      ev.Time,
			last:       ev.Time,
			requestIDs: []string{ev.RequestID},
			urgent:     true,
		})
	}
}
