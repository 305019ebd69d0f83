package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

// FuzzParseAuthorization feeds arbitrary Authorization headers to the
// parser: it must not panic, what it returns must come from the header, and
// its errors must be fixed AWS text that echoes nothing. Seeds are in
// testdata/fuzz/FuzzParseAuthorization.
func FuzzParseAuthorization(f *testing.F) {
	f.Fuzz(func(t *testing.T, h string) {
		alg, cred, signed, sig, err := sigv4.ParseAuthorization(h)
		if err != nil {
			e, ok := errors.AsType[*sigv4.Error](err)
			if !ok {
				t.Fatalf("ParseAuthorization(%q) error %T, want *sigv4.Error", h, err)
			}
			if e.Code != sigv4.CodeIncompleteSignature && e.Code != sigv4.CodeMissingAuthenticationToken {
				t.Fatalf("ParseAuthorization(%q) code %q", h, e.Code)
			}
			if !sigv4.FixedMessage(e.Message) {
				t.Fatalf("ParseAuthorization(%q) message %q is not fixed text", h, e.Message)
			}
			return
		}
		if !strings.HasPrefix(alg, "AWS4-") || cred == "" || sig == "" {
			t.Fatalf("ParseAuthorization(%q) = %q, %q, %q, %q; want AWS4- algorithm and non-empty credential and signature", h, alg, cred, signed, sig)
		}
		for _, part := range []string{alg, cred, signed, sig} {
			if !strings.Contains(h, part) {
				t.Fatalf("ParseAuthorization(%q) returned %q, which is not in the header", h, part)
			}
		}
	})
}

// FuzzVerifySDKSigned signs requests with fuzzed paths, query parameters
// and header values with the SDK signer, sends them over a simulated wire,
// and requires Verify to accept every one the server would accept: it is a
// differential test of the canonical request against the SDK's. Seeds are
// in testdata/fuzz/FuzzVerifySDKSigned.
func FuzzVerifySDKSigned(f *testing.F) {
	f.Fuzz(func(t *testing.T, path, key, value, hv string) {
		if !utf8.ValidString(hv) || strings.ContainsAny(hv, "\r\n\x00") || strings.ContainsFunc(hv, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
			return // not a header value net/http would send
		}
		u := &url.URL{Scheme: "https", Host: "secretsmanager.us-east-1.amazonaws.com", Path: "/" + path}
		if key != "" {
			u.RawQuery = url.Values{key: {value}}.Encode()
		}
		s := defaultSpec()
		s.method, s.body, s.url = http.MethodGet, "", u.String()
		if _, err := url.ParseRequestURI(u.RequestURI()); err != nil {
			return
		}
		s.header = http.Header{"X-Amz-Meta-Fuzz": {hv}}
		r := sign(t, s)
		v := newVerifier(sigv4.Config{})
		if _, err := v.Verify(context.Background(), r, nil); err != nil {
			t.Fatalf("Verify(client request %q, header %q) = %v", u, hv, err)
		}
		sr, body := overWire(t, r, "")
		if _, err := v.Verify(context.Background(), sr, body); err != nil {
			t.Fatalf("Verify(server request %q, header %q) = %v", sr.RequestURI, hv, err)
		}
	})
}
