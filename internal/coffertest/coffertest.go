// Package coffertest starts real Coffer servers for tests: the same
// server main builds, on 127.0.0.1:0 with a temp data dir, plus a ready
// aws-sdk-go-v2 client. Only tests and bench/ import it.
package coffertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/server"
	"github.com/coffer-dev/coffer/internal/sts"
)

// Options tunes NewServer; the zero value is ready to use.
type Options struct {
	DataDir string // default t.TempDir()
	Dev     bool
	Logger  *slog.Logger
	// OIDCProviders are trusted for AssumeRoleWithWebIdentity.
	OIDCProviders []sts.OIDCProvider
	// Configure, if set, adjusts the server's configuration last
	// (rotation functions, an injected clock, ...).
	Configure func(*server.Config)
}

// Server is a running test server.
type Server struct {
	*server.Server
	URL       string
	AccessKey string
	SecretKey string
	Region    string
	DataDir   string
	// Client is a Secrets Manager client signed with the admin key, in Region.
	Client *secretsmanager.Client

	stop func(testing.TB)
}

// Stop shuts the server down now (rather than at the end of the test) and
// fails the test if the shutdown fails.
func (s *Server) Stop(t testing.TB) { s.stop(t) }

// NewServer starts a server and stops it when the test ends; a failed
// shutdown fails the test.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "coffer-data") // created 0700 by the server
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := server.Config{
		DataDir: dir, Listen: "127.0.0.1:0", Dev: opts.Dev, Logger: opts.Logger,
		OIDCProviders: opts.OIDCProviders,
	}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("server.New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var (
		once    sync.Once
		stopErr error
	)
	stop := func(t testing.TB) {
		t.Helper()
		once.Do(func() { cancel(); stopErr = <-done })
		if stopErr != nil {
			t.Errorf("server shutdown: %v", stopErr)
		}
	}
	t.Cleanup(func() { stop(t) })
	s := &Server{
		stop:   stop,
		Server: srv, URL: srv.URL(), Region: "us-east-1", DataDir: dir,
		AccessKey: srv.AdminKey().ID, SecretKey: srv.AdminKey().Secret.Reveal(),
	}
	s.Client = s.ClientIn(s.Region)
	return s
}

// ClientIn returns an admin Secrets Manager client for region.
func (s *Server) ClientIn(region string) *secretsmanager.Client {
	return s.ClientWith(region, s.AccessKey, s.SecretKey)
}

// ClientWith returns a Secrets Manager client with the given credentials.
func (s *Server) ClientWith(region, akid, secret string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:           region,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, ""),
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
		RetryMaxAttempts: 1,
	})
}

// Config returns an aws.Config for the admin, for other SDK clients.
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		HTTPClient:   HTTPClient(),
	}
}

// HTTPClient is the SDK HTTP client tests should use: a plain client whose
// request bodies hide WriteTo from net/http.
//
// smithy-go closes the request body as soon as Do returns, which can be
// before the transport's write loop makes its final read; through WriteTo
// that read of a closed body is an error, the transport closes the
// connection under the response, and the SDK fails with "deserialization
// failed ... use of closed network connection" (aws/aws-sdk-go-v2#2737,
// where the SDK's answer is to retry; our clients do not retry, so a test
// sees every error the server sends). Seen under -race about one run in five.
func HTTPClient() interface {
	Do(*http.Request) (*http.Response, error)
} {
	return plainBodyClient{&http.Client{Timeout: 30 * time.Second}}
}

type plainBodyClient struct{ *http.Client }

func (c plainBodyClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = struct{ io.ReadCloser }{req.Body}
	}
	return c.Client.Do(req)
}
