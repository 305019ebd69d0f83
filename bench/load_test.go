package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const (
	region    = "us-east-1"
	getSecret = "bench-get"
	// maxConc is the highest concurrency measured; each PutSecretValue
	// worker writes its own secret, so that many exist.
	maxConc = 64
)

// secretValue is what bench-get holds: a database credential, the typical
// secret, about 150 bytes.
const secretValue = `{"engine":"postgres","host":"orders-db.internal.example.com","port":5432,"username":"orders_app","password":"Zq8vN2rTbW5yK1mXc7pL4sDf9hGj3kQe","dbname":"orders"}`

func putSecretName(worker int) string { return fmt.Sprintf("bench-put-%02d", worker) }

// target is one server under load, with its clients.
type target struct {
	name  string // trivial, coffer or moto
	proc  *proc
	creds aws.Credentials
	http  *http.Client // raw requests
	sdk   *secretsmanager.Client
	// metrics is set for coffer, which serves Prometheus metrics at
	// /metrics, read for the audit log's counters.
	metrics bool
}

func newTarget(name string, p *proc, akid, secret string) *target {
	t := &target{
		name:  name,
		proc:  p,
		creds: aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, Source: "bench"},
		http:  &http.Client{Transport: newTransport(), Timeout: 30 * time.Second},
	}
	// The SDK keeps its own transport defaults (a BuildableClient) except
	// for the idle pool, which would otherwise hold 10 connections per host
	// and reconnect on every call above concurrency 10.
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 2 * maxConc
		tr.MaxIdleConnsPerHost = 2 * maxConc
	})
	t.sdk = secretsmanager.New(secretsmanager.Options{
		Region:       region,
		BaseEndpoint: aws.String(p.url),
		Credentials:  credentials.NewStaticCredentialsProvider(akid, secret, ""),
		HTTPClient:   hc,
	})
	return t
}

// newTransport is a keep-alive transport with room for every worker's
// connection.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * maxConc,
		MaxIdleConnsPerHost: 2 * maxConc,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// rawRequest is a signed request that can be sent again and again: SigV4
// signatures stay valid for 15 minutes and Coffer, like AWS, does not
// refuse replays.
type rawRequest struct {
	url    string
	header http.Header
	body   []byte
}

var signer = v4.NewSigner()

// sign signs a JSON 1.1 call to op with the SDK's own v4 signer.
func (t *target) sign(ctx context.Context, op string, body []byte) (*rawRequest, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.proc.url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager."+op)
	sum := sha256.Sum256(body)
	if err := signer.SignHTTP(ctx, t.creds, req, hex.EncodeToString(sum[:]), "secretsmanager", region, time.Now()); err != nil {
		return nil, err
	}
	return &rawRequest{url: req.URL.String(), header: req.Header, body: body}, nil
}

// do sends r and returns the response body; anything but 200 is an error.
// The header map is shared with other calls of the same request and is
// never written.
func (t *target) do(ctx context.Context, r *rawRequest) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	req.Header = r.header
	return t.send(req)
}

// send sends req and returns the response body; anything but 200 is an
// error.
func (t *target) send(req *http.Request) ([]byte, error) {
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	return body, nil
}

// getRequests pre-signs one GetSecretValue request per worker, so that no
// two workers share a header map.
func (t *target) getRequests(ctx context.Context) ([]*rawRequest, error) {
	body := []byte(`{"SecretId":"` + getSecret + `"}`)
	reqs := make([]*rawRequest, maxConc)
	for i := range reqs {
		r, err := t.sign(ctx, "GetSecretValue", body)
		if err != nil {
			return nil, err
		}
		reqs[i] = r
	}
	return reqs, nil
}

// putter makes PutSecretValue requests, each with a fresh
// ClientRequestToken so that every one is a new version (a repeated token
// would be an idempotent no-op).
type putter struct {
	prefix string
	seq    [maxConc]struct {
		n int64
		_ [56]byte // one cache line each
	}
}

func newPutter() *putter {
	var b [8]byte
	rand.Read(b[:])
	return &putter{prefix: hex.EncodeToString(b[:])}
}

// token is 32 characters: 16 of run prefix, "-", worker, "-", sequence.
func (p *putter) token(worker int) string {
	p.seq[worker].n++
	return fmt.Sprintf("%s-%02d-%012d", p.prefix, worker, p.seq[worker].n)
}

func (p *putter) body(worker int) []byte {
	b, _ := json.Marshal(struct {
		SecretID           string `json:"SecretId"`
		SecretString       string
		ClientRequestToken string
	}{putSecretName(worker), secretValue, p.token(worker)})
	return b
}

// setUp creates the secrets the cells read and write, through the SDK.
func (t *target) setUp(ctx context.Context) error {
	if _, err := t.sdk.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(getSecret), SecretString: aws.String(secretValue),
	}); err != nil {
		return fmt.Errorf("%s: create %s: %w", t.name, getSecret, err)
	}
	for w := range maxConc {
		if _, err := t.sdk.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(putSecretName(w)), SecretString: aws.String(secretValue),
		}); err != nil {
			return fmt.Errorf("%s: create %s: %w", t.name, putSecretName(w), err)
		}
	}
	return nil
}

// fill writes n versions to each PutSecretValue secret of t, maxConc
// writers at once.
func fill(ctx context.Context, t *target, n int) error {
	load := putLoad(t, "raw")
	errs := make(chan error, maxConc)
	for w := range maxConc {
		go func() {
			for range n {
				if err := load(ctx, w); err != nil {
					errs <- fmt.Errorf("%s: fill %s: %w", t.name, putSecretName(w), err)
					return
				}
			}
			errs <- nil
		}()
	}
	var err error
	for range maxConc {
		err = errors.Join(err, <-errs)
	}
	return err
}

// cell is one measured load: an operation, a client mode and a
// concurrency against one target.
type cell struct {
	op     string // GetSecretValue or PutSecretValue
	client string // raw or sdk
	conc   int
	server string
}

// result is what a cell measured over its window.
type result struct {
	cell
	n         int           // requests completed inside the window
	errs      int           // requests that failed inside the window
	firstErr  string        // the first of them
	elapsed   time.Duration // window length
	p50, p99  time.Duration
	serverCPU time.Duration // server process CPU over the window
	clientCPU time.Duration // load generator CPU over the window
	// Busy time of the server's and the load generator's cores that
	// neither process accounts for (other work on a shared machine,
	// interrupts), as a fraction of the window; -1 when not pinned.
	otherServer, otherClient float64
	// Time the server's and the load generator's threads were runnable
	// but waited for a CPU, as a fraction of the window.
	waitServer, waitClient float64
	round                  int // which of the -rounds
	// Audit events and fdatasyncs of the audit file log during the window
	// (coffer's /metrics; both 0 for other servers or with the log off).
	auditRecords, auditSyncs float64
}

func (r *result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// recordsPerSync is how many audit records each fdatasync made durable in
// the window; 0 when none was made.
func (r *result) recordsPerSync() float64 {
	if r.auditSyncs == 0 {
		return 0
	}
	return r.auditRecords / r.auditSyncs
}

func (r *result) serverCPUPerReq() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.serverCPU / time.Duration(r.n)
}

func (r *result) clientCPUPerReq() time.Duration {
	if r.n == 0 {
		return 0
	}
	return r.clientCPU / time.Duration(r.n)
}

// window says how long a cell warms up and how long it is measured.
type window struct {
	warmup, measure time.Duration
}

// hooks run at the edges of the measured window (the profiling server
// starts and stops its profile there).
type hooks struct {
	start, stop func()
}

// run drives conc workers calling fn back to back: first for w.warmup,
// unmeasured, then for w.measure, counting each request that completes
// inside the window and reading the server's and our own CPU accounting
// at its edges.
func run(ctx context.Context, c cell, p *proc, w window, h hooks, fn func(ctx context.Context, worker int) error) (result, error) {
	const (
		warming = iota
		measuring
		stopped
	)
	var phase atomic.Int32
	lat := make([][]time.Duration, c.conc)
	errs := make([]int, c.conc)
	firstErr := make([]error, c.conc)
	var wg sync.WaitGroup
	for i := range c.conc {
		lat[i] = make([]time.Duration, 0, 1<<14)
		wg.Go(func() {
			for {
				ph := phase.Load()
				if ph == stopped {
					return
				}
				t0 := time.Now()
				err := fn(ctx, i)
				d := time.Since(t0)
				if phase.Load() != measuring {
					continue
				}
				if err != nil {
					errs[i]++
					if firstErr[i] == nil {
						firstErr[i] = err
					}
					continue
				}
				lat[i] = append(lat[i], d)
			}
		})
	}
	stop := func() { phase.Store(stopped); wg.Wait() }

	time.Sleep(w.warmup)
	if h.start != nil {
		h.start()
	}
	s0, err := p.cpuTime()
	if err != nil {
		stop()
		return result{}, err
	}
	c0, _ := selfCPU()
	cores0 := readCores()
	sw0, _ := runWait(p.pid)
	cw0, _ := runWait(os.Getpid())
	t0 := time.Now()
	phase.Store(measuring)
	time.Sleep(w.measure)
	phase.Store(stopped)
	elapsed := time.Since(t0)
	s1, err := p.cpuTime()
	c1, _ := selfCPU()
	cores1 := readCores()
	sw1, _ := runWait(p.pid)
	cw1, _ := runWait(os.Getpid())
	if h.stop != nil {
		h.stop()
	}
	stop()
	if err != nil {
		return result{}, err
	}

	r := result{cell: c, elapsed: elapsed, serverCPU: s1 - s0, clientCPU: c1 - c0, otherServer: -1, otherClient: -1}
	r.waitServer = float64(sw1-sw0) / float64(elapsed)
	r.waitClient = float64(cw1-cw0) / float64(elapsed)
	if cores0.ok && cores1.ok {
		r.otherServer = max(0, float64(cores1.server-cores0.server-r.serverCPU)/float64(elapsed))
		r.otherClient = max(0, float64(cores1.client-cores0.client-r.clientCPU)/float64(elapsed))
	}
	var all []time.Duration
	for i := range c.conc {
		all = append(all, lat[i]...)
		r.errs += errs[i]
		if r.firstErr == "" && firstErr[i] != nil {
			r.firstErr = firstErr[i].Error()
		}
	}
	r.n = len(all)
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	return r, nil
}

// cores is the busy time of the pinned cores at one instant.
type cores struct {
	ok             bool
	server, client time.Duration
}

func readCores() cores {
	if *flagServerCPU < 0 {
		return cores{}
	}
	s, _, err1 := coreTime(*flagServerCPU)
	c, _, err2 := coreTime(*flagClientCPU)
	return cores{ok: err1 == nil && err2 == nil, server: s, client: c}
}

// percentile sorts d and returns its q-quantile by the nearest-rank
// method; 0 for no samples.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	rank := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(0, min(rank, len(d)-1))]
}

// auditCounts are the audit file log's counters at one instant.
type auditCounts struct {
	ok             bool
	records, syncs float64
}

// auditCounts reads coffer_audit_records_total and coffer_audit_fsyncs_total
// from the server's /metrics; ok is false if either is missing (audit off).
func (t *target) auditCounts() auditCounts {
	resp, err := t.http.Get(t.proc.url + "/metrics")
	if err != nil {
		return auditCounts{}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return auditCounts{}
	}
	return parseAuditCounts(string(body))
}

// parseAuditCounts reads the two audit log counters from a Prometheus
// text exposition.
func parseAuditCounts(text string) auditCounts {
	var c auditCounts
	var seen int
	for line := range strings.Lines(text) {
		name, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "coffer_audit_records_total":
			dst = &c.records
		case "coffer_audit_fsyncs_total":
			dst = &c.syncs
		default:
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return auditCounts{}
		}
		*dst = v
		seen++
	}
	c.ok = seen == 2
	return c
}
