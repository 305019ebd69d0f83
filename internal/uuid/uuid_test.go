package uuid

import (
	"regexp"
	"testing"
)

var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewAndParse(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		s := New()
		if !canonical.MatchString(s) {
			t.Fatalf("New() = %q, not a canonical version 4 UUID", s)
		}
		if seen[s] {
			t.Fatalf("New() repeated %q", s)
		}
		seen[s] = true
		u, ok := Parse(s)
		if !ok || u.String() != s {
			t.Fatalf("Parse(%q) = %v, %v", s, u, ok)
		}
	}
	if u, ok := Parse("A1B2C3D4-0000-4000-8000-0123456789AB"); !ok || u.String() != "a1b2c3d4-0000-4000-8000-0123456789ab" {
		t.Errorf("upper case: %v %v", u, ok)
	}
	for _, bad := range []string{"", "a1b2c3d4-0000-4000-8000-0123456789a", "a1b2c3d4x0000-4000-8000-0123456789ab", "g1b2c3d4-0000-4000-8000-0123456789ab"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
