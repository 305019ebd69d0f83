package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/coffer-dev/coffer/internal/atomicfile"
	"github.com/coffer-dev/coffer/internal/keys"
)

// openDataDir creates the data dir (0700) on first start, refuses one that
// others can read, and loads or creates the root key (0600).
func (s *Server) openDataDir() (*keys.RootKey, error) {
	dir := s.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("stat data dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("data dir %s is not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("data dir %s has mode %04o: it holds the root key, so it must not be accessible to group or others (chmod 700 %s)", dir, fi.Mode().Perm(), dir)
	}
	if s.cfg.Dev {
		return keys.NewRootKey()
	}
	root, _, err := keys.LoadOrCreateRootKey(filepath.Join(dir, rootKeyFile))
	if err != nil {
		return nil, fmt.Errorf("root key: %w", err)
	}
	return root, nil
}

// writeCredentials writes the admin key as an AWS shared-credentials file
// (profile default, 0600) unless one is already there.
func (s *Server) writeCredentials() error {
	path := s.CredentialsPath()
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	body := "# Coffer bootstrap admin for account " + s.account + ". Keep this file private.\n" +
		"[default]\n" +
		"aws_access_key_id = " + s.admin.ID + "\n" +
		"aws_secret_access_key = " + s.admin.Secret.Reveal() + "\n"
	if err := atomicfile.WriteFile(path, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write credentials file: %w", err)
	}
	return nil
}

// certificate loads the configured certificate, or the self-signed one in
// the data dir (created on first use).
func (s *Server) certificate() (tls.Certificate, error) {
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("load TLS certificate: %w", err)
		}
		return cert, nil
	}
	certPath := filepath.Join(s.cfg.DataDir, "tls.crt")
	keyPath := filepath.Join(s.cfg.DataDir, "tls.key")
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && stillGood(cert, s.cfg.Listen) {
		return cert, nil
	}
	certPEM, keyPEM, err := selfSigned(s.cfg.Listen)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := atomicfile.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("write TLS key: %w", err)
	}
	if err := atomicfile.WriteFile(certPath, certPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("write TLS certificate: %w", err)
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// stillGood reports whether a self-signed certificate is valid for at
// least another week and covers the listen address; otherwise it is made
// anew.
func stillGood(cert tls.Certificate, listen string) bool {
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return false
		}
	}
	if time.Until(leaf.NotAfter) < 7*24*time.Hour {
		return false
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return true
	}
	return leaf.VerifyHostname(host) == nil
}

func selfSigned(listen string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "coffer"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if h, err := os.Hostname(); err == nil {
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" {
		if ip := net.ParseIP(host); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, host)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create self-signed certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
