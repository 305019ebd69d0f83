package alert

import (
	"cmp"
	"slices"
	"time"
)

// maxRequestIDs is how many request ids an alert carries.
const maxRequestIDs = 10

// groupKey names an alert group: one rule, one principal, and the rule's
// subject (see hit.subject).
type groupKey struct{ rule, principal, subject string }

// group collects the hits of one key into alerts: the first hit waits
// GroupWait, later ones wait until DedupeWindow after the last alert.
type group struct {
	key groupKey
	// pending accumulates the hits not yet emitted; Count 0 means none.
	pending Alert
	due     time.Time // when pending may be emitted
	sent    time.Time // when the last alert was emitted; zero: never
	message string    // the last hit's message, for hits that carry none
	urgent  bool
}

// addHit counts h into its group; now is the time of the event.
func (e *Engine) addHit(h *hit, now time.Time) {
	window := time.Duration(e.cfg.DedupeWindow)
	k := groupKey{h.rule, h.principal, h.subject}
	g := e.groups[k]
	if g != nil && g.pending.Count == 0 && !now.Before(g.sent.Add(window)) {
		delete(e.groups, k) // quiet for a whole window: start afresh
		g = nil
	}
	if g == nil {
		if len(e.groups) >= e.cfg.MaxPrincipals {
			e.overflow.Add(1)
			return
		}
		g = &group{key: k, urgent: h.urgent}
		e.groups[k] = g
	}
	if h.message != "" {
		g.message = h.message
	}
	a := &g.pending
	if a.Count == 0 {
		*a = Alert{
			Rule:      h.rule,
			Principal: h.principal,
			SourceIP:  h.sourceIP,
			Resource:  h.resource,
			Message:   g.message,
			First:     h.first,
			Last:      h.last,
		}
		if g.sent.IsZero() {
			g.due = now.Add(time.Duration(e.cfg.GroupWait))
		} else {
			g.due = g.sent.Add(window)
		}
	}
	a.Count += h.count
	if h.first.Before(a.First) {
		a.First = h.first
	}
	if h.last.After(a.Last) {
		a.Last = h.last
	}
	for _, id := range h.requestIDs {
		if id != "" && len(a.RequestIDs) < maxRequestIDs {
			a.RequestIDs = append(a.RequestIDs, id)
		}
	}
}

// flush emits the pending alerts that are due, urgent ones first, then the
// longest waiting, as far as the rate limit allows; the rest stay pending.
// It also forgets groups quiet for a whole window and idle rule state.
func (e *Engine) flush(now time.Time) {
	window := time.Duration(e.cfg.DedupeWindow)
	due := e.dueBuf[:0]
	for k, g := range e.groups {
		switch {
		case g.pending.Count == 0:
			if !now.Before(g.sent.Add(window)) {
				delete(e.groups, k)
			}
		case !now.Before(g.due):
			due = append(due, g)
		}
	}
	slices.SortFunc(due, func(a, b *group) int {
		if a.urgent != b.urgent {
			if a.urgent {
				return -1
			}
			return 1
		}
		return cmp.Or(
			a.due.Compare(b.due),
			cmp.Compare(a.key.rule, b.key.rule),
			cmp.Compare(a.key.principal, b.key.principal),
			cmp.Compare(a.key.subject, b.key.subject))
	})
	for _, g := range due {
		if !e.bucket.take(now) {
			break
		}
		e.emit(g.pending)
		g.pending, g.sent = Alert{}, now
	}
	clear(due)
	e.dueBuf = due[:0]
	e.rules.expire(now)
}

// tokenBucket is the global rate limit: up to n alerts at once, refilled
// at n per period.
type tokenBucket struct {
	tokens, burst float64
	perToken      time.Duration
	last          time.Time
}

func newTokenBucket(n int, period time.Duration) tokenBucket {
	return tokenBucket{tokens: float64(n), burst: float64(n), perToken: period / time.Duration(n)}
}

// take spends a token if there is one at now.
func (b *tokenBucket) take(now time.Time) bool {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+float64(now.Sub(b.last))/float64(b.perToken))
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
