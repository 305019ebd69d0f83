package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/manifest"
	"github.com/coffer-dev/coffer/internal/ref"
)

// coffer run: resolve secret references in the environment and run a
// command with the values, masking them in its output. docs/references.md
// is the user's description; internal/ref owns the reference grammar.

const runUsage = `Usage:
  coffer run [--env-file FILE]... [--region REGION] [--no-mask]
             [--watch[=signal:NAME]] [--watch-grace 10s] [--watch-poll 30s] -- COMMAND [ARGS...]

Resolves the secret references in the environment and in the env files
(${ssm:/path}, {{resolve:secretsmanager:...}}, secret ARNs,
@Microsoft.KeyVault(...), projects/P/secrets/S/versions/V, coffer://NAME;
see docs/references.md) through Coffer, then runs COMMAND with the values
in its environment. Signals, stdin and the exit status pass through.

By default coffer stays the parent and replaces every injected value (and
its base64 and URL-encoded forms) in the command's stdout and stderr with
*****. --no-mask replaces coffer with the command instead.

--watch follows the referenced secrets (through Coffer's change feed, and
by re-reading parameters every --watch-poll): when a value changes, coffer
restarts the command with the new environment (SIGTERM, then SIGKILL after
--watch-grace), or with --watch=signal:HUP sends it SIGHUP instead.

Exit status: the command's, 128+N if signal N killed it, 125 if coffer
could not resolve the references, 126 if COMMAND cannot run, 127 if it is
not found.
`

// Exit statuses of coffer run's own failures, as env(1), timeout(1) and
// docker run use them, so that they stand apart from the command's.
const (
	exitRunFailed  = 125
	exitCannotExec = 126
	exitNotFound   = 127
)

// exitStatus asks main to exit with code and print nothing more.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// ExitCode is the status main exits with.
func (e *exitStatus) ExitCode() int { return e.code }

// forwardedSignals are passed on to the command.
var forwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
}

// Masking parameters (documented in docs/references.md).
const (
	maskText      = "*****"
	minMaskLen    = 4                      // shorter values are not masked
	maskHoldDelay = 250 * time.Millisecond // held-back bytes are written after this
)

func runRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runUsage) }
	var envFiles multiFlag
	fs.Var(&envFiles, "env-file", "read KEY=VALUE lines from `FILE` (repeatable)")
	noMask := fs.Bool("no-mask", false, "exec the command directly, without masking its output")
	region := fs.String("region", "", "default `REGION` for references that name none")
	var watch watchMode
	fs.Var(&watch, "watch", "when a referenced value changes, restart the command (or, with =signal:NAME, send it that signal)")
	grace := fs.Duration("watch-grace", defaultWatchGrace, "with --watch, how long a restart waits after SIGTERM before SIGKILL")
	poll := fs.Duration("watch-poll", defaultWatchPoll, "with --watch, how often to re-read parameters (and secrets, without the change feed)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitStatus{exitRunFailed}
	}
	argv := fs.Args()
	fail := func(format string, args ...any) error {
		fmt.Fprintf(stderr, "coffer run: "+format+"\n", args...)
		return &exitStatus{exitRunFailed}
	}
	if len(argv) == 0 {
		return fail("no command given (coffer run [flags] -- COMMAND [ARGS...])")
	}
	if watch.on && *noMask {
		return fail("--watch keeps coffer as the command's parent; it cannot be combined with --no-mask")
	}
	if watch.on && (*poll <= 0 || *grace < 0) {
		return fail("--watch-poll must be positive and --watch-grace not negative")
	}
	vars, err := loadEnv(os.Environ(), envFiles)
	if err != nil {
		return fail("%v", err)
	}
	res := &resolver{load: func(ctx context.Context) (aws.Config, error) {
		cfg, err := awsConfig(ctx)
		if *region != "" {
			cfg.Region = *region
		}
		return cfg, err
	}}
	var feed *client.Watcher
	if watch.on { // learn where the feed stands before the first resolution
		if cfg, err := res.config(ctx); err == nil {
			feed = newFeed(ctx, cfg, stderr)
		}
	}
	env, secrets, problems := resolveEnv(ctx, res.resolve, vars)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "coffer run: %s\n", p)
		}
		return &exitStatus{exitRunFailed}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		code := exitCannotExec
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, iofs.ErrNotExist) {
			code = exitNotFound
		}
		fmt.Fprintf(stderr, "coffer run: %v\n", err)
		return &exitStatus{code}
	}
	if *noMask {
		err := syscall.Exec(path, argv, env) // returns only on failure
		fmt.Fprintf(stderr, "coffer run: exec %s: %v\n", argv[0], err)
		return &exitStatus{exitCannotExec}
	}
	patterns := maskPatterns(secrets, func(name string) {
		fmt.Fprintf(stderr, "coffer run: %s: value shorter than %d bytes is not masked\n", name, minMaskLen)
	})
	var rw *runWatch
	if watch.on {
		rw = &runWatch{mode: watch, grace: *grace, poll: *poll, resolve: res.resolve, vars: vars, feed: feed}
	}
	return runMasked(rw, path, argv, env, stdin, stdout, stderr, patterns)
}

// envVar is one variable of the command's environment.
type envVar struct{ name, value string }

// loadEnv returns environ with each env file applied over it in order.
func loadEnv(environ []string, files []string) ([]envVar, error) {
	var vars []envVar
	index := map[string]int{}
	set := func(name, value string) {
		if i, ok := index[name]; ok {
			vars[i].value = value
			return
		}
		index[name] = len(vars)
		vars = append(vars, envVar{name, value})
	}
	for _, kv := range environ {
		if name, value, ok := strings.Cut(kv, "="); ok && name != "" {
			set(name, value)
		}
	}
	for _, f := range files {
		fvars, err := readEnvFile(f)
		if err != nil {
			return nil, err
		}
		for _, v := range fvars {
			set(v.name, v.value)
		}
	}
	return vars, nil
}

// readEnvFile reads an env file in the grammar internal/manifest owns
// (manifest.ParseEnv; docs/references.md describes it). Errors name the
// file and line, never the line's text.
func readEnvFile(path string) ([]envVar, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	entries, err := manifest.ParseEnv(data)
	if err != nil {
		return nil, fmt.Errorf("env file %s:%w", path, err)
	}
	vars := make([]envVar, len(entries))
	for i, e := range entries {
		vars[i] = envVar{e.Name, e.Value}
	}
	return vars, nil
}

// secretVar is a resolved value and the variable it went into.
type secretVar struct{ name, value string }

// resolveEnv finds the references in vars, resolves each distinct one once
// through get, and returns the command's environment and the injected
// values. problems, sorted, name the variable and the reference, never a
// value; when there are any, env is nil.
func resolveEnv(ctx context.Context, get func(context.Context, ref.Ref) (string, error), vars []envVar) (env []string, secrets []secretVar, problems []string) {
	matches := make([][]ref.Match, len(vars))
	var order []ref.Ref
	seen := map[ref.Ref]bool{}
	for i, v := range vars {
		ms, err := ref.Find(v.value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", v.name, err))
			continue
		}
		matches[i] = ms
		for _, m := range ms {
			if !seen[m.Ref] {
				seen[m.Ref] = true
				order = append(order, m.Ref)
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, nil, problems
	}
	values := map[ref.Ref]string{}
	failures := map[ref.Ref]error{}
	for _, r := range order {
		val, err := get(ctx, r)
		if err == nil && strings.IndexByte(val, 0) >= 0 {
			err = errors.New("value contains a NUL byte, which an environment variable cannot hold")
		}
		if err != nil {
			failures[r] = err
			continue
		}
		values[r] = val
	}
	for i, v := range vars {
		ms := matches[i]
		if len(ms) == 0 {
			env = append(env, v.name+"="+v.value)
			continue
		}
		var b strings.Builder
		last, ok := 0, true
		for _, m := range ms {
			if err, failed := failures[m.Ref]; failed {
				problems = append(problems, fmt.Sprintf("%s: %s: %s", v.name, v.value[m.Start:m.End], describe(err)))
				ok = false
				continue
			}
			b.WriteString(v.value[last:m.Start])
			b.WriteString(values[m.Ref])
			last = m.End
			secrets = append(secrets, secretVar{v.name, values[m.Ref]})
		}
		if ok {
			b.WriteString(v.value[last:])
			env = append(env, v.name+"="+b.String())
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, nil, problems
	}
	return env, secrets, nil
}

// describe words a resolution error for the user: the SDK's error code and
// message for service errors (which never hold a value), else the error.
func describe(err error) string {
	if _, ok := errors.AsType[*ssmtypes.ParameterNotFound](err); ok {
		return "parameter not found"
	}
	if _, ok := errors.AsType[*ssmtypes.ParameterVersionNotFound](err); ok {
		return "parameter version not found"
	}
	if e, ok := errors.AsType[*smtypes.ResourceNotFoundException](err); ok {
		return "secret not found: " + e.ErrorMessage()
	}
	if e, ok := errors.AsType[smithy.APIError](err); ok {
		return e.ErrorCode() + ": " + e.ErrorMessage()
	}
	return err.Error()
}

// resolver reads references through the SDK, with one client per service
// and region, loading the SDK configuration on first use (a run without
// references needs none).
type resolver struct {
	load func(context.Context) (aws.Config, error)

	cfg     *aws.Config
	secrets map[string]*sm.Client
	params  map[string]*ssm.Client
}

func (r *resolver) config(ctx context.Context) (aws.Config, error) {
	if r.cfg == nil {
		cfg, err := r.load(ctx)
		if err != nil {
			return cfg, err
		}
		r.cfg = &cfg
		r.secrets, r.params = map[string]*sm.Client{}, map[string]*ssm.Client{}
	}
	return *r.cfg, nil
}

func (r *resolver) resolve(ctx context.Context, rf ref.Ref) (string, error) {
	cfg, err := r.config(ctx)
	if err != nil {
		return "", err
	}
	region := cmpOr(rf.Region, cfg.Region)
	var text string
	switch rf.Service {
	case ref.SecretsManager:
		c := r.secrets[region]
		if c == nil {
			c = sm.NewFromConfig(cfg, func(o *sm.Options) { o.Region = region })
			r.secrets[region] = c
		}
		in := &sm.GetSecretValueInput{SecretId: aws.String(rf.ID)}
		if rf.Stage != "" {
			in.VersionStage = aws.String(rf.Stage)
		}
		if rf.VersionID != "" {
			in.VersionId = aws.String(rf.VersionID)
		}
		out, err := c.GetSecretValue(ctx, in)
		if err != nil {
			return "", err
		}
		if out.SecretString == nil {
			return "", errors.New("the secret has no SecretString (binary secrets cannot be injected)")
		}
		text = *out.SecretString
	case ref.SSM:
		c := r.params[region]
		if c == nil {
			c = ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.Region = region })
			r.params[region] = c
		}
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{
			Name: aws.String(rf.ParameterName()), WithDecryption: aws.Bool(rf.Decrypt),
		})
		if err != nil {
			return "", err
		}
		text = aws.ToString(out.Parameter.Value)
		if !rf.Raw && strings.HasPrefix(rf.ID, ref.SecretsManagerReferencePrefix) && json.Valid([]byte(text)) {
			text = jsonText([]byte(text))
		}
	default:
		return "", fmt.Errorf("unknown service %q", rf.Service)
	}
	if rf.JSONKey != "" {
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(text), &fields) != nil {
			return "", errors.New("the value is not a JSON object, so it has no key " + fmt.Sprintf("%q", rf.JSONKey))
		}
		field, ok := fields[rf.JSONKey]
		if !ok {
			return "", fmt.Errorf("JSON key %q not found", rf.JSONKey)
		}
		text = jsonText(field)
	}
	return text, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// jsonText renders valid JSON for an environment variable: a string as its
// contents, anything else as compact JSON.
func jsonText(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// maskPatterns returns what the masker replaces: every injected value of
// at least minMaskLen bytes, its encodings and its lines, longest first.
// short is called once for each variable whose value is too short.
func maskPatterns(secrets []secretVar, short func(name string)) [][]byte {
	seen := map[string]bool{}
	warned := map[string]bool{}
	var pats [][]byte
	add := func(s string) {
		if len(s) >= minMaskLen && !seen[s] {
			seen[s] = true
			pats = append(pats, []byte(s))
		}
	}
	for _, s := range secrets {
		v := s.value
		if len(v) < minMaskLen {
			if v != "" && !warned[s.name] {
				warned[s.name] = true
				short(s.name)
			}
			continue
		}
		add(v)
		add(base64.StdEncoding.EncodeToString([]byte(v)))
		add(base64.RawStdEncoding.EncodeToString([]byte(v)))
		add(base64.URLEncoding.EncodeToString([]byte(v)))
		add(base64.RawURLEncoding.EncodeToString([]byte(v)))
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		for _, html := range []bool{true, false} {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(html)
			if enc.Encode(v) == nil {
				add(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(b.String(), `"`), "\n"), `"`))
			}
		}
		for line := range strings.Lines(v) {
			add(strings.TrimRight(line, "\r\n"))
		}
	}
	slices.SortFunc(pats, func(a, b []byte) int { return len(b) - len(a) })
	return pats
}

// masker writes what it is given to w with every pattern replaced by
// maskText. It holds back only a trailing run of bytes that could be the
// start of a pattern, and writes that run unchanged once delay passes
// without another write, or at Close.
type masker struct {
	w     io.Writer
	delay time.Duration

	mu    sync.Mutex
	pats  [][]byte // longest first
	first [256]bool
	held  []byte
	timer *time.Timer
	err   error // from w; sticky
}

func newMasker(w io.Writer, pats [][]byte, delay time.Duration) *masker {
	m := &masker{w: w, pats: pats, delay: delay}
	for _, p := range pats {
		m.first[p[0]] = true
	}
	return m
}

// addPatterns masks pats too, from the next write on (coffer run --watch:
// the new values of rotated secrets; the old ones stay masked).
func (m *masker) addPatterns(pats [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range pats {
		if !slices.ContainsFunc(m.pats, func(q []byte) bool { return bytes.Equal(p, q) }) {
			m.pats = append(m.pats, p)
			m.first[p[0]] = true
		}
	}
	slices.SortStableFunc(m.pats, func(a, b []byte) int { return len(b) - len(a) })
}

func (m *masker) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, m.err
	}
	m.held = append(m.held, p...)
	m.flushLocked(false)
	if m.err != nil {
		return 0, m.err
	}
	switch {
	case len(m.held) == 0:
		if m.timer != nil {
			m.timer.Stop()
		}
	case m.timer == nil:
		m.timer = time.AfterFunc(m.delay, m.timeout)
	default:
		m.timer.Reset(m.delay)
	}
	return len(p), nil
}

func (m *masker) timeout() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flushLocked(true)
}

// Close writes what is held back.
func (m *masker) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer != nil {
		m.timer.Stop()
	}
	m.flushLocked(true)
	return m.err
}

// flushLocked writes m.held with the patterns masked, keeping back (unless
// final) the tail that is a proper prefix of a pattern.
func (m *masker) flushLocked(final bool) {
	buf := m.held
	var out []byte
	emitted, i := 0, 0
	for i < len(buf) {
		if !m.first[buf[i]] {
			i++
			continue
		}
		rest := buf[i:]
		if !final && m.couldStart(rest) {
			break
		}
		if n := m.matchAt(rest); n > 0 {
			out = append(out, buf[emitted:i]...)
			out = append(out, maskText...)
			i += n
			emitted = i
			continue
		}
		i++
	}
	out = append(out, buf[emitted:i]...)
	m.held = append(m.held[:0], buf[i:]...)
	if len(out) > 0 && m.err == nil {
		_, m.err = m.w.Write(out)
	}
}

// couldStart reports whether rest is a proper prefix of a pattern.
func (m *masker) couldStart(rest []byte) bool {
	for _, p := range m.pats {
		if len(rest) < len(p) && bytes.HasPrefix(p, rest) {
			return true
		}
	}
	return false
}

// matchAt returns the length of the longest pattern rest starts with, or 0.
func (m *masker) matchAt(rest []byte) int {
	for _, p := range m.pats {
		if bytes.HasPrefix(rest, p) {
			return len(p)
		}
	}
	return 0
}
