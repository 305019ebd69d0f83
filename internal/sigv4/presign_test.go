package sigv4_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/sigv4"
)

// presign returns a request for a URL presigned by the SDK signer, carrying
// the headers the signer says must accompany it.
func presign(t *testing.T, rawURL string, creds aws.Credentials) *http.Request {
	t.Helper()
	r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("NewRequest(%q) = %v", rawURL, err)
	}
	signed, headers, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, payloadHash(""), testService, testRegion, signTime)
	if err != nil {
		t.Fatalf("PresignHTTP = %v", err)
	}
	pr, err := http.NewRequestWithContext(context.Background(), http.MethodGet, signed, nil)
	if err != nil {
		t.Fatalf("NewRequest(presigned) = %v", err)
	}
	for k, v := range headers {
		if k != "Host" {
			pr.Header[k] = v
		}
	}
	return pr
}

const presignBase = "https://secretsmanager.us-east-1.amazonaws.com/?Action=ListSecrets&MaxResults=5"

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: "FQoGZXIvYXdzEXAMPLETOKEN"}

	t.Run("presigned URL is accepted and its session token passed through", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase+"&X-Amz-Expires=300", creds)
		v := newVerifier(sigv4.Config{Now: func() time.Time { return signTime.Add(4 * time.Minute) }})
		got, err := v.Verify(context.Background(), r, nil)
		if err != nil {
			t.Fatalf("Verify() = %v, want success", err)
		}
		want := sigv4.Credential{
			AccessKeyID: testAccessKey, Date: "20261123", Region: testRegion, Service: testService,
			SessionToken: creds.SessionToken, SignedAt: signTime, Verified: true,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Verify() credential mismatch (-want +got):\n%s", diff)
		}
		sr, body := overWire(t, presign(t, presignBase+"&X-Amz-Expires=300", creds), "")
		if _, err := v.Verify(context.Background(), sr, body); err != nil {
			t.Fatalf("Verify(server request) = %v, want success", err)
		}
	})
	t.Run("presigned URL past X-Amz-Expires is refused", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase+"&X-Amz-Expires=300", creds)
		v := newVerifier(sigv4.Config{Now: func() time.Time { return signTime.Add(301 * time.Second) }})
		_, err := v.Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeInvalidSignature, "Request has expired")
	})
	t.Run("presigned URL without X-Amz-Expires is held to MaxSkew", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase, creds)
		v := newVerifier(sigv4.Config{Now: func() time.Time { return signTime.Add(16 * time.Minute) }})
		_, err := v.Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeInvalidSignature,
			"Signature expired: 20261123T120000Z is now earlier than 20261123T120100Z (20261123T121600Z - 15 min.)")
	})
	t.Run("tampered presigned query is refused with InvalidSignatureException", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase, creds)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "MaxResults=5", "MaxResults=100", 1)
		_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeInvalidSignature,
			"The request signature we calculated does not match the signature you provided. "+
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	})
	t.Run("presigned URL without its signature names the missing parameter", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase, creds)
		q := r.URL.Query()
		q.Del("X-Amz-Signature")
		q.Del("X-Amz-Date")
		r.URL.RawQuery = q.Encode()
		_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeIncompleteSignature,
			"AWS query-string parameters must include 'X-Amz-Signature'. "+
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")
	})
	t.Run("X-Amz-Expires over a week is refused with IncompleteSignatureException", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase+"&X-Amz-Expires=604801", creds)
		_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeIncompleteSignature, "X-Amz-Expires must be a number of seconds from 1 to 604800.")
	})
	t.Run("escaped X-Amz-Algorithm name still marks the request presigned", func(t *testing.T) {
		t.Parallel()
		r := presign(t, presignBase, creds)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Algorithm", url.QueryEscape("X-Amz-Algorith")+"%6D", 1)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		_, err := newVerifier(sigv4.Config{}).Verify(context.Background(), r, nil)
		wantError(t, r, err, sigv4.CodeInvalidSignature,
			"Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
	})
}
