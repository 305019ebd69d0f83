package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sys/unix"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/ref"
)

// coffer run --watch: re-resolve the references when a secret or
// parameter they point to changes, and restart or signal the command.

// Defaults of --watch-grace and --watch-poll (docs/references.md).
const (
	defaultWatchGrace = 10 * time.Second
	defaultWatchPoll  = 30 * time.Second
)

// watchMode is the value of --watch: off, restart (--watch), or send a
// signal (--watch=signal:HUP).
type watchMode struct {
	on     bool
	signal syscall.Signal // 0: restart the command
}

func (w *watchMode) IsBoolFlag() bool { return true }

func (w *watchMode) String() string {
	switch {
	case w == nil || !w.on:
		return ""
	case w.signal != 0:
		return "signal:" + strings.TrimPrefix(unix.SignalName(w.signal), "SIG")
	}
	return "restart"
}

func (w *watchMode) Set(s string) error {
	switch {
	case s == "true" || s == "restart":
		*w = watchMode{on: true}
	case s == "false":
		*w = watchMode{}
	case strings.HasPrefix(s, "signal:"):
		name := strings.ToUpper(strings.TrimPrefix(s, "signal:"))
		sig := unix.SignalNum("SIG" + strings.TrimPrefix(name, "SIG"))
		if sig == 0 {
			return fmt.Errorf("unknown signal %q", name)
		}
		*w = watchMode{on: true, signal: sig}
	default:
		return fmt.Errorf("want restart or signal:NAME, got %q", s)
	}
	return nil
}

// runWatch holds what coffer run --watch needs besides the command.
type runWatch struct {
	mode  watchMode
	grace time.Duration // between SIGTERM and SIGKILL on a restart
	poll  time.Duration // re-resolve this often when the feed cannot tell

	resolve func(context.Context, ref.Ref) (string, error)
	vars    []envVar
	feed    *client.Watcher // nil: poll only
}

// newFeed returns a change-feed watcher that has learnt where the feed
// stands (so that no change after the first resolution is missed), or nil
// when the server has no feed (AWS itself) or refuses it.
func newFeed(ctx context.Context, cfg aws.Config, stderr io.Writer) *client.Watcher {
	w, err := client.NewWatcher(cfg)
	if err == nil {
		_, _, err = w.Next(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "coffer run: --watch: no change feed (%v); polling every so often instead\n", err)
		return nil
	}
	return w
}

// refs returns the distinct references in vars.
func (rw *runWatch) refs() []ref.Ref {
	var out []ref.Ref
	for _, v := range rw.vars {
		ms, _ := ref.Find(v.value)
		for _, m := range ms {
			if !slices.Contains(out, m.Ref) {
				out = append(out, m.Ref)
			}
		}
	}
	return out
}

// watch sends on changed when a referenced secret may have changed: on
// the change feed's word, and every poll interval for what the feed does
// not cover (parameters, or everything if the feed fails).
func (rw *runWatch) watch(ctx context.Context, changed chan<- struct{}) {
	refs := rw.refs()
	secretIDs := map[string]bool{}
	pollAlways := false
	for _, r := range refs {
		switch {
		case r.Service == ref.SecretsManager:
			secretIDs[r.ID] = true
		case strings.HasPrefix(r.ID, ref.SecretsManagerReferencePrefix):
			secretIDs[strings.TrimPrefix(r.ID, ref.SecretsManagerReferencePrefix)] = true
		default:
			pollAlways = true // parameters are not in the feed
		}
	}
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	var feedDown atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	feed := rw.feed != nil && len(secretIDs) > 0
	if feed {
		wg.Go(func() {
			backoff := time.Second
			for ctx.Err() == nil {
				cs, reset, err := rw.feed.Next(ctx)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					feedDown.Store(true)
					select {
					case <-ctx.Done():
					case <-time.After(backoff):
					}
					backoff = min(2*backoff, time.Minute)
					continue
				}
				if feedDown.Swap(false) {
					notify() // changes may have been missed meanwhile
				}
				backoff = time.Second
				for _, c := range cs {
					if secretIDs[c.Name] || secretIDs[c.ARN] || secretIDs[partialARN(c.ARN)] {
						notify()
					}
				}
				if reset {
					notify()
				}
			}
		})
	}
	t := time.NewTicker(rw.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if pollAlways || !feed || feedDown.Load() {
				notify()
			}
		}
	}
}

// partialARN drops the 6-character suffix AWS adds to a secret's name.
func partialARN(arn string) string {
	if n := len(arn) - 7; n > 0 && arn[n] == '-' {
		return arn[:n]
	}
	return arn
}

// child is one run of the command.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when Wait returns
	err  error
}

func startChild(path string, argv, env []string, stdin io.Reader, stdout, stderr io.Writer) (*child, error) {
	c := &child{done: make(chan struct{}), cmd: &exec.Cmd{
		Path: path, Args: argv, Env: env,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		// A background grandchild that keeps the pipes open must not
		// keep coffer running after the command exits.
		WaitDelay: time.Second,
	}}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { c.err = c.cmd.Wait(); close(c.done) }()
	return c, nil
}

// status is coffer run's result for the command's end: nil for 0, else
// its exit status or 128+N for signal N.
func (c *child) status(stderr io.Writer) error {
	if c.cmd.ProcessState == nil {
		fmt.Fprintf(stderr, "coffer run: wait: %v\n", c.err)
		return &exitStatus{exitRunFailed}
	}
	ws, _ := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	code := ws.ExitStatus()
	if ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if code != 0 {
		return &exitStatus{code}
	}
	return nil
}

// runMasked runs the command as a child with its output masked, forwards
// signals to it and returns its exit status when it exits on its own.
//
// With rw (--watch) it also follows the references: when a value changes
// it masks the new value too and restarts the command (SIGTERM, then
// SIGKILL after the grace period, then start it with the new environment)
// or sends it the signal.
func runMasked(rw *runWatch, path string, argv, env []string, stdin io.Reader, stdout, stderr io.Writer, patterns [][]byte) error {
	outMask := newMasker(stdout, patterns, maskHoldDelay)
	errMask := newMasker(stderr, patterns, maskHoldDelay)
	defer outMask.Close()
	defer errMask.Close()
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)

	c, err := startChild(path, argv, env, stdin, outMask, errMask)
	if err != nil {
		fmt.Fprintf(stderr, "coffer run: %v\n", err)
		return &exitStatus{exitCannotExec}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var changed chan struct{} // nil without --watch: never ready
	var wg sync.WaitGroup
	if rw != nil {
		changed = make(chan struct{}, 1)
		wg.Go(func() { rw.watch(ctx, changed) })
	}
	defer wg.Wait()
	defer cancel()
	exit := func() error {
		outMask.Close()
		errMask.Close()
		return c.status(stderr)
	}
	for {
		select {
		case s := <-sigs:
			c.cmd.Process.Signal(s) // fails only once the child is gone
		case <-c.done:
			return exit()
		case <-changed:
			newEnv, secrets, problems := resolveEnv(ctx, rw.resolve, rw.vars)
			if len(problems) > 0 {
				for _, p := range problems {
					fmt.Fprintf(stderr, "coffer run: --watch: %s (the command keeps running)\n", p)
				}
				continue
			}
			if slices.Equal(newEnv, env) {
				continue
			}
			env = newEnv
			pats := maskPatterns(secrets, func(name string) {
				fmt.Fprintf(stderr, "coffer run: %s: value shorter than %d bytes is not masked\n", name, minMaskLen)
			})
			outMask.addPatterns(pats)
			errMask.addPatterns(pats)
			if rw.mode.signal != 0 {
				fmt.Fprintf(stderr, "coffer run: --watch: a referenced secret changed; sending %v\n", rw.mode.signal)
				c.cmd.Process.Signal(rw.mode.signal)
				continue
			}
			fmt.Fprintf(stderr, "coffer run: --watch: a referenced secret changed; restarting the command\n")
			if !stopChild(c, rw.grace, sigs) {
				return exit() // a forwarded signal, not ours, ended it
			}
			if c, err = startChild(path, argv, env, stdin, outMask, errMask); err != nil {
				fmt.Fprintf(stderr, "coffer run: restart: %v\n", err)
				return &exitStatus{exitCannotExec}
			}
		}
	}
}

// stopChild ends c with SIGTERM, then SIGKILL after grace, forwarding
// signals meanwhile. It reports false if a forwarded signal that coffer
// received came first, so the stop is the user's and coffer should exit.
func stopChild(c *child, grace time.Duration, sigs <-chan os.Signal) bool {
	c.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	ours := true
	for {
		select {
		case s := <-sigs:
			c.cmd.Process.Signal(s)
			ours = false
		case <-timer.C:
			c.cmd.Process.Kill()
		case <-c.done:
			return ours
		}
	}
}
