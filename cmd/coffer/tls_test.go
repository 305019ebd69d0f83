package main_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// trustCert returns a TLS client config that trusts only the PEM
// certificate in path.
func trustCert(t *testing.T, path string) *tls.Config {
	t.Helper()
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read certificate: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	return &tls.Config{RootCAs: pool}
}

// roundTrip creates a secret through c and reads it back.
func roundTrip(t *testing.T, c *secretsmanager.Client) {
	t.Helper()
	ctx := testContext(t)
	name, value := "tls-"+rand.Text(), rand.Text()
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil || aws.ToString(out.SecretString) != value {
		t.Fatalf("GetSecretValue = %v, %v; want %q", out, err, value)
	}
}

// loopbackURL is the server's URL with its host replaced by 127.0.0.1, for
// servers that listen on every interface.
func loopbackURL(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = net.JoinHostPort("127.0.0.1", u.Port())
	return u.String()
}

func TestPlainHTTPOffLoopbackIsRefused(t *testing.T) {
	t.Parallel()
	for _, listen := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		t.Run(listen, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			_, stderr, code := runCoffer(t, baseEnv(t), "server", "--data-dir", dir, "--listen", listen)
			if code == 0 || !strings.Contains(stderr, "refusing plain HTTP") || !strings.Contains(stderr, "--tls-self-signed") {
				t.Fatalf("coffer server --listen %s exited %d with %q, want non-zero, refusing plain HTTP and naming the TLS flags", listen, code, stderr)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the refused start touched the data dir: stat = %v", err)
			}
		})
	}
}

func TestSelfSignedTLSServesHTTPSAndRefusesTLS11(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	srv := startServer(t, dir, "--tls-self-signed")
	if !strings.HasPrefix(srv.url, "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https://127.0.0.1:PORT", srv.url)
	}
	certPath := filepath.Join(dir, "tls.crt")
	trusted := trustCert(t, certPath)
	akid, secret := adminCreds(t, filepath.Join(dir, "credentials"))
	roundTrip(t, newClient(srv.url, akid, secret, trusted))

	host := strings.TrimPrefix(srv.url, "https://")
	for _, tc := range []struct {
		name    string
		max     uint16
		refused bool
	}{
		{"a TLS 1.1 client is refused", tls.VersionTLS11, true},
		{"a TLS 1.2 client is served", tls.VersionTLS12, false},
		{"a TLS 1.3 client is served", tls.VersionTLS13, false},
	} {
		cfg := trusted.Clone()
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tc.max
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", host, cfg)
		if err == nil {
			if v := conn.ConnectionState().Version; v != tc.max {
				t.Errorf("%s: negotiated %s, want %s", tc.name, tls.VersionName(v), tls.VersionName(tc.max))
			}
			conn.Close()
		}
		if (err != nil) != tc.refused {
			t.Errorf("%s: handshake error = %v", tc.name, err)
		}
	}

	// A client that does not trust the certificate is not fooled.
	if _, err := newClient(srv.url, akid, secret, &tls.Config{RootCAs: x509.NewCertPool()}).ListSecrets(testContext(t), &secretsmanager.ListSecretsInput{}); err == nil {
		t.Error("a client trusting no roots talked to the self-signed server")
	}

	// The certificate is made once: a restart serves the same one.
	before, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	srv.stop(t)
	srv = startServer(t, dir, "--tls-self-signed")
	if after, err := os.ReadFile(certPath); err != nil || !bytes.Equal(before, after) {
		t.Fatalf("tls.crt changed across a restart (%v)", err)
	}
	roundTrip(t, newClient(srv.url, akid, secret, trusted))
	srv.stop(t)
}

// writeCert makes a self-signed certificate for 127.0.0.1 and writes it and
// its key as PEM files.
func writeCert(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "coffer test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func TestGivenCertificateAndKeyServeHTTPS(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	certPath, keyPath := writeCert(t)
	srv := startServer(t, dir, "--tls-cert", certPath, "--tls-key", keyPath)
	if !strings.HasPrefix(srv.url, "https://") {
		t.Fatalf("URL = %s, want https", srv.url)
	}
	akid, secret := adminCreds(t, filepath.Join(dir, "credentials"))
	roundTrip(t, newClient(srv.url, akid, secret, trustCert(t, certPath)))
	if _, err := os.Stat(filepath.Join(dir, "tls.crt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("with --tls-cert the server still made a self-signed tls.crt (stat = %v)", err)
	}
	srv.stop(t)
}

func TestTLSFlagMisuseIsRefused(t *testing.T) {
	t.Parallel()
	certPath, keyPath := writeCert(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"a certificate without a key is refused", []string{"--tls-cert", certPath}, "tls-cert and tls-key"},
		{"a key without a certificate is refused", []string{"--tls-key", keyPath}, "tls-cert and tls-key"},
		{"a given certificate and self-signed together are refused", []string{"--tls-cert", certPath, "--tls-key", keyPath, "--tls-self-signed"}, "tls-self-signed"},
		{"a key that does not match the certificate is refused", []string{"--tls-cert", certPath, "--tls-key", certPath}, "TLS certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"server", "--data-dir", newDataDir(t), "--listen", "127.0.0.1:0"}, tc.args...)
			_, stderr, code := runCoffer(t, baseEnv(t), args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("coffer %q exited %d with %q, want non-zero mentioning %q", args, code, stderr, tc.want)
			}
		})
	}
}

func TestEveryInterfaceWithSelfSignedTLSIsAccepted(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	srv := startServer(t, dir, "--listen", "0.0.0.0:0", "--tls-self-signed")
	if !strings.HasPrefix(srv.url, "https://") {
		t.Fatalf("URL = %s, want https", srv.url)
	}
	akid, secret := adminCreds(t, filepath.Join(dir, "credentials"))
	roundTrip(t, newClient(loopbackURL(t, srv.url), akid, secret, trustCert(t, filepath.Join(dir, "tls.crt"))))
	srv.stop(t)
}
