// Package alert watches the stream of audit events for suspicious access and
// delivers alerts to a webhook and to the log.
//
// It owns four rules, each on by default and tuned by [Config]:
//
//   - denied-burst: many access-denied or failed-authentication requests
//     from one principal (or, unauthenticated, one source IP) in a window;
//   - read-rate: a principal reading secrets far faster than its own recent
//     baseline (an exponentially weighted per-minute rate);
//   - new-source-ip: a principal reading a secret from a source IP not seen
//     for it, once its learning period is over;
//   - break-glass: any read of a secret the server marks break-glass.
//
// Rule hits are grouped per rule and principal (and resource or source IP
// where the rule says so): the first hit of a group waits Config.GroupWait
// for the rest of its burst, then one alert is emitted; later hits within
// Config.DedupeWindow are counted into the next alert of the group. A
// global token bucket caps emitted alerts per minute; alerts it holds back
// stay pending (and keep counting), they are not lost.
//
// # Request path
//
// The server calls [Engine.Observe] for every request. Observe does no I/O
// and never blocks: it copies the event into a bounded queue, or drops it
// and counts the drop when the queue is full. One worker goroutine, started
// by [Engine.Run], evaluates the rules and owns all their state, so the
// rules take no locks; a second delivers to the webhook with bounded
// retries.
//
// # Imports
//
// Standard library only, and nothing from Coffer: the server translates its
// audit event into an [Event] and answers the break-glass question through
// Options.BreakGlass.
//
// # Invariants
//
//   - Never a secret value: an Event carries none, and an alert names only
//     the rule, principal, source IP, resource ARN, counts, times and
//     request ids.
//   - Bounded memory: the queue, the state of every rule, the remembered
//     source IPs of each principal, the alert groups, the webhook queue and
//     the recent alerts each have a cap; the oldest or idlest entry goes
//     first.
//   - Time comes from the events and from Options.Now; nothing sleeps on the
//     wall clock except the webhook backoff, which Options.After replaces.
package alert
