package sts_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/coffer-dev/coffer/internal/coffertest"
	cofsts "github.com/coffer-dev/coffer/internal/sts"
)

const (
	issuer   = "https://issuer.test/ci"
	audience = "sts.amazonaws.com"
	subject  = "repo:acme/app:ref:refs/heads/main"
)

// testIssuer is an OIDC issuer whose JWKS is a file.
type testIssuer struct {
	key  *rsa.PrivateKey
	jwks string
}

func newIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	raw, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return &testIssuer{key: key, jwks: path}
}

// token signs claims with key (the issuer's own unless another is given).
func token(t *testing.T, key *rsa.PrivateKey, iss, aud, sub string, exp time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: iss, Subject: sub, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(time.Now().Add(-time.Minute)), Expiry: jwt.NewNumericDate(exp),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func webIdentityServer(t *testing.T) (*coffertest.Server, *testIssuer, string) {
	t.Helper()
	iss := newIssuer(t)
	srv := coffertest.NewServer(t, coffertest.Options{OIDCProviders: []cofsts.OIDCProvider{{Issuer: issuer, JWKSFile: iss.jwks, Audiences: []string{audience}}}})
	secret := mustSecret(t, srv.Client, "ci/deploy-key")
	provider := "arn:aws:iam::" + srv.Account() + ":oidc-provider/issuer.test/ci"
	role := mustRole(t, srv, "ci-deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"`+provider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"issuer.test/ci:aud":"`+audience+`","issuer.test/ci:sub":"`+subject+`"}}}]}`,
		map[string]string{"read": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + secret + `"}]}`})
	return srv, iss, role.ARN
}

func TestWebIdentityTokenBuysShortLivedCredentials(t *testing.T) {
	srv, iss, roleARN := webIdentityServer(t)
	ctx := context.Background()
	anon := srv.Config("us-east-1")
	anon.Credentials = aws.AnonymousCredentials{}
	out, err := sts.NewFromConfig(anon).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci-run-7"),
		WebIdentityToken: aws.String(token(t, iss.key, issuer, audience, subject, time.Now().Add(5*time.Minute))),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != subject || aws.ToString(out.Audience) != audience {
		t.Fatalf("subject %q audience %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.Audience))
	}
	v, err := sm.NewFromConfig(sessionConfig(srv, out.Credentials)).GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("ci/deploy-key")})
	if err != nil || aws.ToString(v.SecretString) != "ci/deploy-key-value" {
		t.Fatalf("reading with web identity credentials = %v, %v", v, err)
	}
}

func TestBadWebIdentityTokensAreRefused(t *testing.T) {
	srv, iss, roleARN := webIdentityServer(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(5 * time.Minute)
	cases := []struct {
		name  string
		token string
		code  string
	}{
		{"a token for another audience is an InvalidIdentityToken", token(t, iss.key, issuer, "someone-else", subject, soon), "InvalidIdentityToken"},
		{"an expired token is an ExpiredTokenException", token(t, iss.key, issuer, audience, subject, time.Now().Add(-time.Minute)), "ExpiredTokenException"},
		{"a token signed by another key is an InvalidIdentityToken", token(t, other, issuer, audience, subject, soon), "InvalidIdentityToken"},
		{"a token from an unknown issuer is an InvalidIdentityToken", token(t, iss.key, "https://evil.test", audience, subject, soon), "InvalidIdentityToken"},
		{"a token whose subject the trust policy does not name is AccessDenied", token(t, iss.key, issuer, audience, "repo:acme/other:ref:refs/heads/main", soon), "AccessDenied"},
		{"garbage is an InvalidIdentityToken", "not.a.jwt", "InvalidIdentityToken"},
	}
	anon := srv.Config("us-east-1")
	anon.Credentials = aws.AnonymousCredentials{}
	client := sts.NewFromConfig(anon)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci-run"), WebIdentityToken: aws.String(tc.token),
			})
			if err == nil || code(t, err) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
}

// The standard SDK path: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE + an
// STS endpoint, and nothing Coffer-specific. aws-sdk-go-v2 builds the web
// identity provider's STS client before it applies the global
// AWS_ENDPOINT_URL, so the STS endpoint must be given as
// AWS_ENDPOINT_URL_STS (checked in config v1.33.15).
func TestSDKWebIdentityEnvironmentWorks(t *testing.T) {
	srv, iss, roleARN := webIdentityServer(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token(t, iss.key, issuer, audience, subject, time.Now().Add(10*time.Minute))), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ROLE_ARN": roleARN, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "sdk-env",
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ENDPOINT_URL_STS": srv.URL, "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := sm.NewFromConfig(cfg).GetSecretValue(context.Background(), &sm.GetSecretValueInput{SecretId: aws.String("ci/deploy-key")})
	if err != nil || aws.ToString(v.SecretString) != "ci/deploy-key-value" {
		t.Fatalf("GetSecretValue through the SDK's web identity chain = %v, %v", v, err)
	}
}
