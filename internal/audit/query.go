package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// timeSlack is how far out of time order the log's events may be: an
// event's Time is when its request arrived, and it is appended when the
// request completes (or a scheduler action ends). Queries by time read
// this much beyond the range before they stop.
const timeSlack = time.Hour

// Filter selects events. Zero fields match everything.
type Filter struct {
	Since, Until time.Time // inclusive bounds on Event.Time
	// Principal matches the principal's ARN, name, unique id or access
	// key id, exactly.
	Principal string
	// Action matches the operation ("GetSecretValue") or service and
	// operation ("secretsmanager:GetSecretValue"), ignoring case as IAM
	// does.
	Action string
	// Resource matches a resource's ARN or name ("prod/db" for
	// arn:...:secret:prod/db-Ab12Cd), or the SecretId or Name parameter
	// of a request that named one.
	Resource string
	Decision Decision
}

// Match reports whether e passes the filter.
func (f *Filter) Match(e *Event) bool {
	switch {
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && e.Time.After(f.Until):
		return false
	case f.Decision != "" && e.Decision != f.Decision:
		return false
	case f.Principal != "" && f.Principal != e.Principal.ARN && f.Principal != e.Principal.Name &&
		f.Principal != e.Principal.ID && f.Principal != e.Principal.AccessKeyID:
		return false
	case f.Action != "" && !strings.EqualFold(f.Action, e.Operation) && !strings.EqualFold(f.Action, e.Service+":"+e.Operation):
		return false
	case f.Resource != "" && !matchResource(e, f.Resource):
		return false
	}
	return true
}

func matchResource(e *Event, want string) bool {
	for _, r := range e.Resources {
		if r.ARN == want || resourceName(r.ARN) == want {
			return true
		}
	}
	return e.Params["SecretId"] == want || e.Params["Name"] == want
}

// chainFile is a log file and the part of it that belongs to the chain.
type chainFile struct {
	path     string
	firstSeq uint64 // from its name
	end      int64  // bytes of the file in the chain; -1 for all
}

// chainFiles lists the log files of dir in order, each cut where the next
// file's Recover checkpoint says the chain left it: records after that
// point were never acknowledged, so queries leave them out.
func chainFiles(dir string) ([]chainFile, error) {
	paths, err := Files(dir)
	if err != nil {
		return nil, err
	}
	files := make([]chainFile, len(paths))
	for i, p := range paths {
		seq, _ := fileSeq(filepath.Base(p))
		files[i] = chainFile{path: p, firstSeq: seq, end: -1}
		if i == 0 {
			continue
		}
		if res := firstResume(p); res != nil && res.File == filepath.Base(paths[i-1]) {
			files[i-1].end = res.Offset
		}
	}
	return files, nil
}

// firstResume returns the Resume of the Recover checkpoint a file starts
// with, or nil.
func firstResume(path string) *Resume {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	line, _, complete, err := newLineReader(f).next()
	if err != nil || !complete {
		return nil
	}
	r, err := parseRecord(line)
	if err != nil || r.Checkpoint == nil || r.Checkpoint.Reason != Recover {
		return nil
	}
	return r.Checkpoint.Resume
}

// eventLine is what readers decode of a record: its seq, and its event if
// it is one.
type eventLine struct {
	Seq   uint64 `json:"seq"`
	Event *Event `json:"event"`
}

// errStop ends a scan early without an error.
var errStop = errors.New("stop")

// Query calls fn with each event of the log in dir that f matches, in log
// order (the order requests completed). It reads the files as streams and
// skips checkpoints, records abandoned by a Recover checkpoint, and a torn
// last line; it does not verify the chain (that is Verify's job). A line
// that is not a record is an error naming its file and line. An error
// from fn stops Query and is returned.
func Query(ctx context.Context, dir string, f Filter, fn func(*Event) error) error {
	files, err := chainFiles(dir)
	if err != nil {
		return err
	}
	for i, cf := range files {
		if !f.Since.IsZero() && i+1 < len(files) {
			if t, ok := firstEventTime(files[i+1].path); ok && t.Before(f.Since.Add(-timeSlack)) {
				continue // every event of this file is older still
			}
		}
		if err := queryFile(ctx, cf, &f, fn); errors.Is(err, errStop) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// Recent calls fn, in log order, with the events at or after since in
// the newest files of the log in dir, reading whole files from the newest
// back while they add up to at most maxBytes (the newest is always read).
// It bounds what a server replays at start (see alert.Engine.Warm) on a
// busy log.
func Recent(ctx context.Context, dir string, since time.Time, maxBytes int64, fn func(*Event) error) error {
	files, err := chainFiles(dir)
	if err != nil {
		return err
	}
	first, total := len(files), int64(0)
	for first > 0 {
		fi, err := os.Stat(files[first-1].path)
		if err != nil || (first < len(files) && total+fi.Size() > maxBytes) {
			break
		}
		total += fi.Size()
		first--
	}
	f := Filter{Since: since}
	for _, cf := range files[first:] {
		if err := queryFile(ctx, cf, &f, fn); errors.Is(err, errStop) {
			return nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

func queryFile(ctx context.Context, cf chainFile, f *Filter, fn func(*Event) error) error {
	file, end, err := openData(cf.path)
	if err != nil {
		return fmt.Errorf("audit: query: %w", err)
	}
	defer file.Close()
	if cf.end >= 0 {
		end = min(end, cf.end)
	}
	lr := newLineReader(io.LimitReader(file, end))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, _, complete, err := lr.next()
		switch {
		case errors.Is(err, io.EOF) || (err == nil && !complete):
			return nil
		case err != nil:
			return fmt.Errorf("audit: query: %s:%d: %w", cf.path, lr.line, err)
		}
		var el eventLine
		if err := json.Unmarshal(line, &el); err != nil {
			return fmt.Errorf("audit: query: %s:%d: not an audit record", cf.path, lr.line)
		}
		if el.Event == nil {
			continue
		}
		if !f.Until.IsZero() && el.Event.Time.After(f.Until.Add(timeSlack)) {
			return errStop
		}
		if f.Match(el.Event) {
			if err := fn(el.Event); err != nil {
				return err
			}
		}
	}
}

// firstEventTime returns the time of the first event in a file.
func firstEventTime(path string) (time.Time, bool) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	lr := newLineReader(f)
	for range 8 { // a Recover or Close checkpoint may come first
		line, _, complete, err := lr.next()
		if err != nil || !complete {
			return time.Time{}, false
		}
		var el eventLine
		if json.Unmarshal(line, &el) == nil && el.Event != nil {
			return el.Event.Time, true
		}
	}
	return time.Time{}, false
}
