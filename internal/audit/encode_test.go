package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// roundTrip decodes the hand-written encoding of e and json.Marshal's, and
// fails the test unless both are valid JSON and decode to the same event.
func roundTrip(t *testing.T, e *Event) {
	t.Helper()
	fast := appendEvent(nil, e)
	if !json.Valid(fast) {
		t.Fatalf("appendEvent wrote invalid JSON: %s", fast)
	}
	slow, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var a, b Event
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(slow, &b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("appendEvent and json.Marshal differ (-marshal +append):\n%s\nappendEvent: %s\njson.Marshal: %s", diff, fast, slow)
	}
}

func TestAppendEventMatchesMarshal(t *testing.T) {
	t.Parallel()
	for _, e := range cloudTrailCases() {
		roundTrip(t, e)
	}
	odd := testEvent(3)
	odd.UserAgent = "quote \" backslash \\ newline \n tab \t nul \x00 <html> & é 日本 \xff\xfe invalid"
	odd.Principal = Principal{Session: &Session{}} // an empty session object
	odd.Params = map[string]string{"b": "2", "a": "1", "ü\"": "x\x01"}
	odd.Resources = []Resource{{ARN: "a"}, {ARN: "b", Type: "T"}}
	odd.Time = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	roundTrip(t, odd)
	roundTrip(t, &Event{}) // every omitempty field empty
}

// FuzzAppendEvent checks the hand-written encoder on arbitrary strings.
func FuzzAppendEvent(f *testing.F) {
	f.Add("agent", "name", "value", "arn")
	f.Add("\"\\\n", "\xff", "\u2028", "")
	f.Fuzz(func(t *testing.T, ua, name, value, arn string) {
		e := testEvent(1)
		e.UserAgent, e.Principal.Name, e.Params[name] = ua, name, value
		e.Resources = append(e.Resources, Resource{ARN: arn})
		roundTrip(t, e)
	})
}
