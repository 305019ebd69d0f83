package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Change is a secret written on a Coffer server: a new version, moved
// stages, new metadata, a deletion or a purge. It carries no value.
type Change struct {
	Seq    uint64
	Region string
	ARN    string
	Name   string
}

// watchPath is the server's change feed (Coffer's own endpoint: AWS has
// none, so this works only against Coffer).
const watchPath = "/coffer/v1/watch"

// Watcher follows a Coffer server's change feed with SigV4-signed long
// polls, using the same endpoint, region and credentials as the SDK
// clients built from the aws.Config. It needs secretsmanager:ListSecrets.
type Watcher struct {
	endpoint string
	region   string
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	http     *http.Client
	seq      uint64
	started  bool
	// Wait is how long one poll waits for a change (the server caps it at 25s).
	Wait time.Duration
}

// NewWatcher returns a Watcher for the server cfg points at: cfg.BaseEndpoint,
// else AWS_ENDPOINT_URL_SECRETS_MANAGER, else AWS_ENDPOINT_URL.
func NewWatcher(cfg aws.Config) (*Watcher, error) {
	endpoint := aws.ToString(cfg.BaseEndpoint)
	for _, env := range []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"} {
		if endpoint == "" {
			endpoint = os.Getenv(env)
		}
	}
	if endpoint == "" {
		return nil, errors.New("client: no Coffer endpoint to watch (set BaseEndpoint or AWS_ENDPOINT_URL)")
	}
	if cfg.Credentials == nil {
		return nil, errors.New("client: no credentials to sign the watch with")
	}
	hc := http.DefaultClient
	if c, ok := cfg.HTTPClient.(*http.Client); ok {
		hc = &http.Client{Transport: c.Transport}
	}
	return &Watcher{
		endpoint: strings.TrimSuffix(endpoint, "/"), region: cfg.Region, creds: cfg.Credentials,
		signer: v4.NewSigner(), http: hc, Wait: 20 * time.Second,
	}, nil
}

var emptyPayload = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

// Next waits for the next changes. The first call only learns where the
// feed stands and returns none. reset means changes were missed (the
// server restarted or the watcher fell far behind): treat every cached
// secret as changed.
func (w *Watcher) Next(ctx context.Context) (changes []Change, reset bool, err error) {
	wait := w.Wait
	if !w.started {
		wait = 0
	}
	q := url.Values{"since": {strconv.FormatUint(w.seq, 10)}, "wait": {wait.String()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.endpoint+watchPath+"?"+q.Encode(), nil)
	if err != nil {
		return nil, false, err
	}
	creds, err := w.creds.Retrieve(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("client: credentials for the watch: %w", err)
	}
	if err := w.signer.SignHTTP(ctx, creds, req, emptyPayload, "secretsmanager", w.region, time.Now()); err != nil {
		return nil, false, err
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"Message"`
		}
		json.Unmarshal(body, &e)
		return nil, false, fmt.Errorf("client: watch: %s: %s: %s", resp.Status, e.Type, e.Message)
	}
	var out struct {
		Seq     uint64
		Reset   bool
		Changes []Change
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, false, fmt.Errorf("client: watch: decode: %w", err)
	}
	first := !w.started
	w.started, w.seq = true, out.Seq
	if first {
		return nil, false, nil
	}
	return out.Changes, out.Reset, nil
}

// follow invalidates cached secrets as the server reports changes, until
// the cache closes. Errors back off from one second to a minute.
func (c *Cache) follow(w *Watcher) {
	defer c.wg.Done()
	backoff := time.Second
	for c.ctx.Err() == nil {
		changes, reset, err := w.Next(c.ctx)
		if err != nil {
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		c.mu.Lock()
		if reset {
			c.dropLocked(func(k key) bool { return k.kind == kindSecret })
		}
		for _, ch := range changes {
			partial := ch.ARN
			if n := len(ch.ARN) - 7; n > 0 && ch.ARN[n] == '-' {
				partial = ch.ARN[:n]
			}
			c.dropLocked(func(k key) bool {
				return k.kind == kindSecret && (k.id == ch.Name || k.id == ch.ARN || k.id == partial)
			})
		}
		c.mu.Unlock()
	}
}
