package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

var (
	flagWarmup     = flag.Duration("warmup", 500*time.Millisecond, "unmeasured load before each cell's window")
	flagWindow     = flag.Duration("window", 2*time.Second, "measured window of each cell")
	flagClientCPU  = flag.Int("client-cpu", 0, "CPU the load generator (this process) is pinned to")
	flagServerCPU  = flag.Int("server-cpu", 1, "CPU every server process is pinned to (taskset); -1 pins nothing")
	flagNice       = flag.Int("nice", 0, "nice value for the servers and the load generator (negative: ahead of other work on a shared machine)")
	flagRounds     = flag.Int("rounds", 3, "times each cell is measured, interleaved with the other servers' cells; the report gives medians")
	flagMoto       = flag.String("moto", "moto_server", "moto_server command to compare against; empty skips moto")
	flagOut        = flag.String("out", "", "file to append the result tables to")
	flagCells      = flag.String("cells", "", "regexp: run only the cells whose client/conc/server matches (e.g. 'raw/16/'); ratios need trivial and coffer")
	flagProfileDir = flag.String("profile-dir", "", "if set, also run a raw cell (-profile-conc) against a profiling server and write DIR/get.pprof (and DIR/get-noaudit.pprof, the audit log off) and DIR/put.pprof")
	flagBaseline   = flag.String("baseline", "", "path to another build of coffer to run beside this one, audit on, in the GetSecretValue cells (as coffer-baseline)")
	flagProfConc   = flag.Int("profile-conc", 16, "concurrency of the profiled cell")
)

// concurrencies are the GetSecretValue levels the issue asks for.
var concurrencies = []int{1, 16, 64}

// fakeAKID and fakeSecret sign requests to the trivial handler and to
// moto, which check no signature.
const (
	fakeAKID   = "AKIAIOSFODNN7EXAMPLE"
	fakeSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// fixture is the set of servers one benchmark drives.
type fixture struct {
	bin     string // directory of the built binaries
	targets []*target
	env     string // what the run ran on, for the report
}

func (f *fixture) add(t *target) { f.targets = append(f.targets, t) }

// noAuditName is the target that runs `coffer server --audit=false`,
// beside "coffer" (audit on, the default), in the GetSecretValue benchmark.
const noAuditName = "coffer-noaudit"

// baselineName is the target -baseline starts: another build of coffer.
const baselineName = "coffer-baseline"

// startServers builds the binaries and starts coffer, then the trivial
// handler serving coffer's own response bodies, then (with noAudit) a
// second coffer with the audit log off, then moto, each pinned to
// -server-cpu, after pinning this process to -client-cpu.
func startServers(b *testing.B, noAudit bool) *fixture {
	b.Helper()
	if runtime.GOOS != "linux" {
		b.Skip("bench reads /proc and pins CPUs: Linux only")
	}
	f := &fixture{bin: b.TempDir()}
	buildBinaries(b, f.bin)
	if *flagServerCPU >= 0 {
		pinSelf(b, *flagClientCPU)
	}
	if *flagNice != 0 {
		prioritize(b, *flagNice) // before the servers start: they inherit it
	}
	ctx := waitCtx(b)

	coffer := startCoffer(b, ctx, filepath.Join(f.bin, "coffer"), "coffer")
	// The trivial handler answers with exactly what coffer answered.
	getBody, putBody := captureBodies(b, ctx, coffer)
	dir := b.TempDir()
	getFile, putFile := filepath.Join(dir, "get.json"), filepath.Join(dir, "put.json")
	if err := os.WriteFile(getFile, getBody, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(putFile, putBody, 0o600); err != nil {
		b.Fatal(err)
	}
	tp := startProc(b, "trivial", false, *flagServerCPU, 0, filepath.Join(f.bin, "trivial"), "-body", getFile, "-put-body", putFile)
	f.add(newTarget("trivial", tp, fakeAKID, fakeSecret))
	f.add(coffer)
	if noAudit {
		f.add(startCoffer(b, ctx, filepath.Join(f.bin, "coffer"), noAuditName, "--audit=false"))
		if *flagBaseline != "" {
			// Another build of coffer, audit on, measured round by round
			// beside this one: how a change moved the numbers.
			f.add(startCoffer(b, ctx, *flagBaseline, baselineName))
		}
	}

	motoVersion := "not run (-moto empty)"
	if *flagMoto != "" {
		path, err := exec.LookPath(*flagMoto)
		if err != nil {
			b.Fatalf("moto_server: %v (pass -moto= to skip moto)", err)
		}
		port := freePort(b)
		mp := startProc(b, "moto", false, *flagServerCPU, port, path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		moto := newTarget("moto", mp, fakeAKID, fakeSecret)
		if err := moto.setUp(ctx); err != nil {
			b.Fatal(err)
		}
		f.add(moto)
		motoVersion = motoVersionOf(path)
	}

	for _, t := range f.targets {
		checkGet(b, ctx, t, getBody)
	}
	f.env = fmt.Sprintf("%s, %s/%s, %d CPUs (%s); load generator on CPU %d (GOMAXPROCS 1), servers on CPU %d, nice %d; coffer data dir on %s; moto %s",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, numCPU(), cpuModel(),
		*flagClientCPU, *flagServerCPU, *flagNice, fsType(os.TempDir()), motoVersion) // data dirs are b.TempDir()s
	return f
}

// startCoffer starts `exe server` with the extra flags on a fresh data
// dir and creates the benchmark's secrets.
func startCoffer(b *testing.B, ctx context.Context, exe, name string, flags ...string) *target {
	b.Helper()
	dataDir := filepath.Join(b.TempDir(), "coffer-data")
	argv := append([]string{exe, "server", "--data-dir", dataDir, "--listen", "127.0.0.1:0"}, flags...)
	p := startProc(b, name, true, *flagServerCPU, 0, argv...)
	return cofferTarget(b, ctx, name, p, dataDir)
}

func cofferTarget(b *testing.B, ctx context.Context, name string, p *proc, dataDir string) *target {
	b.Helper()
	akid, secret, err := readCredentials(filepath.Join(dataDir, "credentials"))
	if err != nil {
		b.Fatal(err)
	}
	t := newTarget(name, p, akid, secret)
	t.metrics = true
	if err := t.setUp(ctx); err != nil {
		b.Fatal(err)
	}
	return t
}

// captureBodies returns coffer's GetSecretValue and PutSecretValue
// response bodies.
func captureBodies(b *testing.B, ctx context.Context, t *target) (get, put []byte) {
	b.Helper()
	reqs, err := t.getRequests(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if get, err = t.do(ctx, reqs[0]); err != nil {
		b.Fatalf("coffer GetSecretValue: %v", err)
	}
	r, err := t.sign(ctx, "PutSecretValue", newPutter().body(0))
	if err != nil {
		b.Fatal(err)
	}
	if put, err = t.do(ctx, r); err != nil {
		b.Fatalf("coffer PutSecretValue: %v", err)
	}
	return get, put
}

// checkGet makes sure every target answers GetSecretValue with the value
// through both clients before anything is timed.
func checkGet(b *testing.B, ctx context.Context, t *target, trivialBody []byte) {
	b.Helper()
	reqs, err := t.getRequests(ctx)
	if err != nil {
		b.Fatal(err)
	}
	body, err := t.do(ctx, reqs[0])
	if err != nil {
		b.Fatalf("%s: raw GetSecretValue: %v", t.name, err)
	}
	if t.name == "trivial" && string(body) != string(trivialBody) {
		b.Fatalf("trivial body = %s, want %s", body, trivialBody)
	}
	out, err := t.sdk.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(getSecret)})
	if err != nil {
		b.Fatalf("%s: SDK GetSecretValue: %v", t.name, err)
	}
	if aws.ToString(out.SecretString) != secretValue {
		b.Fatalf("%s: SecretString = %q, want %q", t.name, aws.ToString(out.SecretString), secretValue)
	}
}

func motoVersionOf(path string) string {
	out, err := exec.Command(filepath.Join(filepath.Dir(path), "python"), "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "(version unknown)"
	}
	return strings.TrimSpace(string(out))
}

// numCPU counts the CPUs the kernel has online, whatever our own mask.
func numCPU() int {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return runtime.NumCPU()
	}
	n := 0
	for r := range strings.SplitSeq(strings.TrimSpace(string(data)), ",") {
		lo, hi, ok := strings.Cut(r, "-")
		if !ok {
			n++
			continue
		}
		a, _ := strconv.Atoi(lo)
		z, _ := strconv.Atoi(hi)
		n += z - a + 1
	}
	return n
}

func getLoad(t *target, client string) (func(ctx context.Context, worker int) error, error) {
	if client == "sdk" {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(getSecret)}
		return func(ctx context.Context, _ int) error {
			_, err := t.sdk.GetSecretValue(ctx, in)
			return err
		}, nil
	}
	reqs, err := t.getRequests(context.Background())
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, w int) error {
		_, err := t.do(ctx, reqs[w])
		return err
	}, nil
}

func putLoad(t *target, client string) func(ctx context.Context, worker int) error {
	if client == "sdk" {
		// The SDK fills in a fresh ClientRequestToken itself.
		return func(ctx context.Context, w int) error {
			_, err := t.sdk.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
				SecretId: aws.String(putSecretName(w)), SecretString: aws.String(secretValue),
			})
			return err
		}
	}
	p := newPutter()
	return func(ctx context.Context, w int) error {
		r, err := t.sign(ctx, "PutSecretValue", p.body(w))
		if err != nil {
			return err
		}
		_, err = t.do(ctx, r)
		return err
	}
}

// BenchmarkGetSecretValue measures GetSecretValue against the trivial
// handler, coffer (audit log on), coffer-noaudit (--audit=false) and moto,
// with the raw and the SDK client, at concurrency 1, 16 and 64.
func BenchmarkGetSecretValue(b *testing.B) {
	f := startServers(b, true)
	w := window{*flagWarmup, *flagWindow}
	var groups []cell
	for _, client := range []string{"raw", "sdk"} {
		for _, conc := range concurrencies {
			groups = append(groups, cell{op: "GetSecretValue", client: client, conc: conc})
		}
	}
	var results []result
	for b.Loop() {
		results = runMatrix(b, f, groups, w, getLoad)
	}
	b.StopTimer()
	rep := report{env: f.env, window: w, results: results, notes: []string{
		"coffer runs with its audit log on (the default: every request's event fdatasync'd in the hash-chained file log before the response); " +
			noAuditName + " is the same binary with `--audit=false`. Records per fsync come from coffer's /metrics " +
			"(`coffer_audit_records_total` ÷ `coffer_audit_fsyncs_total`), read at the edges of each window.",
	}}
	if *flagProfileDir != "" {
		rep.profiled = profiled(b, f, "GetSecretValue", filepath.Join(*flagProfileDir, "get.pprof"), w)
		rep.profiledNoAudit = profiled(b, f, "GetSecretValue", filepath.Join(*flagProfileDir, "get-noaudit.pprof"), w, "-audit=false")
	}
	rep.print(b)
	rep.metrics(b)
}

// BenchmarkPutSecretValue measures durable PutSecretValue writes, each
// worker writing its own secret, against the same three servers.
func BenchmarkPutSecretValue(b *testing.B) {
	f := startServers(b, false)
	w := window{*flagWarmup, *flagWindow}
	var notes []string
	probe := func(when string) {
		dir := b.TempDir() // the file system the data dirs are on
		p50, p99, err := fsyncProbe(dir, 200)
		if err != nil {
			b.Fatalf("fsync probe: %v", err)
		}
		notes = append(notes, fmt.Sprintf("fdatasync of a 4 KiB write on that file system, %s the cells: p50 %s, p99 %s (200 probes).",
			when, fmtLatency(p50), fmtLatency(p99)))
	}
	probe("before")
	// A secret written often sits at MaxVersions (100) versions, the oldest
	// pruned on each write; start every secret there, so that all rounds
	// measure that steady state rather than the first, cheaper writes.
	ctx := waitCtx(b)
	for _, t := range f.targets {
		if t.name != "trivial" {
			if err := fill(ctx, t, 100); err != nil {
				b.Fatal(err)
			}
		}
	}
	groups := []cell{{client: "raw", conc: 1}, {client: "raw", conc: 16}, {client: "raw", conc: 64}, {client: "sdk", conc: 16}}
	for i := range groups {
		groups[i].op = "PutSecretValue"
	}
	putLoadErr := func(t *target, client string) (func(context.Context, int) error, error) {
		return putLoad(t, client), nil
	}
	var results []result
	for b.Loop() {
		results = runMatrix(b, f, groups, w, putLoadErr)
	}
	b.StopTimer()
	probe("after")
	rep := report{env: f.env, notes: notes, window: w, results: results}
	if *flagProfileDir != "" {
		rep.profiled = profiled(b, f, "PutSecretValue", filepath.Join(*flagProfileDir, "put.pprof"), w)
	}
	rep.print(b)
	rep.metrics(b)
}

// runMatrix measures each group (an operation, client and concurrency)
// against every target, -rounds times over: round after round, the
// targets one after the other, so that each round's coffer and baseline
// figures are taken moments apart, the servers not being measured paused.
// The report uses the medians.
func runMatrix(b *testing.B, f *fixture, groups []cell, w window, loadFor func(*target, string) (func(context.Context, int) error, error)) []result {
	b.Helper()
	if *flagRounds < 1 {
		b.Fatalf("-rounds %d: want at least 1", *flagRounds)
	}
	defer func() {
		for _, t := range f.targets {
			t.proc.resume()
		}
	}()
	var results []result
	for _, g := range groups {
		for round := range *flagRounds {
			for _, t := range f.targets {
				c := g
				c.server = t.name
				if !selected(b, c) {
					continue
				}
				for _, other := range f.targets {
					if other == t {
						other.proc.resume()
					} else {
						other.proc.pause()
					}
				}
				load, err := loadFor(t, c.client)
				if err != nil {
					b.Fatal(err)
				}
				var h hooks
				var before, after auditCounts
				if t.metrics {
					h.start = func() { before = t.auditCounts() }
					h.stop = func() { after = t.auditCounts() }
				}
				r, err := run(context.Background(), c, t.proc, w, h, load)
				if err != nil {
					b.Fatalf("%v: %v", c, err)
				}
				if before.ok && after.ok {
					r.auditRecords, r.auditSyncs = after.records-before.records, after.syncs-before.syncs
				}
				r.round = round
				results = append(results, r)
			}
		}
	}
	return results
}

// selected reports whether -cells selects c.
func selected(b *testing.B, c cell) bool {
	if *flagCells == "" {
		return true
	}
	re, err := regexp.Compile(*flagCells)
	if err != nil {
		b.Fatalf("-cells: %v", err)
	}
	return re.MatchString(fmt.Sprintf("%s/%d/%s", c.client, c.conc, c.server))
}

// profiled runs op's raw cell at -profile-conc against profserver (coffer
// under a CPU profile, on its own data dir, with the extra flags) and
// writes the profile to path. Its figures are reported apart from the
// table: they show what the profile's own overhead costs.
func profiled(b *testing.B, f *fixture, op, path string, w window, flags ...string) *result {
	b.Helper()
	if *flagProfConc < 1 || *flagProfConc > maxConc {
		b.Fatalf("-profile-conc %d: want 1 to %d", *flagProfConc, maxConc)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	ctx := waitCtx(b)
	dataDir := filepath.Join(b.TempDir(), "coffer-data")
	argv := append([]string{filepath.Join(f.bin, "profserver"), "-data-dir", dataDir, "-cpuprofile", path}, flags...)
	p := startProc(b, "profserver", true, *flagServerCPU, 0, argv...)
	t := cofferTarget(b, ctx, "coffer+pprof", p, dataDir)
	load := putLoad(t, "raw")
	if op == "GetSecretValue" {
		var err error
		if load, err = getLoad(t, "raw"); err != nil {
			b.Fatal(err)
		}
	}
	send := func(s syscall.Signal) func() {
		return func() { p.cmd.Process.Signal(s) }
	}
	// A longer window, for more samples.
	w.measure = max(3*w.measure, 5*time.Second)
	c := cell{op: op, client: "raw", conc: *flagProfConc, server: t.name}
	r, err := run(context.Background(), c, p, w, hooks{start: send(syscall.SIGUSR1), stop: send(syscall.SIGUSR2)}, load)
	if err != nil {
		b.Fatal(err)
	}
	p.stop(b)
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		b.Fatalf("profile %s not written: %v\n%s", path, err, p.tail())
	}
	return &r
}

// outWriter is where the report goes besides stdout.
func outWriter(b *testing.B) io.Writer {
	if *flagOut == "" {
		return io.Discard
	}
	fh, err := os.OpenFile(*flagOut, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fh.Close() })
	return fh
}
