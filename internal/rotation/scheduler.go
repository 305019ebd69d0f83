package rotation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/coffer-dev/coffer/internal/secrets"
)

// Secrets is the part of the secrets domain the scheduler drives.
type Secrets interface {
	DueRotations(ctx context.Context, now time.Time) ([]secrets.DueRotation, error)
	BeginRotation(ctx context.Context, region, arn string) (token, lambdaARN string, err error)
	EndRotation(ctx context.Context, region, arn, token string, failure *secrets.RotationFailure, retryAt time.Time) error
	PurgeDue(ctx context.Context) (int, error)
	PurgeVersions(ctx context.Context, retention time.Duration) (int, error)
}

// Config wires a Scheduler. Secrets, Functions and Invocation are required.
type Config struct {
	Secrets   Secrets
	Functions *Registry
	// Invocation prepares the call of a function for the secret arn:
	// scoped credentials and the way to reach Coffer.
	Invocation func(ctx context.Context, region, arn string, opts FunctionOptions) (Invocation, error)
	// Now is the clock; nil means time.Now. Tests inject one and call
	// RunOnce instead of waiting.
	Now func() time.Time
	// Interval between sweeps (default one minute).
	Interval time.Duration
	// StepTimeout bounds each step of a rotation (default five minutes).
	StepTimeout time.Duration
	// Parallel is how many rotations may run at once (default 4), so a hung
	// function cannot hold up the others.
	Parallel int
	// Retention is how long versions without labels are kept (0: forever).
	Retention time.Duration
	// Backoff is the wait before retry n (1-based) of a failed rotation;
	// nil means one minute doubling up to an hour.
	Backoff func(n int) time.Duration
	// Leader reports whether this node may act; nil means always. Several
	// nodes on one database use it to elect exactly one scheduler.
	Leader func(ctx context.Context) bool
	// Housekeeping runs on every sweep (e.g. purging expired sessions).
	Housekeeping []func(ctx context.Context)
	// Observe, if set, is told the outcome of every rotation run.
	Observe func(region, arn string, failure *secrets.RotationFailure)
	// Record, if set, records each step before it runs (the audit trail);
	// if it fails the step does not run and the rotation is retried later.
	Record func(ctx context.Context, region, arn, token, step string) error
	Logger *slog.Logger
}

// Scheduler runs due rotations and the periodic purges. At most one
// rotation runs per secret at a time; its state lives in the secret's
// record, so a restart resumes where it stopped and a window missed while
// the server was down runs at the first sweep.
type Scheduler struct {
	cfg  Config
	kick chan struct{}
	sem  chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	inflight map[string]bool
}

// New returns a scheduler; Run starts it.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = 5 * time.Minute
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		cfg:      cfg,
		kick:     make(chan struct{}, 1),
		sem:      make(chan struct{}, cfg.Parallel),
		inflight: map[string]bool{},
	}
}

// DefaultBackoff waits one minute before the first retry, doubling up to
// an hour.
func DefaultBackoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Kick asks for a sweep now (RotateSecret calls it). It never blocks.
func (s *Scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run sweeps at start, every Interval and when kicked, until ctx ends; it
// then waits for the rotations it started.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

// RunOnce sweeps once and waits for the rotations it started: for tests
// with an injected clock, and for `coffer` maintenance commands.
func (s *Scheduler) RunOnce(ctx context.Context) {
	s.sweep(ctx)
	s.wg.Wait()
}

func (s *Scheduler) sweep(ctx context.Context) {
	if s.cfg.Leader != nil && !s.cfg.Leader(ctx) {
		return
	}
	log := s.cfg.Logger
	if n, err := s.cfg.Secrets.PurgeDue(ctx); err != nil && ctx.Err() == nil {
		log.Error("purge secrets whose recovery window ended", "err", err)
	} else if n > 0 {
		log.Info("purged secrets whose recovery window ended", "count", n)
	}
	if n, err := s.cfg.Secrets.PurgeVersions(ctx, s.cfg.Retention); err != nil && ctx.Err() == nil {
		log.Error("purge deprecated versions", "err", err)
	} else if n > 0 {
		log.Info("purged versions past their retention", "count", n, "retention", s.cfg.Retention)
	}
	for _, h := range s.cfg.Housekeeping {
		h(ctx)
	}
	due, err := s.cfg.Secrets.DueRotations(ctx, s.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			log.Error("list due rotations", "err", err)
		}
		return
	}
	for _, d := range due {
		if !s.claim(d) {
			continue // already running
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.release(d)
			select {
			case s.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-s.sem }()
			s.rotate(ctx, d)
		}()
	}
}

func key(d secrets.DueRotation) string { return d.Region + "\x00" + d.ARN }

func (s *Scheduler) claim(d secrets.DueRotation) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[key(d)] {
		return false
	}
	s.inflight[key(d)] = true
	return true
}

func (s *Scheduler) release(d secrets.DueRotation) {
	s.mu.Lock()
	delete(s.inflight, key(d))
	s.mu.Unlock()
}

// rotate runs the four steps of one rotation and records the outcome.
func (s *Scheduler) rotate(ctx context.Context, d secrets.DueRotation) {
	log := s.cfg.Logger.With("secret_arn", d.ARN, "region", d.Region)
	token, lambdaARN, err := s.cfg.Secrets.BeginRotation(ctx, d.Region, d.ARN)
	if errors.Is(err, secrets.ErrNotDue) {
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("begin rotation", "err", err)
		}
		return
	}
	log = log.With("version_id", token)
	failure := s.run(ctx, d.Region, d.ARN, token, lambdaARN, log)
	if ctx.Err() != nil && failure != nil {
		return // shutting down: the rotation stays in progress and resumes at start
	}
	retryAt := s.cfg.Now().Add(s.cfg.Backoff(d.Attempt))
	if err := s.cfg.Secrets.EndRotation(context.WithoutCancel(ctx), d.Region, d.ARN, token, failure, retryAt); err != nil {
		log.Error("rotation did not complete", "err", err)
		if failure == nil {
			failure = &secrets.RotationFailure{Step: StepFinish, Message: err.Error()}
		}
	} else if failure == nil {
		log.Info("rotation complete")
	} else {
		log.Warn("rotation step failed; will retry", "step", failure.Step, "err", failure.Message, "retry_at", retryAt)
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(d.Region, d.ARN, failure)
	}
}

// run invokes the function for each step in order, stopping at the first
// failure, which it returns.
func (s *Scheduler) run(ctx context.Context, region, arn, token, lambdaARN string, log *slog.Logger) *secrets.RotationFailure {
	fn, opts, err := s.cfg.Functions.Lookup(lambdaARN)
	if err != nil {
		return &secrets.RotationFailure{Message: "rotation function " + lambdaARN + " is not registered on this server"}
	}
	inv, err := s.cfg.Invocation(ctx, region, arn, opts)
	if err != nil {
		return &secrets.RotationFailure{Message: "issue credentials for the rotation function: " + err.Error()}
	}
	inv.Event = Event{SecretID: arn, ClientRequestToken: token, RotationToken: newRotationToken()}
	for _, step := range Steps {
		inv.Event.Step = step
		if s.cfg.Record != nil {
			if err := s.cfg.Record(ctx, region, arn, token, step); err != nil {
				return &secrets.RotationFailure{Step: step, Message: "the step could not be audited, so it did not run"}
			}
		}
		stepCtx, cancel := context.WithTimeout(ctx, s.cfg.StepTimeout)
		start := time.Now()
		err := fn.Invoke(stepCtx, inv)
		cancel()
		if err != nil {
			log.Debug("rotation step failed", "step", step, "duration", time.Since(start))
			return &secrets.RotationFailure{Step: step, Message: err.Error()}
		}
		log.Debug("rotation step done", "step", step, "duration", time.Since(start))
	}
	return nil
}

func newRotationToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
