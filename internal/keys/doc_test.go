package keys_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies holds doc.go's "must not import" list.
func TestDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/coffer-dev/coffer/"
	allowed := map[string]bool{
		module + "internal/keys":       true,
		module + "internal/storage":    true,
		module + "internal/atomicfile": true,
		module + "internal/uuid":       true,
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch {
		case pkg == "net/http":
			t.Errorf("keys depends on net/http")
		case strings.HasPrefix(pkg, module) && !allowed[pkg]:
			t.Errorf("keys depends on %s; it may import only storage, atomicfile and uuid from Coffer", pkg)
		case strings.HasPrefix(pkg, module):
			for _, imp := range strings.Fields(imports) {
				if imp == "math/rand" || imp == "math/rand/v2" {
					t.Errorf("%s imports %s; use crypto/rand", pkg, imp)
				}
			}
		}
	}
}
