package sigv4_test

import (
	"bufio"
	"bytes"
	stdcmp "cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

const (
	testAccessKey = "AKIDEXAMPLE0000001"
	testSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion    = "us-east-1"
	testService   = "secretsmanager"
	testBody      = `{"SecretId":"prod/db/password","VersionStage":"AWSCURRENT"}`
)

// signTime is when test requests are signed; verifiers run at this time
// unless a test moves the clock.
var signTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// keys is a SecretKeys backed by a map.
type keys map[string]string

func (k keys) SecretKey(_ context.Context, id string) (string, error) {
	s, ok := k[id]
	if !ok {
		return "", sigv4.ErrUnknownAccessKey
	}
	return s, nil
}

var testKeys = keys{testAccessKey: testSecret}

func newVerifier(cfg sigv4.Config) *sigv4.Verifier {
	if cfg.Keys == nil {
		cfg.Keys = testKeys
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return signTime }
	}
	return sigv4.New(cfg)
}

// spec describes a request to sign with the SDK signer.
type spec struct {
	method  string
	url     string
	body    string
	header  http.Header
	creds   aws.Credentials
	region  string
	service string
	at      time.Time
	chunked bool // send the body without a Content-Length
}

// defaultSpec is a Secrets Manager GetSecretValue call as the SDK sends it.
func defaultSpec() spec {
	return spec{
		method: http.MethodPost,
		url:    "https://secretsmanager.us-east-1.amazonaws.com/",
		body:   testBody,
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"secretsmanager.GetSecretValue"},
		},
		creds:   aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		region:  testRegion,
		service: testService,
		at:      signTime,
	}
}

func payloadHash(body string) string {
	h := sha256.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

// sign builds the request s describes and signs it with aws-sdk-go-v2's
// SigV4 signer.
func sign(t testing.TB, s spec) *http.Request {
	t.Helper()
	var body io.Reader
	if s.body != "" {
		body = strings.NewReader(s.body)
	}
	r, err := http.NewRequestWithContext(context.Background(), s.method, s.url, body)
	if err != nil {
		t.Fatalf("NewRequest(%q) = %v", s.url, err)
	}
	if s.chunked {
		r.ContentLength = -1
	}
	for k, v := range s.header {
		r.Header[k] = append([]string(nil), v...)
	}
	err = v4.NewSigner().SignHTTP(context.Background(), s.creds, r, payloadHash(s.body), s.service, s.region, s.at)
	if err != nil {
		t.Fatalf("SignHTTP = %v", err)
	}
	return r
}

// overWire writes r as a client would send it and reads it back as net/http's
// server does, so that Host, Content-Length and RequestURI look as they will
// in production. It returns the server-side request and its body.
func overWire(t testing.TB, r *http.Request, body string) (*http.Request, []byte) {
	t.Helper()
	if body != "" {
		r.Body = io.NopCloser(strings.NewReader(body))
	}
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		t.Fatalf("Request.Write = %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("ReadRequest = %v", err)
	}
	b, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return sr, b
}

// wantError checks that err is a *sigv4.Error with the given code and
// message, status 400, and that it leaks nothing secret from r.
func wantError(t *testing.T, r *http.Request, err error, code, msg string) {
	t.Helper()
	e, ok := errors.AsType[*sigv4.Error](err)
	if !ok {
		t.Fatalf("Verify() error = %v (%T), want *sigv4.Error %s", err, err, code)
	}
	want := &sigv4.Error{Code: code, Message: msg, Status: http.StatusBadRequest}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("Verify() error mismatch (-want +got):\n%s", diff)
	}
	checkNoLeak(t, r, e)
}

// checkNoLeak fails if the error echoes the secret, the signature, a
// session token or the Authorization header.
func checkNoLeak(t *testing.T, r *http.Request, e *sigv4.Error) {
	t.Helper()
	secrets := []string{testSecret, "wrong-secret-value"}
	if r != nil {
		secrets = append(secrets, r.Header.Values("Authorization")...)
		secrets = append(secrets, r.Header.Values("X-Amz-Security-Token")...)
		secrets = append(secrets, r.URL.Query()["X-Amz-Signature"]...)
		for _, a := range r.Header.Values("Authorization") {
			if _, sig, ok := strings.Cut(a, "Signature="); ok && len(sig) >= 8 {
				secrets = append(secrets, sig)
			}
		}
	}
	for _, s := range secrets {
		if s != "" && (strings.Contains(e.Message, s) || strings.Contains(e.Error(), s)) {
			t.Errorf("error %q leaks %q", e.Error(), s)
		}
	}
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec func(*spec)
		want sigv4.Credential
	}{
		{
			name: "GetSecretValue as the SDK sends it is accepted",
			spec: func(*spec) {},
		},
		{
			name: "session token is passed through",
			spec: func(s *spec) { s.creds.SessionToken = "FQoGZXIvYXdzEXAMPLETOKEN//+==" },
			want: sigv4.Credential{SessionToken: "FQoGZXIvYXdzEXAMPLETOKEN//+=="},
		},
		{
			name: "GET with an empty body is accepted",
			spec: func(s *spec) { s.method, s.body = http.MethodGet, "" },
		},
		{
			name: "query with repeated, empty, spaced and reserved values is accepted",
			spec: func(s *spec) {
				s.url += "?b=2&a=1&a=0&empty=&sp=a%20b&plus=a%2Bb&tilde=~x&slash=a%2Fb&uni=%C3%A9&star=*"
			},
		},
		{
			name: "path segments are escaped as for non-S3 services",
			spec: func(s *spec) { s.url = "https://secretsmanager.us-east-1.amazonaws.com/a%20b/c:d/%C3%A9/e%2Ff/~x*" },
		},
		{
			name: "host with a non-default port is accepted",
			spec: func(s *spec) { s.url = "http://localhost:8443/" },
		},
		{
			name: "repeated signed header values are joined and trimmed",
			spec: func(s *spec) { s.header["X-Amz-Meta-Note"] = []string{"x", "  y   z  "} },
		},
		{
			name: "matching X-Amz-Content-Sha256 header is accepted",
			spec: func(s *spec) { s.header["X-Amz-Content-Sha256"] = []string{payloadHash(testBody)} },
		},
		{
			name: "body sent chunked without Content-Length is accepted",
			spec: func(s *spec) { s.chunked = true },
		},
		{
			name: "credential scope of another region and service is returned for the caller to check",
			spec: func(s *spec) { s.region, s.service = "eu-west-3", "ssm" },
			want: sigv4.Credential{Region: "eu-west-3", Service: "ssm"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			tt.spec(&s)
			want := sigv4.Credential{
				AccessKeyID:  testAccessKey,
				Date:         "20261123",
				Region:       stdcmp.Or(tt.want.Region, testRegion),
				Service:      stdcmp.Or(tt.want.Service, testService),
				SessionToken: tt.want.SessionToken,
				SignedAt:     signTime,
				Verified:     true,
			}
			v := newVerifier(sigv4.Config{})

			// As built in process by the client...
			r := sign(t, s)
			got, err := v.Verify(context.Background(), r, []byte(s.body))
			if err != nil {
				t.Fatalf("Verify(client request) = %v, want success", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify(client request) credential mismatch (-want +got):\n%s", diff)
			}

			// ...and as net/http's server parses it from the wire.
			sr, body := overWire(t, sign(t, s), s.body)
			got, err = v.Verify(context.Background(), sr, body)
			if err != nil {
				t.Fatalf("Verify(server request) = %v, want success", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Verify(server request) credential mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyAcceptsReencodedQuery(t *testing.T) {
	t.Parallel()
	// A proxy or another SDK may send the same parameters encoded
	// differently ('+' for space, unsorted); the canonical query is built
	// from the decoded pairs, so the signature still holds.
	s := defaultSpec()
	s.method, s.body = http.MethodGet, ""
	s.url += "?z=last&sp=a%20b&a=2&a=1"
	r := sign(t, s)
	r.URL.RawQuery = "z=last&a=2&a=1&sp=a+b"
	if _, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, nil); err != nil {
		t.Fatalf("Verify() = %v, want success", err)
	}
}

func TestVerifyIgnoresUnsignedHeaders(t *testing.T) {
	t.Parallel()
	r := sign(t, defaultSpec())
	r.Header.Set("User-Agent", "changed-after-signing")
	r.Header.Set("X-Forwarded-For", "203.0.113.7")
	if _, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody)); err != nil {
		t.Fatalf("Verify() = %v, want success", err)
	}
}

func TestVerifyRefusesTamperedRequests(t *testing.T) {
	t.Parallel()
	mismatch := "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	tests := []struct {
		name   string
		spec   func(*spec)
		tamper func(r *http.Request, body *string)
	}{
		{
			name:   "changed body is refused with InvalidSignatureException",
			tamper: func(_ *http.Request, body *string) { *body = strings.Replace(*body, "prod", "test", 1) },
		},
		{
			name:   "changed signed header value is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.Header.Set("X-Amz-Target", "secretsmanager.DeleteSecret") },
		},
		{
			name:   "changed method is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.Method = http.MethodPut },
		},
		{
			name:   "changed path is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.URL.Path = "/admin" },
		},
		{
			name:   "added query parameter is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.URL.RawQuery = "Action=DeleteSecret" },
		},
		{
			name:   "changed host is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.Host = "secretsmanager.evil.example" },
		},
		{
			name: "changed date within the same day is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				r.Header.Set("X-Amz-Date", signTime.Add(time.Second).Format("20060102T150405Z"))
			},
		},
		{
			name: "changed scope region is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/us-west-2/", 1))
			},
		},
		{
			name: "changed scope service is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/secretsmanager/", "/ssm/", 1))
			},
		},
		{
			name: "signature made with the wrong secret is refused with InvalidSignatureException",
			spec: func(s *spec) { s.creds.SecretAccessKey = "wrong-secret-value" },
		},
		{
			name: "changed signature is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				a := r.Header.Get("Authorization")
				flipped := "0"
				if strings.HasSuffix(a, "0") {
					flipped = "1"
				}
				r.Header.Set("Authorization", a[:len(a)-1]+flipped)
			},
		},
		{
			name: "truncated signature is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-2])
			},
		},
		{
			name: "signed header dropped from the list is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";x-amz-target", "", 1))
			},
		},
		{
			name:   "signed header removed from the request is refused with InvalidSignatureException",
			tamper: func(r *http.Request, _ *string) { r.Header.Del("Content-Type") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			if tt.spec != nil {
				tt.spec(&s)
			}
			r := sign(t, s)
			body := s.body
			if tt.tamper != nil {
				tt.tamper(r, &body)
			}
			_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(body))
			wantError(t, r, err, sigv4.CodeInvalidSignature, mismatch)
		})
	}
}

func TestVerifyClockSkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		now     time.Duration // offset of the verifier's clock from signTime
		maxSkew time.Duration
		wantMsg string // empty: accepted
	}{
		{name: "request 15 minutes old is accepted", now: 15 * time.Minute},
		{name: "request 15 minutes early is accepted", now: -15 * time.Minute},
		{
			name:    "request 16 minutes old is refused as expired",
			now:     16 * time.Minute,
			wantMsg: "Signature expired: 20261123T120000Z is now earlier than 20261123T120100Z (20261123T121600Z - 15 min.)",
		},
		{
			name:    "request 16 minutes early is refused as not yet current",
			now:     -16 * time.Minute,
			wantMsg: "Signature not yet current: 20261123T120000Z is still later than 20261123T115900Z (20261123T114400Z + 15 min.)",
		},
		{
			name:    "configured MaxSkew is used and named in the message",
			now:     6 * time.Minute,
			maxSkew: 5 * time.Minute,
			wantMsg: "Signature expired: 20261123T120000Z is now earlier than 20261123T120100Z (20261123T120600Z - 5 min.)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(sigv4.Config{
				Now:     func() time.Time { return signTime.Add(tt.now) },
				MaxSkew: tt.maxSkew,
			})
			r := sign(t, defaultSpec())
			_, err := v.Verify(context.Background(), r, []byte(testBody))
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify() = %v, want success", err)
				}
				return
			}
			wantError(t, r, err, sigv4.CodeInvalidSignature, tt.wantMsg)
		})
	}
}

func TestVerifyUnknownAccessKey(t *testing.T) {
	t.Parallel()
	unknown := defaultSpec()
	unknown.creds = aws.Credentials{AccessKeyID: "AKIDFAKEFORTESTS", SecretAccessKey: "fake"}

	t.Run("unknown key is refused with UnrecognizedClientException", func(t *testing.T) {
		t.Parallel()
		r := sign(t, unknown)
		_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody))
		wantError(t, r, err, sigv4.CodeUnrecognizedClient, "The security token included in the request is invalid.")
	})
	t.Run("AcceptUnknownKeys admits an unknown key without checking its signature", func(t *testing.T) {
		t.Parallel()
		r := sign(t, unknown)
		r.Header.Set("X-Amz-Target", "secretsmanager.ListSecrets") // would break the signature
		got, err := newVerifier(sigv4.Config{AcceptUnknownKeys: true}).Verify(context.Background(), r, []byte(testBody))
		if err != nil {
			t.Fatalf("Verify() = %v, want success", err)
		}
		want := sigv4.Credential{
			AccessKeyID: "AKIDFAKEFORTESTS", Date: "20261123", Region: testRegion, Service: testService,
			SignedAt: signTime, Verified: false,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Verify() credential mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("AcceptUnknownKeys still verifies known keys", func(t *testing.T) {
		t.Parallel()
		s := defaultSpec()
		s.creds.SecretAccessKey = "wrong-secret-value"
		r := sign(t, s)
		_, err := newVerifier(sigv4.Config{AcceptUnknownKeys: true}).Verify(context.Background(), r, []byte(testBody))
		if e, ok := errors.AsType[*sigv4.Error](err); !ok || e.Code != sigv4.CodeInvalidSignature {
			t.Fatalf("Verify() = %v, want %s", err, sigv4.CodeInvalidSignature)
		}
	})
	t.Run("AcceptUnknownKeys still refuses malformed and expired requests", func(t *testing.T) {
		t.Parallel()
		v := newVerifier(sigv4.Config{AcceptUnknownKeys: true, Now: func() time.Time { return signTime.Add(time.Hour) }})
		r := sign(t, unknown)
		_, err := v.Verify(context.Background(), r, []byte(testBody))
		if e, ok := errors.AsType[*sigv4.Error](err); !ok || !strings.HasPrefix(e.Message, "Signature expired") {
			t.Fatalf("Verify(expired) = %v, want Signature expired", err)
		}
		r = sign(t, unknown)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFAKEFORTESTS/20261123/us-east-1/secretsmanager/aws4_request")
		_, err = newVerifier(sigv4.Config{AcceptUnknownKeys: true}).Verify(context.Background(), r, []byte(testBody))
		if e, ok := errors.AsType[*sigv4.Error](err); !ok || e.Code != sigv4.CodeIncompleteSignature {
			t.Fatalf("Verify(malformed) = %v, want %s", err, sigv4.CodeIncompleteSignature)
		}
	})
}

// failingKeys fails every lookup as a broken database would.
type failingKeys struct{}

var errDatabaseDown = errors.New("database is down")

func (failingKeys) SecretKey(context.Context, string) (string, error) { return "", errDatabaseDown }

func TestVerifyKeyLookupFailureIsNotAnAuthError(t *testing.T) {
	t.Parallel()
	r := sign(t, defaultSpec())
	_, err := newVerifier(sigv4.Config{Keys: failingKeys{}}).Verify(context.Background(), r, []byte(testBody))
	if !errors.Is(err, errDatabaseDown) {
		t.Fatalf("Verify() = %v, want it to wrap %v", err, errDatabaseDown)
	}
	if _, ok := errors.AsType[*sigv4.Error](err); ok {
		t.Fatalf("Verify() = %v, a *sigv4.Error; want a server fault", err)
	}
}

func TestVerifyRefusesMalformedAuthorization(t *testing.T) {
	t.Parallel()
	const (
		cred  = "Credential=" + testAccessKey + "/20261123/us-east-1/secretsmanager/aws4_request"
		sh    = "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-target"
		sig   = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		alg   = "AWS4-HMAC-SHA256 "
		valid = alg + cred + ", " + sh + ", " + sig
	)
	setAuth := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", v) }
	}
	tests := []struct {
		name   string
		modify func(*http.Request)
		code   string
		msg    string
	}{
		{
			name:   "unsigned request is refused with MissingAuthenticationTokenException",
			modify: func(r *http.Request) { r.Header.Del("Authorization") },
			code:   sigv4.CodeMissingAuthenticationToken, msg: "Missing Authentication Token",
		},
		{
			name:   "empty Authorization is refused with MissingAuthenticationTokenException",
			modify: setAuth(""),
			code:   sigv4.CodeMissingAuthenticationToken, msg: "Missing Authentication Token",
		},
		{
			name:   "non-SigV4 Authorization is refused with MissingAuthenticationTokenException",
			modify: setAuth("Bearer eyJhbGciOiJIUzI1NiJ9.e30.secret"),
			code:   sigv4.CodeMissingAuthenticationToken, msg: "Missing Authentication Token",
		},
		{
			name:   "Authorization with only the algorithm names every missing parameter",
			modify: setAuth("AWS4-HMAC-SHA256"),
			code:   sigv4.CodeIncompleteSignature,
			msg: "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter.",
		},
		{
			name:   "missing Signature is refused with IncompleteSignatureException",
			modify: setAuth(alg + cred + ", " + sh),
			code:   sigv4.CodeIncompleteSignature, msg: "Authorization header requires 'Signature' parameter.",
		},
		{
			name:   "empty Credential is refused with IncompleteSignatureException",
			modify: setAuth(alg + "Credential=, " + sh + ", " + sig),
			code:   sigv4.CodeIncompleteSignature, msg: "Authorization header requires 'Credential' parameter.",
		},
		{
			name: "missing date headers are refused with IncompleteSignatureException",
			modify: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Authorization", alg+cred+", "+sig)
			},
			code: sigv4.CodeIncompleteSignature,
			msg: "Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		},
		{
			name:   "X-Amz-Date not in ISO 8601 basic format is refused with IncompleteSignatureException",
			modify: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-23T12:00:00Z") },
			code:   sigv4.CodeIncompleteSignature, msg: "Date must be in ISO-8601 'basic format'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "impossible X-Amz-Date is refused with IncompleteSignatureException",
			modify: func(r *http.Request) {
				r.Header.Set("X-Amz-Date", "20260230T120000Z")
			},
			code: sigv4.CodeIncompleteSignature, msg: "Date must be in ISO-8601 'basic format'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name: "unparsable Date header is refused with IncompleteSignatureException",
			modify: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", "yesterday")
			},
			code: sigv4.CodeIncompleteSignature, msg: "Date must be in ISO-8601 'basic format'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name:   "unsupported algorithm is refused with IncompleteSignatureException",
			modify: setAuth("AWS4-HMAC-SHA512 " + cred + ", " + sh + ", " + sig),
			code:   sigv4.CodeIncompleteSignature, msg: "Unsupported AWS 'algorithm' (only AWS4-HMAC-SHA256 for now).",
		},
		{
			name:   "credential with four elements is refused with IncompleteSignatureException",
			modify: setAuth(alg + "Credential=" + testAccessKey + "/20261123/us-east-1/aws4_request, " + sh + ", " + sig),
			code:   sigv4.CodeIncompleteSignature,
			msg:    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
		},
		{
			name:   "credential with six elements is refused with IncompleteSignatureException",
			modify: setAuth(alg + cred + "/extra, " + sh + ", " + sig),
			code:   sigv4.CodeIncompleteSignature,
			msg:    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.",
		},
		{
			name:   "parameter without an equal sign is refused with IncompleteSignatureException",
			modify: setAuth(alg + "Credential, " + sh + ", " + sig),
			code:   sigv4.CodeIncompleteSignature,
			msg:    "Authorization header contains a parameter that is not a valid key=value pair (missing equal-sign).",
		},
		{
			name:   "repeated parameter is refused with IncompleteSignatureException",
			modify: setAuth(valid + ", " + sig),
			code:   sigv4.CodeIncompleteSignature, msg: "Authorization header contains a parameter more than once.",
		},
		{
			name:   "two Authorization headers are refused with IncompleteSignatureException",
			modify: func(r *http.Request) { r.Header.Add("Authorization", valid) },
			code:   sigv4.CodeIncompleteSignature, msg: "Request contains more than one Authorization header.",
		},
		{
			name:   "wrong scope terminator is refused with InvalidSignatureException",
			modify: setAuth(strings.Replace(valid, "aws4_request", "aws5_request", 1)),
			code:   sigv4.CodeInvalidSignature, msg: "Credential should be scoped with a valid terminator: 'aws4_request'.",
		},
		{
			name:   "scope date other than X-Amz-Date's is refused with InvalidSignatureException",
			modify: setAuth(strings.Replace(valid, "/20261123/", "/20261122/", 1)),
			code:   sigv4.CodeInvalidSignature,
			msg:    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261122' != '20261123', from '20261123T120000Z'.",
		},
		{
			name:   "scope date that is not a date is not echoed",
			modify: setAuth(strings.Replace(valid, "/20261123/", "/<script>/", 1)),
			code:   sigv4.CodeInvalidSignature,
			msg:    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261123', from '20261123T120000Z'.",
		},
		{
			name:   "host missing from SignedHeaders is refused with InvalidSignatureException",
			modify: setAuth(alg + cred + ", SignedHeaders=content-type;x-amz-date, " + sig),
			code:   sigv4.CodeInvalidSignature, msg: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:   "empty SignedHeaders is refused with InvalidSignatureException",
			modify: setAuth(alg + cred + ", SignedHeaders=, " + sig),
			code:   sigv4.CodeInvalidSignature, msg: "'Host' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:   "unsigned session token is refused with InvalidSignatureException",
			modify: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN") },
			code:   sigv4.CodeInvalidSignature, msg: "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:   "Authorization header together with presigned query is refused with InvalidSignatureException",
			modify: func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			code:   sigv4.CodeInvalidSignature,
			msg:    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := sign(t, defaultSpec())
			tt.modify(r)
			_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody))
			wantError(t, r, err, tt.code, tt.msg)
		})
	}
}

func TestVerifyDateHeader(t *testing.T) {
	t.Parallel()
	// The SDK always sends X-Amz-Date, so a Date-only request cannot be
	// signed by it; check that an HTTP Date is parsed, dated and scoped.
	r := sign(t, defaultSpec())
	r.Header.Del("X-Amz-Date")
	r.Header.Set("Date", signTime.Add(20*time.Minute).Format(http.TimeFormat))
	_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody))
	wantError(t, r, err, sigv4.CodeInvalidSignature,
		"Signature not yet current: 20261123T122000Z is still later than 20261123T121500Z (20261123T120000Z + 15 min.)")

	r.Header.Set("Date", signTime.Format(http.TimeFormat))
	_, err = newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody))
	// Parsed and in scope; only the signature (which covered x-amz-date)
	// fails.
	if e, ok := errors.AsType[*sigv4.Error](err); !ok || !strings.HasPrefix(e.Message, "The request signature we calculated") {
		t.Fatalf("Verify(Date header) = %v, want signature mismatch", err)
	}
}

func TestVerifyPayloadHashHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, value string }{
		{"hash of another body is refused with InvalidSignatureException", payloadHash(`{"SecretId":"other"}`)},
		{"UNSIGNED-PAYLOAD is refused with InvalidSignatureException", "UNSIGNED-PAYLOAD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := defaultSpec()
			s.header["X-Amz-Content-Sha256"] = []string{tc.value}
			r := sign(t, s) // the header is signed; the body does not match it
			_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody))
			wantError(t, r, err, sigv4.CodeInvalidSignature,
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		})
	}
}

func TestVerifyDoesNotModifyRequest(t *testing.T) {
	t.Parallel()
	s := defaultSpec()
	s.url += "?b=2&a=1"
	r := sign(t, s)
	before := r.Clone(context.Background())
	if _, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, []byte(testBody)); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	opts := cmpopts.IgnoreUnexported(http.Request{}, url.URL{})
	if diff := cmp.Diff(before.Header, r.Header); diff != "" {
		t.Errorf("Verify changed the header (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.URL, r.URL, opts); diff != "" {
		t.Errorf("Verify changed the URL (-before +after):\n%s", diff)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  sigv4.Config
	}{
		{"nil Keys panics", sigv4.Config{}},
		{"negative MaxSkew panics", sigv4.Config{Keys: testKeys, MaxSkew: -time.Second}},
		{"negative KeyCacheSize panics", sigv4.Config{Keys: testKeys, KeyCacheSize: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", tc.cfg)
				}
			}()
			sigv4.New(tc.cfg)
		})
	}
}
