package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureKeys *Keys
)

// rotatedLog returns a copy of a closed log of 30 events with a checkpoint
// every 5 records, rotated into several files of about 4 KiB, and its keys.
func rotatedLog(t *testing.T) (string, *Keys) {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "audit-fixture-")
		if err != nil {
			t.Fatal(err)
		}
		fixtureDir, fixtureKeys = filepath.Join(dir, "audit"), testKeys(t)
		l := openTestLog(t, fixtureDir, fixtureKeys, func(c *LogConfig) { c.MaxFileBytes = 4 << 10; c.CheckpointEvery = 5 })
		appendN(t, l, 0, 30)
		closeLog(t, l)
	})
	if fixtureDir == "" {
		t.Fatal("fixture failed")
	}
	return copyDir(t, fixtureDir), fixtureKeys
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(filepath.Dir(fixtureDir))
	}
	os.Exit(code)
}

// seqOf returns the sequence number of a line.
func seqOf(t *testing.T, line []byte) uint64 {
	t.Helper()
	r, err := parseRecord(bytes.TrimSuffix(line, []byte("\n")))
	if err != nil {
		t.Fatalf("parseRecord(%s) = %v", line, err)
	}
	return r.Seq
}

// reseal edits a line's body and recomputes its hash, as an attacker who
// knows the format can. A checkpoint keeps its old signature unless signer
// is given.
func reseal(t *testing.T, line []byte, edit func([]byte) []byte, signer ed25519.PrivateKey) []byte {
	t.Helper()
	line = bytes.TrimSuffix(line, []byte("\n"))
	i := bytes.LastIndex(line, []byte(hashMarker))
	tail := line[i+len(hashMarker)+hashHexLen:]
	body := edit(append(append([]byte(nil), line[:i]...), '}'))
	h := sha256.Sum256(body)
	out := append(body[:len(body)-1:len(body)-1], hashMarker...)
	out = hex.AppendEncode(out, h[:])
	if signer != nil && len(tail) > 2 {
		out = append(out, sigMarker...)
		out = base64.StdEncoding.AppendEncode(out, ed25519.Sign(signer, sigMessage(h)))
		out = append(out, `"}`...)
	} else {
		out = append(out, tail...)
	}
	return append(out, '\n')
}

// relink points a line's prev at the hash of the line before it (as an
// attacker repairing the chain after an edit does) and renumbers it.
func relink(t *testing.T, line, before []byte, seq uint64) []byte {
	t.Helper()
	prev, err := parseRecord(bytes.TrimSuffix(before, []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	return reseal(t, line, func(b []byte) []byte {
		r, err := parseRecord(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte(`"prev":"`+r.Prev+`"`), []byte(`"prev":"`+hex.EncodeToString(prev.hash[:])+`"`), 1)
		return bytes.Replace(b, []byte(`{"seq":`+strconv.FormatUint(r.Seq, 10)+`,`), []byte(`{"seq":`+strconv.FormatUint(seq, 10)+`,`), 1)
	}, nil)
}

func wantChainError(t *testing.T, err error, kind Kind, file string, line int, seq uint64) {
	t.Helper()
	ce, ok := errors.AsType[*ChainError](err)
	if !ok {
		t.Fatalf("Verify = %v, want a *ChainError %s", err, kind)
	}
	if ce.Kind != kind || (file != "" && ce.File != file) || (line != 0 && ce.Line != line) || (seq != 0 && ce.Seq != seq) {
		t.Fatalf("Verify = %v\nwant kind %s at %s:%d seq %d", err, kind, file, line, seq)
	}
	t.Logf("Verify reports: %v", err)
}

func TestVerifyIntactLogAcrossRotation(t *testing.T) {
	t.Parallel()
	dir, k := rotatedLog(t)
	rep := mustVerify(t, dir, k, VerifyOptions{})
	if rep.Files < 3 || rep.Events != 30 || !rep.Closed || rep.FirstSeq != 1 || len(rep.Notices) != 0 {
		t.Errorf("Verify = %+v, want ≥3 files, 30 events, closed from seq 1, no notices", rep)
	}
}

func TestVerifyNamesTheFirstProblem(t *testing.T) {
	t.Parallel()
	attacker := testKeys(t)
	for _, tc := range []struct {
		name string
		// tamper changes the log in dir and returns the file, line and
		// sequence number Verify must name (0: any).
		tamper func(t *testing.T, files []string) (file string, line int, seq uint64)
		kind   Kind
		opts   VerifyOptions
	}{
		{
			name: "a flipped byte in a record is an altered record",
			kind: KindAltered,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				lines := readLines(t, files[1])
				seq := seqOf(t, lines[2])
				i := bytes.Index(lines[2], []byte("GetSecretValue"))
				lines[2][i+3] ^= 0x01
				writeLines(t, files[1], lines)
				return files[1], 3, seq
			},
		},
		{
			name: "a deleted record is a gap in the sequence",
			kind: KindMissing,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				lines := readLines(t, files[1])
				seq := seqOf(t, lines[3])
				writeLines(t, files[1], append(lines[:2:2], lines[3:]...))
				return files[1], 3, seq
			},
		},
		{
			name: "two swapped records are reordered",
			kind: KindReordered,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				lines := readLines(t, files[1])
				lines[1], lines[2] = lines[2], lines[1]
				writeLines(t, files[1], lines)
				return files[1], 2, seqOf(t, lines[1])
			},
		},
		{
			name: "a tail cut in the middle of a line is truncated",
			kind: KindTruncated,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				last := files[len(files)-1]
				lines := readLines(t, last)
				n := len(lines) - 1 // the last element is the empty string after the final '\n'
				seq := seqOf(t, lines[n-1])
				lines[n-1] = lines[n-1][:len(lines[n-1])/2]
				writeLines(t, last, lines)
				return last, n, seq
			},
		},
		{
			name: "a tail cut at a record boundary lacks its Close checkpoint",
			kind: KindTruncated,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				// The last file holds only the Close checkpoint: cut it, and
				// the Rotate checkpoint and last event of the file before.
				os.Remove(files[len(files)-1])
				prev := files[len(files)-2]
				lines := readLines(t, prev)
				n := len(lines) - 1
				writeLines(t, prev, lines[:n-2])
				return prev, n - 2, seqOf(t, lines[n-3])
			},
		},
		{
			name: "a missing last file leaves a Rotate checkpoint at the end",
			kind: KindTruncated,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				os.Remove(files[len(files)-1])
				lines := readLines(t, files[len(files)-2])
				return files[len(files)-2], len(lines) - 1, seqOf(t, lines[len(lines)-2])
			},
		},
		{
			name: "a missing middle file is a gap in the sequence",
			kind: KindMissing,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				os.Remove(files[1])
				return files[2], 1, seqOf(t, readLines(t, files[2])[0])
			},
		},
		{
			name: "a missing first file is a missing start",
			kind: KindMissingStart,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				os.Remove(files[0])
				return files[1], 1, seqOf(t, readLines(t, files[1])[0])
			},
		},
		{
			name: "an altered checkpoint with a recomputed hash has a bad signature",
			kind: KindBadSignature,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				lines := readLines(t, files[0])
				for i, l := range lines {
					if bytes.Contains(l, []byte(`"checkpoint":{"reason":"interval"`)) {
						lines[i] = reseal(t, l, func(b []byte) []byte { return bytes.Replace(b, []byte(`"time":"2`), []byte(`"time":"1`), 1) }, nil)
						if i+1 < len(lines)-1 {
							lines[i+1] = relink(t, lines[i+1], lines[i], seqOf(t, lines[i+1]))
						}
						writeLines(t, files[0], lines)
						return files[0], i + 1, seqOf(t, lines[i])
					}
				}
				t.Fatal("no interval checkpoint in the first file")
				return "", 0, 0
			},
		},
		{
			name: "a checkpoint signed with another key has a bad signature",
			kind: KindBadSignature,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				last := files[len(files)-1]
				lines := readLines(t, last)
				n := len(lines) - 2 // the Close checkpoint
				lines[n] = reseal(t, lines[n], func(b []byte) []byte {
					return bytes.Replace(b, []byte(`"key":"`+fixtureKeys.id), []byte(`"key":"`+attacker.id), 1)
				}, attacker.signer)
				writeLines(t, last, lines)
				return last, n + 1, seqOf(t, lines[n])
			},
		},
		{
			name: "a deleted record with the rest renumbered and re-hashed fails at the next checkpoint",
			kind: KindBadSignature,
			tamper: func(t *testing.T, files []string) (string, int, uint64) {
				lines := readLines(t, files[0])
				lines = append(lines[:1:1], lines[2:]...) // delete seq 2
				for i := 1; i < len(lines)-1; i++ {
					lines[i] = relink(t, lines[i], lines[i-1], uint64(i+1))
					if bytes.Contains(lines[i], []byte(`"checkpoint"`)) {
						writeLines(t, files[0], lines)
						return files[0], i + 1, uint64(i + 1)
					}
				}
				t.Fatal("no checkpoint in the first file")
				return "", 0, 0
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, k := rotatedLog(t)
			file, line, seq := tc.tamper(t, logFiles(t, dir))
			_, err := verifyDir(t, dir, k, tc.opts)
			wantChainError(t, err, tc.kind, file, line, seq)
		})
	}
}

func TestVerifyLiveAcceptsAnUnterminatedLog(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.CheckpointEvery = 4 })
	defer closeLog(t, l)
	appendN(t, l, 0, 6)
	_, err := verifyDir(t, dir, k, VerifyOptions{})
	wantChainError(t, err, KindTruncated, "", 0, 7)
	rep := mustVerify(t, dir, k, VerifyOptions{Live: true})
	if rep.Closed || len(rep.Notices) != 1 || !strings.Contains(rep.Notices[0], "2 records after the last checkpoint (seq 5)") {
		t.Errorf("Verify(live) = %+v, want one notice about 2 unsigned records after seq 5", rep)
	}
	// A write in progress: half a line at the end.
	appendBytes(t, logFiles(t, dir)[0], []byte(`{"seq":8,"prev":"`))
	rep = mustVerify(t, dir, k, VerifyOptions{Live: true})
	if len(rep.Notices) != 2 {
		t.Errorf("Verify(live, torn) notices = %q, want 2", rep.Notices)
	}
}

func TestVerifyPartialAcceptsAMiddleSlice(t *testing.T) {
	t.Parallel()
	dir, k := rotatedLog(t)
	files := logFiles(t, dir)
	rep, err := Verify(context.Background(), VerifyOptions{PublicKey: k.PublicKey(), Partial: true}, files[1:len(files)-1]...)
	if err != nil {
		t.Fatalf("Verify(partial) = %v", err)
	}
	if len(rep.Notices) != 2 {
		t.Errorf("Verify(partial) notices = %q, want one for the start and one for the end", rep.Notices)
	}
}

func TestVerifyRefusesTheWrongKey(t *testing.T) {
	t.Parallel()
	dir, _ := rotatedLog(t)
	_, err := verifyDir(t, dir, testKeys(t), VerifyOptions{})
	wantChainError(t, err, KindBadSignature, "", 0, 0)
}

// TestEveryFlippedByteIsDetected flips each bit pattern that keeps a byte
// printable or changes its case, at every offset of a small log.
func TestEveryFlippedByteIsDetected(t *testing.T) {
	t.Parallel()
	l, dir, k := newTestLog(t, func(c *LogConfig) { c.CheckpointEvery = 2 })
	appendN(t, l, 0, 3)
	closeLog(t, l)
	path := logFiles(t, dir)[0]
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyDir(t, dir, k, VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, len(orig))
	for i := range orig {
		for _, mask := range []byte{0x01, 0x20} {
			copy(data, orig)
			data[i] ^= mask
			if err := verifyBytes(k, path, data); err == nil {
				t.Fatalf("flipping byte %d (%q) with %#x went undetected", i, orig[i], mask)
			}
		}
	}
}

// verifyBytes verifies a one-file log held in memory, as if read from path.
func verifyBytes(k *Keys, path string, data []byte) error {
	v := &verifier{opts: VerifyOptions{PublicKey: k.PublicKey()}, rep: &Report{}}
	pending, _, err := v.file(context.Background(), path, bytes.NewReader(data), int64(len(data)), nil, "", 0, true)
	if err != nil {
		return err
	}
	return v.end(pending)
}

func TestParsePublicKeyRoundTrip(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	text := FormatPublicKey(k.PublicKey())
	pub, err := ParsePublicKey(text)
	if err != nil || !pub.Equal(k.PublicKey()) {
		t.Fatalf("ParsePublicKey(%q) = %v, %v", text, pub, err)
	}
	for _, bad := range []string{"", "ed25519:", "ed25519:AAAA", strings.TrimPrefix(text, "ed25519:")} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) = nil error", bad)
		}
	}
}
