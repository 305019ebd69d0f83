package keys_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/keys"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hexString(b []byte) string { return hex.EncodeToString(b) }

// sameRootKey reports whether a and b are the same key, by what they derive.
func sameRootKey(t *testing.T, a, b *keys.RootKey) bool {
	t.Helper()
	return newKeyring(t, a, newMemBackend()).Blind("probe") == newKeyring(t, b, newMemBackend()).Blind("probe")
}

func TestLoadOrCreateRootKeyCreatesThenReuses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	k1, created, err := keys.LoadOrCreateRootKey(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateRootKey(new) = %v, %v, want created", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 || fi.Size() != 32 {
		t.Errorf("root key file mode %v, size %d; want -rw-------, 32", fi.Mode(), fi.Size())
	}
	if bytes.Equal(readFile(t, path), make([]byte, 32)) {
		t.Error("root key file is all zeros")
	}

	k2, created, err := keys.LoadOrCreateRootKey(path)
	if err != nil || created {
		t.Fatalf("LoadOrCreateRootKey(existing) = %v, %v, want loaded", created, err)
	}
	if !sameRootKey(t, k1, k2) {
		t.Error("second LoadOrCreateRootKey returned a different key")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file", len(entries))
	}
}

func TestLoadOrCreateRootKeyConcurrentCreatorsAgree(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		got     []*keys.RootKey
		created int
	)
	for range 8 {
		wg.Go(func() {
			k, c, err := keys.LoadOrCreateRootKey(path)
			if err != nil {
				t.Errorf("LoadOrCreateRootKey = %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, k)
			if c {
				created++
			}
		})
	}
	wg.Wait()
	if created != 1 {
		t.Errorf("%d callers created the key, want 1", created)
	}
	for i, k := range got {
		if !sameRootKey(t, got[0], k) {
			t.Errorf("caller %d got a different key", i)
		}
	}
}

func TestLoadOrCreateRootKeyRefusesBadFiles(t *testing.T) {
	t.Parallel()
	good := bytes.Repeat([]byte{0x5a}, 32)
	for _, tc := range []struct {
		name    string
		content []byte
		mode    fs.FileMode
		want    []string // substrings of the error
	}{
		{"world-readable file is refused", good, 0o644, []string{"0644", "group or other"}},
		{"group-readable file is refused", good, 0o640, []string{"0640"}},
		{"group-writable file is refused", good, 0o620, []string{"0620"}},
		{"other-readable file is refused", good, 0o604, []string{"0604"}},
		{"short file is refused", good[:31], 0o600, []string{"31 bytes, want 32"}},
		{"long file is refused", append(good, '\n'), 0o600, []string{"33 bytes, want 32"}},
		{"empty file is refused", nil, 0o600, []string{"0 bytes"}},
		{"all-zero file is refused", make([]byte, 32), 0o600, []string{"all zeros"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "root.key")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			k, created, err := keys.LoadOrCreateRootKey(path)
			if err == nil {
				t.Fatalf("LoadOrCreateRootKey = %v, created %v, want error", k, created)
			}
			msg := err.Error()
			for _, w := range append(tc.want, path) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(msg, hexString(good)) || strings.Contains(msg, string(good)) {
				t.Errorf("error %q contains the key bytes", msg)
			}
			if got := readFile(t, path); !bytes.Equal(got, tc.content) {
				t.Error("LoadOrCreateRootKey changed a refused file")
			}
		})
	}
}

func TestLoadOrCreateRootKeyRefusesDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.LoadOrCreateRootKey(path); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("LoadOrCreateRootKey(directory) = %v, want not a regular file", err)
	}
}

func TestLoadOrCreateRootKeyMissingDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing", "root.key")
	if _, _, err := keys.LoadOrCreateRootKey(path); err == nil {
		t.Error("LoadOrCreateRootKey in a missing directory = nil error")
	}
}

func TestRootKeyFormattingRedacts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "root.key")
	k, _, err := keys.LoadOrCreateRootKey(path)
	if err != nil {
		t.Fatal(err)
	}
	raw := readFile(t, path)
	cfg := keys.Config{Root: k, Account: testAccount}
	type wrapper struct{ Key keys.RootKey }

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, k),
			fmt.Sprintf(verb, *k),
			fmt.Sprintf(verb, cfg),
			fmt.Sprintf(verb, wrapper{*k}),
			fmt.Sprintf(verb, []*keys.RootKey{k}),
		)
	}
	outputs = append(outputs, fmt.Sprint(k), fmt.Sprintln(*k), k.String(), k.GoString())

	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("root key", "key", k, "value", *k, "cfg", cfg)
		l.Info("root key group", slog.Group("g", slog.Any("key", k)))
	}
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		for _, leak := range []string{hexString(raw), strings.ToUpper(hexString(raw)), string(raw), fmt.Sprint(raw), fmt.Sprintf("%v", [32]byte(raw))} {
			if strings.Contains(out, leak) {
				t.Errorf("output %q shows the key bytes", out)
			}
		}
	}
	for _, s := range []string{fmt.Sprintf("%v", k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%s", k)} {
		if s != "keys.RootKey(redacted)" {
			t.Errorf("formatted root key = %q, want keys.RootKey(redacted)", s)
		}
	}
	if !strings.Contains(logs.String(), "keys.RootKey(redacted)") {
		t.Errorf("logs %q do not show the placeholder", logs.String())
	}
}
