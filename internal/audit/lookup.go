package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The attribute keys of CloudTrail's LookupEvents.
const (
	LookupEventID      = "EventId"
	LookupEventName    = "EventName"
	LookupReadOnly     = "ReadOnly"
	LookupUsername     = "Username"
	LookupResourceType = "ResourceType"
	LookupResourceName = "ResourceName"
	LookupEventSource  = "EventSource"
	LookupAccessKeyID  = "AccessKeyId"
)

// Errors of Lookup, one per CloudTrail exception the API layer maps them to.
var (
	ErrInvalidLookupAttributes = errors.New("audit: invalid lookup attributes") // InvalidLookupAttributesException
	ErrInvalidTimeRange        = errors.New("audit: invalid time range")        // InvalidTimeRangeException
	ErrInvalidMaxResults       = errors.New("audit: invalid max results")       // InvalidMaxResultsException
	ErrInvalidNextToken        = errors.New("audit: invalid pagination token")  // InvalidNextTokenException
)

// LookupAttribute is one LookupEvents attribute filter.
type LookupAttribute struct {
	Key   string // one of the Lookup* keys
	Value string
}

// LookupInput is the domain side of CloudTrail's LookupEventsRequest.
type LookupInput struct {
	// Attributes filters events; as in AWS, at most one.
	Attributes []LookupAttribute
	StartTime  time.Time // inclusive; zero: no bound
	EndTime    time.Time // inclusive; zero: no bound
	MaxResults int       // 1 to 50; 0 means 50
	NextToken  string
}

// LookupOutput is one page of events, newest first.
type LookupOutput struct {
	Events    []LookupEvent
	NextToken string // "" on the last page
}

// LookupEvent is CloudTrail's Event: the summary fields and the whole
// record as CloudTrail JSON.
type LookupEvent struct {
	EventID         string
	EventName       string
	ReadOnly        string // "true" or "false"
	AccessKeyID     string
	EventTime       time.Time
	EventSource     string
	Username        string
	Resources       []LookupResource
	CloudTrailEvent string
}

// LookupResource is CloudTrail's Resource of a looked-up event.
type LookupResource struct {
	ResourceType string
	ResourceName string
}

// maxLookupResults is LookupEvents' page size limit.
const maxLookupResults = 50

// Lookup answers CloudTrail's LookupEvents from the log in dir: events
// matching the attribute and time range, newest first, a page at a time.
// It reads the files backwards from the newest, as streams, and stops
// once the page is full or events are older than StartTime (allowing
// timeSlack). The pagination token names the last event returned.
func Lookup(ctx context.Context, dir string, in LookupInput) (*LookupOutput, error) {
	match, err := lookupMatcher(in.Attributes)
	if err != nil {
		return nil, err
	}
	if !in.StartTime.IsZero() && !in.EndTime.IsZero() && in.StartTime.After(in.EndTime) {
		return nil, fmt.Errorf("%w: StartTime is after EndTime", ErrInvalidTimeRange)
	}
	max := in.MaxResults
	if max == 0 {
		max = maxLookupResults
	}
	if max < 1 || max > maxLookupResults {
		return nil, fmt.Errorf("%w: %d is not between 1 and %d", ErrInvalidMaxResults, in.MaxResults, maxLookupResults)
	}
	before := uint64(math.MaxUint64)
	if in.NextToken != "" {
		if before, err = parseToken(in.NextToken); err != nil {
			return nil, err
		}
	}
	files, err := chainFiles(dir)
	if err != nil {
		return nil, err
	}
	out := &LookupOutput{}
	var lastSeq uint64
	for i := len(files) - 1; i >= 0; i-- {
		cf := files[i]
		if cf.firstSeq >= before {
			continue
		}
		err := lookupFile(ctx, cf, func(seq uint64, e *Event) error {
			switch {
			case seq >= before:
				return nil
			case !in.StartTime.IsZero() && e.Time.Before(in.StartTime.Add(-timeSlack)):
				return errStop
			case !in.StartTime.IsZero() && e.Time.Before(in.StartTime),
				!in.EndTime.IsZero() && e.Time.After(in.EndTime),
				!match(e):
				return nil
			case len(out.Events) == max:
				out.NextToken = formatToken(lastSeq)
				return errStop
			}
			le, err := lookupEvent(e)
			if err != nil {
				return err
			}
			out.Events = append(out.Events, le)
			lastSeq = seq
			return nil
		})
		if errors.Is(err, errStop) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func lookupFile(ctx context.Context, cf chainFile, fn func(seq uint64, e *Event) error) error {
	f, end, err := openData(cf.path)
	if err != nil {
		return fmt.Errorf("audit: lookup: %w", err)
	}
	defer f.Close()
	if cf.end >= 0 {
		end = min(end, cf.end)
	}
	return readLinesBackward(f, end, func(line []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var el eventLine
		if err := json.Unmarshal(line, &el); err != nil {
			return fmt.Errorf("audit: lookup: %s: a line is not an audit record", cf.path)
		}
		if el.Event == nil {
			return nil
		}
		return fn(el.Seq, el.Event)
	})
}

// lookupMatcher returns the test of an event against attrs.
func lookupMatcher(attrs []LookupAttribute) (func(*Event) bool, error) {
	if len(attrs) == 0 {
		return func(*Event) bool { return true }, nil
	}
	if len(attrs) > 1 {
		return nil, fmt.Errorf("%w: at most one attribute is allowed", ErrInvalidLookupAttributes)
	}
	v := attrs[0].Value
	switch attrs[0].Key {
	case LookupEventID:
		return func(e *Event) bool { return e.ID == v }, nil
	case LookupEventName:
		return func(e *Event) bool { return e.Operation == v }, nil
	case LookupReadOnly:
		if v != "true" && v != "false" {
			return nil, fmt.Errorf("%w: ReadOnly must be true or false", ErrInvalidLookupAttributes)
		}
		return func(e *Event) bool { return strconv.FormatBool(ReadOnly(e.Service, e.Operation)) == v }, nil
	case LookupUsername:
		return func(e *Event) bool { return e.Principal.Name == v }, nil
	case LookupResourceType:
		return func(e *Event) bool {
			for _, r := range e.Resources {
				if resourceType(r) == v {
					return true
				}
			}
			return false
		}, nil
	case LookupResourceName:
		return func(e *Event) bool { return matchResource(e, v) }, nil
	case LookupEventSource:
		return func(e *Event) bool { return eventSource(e.Service) == v }, nil
	case LookupAccessKeyID:
		return func(e *Event) bool { return e.Principal.AccessKeyID == v }, nil
	}
	return nil, fmt.Errorf("%w: unknown attribute key %q", ErrInvalidLookupAttributes, attrs[0].Key)
}

func lookupEvent(e *Event) (LookupEvent, error) {
	ct, err := json.Marshal(CloudTrail(e))
	if err != nil {
		return LookupEvent{}, fmt.Errorf("audit: lookup: encode event: %w", err)
	}
	le := LookupEvent{
		EventID: e.ID, EventName: e.Operation, ReadOnly: strconv.FormatBool(ReadOnly(e.Service, e.Operation)),
		AccessKeyID: e.Principal.AccessKeyID, EventTime: e.Time, EventSource: eventSource(e.Service),
		Username: e.Principal.Name, CloudTrailEvent: string(ct),
	}
	for _, r := range e.Resources {
		le.Resources = append(le.Resources, LookupResource{ResourceType: resourceType(r), ResourceName: r.ARN})
	}
	return le, nil
}

const tokenPrefix = "v1:"

func formatToken(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.FormatUint(seq, 10)))
}

func parseToken(tok string) (uint64, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if s, ok := strings.CutPrefix(string(b), tokenPrefix); err == nil && ok {
		if seq, err := strconv.ParseUint(s, 10, 64); err == nil {
			return seq, nil
		}
	}
	return 0, ErrInvalidNextToken
}

// backChunk is how much readLinesBackward reads at a time.
const backChunk = 64 << 10

// readLinesBackward calls fn with each line of r before offset end, last
// line first, without its '\n'. Bytes after the last '\n' (a torn or
// unfinished line) are skipped. It reads backChunk bytes at a time and
// holds at most one chunk and one line. An error from fn stops it.
func readLinesBackward(r io.ReaderAt, end int64, fn func(line []byte) error) error {
	var buf []byte // bytes [pos, pos+len(buf)) not yet passed to fn
	pos := end
	read := func() error {
		n := min(int64(backChunk), pos)
		pos -= n
		b := make([]byte, int(n)+len(buf))
		if _, err := r.ReadAt(b[:n], pos); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		copy(b[n:], buf)
		buf = b
		return nil
	}
	// Drop the torn tail: everything after the last '\n'.
	for {
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			buf = buf[:i+1]
			break
		}
		if pos == 0 {
			return nil
		}
		buf = nil
		if err := read(); err != nil {
			return err
		}
	}
	for len(buf) > 0 {
		if j := bytes.LastIndexByte(buf[:len(buf)-1], '\n'); j >= 0 || pos == 0 {
			if err := fn(buf[j+1 : len(buf)-1]); err != nil {
				return err
			}
			buf = buf[:j+1]
			continue
		}
		if len(buf) > maxLine+1 {
			return errTooLong
		}
		if err := read(); err != nil {
			return err
		}
	}
	return nil
}
