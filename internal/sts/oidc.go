package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// OIDCProvider is an OpenID Connect issuer whose tokens
// AssumeRoleWithWebIdentity accepts.
type OIDCProvider struct {
	Issuer    string   // exactly the token's iss claim, e.g. https://token.actions.githubusercontent.com
	JWKSURL   string   // where its signing keys are published (or JWKSFile)
	JWKSFile  string   // a local JWKS document
	Audiences []string // accepted aud values (client ids); at least one
}

// Name is the provider's name in ARNs and condition keys: the issuer URL
// without its scheme, as AWS names OIDC providers.
func (p OIDCProvider) Name() string {
	n := strings.TrimPrefix(strings.TrimPrefix(p.Issuer, "https://"), "http://")
	return strings.TrimSuffix(n, "/")
}

// ParseOIDCProvider parses "issuer=URL,jwks-url=URL|jwks-file=PATH,audience=A[,audience=B]".
func ParseOIDCProvider(s string) (OIDCProvider, error) {
	var p OIDCProvider
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return p, fmt.Errorf("oidc provider %q: %q is not key=value", s, part)
		}
		switch k {
		case "issuer":
			p.Issuer = v
		case "jwks-url":
			p.JWKSURL = v
		case "jwks-file":
			p.JWKSFile = v
		case "audience":
			p.Audiences = append(p.Audiences, v)
		default:
			return p, fmt.Errorf("oidc provider %q: unknown key %q (want issuer, jwks-url, jwks-file, audience)", s, k)
		}
	}
	switch {
	case p.Issuer == "":
		return p, fmt.Errorf("oidc provider %q: issuer is required", s)
	case (p.JWKSURL == "") == (p.JWKSFile == ""):
		return p, fmt.Errorf("oidc provider %q: give exactly one of jwks-url and jwks-file", s)
	case len(p.Audiences) == 0:
		return p, fmt.Errorf("oidc provider %q: at least one audience is required", s)
	}
	return p, nil
}

// WebIdentity is a verified OIDC token.
type WebIdentity struct {
	Provider OIDCProvider
	Subject  string
	Audience string // the accepted audience
	Claims   map[string]any
	Expiry   time.Time
}

// Errors of token verification, answered as STS does.
var (
	errUnknownIssuer = errors.New("unknown issuer")
	errTokenExpired  = errors.New("token expired")
	errBadAudience   = errors.New("incorrect token audience")
	errBadToken      = errors.New("token could not be verified")
	errNoKeys        = errors.New("could not retrieve verification keys")
)

type provider struct {
	cfg OIDCProvider

	mu      sync.Mutex
	keys    *jose.JSONWebKeySet
	fetched time.Time
}

// verifier checks web identity tokens against the configured providers.
type verifier struct {
	providers map[string]*provider // by issuer
	client    *http.Client
	now       func() time.Time
}

func newVerifier(ps []OIDCProvider, now func() time.Time) *verifier {
	v := &verifier{providers: map[string]*provider{}, client: &http.Client{Timeout: 10 * time.Second}, now: now}
	for _, p := range ps {
		v.providers[p.Issuer] = &provider{cfg: p}
	}
	return v
}

var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// Verify checks a token's signature, issuer, audience and expiry.
func (v *verifier) Verify(ctx context.Context, token string) (*WebIdentity, error) {
	tok, err := jwt.ParseSigned(token, algorithms)
	if err != nil {
		return nil, errBadToken
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, errBadToken
	}
	p := v.providers[unverified.Issuer]
	if p == nil {
		return nil, fmt.Errorf("%w: %s", errUnknownIssuer, unverified.Issuer)
	}
	var std jwt.Claims
	var all map[string]any
	keys, err := p.keySet(ctx, v, false)
	if err != nil {
		return nil, err
	}
	if err := tok.Claims(keys, &std, &all); err != nil {
		// The issuer may have rotated its keys: refetch once.
		if keys, err = p.keySet(ctx, v, true); err != nil {
			return nil, err
		}
		if err := tok.Claims(keys, &std, &all); err != nil {
			return nil, errBadToken
		}
	}
	now := v.now()
	if std.Expiry == nil {
		return nil, errBadToken
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: p.cfg.Issuer, Time: now}, 0); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return nil, fmt.Errorf("%w: current date/time %s must be before the expiration date/time %s", errTokenExpired,
				now.UTC().Format(time.RFC3339), std.Expiry.Time().UTC().Format(time.RFC3339))
		}
		return nil, errBadToken
	}
	aud := ""
	for _, a := range std.Audience {
		if slices.Contains(p.cfg.Audiences, a) {
			aud = a
			break
		}
	}
	if aud == "" {
		return nil, errBadAudience
	}
	return &WebIdentity{Provider: p.cfg, Subject: std.Subject, Audience: aud, Claims: all, Expiry: std.Expiry.Time()}, nil
}

// keySet returns the provider's keys, fetching them when absent or when
// refresh is set (at most once a minute).
func (p *provider) keySet(ctx context.Context, v *verifier, refresh bool) (*jose.JSONWebKeySet, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys != nil && (!refresh || v.now().Sub(p.fetched) < time.Minute) {
		return p.keys, nil
	}
	raw, err := p.fetch(ctx, v.client)
	if err != nil {
		if p.keys != nil {
			return p.keys, nil
		}
		return nil, fmt.Errorf("%w: %v", errNoKeys, err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) == 0 {
		return nil, fmt.Errorf("%w: not a JWKS document", errNoKeys)
	}
	p.keys, p.fetched = &set, v.now()
	return p.keys, nil
}

func (p *provider) fetch(ctx context.Context, client *http.Client) ([]byte, error) {
	if p.cfg.JWKSFile != "" {
		return os.ReadFile(p.cfg.JWKSFile)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.JWKSURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", p.cfg.JWKSURL, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}
