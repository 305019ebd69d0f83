package httpsink_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/audit/httpsink"
)

// siem is a test SIEM: it records the events of each accepted POST and
// answers with the statuses it is told to, in turn, then 200.
type siem struct {
	mu       sync.Mutex
	statuses []int
	posts    int
	events   []string // request ids, in the order accepted
	headers  []http.Header
	block    chan struct{} // if set, each POST waits for it
}

func (s *siem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.block != nil {
		<-s.block
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	s.headers = append(s.headers, r.Header.Clone())
	if len(s.statuses) > 0 {
		st := s.statuses[0]
		s.statuses = s.statuses[1:]
		if st != http.StatusOK {
			w.WriteHeader(st)
			return
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id, _ := m["request_id"].(string)
		if id == "" {
			id, _ = m["requestID"].(string)
		}
		s.events = append(s.events, id)
	}
}

func (s *siem) snapshot() (posts int, events []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, append([]string(nil), s.events...)
}

// startSIEM serves srv on a test server until the test ends and returns
// its URL.
func startSIEM(t *testing.T, srv *siem) string {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts.URL
}

func newSink(t *testing.T, url string, mod func(*httpsink.Config)) *httpsink.Sink {
	t.Helper()
	cfg := httpsink.Config{URL: url, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := httpsink.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func event(i int) *audit.Event {
	return &audit.Event{
		ID: fmt.Sprintf("id-%d", i), Type: audit.APICall, Time: time.Now().UTC(), RequestID: fmt.Sprintf("req-%d", i),
		Service: "secretsmanager", Operation: "GetSecretValue", Decision: audit.Allow, Status: 200,
	}
}

func closeSink(t *testing.T, s *httpsink.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func TestManyEventsGoOutInFewPosts(t *testing.T) {
	t.Parallel()
	var srv siem
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) { c.BatchSize = 100; c.FlushInterval = time.Minute })
	for i := range 1000 {
		if err := s.Write(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeSink(t, s)
	posts, events := srv.snapshot()
	if len(events) != 1000 || posts != 10 {
		t.Errorf("SIEM got %d events in %d POSTs, want 1000 in 10", len(events), posts)
	}
	for i, id := range events {
		if id != fmt.Sprintf("req-%d", i) {
			t.Fatalf("event %d is %s: events out of order", i, id)
		}
	}
	if st := s.Stats(); st.Sent != 1000 || st.Dropped != 0 {
		t.Errorf("Stats() = %+v, want 1000 sent, none dropped", st)
	}
}

func TestRetriesAfterAServerError(t *testing.T) {
	t.Parallel()
	srv := siem{statuses: []int{500, 503, 429}}
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) { c.WaitForAck = true; c.FlushInterval = time.Millisecond })
	if !s.Durable() {
		t.Error("a WaitForAck sink is not durable")
	}
	if err := s.Write(context.Background(), event(0)); err != nil {
		t.Fatalf("Write = %v, want it acknowledged after the retries", err)
	}
	closeSink(t, s)
	posts, events := srv.snapshot()
	if posts != 4 || len(events) != 1 {
		t.Errorf("SIEM got %d POSTs and %d events, want 4 POSTs (3 refused) and the event once", posts, len(events))
	}
	if st := s.Stats(); st.Retries != 3 || st.Sent != 1 {
		t.Errorf("Stats() = %+v, want 3 retries, 1 sent", st)
	}
}

// TestAcknowledgedWritesShareAPost holds the SIEM's answer to a first
// acknowledged write while 49 more arrive: they all go in the next POST.
// The SIEM is served in process, so that testing/synctest can tell when
// every writer waits.
func TestAcknowledgedWritesShareAPost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := siem{block: make(chan struct{})}
		s := newSink(t, "http://siem.test/", func(c *httpsink.Config) {
			c.WaitForAck = true
			c.Client = &http.Client{Transport: inProcess{&srv}}
		})
		var wg sync.WaitGroup
		write := func(i int) {
			if err := s.Write(context.Background(), event(i)); err != nil {
				t.Error(err)
			}
		}
		wg.Go(func() { write(0) })
		synctest.Wait() // the first POST waits for the SIEM
		for i := 1; i < 50; i++ {
			wg.Go(func() { write(i) })
		}
		synctest.Wait() // 49 writes wait in the buffer
		close(srv.block)
		wg.Wait()
		closeSink(t, s)
		if posts, events := srv.snapshot(); posts != 2 || len(events) != 50 {
			t.Errorf("SIEM got %d events in %d POSTs, want 50 in 2", len(events), posts)
		}
	})
}

// inProcess is an http.RoundTripper that serves requests with a handler.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func TestARejectedBatchIsDroppedNotRetried(t *testing.T) {
	t.Parallel()
	srv := siem{statuses: []int{400}}
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) { c.WaitForAck = true; c.FlushInterval = time.Millisecond })
	if err := s.Write(context.Background(), event(0)); !errors.Is(err, httpsink.ErrRejected) {
		t.Fatalf("Write = %v, want ErrRejected", err)
	}
	closeSink(t, s)
	if st := s.Stats(); st.Retries != 0 || st.Dropped != 1 {
		t.Errorf("Stats() = %+v, want no retry and 1 dropped", st)
	}
}

// TestAFullBufferPushesBack holds the SIEM's answer: the sender waits on
// it with one batch, the buffer fills, and the next Write fails with
// ErrBufferFull after EnqueueTimeout instead of blocking.
func TestAFullBufferPushesBack(t *testing.T) {
	t.Parallel()
	srv := siem{block: make(chan struct{})}
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) {
		c.BatchSize, c.BufferSize, c.FlushInterval, c.EnqueueTimeout = 1, 10, time.Millisecond, 10*time.Millisecond
	})
	var full int
	for i := range 30 {
		err := s.Write(context.Background(), event(i))
		switch {
		case errors.Is(err, httpsink.ErrBufferFull):
			full++
		case err != nil:
			t.Fatal(err)
		}
	}
	// One event is in the blocked POST, at most one more taken by the
	// sender, ten in the buffer: the rest were refused.
	if full < 18 {
		t.Errorf("%d of 30 writes refused with ErrBufferFull, want at least 18", full)
	}
	close(srv.block)
	closeSink(t, s)
	_, events := srv.snapshot()
	if st := s.Stats(); len(events)+full != 30 || st.Dropped != uint64(full) {
		t.Errorf("SIEM got %d events, %d refused, Stats() = %+v; want all 30 accounted for", len(events), full, st)
	}
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	srv := siem{statuses: make([]int, 1000)}
	for i := range srv.statuses {
		srv.statuses[i] = 503
	}
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) { c.FlushInterval = time.Millisecond })
	for i := range 5 {
		if err := s.Write(context.Background(), event(i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with the SIEM down = %v, want the context's deadline", err)
	}
	if st := s.Stats(); st.Dropped != 5 {
		t.Errorf("Stats() = %+v, want the 5 events dropped", st)
	}
	if err := s.Write(context.Background(), event(9)); !errors.Is(err, httpsink.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestHeadersAndCloudTrailFormat(t *testing.T) {
	t.Parallel()
	var srv siem
	url := startSIEM(t, &srv)
	s := newSink(t, url, func(c *httpsink.Config) {
		c.Format = audit.FormatCloudTrail
		c.Header = http.Header{"Authorization": {"Splunk 1234"}}
		c.FlushInterval = time.Millisecond
	})
	if err := s.Write(context.Background(), event(7)); err != nil {
		t.Fatal(err)
	}
	closeSink(t, s)
	_, events := srv.snapshot()
	if len(events) != 1 || events[0] != "req-7" {
		t.Errorf("SIEM events = %v, want the CloudTrail record of req-7", events)
	}
	h := srv.headers[0]
	if h.Get("Authorization") != "Splunk 1234" || h.Get("Content-Type") != "application/x-ndjson" {
		t.Errorf("POST headers = %v", h)
	}
}

// TestTrailSendsTheSIEMOnlyWhatTheLogHolds wires the sink as the SIEM copy
// of a file log: every event the log accepted reaches the SIEM, and a
// SIEM outage fails no request.
func TestTrailSendsTheSIEMOnlyWhatTheLogHolds(t *testing.T) {
	t.Parallel()
	srv := siem{statuses: []int{500}}
	url := startSIEM(t, &srv)
	digest := make([]byte, 32)
	rand.Read(digest)
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	k, err := audit.NewKeys(digest, priv)
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.OpenLog(context.Background(), audit.LogConfig{Dir: filepath.Join(t.TempDir(), "audit"), Keys: k})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := audit.New(audit.Config{Keys: k, Sinks: []audit.Sink{log, newSink(t, url, func(c *httpsink.Config) { c.FlushInterval = time.Millisecond })}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := tr.Append(context.Background(), event(i)); err != nil {
			t.Fatalf("Append = %v with the SIEM failing once; want nil", err)
		}
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, events := srv.snapshot(); len(events) != 20 {
		t.Errorf("SIEM got %d events, want 20", len(events))
	}
}
