package bolt_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
	"github.com/coffer-dev/coffer/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return open(t, filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{})
	})
}

func TestConformanceNoSync(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return open(t, filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{NoSync: true})
	})
}

func TestReopen(t *testing.T) {
	storagetest.RunReopen(t, func(t *testing.T, dir string) storage.Backend {
		return open(t, filepath.Join(dir, "coffer.db"), bolt.Options{})
	})
}

func open(t *testing.T, path string, opts bolt.Options) *bolt.Backend {
	t.Helper()
	b, err := bolt.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return b
}

func TestOpenCreatesFileWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	b := open(t, path, bolt.Options{})
	t.Cleanup(func() { b.Close() })
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("mode of %s = %v, want 0600", path, got)
	}
}

func TestOpenRefusesFileInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	b := open(t, path, bolt.Options{})
	t.Cleanup(func() { b.Close() })
	if b2, err := bolt.Open(path, bolt.Options{}); err == nil {
		b2.Close()
		t.Fatalf("second Open(%s) = nil error, want the file to be locked", path)
	}
}

func TestTxnRefusesOversizedKey(t *testing.T) {
	b := open(t, filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{NoSync: true})
	t.Cleanup(func() { b.Close() })
	long := strings.Repeat("k", bolt.MaxKeySize)
	tests := []struct {
		name    string
		txn     storage.Txn
		wantErr bool
	}{
		{"put of a key at MaxKeySize is accepted", put(long), false},
		{"put of a key over MaxKeySize is refused", put(long + "k"), true},
		{"delete of a key over MaxKeySize is refused", storage.Txn{Ops: []storage.Op{{Key: long + "k", Delete: true}}}, true},
		{"condition on a key over MaxKeySize is refused", storage.Txn{Conds: []storage.Cond{{Key: long + "k"}}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Txn(t.Context(), tc.txn)
			if (err != nil) != tc.wantErr || errors.Is(err, storage.ErrConflict) {
				t.Fatalf("Txn() = %v, want error %t and no conflict", err, tc.wantErr)
			}
		})
	}
}

func TestCloseDuringWritesLosesNoAcknowledgedTxn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coffer.db")
	b := open(t, path, bolt.Options{})
	const writers = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		acked   []string
		started = make(chan struct{}) // closed at the 100th ack
	)
	// On failure, stop the writers before the test ends.
	t.Cleanup(func() { b.Close(); wg.Wait() })
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("w%02d/%06d", w, i)
				err := b.Txn(t.Context(), put(key))
				if errors.Is(err, storage.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Txn(put %s) = %v, want nil or ErrClosed", key, err)
					return
				}
				mu.Lock()
				if acked = append(acked, key); len(acked) == 100 {
					close(started)
				}
				mu.Unlock()
			}
		})
	}
	// Let the writers get going, then close under them.
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("writers did not get 100 Txns acknowledged within 10s")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	wg.Wait()

	reopened := open(t, path, bolt.Options{})
	t.Cleanup(func() { reopened.Close() })
	for _, key := range acked {
		if _, _, err := reopened.Get(t.Context(), key); err != nil {
			t.Errorf("Get(%s) of an acknowledged Txn after Close and reopen: %v", key, err)
		}
	}
}

// put returns a Txn that creates key.
func put(key string) storage.Txn {
	return storage.Txn{
		Conds: []storage.Cond{{Key: key}},
		Ops:   []storage.Op{{Key: key, Value: []byte("value of " + key)}},
	}
}
