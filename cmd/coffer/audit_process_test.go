package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/keys"
)

// TestAuditVerifyExitStatus runs the binary: 0 for an intact log, 1 and
// the first problem on stderr for a truncated one.
func TestAuditVerifyExitStatus(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "coffer-data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	root, _, err := keys.LoadOrCreateRootKey(filepath.Join(dataDir, "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := audit.KeysFromRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.OpenLog(context.Background(), audit.LogConfig{Dir: filepath.Join(dataDir, "audit"), Keys: k})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(context.Background(), &audit.Event{Service: "secretsmanager", Operation: "ListSecrets"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(t)
	if out, errOut, code := runCoffer(t, env, "audit", "verify", "--data-dir", dataDir); code != 0 {
		t.Fatalf("verify of an intact log: exit %d\n%s%s", code, out, errOut)
	}
	files, _ := audit.Files(filepath.Join(dataDir, "audit"))
	data, _ := os.ReadFile(files[0])
	if err := os.WriteFile(files[0], data[:len(data)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runCoffer(t, env, "audit", "verify", "--data-dir", dataDir)
	if code != 1 || !strings.Contains(errOut, "truncated at seq 2") {
		t.Errorf("verify of a truncated log: exit %d, stderr %q; want 1 and the truncation", code, errOut)
	}
}
