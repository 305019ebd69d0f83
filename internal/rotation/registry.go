package rotation

import (
	"fmt"
	"strings"
	"sync"
)

// Registry holds the rotation functions a RotationLambdaARN can name:
// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] (any Region, this
// server's account) or the bare NAME.
type Registry struct {
	account string
	mu      sync.RWMutex
	funcs   map[string]registered
}

type registered struct {
	fn   Function
	opts FunctionOptions
}

// FunctionOptions are per-function settings.
type FunctionOptions struct {
	// ReadSecrets are ARN patterns (with * wildcards) of other secrets the
	// function's scoped credentials may read, e.g. the master secret of an
	// alternating-users database rotation.
	ReadSecrets []string
}

// NewRegistry returns an empty registry for account.
func NewRegistry(account string) *Registry {
	return &Registry{account: account, funcs: map[string]registered{}}
}

// Register adds fn under name, replacing any function of that name.
func (r *Registry) Register(name string, fn Function, opts FunctionOptions) error {
	if name == "" || strings.ContainsAny(name, ":/ ") || len(name) > 64 {
		return fmt.Errorf("rotation function name %q: use 1-64 letters, digits, - and _", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.funcs[name] = registered{fn, opts}
	return nil
}

// ErrUnknownFunction is the error RotateSecret answers for a
// RotationLambdaARN that names no registered function. The message is
// AWS's for a function it cannot invoke.
type ErrUnknownFunction struct{ ARN string }

func (e *ErrUnknownFunction) Error() string {
	return "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com."
}

// Lookup returns the function arn names.
func (r *Registry) Lookup(arn string) (Function, FunctionOptions, error) {
	name, ok := r.nameOf(arn)
	if ok {
		r.mu.RLock()
		f, found := r.funcs[name]
		r.mu.RUnlock()
		if found {
			return f.fn, f.opts, nil
		}
	}
	return nil, FunctionOptions{}, &ErrUnknownFunction{ARN: arn}
}

// Check is Lookup for validation only.
func (r *Registry) Check(_, arn string) error {
	_, _, err := r.Lookup(arn)
	return err
}

// ARN returns the ARN of the function name in region.
func (r *Registry) ARN(region, name string) string {
	return "arn:aws:lambda:" + region + ":" + r.account + ":function:" + name
}

func (r *Registry) nameOf(arn string) (string, bool) {
	if !strings.HasPrefix(arn, "arn:") {
		return arn, arn != ""
	}
	p := strings.Split(arn, ":")
	if len(p) < 7 || len(p) > 8 || p[1] != "aws" || p[2] != "lambda" || p[5] != "function" {
		return "", false
	}
	if p[4] != r.account {
		return "", false
	}
	return p[6], true
}
