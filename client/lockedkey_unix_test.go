//go:build unix

package client

import (
	"bytes"
	"testing"
)

// TestMemorySealerCloseZeroesKey looks at the key's mapping as Close
// unmaps it: it must be all zero by then.
func TestMemorySealerCloseZeroesKey(t *testing.T) {
	s, err := NewMemorySealer()
	if err != nil {
		t.Fatal(err)
	}
	key := s.key.b
	if bytes.Equal(key, make([]byte, len(key))) {
		t.Fatal("key is all zero before Close")
	}
	if !s.Locked() {
		t.Logf("key not mlocked here (RLIMIT_MEMLOCK?); checking the zeroing anyway")
	}
	unmapped := false
	orig := munmap
	defer func() { munmap = orig }()
	munmap = func(mem []byte) error {
		unmapped = true
		if &mem[0] != &key[0] {
			t.Errorf("Close unmapped another region than the key's")
		}
		if !bytes.Equal(mem, make([]byte, len(mem))) {
			t.Errorf("key mapping not zeroed before unmap")
		}
		return orig(mem)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !unmapped {
		t.Fatal("Close did not unmap the key")
	}
	if s.key.b != nil {
		t.Error("key slice still points at the unmapped region")
	}
}
