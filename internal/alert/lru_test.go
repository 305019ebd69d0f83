package alert

import (
	"slices"
	"testing"
	"time"
)

func keys(l *lru[string, int]) []string {
	var out []string
	for e := l.root.next; e != &l.root; e = e.next {
		out = append(out, e.key)
	}
	return out
}

func TestLRU(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newLRU[string, int](3)
	for i, k := range []string{"a", "b", "c"} {
		if _, evicted := l.add(k, i, t0.Add(time.Duration(i)*time.Minute)); evicted {
			t.Errorf("add(%s) evicted below the cap", k)
		}
	}
	if v := l.get("a", t0.Add(3*time.Minute)); v == nil || *v != 0 {
		t.Fatalf("get(a) = %v, want 0", v)
	}
	*l.get("a", t0.Add(3*time.Minute)) = 10
	if _, evicted := l.add("d", 3, t0.Add(4*time.Minute)); !evicted {
		t.Error("add at the cap did not evict")
	}
	if got, want := keys(l), []string{"d", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("after touching a and adding d: %v, want %v (b, the least recently used, forgotten)", got, want)
	}
	if v := l.items["a"].val; v != 10 {
		t.Errorf("a = %d, want 10", v)
	}
	if n := l.expire(t0.Add(3*time.Minute + time.Second)); n != 2 || l.len() != 1 || l.items["d"] == nil {
		t.Errorf("expire(3m1s) removed %d, left %v; want c and a removed, d kept", n, keys(l))
	}
	if n := l.expire(t0.Add(time.Hour)); n != 1 || l.len() != 0 {
		t.Errorf("expire(1h) removed %d, left %v; want all gone", n, keys(l))
	}
}
