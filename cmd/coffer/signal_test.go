package main_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// gatedClient is an HTTP client whose request body stops after the first
// part until release is closed: the request is then in flight, its headers
// already on the wire, for as long as the test wants.
type gatedClient struct {
	http    *http.Client
	part    int           // bytes sent before the gate
	sent    chan struct{} // closed once part bytes have been read
	release chan struct{} // closing it lets the rest of the body go
}

func (g *gatedClient) Do(req *http.Request) (*http.Response, error) {
	req.Body = &gatedBody{r: req.Body, g: g}
	return g.http.Do(req)
}

type gatedBody struct {
	r    io.ReadCloser
	g    *gatedClient
	n    int
	once sync.Once
}

func (b *gatedBody) Read(p []byte) (int, error) {
	if b.n >= b.g.part {
		b.once.Do(func() { close(b.g.sent) })
		<-b.g.release
	} else if len(p) > b.g.part-b.n {
		p = p[:b.g.part-b.n]
	}
	n, err := b.r.Read(p)
	b.n += n
	return n, err
}

func (b *gatedBody) Close() error { return b.r.Close() }

// waitRefused dials addr until the connection is refused, which shows the
// server has closed its listener and begun to shut down.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(exitTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s still accepts connections %v after SIGTERM", addr, exitTimeout)
		}
	}
}

// TestSIGTERMDrainsRequestsInFlightThenExitsZero holds one PutSecretValue
// half-sent across the SIGTERM, with other writers running, and checks
// that the server stops accepting, still answers the held request, commits
// it, and exits 0; no request gets a server error.
func TestSIGTERMDrainsRequestsInFlightThenExitsZero(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	srv := startServer(t, dir)
	akid, secret := adminCreds(t, dir+"/credentials")
	c := srv.client(t)
	ctx := testContext(t)
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("drain"), SecretString: aws.String("first")}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}

	// Background writers, so the signal lands among ordinary traffic.
	var mu sync.Mutex
	acked := map[string]string{} // version id → value
	var serverErrs []error
	busy := make(chan struct{})
	var busyOnce sync.Once
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				token, value := newToken(), fmt.Sprintf("bg %d %d", i, n)
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("drain"), ClientRequestToken: aws.String(token), SecretString: aws.String(value)})
				if err != nil {
					// Refused or cut connections are fine once the server
					// stops; an error response to a valid put is not.
					if re, ok := errors.AsType[*smithyhttp.ResponseError](err); ok && re.HTTPStatusCode() != 0 {
						mu.Lock()
						serverErrs = append(serverErrs, fmt.Errorf("HTTP %d: %w", re.HTTPStatusCode(), err))
						mu.Unlock()
					}
					return
				}
				mu.Lock()
				acked[token] = value
				if len(acked) >= 20 {
					busyOnce.Do(func() { close(busy) })
				}
				mu.Unlock()
			}
		})
	}

	gate := &gatedClient{http: &http.Client{Timeout: 30 * time.Second}, part: 32 << 10, sent: make(chan struct{}), release: make(chan struct{})}
	held := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.url), HTTPClient: gate, RetryMaxAttempts: 1,
		Credentials: newClient(srv.url, akid, secret, nil).Options().Credentials,
	})
	heldValue := strings.Repeat("x", 40<<10) + rand.Text()
	heldToken := newToken()
	heldDone := make(chan error, 1)
	go func() {
		_, err := held.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("drain"), ClientRequestToken: aws.String(heldToken), SecretString: aws.String(heldValue)})
		heldDone <- err
	}()
	for _, ch := range []chan struct{}{gate.sent, busy} {
		select {
		case <-ch:
		case err := <-heldDone:
			t.Fatalf("the held request finished before its gate opened: %v", err)
		case <-time.After(startTimeout):
			t.Fatal("the writers did not get going")
		}
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	waitRefused(t, u.Host)
	select {
	case <-srv.exited:
		t.Fatalf("coffer exited (%v) with a request in flight\nstderr:\n%s", srv.err, srv.stderr)
	default:
	}
	close(gate.release)
	select {
	case err := <-heldDone:
		if err != nil {
			t.Fatalf("the request in flight at SIGTERM failed: %v", err)
		}
	case <-time.After(exitTimeout):
		t.Fatal("the request in flight at SIGTERM got no answer")
	}
	if code := srv.wait(t); code != 0 {
		t.Fatalf("coffer exited %d after SIGTERM, want 0\nstderr:\n%s", code, srv.stderr)
	}
	wg.Wait()
	for _, err := range serverErrs {
		t.Errorf("a writer got a server error during shutdown: %v", err)
	}

	srv = startServer(t, dir)
	c = srv.client(t)
	acked[heldToken] = heldValue
	for token, value := range acked {
		got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("drain"), VersionId: aws.String(token)})
		if err != nil || aws.ToString(got.SecretString) != value {
			t.Fatalf("after restart, version %s = %v, %v; want the acknowledged value", token, got, err)
		}
	}
	srv.stop(t)
}

func TestSignalOnAnIdleServerWithKeepAliveConnectionsExitsZero(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGTERM exits 0", syscall.SIGTERM}, {"SIGINT exits 0", syscall.SIGINT}} {
		sig := tc.sig
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startServer(t, newDataDir(t))
			// An idle keep-alive connection must not hold the shutdown up.
			if _, err := srv.client(t).ListSecrets(testContext(t), &secretsmanager.ListSecretsInput{}); err != nil {
				t.Fatalf("ListSecrets: %v", err)
			}
			if err := srv.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := srv.wait(t); code != 0 {
				t.Fatalf("coffer exited %d after %v, want 0\nstderr:\n%s", code, sig, srv.stderr)
			}
			if !strings.Contains(srv.stderr.String(), "coffer server stopped") {
				t.Errorf("coffer did not log its clean stop:\n%s", srv.stderr)
			}
		})
	}
}
