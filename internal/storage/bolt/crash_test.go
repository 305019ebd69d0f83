package bolt_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
	"go.etcd.io/bbolt"
)

// crashChildEnv, when set to a file path, makes
// TestAcknowledgedTxnsSurviveKill run as the child that writes to that file.
const crashChildEnv = "COFFER_BOLT_CRASH_CHILD"

const (
	crashWriters = 8   // concurrent writers in the child, so batches are in flight
	crashAcks    = 300 // acks the parent reads before it kills the child
)

// TestAcknowledgedTxnsSurviveKill runs this test binary again as a child
// that writes Txns and prints each one's key once Txn has returned, kills
// it with SIGKILL mid-write, and checks that every acknowledged Txn is in
// the file, whole.
func TestAcknowledgedTxnsSurviveKill(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "coffer.db")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestAcknowledgedTxnsSurviveKill$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var acked []string
	lines := bufio.NewScanner(stdout)
	readAck := func() bool {
		if !lines.Scan() {
			return false
		}
		key, ok := strings.CutPrefix(lines.Text(), "ack ")
		if !ok {
			t.Fatalf("child printed %q, want an ack", lines.Text())
		}
		acked = append(acked, key)
		return true
	}
	for len(acked) < crashAcks && readAck() {
	}
	if len(acked) < crashAcks {
		cmd.Wait()
		t.Fatalf("child stopped after %d acks: %v\nstderr:\n%s", len(acked), lines.Err(), stderr.Bytes())
	}
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	// Acks already in the pipe were printed after their Txn returned too.
	for readAck() {
	}
	err = cmd.Wait()
	if ee, ok := errors.AsType[*exec.ExitError](err); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL\nstderr:\n%s", err, stderr.Bytes())
	}
	t.Logf("child killed after %d acknowledged txns", len(acked))

	checkBoltFile(t, path)
	b := open(t, path, bolt.Options{})
	t.Cleanup(func() { b.Close() })
	for _, key := range acked {
		for k, want := range crashTxnEntries(key) {
			v, _, err := b.Get(t.Context(), k)
			if err != nil || string(v) != want {
				t.Errorf("Get(%s) of an acknowledged Txn = %q, %v, want %q", k, v, err, want)
			}
		}
	}
	// Txns in flight at the kill may or may not be there, but only whole.
	kvs, err := b.List(t.Context(), "crash/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, kv := range kvs {
		stored[kv.Key] = string(kv.Value)
	}
	for k := range stored {
		key, isPair := strings.CutSuffix(k, "/pair")
		if !isPair {
			continue
		}
		if want := crashTxnEntries(key)[key]; stored[key] != want {
			t.Errorf("after the crash %s is stored but %s = %q, want %q", k, key, stored[key], want)
		}
	}
}

// crashChild writes Txns to path from several goroutines until it is
// killed, printing "ack <key>" after each Txn returns nil. It exits on its
// own after a minute, in case the parent is gone.
func crashChild(path string) {
	b, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for w := range crashWriters {
		go func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash/%d/%06d", w, i)
				txn := storage.Txn{Conds: []storage.Cond{{Key: key}}}
				for k, v := range crashTxnEntries(key) {
					txn.Ops = append(txn.Ops, storage.Op{Key: k, Value: []byte(v)})
				}
				if err := b.Txn(context.Background(), txn); err != nil {
					fmt.Fprintf(os.Stderr, "Txn(%s): %v\n", key, err)
					os.Exit(2)
				}
				// One write per line, so lines from writers never interleave.
				os.Stdout.WriteString("ack " + key + "\n")
			}
		}()
	}
	time.Sleep(time.Minute)
	fmt.Fprintln(os.Stderr, "crash child was not killed within a minute")
	os.Exit(2)
}

// crashTxnEntries returns the two entries one child Txn writes.
func crashTxnEntries(key string) map[string]string {
	return map[string]string{
		key:           strings.Repeat("value of "+key+";", 8),
		key + "/pair": "pair of " + key,
	}
}

// checkBoltFile runs bbolt's consistency check on the file at path.
func checkBoltFile(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("open %s after the crash: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("bbolt check of %s after the crash: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
