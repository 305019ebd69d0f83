package secrets

import (
	"context"
	"sync"
	"time"
)

// Change says that a secret was written (a new version, moved stages,
// metadata, deletion or purge). It carries no value. Caches use changes to
// refresh at once instead of waiting for their TTL.
type Change struct {
	Seq    uint64
	Region string
	ARN    string
	Name   string
}

// changeLog keeps the latest changes in memory for watchers. It is per
// process: with several nodes on one store each node sees its own writes
// (a shared feed comes with the PostgreSQL backend).
type changeLog struct {
	mu   sync.Mutex
	seq  uint64
	buf  []Change // ring of the last len(buf) changes
	wake chan struct{}
}

const changeLogSize = 4096

func (c *changeLog) add(region, arn, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		c.buf = make([]Change, changeLogSize)
		c.wake = make(chan struct{})
	}
	c.seq++
	c.buf[c.seq%changeLogSize] = Change{Seq: c.seq, Region: region, ARN: arn, Name: name}
	close(c.wake)
	c.wake = make(chan struct{})
}

// since returns the changes after seq, the current sequence number, and
// whether changes after seq were already dropped (the watcher must then
// treat everything as changed).
func (c *changeLog) since(seq uint64) (out []Change, now uint64, reset bool, wake <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wake == nil {
		c.buf = make([]Change, changeLogSize)
		c.wake = make(chan struct{})
	}
	if seq > c.seq {
		return nil, c.seq, true, c.wake // from another incarnation of the server
	}
	if c.seq-seq > changeLogSize {
		return nil, c.seq, true, c.wake
	}
	for s := seq + 1; s <= c.seq; s++ {
		out = append(out, c.buf[s%changeLogSize])
	}
	return out, c.seq, false, c.wake
}

// Changes waits up to wait until a secret changes after seq and returns
// the changes, the sequence number to pass next time, and reset when the
// changes since seq are no longer known (treat every secret as changed).
// seq 0 returns at once with the current sequence number. The caller must
// be allowed secretsmanager:ListSecrets: changes reveal names.
func (s *Service) Changes(ctx context.Context, call Call, seq uint64, wait time.Duration) ([]Change, uint64, bool, error) {
	if err := s.authorize(ctx, call, "secretsmanager:ListSecrets", nil, nil); err != nil {
		return nil, 0, false, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		out, now, reset, wake := s.changes.since(seq)
		if seq == 0 {
			return nil, now, false, nil
		}
		if reset || len(out) > 0 {
			return filterRegion(out, call.Region), now, reset, nil
		}
		select {
		case <-ctx.Done():
			return nil, now, false, nil
		case <-timer.C:
			return nil, now, false, nil
		case <-wake:
		}
	}
}

func filterRegion(cs []Change, region string) []Change {
	out := cs[:0:0]
	for _, c := range cs {
		if c.Region == region {
			out = append(out, c)
		}
	}
	return out
}
