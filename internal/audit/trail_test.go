package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingSink refuses every event.
type failingSink struct{ durable bool }

func (s failingSink) Name() string                        { return "failing" }
func (s failingSink) Durable() bool                       { return s.durable }
func (s failingSink) Write(context.Context, *Event) error { return errors.New("sink is down") }
func (s failingSink) Close(context.Context) error         { return nil }

func newTrail(t *testing.T, k *Keys, sinks ...Sink) *Trail {
	t.Helper()
	tr, err := New(Config{Keys: k, Sinks: sinks})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTrailWritesEverySink(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	var out bytes.Buffer // StreamSink serializes its writes; read once they are done
	tr := newTrail(t, k, openTestLog(t, dir, k), NewStreamSink("stdout", &out, StreamConfig{}))
	for i := range 3 {
		if err := tr.Append(context.Background(), testEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("stdout got %d lines, want 3", len(lines))
	}
	var e Event
	if err := json.Unmarshal(lines[2], &e); err != nil || e.RequestID != "req-2" || e.ID == "" {
		t.Errorf("stdout line = %s (%v), want event req-2 with an id", lines[2], err)
	}
	if rep := mustVerify(t, dir, k, VerifyOptions{}); rep.Events != 3 {
		t.Errorf("log holds %d events, want 3", rep.Events)
	}
	for _, s := range tr.Stats() {
		if s.Accepted != 3 || s.Failed != 0 {
			t.Errorf("Stats() %s = %+v, want 3 accepted", s.Name, s)
		}
	}
}

func TestTrailFailsClosed(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	for _, tc := range []struct {
		name      string
		sinks     func(out *bytes.Buffer) []Sink
		wantErr   bool
		wantLines int
	}{
		{
			name: "a failing durable sink alone refuses the event, and the stream never hears of it",
			sinks: func(out *bytes.Buffer) []Sink {
				return []Sink{failingSink{durable: true}, NewStreamSink("stdout", out, StreamConfig{})}
			},
			wantErr: true,
		},
		{
			name: "one durable sink accepting is enough (Vault's rule)",
			sinks: func(out *bytes.Buffer) []Sink {
				return []Sink{failingSink{durable: true}, NewStreamSink("stdout", out, StreamConfig{Durable: true})}
			},
			wantLines: 1,
		},
		{
			name: "a failing sink that is not durable does not fail the request",
			sinks: func(out *bytes.Buffer) []Sink {
				return []Sink{NewStreamSink("stdout", out, StreamConfig{Durable: true}), failingSink{}}
			},
			wantLines: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			tr := newTrail(t, k, tc.sinks(&out)...)
			err := tr.Append(context.Background(), testEvent(0))
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrNotRecorded)) {
				t.Fatalf("Append = %v, want error %v (ErrNotRecorded)", err, tc.wantErr)
			}
			if n := bytes.Count(out.Bytes(), []byte("\n")); n != tc.wantLines {
				t.Errorf("stream got %d lines, want %d", n, tc.wantLines)
			}
		})
	}
}

func TestNewRefusesATrailWithoutADurableSink(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Keys: testKeys(t), Sinks: []Sink{NewStreamSink("stdout", &bytes.Buffer{}, StreamConfig{})}})
	if err == nil {
		t.Fatal("New(no durable sink) = nil error")
	}
}

// TestNoSensitiveValueReachesASink puts a random canary in every sensitive
// parameter and looks for it in the bytes of the log and of the stream.
func TestNoSensitiveValueReachesASink(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	var native, cloudtrail bytes.Buffer
	tr := newTrail(t, k, openTestLog(t, dir, k),
		NewStreamSink("stdout", &native, StreamConfig{}),
		NewStreamSink("siem", &cloudtrail, StreamConfig{Format: FormatCloudTrail}))
	var b [16]byte
	rand.Read(b[:])
	canary := "canary-" + hex.EncodeToString(b[:])
	e := testEvent(0)
	e.Operation = "PutSecretValue"
	for _, name := range []string{"SecretString", "SecretBinary", "Password", "SessionToken", "X-Amz-Signature", "Authorization", "secret_access_key", "Value"} {
		e.Params[name] = canary
	}
	if err := tr.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := append(native.Bytes(), cloudtrail.Bytes()...)
	for _, f := range logFiles(t, dir) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	if bytes.Contains(all, []byte(canary)) {
		t.Fatal("a sensitive parameter's value reached a sink")
	}
	digest := k.Digest([]byte(canary))
	if got := bytes.Count(native.Bytes(), []byte(digest)); got != 8 {
		t.Errorf("the stream holds the canary's digest %d times, want 8 (one per sensitive parameter)", got)
	}
	if !k.MatchDigest(digest, []byte(canary)) || k.MatchDigest(digest, []byte("another value")) {
		t.Error("MatchDigest does not tell the canary from another value")
	}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	long := strings.Repeat("é", 1000)
	e := testEvent(0)
	e.UserAgent = long
	e.Params = map[string]string{}
	for i := range 40 {
		e.Params[string(rune('A'+i))] = long
	}
	p, err := prepare(e, k, e.Time)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.UserAgent) > maxString || !strings.HasSuffix(p.UserAgent, "…") || !utf8Valid(p.UserAgent) {
		t.Errorf("UserAgent cut to %d bytes %q..., want at most %d, valid UTF-8, marked", len(p.UserAgent), p.UserAgent[:10], maxString)
	}
	if len(p.Params) != maxParams || p.Params["_dropped"] != "9" {
		t.Errorf("prepare kept %d params, _dropped=%q; want %d and 9", len(p.Params), p.Params["_dropped"], maxParams)
	}
	again, err := prepare(p, k, e.Time)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(p)
	b, _ := json.Marshal(again)
	if !bytes.Equal(a, b) {
		t.Errorf("prepare is not idempotent:\n%s\n%s", a, b)
	}
	if e.Params["A"] != long || e.UserAgent != long {
		t.Error("prepare changed the caller's event")
	}
	e.Params = map[string]string{"SecretString": "hmac-sha256:nothex"}
	if _, err := prepare(e, k, e.Time); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("prepare(malformed digest) = %v, want ErrInvalidEvent", err)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
