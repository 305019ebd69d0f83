package main_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestDataDirIs0700AndItsFiles0600WhateverTheUmask starts the server
// directly and through `sh -c 'umask 000; exec coffer ...'`, writes a
// secret, and checks the mode of the data dir and of everything in it.
func TestDataDirIs0700AndItsFiles0600WhateverTheUmask(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		prefix []string // how to launch coffer
	}{
		{"under the test's umask", nil},
		{"under umask 000", []string{"sh", "-c", `umask 000; exec "$0" "$@"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			args := append(tc.prefix, cofferBin, "server", "--data-dir", dir, "--listen", "127.0.0.1:0", "--tls-self-signed")
			p := startProc(t, "", baseEnv(t), args[0], args[1:]...)
			srv := &server{proc: p, url: p.waitStdout(t, servingRE)[1], dataDir: dir}
			akid, secret := adminCreds(t, filepath.Join(dir, "credentials"))
			c := newClient(srv.url, akid, secret, trustCert(t, filepath.Join(dir, "tls.crt")))
			if _, err := c.CreateSecret(testContext(t), &secretsmanager.CreateSecretInput{Name: aws.String("perm"), SecretString: aws.String("v")}); err != nil {
				t.Fatalf("CreateSecret: %v", err)
			}
			srv.stop(t)

			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Fatalf("data dir mode = %v (%v), want 0700", fi.Mode().Perm(), err)
			}
			want := map[string]bool{"root.key": false, "credentials": false, "coffer.db": false, "tls.crt": false, "tls.key": false}
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || path == dir {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				wantMode := fs.FileMode(0o600)
				if d.IsDir() {
					wantMode = 0o700
				}
				if fi.Mode().Perm() != wantMode {
					t.Errorf("%s mode = %04o, want %04o", rel, fi.Mode().Perm(), wantMode)
				}
				if _, ok := want[rel]; ok {
					want[rel] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for name, seen := range want {
				if !seen {
					t.Errorf("data dir has no %s", name)
				}
			}
		})
	}
}

func TestDataDirOthersCanReachIsRefusedNamingChmod(t *testing.T) {
	t.Parallel()
	for _, mode := range []fs.FileMode{0o755, 0o750, 0o701} {
		t.Run(fmt.Sprintf("mode %04o is refused", mode), func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, mode); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", dir, "--listen", "127.0.0.1:0")
			if code == 0 || !strings.Contains(stderr, "chmod 700 "+dir) {
				t.Fatalf("coffer server on a %04o data dir exited %d with %q, want non-zero and a message naming chmod 700 %s", mode, code, stderr, dir)
			}
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) != 0 {
				t.Fatalf("refused data dir now holds %v (%v), want nothing", entries, err)
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != mode {
				t.Fatalf("refused data dir mode = %v (%v), want it left at %04o", fi.Mode().Perm(), err, mode)
			}
		})
	}
}

// TestDataDirThatIsAFileIsRefused covers the other way a data dir can be
// unusable.
func TestDataDirThatIsAFileIsRefused(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("not a dir"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", path, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, path) {
		t.Fatalf("coffer server with a file as data dir exited %d with %q, want non-zero naming %s", code, stderr, path)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "not a dir" {
		t.Fatalf("the file given as data dir now holds %q (%v), want it untouched", got, err)
	}
}

func TestRootKeyOthersCanReadIsRefusedNamingChmod(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	startServer(t, dir).stop(t)
	key := filepath.Join(dir, "root.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", dir, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, "chmod 600 "+key) {
		t.Fatalf("coffer server with a 0644 root key exited %d with %q, want non-zero naming chmod 600 %s", code, stderr, key)
	}
}
