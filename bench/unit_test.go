package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(n ...int) []time.Duration {
		var d []time.Duration
		for _, v := range n {
			d = append(d, time.Duration(v)*time.Millisecond)
		}
		return d
	}
	tests := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"no samples give zero", nil, 0.5, 0},
		{"one sample is every quantile", ms(7), 0.99, 7 * time.Millisecond},
		{"median of an odd count is the middle", ms(3, 1, 2), 0.5, 2 * time.Millisecond},
		{"median of an even count is the lower middle", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"p99 of 100 samples is the 99th", ms(seq(100)...), 0.99, 99 * time.Millisecond},
		{"p99 of 1000 samples is the 990th", ms(seq(1000)...), 0.99, 990 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.in, tt.q); got != tt.want {
			t.Errorf("%s: percentile(%d samples, %v) = %v, want %v", tt.name, len(tt.in), tt.q, got, tt.want)
		}
	}
}

// seq returns 1..n in reverse, so percentile has to sort.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = n - i
	}
	return s
}

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	// A command name with spaces and parentheses; utime 1234, stime 56.
	stat := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 300 0 0 0 1234 56 0 0 20 0 8 0 100 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 1290 {
		t.Errorf("parseStatCPU(%q) = %d, %v, want 1290, nil", stat, got, err)
	}
	if _, err := parseStatCPU("4242 (short) S 1"); err == nil {
		t.Errorf("parseStatCPU(truncated) = nil error, want an error")
	}
	// Our own entry parses and is not negative.
	if d, err := selfCPU(); err != nil || d < 0 {
		t.Errorf("selfCPU() = %v, %v, want a non-negative duration", d, err)
	}
}

func TestReadCredentials(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "credentials")
	file := "# comment\n[other]\naws_access_key_id = AKIAOTHER\n[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = abc/def+ghi\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	id, secret, err := readCredentials(path)
	if err != nil || id != "AKIAEXAMPLE" || secret != "abc/def+ghi" {
		t.Errorf("readCredentials() = %q, %q, %v, want AKIAEXAMPLE, abc/def+ghi, nil", id, secret, err)
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"no values give zero", nil, 0},
		{"an odd count gives the middle value", []float64{3, 1, 2}, 2},
		{"an even count gives the mean of the two middle values", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("%s: median(%v) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestParseAuditCounts(t *testing.T) {
	t.Parallel()
	text := "# HELP coffer_audit_fsyncs_total fdatasyncs\n# TYPE coffer_audit_fsyncs_total counter\n" +
		"coffer_audit_fsyncs_total 1234\ncoffer_audit_records_total 5.5e+06\ncoffer_audit_records_totalx 1\n"
	got := parseAuditCounts(text)
	if want := (auditCounts{ok: true, records: 5.5e6, syncs: 1234}); got != want {
		t.Errorf("parseAuditCounts() = %+v, want %+v", got, want)
	}
	if got := parseAuditCounts("coffer_audit_fsyncs_total 3\n"); got.ok {
		t.Errorf("parseAuditCounts(no records counter) = %+v, want not ok", got)
	}
}

func TestAuditTargets(t *testing.T) {
	t.Parallel()
	// cells returns three rounds of raw c=16 GetSecretValue for coffer and
	// coffer-noaudit: audit-off at 1000 req/s and 40 µs per request, audit
	// on at rate req/s and cpu µs.
	cells := func(rate float64, cpu time.Duration) []result {
		var rs []result
		for round := range 3 {
			for _, s := range []struct {
				server string
				n      int
				cpu    time.Duration
			}{{"coffer", int(rate), cpu}, {noAuditName, 1000, 40 * time.Microsecond}} {
				rs = append(rs, result{cell: cell{op: "GetSecretValue", client: "raw", conc: 16, server: s.server},
					n: s.n, elapsed: time.Second, serverCPU: time.Duration(s.n) * s.cpu, round: round,
					auditRecords: 80, auditSyncs: 10})
			}
		}
		return rs
	}
	tests := []struct {
		name      string
		rate      float64
		cpu       time.Duration
		wantRate  string
		wantCPU   string
		wantInRow string
	}{
		{"90% of the rate at 1.1x the CPU passes both", 900, 44 * time.Microsecond, "**PASS** raw GetSecretValue at c=16 with the audit log on", "**PASS** server CPU per GetSecretValue at c=16 with the audit log on", "90%"},
		{"80% of the rate at 1.5x the CPU fails both", 800, 60 * time.Microsecond, "**FAIL** raw GetSecretValue at c=16 with the audit log on", "**FAIL** server CPU per GetSecretValue at c=16 with the audit log on", "8.0 records per fsync"},
	}
	for _, tt := range tests {
		rep := report{results: cells(tt.rate, tt.cpu)}
		lines := strings.Join(rep.targets("GetSecretValue"), "\n")
		for _, want := range []string{tt.wantRate, tt.wantCPU, tt.wantInRow} {
			if !strings.Contains(lines, want) {
				t.Errorf("%s: targets() = %s\nwant a line with %q", tt.name, lines, want)
			}
		}
	}
}
