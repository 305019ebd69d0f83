package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// SecretKeys looks up the secret access key for an access key id. Package
// iam implements it.
type SecretKeys interface {
	// SecretKey returns the secret access key of accessKeyID, or an error
	// wrapping ErrUnknownAccessKey if there is no such key. Any other error
	// is treated as a server fault.
	SecretKey(ctx context.Context, accessKeyID string) (string, error)
}

// ErrUnknownAccessKey is what SecretKeys returns (possibly wrapped) for an
// access key id it does not know. Verify turns it into
// UnrecognizedClientException.
var ErrUnknownAccessKey = errors.New("unknown access key")

// Config configures a Verifier. The zero value of each option is ready to
// use; Keys is required.
type Config struct {
	// Keys supplies secret access keys. Required.
	Keys SecretKeys

	// Now returns the current time. nil means time.Now.
	Now func() time.Time

	// MaxSkew is how far a request's date may be from Now, either way.
	// 0 means 15 minutes.
	MaxSkew time.Duration

	// AcceptUnknownKeys is for `coffer dev` only and is unsafe anywhere
	// else: a well-formed request signed with an access key that Keys does
	// not know is accepted WITHOUT checking its signature, so that test
	// suites with hard-coded fake keys work. Requests signed with known
	// keys are still verified, and malformed or badly dated requests are
	// still refused.
	AcceptUnknownKeys bool

	// KeyCacheSize bounds the number of derived signing keys kept.
	// 0 means 1024.
	KeyCacheSize int
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	keys          SecretKeys
	now           func() time.Time
	maxSkew       time.Duration
	acceptUnknown bool
	cache         *keyCache
}

// New returns a Verifier for cfg. It panics if cfg.Keys is nil or a
// duration or size is negative: those are wiring mistakes.
func New(cfg Config) *Verifier {
	if cfg.Keys == nil {
		panic("sigv4: Config.Keys is nil")
	}
	if cfg.MaxSkew < 0 {
		panic(fmt.Sprintf("sigv4: Config.MaxSkew is negative (%v)", cfg.MaxSkew))
	}
	if cfg.KeyCacheSize < 0 {
		panic(fmt.Sprintf("sigv4: Config.KeyCacheSize is negative (%d)", cfg.KeyCacheSize))
	}
	v := &Verifier{
		keys:          cfg.Keys,
		now:           cfg.Now,
		maxSkew:       cfg.MaxSkew,
		acceptUnknown: cfg.AcceptUnknownKeys,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxSkew == 0 {
		v.maxSkew = 15 * time.Minute
	}
	size := cfg.KeyCacheSize
	if size == 0 {
		size = 1024
	}
	v.cache = newKeyCache(size)
	return v
}

// Credential says who signed a request and for what scope. Its strings
// point into the request.
type Credential struct {
	AccessKeyID string
	Date        string // credential scope date, yyyymmdd
	Region      string // credential scope region; the caller checks it
	Service     string // credential scope service; the caller checks it

	// SessionToken is the X-Amz-Security-Token header or query parameter,
	// passed through unchecked for STS to verify.
	SessionToken string

	// SignedAt is the request's X-Amz-Date (or Date), in UTC.
	SignedAt time.Time

	// Verified is true when the signature was checked against the secret
	// key. It is false only when Config.AcceptUnknownKeys admitted an
	// access key that SecretKeys does not know.
	Verified bool
}

// Verify checks the SigV4 signature of r, whose body has already been read
// into body. It returns an *Error for requests that fail authentication and
// a plain error (wrapping the cause) when SecretKeys fails for another
// reason than ErrUnknownAccessKey. It does not modify r.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Credential, error) {
	authz := r.Header["Authorization"]
	query := hasQueryAuth(r.URL.RawQuery)
	var (
		a        authorization
		signedAt time.Time
		amzDate  string
		token    string
		expires  time.Duration
	)
	switch {
	case len(authz) > 0 && query:
		return Credential{}, invalid(msgBothForms)
	case query:
		p, err := parsePresigned(r.URL.RawQuery)
		if err != nil {
			return Credential{}, err
		}
		var ok bool
		if signedAt, ok = parseAmzDate(p.amzDate); !ok {
			return Credential{}, incomplete(msgBadDate)
		}
		a, amzDate, token, expires = p.authorization, p.amzDate, p.sessionToken, p.expires
	case len(authz) == 0 || authz[0] == "":
		return Credential{}, missingToken()
	case len(authz) > 1:
		return Credential{}, incomplete(msgManyAuthorization)
	default:
		var dateErr *Error
		var haveDate bool
		signedAt, amzDate, haveDate, dateErr = requestDate(r.Header)
		var err *Error
		if a, err = parseAuthorization(authz[0], haveDate); err != nil {
			return Credential{}, err
		}
		if dateErr != nil {
			return Credential{}, dateErr
		}
		if t := r.Header["X-Amz-Security-Token"]; len(t) > 0 {
			token = t[0]
			if !hasSignedHeader(a.signedHeaders, "x-amz-security-token") {
				return Credential{}, invalid(msgTokenNotSigned)
			}
		}
	}

	// The checks below run in the order DynamoDB runs them, so the first
	// problem reported is the one AWS would report.
	now := v.now()
	if signedAt.After(now.Add(v.maxSkew)) {
		return Credential{}, errNotYetCurrent(signedAt, now, v.maxSkew)
	}
	if expires > 0 {
		if now.After(signedAt.Add(expires)) {
			return Credential{}, invalid(msgPresignExpiry)
		}
	} else if signedAt.Before(now.Add(-v.maxSkew)) {
		return Credential{}, errExpired(signedAt, now, v.maxSkew)
	}
	if !hasSignedHeader(a.signedHeaders, "host") {
		return Credential{}, invalid(msgHostNotSigned)
	}
	if a.algorithm != algorithm {
		return Credential{}, incomplete(msgUnsupportedAlgorithm)
	}
	s, err := parseCredential(a.credential)
	if err != nil {
		return Credential{}, err
	}
	if err := checkScope(s, signedAt); err != nil {
		return Credential{}, err
	}

	bodyHash := sha256.Sum256(body)
	var payloadHash [2 * sha256.Size]byte
	hex.Encode(payloadHash[:], bodyHash[:])
	if h := r.Header["X-Amz-Content-Sha256"]; len(h) > 0 && (len(h) > 1 || h[0] != string(payloadHash[:])) {
		return Credential{}, invalid(msgPayloadHash)
	}

	cred := Credential{
		AccessKeyID:  s.accessKeyID,
		Date:         s.date,
		Region:       s.region,
		Service:      s.service,
		SessionToken: token,
		SignedAt:     signedAt,
	}
	secret, kerr := v.keys.SecretKey(ctx, s.accessKeyID)
	switch {
	case errors.Is(kerr, ErrUnknownAccessKey) && v.acceptUnknown:
		return cred, nil
	case errors.Is(kerr, ErrUnknownAccessKey):
		return Credential{}, unrecognized()
	case kerr != nil:
		return Credential{}, fmt.Errorf("sigv4: look up secret key: %w", kerr)
	}

	key := v.cache.signingKey(cacheKey{s.accessKeyID, secret, s.date, s.region, s.service})
	if !v.signatureMatches(r, &a, amzDate, s.str, payloadHash[:], &key, query) {
		return Credential{}, invalid(msgSignatureMismatch)
	}
	cred.Verified = true
	return cred, nil
}

// checkScope checks the terminator and the date of the credential scope,
// reporting both problems at once as AWS does.
func checkScope(s scope, signedAt time.Time) *Error {
	badTerm := s.terminator != terminator
	var want [8]byte
	badDate := s.date != string(signedAt.AppendFormat(want[:0], "20060102"))
	switch {
	case badTerm && badDate:
		return invalid(msgBadTerminator + " " + scopeDateMessage(s.date, signedAt))
	case badTerm:
		return invalid(msgBadTerminator)
	case badDate:
		return invalid(scopeDateMessage(s.date, signedAt))
	}
	return nil
}

// scratch holds the buffers for one verification.
type scratch struct {
	canonical []byte
	toSign    []byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{canonical: make([]byte, 0, 1024), toSign: make([]byte, 0, 256)}
}}

// signatureMatches recomputes the signature of r and compares it with the
// one the client sent, in constant time.
func (v *Verifier) signatureMatches(r *http.Request, a *authorization, amzDate, scope string, payloadHash []byte, key *[sha256.Size]byte, presigned bool) bool {
	var got [sha256.Size]byte
	if !decodeHex(got[:], a.signature) {
		return false
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)

	sc.canonical = appendCanonicalRequest(sc.canonical[:0], r, a.signedHeaders, presigned, payloadHash)
	canonicalHash := sha256.Sum256(sc.canonical)

	// String to sign, after room for the HMAC inner pad.
	b := append(sc.toSign[:0], make([]byte, sha256.BlockSize)...)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, canonicalHash[:])
	sc.toSign = b

	want := hmacSHA256(key, b)
	return hmac.Equal(got[:], want[:])
}

// decodeHex decodes the hex string s into dst, which it must fill exactly.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
