package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testKeys returns fresh random audit keys.
func testKeys(t testing.TB) *Keys {
	t.Helper()
	digest := make([]byte, 32)
	rand.Read(digest)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeys(digest, priv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openTestLog opens a log in dir with keys k; mods adjust the config.
func openTestLog(t testing.TB, dir string, k *Keys, mods ...func(*LogConfig)) *Log {
	t.Helper()
	cfg := LogConfig{Dir: dir, Keys: k}
	for _, m := range mods {
		m(&cfg)
	}
	l, err := OpenLog(context.Background(), cfg)
	if err != nil {
		t.Fatalf("OpenLog(%s) = %v", dir, err)
	}
	return l
}

// closeLog closes l and fails the test if that fails.
func closeLog(t testing.TB, l *Log) {
	t.Helper()
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// testEvent returns a plausible GetSecretValue event number i.
func testEvent(i int) *Event {
	return &Event{
		Time:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second),
		RequestID: fmt.Sprintf("req-%d", i),
		Principal: Principal{
			Type: PrincipalIAMUser, ID: "AIDAEXAMPLE", ARN: "arn:aws:iam::123456789012:user/app",
			Account: "123456789012", AccessKeyID: "AKIAEXAMPLE", Name: "app",
		},
		SourceIP: "192.0.2.10", UserAgent: "aws-sdk-go-v2/1.0", Region: "us-east-1",
		Service: "secretsmanager", Operation: "GetSecretValue",
		Resources:    []Resource{{ARN: fmt.Sprintf("arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-%d-AbCdEf", i%3)}},
		VersionStage: "AWSCURRENT", Decision: Allow, Status: 200, Latency: 1500 * time.Microsecond,
		Params: map[string]string{"SecretId": fmt.Sprintf("app/db-%d", i%3)},
	}
}

// appendN appends n test events numbered from first.
func appendN(t testing.TB, l *Log, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if err := l.Append(context.Background(), testEvent(i)); err != nil {
			t.Fatalf("Append(%d) = %v", i, err)
		}
	}
}

// logFiles returns the log files of dir and fails the test if none.
func logFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no log files in %s", dir)
	}
	return files
}

// verifyDir verifies the log in dir with k's public key.
func verifyDir(t testing.TB, dir string, k *Keys, opts VerifyOptions) (*Report, error) {
	t.Helper()
	opts.PublicKey = k.PublicKey()
	return Verify(context.Background(), opts, logFiles(t, dir)...)
}

// mustVerify fails the test unless the log in dir verifies.
func mustVerify(t testing.TB, dir string, k *Keys, opts VerifyOptions) *Report {
	t.Helper()
	rep, err := verifyDir(t, dir, k, opts)
	if err != nil {
		t.Fatalf("Verify(%s) = %v", dir, err)
	}
	for _, n := range rep.Notices {
		t.Logf("notice: %s", n)
	}
	return rep
}

// readLines returns the lines of a file, each with its '\n'.
func readLines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(data, []byte("\n"))
}

// writeLines replaces a file's content with lines.
func writeLines(t testing.TB, path string, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the regular files of src into a new temp dir: the state
// a crash at this instant would leave on disk, since every acknowledged
// record is already written.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "audit")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// newTestLog opens a log in a new temp dir with fresh keys; mods adjust
// the config.
func newTestLog(t testing.TB, mods ...func(*LogConfig)) (l *Log, dir string, k *Keys) {
	t.Helper()
	k = testKeys(t)
	dir = filepath.Join(t.TempDir(), "audit")
	return openTestLog(t, dir, k, mods...), dir, k
}
