package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

// fuzzKeys are fixed keys, so that seed logs in testdata stay valid.
func fuzzKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := NewKeys(bytes.Repeat([]byte{7}, 32), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seedLog returns the bytes of a small closed log written with fuzzKeys.
func seedLog(f *testing.F) []byte {
	f.Helper()
	dir := filepath.Join(f.TempDir(), "audit")
	l := openTestLog(f, dir, fuzzKeys(f), func(c *LogConfig) { c.CheckpointEvery = 2 })
	appendN(f, l, 0, 3)
	closeLog(f, l)
	var all []byte
	for _, p := range logFiles(f, dir) {
		for _, line := range readLines(f, p) {
			all = append(all, line...)
		}
	}
	return all
}

// FuzzVerify feeds the verifier arbitrary files, as an attacker who can
// write the audit directory can: it must never panic, and must either
// accept the file or report a *ChainError.
func FuzzVerify(f *testing.F) {
	k := fuzzKeys(f)
	valid := seedLog(f)
	if err := verifyBytes(k, "seed.jsonl", valid); err != nil {
		f.Fatalf("the seed log does not verify: %v", err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(bytes.ReplaceAll(valid, []byte(`"seq":2`), []byte(`"seq":3`)))
	f.Add([]byte{})
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := verifyBytes(k, "fuzz.jsonl", data)
		if _, ok := errors.AsType[*ChainError](err); err != nil && !ok {
			t.Fatalf("Verify = %v, want nil or a *ChainError", err)
		}
	})
}

// FuzzReadLinesBackward checks the backward reader against a forward
// split: the same complete lines, in reverse, and never a torn tail.
func FuzzReadLinesBackward(f *testing.F) {
	f.Add([]byte("a\nbb\n"), 3)
	f.Add([]byte("a\nbb\nhalf"), 1)
	f.Add([]byte("\n\n\n"), 2)
	f.Add([]byte("no newline at all"), 5)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if len(data) > 0 {
			cut = ((cut % len(data)) + len(data)) % len(data)
			data = data[:cut+1]
		}
		var want []string
		complete := data[:bytes.LastIndexByte(data, '\n')+1]
		for _, line := range bytes.SplitAfter(complete, []byte("\n")) {
			if len(line) > 0 {
				want = append(want, string(line[:len(line)-1]))
			}
		}
		slices.Reverse(want)
		var got []string
		err := readLinesBackward(bytes.NewReader(data), int64(len(data)), func(l []byte) error {
			got = append(got, string(l))
			return nil
		})
		if err != nil && !errors.Is(err, errTooLong) {
			t.Fatal(err)
		}
		if err == nil && !slices.Equal(got, want) {
			t.Fatalf("readLinesBackward(%q) = %q, want %q", data, got, want)
		}
	})
}
