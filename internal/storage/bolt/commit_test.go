package bolt

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/coffer-dev/coffer/internal/storage"
)

// TestBatch drives commit directly with batches the committer would build
// under load, to pin down how Txns in one batch affect each other.
func TestBatch(t *testing.T) {
	b, err := Open(filepath.Join(t.TempDir(), "coffer.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx := t.Context()
	mustTxn := func(txn storage.Txn) {
		t.Helper()
		if err := b.Txn(ctx, txn); err != nil {
			t.Fatalf("Txn(%+v): %v", txn, err)
		}
	}
	mustTxn(storage.Txn{Ops: []storage.Op{{Key: "old", Value: []byte("v")}}})
	_, oldRev, err := b.Get(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name        string
		txns        []storage.Txn
		want        []error // nil or the error each Txn must wrap
		wantCommits uint64
		wantKeys    []string // keys that must exist afterwards
		wantAbsent  []string
	}{
		{
			name: "later txn sees earlier txn's writes and conflicts alone",
			txns: []storage.Txn{
				{Conds: []storage.Cond{{Key: "a"}}, Ops: []storage.Op{{Key: "a", Value: []byte("1")}}},
				{Conds: []storage.Cond{{Key: "a"}}, Ops: []storage.Op{{Key: "a", Value: []byte("2")}, {Key: "lost", Value: []byte("x")}}},
				{Conds: []storage.Cond{{Key: "b"}}, Ops: []storage.Op{{Key: "b", Value: []byte("1")}}},
			},
			want:        []error{nil, storage.ErrConflict, nil},
			wantCommits: 1,
			wantKeys:    []string{"a", "b"},
			wantAbsent:  []string{"lost"},
		},
		{
			name: "later txn may create a key an earlier txn deleted",
			txns: []storage.Txn{
				{Ops: []storage.Op{{Key: "old", Delete: true}}},
				{Conds: []storage.Cond{{Key: "old"}}, Ops: []storage.Op{{Key: "old", Value: []byte("new")}}},
			},
			want:        []error{nil, nil},
			wantCommits: 1,
			wantKeys:    []string{"old"},
		},
		{
			name: "batch in which every txn conflicts commits nothing",
			txns: []storage.Txn{
				{Conds: []storage.Cond{{Key: "old", Revision: oldRev}}, Ops: []storage.Op{{Key: "c", Value: []byte("1")}}},
				{Conds: []storage.Cond{{Key: "a"}}, Ops: []storage.Op{{Key: "c", Value: []byte("2")}}},
			},
			want:        []error{storage.ErrConflict, storage.ErrConflict},
			wantCommits: 0,
			wantAbsent:  []string{"c"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var batch []*request
			for _, txn := range tc.txns {
				r, err := newRequest(ctx, txn)
				if err != nil {
					t.Fatal(err)
				}
				batch = append(batch, r)
			}
			before := b.commits.Load()
			if err := b.commit(batch); err != nil {
				t.Fatalf("commit() = %v", err)
			}
			for i, r := range batch {
				got := <-r.done
				if (tc.want[i] == nil) != (got == nil) || !errors.Is(got, tc.want[i]) {
					t.Errorf("txn %d = %v, want %v", i, got, tc.want[i])
				}
			}
			if got := b.commits.Load() - before; got != tc.wantCommits {
				t.Errorf("commits = %d, want %d", got, tc.wantCommits)
			}
			var rev storage.Revision
			for _, k := range tc.wantKeys {
				_, r, err := b.Get(ctx, k)
				if err != nil {
					t.Fatalf("Get(%s): %v", k, err)
				}
				if rev != 0 && r != rev {
					t.Errorf("Get(%s) revision = %d, want %d like the other keys of the batch", k, r, rev)
				}
				rev = r
			}
			for _, k := range tc.wantAbsent {
				if _, _, err := b.Get(ctx, k); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("Get(%s) = %v, want ErrNotFound", k, err)
				}
			}
		})
	}
}
