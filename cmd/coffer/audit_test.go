package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/keys"
)

// auditDataDir returns a data dir with a root key and an audit log of
// three closed runs of events by alice and bob, and the log's keys.
func auditDataDir(t *testing.T) (string, *audit.Keys) {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "coffer-data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	root, _, err := keys.LoadOrCreateRootKey(filepath.Join(dataDir, rootKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	k, err := audit.KeysFromRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for run := range 3 {
		l, err := audit.OpenLog(context.Background(), audit.LogConfig{Dir: filepath.Join(dataDir, audit.DirName), Keys: k})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			n := run*4 + i
			e := &audit.Event{
				Time: at.Add(time.Duration(n) * time.Minute), RequestID: "req", SourceIP: "192.0.2.1",
				Principal: audit.Principal{Type: audit.PrincipalIAMUser, Name: []string{"alice", "bob"}[n%2], AccessKeyID: "AKIAEXAMPLE"},
				Service:   "secretsmanager", Operation: "GetSecretValue", Decision: audit.Allow, Status: 200,
				Resources: []audit.Resource{{ARN: "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf"}},
				Params:    map[string]string{"SecretId": "app/db", "SecretString": "hunter2"},
			}
			if n == 5 {
				e.Decision, e.Status, e.ErrorCode = audit.Deny, 400, "AccessDeniedException"
			}
			if err := l.Append(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return dataDir, k
}

func runAuditCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"audit"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestAuditVerifyCommand(t *testing.T) {
	t.Parallel()
	dataDir, k := auditDataDir(t)
	out, err := runAuditCLI(t, "", "verify", "--data-dir", dataDir)
	if err != nil || !strings.HasPrefix(out, "ok: 3 files, 12 events, 3 checkpoints, seq 1 to 15, ends with a Close checkpoint") {
		t.Fatalf("verify --data-dir = %q, %v", out, err)
	}
	pub := audit.FormatPublicKey(k.PublicKey())
	if out, err := runAuditCLI(t, "", "verify", "--pubkey", pub, filepath.Join(dataDir, audit.DirName)); err != nil {
		t.Fatalf("verify --pubkey DIR = %q, %v", out, err)
	}
	// The newest file alone is part of the log.
	files, _ := audit.Files(filepath.Join(dataDir, audit.DirName))
	if _, err := runAuditCLI(t, "", "verify", "--pubkey", pub, files[2]); err == nil || !strings.Contains(err.Error(), "missing-start") {
		t.Errorf("verify of the last file alone = %v, want missing-start", err)
	}
	if out, err := runAuditCLI(t, "", "verify", "--pubkey", pub, "--partial", files[2]); err != nil || !strings.Contains(out, "notice: ") {
		t.Errorf("verify --partial of the last file = %q, %v; want ok with a notice", out, err)
	}
	// A flipped byte in the second file is named by file and line.
	data, err := os.ReadFile(files[1])
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("bob"))
	data[i] = 'B'
	if err := os.WriteFile(files[1], data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runAuditCLI(t, "", "verify", "--data-dir", dataDir)
	if err == nil || !strings.Contains(err.Error(), filepath.Base(files[1])+":2: altered at seq 7") {
		t.Errorf("verify of a tampered log = %v, want it to name %s:2, seq 7", err, filepath.Base(files[1]))
	}
}

func TestAuditPubkeyAndHMACCommands(t *testing.T) {
	t.Parallel()
	dataDir, k := auditDataDir(t)
	out, err := runAuditCLI(t, "", "pubkey", "--data-dir", dataDir)
	if err != nil || strings.TrimSpace(out) != audit.FormatPublicKey(k.PublicKey()) {
		t.Errorf("pubkey = %q, %v; want %s", out, err, audit.FormatPublicKey(k.PublicKey()))
	}
	out, err = runAuditCLI(t, "hunter2\n", "hmac", "--data-dir", dataDir)
	digest := strings.TrimSpace(out)
	if err != nil || digest != k.Digest([]byte("hunter2")) {
		t.Fatalf("hmac < hunter2 = %q, %v", out, err)
	}
	// The digest is what the log holds in place of the value.
	log, err := os.ReadFile(filepath.Join(dataDir, audit.DirName, "audit-00000000000000000001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte(`"SecretString":"`+digest+`"`)) || bytes.Contains(log, []byte("hunter2")) {
		t.Error("the log does not hold the digest in place of the value")
	}
	if out, _ := runAuditCLI(t, "hunter2\n", "hmac", "--exact", "--data-dir", dataDir); strings.TrimSpace(out) == digest {
		t.Error("hmac --exact ignored the newline")
	}
	if _, err := runAuditCLI(t, "", "hmac", "--data-dir", dataDir, "hunter2"); err == nil {
		t.Error("hmac took the value from the command line")
	}
	if _, err := runAuditCLI(t, "", "pubkey", "--data-dir", t.TempDir()); err == nil {
		t.Error("pubkey in a data dir without a root key succeeded")
	}
}

func TestAuditQueryCommand(t *testing.T) {
	t.Parallel()
	dataDir, _ := auditDataDir(t)
	out, err := runAuditCLI(t, "", "query", "--data-dir", dataDir, "--principal", "bob", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("query --principal bob printed %d lines, want 6:\n%s", len(lines), out)
	}
	var e audit.Event
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Principal.Name != "bob" {
		t.Errorf("first line = %s (%v), want an event of bob", lines[0], err)
	}
	out, err = runAuditCLI(t, "", "query", "--dir", filepath.Join(dataDir, audit.DirName), "--decision", "deny",
		"--since", "2026-06-01T09:05:00Z", "--until", "2026-06-01", "--resource", "app/db")
	if err != nil || !strings.Contains(out, "no matching events") {
		t.Errorf("query with --until before --since = %q, %v; want no events", out, err)
	}
	out, err = runAuditCLI(t, "", "query", "--data-dir", dataDir, "--decision", "deny", "--action", "secretsmanager:getsecretvalue")
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "TIME") || !strings.Contains(rows[1], "2026-06-01T09:05:00Z  deny") ||
		!strings.Contains(rows[1], "400 AccessDeniedException") {
		t.Errorf("query --decision deny table =\n%s", out)
	}
	out, err = runAuditCLI(t, "", "query", "--data-dir", dataDir, "--format", "cloudtrail", "--since", "0s")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("query --since 0s (now) = %q, %v; want nothing", out, err)
	}
	for _, bad := range [][]string{{"--decision", "maybe"}, {"--since", "yesterday"}, {"--format", "xml"}} {
		if _, err := runAuditCLI(t, "", append([]string{"query", "--data-dir", dataDir}, bad...)...); err == nil {
			t.Errorf("query %v succeeded", bad)
		}
	}
}
