package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// tail is what scanning a log file found: its longest intact prefix.
type tail struct {
	records int               // intact records in the prefix
	seq     uint64            // the last one's
	hash    [sha256.Size]byte //
	reason  CheckpointReason  // its checkpoint reason, "" for an event
	end     int64             // where the prefix ends
	size    int64             // where the file's data ends (padding excluded)
}

// scanTail reads the file at path and returns its longest prefix of
// intact records: each one whole, with a matching hash, following the one
// before it, and (for checkpoints) signed by pub. Scanning is streaming.
func scanTail(ctx context.Context, path string, pub ed25519.PublicKey) (tail, error) {
	f, size, err := openData(path)
	if err != nil {
		return tail{}, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	t := tail{size: size}
	lr := newLineReader(io.LimitReader(f, size))
	for {
		if err := ctx.Err(); err != nil {
			return tail{}, err
		}
		line, _, complete, err := lr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, errTooLong) || !complete {
			break
		}
		if err != nil {
			return tail{}, fmt.Errorf("audit: read %s: %w", path, err)
		}
		r, err := parseRecord(line)
		if err != nil {
			break
		}
		if t.records > 0 && (r.Seq != t.seq+1 || r.prevHash() != t.hash) {
			break
		}
		if r.Checkpoint != nil && !r.signedBy(pub) {
			break
		}
		t.records++
		t.seq, t.hash, t.end = r.Seq, r.hash, lr.off
		t.reason = ""
		if r.Checkpoint != nil {
			t.reason = r.Checkpoint.Reason
		}
	}
	return t, nil
}

// resumeChain finds where the chain ends in cfg.Dir and sets the writer
// up to continue it (see OpenLog).
func (l *Log) resumeChain(ctx context.Context) error {
	files, err := Files(l.cfg.Dir)
	if err != nil {
		return err
	}
	var aside string
	for len(files) > 0 {
		path := files[len(files)-1]
		files = files[:len(files)-1]
		t, err := scanTail(ctx, path, l.cfg.Keys.public)
		if err != nil {
			return err
		}
		damaged := t.size - t.end
		switch {
		case t.records == 0 && t.size == 0:
			// A file created just before a crash: nothing to keep.
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("audit: remove empty %s: %w", path, err)
			}
			continue
		case damaged > maxAbandon:
			return fmt.Errorf("audit: %s is damaged after byte %d (%d bytes), more than a crash can leave: refusing to continue the chain; run coffer audit verify", path, t.end, damaged)
		case t.records == 0:
			// Only a torn write: nothing in it was ever acknowledged.
			name, err := setAside(path)
			if err != nil {
				return fmt.Errorf("audit: set %s aside: %w", path, err)
			}
			aside = joinSpace(aside, name)
			continue
		case t.reason == Close && damaged > 0:
			return fmt.Errorf("audit: %s has %d bytes after its Close checkpoint, which no writer leaves: refusing to continue the chain; run coffer audit verify", path, damaged)
		}
		l.w.seq, l.w.hash = t.seq, t.hash
		l.w.lastFile, l.w.lastEnd = filepath.Base(path), t.end
		switch {
		case t.reason != Close:
			l.w.resume = &Resume{Cause: "unclean shutdown", File: l.w.lastFile, Offset: t.end, Abandoned: damaged, SetAside: aside}
		case aside != "":
			l.w.resume = &Resume{Cause: "torn file after the Close checkpoint", File: l.w.lastFile, Offset: t.end, SetAside: aside}
		}
		return nil
	}
	if aside != "" {
		l.w.resume = &Resume{Cause: "unclean shutdown", SetAside: aside}
	}
	return nil
}
