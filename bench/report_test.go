package bench

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// report prints one benchmark's cells (medians over the rounds), coffer's
// ratios to the baselines (medians of the per-round ratios) and the
// issue's targets, as Markdown that pastes into docs/benchmarks.md.
type report struct {
	// subject is the server the ratios are about; "" means coffer.
	subject  string
	env      string
	notes    []string
	window   window
	results  []result
	profiled *result // the cell run against profserver, if any
	// profiledNoAudit is that cell with the audit log off, if run.
	profiledNoAudit *result
}

// cells returns the distinct cells in the order they were first measured.
func (rep *report) cells() []cell {
	var cs []cell
	for _, r := range rep.results {
		if !slices.Contains(cs, r.cell) {
			cs = append(cs, r.cell)
		}
	}
	return cs
}

// rounds returns c's results by round.
func (rep *report) rounds(c cell) map[int]*result {
	m := map[int]*result{}
	for i := range rep.results {
		if r := &rep.results[i]; r.cell == c {
			m[r.round] = r
		}
	}
	return m
}

// med is the median of f over c's rounds; 0 if c was not measured.
func (rep *report) med(c cell, f func(*result) float64) float64 {
	var xs []float64
	for _, r := range rep.rounds(c) {
		xs = append(xs, f(r))
	}
	return median(xs)
}

// subjectName is the server whose ratios the report gives.
func (rep *report) subjectName() string {
	if rep.subject == "" {
		return "coffer"
	}
	return rep.subject
}

// ratios returns f(subject)/f(other) round by round, for the rounds where
// both were measured, in round order.
func (rep *report) ratios(c cell, other string, f func(*result) float64) []float64 {
	return rep.perRound(c, other, func(a, b *result) (float64, bool) { return f(a) / f(b), f(b) != 0 })
}

// perRound returns g of the subject's and other's results of c, for each
// round where both were measured and g reports ok, in round order.
func (rep *report) perRound(c cell, other string, g func(subject, other *result) (float64, bool)) []float64 {
	return rep.pairs(c, rep.subjectName(), other, g)
}

// pairs returns g of server x's and server y's results of c's client and
// concurrency, round by round, as perRound does.
func (rep *report) pairs(c cell, x, y string, g func(x, y *result) (float64, bool)) []float64 {
	a, b := rep.rounds(withServer(c, x)), rep.rounds(withServer(c, y))
	var xs []float64
	for round := range *flagRounds {
		if ra, rb := a[round], b[round]; ra != nil && rb != nil {
			if x, ok := g(ra, rb); ok {
				xs = append(xs, x)
			}
		}
	}
	return xs
}

// hasServer reports whether any cell was measured against server.
func (rep *report) hasServer(server string) bool {
	for _, r := range rep.results {
		if r.server == server {
			return true
		}
	}
	return false
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

var (
	rate      = func(r *result) float64 { return r.rate() }
	serverCPU = func(r *result) float64 { return float64(r.serverCPUPerReq()) }
	clientCPU = func(r *result) float64 { return float64(r.clientCPUPerReq()) }
	p50       = func(r *result) float64 { return float64(r.p50) }
	p99       = func(r *result) float64 { return float64(r.p99) }
	busy      = func(r *result) float64 { return float64(r.serverCPU) / float64(r.elapsed) }

	recordsPerSync = func(r *result) float64 { return r.recordsPerSync() }
)

func (rep *report) print(b *testing.B) {
	var s strings.Builder
	op := rep.results[0].op
	fmt.Fprintf(&s, "\n### %s, %s\n\n", op, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&s, "%s; each cell %v warm-up, then %v measured, %d rounds interleaved across the servers; medians.\n\n",
		rep.env, rep.window.warmup, rep.window.measure, *flagRounds)
	for _, n := range rep.notes {
		fmt.Fprintf(&s, "%s\n\n", n)
	}
	fmt.Fprintln(&s, "| client | conc | server | req/s | p50 | p99 | server CPU/req | client CPU/req | server core busy | other load (server/client core) | run-queue wait (server/client) | errors |")
	fmt.Fprintln(&s, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range rep.cells() {
		errs := 0
		for _, r := range rep.rounds(c) {
			errs += r.errs
		}
		fmt.Fprintf(&s, "| %s | %d | %s | %.0f | %s | %s | %s | %s | %.0f%% | %s | %.0f%% / %.0f%% | %d |\n",
			c.client, c.conc, c.server, rep.med(c, rate),
			fmtLatency(time.Duration(rep.med(c, p50))), fmtLatency(time.Duration(rep.med(c, p99))),
			fmtCPU(time.Duration(rep.med(c, serverCPU))), fmtCPU(time.Duration(rep.med(c, clientCPU))),
			100*rep.med(c, busy), fmtOther(rep.med(c, func(r *result) float64 { return r.otherServer }), rep.med(c, func(r *result) float64 { return r.otherClient })),
			100*rep.med(c, func(r *result) float64 { return r.waitServer }), 100*rep.med(c, func(r *result) float64 { return r.waitClient }),
			errs)
	}
	for _, r := range rep.results {
		if r.errs > 0 {
			fmt.Fprintf(&s, "\n%s %s c=%d %s round %d: %d errors, first: %s\n", r.op, r.client, r.conc, r.server, r.round+1, r.errs, r.firstErr)
		}
	}
	if p := rep.profiled; p != nil {
		fmt.Fprintf(&s, "\nUnder a CPU profile (profserver, one %v window, raw client, c=%d): %.0f req/s, p50 %s, p99 %s, server CPU/req %s.\n",
			p.elapsed.Round(time.Second), p.conc, p.rate(), fmtLatency(p.p50), fmtLatency(p.p99), fmtCPU(p.serverCPUPerReq()))
	}
	if p := rep.profiledNoAudit; p != nil {
		fmt.Fprintf(&s, "\nThe same with the audit log off: %.0f req/s, p50 %s, p99 %s, server CPU/req %s.\n",
			p.rate(), fmtLatency(p.p50), fmtLatency(p.p99), fmtCPU(p.serverCPUPerReq()))
	}

	fmt.Fprintf(&s, "\n%s as a multiple of the trivial handler (req/s: higher is better; CPU and latency: lower is better) and of moto, medians of the per-round ratios:\n",
		strings.ToUpper(rep.subjectName()[:1])+rep.subjectName()[1:])
	fmt.Fprintln(&s, "\n| client | conc | req/s ÷ trivial | server CPU/req ÷ trivial | p50 ÷ trivial | p99 ÷ trivial | req/s ÷ moto |")
	fmt.Fprintln(&s, "|---|---:|---:|---:|---:|---:|---:|")
	for _, c := range rep.cells() {
		if c.server != rep.subjectName() {
			continue
		}
		fmt.Fprintf(&s, "| %s | %d | %s | %s | %s | %s | %s |\n", c.client, c.conc,
			fmtRatio(rep.ratios(c, "trivial", rate)), fmtRatio(rep.ratios(c, "trivial", serverCPU)),
			fmtRatio(rep.ratios(c, "trivial", p50)), fmtRatio(rep.ratios(c, "trivial", p99)),
			fmtRatio(rep.ratios(c, "moto", rate)))
	}

	if rep.hasServer(noAuditName) {
		fmt.Fprintf(&s, "\nCoffer with the audit log on as a multiple of %s (the same server, `--audit=false`), medians of the per-round ratios; "+
			"audit CPU/req is the median per-round difference of server CPU per request; records per fsync is each server's own:\n", noAuditName)
		fmt.Fprintln(&s, "\n| client | conc | server | req/s ÷ audit-off | server CPU/req ÷ audit-off | audit CPU/req | p50 ÷ audit-off | p99 ÷ audit-off | records per fsync |")
		fmt.Fprintln(&s, "|---|---:|---|---:|---:|---:|---:|---:|---:|")
		for _, c := range rep.cells() {
			if c.server != "coffer" && c.server != baselineName {
				continue
			}
			ratios := func(f func(*result) float64) []float64 {
				return rep.pairs(c, c.server, noAuditName, func(a, n *result) (float64, bool) { return f(a) / f(n), f(n) != 0 })
			}
			diffs := rep.pairs(c, c.server, noAuditName, func(a, n *result) (float64, bool) { return serverCPU(a) - serverCPU(n), true })
			fmt.Fprintf(&s, "| %s | %d | %s | %s | %s | %s | %s | %s | %.1f |\n", c.client, c.conc, c.server,
				fmtRatio(ratios(rate)), fmtRatio(ratios(serverCPU)),
				fmtCPU(time.Duration(median(diffs))),
				fmtRatio(ratios(p50)), fmtRatio(ratios(p99)),
				rep.med(c, recordsPerSync))
		}
	}

	if targets := rep.targets(op); len(targets) > 0 {
		fmt.Fprintln(&s, "\nTargets (with SigV4 verification and decryption on every request), on the medians; each round's figure in brackets:")
		fmt.Fprintln(&s)
		for _, t := range targets {
			fmt.Fprintf(&s, "- %s\n", t)
		}
	}
	out := s.String()
	io.WriteString(os.Stdout, out)
	io.WriteString(outWriter(b), out)
}

// targets checks the targets that op's results speak to. The
// benchmark never fails on them: timings are reported, not asserted.
func (rep *report) targets(op string) []string {
	var lines []string
	measured := true // false once a check lacks its cells (see -cells)
	check := func(ok bool, format string, args ...any) {
		verdict := "FAIL"
		switch {
		case !measured:
			verdict = "NOT MEASURED"
		case ok:
			verdict = "PASS"
		}
		lines = append(lines, "**"+verdict+"** "+fmt.Sprintf(format, args...))
		measured = true
	}
	coffer := func(client string, conc int) cell {
		return cell{op: op, client: client, conc: conc, server: "coffer"}
	}
	switch op {
	case "GetSecretValue":
		ok, parts := true, []string{}
		for _, conc := range concurrencies {
			xs := rep.ratios(coffer("raw", conc), "trivial", serverCPU)
			measured = measured && len(xs) > 0
			ok = ok && median(xs) <= 2
			tr := coffer("raw", conc)
			tr.server = "trivial"
			parts = append(parts, fmt.Sprintf("c=%d %s vs %s: %s %s", conc,
				fmtCPU(time.Duration(rep.med(coffer("raw", conc), serverCPU))), fmtCPU(time.Duration(rep.med(tr, serverCPU))),
				fmtRatio(xs), fmtRounds(xs, "%.2f×")))
		}
		check(ok, "server CPU per GetSecretValue ≤ 2× trivial (raw client): %s", strings.Join(parts, "; "))

		c16 := coffer("raw", 16)
		xs := rep.ratios(c16, "trivial", rate)
		measured = len(xs) > 0
		check(len(xs) > 0 && median(xs) >= 0.6, "raw GetSecretValue at c=16 ≥ 60%% of trivial: %.0f req/s, %.0f%% %s",
			rep.med(c16, rate), 100*median(xs), fmtRounds(scale(xs, 100), "%.0f%%"))
		if xs := rep.ratios(c16, "moto", rate); len(xs) > 0 {
			check(median(xs) >= 20, "raw GetSecretValue at c=16 ≥ 20× moto: %s %s", fmtRatio(xs), fmtRounds(xs, "%.1f×"))
		} else {
			lines = append(lines, "**NOT MEASURED** raw GetSecretValue at c=16 ≥ 20× moto: moto was not run")
		}
		// The audit log's cost (issue #7): coffer, audit on, against the
		// same server with --audit=false, at c=16 with the raw client.
		xs = rep.ratios(c16, noAuditName, rate)
		measured = len(xs) > 0
		check(median(xs) >= 0.85, "raw GetSecretValue at c=16 with the audit log on ≥ 85%% of audit-off: %.0f vs %.0f req/s, %.0f%% %s; %.1f records per fsync",
			rep.med(c16, rate), rep.med(withServer(c16, noAuditName), rate), 100*median(xs), fmtRounds(scale(xs, 100), "%.0f%%"), rep.med(c16, recordsPerSync))
		xs = rep.ratios(c16, noAuditName, serverCPU)
		measured = len(xs) > 0
		check(median(xs) <= 1.2, "server CPU per GetSecretValue at c=16 with the audit log on ≤ 1.2× audit-off (raw client): %s vs %s, %s %s",
			fmtCPU(time.Duration(rep.med(c16, serverCPU))), fmtCPU(time.Duration(rep.med(withServer(c16, noAuditName), serverCPU))),
			fmtRatio(xs), fmtRounds(xs, "%.2f×"))
		for _, client := range []string{"raw", "sdk"} {
			c64 := coffer(client, 64)
			xs := rep.ratios(c64, "trivial", p99)
			msg := fmt.Sprintf("p99 at c=64 ≤ 2× trivial (%s client): %s, %s %s", client,
				fmtLatency(time.Duration(rep.med(c64, p99))), fmtRatio(xs), fmtRounds(xs, "%.2f×"))
			if client == "sdk" {
				if len(xs) > 0 {
					lines = append(lines, "(info: the SDK client is the bottleneck here) "+msg)
				}
				continue
			}
			measured = len(xs) > 0
			check(median(xs) <= 2, "%s", msg)
		}
	case "PutSecretValue":
		for _, client := range []string{"raw", "sdk"} {
			c16 := coffer(client, 16)
			var xs []float64
			for round := range *flagRounds {
				if r := rep.rounds(c16)[round]; r != nil {
					xs = append(xs, r.rate())
				}
			}
			measured = len(xs) > 0
			check(rep.med(c16, rate) >= 2000, "PutSecretValue ≥ 2,000 durable writes/s at c=16 (%s client): %.0f writes/s %s, p99 %s, server CPU %s per write",
				client, rep.med(c16, rate), fmtRounds(xs, "%.0f"), fmtLatency(time.Duration(rep.med(c16, p99))),
				fmtCPU(time.Duration(rep.med(c16, serverCPU))))
		}
	}
	return lines
}

// metrics reports op's headline figures (medians) on the benchmark line,
// for benchstat. ns/op is the wall time per request of coffer's raw c=16
// cell.
func (rep *report) metrics(b *testing.B) {
	op := rep.results[0].op
	c16 := cell{op: op, client: "raw", conc: 16, server: rep.subjectName()}
	r := rep.med(c16, rate)
	if r == 0 {
		return
	}
	b.ReportMetric(float64(time.Second)/r, "ns/op")
	b.ReportMetric(r, "req/s")
	b.ReportMetric(rep.med(c16, serverCPU)/float64(time.Microsecond), "server-us/req")
	if xs := rep.ratios(c16, "trivial", rate); len(xs) > 0 {
		b.ReportMetric(median(xs), "rate-vs-trivial")
	}
	if xs := rep.ratios(c16, "moto", rate); len(xs) > 0 {
		b.ReportMetric(median(xs), "rate-vs-moto")
	}
	if op == "GetSecretValue" {
		if xs := rep.ratios(c16, "trivial", serverCPU); len(xs) > 0 {
			b.ReportMetric(median(xs), "cpu-vs-trivial")
		}
		c64 := c16
		c64.conc = 64
		if xs := rep.ratios(c64, "trivial", p99); len(xs) > 0 {
			b.ReportMetric(median(xs), "p99-c64-vs-trivial")
		}
		if xs := rep.ratios(c16, noAuditName, rate); len(xs) > 0 {
			b.ReportMetric(median(xs), "rate-vs-noaudit")
			b.ReportMetric(median(rep.ratios(c16, noAuditName, serverCPU)), "cpu-vs-noaudit")
			b.ReportMetric(rep.med(c16, recordsPerSync), "records/fsync")
		}
	}
}

// withServer returns c measured against server instead.
func withServer(c cell, server string) cell {
	c.server = server
	return c
}

func scale(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = k * x
	}
	return out
}

// fmtRatio formats the median of per-round ratios, or "–" without any.
func fmtRatio(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", median(xs))
}

// fmtRounds lists per-round values, in round order.
func fmtRounds(xs []float64, format string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf(format, x)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func fmtLatency(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func fmtOther(server, client float64) string {
	if server < 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%% / %.0f%%", 100*server, 100*client)
}

func fmtCPU(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}
