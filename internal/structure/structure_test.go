package structure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/coffer-dev/coffer"

// root returns the module's root directory: the nearest parent of the
// working directory (the package directory, under go test) with a go.mod
// naming this module.
func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if !bytes.HasPrefix(data, []byte("module "+module+"\n")) {
				t.Fatalf("%s/go.mod is not module %s", dir, module)
			}
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// pkg is what `go list -json` says about one package.
type pkg struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string // direct imports of the non-test files
	Deps       []string // transitive dependencies of the non-test files
	Error      *struct{ Err string }
}

var (
	listOnce sync.Once
	listed   []pkg
	listErr  error
)

// packages lists every package of the module once per test binary.
func packages(t *testing.T) []pkg {
	t.Helper()
	dir := root(t)
	listOnce.Do(func() { listed, listErr = goList(dir) })
	if listErr != nil {
		t.Fatal(listErr)
	}
	return listed
}

func goList(dir string) ([]pkg, error) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Name,Dir,GoFiles,CgoFiles,Imports,Deps,Error", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, errors.New("go list found no packages")
	}
	return pkgs, nil
}

// rel returns an import path relative to the module ("internal/keys"), or
// the path itself for packages outside it.
func rel(importPath string) string {
	if importPath == module {
		return "."
	}
	if r, ok := strings.CutPrefix(importPath, module+"/"); ok {
		return r
	}
	return importPath
}

// ---- package docs ---------------------------------------------------------

// TestPackageDocs holds STYLE.md's "each package has a doc.go saying what it
// owns", as tailscale's pkgdoc_test does.
func TestPackageDocs(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, p := range packages(t) {
		r := rel(p.ImportPath)
		if !strings.HasPrefix(r, "internal/") && !strings.HasPrefix(r, "cmd/") {
			continue
		}
		files := append(slices.Clone(p.GoFiles), p.CgoFiles...)
		if len(files) == 0 {
			continue // test-only directory: nothing to document
		}
		checked++
		for _, problem := range packageDocProblems(p.Dir, p.Name, files) {
			t.Errorf("%s: %s", r, problem)
		}
	}
	if checked == 0 {
		t.Fatal("found no packages under internal/ or cmd/")
	}
}

// packageDocProblems checks the package doc comment of the package named
// name made of files in dir: exactly one file carries it, doc.go if there
// is one, and a library's starts "Package <name> ".
func packageDocProblems(dir, name string, files []string) []string {
	var problems []string
	var withDoc []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, filepath.Join(dir, file), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if f.Doc == nil || strings.TrimSpace(f.Doc.Text()) == "" {
			continue
		}
		withDoc = append(withDoc, file)
		text := f.Doc.Text()
		if name != "main" && !strings.HasPrefix(text, "Package "+name+" ") {
			problems = append(problems, fmt.Sprintf("%s: package doc should start %q, got %q", file, "Package "+name+" ", firstLine(text)))
		}
	}
	switch {
	case len(withDoc) == 0:
		problems = append(problems, "no package doc comment (write one in doc.go, or in the main file of a command)")
	case len(withDoc) > 1:
		problems = append(problems, fmt.Sprintf("package doc comments in %d files (%s); keep one", len(withDoc), strings.Join(withDoc, ", ")))
	case slices.Contains(files, "doc.go") && withDoc[0] != "doc.go":
		problems = append(problems, fmt.Sprintf("the package doc is in %s, but the package has a doc.go", withDoc[0]))
	}
	return problems
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// ---- dependencies ---------------------------------------------------------

// depRule says that packages matching from (except those matching except)
// must not depend, directly or through other packages, on any package
// matching deny unless it also matches allow. Patterns are import paths,
// relative to the module for Coffer's own packages; a trailing "/..."
// matches the path and everything below it.
type depRule struct {
	why  string
	from []string
	// planned marks a rule for packages that do not exist yet; any other
	// rule whose from matches no package fails, so that a renamed package
	// does not slip out of its rule unnoticed.
	planned bool
	except  []string
	deny    []string
	allow   []string
}

var depRules = []depRule{
	{
		why:   "storage knows nothing of Coffer (DESIGN.md, the storage package doc)",
		from:  []string{"internal/storage/..."},
		deny:  []string{"./..."},
		allow: []string{"internal/storage"},
	},
	{
		why:  "the secrets domain knows nothing of HTTP, the wire protocol, the API packages or the server",
		from: []string{"internal/secrets/..."},
		deny: []string{"net/http", "internal/awsproto", "internal/secretsmanager", "internal/server"},
	},
	{
		why:   "keys imports only storage, atomicfile and uuid from Coffer, and not net/http (internal/keys/doc.go)",
		from:  []string{"internal/keys/..."},
		deny:  []string{"net/http", "./..."},
		allow: []string{"internal/storage", "internal/atomicfile", "internal/uuid"},
	},
	{
		why:  "iam knows nothing of HTTP, the wire protocol or the API packages (internal/iam/doc.go)",
		from: []string{"internal/iam/..."},
		deny: []string{"net/http", "internal/awsproto", "internal/secrets", "internal/secretsmanager", "internal/server"},
	},
	{
		why:   "audit imports from Coffer only keys, and not net/http, so that the domain may call it (internal/audit/doc.go)",
		from:  []string{"internal/audit"},
		deny:  []string{"net/http", "./..."},
		allow: []string{"internal/keys", "internal/storage", "internal/atomicfile", "internal/uuid"},
	},
	{
		why:   "the SIEM sink imports from Coffer only audit (internal/audit/httpsink/doc.go)",
		from:  []string{"internal/audit/httpsink"},
		deny:  []string{"./..."},
		allow: []string{"internal/audit", "internal/keys", "internal/storage", "internal/atomicfile", "internal/uuid"},
	},
	{
		why:  "request carries request facts without HTTP (internal/request)",
		from: []string{"internal/request"},
		deny: []string{"net/http"},
	},
	{
		why:  "these packages import nothing from Coffer (their doc.go says so)",
		from: []string{"internal/awsproto", "internal/sigv4", "internal/password", "internal/atomicfile", "internal/uuid", "internal/rotation/schedule", "internal/alert"},
		deny: []string{"./..."},
	},
	{
		why:   "manifest is pure: from Coffer it imports only the reference grammar (internal/manifest/doc.go)",
		from:  []string{"internal/manifest"},
		deny:  []string{"./...", "net/http"},
		allow: []string{"internal/ref"},
	},
	{
		why:  "sigv4 is standard library only; the AWS SDK signs only in tests (internal/sigv4/doc.go)",
		from: []string{"internal/sigv4"},
		deny: []string{"github.com/...", "golang.org/..."},
	},
	{
		why:     "the public client imports no internal package, bbolt or pgx (STYLE.md)",
		from:    []string{"client/..."},
		planned: true,
		deny:    []string{"internal/...", "go.etcd.io/bbolt/...", "github.com/jackc/pgx/..."},
	},
	{
		why:    "test helpers are imported only by tests and bench/ (STYLE.md)",
		from:   []string{"./..."},
		except: []string{"internal/coffertest/...", "internal/storage/storagetest/...", "internal/pgtest/...", "internal/benchtest/...", "bench/..."},
		deny:   []string{"internal/coffertest", "internal/storage/storagetest", "internal/pgtest", "internal/benchtest"},
	},
	{
		why:    "nothing imports server but cmd/coffer and test helpers (internal/server/doc.go)",
		from:   []string{"./..."},
		except: []string{"cmd/coffer", "internal/server", "internal/coffertest", "bench/..."},
		deny:   []string{"internal/server"},
	},
}

// depProblems applies rules to pkgs and returns one line per violation.
func depProblems(pkgs []pkg, rules []depRule) []string {
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
	}
	var problems []string
	for _, r := range rules {
		matched := false
		for _, p := range pkgs {
			if !matchPattern(r.from, p.ImportPath) || matchPattern(r.except, p.ImportPath) {
				continue
			}
			matched = true
			for _, dep := range p.Deps {
				if !matchPattern(r.deny, dep) || matchPattern(r.allow, dep) {
					continue
				}
				problems = append(problems, fmt.Sprintf("%s depends on %s (%s): %s",
					rel(p.ImportPath), rel(dep), strings.Join(importChain(imports, p.ImportPath, dep), " → "), r.why))
			}
		}
		if !matched && !r.planned {
			problems = append(problems, fmt.Sprintf("the rule for %s matches no package: %s", strings.Join(r.from, ", "), r.why))
		}
	}
	return problems
}

// matchPattern reports whether importPath matches any of patterns: "./..."
// matches every package of the module, "x/..." matches x and everything
// below it, and a pattern whose first element is one of the module's
// top-level directories is relative to the module.
func matchPattern(patterns []string, importPath string) bool {
	for _, pat := range patterns {
		if pat == "./..." {
			if importPath == module || strings.HasPrefix(importPath, module+"/") {
				return true
			}
			continue
		}
		prefix, below := strings.CutSuffix(pat, "/...")
		if first, _, _ := strings.Cut(prefix, "/"); ownTopLevel[first] {
			prefix = module + "/" + prefix
		}
		if importPath == prefix || below && strings.HasPrefix(importPath, prefix+"/") {
			return true
		}
	}
	return false
}

// ownTopLevel are the module's top-level package directories, so that a
// pattern "internal/keys" is Coffer's and "net/http" the standard library's.
var ownTopLevel = map[string]bool{"internal": true, "cmd": true, "client": true, "bench": true}

// importChain returns a shortest chain of imports from one package to dep
// through the packages the module lists (standard library packages are not
// listed, so a chain through them ends at the last module package).
func importChain(imports map[string][]string, from, dep string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range imports[cur] {
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = cur
			if next == dep {
				var chain []string
				for at := dep; at != ""; at = prev[at] {
					chain = append(chain, rel(at))
				}
				slices.Reverse(chain)
				return chain
			}
			queue = append(queue, next)
		}
	}
	return []string{rel(from), "…", rel(dep)}
}

// TestDependencies holds the dependency rules of DESIGN.md, STYLE.md and
// the packages' doc.go files, as tailscale's tstest/deptest does.
func TestDependencies(t *testing.T) {
	t.Parallel()
	pkgs := packages(t)
	for _, p := range pkgs {
		if p.Error != nil && len(p.GoFiles)+len(p.CgoFiles) > 0 {
			t.Errorf("go list: %s: %s", rel(p.ImportPath), p.Error.Err)
		}
	}
	for _, problem := range depProblems(pkgs, depRules) {
		t.Error(problem)
	}
}

// ---- source files ---------------------------------------------------------

// goFiles returns the non-test .go files below dir, skipping testdata,
// vendor and directories whose names start with "." or "_", as the go
// command does. Build constraints are ignored: every file counts.
func goFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// mathRandImports returns one line per import of math/rand or
// math/rand/v2 in files.
func mathRandImports(base string, files []string) ([]string, error) {
	var problems []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "math/rand" || path == "math/rand/v2" {
				problems = append(problems, fmt.Sprintf("%s: imports %s; use crypto/rand", relFile(base, fset.Position(imp.Pos())), path))
			}
		}
	}
	return problems, nil
}

func relFile(base string, pos token.Position) string {
	if r, err := filepath.Rel(base, pos.Filename); err == nil {
		pos.Filename = filepath.ToSlash(r)
	}
	return pos.String()
}

// TestNoMathRand holds STYLE.md's "crypto/rand for all randomness": no
// non-test file anywhere in the repository imports math/rand.
func TestNoMathRand(t *testing.T) {
	t.Parallel()
	dir := root(t)
	files, err := goFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("found no Go files")
	}
	problems, err := mathRandImports(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// printCalls returns one line per call in files that prints around the
// logger: fmt.Print*, log.Print*, log.Fatal*, log.Panic*, the print and
// println builtins, and fmt.Fprint* to os.Stdout or os.Stderr.
func printCalls(base string, files []string) ([]string, error) {
	var problems []string
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		names := importNames(f) // local name → import path, for fmt, log and os
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if what := printCall(call, names); what != "" {
				problems = append(problems, fmt.Sprintf("%s: calls %s; log through log/slog", relFile(base, fset.Position(call.Pos())), what))
			}
			return true
		})
	}
	return problems, nil
}

// importNames maps the names a file uses for fmt, log and os to their
// paths; dot imports map "." + path.
func importNames(f *ast.File) map[string]string {
	names := map[string]string{}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if path != "fmt" && path != "log" && path != "os" {
			continue
		}
		name := path
		if imp.Name != nil {
			name = imp.Name.Name
		}
		if name == "." {
			names["."+path] = path
			continue
		}
		names[name] = path
	}
	return names
}

// printCall describes call if it is a forbidden print, else "".
func printCall(call *ast.CallExpr, names map[string]string) string {
	var pkgPath, fn string
	switch fun := call.Fun.(type) {
	case *ast.SelectorExpr:
		x, ok := fun.X.(*ast.Ident)
		if !ok {
			return ""
		}
		pkgPath, fn = names[x.Name], fun.Sel.Name
	case *ast.Ident:
		switch {
		case fun.Name == "print" || fun.Name == "println":
			return "the " + fun.Name + " builtin"
		case names[".fmt"] != "" && isPrint("fmt", fun.Name):
			pkgPath, fn = "fmt", fun.Name
		case names[".log"] != "" && isPrint("log", fun.Name):
			pkgPath, fn = "log", fun.Name
		default:
			return ""
		}
	default:
		return ""
	}
	switch {
	case pkgPath == "" || pkgPath == "os":
		return ""
	case isPrint(pkgPath, fn):
		return pkgPath + "." + fn
	case pkgPath == "fmt" && strings.HasPrefix(fn, "Fprint") && len(call.Args) > 0 && isStdStream(call.Args[0], names):
		return "fmt." + fn + " to " + exprString(call.Args[0])
	}
	return ""
}

func isPrint(pkgPath, fn string) bool {
	switch pkgPath {
	case "fmt":
		return fn == "Print" || fn == "Printf" || fn == "Println"
	case "log":
		for _, prefix := range []string{"Print", "Fatal", "Panic"} {
			if strings.HasPrefix(fn, prefix) {
				return true
			}
		}
	}
	return false
}

// isStdStream reports whether e is os.Stdout or os.Stderr.
func isStdStream(e ast.Expr, names map[string]string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && names[x.Name] == "os" && (e.Sel.Name == "Stdout" || e.Sel.Name == "Stderr")
	case *ast.Ident:
		return names[".os"] != "" && (e.Name == "Stdout" || e.Name == "Stderr")
	}
	return false
}

func exprString(e ast.Expr) string {
	if s, ok := e.(*ast.SelectorExpr); ok {
		if x, ok := s.X.(*ast.Ident); ok {
			return x.Name + "." + s.Sel.Name
		}
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "a standard stream"
}

// TestNoPrintsInInternal holds STYLE.md's "log/slog only": nothing under
// internal/ writes to stdout or stderr behind the logger's back.
func TestNoPrintsInInternal(t *testing.T) {
	t.Parallel()
	dir := root(t)
	files, err := goFiles(filepath.Join(dir, "internal"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("found no Go files under internal/")
	}
	problems, err := printCalls(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// ---- the detectors catch what they are for --------------------------------

// writeTree writes files (slash paths relative to dir → content) and
// returns dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantProblems fails the test unless got has exactly one line containing
// each of want, and nothing else.
func wantProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
		return
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
			t.Errorf("no problem mentions %q; got:\n%s", w, strings.Join(got, "\n"))
		}
	}
}

func TestPackageDocDetector(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"nodoc/a.go":       "package nodoc\n",
		"nodoc/b.go":       "// Not a doc: a blank line follows.\n\npackage nodoc\n",
		"twodocs/a.go":     "// Package twodocs does one thing.\npackage twodocs\n",
		"twodocs/b.go":     "// Package twodocs does another.\npackage twodocs\n",
		"wrongname/x.go":   "// Package other is misnamed.\npackage wrongname\n",
		"docgo/doc.go":     "package docgo\n",
		"docgo/docgo.go":   "// Package docgo is documented outside doc.go.\npackage docgo\n",
		"good/doc.go":      "// Package good is documented.\npackage good\n",
		"good/good.go":     "package good\n",
		"cmd/x/main.go":    "// X does things.\npackage main\n\nfunc main() {}\n",
		"cmd/y/main.go":    "package main\n\nfunc main() {}\n",
		"broken/broken.go": "this is not Go\n",
	})
	for _, tc := range []struct {
		dir, name string
		files     []string
		want      []string
	}{
		{"nodoc", "nodoc", []string{"a.go", "b.go"}, []string{"no package doc comment"}},
		{"twodocs", "twodocs", []string{"a.go", "b.go"}, []string{"in 2 files (a.go, b.go)"}},
		{"wrongname", "wrongname", []string{"x.go"}, []string{`should start "Package wrongname "`}},
		{"docgo", "docgo", []string{"doc.go", "docgo.go"}, []string{"has a doc.go"}},
		{"good", "good", []string{"doc.go", "good.go"}, nil},
		{"cmd/x", "main", []string{"main.go"}, nil},
		{"cmd/y", "main", []string{"main.go"}, []string{"no package doc comment"}},
		{"broken", "broken", []string{"broken.go"}, []string{"expected 'package'", "no package doc comment"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			wantProblems(t, packageDocProblems(filepath.Join(dir, tc.dir), tc.name, tc.files), tc.want...)
		})
	}
}

func TestDependencyDetector(t *testing.T) {
	t.Parallel()
	m := func(p string) string { return module + "/" + p }
	pkgs := []pkg{
		{ImportPath: m("internal/storage"), Deps: []string{"context", "errors"}},
		{ImportPath: m("internal/storage/bolt"), Imports: []string{m("internal/storage"), m("internal/keys")},
			Deps: []string{m("internal/storage"), m("internal/keys"), "go.etcd.io/bbolt"}},
		{ImportPath: m("internal/keys"), Imports: []string{m("internal/storage"), "crypto/tls"},
			Deps: []string{m("internal/storage"), "crypto/tls", "net/http"}},
		{ImportPath: m("internal/secrets"), Imports: []string{m("internal/helper")},
			Deps: []string{m("internal/helper"), "net/http", "net/url"}},
		{ImportPath: m("internal/helper"), Imports: []string{"net/http"}, Deps: []string{"net/http"}},
		{ImportPath: m("internal/awsproto"), Deps: []string{"errors", "net/http"}},
		{ImportPath: m("internal/sigv4"), Deps: []string{"github.com/aws/aws-sdk-go-v2/aws"}},
		{ImportPath: m("client"), Imports: []string{m("internal/keys")}, Deps: []string{m("internal/keys"), m("internal/storage")}},
		{ImportPath: m("internal/secretsmanager"), Imports: []string{m("internal/coffertest")},
			Deps: []string{m("internal/coffertest"), m("internal/server")}},
		{ImportPath: m("internal/coffertest"), Imports: []string{m("internal/server")}, Deps: []string{m("internal/server")}},
		{ImportPath: m("bench"), Imports: []string{m("internal/coffertest")}, Deps: []string{m("internal/coffertest"), m("internal/server")}},
		{ImportPath: m("cmd/coffer"), Imports: []string{m("internal/server")}, Deps: []string{m("internal/server")}},
		{ImportPath: m("internal/iam"), Imports: []string{m("internal/keys")}, Deps: []string{m("internal/keys"), m("internal/storage")}},
		{ImportPath: m("internal/request"), Imports: []string{m("internal/iam")}, Deps: []string{m("internal/iam"), "context"}},
		{ImportPath: m("internal/manifest"), Imports: []string{m("internal/ref"), m("internal/awsproto")},
			Deps: []string{m("internal/ref"), m("internal/awsproto")}},
		{ImportPath: m("internal/audit"), Imports: []string{m("internal/keys"), "net/http"},
			Deps: []string{m("internal/keys"), m("internal/storage"), "net/http"}},
		{ImportPath: m("internal/audit/httpsink"), Imports: []string{m("internal/audit"), "net/http"},
			Deps: []string{m("internal/audit"), m("internal/keys"), m("internal/storage"), "net/http"}},
	}
	wantProblems(t, depProblems(pkgs, depRules),
		"internal/storage/bolt depends on internal/keys (internal/storage/bolt → internal/keys): storage knows nothing",
		"internal/keys depends on net/http (internal/keys → … → net/http): keys imports only",
		"internal/secrets depends on net/http (internal/secrets → internal/helper → net/http)",
		"internal/sigv4 depends on github.com/aws/aws-sdk-go-v2/aws",
		"client depends on internal/keys",
		"client depends on internal/storage (client → internal/keys → internal/storage)",
		"internal/secretsmanager depends on internal/coffertest",
		"internal/secretsmanager depends on internal/server (internal/secretsmanager → internal/coffertest → internal/server)",
		"internal/manifest depends on internal/awsproto (internal/manifest → internal/awsproto): manifest is pure",
		"internal/audit depends on net/http (internal/audit → net/http): audit imports from Coffer only keys",
	)
	gone := []depRule{
		{why: "a package that was renamed", from: []string{"internal/gone"}},
		{why: "a package still to come", from: []string{"internal/later/..."}, planned: true},
	}
	wantProblems(t, depProblems(pkgs, gone), "the rule for internal/gone matches no package")
}

func TestMathRandDetector(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"a/a.go":               "package a\n\nimport \"math/rand\"\n\nvar _ = rand.Int\n",
		"a/b.go":               "package a\n\nimport mr \"math/rand/v2\"\n\nvar _ = mr.Int\n",
		"a/ok.go":              "package a\n\nimport \"crypto/rand\"\n\nvar _ = rand.Read\n",
		"a/a_test.go":          "package a\n\nimport \"math/rand\"\n\nvar _ = rand.Int\n",
		"a/testdata/x.go":      "package x\n\nimport \"math/rand\"\n",
		".hidden/x.go":         "package x\n\nimport \"math/rand\"\n",
		"b/deep/nested/c.go":   "package nested\n\nimport (\n\t\"fmt\"\n\t\"math/rand\"\n)\n",
		"b/deep/nested/README": "import \"math/rand\"\n",
	})
	files, err := goFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := mathRandImports(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, problems, "a/a.go:3:8: imports math/rand", "a/b.go:3:8: imports math/rand/v2", "b/deep/nested/c.go:5:2: imports math/rand")
}

func TestPrintDetector(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"p/bad.go": `package p

import (
	f "fmt"
	"log"
	"os"
)

func bad() {
	f.Println("hello")
	log.Printf("x %d", 1)
	log.Fatal("bye")
	println("raw")
	f.Fprintf(os.Stderr, "to stderr")
}
`,
		"p/dot.go": `package p

import . "fmt"

func dot() { Printf("x") }
`,
		"p/good.go": `package p

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

type logger struct{}

func (logger) Printf(string, ...any) {}

func good(w io.Writer, b *strings.Builder) {
	var log logger
	log.Printf("a method, not the log package")
	fmt.Fprintf(w, "to a writer")
	fmt.Fprint(b, "to a builder")
	_ = fmt.Sprintf("formatting is fine")
	slog.Info("the way to log")
}
`,
		"p/bad_test.go": "package p\n\nimport \"fmt\"\n\nfunc init() { fmt.Println(\"tests may print\") }\n",
	})
	files, err := goFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := printCalls(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, problems,
		"p/bad.go:10:2: calls fmt.Println",
		"p/bad.go:11:2: calls log.Printf",
		"p/bad.go:12:2: calls log.Fatal",
		"p/bad.go:13:2: calls the println builtin",
		"p/bad.go:14:2: calls fmt.Fprintf to os.Stderr",
		"p/dot.go:5:14: calls fmt.Printf",
	)
}
