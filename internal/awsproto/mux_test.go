package awsproto

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func newTestMux() *Mux {
	m := NewMux("secretsmanager")
	for _, name := range []string{"GetSecretValue", "CreateSecret", "ListSecrets"} {
		m.Handle(name, func(context.Context, []byte) (any, error) { return name, nil })
	}
	return m
}

func TestMuxLookup(t *testing.T) {
	t.Parallel()
	m := newTestMux()
	unknown := &Error{Type: "UnknownOperationException", Status: http.StatusBadRequest}
	tests := []struct {
		name    string
		target  string
		wantOp  string
		wantErr *Error
	}{
		{name: "a registered operation is found", target: "secretsmanager.GetSecretValue", wantOp: "GetSecretValue"},
		{name: "another registered operation is found", target: "secretsmanager.ListSecrets", wantOp: "ListSecrets"},
		{name: "a missing target is an unknown operation", target: "", wantErr: unknown},
		{name: "an unregistered operation is unknown", target: "secretsmanager.RotateEverything", wantErr: unknown},
		{name: "a bare operation without the prefix is unknown", target: "GetSecretValue", wantErr: unknown},
		{name: "another service's prefix is unknown", target: "AmazonSSM.GetParameter", wantErr: unknown},
		{name: "the prefix alone is unknown", target: "secretsmanager.", wantErr: unknown},
		{name: "the prefix without a dot is unknown", target: "secretsmanager", wantErr: unknown},
		{name: "a lower-cased operation is unknown", target: "secretsmanager.getsecretvalue", wantErr: unknown},
		{name: "a differently cased prefix is unknown", target: "SecretsManager.GetSecretValue", wantErr: unknown},
		{name: "an extra dotted segment is unknown", target: "secretsmanager.GetSecretValue.x", wantErr: unknown},
		{name: "surrounding space is not trimmed", target: " secretsmanager.GetSecretValue", wantErr: unknown},
		{name: "a prefix that only starts the same is unknown", target: "secretsmanagerx.GetSecretValue", wantErr: unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op, name, err := m.Lookup(tt.target)
			if diff := cmp.Diff(tt.wantErr, err); diff != "" {
				t.Fatalf("Lookup(%q) error mismatch (-want +got):\n%s", tt.target, diff)
			}
			if name != tt.wantOp {
				t.Errorf("Lookup(%q) name = %q, want %q", tt.target, name, tt.wantOp)
			}
			if tt.wantErr != nil {
				if op != nil {
					t.Errorf("Lookup(%q) returned an Op with an error", tt.target)
				}
				return
			}
			got, _ := op(t.Context(), nil)
			if got != tt.wantOp {
				t.Errorf("Lookup(%q) routed to %v, want %s", tt.target, got, tt.wantOp)
			}
		})
	}
}

func TestMuxNames(t *testing.T) {
	t.Parallel()
	m := newTestMux()
	if want := []string{"CreateSecret", "GetSecretValue", "ListSecrets"}; !slices.Equal(m.Names(), want) {
		t.Errorf("Names() = %v, want %v", m.Names(), want)
	}
	if m.Prefix() != "secretsmanager" {
		t.Errorf("Prefix() = %q, want secretsmanager", m.Prefix())
	}
}

func TestMuxHandlePanicsOnWiringMistakes(t *testing.T) {
	t.Parallel()
	op := func(context.Context, []byte) (any, error) { return nil, nil }
	tests := []struct {
		name string
		f    func(m *Mux)
	}{
		{"an empty name", func(m *Mux) { m.Handle("", op) }},
		{"a dotted name", func(m *Mux) { m.Handle("a.b", op) }},
		{"a nil op", func(m *Mux) { m.Handle("A", nil) }},
		{"a duplicate", func(m *Mux) { m.Handle("GetSecretValue", op) }},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle with %s did not panic", tt.name)
				}
			}()
			tt.f(newTestMux())
		}()
	}
	defer func() {
		if recover() == nil {
			t.Error(`NewMux("") did not panic`)
		}
	}()
	NewMux("")
}

func TestCheckContentType(t *testing.T) {
	t.Parallel()
	refused := &Error{Type: "UnknownOperationException", Status: http.StatusNotFound}
	tests := []struct {
		contentType string
		want        *Error
	}{
		{"application/x-amz-json-1.1", nil},
		{"application/x-amz-json-1.1; charset=utf-8", nil},
		{"Application/X-Amz-Json-1.1", nil},
		{" application/x-amz-json-1.1 ;charset=UTF-8", nil},
		{"", refused},
		{"application/x-amz-json-1.0", refused},
		{"application/json", refused},
		{"text/plain", refused},
		{"application/x-amz-json-1.10", refused},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, CheckContentType(tt.contentType)); diff != "" {
			t.Errorf("CheckContentType(%q) mismatch (-want +got):\n%s", tt.contentType, diff)
		}
	}
}

func BenchmarkMuxLookup(b *testing.B) {
	m := newTestMux()
	for b.Loop() {
		if _, _, err := m.Lookup("secretsmanager.GetSecretValue"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestQueryMuxNamesAndLookup(t *testing.T) {
	m := NewQueryMux("iam", "2010-05-08", "https://iam.amazonaws.com/doc/2010-05-08/")
	op := func(context.Context, url.Values) (any, error) { return nil, nil }
	for _, a := range []string{"GetUser", "CreateUser", "ListUsers"} {
		m.Handle(a, op)
	}
	if want := []string{"CreateUser", "GetUser", "ListUsers"}; !slices.Equal(m.Names(), want) {
		t.Errorf("Names() = %v, want %v", m.Names(), want)
	}
	if _, name, err := m.Lookup(url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}}); err != nil || name != "GetUser" {
		t.Errorf("Lookup(GetUser) = %q, %v", name, err)
	}
	if _, _, err := m.Lookup(url.Values{"Action": {"DeleteUser"}, "Version": {"2010-05-08"}}); err == nil || err.Type != "InvalidAction" {
		t.Errorf("Lookup(DeleteUser) = %v, want InvalidAction", err)
	}
}
