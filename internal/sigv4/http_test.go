package sigv4_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

// verifyServer starts an HTTP server whose handler reads the body and calls
// Verify, answering 200 with the access key id or the AWS error.
func verifyServer(t *testing.T, v *sigv4.Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cred, err := v.Verify(r.Context(), r, body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if e, ok := errors.AsType[*sigv4.Error](err); ok {
			w.WriteHeader(e.Status)
			json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "Message": e.Message})
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"AccessKeyId": cred.AccessKeyID, "Region": cred.Region})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// send signs a request to srv with the SDK signer, lets tamper change it
// afterwards, sends it and returns the status and decoded JSON answer.
func send(t *testing.T, srv *httptest.Server, method, path, body string, chunked bool, tamper func(*http.Request)) (int, map[string]string) {
	t.Helper()
	s := defaultSpec()
	s.method, s.url, s.body, s.chunked = method, srv.URL+path, body, chunked
	s.creds = aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret}
	r := sign(t, s) // a chunked spec has ContentLength -1, so the body goes chunked
	if tamper != nil {
		tamper(r)
	}
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatalf("Do(%s %s) = %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode response (status %d): %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

func TestVerifyThroughHTTPServer(t *testing.T) {
	t.Parallel()
	srv := verifyServer(t, newVerifier(sigv4.Config{}))

	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		chunked bool
		tamper  func(*http.Request)
		status  int
		code    string
	}{
		{
			name:   "SDK-signed POST with a body is accepted by the server",
			method: http.MethodPost, path: "/", body: testBody, status: http.StatusOK,
		},
		{
			name:   "SDK-signed request with escaped path and query is accepted by the server",
			method: http.MethodGet, path: "/a%20b/%C3%A9:x/?q=a%20b&q=%2B&r=~", status: http.StatusOK,
		},
		{
			name:   "SDK-signed chunked body without Content-Length is accepted by the server",
			method: http.MethodPost, path: "/", body: testBody, chunked: true, status: http.StatusOK,
		},
		{
			name:   "body replaced after signing is refused by the server",
			method: http.MethodPost, path: "/", body: testBody,
			tamper: func(r *http.Request) {
				r.Body = io.NopCloser(strings.NewReader(strings.Replace(testBody, "prod", "test", 1)))
			},
			status: http.StatusBadRequest, code: sigv4.CodeInvalidSignature,
		},
		{
			name:   "Host header changed after signing is refused by the server",
			method: http.MethodPost, path: "/", body: testBody,
			tamper: func(r *http.Request) { r.Host = "localhost" },
			status: http.StatusBadRequest, code: sigv4.CodeInvalidSignature,
		},
		{
			name:   "unsigned request is refused by the server",
			method: http.MethodPost, path: "/", body: testBody,
			tamper: func(r *http.Request) { r.Header.Del("Authorization") },
			status: http.StatusBadRequest, code: sigv4.CodeMissingAuthenticationToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, out := send(t, srv, tt.method, tt.path, tt.body, tt.chunked, tt.tamper)
			if status != tt.status || out["__type"] != tt.code {
				t.Fatalf("%s %s = %d %v, want %d %q", tt.method, tt.path, status, out, tt.status, tt.code)
			}
			if tt.status == http.StatusOK && out["AccessKeyId"] != testAccessKey {
				t.Errorf("AccessKeyId = %q, want %q", out["AccessKeyId"], testAccessKey)
			}
		})
	}
}
