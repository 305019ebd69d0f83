package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/google/go-cmp/cmp"
)

// Run runs the conformance suite against backends made by open. Every
// subtest calls open once and expects a new, empty backend that it may use
// in parallel with the backends of other subtests. The suite closes every
// backend it opens; open must not register its own Close.
func Run(t *testing.T, open func(t *testing.T) storage.Backend) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, b storage.Backend)
	}{
		{"get of a missing key returns ErrNotFound", testGetMissing},
		{"put then get returns the value at a positive revision", testPutGet},
		{"empty value is stored and differs from a missing key", testEmptyValue},
		{"mutating a value after Txn changes nothing stored", testTxnCopiesValue},
		{"mutating a value returned by Get changes nothing stored", testGetReturnsCopy},
		{"mutating a value returned by List changes nothing stored", testListReturnsCopy},
		{"each write to a key gets a strictly greater revision", testRevisionsIncrease},
		{"writing other keys leaves a key's revision alone", testRevisionIsPerKey},
		{"conditions decide whether a txn commits", testConditions},
		{"failing condition returns ErrConflict and writes nothing", testConflictWritesNothing},
		{"delete removes the key", testDelete},
		{"delete of an absent key succeeds", testDeleteAbsent},
		{"txn applies every op together", testMultiOp},
		{"ops on one key apply in order", testOpOrder},
		{"empty key is refused and nothing is written", testEmptyKey},
		{"list selects by prefix, after and limit in byte order", testList},
		{"list pages through a prefix with after and limit", testListPaging},
		{"list never observes half of a txn", testListAtomic},
		{"concurrent compare-and-set increments reach the exact total", testConcurrentCAS},
		{"concurrent independent txns are all applied", testConcurrentTxns},
		{"every method returns ErrClosed after Close", testClosed},
		{"cancelled context fails every method and writes nothing", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := open(t)
			t.Cleanup(func() { closeBackend(t, b) })
			tc.run(t, b)
		})
	}
}

// RunReopen checks that committed data survives Close and a second open.
// Every subtest calls open at least twice with the same dir (a new
// t.TempDir for each subtest); open must return a backend over the data
// previously written at dir (an engine that does not keep data in files,
// such as PostgreSQL, may use dir as the name of its database). The suite
// closes every backend it opens; open must not register its own Close.
func RunReopen(t *testing.T, open func(t *testing.T, dir string) storage.Backend) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, reopen func() storage.Backend)
	}{
		{"committed puts and deletes survive reopen", testReopenKeepsData},
		{"revisions keep growing after reopen", testReopenRevisions},
		{"concurrent txns survive reopen", testReopenConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			reopen := func() storage.Backend {
				t.Helper()
				b := open(t, dir)
				t.Cleanup(func() { closeBackend(t, b) })
				return b
			}
			tc.run(t, reopen)
		})
	}
}

func testGetMissing(t *testing.T, b storage.Backend) {
	v, rev, err := b.Get(t.Context(), "missing")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(missing) = %q, %d, %v, want ErrNotFound", v, rev, err)
	}
}

func testPutGet(t *testing.T, b storage.Backend) {
	rev := put(t, b, "k", "hello")
	if rev == 0 {
		t.Fatalf("revision after put = 0, want > 0")
	}
	v, rev2, err := b.Get(t.Context(), "k")
	if err != nil || string(v) != "hello" || rev2 != rev {
		t.Fatalf("Get(k) = %q, %d, %v, want %q, %d, nil", v, rev2, err, "hello", rev)
	}
}

func testEmptyValue(t *testing.T, b storage.Backend) {
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{{Key: "nil"}, {Key: "empty", Value: []byte{}}}})
	for _, key := range []string{"nil", "empty"} {
		v, rev, err := b.Get(t.Context(), key)
		if err != nil || len(v) != 0 || rev == 0 {
			t.Errorf("Get(%s) = %q, %d, %v, want empty value at a positive revision", key, v, rev, err)
		}
	}
}

func testTxnCopiesValue(t *testing.T, b storage.Backend) {
	val := []byte("original")
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{{Key: "k", Value: val}}})
	copy(val, "XXXXXXXX")
	if got, _ := get(t, b, "k"); got != "original" {
		t.Fatalf("Get(k) after mutating the put slice = %q, want %q", got, "original")
	}
}

func testGetReturnsCopy(t *testing.T, b storage.Backend) {
	put(t, b, "k", "original")
	v, _, err := b.Get(t.Context(), "k")
	if err != nil {
		t.Fatalf("Get(k): %v", err)
	}
	copy(v, "XXXXXXXX")
	if got, _ := get(t, b, "k"); got != "original" {
		t.Fatalf("Get(k) after mutating an earlier result = %q, want %q", got, "original")
	}
}

func testListReturnsCopy(t *testing.T, b storage.Backend) {
	put(t, b, "k", "original")
	kvs, err := b.List(t.Context(), "", "", 0)
	if err != nil || len(kvs) != 1 {
		t.Fatalf("List() = %v, %v, want one entry", kvs, err)
	}
	copy(kvs[0].Value, "XXXXXXXX")
	if got, _ := get(t, b, "k"); got != "original" {
		t.Fatalf("Get(k) after mutating a List result = %q, want %q", got, "original")
	}
}

func testRevisionsIncrease(t *testing.T, b storage.Backend) {
	var prev storage.Revision
	step := func(what string, rev storage.Revision) {
		t.Helper()
		if rev <= prev {
			t.Fatalf("revision after %s = %d, want > %d", what, rev, prev)
		}
		prev = rev
	}
	for i := range 3 {
		step(fmt.Sprintf("put %d", i), put(t, b, "k", strconv.Itoa(i)))
	}
	step("rewrite of the same value", put(t, b, "k", "2"))
	// A key deleted and created again must not return to an old revision,
	// or a compare-and-set holding that revision would wrongly succeed.
	del(t, b, "k")
	step("delete and put again", put(t, b, "k", "again"))
}

func testRevisionIsPerKey(t *testing.T, b storage.Backend) {
	rev := put(t, b, "k", "v")
	put(t, b, "other", "1")
	put(t, b, "other", "2")
	del(t, b, "other")
	if _, got := get(t, b, "k"); got != rev {
		t.Fatalf("revision of k after writes to other keys = %d, want %d", got, rev)
	}
}

func testConditions(t *testing.T, b storage.Backend) {
	// Each case gets its own keys: "<case>/old" was written twice (stale is
	// its first revision, cur its second) and "<case>/absent" never.
	tests := []struct {
		name         string
		conds        func(p string, stale, cur storage.Revision) []storage.Cond
		wantConflict bool
	}{
		{"current revision of an existing key holds", func(p string, _, cur storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: cur}}
		}, false},
		{"revision 0 on an absent key holds", func(p string, _, _ storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "absent", Revision: 0}}
		}, false},
		{"several holding conditions hold", func(p string, _, cur storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: cur}, {Key: p + "absent"}}
		}, false},
		{"no conditions hold", func(string, storage.Revision, storage.Revision) []storage.Cond {
			return nil
		}, false},
		{"revision 0 on an existing key conflicts", func(p string, _, _ storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: 0}}
		}, true},
		{"stale revision conflicts", func(p string, stale, _ storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: stale}}
		}, true},
		{"future revision conflicts", func(p string, _, cur storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: cur + 1}}
		}, true},
		{"nonzero revision on an absent key conflicts", func(p string, _, cur storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "absent", Revision: cur}}
		}, true},
		{"one failing condition among holding ones conflicts", func(p string, _, cur storage.Revision) []storage.Cond {
			return []storage.Cond{{Key: p + "old", Revision: cur}, {Key: p + "old", Revision: 0}}
		}, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fmt.Sprintf("case%d/", i)
			stale := put(t, b, p+"old", "v1")
			cur := put(t, b, p+"old", "v2")
			for _, withOps := range []bool{true, false} {
				txn := storage.Txn{Conds: tc.conds(p, stale, cur)}
				if withOps {
					txn.Ops = []storage.Op{{Key: p + "new", Value: []byte("new")}}
				}
				err := b.Txn(t.Context(), txn)
				if tc.wantConflict != errors.Is(err, storage.ErrConflict) || (!tc.wantConflict && err != nil) {
					t.Fatalf("Txn(%+v) = %v, want conflict %t", txn, err, tc.wantConflict)
				}
			}
			v, _, err := b.Get(t.Context(), p+"new")
			if tc.wantConflict && !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("after conflicting Txn, Get(%snew) = %q, %v, want ErrNotFound", p, v, err)
			}
			if !tc.wantConflict && (err != nil || string(v) != "new") {
				t.Errorf("after holding Txn, Get(%snew) = %q, %v, want %q", p, v, err, "new")
			}
		})
	}
}

func testConflictWritesNothing(t *testing.T, b storage.Backend) {
	rev := put(t, b, "a", "a1")
	put(t, b, "b", "b1")
	before := all(t, b)
	err := b.Txn(t.Context(), storage.Txn{
		Conds: []storage.Cond{{Key: "a", Revision: rev}, {Key: "b", Revision: 0}},
		Ops: []storage.Op{
			{Key: "a", Value: []byte("a2")},
			{Key: "b", Delete: true},
			{Key: "c", Value: []byte("c1")},
		},
	})
	if !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("Txn with a failing condition = %v, want ErrConflict", err)
	}
	if diff := cmp.Diff(before, all(t, b), cmpKVs); diff != "" {
		t.Fatalf("stored entries changed by a conflicting Txn (-before +after):\n%s", diff)
	}
}

func testDelete(t *testing.T, b storage.Backend) {
	put(t, b, "k", "v")
	put(t, b, "k2", "v2")
	del(t, b, "k")
	wantAbsent(t, b, "k")
	if got, _ := get(t, b, "k2"); got != "v2" {
		t.Fatalf("Get(k2) after deleting k = %q, want %q", got, "v2")
	}
	if kvs := all(t, b); len(kvs) != 1 || kvs[0].Key != "k2" {
		t.Fatalf("List() after delete = %v, want only k2", kvs)
	}
}

func testDeleteAbsent(t *testing.T, b storage.Backend) {
	del(t, b, "never")
	wantAbsent(t, b, "never")
	// Revision 0 holds for an absent key, deleted or not.
	mustTxn(t, b, storage.Txn{
		Conds: []storage.Cond{{Key: "never"}},
		Ops:   []storage.Op{{Key: "never", Delete: true}},
	})
}

func testMultiOp(t *testing.T, b storage.Backend) {
	put(t, b, "gone", "x")
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{
		{Key: "m/1", Value: []byte("one")},
		{Key: "m/2", Value: []byte("two")},
		{Key: "gone", Delete: true},
		{Key: "m/3", Value: []byte("three")},
	}})
	want := map[string]string{"m/1": "one", "m/2": "two", "m/3": "three"}
	for k, v := range want {
		if got, _ := get(t, b, k); got != v {
			t.Errorf("Get(%s) = %q, want %q", k, got, v)
		}
	}
	wantAbsent(t, b, "gone")
}

func testOpOrder(t *testing.T, b storage.Backend) {
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{
		{Key: "put-put", Value: []byte("first")},
		{Key: "put-put", Value: []byte("second")},
		{Key: "put-del", Value: []byte("x")},
		{Key: "put-del", Delete: true},
		{Key: "del-put", Delete: true},
		{Key: "del-put", Value: []byte("back")},
	}})
	if got, _ := get(t, b, "put-put"); got != "second" {
		t.Errorf("Get(put-put) = %q, want %q", got, "second")
	}
	wantAbsent(t, b, "put-del")
	if got, _ := get(t, b, "del-put"); got != "back" {
		t.Errorf("Get(del-put) = %q, want %q", got, "back")
	}
}

func testEmptyKey(t *testing.T, b storage.Backend) {
	txns := []storage.Txn{
		{Ops: []storage.Op{{Key: "ok", Value: []byte("v")}, {Key: "", Value: []byte("v")}}},
		{Ops: []storage.Op{{Key: "ok", Value: []byte("v")}, {Key: "", Delete: true}}},
		{Conds: []storage.Cond{{Key: ""}}, Ops: []storage.Op{{Key: "ok", Value: []byte("v")}}},
	}
	for _, txn := range txns {
		if err := b.Txn(t.Context(), txn); err == nil {
			t.Errorf("Txn(%+v) = nil, want an error", txn)
		}
	}
	wantAbsent(t, b, "ok")
}

func testList(t *testing.T, b storage.Backend) {
	// Byte order, which differs from most collations: upper case first,
	// '-' < '/' < letters, and UTF-8 ("é" is 0xC3 0xA9) after ASCII.
	keys := []string{"a", "a-b", "a/b", "a/c", "ab", "A", "b", "é", "z"}
	revs := map[string]storage.Revision{}
	for _, k := range keys {
		revs[k] = put(t, b, k, "v:"+k)
	}
	tests := []struct {
		name          string
		prefix, after string
		limit         int
		want          []string
	}{
		{"empty prefix lists every key in byte order", "", "", 0,
			[]string{"A", "a", "a-b", "a/b", "a/c", "ab", "b", "z", "é"}},
		{"prefix selects only the keys starting with it", "a", "", 0,
			[]string{"a", "a-b", "a/b", "a/c", "ab"}},
		{"prefix excludes keys sharing only part of it", "a/", "", 0,
			[]string{"a/b", "a/c"}},
		{"prefix equal to a whole key includes that key", "ab", "", 0,
			[]string{"ab"}},
		{"prefix matching no key lists nothing", "nope", "", 0, nil},
		{"prefix longer than every key lists nothing", "a/b/c", "", 0, nil},
		{"after excludes itself and every key before it", "", "a/b", 0,
			[]string{"a/c", "ab", "b", "z", "é"}},
		{"after that is not stored starts at the next key", "", "a/a", 0,
			[]string{"a/b", "a/c", "ab", "b", "z", "é"}},
		{"after before the prefix range lists the whole range", "a/", "a", 0,
			[]string{"a/b", "a/c"}},
		{"after beyond the prefix range lists nothing", "a/", "a0", 0, nil},
		{"after the last key lists nothing", "", "é", 0, nil},
		{"limit caps the number of entries", "", "", 3,
			[]string{"A", "a", "a-b"}},
		{"limit applies after prefix and after", "a", "a", 2,
			[]string{"a-b", "a/b"}},
		{"limit larger than the result changes nothing", "a/", "", 10,
			[]string{"a/b", "a/c"}},
		{"negative limit means no limit", "a/", "", -1,
			[]string{"a/b", "a/c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kvs, err := b.List(t.Context(), tc.prefix, tc.after, tc.limit)
			if err != nil {
				t.Fatalf("List(%q, %q, %d): %v", tc.prefix, tc.after, tc.limit, err)
			}
			var want []storage.KV
			for _, k := range tc.want {
				want = append(want, storage.KV{Key: k, Value: []byte("v:" + k), Revision: revs[k]})
			}
			if diff := cmp.Diff(want, kvs, cmpKVs); diff != "" {
				t.Fatalf("List(%q, %q, %d) mismatch (-want +got):\n%s", tc.prefix, tc.after, tc.limit, diff)
			}
		})
	}
}

func testListPaging(t *testing.T, b storage.Backend) {
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("page/%03d", i)
		put(t, b, k, "v")
		want = append(want, k)
	}
	put(t, b, "pagf", "outside the prefix")
	put(t, b, "pag", "outside the prefix")
	for _, limit := range []int{1, 2, 7, 25, 26} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("paging with limit %d did not end", limit)
			}
			kvs, err := b.List(t.Context(), "page/", after, limit)
			if err != nil {
				t.Fatalf("List(page/, %q, %d): %v", after, limit, err)
			}
			if len(kvs) > limit {
				t.Fatalf("List(page/, %q, %d) returned %d entries", after, limit, len(kvs))
			}
			for _, kv := range kvs {
				got = append(got, kv.Key)
			}
			if len(kvs) < limit {
				break
			}
			after = kvs[len(kvs)-1].Key
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("keys paged with limit %d mismatch (-want +got):\n%s", limit, diff)
		}
	}
}

func testListAtomic(t *testing.T, b storage.Backend) {
	const writes, readers = 50, 2
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{
		{Key: "atom/a", Value: []byte("0")}, {Key: "atom/b", Value: []byte("0")},
	}})
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				kvs, err := b.List(t.Context(), "atom/", "", 0)
				if err != nil {
					t.Errorf("List(atom/): %v", err)
					return
				}
				if len(kvs) != 2 || string(kvs[0].Value) != string(kvs[1].Value) {
					t.Errorf("List(atom/) = %v, want a and b with one value", kvs)
					return
				}
			}
		})
	}
	for i := 1; i <= writes; i++ {
		v := []byte(strconv.Itoa(i))
		if err := b.Txn(t.Context(), storage.Txn{Ops: []storage.Op{
			{Key: "atom/a", Value: v}, {Key: "atom/b", Value: v},
		}}); err != nil {
			t.Errorf("Txn(write %d): %v", i, err)
			break
		}
	}
	close(done)
	wg.Wait()
}

func testConcurrentCAS(t *testing.T, b storage.Backend) {
	const (
		workers   = 32
		perWorker = 8
		// Bounds the retries of a broken engine that always conflicts.
		maxAttempts = 100_000
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for done, attempts := 0, 0; done < perWorker; attempts++ {
				if attempts == maxAttempts {
					t.Errorf("worker %d: %d increments after %d attempts", w, done, attempts)
					return
				}
				n, rev, err := counter(t.Context(), b, "counter")
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
				err = b.Txn(t.Context(), storage.Txn{
					Conds: []storage.Cond{{Key: "counter", Revision: rev}},
					Ops:   []storage.Op{{Key: "counter", Value: []byte(strconv.Itoa(n + 1))}},
				})
				switch {
				case errors.Is(err, storage.ErrConflict):
				case err != nil:
					t.Errorf("worker %d: Txn: %v", w, err)
					return
				default:
					done++
				}
			}
		})
	}
	wg.Wait()
	n, _, err := counter(t.Context(), b, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if n != workers*perWorker {
		t.Fatalf("counter after %d workers x %d increments = %d, want %d", workers, perWorker, n, workers*perWorker)
	}
}

func testConcurrentTxns(t *testing.T, b storage.Backend) {
	const workers, perWorker = 32, 10
	writeConcurrently(t, b, workers, perWorker)
	checkConcurrent(t, b, workers, perWorker)
}

func testClosed(t *testing.T, b storage.Backend) {
	put(t, b, "k", "v")
	if err := b.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
	ctx := t.Context()
	if _, _, err := b.Get(ctx, "k"); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := b.List(ctx, "", "", 0); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("List after Close = %v, want ErrClosed", err)
	}
	err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: "k2", Value: []byte("v")}}})
	if !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Txn after Close = %v, want ErrClosed", err)
	}
	if err := b.Close(); !errors.Is(err, storage.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}

func testCancelled(t *testing.T, b storage.Backend) {
	put(t, b, "k", "v")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := b.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := b.List(ctx, "", "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context = %v, want context.Canceled", err)
	}
	err := b.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: "k", Delete: true}, {Key: "k2", Value: []byte("v")}}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Txn with a cancelled context = %v, want context.Canceled", err)
	}
	if got, _ := get(t, b, "k"); got != "v" {
		t.Errorf("Get(k) after a cancelled Txn = %q, want %q", got, "v")
	}
	wantAbsent(t, b, "k2")
}

func testReopenKeepsData(t *testing.T, reopen func() storage.Backend) {
	b := reopen()
	put(t, b, "keep", "v1")
	put(t, b, "keep", "v2")
	put(t, b, "gone", "x")
	put(t, b, "empty", "")
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{
		{Key: "multi/1", Value: []byte("one")},
		{Key: "multi/2", Value: []byte("two")},
		{Key: "gone", Delete: true},
	}})
	before := all(t, b)
	mustClose(t, b)

	b = reopen()
	if diff := cmp.Diff(before, all(t, b), cmpKVs); diff != "" {
		t.Fatalf("entries after reopen mismatch (-before +after):\n%s", diff)
	}
}

func testReopenRevisions(t *testing.T, reopen func() storage.Backend) {
	b := reopen()
	kept := put(t, b, "kept", "v")
	deleted := put(t, b, "deleted", "v")
	del(t, b, "deleted")
	mustClose(t, b)

	b = reopen()
	if rev := put(t, b, "kept", "v2"); rev <= kept {
		t.Errorf("revision of kept after reopen and put = %d, want > %d", rev, kept)
	}
	if rev := put(t, b, "deleted", "again"); rev <= deleted {
		t.Errorf("revision of deleted after reopen and put = %d, want > %d", rev, deleted)
	}
}

func testReopenConcurrent(t *testing.T, reopen func() storage.Backend) {
	const workers, perWorker = 16, 10
	b := reopen()
	writeConcurrently(t, b, workers, perWorker)
	mustClose(t, b)
	checkConcurrent(t, reopen(), workers, perWorker)
}

// cmpKVs treats nil and empty values as equal: engines may return either
// for an empty value.
var cmpKVs = cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })

func writeConcurrently(t *testing.T, b storage.Backend, workers, perWorker int) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				key, val := concurrentKV(w, i)
				err := b.Txn(t.Context(), storage.Txn{
					Conds: []storage.Cond{{Key: key}},
					Ops:   []storage.Op{{Key: key, Value: []byte(val)}},
				})
				if err != nil {
					t.Errorf("Txn(put %s): %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func checkConcurrent(t *testing.T, b storage.Backend, workers, perWorker int) {
	t.Helper()
	var want []storage.KV
	for w := range workers {
		for i := range perWorker {
			key, val := concurrentKV(w, i)
			want = append(want, storage.KV{Key: key, Value: []byte(val)})
		}
	}
	got := all(t, b)
	for i := range got {
		if got[i].Revision == 0 {
			t.Errorf("List() entry %s has revision 0", got[i].Key)
		}
		got[i].Revision = 0
	}
	if diff := cmp.Diff(want, got, cmpKVs); diff != "" {
		t.Fatalf("entries after concurrent txns mismatch (-want +got):\n%s", diff)
	}
}

func concurrentKV(worker, i int) (key, value string) {
	key = fmt.Sprintf("w%02d/%04d", worker, i)
	return key, "value of " + key
}

// counter reads the decimal counter at key; an absent key is 0 at
// revision 0.
func counter(ctx context.Context, b storage.Backend, key string) (int, storage.Revision, error) {
	v, rev, err := b.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("get %s: %w", key, err)
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return 0, 0, fmt.Errorf("get %s = %q, want a number", key, v)
	}
	return n, rev, nil
}

// put stores value under key and returns the key's new revision.
func put(t *testing.T, b storage.Backend, key, value string) storage.Revision {
	t.Helper()
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{{Key: key, Value: []byte(value)}}})
	_, rev := get(t, b, key)
	return rev
}

func del(t *testing.T, b storage.Backend, key string) {
	t.Helper()
	mustTxn(t, b, storage.Txn{Ops: []storage.Op{{Key: key, Delete: true}}})
}

func get(t *testing.T, b storage.Backend, key string) (string, storage.Revision) {
	t.Helper()
	v, rev, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return string(v), rev
}

func wantAbsent(t *testing.T, b storage.Backend, key string) {
	t.Helper()
	if v, rev, err := b.Get(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get(%s) = %q, %d, %v, want ErrNotFound", key, v, rev, err)
	}
}

func mustTxn(t *testing.T, b storage.Backend, txn storage.Txn) {
	t.Helper()
	if err := b.Txn(t.Context(), txn); err != nil {
		t.Fatalf("Txn(%+v): %v", txn, err)
	}
}

// all returns every stored entry.
func all(t *testing.T, b storage.Backend) []storage.KV {
	t.Helper()
	kvs, err := b.List(t.Context(), "", "", 0)
	if err != nil {
		t.Fatalf("List(all): %v", err)
	}
	return kvs
}

func mustClose(t *testing.T, b storage.Backend) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatalf("Close(): %v", err)
	}
}

// closeBackend closes b at the end of a subtest, which may have closed it
// already.
func closeBackend(t *testing.T, b storage.Backend) {
	t.Helper()
	if err := b.Close(); err != nil && !errors.Is(err, storage.ErrClosed) {
		t.Errorf("Close(): %v", err)
	}
}
