package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/rotation"
)

// RotationFunction registers a rotation function that a RotateSecret's
// RotationLambdaARN can name (arn:aws:lambda:REGION:ACCOUNT:function:NAME).
// Exactly one of URL, Command and Builtin is set.
type RotationFunction struct {
	Name string `json:"name"`
	// URL is an HTTP(S) endpoint that receives the event as JSON.
	URL string `json:"url,omitempty"`
	// SigningKeyFile holds the key Coffer signs each call to URL with
	// (X-Coffer-Signature); optional.
	SigningKeyFile string `json:"signing_key_file,omitempty"`
	// Command is a local executable (and arguments) that receives the
	// event on stdin.
	Command []string `json:"command,omitempty"`
	// Env adds NAME=value pairs to Command's environment.
	Env []string `json:"env,omitempty"`
	// Builtin names a built-in rotator; Options configure it.
	Builtin string            `json:"builtin,omitempty"`
	Options map[string]string `json:"options,omitempty"`
	// ReadSecrets are secret ARN patterns the function's scoped
	// credentials may also read (e.g. an alternating-users rotation's
	// master secret).
	ReadSecrets []string `json:"read_secrets,omitempty"`
}

// BuiltinRotators resolves the Builtin of a RotationFunction. The
// built-in rotators live in internal/rotation/builtin; cmd/coffer sets
// this so that server does not depend on database drivers.
type BuiltinRotators interface {
	Lookup(name string, opts map[string]string) (rotation.BuiltinFunc, error)
	Names() []string
}

// rotationRole is the service role whose sessions rotation functions run
// with; every session is narrowed by a session policy to one secret.
const rotationRole = "coffer-rotation"

// rotationRolePolicy is the role's inline policy: the most any rotation
// session may do. Each session's policy narrows it to one secret.
const rotationRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[` +
	`"secretsmanager:DescribeSecret","secretsmanager:GetSecretValue","secretsmanager:PutSecretValue",` +
	`"secretsmanager:UpdateSecretVersionStage","secretsmanager:GetRandomPassword"],"Resource":"*"}]}`

// newRegistry registers the configured rotation functions and the
// built-in rotators (as coffer-<name>, with default options).
func (s *Server) newRegistry() (*rotation.Registry, error) {
	reg := rotation.NewRegistry(s.account)
	if b := s.cfg.Builtins; b != nil {
		for _, name := range b.Names() {
			fn, err := b.Lookup(name, nil)
			if err != nil {
				return nil, fmt.Errorf("built-in rotator %s: %w", name, err)
			}
			if err := reg.Register("coffer-"+name, &rotation.BuiltinFunction{Func: fn}, rotation.FunctionOptions{}); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range s.cfg.RotationFunctions {
		fn, err := s.rotationFunction(f)
		if err != nil {
			return nil, fmt.Errorf("rotation function %q: %w", f.Name, err)
		}
		if err := reg.Register(f.Name, fn, rotation.FunctionOptions{ReadSecrets: f.ReadSecrets}); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

func (s *Server) rotationFunction(f RotationFunction) (rotation.Function, error) {
	set := 0
	for _, b := range []bool{f.URL != "", len(f.Command) > 0, f.Builtin != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		return nil, errors.New("give exactly one of url, command and builtin")
	}
	switch {
	case f.URL != "":
		if !strings.HasPrefix(f.URL, "https://") && !strings.HasPrefix(f.URL, "http://") {
			return nil, fmt.Errorf("url %q: must be http:// or https://", f.URL)
		}
		fn := &rotation.HTTPFunction{URL: f.URL, Client: &http.Client{Timeout: s.cfg.RotationStepTimeout}}
		if f.SigningKeyFile != "" {
			key, err := os.ReadFile(f.SigningKeyFile)
			if err != nil {
				return nil, fmt.Errorf("read signing key: %w", err)
			}
			fn.SigningKey = bytes.TrimSpace(key)
		}
		return fn, nil
	case len(f.Command) > 0:
		if !filepath.IsAbs(f.Command[0]) {
			return nil, fmt.Errorf("command %q: give an absolute path", f.Command[0])
		}
		return &rotation.ExecFunction{Command: f.Command, Env: f.Env}, nil
	default:
		if s.cfg.Builtins == nil {
			return nil, fmt.Errorf("unknown built-in rotator %q", f.Builtin)
		}
		fn, err := s.cfg.Builtins.Lookup(f.Builtin, f.Options)
		if err != nil {
			return nil, err
		}
		return &rotation.BuiltinFunction{Func: fn}, nil
	}
}

// ensureRotationRole creates the rotation service role if it is missing
// (an administrator may inspect it, not usefully change it: every session
// is narrowed to one secret).
func (s *Server) ensureRotationRole(ctx context.Context) (*iam.Role, error) {
	role, err := s.iam.Role(ctx, rotationRole)
	if err == nil {
		return role, nil
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err = s.iam.CreateRole(ctx, iam.RoleInput{
		Name: rotationRole, Path: "/service-role/", AssumeRolePolicy: trust,
		Description: "Coffer runs rotation functions with sessions of this role, each narrowed to one secret.",
	})
	var exists *iam.EntityExistsError
	if errors.As(err, &exists) {
		return s.iam.Role(ctx, rotationRole)
	}
	if err != nil {
		return nil, err
	}
	if err := s.iam.PutRolePolicy(ctx, rotationRole, "rotation", rotationRolePolicy); err != nil {
		return nil, err
	}
	return role, nil
}

// rotationInvocation issues short-lived credentials for one rotation of
// the secret arn: a session of the rotation role whose session policy
// allows only that secret (and the function's ReadSecrets, read-only).
func (s *Server) rotationInvocation(ctx context.Context, region, arn string, opts rotation.FunctionOptions) (rotation.Invocation, error) {
	role, err := s.ensureRotationRole(ctx)
	if err != nil {
		return rotation.Invocation{}, err
	}
	stmts := []map[string]any{
		{"Effect": "Allow", "Action": []string{
			"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
			"secretsmanager:UpdateSecretVersionStage",
		}, "Resource": arn},
		{"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
	}
	if len(opts.ReadSecrets) > 0 {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": []string{
			"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
		}, "Resource": opts.ReadSecrets})
	}
	policy, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		return rotation.Invocation{}, err
	}
	d := 4*s.cfg.RotationStepTimeout + 5*time.Minute
	creds, err := s.iam.CreateSession(ctx, iam.Session{
		RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: "rotation-" + newRequestID()[:8],
		Policies: []string{string(policy)}, Duration: d,
	})
	if err != nil {
		return rotation.Invocation{}, fmt.Errorf("issue rotation credentials: %w", err)
	}
	inv := rotation.Invocation{
		Region: region,
		Credentials: rotation.Credentials{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.Secret.Reveal(),
			SessionToken: creds.SessionToken, Expires: creds.Expiration,
		},
		Endpoint:   s.URL(),
		HTTPClient: &http.Client{Transport: inProcess{s}},
	}
	if s.cfg.tls() && s.cfg.TLSCert == "" {
		inv.CABundle = filepath.Join(s.cfg.DataDir, "tls.crt")
	} else if s.cfg.TLSCert != "" {
		inv.CABundle = s.cfg.TLSCert
	}
	return inv, nil
}

// inProcess is an http.RoundTripper that serves requests with the server's
// own handler, without a socket: built-in rotators call the real API path
// (authentication, policies, audit) in-process.
type inProcess struct{ s *Server }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RemoteAddr = "127.0.0.1:0"
	r.RequestURI = r.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	t.s.ServeHTTP(w, r)
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		Status: http.StatusText(w.status), StatusCode: w.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: w.header, Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Request: req,
	}, nil
}

type bufferedResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.wrote = true
	return w.body.Write(p)
}
