package iam

import (
	"maps"
	"slices"
	"testing"
)

func TestRequestTagConditions(t *testing.T) {
	type otherTag struct{ Key, Value string }
	got := RequestTagConditions([]otherTag{{"team", "db"}, {"env", "prod"}})
	want := map[string][]string{
		"aws:RequestTag/team": {"db"}, "aws:RequestTag/env": {"prod"},
		"aws:TagKeys": {"team", "env"},
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("RequestTagConditions = %v, want %v", got, want)
	}
	if got := RequestTagConditions([]Tag(nil)); got != nil {
		t.Errorf("RequestTagConditions(nil) = %v, want nil", got)
	}
}
