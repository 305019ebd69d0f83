package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/server"
)

const auditUsage = `Usage:
  coffer audit verify [--data-dir DIR | --pubkey KEY] [--live] [--partial] [FILE...|DIR]
  coffer audit query  [--dir DIR] [--since T] [--until T] [--principal P] [--action A]
                      [--resource R] [--decision allow|deny] [--format table|json|cloudtrail]
  coffer audit pubkey [--data-dir DIR]
  coffer audit hmac   [--data-dir DIR] [--exact] < value
  coffer audit unused --principal ARN [--days N] [--dir DIR | --data-dir DIR] [--format text|json]

verify checks that the audit log is one intact hash chain whose checkpoints
carry valid signatures, and names the first broken, missing, reordered or
truncated record (file, line, sequence number); it exits 1 if there is one.
It checks signatures with the public key (--pubkey, as "coffer audit pubkey"
prints it) or with the root key of the data dir. --live accepts a log the
server is still writing; --partial accepts files whose older or newer
neighbours were removed.

query prints the events that match every filter given, oldest first: --since
and --until take RFC 3339 times, dates (2006-01-02) or durations back from
now (24h); --principal a user or role name, ARN or access key id; --action an
operation (GetSecretValue) or service:operation; --resource a secret's name
or ARN.

pubkey prints the public key that verifies the log's checkpoints. hmac prints
the digest the log records in place of a sensitive value, read from stdin
(one trailing newline removed unless --exact), so that you can find where a
known value was used. Both read the root key from the data dir.

unused lists what the inline policies of a user or role (read through the
server's IAM API, configured the AWS SDK way) grant that the principal did
not use in the last --days (default 90) according to the audit log, with the
last use of what it did use, and prints a narrower policy that still allows
every request those policies allowed. A role session ARN stands for its
role; a role's requests are those of all its sessions.

The data dir is --data-dir, else COFFER_DATA_DIR, else ` + server.DefaultDataDir + `; the log is
its audit/ directory.
`

// rootKeyFile is the root key's name in the data dir, as internal/server
// names it.
const rootKeyFile = "root.key"

func runAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], stdout, stderr)
	case "query":
		return auditQuery(ctx, args[1:], stdout, stderr)
	case "pubkey":
		return auditPubkey(args[1:], stdout, stderr)
	case "hmac":
		return auditHMAC(args[1:], stdin, stdout, stderr)
	case "unused":
		return auditUnused(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, auditUsage)
		return nil
	}
	fmt.Fprint(stderr, auditUsage)
	return fmt.Errorf("unknown audit command %q", args[0])
}

func newAuditFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("coffer audit "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage) }
	dataDir := fs.String("data-dir", "", "data directory holding root.key and audit/ (default $COFFER_DATA_DIR or "+server.DefaultDataDir+")")
	return fs, dataDir
}

// dataDirOr returns the data dir flag, else COFFER_DATA_DIR, else the
// server's default.
func dataDirOr(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv("COFFER_DATA_DIR"); v != "" {
		return v
	}
	return server.DefaultDataDir
}

// auditKeys derives the audit keys from the data dir's root key, which it
// reads and never creates.
func auditKeys(dataDir string) (*audit.Keys, error) {
	root, err := keys.LoadRootKey(filepath.Join(dataDir, rootKeyFile))
	if err != nil {
		return nil, fmt.Errorf("read the root key of data dir %s: %w", dataDir, err)
	}
	return audit.KeysFromRoot(root)
}

func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dataDir := newAuditFlags("verify", stderr)
	var pubkey string
	var opts audit.VerifyOptions
	fs.StringVar(&pubkey, "pubkey", "", `public key to verify checkpoints with ("ed25519:...", from coffer audit pubkey)`)
	fs.BoolVar(&opts.Live, "live", false, "the log is still being written: an unterminated end is a notice, not a failure")
	fs.BoolVar(&opts.Partial, "partial", false, "the files are part of a longer log: it may start after seq 1 and continue after them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := dataDirOr(*dataDir)
	if pubkey != "" {
		pub, err := audit.ParsePublicKey(pubkey)
		if err != nil {
			return err
		}
		opts.PublicKey = pub
	} else {
		k, err := auditKeys(dir)
		if err != nil {
			return fmt.Errorf("%w (or give --pubkey)", err)
		}
		opts.PublicKey = k.PublicKey()
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{filepath.Join(dir, audit.DirName)}
	}
	files, err := expandLogFiles(paths)
	if err != nil {
		return err
	}
	rep, err := audit.Verify(ctx, opts, files...)
	if rep != nil {
		for _, n := range rep.Notices {
			fmt.Fprintf(stdout, "notice: %s\n", n)
		}
	}
	if err != nil {
		return fmt.Errorf("the audit log is NOT intact: %w", err)
	}
	end := "ends with a Close checkpoint"
	if !rep.Closed {
		end = "open (see the notice above)"
	}
	fmt.Fprintf(stdout, "ok: %d files, %d events, %d checkpoints, seq %d to %d, %s; signed by %s\n",
		rep.Files, rep.Events, rep.Checkpoints, rep.FirstSeq, rep.LastSeq, end, audit.FormatPublicKey(opts.PublicKey))
	return nil
}

// expandLogFiles replaces each directory in paths by its log files, in
// chain order.
func expandLogFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		in, err := audit.Files(p)
		if err != nil {
			return nil, err
		}
		if len(in) == 0 {
			return nil, fmt.Errorf("no audit log files in %s", p)
		}
		files = append(files, in...)
	}
	return files, nil
}

func auditQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dataDir := newAuditFlags("query", stderr)
	var dir, since, until, decision, format string
	var f audit.Filter
	fs.StringVar(&dir, "dir", "", "the audit log's directory (default <data-dir>/audit)")
	fs.StringVar(&since, "since", "", "only events at or after this time (RFC 3339, 2006-01-02, or a duration back from now: 24h)")
	fs.StringVar(&until, "until", "", "only events at or before this time (same forms as --since)")
	fs.StringVar(&f.Principal, "principal", "", "user or session name, principal ARN, or access key id")
	fs.StringVar(&f.Action, "action", "", "operation (GetSecretValue) or service:operation")
	fs.StringVar(&f.Resource, "resource", "", "resource name or ARN (a secret's name matches its ARN)")
	fs.StringVar(&decision, "decision", "", "allow or deny")
	fs.StringVar(&format, "format", "table", "table, json (one native event per line) or cloudtrail (one CloudTrail record per line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if dir == "" {
		dir = filepath.Join(dataDirOr(*dataDir), audit.DirName)
	}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen(since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if f.Until, err = parseWhen(until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	switch audit.Decision(decision) {
	case "", audit.Allow, audit.Deny:
		f.Decision = audit.Decision(decision)
	default:
		return fmt.Errorf("--decision %q: want allow or deny", decision)
	}
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	out, err := newEventPrinter(format, stdout)
	if err != nil {
		return err
	}
	if err := audit.Query(ctx, dir, f, out.print); err != nil {
		return err
	}
	return out.flush()
}

// parseWhen parses an RFC 3339 time, a date, or a duration back from now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, a date (2006-01-02) or a duration (24h)", s)
}

// eventPrinter prints events as they stream by. The table is aligned in
// blocks of tableBlock rows, so that a long query never holds more.
type eventPrinter struct {
	format string
	w      io.Writer
	tw     *tabwriter.Writer
	rows   int
	buf    []byte
}

const tableBlock = 100

func newEventPrinter(format string, w io.Writer) (*eventPrinter, error) {
	p := &eventPrinter{format: format, w: w}
	switch format {
	case "json", "cloudtrail":
	case "table":
		p.tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	default:
		return nil, fmt.Errorf("--format %q: want table, json or cloudtrail", format)
	}
	return p, nil
}

func (p *eventPrinter) print(e *audit.Event) error {
	if p.tw == nil {
		f := audit.FormatNative
		if p.format == "cloudtrail" {
			f = audit.FormatCloudTrail
		}
		b, err := audit.AppendJSON(p.buf[:0], e, f)
		if err != nil {
			return err
		}
		p.buf = append(b, '\n')
		_, err = p.w.Write(p.buf)
		return err
	}
	if p.rows%tableBlock == 0 {
		if err := p.tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(p.tw, "TIME\tDECISION\tRESULT\tACTION\tPRINCIPAL\tRESOURCE\tSOURCE")
	}
	p.rows++
	result := fmt.Sprint(e.Status)
	if e.ErrorCode != "" {
		result += " " + e.ErrorCode
	}
	principal := e.Principal.Name
	if principal == "" {
		principal = firstOf(e.Principal.ARN, e.Principal.AccessKeyID)
	}
	var resources []string
	for _, r := range e.Resources {
		resources = append(resources, r.ARN)
	}
	if len(resources) == 0 {
		resources = append(resources, e.Params["SecretId"])
	}
	_, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s:%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), firstOf(string(e.Decision), "-"),
		result, e.Service, e.Operation, firstOf(principal, "-"), firstOf(strings.Join(resources, ","), "-"), firstOf(e.SourceIP, "-"))
	return err
}

func (p *eventPrinter) flush() error {
	if p.tw != nil {
		if p.rows == 0 {
			fmt.Fprintln(p.w, "no matching events")
		}
		return p.tw.Flush()
	}
	return nil
}

// firstOf returns the first of its arguments that is not empty.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func auditPubkey(args []string, stdout, stderr io.Writer) error {
	fs, dataDir := newAuditFlags("pubkey", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, err := auditKeys(dataDirOr(*dataDir))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, audit.FormatPublicKey(k.PublicKey()))
	return err
}

func auditHMAC(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, dataDir := newAuditFlags("hmac", stderr)
	var exact bool
	fs.BoolVar(&exact, "exact", false, "digest stdin exactly, without removing a trailing newline")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("the value is read from stdin, never from the command line")
	}
	k, err := auditKeys(dataDirOr(*dataDir))
	if err != nil {
		return err
	}
	value, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		return fmt.Errorf("read the value from stdin: %w", err)
	}
	if !exact {
		value = bytes.TrimSuffix(bytes.TrimSuffix(value, []byte("\n")), []byte("\r"))
	}
	defer clear(value)
	_, err = fmt.Fprintln(stdout, k.Digest(value))
	return err
}
