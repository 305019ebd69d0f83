package agent_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/agent"
)

// fakeRuntimeAPI is a fake of Lambda's Extensions API (Lambda does not run
// here): it accepts one registration, then answers event/next with events
// in order.
type fakeRuntimeAPI struct {
	*httptest.Server
	mu        sync.Mutex
	name      string   // Lambda-Extension-Name of the registration
	events    []string // registered events
	nextIDs   []string // Lambda-Extension-Identifier of each event/next
	toSend    []string
	nextCalls chan struct{} // receives on each event/next, if set
}

const extensionID = "ext-id-1234"

func newFakeRuntimeAPI(t *testing.T, events ...string) *fakeRuntimeAPI {
	f := &fakeRuntimeAPI{toSend: events}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Events []string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.name, f.events = r.Header.Get("Lambda-Extension-Name"), body.Events
		f.mu.Unlock()
		w.Header().Set("Lambda-Extension-Identifier", extensionID)
		w.Write([]byte(`{"functionName":"f","functionVersion":"$LATEST","handler":"h"}`))
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.nextIDs = append(f.nextIDs, r.Header.Get("Lambda-Extension-Identifier"))
		if len(f.toSend) == 0 {
			f.mu.Unlock()
			http.Error(w, "no more events", http.StatusInternalServerError)
			return
		}
		ev := f.toSend[0]
		f.toSend = f.toSend[1:]
		f.mu.Unlock()
		if f.nextCalls != nil {
			f.nextCalls <- struct{}{}
		}
		json.NewEncoder(w).Encode(map[string]any{"eventType": ev, "deadlineMs": 1})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeRuntimeAPI) hostPort() string { return strings.TrimPrefix(f.URL, "http://") }

func TestAgentLambdaExtension(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntimeAPI(t, "INVOKE", "INVOKE", "SHUTDOWN")
	ext := &agent.Extension{RuntimeAPI: rt.hostPort(), Name: "coffer"}
	ctx := context.Background()
	if err := ext.Register(ctx); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := ext.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil at SHUTDOWN", err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.name != "coffer" || strings.Join(rt.events, ",") != "INVOKE,SHUTDOWN" {
		t.Errorf("registration = name %q events %v, want coffer [INVOKE SHUTDOWN]", rt.name, rt.events)
	}
	if len(rt.nextIDs) != 3 {
		t.Errorf("event/next calls = %d, want 3 (until SHUTDOWN)", len(rt.nextIDs))
	}
	for _, id := range rt.nextIDs {
		if id != extensionID {
			t.Errorf("event/next Lambda-Extension-Identifier = %q, want %q", id, extensionID)
		}
	}
}

func TestAgentLambdaExtensionErrors(t *testing.T) {
	t.Parallel()
	rt := newFakeRuntimeAPI(t, "INVOKE") // then fails
	ext := &agent.Extension{RuntimeAPI: rt.hostPort(), Name: "coffer"}
	if err := ext.Register(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ext.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("Run with a failing event/next = %v, want the status", err)
	}
	bad := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(bad.Close)
	ext = &agent.Extension{RuntimeAPI: strings.TrimPrefix(bad.URL, "http://"), Name: "coffer"}
	if err := ext.Register(context.Background()); err == nil {
		t.Error("Register against a 404 = nil, want an error")
	}
}
