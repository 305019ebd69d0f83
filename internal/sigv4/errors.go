package sigv4

import (
	"fmt"
	"net/http"
	"time"
)

// Error is a SigV4 authentication failure, shaped as AWS JSON services send
// it. The server writes it as {"__type":Code,"Message":Message} with Status.
// Message never contains a signature, secret, token or header value.
type Error struct {
	Code    string // AWS error type, one of the Code* constants
	Message string // AWS wording, safe to show the client and to log
	Status  int    // HTTP status
}

func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// AWS error types for authentication failures. AWS JSON services (DynamoDB,
// Secrets Manager, EventBridge) answer all of them with HTTP 400.
const (
	// CodeMissingAuthenticationToken: the request carries no SigV4
	// Authorization header and no presigned query parameters.
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	// CodeIncompleteSignature: the Authorization header or the presigned
	// query parameters are malformed or incomplete.
	CodeIncompleteSignature = "IncompleteSignatureException"
	// CodeInvalidSignature: the signature, its scope or its date is wrong.
	CodeInvalidSignature = "InvalidSignatureException"
	// CodeUnrecognizedClient: the access key id is unknown.
	CodeUnrecognizedClient = "UnrecognizedClientException"
)

// The wire table: every message Verify can send. The wording is AWS's as
// recorded from DynamoDB by architect/dynalite (index.js) and seen from
// Secrets Manager in SDK issues (aws-sdk-cpp#2466, botocore#3587); the
// presigned-URL texts follow S3. Where AWS echoes part of the request (the
// Authorization header, the algorithm, the credential), Coffer leaves it
// out. Messages marked Coffer have no AWS counterpart.
const (
	msgMissingToken      = "Missing Authentication Token"
	msgUnrecognized      = "The security token included in the request is invalid."
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

	msgRequiresCredential    = "Authorization header requires 'Credential' parameter."
	msgRequiresSignedHeaders = "Authorization header requires 'SignedHeaders' parameter."
	msgRequiresSignature     = "Authorization header requires 'Signature' parameter."
	msgRequiresDate          = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
	msgNotKeyValue           = "Authorization header contains a parameter that is not a valid key=value pair (missing equal-sign)."
	msgDuplicateParam        = "Authorization header contains a parameter more than once." // Coffer
	msgManyAuthorization     = "Request contains more than one Authorization header."      // Coffer
	msgBadDate               = "Date must be in ISO-8601 'basic format'. See http://en.wikipedia.org/wiki/ISO_8601"
	msgUnsupportedAlgorithm  = "Unsupported AWS 'algorithm' (only AWS4-HMAC-SHA256 for now)."
	msgCredentialParts       = "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term."

	msgHostNotSigned  = "'Host' must be a 'SignedHeader' in the AWS Authorization."
	msgTokenNotSigned = "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization." // Coffer
	msgBadTerminator  = "Credential should be scoped with a valid terminator: 'aws4_request'."
	msgBothForms      = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgPayloadHash    = "The provided 'x-amz-content-sha256' header does not match what was computed." // S3's text

	msgQueryRequires = "AWS query-string parameters must include '%s'. "
	msgQueryReexam   = "Re-examine the query-string parameters."
	msgBadExpires    = "X-Amz-Expires must be a number of seconds from 1 to 604800." // Coffer
	msgPresignExpiry = "Request has expired"
)

// Each failure gets its own *Error, so that a caller changing one cannot
// change what other requests see.

func missingToken() *Error {
	return &Error{CodeMissingAuthenticationToken, msgMissingToken, http.StatusBadRequest}
}

func unrecognized() *Error {
	return &Error{CodeUnrecognizedClient, msgUnrecognized, http.StatusBadRequest}
}

func incomplete(msg string) *Error {
	return &Error{CodeIncompleteSignature, msg, http.StatusBadRequest}
}

func invalid(msg string) *Error {
	return &Error{CodeInvalidSignature, msg, http.StatusBadRequest}
}

const amzDateLayout = "20060102T150405Z"

// errExpired and errNotYetCurrent word clock skew exactly as AWS does, e.g.
// "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z
// (20140325T145251Z - 15 min.)".
func errExpired(signedAt, now time.Time, skew time.Duration) *Error {
	return invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
		signedAt.UTC().Format(amzDateLayout), now.Add(-skew).UTC().Format(amzDateLayout),
		now.UTC().Format(amzDateLayout), skewText(skew)))
}

func errNotYetCurrent(signedAt, now time.Time, skew time.Duration) *Error {
	return invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
		signedAt.UTC().Format(amzDateLayout), now.Add(skew).UTC().Format(amzDateLayout),
		now.UTC().Format(amzDateLayout), skewText(skew)))
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d sec", d/time.Second)
}

// scopeDateMessage is AWS's "Date in Credential scope does not match ..."
// message. The scope date, which comes from the request, is echoed only if
// it is eight digits.
func scopeDateMessage(scopeDate string, signedAt time.Time) string {
	want := signedAt.UTC().Format("20060102")
	from := signedAt.UTC().Format(amzDateLayout)
	if len(scopeDate) == 8 && allDigits(scopeDate) {
		return fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			scopeDate, want, from)
	}
	return fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s', from '%s'.",
		want, from)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
