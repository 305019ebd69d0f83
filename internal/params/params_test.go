package params_test

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/params"
	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
)

type env struct {
	svc     *params.Service
	backend storage.Backend
	call    params.Call
}

// newEnv is the real domain over a real bbolt file and real keys.
func newEnv(t testing.TB, maxParams int) *env {
	t.Helper()
	ctx := context.Background()
	b, err := bolt.Open(filepath.Join(t.TempDir(), "coffer.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	root, err := keys.NewRootKey()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: b, Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := params.New(params.Config{Backend: b, Keys: kr, Account: "123456789012", MaxParameters: maxParams})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, backend: b, call: params.Call{Region: "us-east-1", Principal: iam.Principal{ARN: "arn:aws:iam::123456789012:user/admin"}}}
}

func (e *env) put(t *testing.T, in params.PutInput) *params.PutResult {
	t.Helper()
	res, err := e.svc.Put(context.Background(), e.call, in)
	if err != nil {
		t.Fatalf("Put(%s): %v", in.Name, err)
	}
	return res
}

func value(s string) *params.Value {
	v := params.NewValue(s)
	return &v
}

func TestSwappedSecureStringVersionsFailToDecrypt(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	e.put(t, params.PutInput{Name: "/app/db", Type: params.TypeSecureString, Value: value("first")})
	e.put(t, params.PutInput{Name: "/app/db", Type: params.TypeSecureString, Value: value("second"), Overwrite: true})

	kvs, err := e.backend.List(ctx, "ssv/us-east-1/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(kvs) != 2 {
		t.Fatalf("stored SecureString values = %d, want 2", len(kvs))
	}
	err = e.backend.Txn(ctx, storage.Txn{Ops: []storage.Op{
		{Key: kvs[0].Key, Value: kvs[1].Value},
		{Key: kvs[1].Key, Value: kvs[0].Value},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"/app/db:1", "/app/db:2"} {
		p, err := e.svc.Get(ctx, e.call, name, true)
		if !errors.Is(err, params.ErrDecryption) {
			t.Errorf("Get(%s) after swap = %v, %v; want ErrDecryption", name, p, err)
		}
	}
}

func TestMovedRecordFailsToOpen(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	e.put(t, params.PutInput{Name: "a", Type: params.TypeString, Value: value("va")})
	e.put(t, params.PutInput{Name: "b", Type: params.TypeString, Value: value("vb")})
	kvs, err := e.backend.List(ctx, "ssp/us-east-1/", "", 0)
	if err != nil || len(kvs) != 2 {
		t.Fatalf("List = %d records, %v; want 2", len(kvs), err)
	}
	err = e.backend.Txn(ctx, storage.Txn{Ops: []storage.Op{{Key: kvs[0].Key, Value: kvs[1].Value}}})
	if err != nil {
		t.Fatal(err)
	}
	_, errA := e.svc.Get(ctx, e.call, "a", false)
	_, errB := e.svc.Get(ctx, e.call, "b", false)
	if !errors.Is(errA, params.ErrDecryption) && !errors.Is(errB, params.ErrDecryption) {
		t.Fatalf("Get after moving a record = %v, %v; want ErrDecryption for one", errA, errB)
	}
}

func TestStorageKeysRevealNoNames(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	e.put(t, params.PutInput{Name: "/very/visible-name", Type: params.TypeSecureString, Value: value("x")})
	kvs, err := e.backend.List(ctx, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if strings.Contains(kv.Key, "visible") {
			t.Errorf("storage key %q contains the parameter name", kv.Key)
		}
	}
}

func TestCreateBeyondParameterLimitIsRefused(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	e.put(t, params.PutInput{Name: "one", Type: params.TypeString, Value: value("1")})
	e.put(t, params.PutInput{Name: "two", Type: params.TypeString, Value: value("2")})
	_, err := e.svc.Put(ctx, e.call, params.PutInput{Name: "three", Type: params.TypeString, Value: value("3")})
	if !errors.Is(err, params.ErrParameterLimit) {
		t.Fatalf("Put(three) = %v, want ErrParameterLimit", err)
	}
	// Overwriting an existing parameter is not a new one.
	e.put(t, params.PutInput{Name: "two", Value: value("2b"), Overwrite: true})
}

func TestConcurrentOverwritesGetDistinctVersions(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	e.put(t, params.PutInput{Name: "/c", Type: params.TypeString, Value: value("0")})
	const n = 20
	var wg sync.WaitGroup
	versions := make(chan int64, n)
	for i := range n {
		wg.Go(func() {
			res, err := e.svc.Put(ctx, e.call, params.PutInput{Name: "/c", Value: value(strconv.Itoa(i)), Overwrite: true})
			if err != nil {
				t.Error(err)
				return
			}
			versions <- res.Version
		})
	}
	wg.Wait()
	close(versions)
	seen := map[int64]bool{}
	for v := range versions {
		if seen[v] {
			t.Errorf("version %d given twice", v)
		}
		seen[v] = true
	}
	p, err := e.svc.Get(ctx, e.call, "/c", false)
	if err != nil || p.Version != n+1 {
		t.Fatalf("Get(/c) = version %v, %v; want %d", p.Version, err, n+1)
	}
}

func TestValueRedactsItself(t *testing.T) {
	v := params.NewValue("hunter2")
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "value", v)
	for _, s := range []string{fmt.Sprintf("%v %s %+v %#v %q", v, v, v, v, v), logged.String()} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("printed Value %q contains the plaintext", s)
		}
	}
	if v.Reveal() != "hunter2" {
		t.Errorf("Reveal() = %q, want hunter2", v.Reveal())
	}
}

// TestImports holds doc.go's rule: params imports neither net/http nor
// the wire protocol nor an API package.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range []string{"net/http", "/internal/awsproto", "/internal/ssm", "/internal/secretsmanager", "/internal/server"} {
				if path == bad || strings.HasSuffix(path, bad) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
