package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var queryBase = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// mixedEvent is event i of a varied log: alice and bob in turn, reads and
// writes, every fifth denied, four secrets, one minute apart.
func mixedEvent(i int) *Event {
	e := testEvent(i)
	e.Time = queryBase.Add(time.Duration(i) * time.Minute)
	e.RequestID = fmt.Sprintf("req-%d", i)
	name := []string{"alice", "bob"}[i%2]
	e.Principal.Name, e.Principal.ARN = name, "arn:aws:iam::123456789012:user/"+name
	e.Principal.AccessKeyID = "AKIA" + strings.ToUpper(name)
	if i%3 == 0 {
		e.Operation = "PutSecretValue"
	}
	if i%5 == 0 {
		e.Decision, e.ErrorCode, e.Status = Deny, "AccessDeniedException", 400
	}
	secret := fmt.Sprintf("s%d", i%4)
	e.Resources = []Resource{{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + secret + "-AbCdEf"}}
	e.Params = map[string]string{"SecretId": secret}
	return e
}

// mixedLog writes n mixed events into a log rotated into several files.
func mixedLog(t *testing.T, n int) (string, *Keys) {
	t.Helper()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.MaxFileBytes = 8 << 10; c.CheckpointEvery = 7 })
	for i := range n {
		if err := l.Append(context.Background(), mixedEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeLog(t, l)
	if len(logFiles(t, dir)) < 3 {
		t.Fatal("want a log of several files")
	}
	return dir, k
}

func queryIDs(t *testing.T, dir string, f Filter) []string {
	t.Helper()
	var ids []string
	err := Query(context.Background(), dir, f, func(e *Event) error {
		ids = append(ids, e.RequestID)
		return nil
	})
	if err != nil {
		t.Fatalf("Query(%+v) = %v", f, err)
	}
	return ids
}

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	const n = 60
	dir, _ := mixedLog(t, n)
	for _, tc := range []struct {
		name string
		f    Filter
		want func(i int) bool
	}{
		{"no filter returns every event in order", Filter{}, func(int) bool { return true }},
		{"principal by name", Filter{Principal: "bob"}, func(i int) bool { return i%2 == 1 }},
		{"principal by access key id", Filter{Principal: "AKIAALICE"}, func(i int) bool { return i%2 == 0 }},
		{"action by operation, any case", Filter{Action: "putsecretvalue"}, func(i int) bool { return i%3 == 0 }},
		{"action by service:operation", Filter{Action: "secretsmanager:GetSecretValue"}, func(i int) bool { return i%3 != 0 }},
		{"resource by name", Filter{Resource: "s1"}, func(i int) bool { return i%4 == 1 }},
		{"resource by ARN", Filter{Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s2-AbCdEf"}, func(i int) bool { return i%4 == 2 }},
		{"decision", Filter{Decision: Deny}, func(i int) bool { return i%5 == 0 }},
		{"time range, inclusive", Filter{Since: queryBase.Add(10 * time.Minute), Until: queryBase.Add(20 * time.Minute)},
			func(i int) bool { return i >= 10 && i <= 20 }},
		{"everything at once", Filter{Principal: "alice", Action: "GetSecretValue", Decision: Allow, Since: queryBase.Add(30 * time.Minute)},
			func(i int) bool { return i%2 == 0 && i%3 != 0 && i%5 != 0 && i >= 30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for i := range n {
				if tc.want(i) {
					want = append(want, fmt.Sprintf("req-%d", i))
				}
			}
			if got := queryIDs(t, dir, tc.f); !slices.Equal(got, want) {
				t.Errorf("Query = %v\nwant %v", got, want)
			}
		})
	}
}

func TestQueryLeavesOutAbandonedRecords(t *testing.T) {
	t.Parallel()
	dir, _ := logWithAFailedFdatasync(t)
	want := []string{"req-0", "req-1", "req-2", "req-3", "req-4"}
	if got := queryIDs(t, dir, Filter{}); !slices.Equal(got, want) {
		t.Errorf("Query = %v, want %v: req-99 was never acknowledged", got, want)
	}
	out, err := Lookup(context.Background(), dir, LookupInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 5 {
		t.Errorf("Lookup found %d events, want 5", len(out.Events))
	}
}

func TestLookupPagesNewestFirst(t *testing.T) {
	t.Parallel()
	const n = 60
	dir, _ := mixedLog(t, n)
	var got []string
	in := LookupInput{MaxResults: 7}
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatal("Lookup does not stop paging")
		}
		out, err := Lookup(context.Background(), dir, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			got = append(got, e.EventTime.Format("15:04"))
		}
		if out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	var want []string
	for i := n - 1; i >= 0; i-- {
		want = append(want, queryBase.Add(time.Duration(i)*time.Minute).Format("15:04"))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Lookup pages = %v\nwant %v", got, want)
	}
}

func TestLookupFilters(t *testing.T) {
	t.Parallel()
	dir, _ := mixedLog(t, 40)
	count := func(in LookupInput) int {
		t.Helper()
		out, err := Lookup(context.Background(), dir, in)
		if err != nil {
			t.Fatalf("Lookup(%+v) = %v", in, err)
		}
		return len(out.Events)
	}
	attr := func(k, v string) LookupInput { return LookupInput{Attributes: []LookupAttribute{{k, v}}} }
	for _, tc := range []struct {
		in   LookupInput
		want int
	}{
		{attr(LookupEventName, "PutSecretValue"), 14},
		{attr(LookupUsername, "alice"), 20},
		{attr(LookupAccessKeyID, "AKIABOB"), 20},
		{attr(LookupResourceName, "s3"), 10},
		{attr(LookupResourceType, "AWS::SecretsManager::Secret"), 40},
		{attr(LookupEventSource, "secretsmanager.amazonaws.com"), 40},
		{attr(LookupReadOnly, "true"), 26},
		{LookupInput{StartTime: queryBase.Add(5 * time.Minute), EndTime: queryBase.Add(9 * time.Minute)}, 5},
	} {
		if got := count(tc.in); got != tc.want {
			t.Errorf("Lookup(%+v) found %d events, want %d", tc.in, got, tc.want)
		}
	}
	out, err := Lookup(context.Background(), dir, LookupInput{MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	id := out.Events[0].EventID
	if !strings.Contains(out.Events[0].CloudTrailEvent, `"eventID":"`+id+`"`) {
		t.Errorf("CloudTrailEvent = %s, want the record of event %s", out.Events[0].CloudTrailEvent, id)
	}
	if got := count(attr(LookupEventID, id)); got != 1 {
		t.Errorf("Lookup by EventId found %d, want 1", got)
	}
}

func TestLookupRefusesBadInput(t *testing.T) {
	t.Parallel()
	dir, _ := mixedLog(t, 30)
	for _, tc := range []struct {
		in   LookupInput
		want error
	}{
		{LookupInput{Attributes: []LookupAttribute{{"EventName", "a"}, {"Username", "b"}}}, ErrInvalidLookupAttributes},
		{LookupInput{Attributes: []LookupAttribute{{"Colour", "red"}}}, ErrInvalidLookupAttributes},
		{LookupInput{Attributes: []LookupAttribute{{"ReadOnly", "maybe"}}}, ErrInvalidLookupAttributes},
		{LookupInput{StartTime: queryBase.Add(time.Hour), EndTime: queryBase}, ErrInvalidTimeRange},
		{LookupInput{MaxResults: 51}, ErrInvalidMaxResults},
		{LookupInput{MaxResults: -1}, ErrInvalidMaxResults},
		{LookupInput{NextToken: "not-a-token"}, ErrInvalidNextToken},
	} {
		if _, err := Lookup(context.Background(), dir, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("Lookup(%+v) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

func TestReadLinesBackward(t *testing.T) {
	t.Parallel()
	// Lines of many lengths, so that chunk boundaries fall everywhere,
	// including one line longer than a chunk.
	var data []byte
	var lines []string
	for i := range 400 {
		line := fmt.Sprintf("%d:%s", i, strings.Repeat("x", (i*i*37)%1500))
		if i == 200 {
			line = strings.Repeat("y", backChunk+10)
		}
		lines = append(lines, line)
		data = append(data, line+"\n"...)
	}
	torn := append(bytes.Clone(data), "half a li"...)
	for _, in := range [][]byte{data, torn} {
		var got []string
		err := readLinesBackward(bytes.NewReader(in), int64(len(in)), func(l []byte) error {
			got = append(got, string(l))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(got)
		if !slices.Equal(got, lines) {
			t.Fatalf("readLinesBackward read %d lines, want the %d lines in reverse", len(got), len(lines))
		}
	}
}

func TestRecentReadsTheNewestFilesWithinItsBudget(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	dir := filepath.Join(t.TempDir(), "audit")
	l := openTestLog(t, dir, k, func(c *LogConfig) { c.MaxFileBytes = 8 << 10 })
	appendN(t, l, 0, 60)
	closeLog(t, l)
	files := logFiles(t, dir)
	if len(files) < 4 {
		t.Fatalf("%d files, want several (rotated at 8 KiB)", len(files))
	}
	collect := func(since time.Time, budget int64) (ids []string) {
		t.Helper()
		if err := Recent(context.Background(), dir, since, budget, func(e *Event) error {
			ids = append(ids, e.RequestID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	all := collect(time.Time{}, 1<<30)
	if len(all) != 60 || all[0] != "req-0" || all[59] != "req-59" {
		t.Fatalf("Recent with a large budget = %d events %v..., want all 60 in order", len(all), all[:min(3, len(all))])
	}
	// A budget of one byte still reads the newest file, and only it.
	last, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	newest := collect(time.Time{}, 1)
	if n := strings.Count(string(last), `"event":`); len(newest) != n || newest[len(newest)-1] != "req-59" {
		t.Errorf("Recent with a 1-byte budget = %v, want the %d events of the newest file", newest, n)
	}
	// since cuts by event time (testEvent i is at base + i seconds).
	base := testEvent(0).Time
	if got := collect(base.Add(50*time.Second), 1<<30); len(got) != 10 || got[0] != "req-50" {
		t.Errorf("Recent since req-50's time = %v, want req-50..req-59", got)
	}
}
