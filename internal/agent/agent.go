package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/coffer-dev/coffer/client"
)

// SecretsAPI is the part of the Secrets Manager API the agent calls: the
// cache's, plus ListSecrets for warming by tag. A *secretsmanager.Client
// satisfies it.
type SecretsAPI interface {
	client.SecretsAPI
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

// Watcher reports secrets and parameters that changed on the server, so
// the agent drops them from its cache at once instead of serving the old
// value until its TTL ends. Watch calls changed with the name or ARN of
// each changed item until ctx ends, and returns ctx's error then (or
// another error if it cannot watch).
//
// TODO(#5): implement Watcher against `coffer server`'s watch endpoint and
// pass it in Options.Watcher from cmd/coffer, so a rotation reaches the
// agent within a second with a TTL of 300s.
type Watcher interface {
	Watch(ctx context.Context, changed func(id string)) error
}

// Options supplies the agent's dependencies; the zero value is ready to
// use.
type Options struct {
	// Logger receives the agent's logs. Default: discard.
	Logger *slog.Logger
	// Secrets and Parameters call the services. Default: clients built
	// from the aws.Config given to New. Tests wrap them to count calls or
	// hold them.
	Secrets    SecretsAPI
	Parameters client.ParametersAPI
	// Watcher, if set, invalidates changed items as the server reports
	// them.
	Watcher Watcher
	// Sealer, if set, keeps every cached response sealed in memory
	// (client.NewMemorySealer: an mlock'd per-process key), so a core dump
	// or a read of the agent's memory does not show values in the clear.
	Sealer client.Sealer
	// Clock returns the current time, for tests. Default time.Now.
	Clock func() time.Time
}

// Agent is the local HTTP cache. It is an http.Handler.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	sm      SecretsAPI
	secrets *client.Cache
	params  *client.Cache
	watcher Watcher
	sem     chan struct{} // one slot per request served at once
	metrics *metrics
}

// New returns an agent calling the services through awsCfg (the SDK's
// default chain, in cmd/coffer), unless opts supplies clients. It refuses
// an invalid cfg with an error naming the field.
func New(awsCfg aws.Config, cfg Config, opts Options) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Region != "" {
		awsCfg.Region = cfg.Region
	}
	if cfg.UpstreamMaxConns > 0 {
		n := cfg.UpstreamMaxConns
		awsCfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxConnsPerHost = n
		})
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sm := opts.Secrets
	if sm == nil {
		sm = secretsmanager.NewFromConfig(awsCfg)
	}
	params := opts.Parameters
	if params == nil {
		params = ssm.NewFromConfig(awsCfg)
	}
	a := &Agent{
		cfg: cfg, log: log, sm: sm, watcher: opts.Watcher,
		sem: make(chan struct{}, cfg.MaxConn),
	}
	secretTTL, paramTTL := cfg.SecretTTL, cfg.ParameterTTL
	if cfg.CacheSize == 0 {
		secretTTL, paramTTL = 0, 0
	}
	var err error
	a.secrets, err = client.New(awsCfg, func(o *client.Options) {
		o.Secrets = bodySecrets{sm}
		o.Parameters = params
		o.Sealer = opts.Sealer
		o.TTL = secretTTL
		o.Clock = opts.Clock
		o.MaxItems = cfg.CacheSize
		if secretTTL > 0 {
			o.StaleIfError = cfg.StaleIfError
		}
	})
	if err != nil {
		return nil, err
	}
	a.params, err = client.New(awsCfg, func(o *client.Options) {
		o.Secrets = sm
		o.Parameters = bodyParameters{params}
		o.Sealer = opts.Sealer
		o.TTL = paramTTL
		o.Clock = opts.Clock
		o.MaxItems = cfg.CacheSize
		if paramTTL > 0 {
			o.StaleIfError = cfg.StaleIfError
		}
	})
	if err != nil {
		a.secrets.Close()
		return nil, err
	}
	a.metrics = newMetrics(a)
	return a, nil
}

// Close stops the caches' fetches.
func (a *Agent) Close() error {
	return errors.Join(a.secrets.Close(), a.params.Close())
}

// Invalidate drops every cached item for the secret or parameter id.
func (a *Agent) Invalidate(id string) {
	a.secrets.Invalidate(id)
	a.params.Invalidate(id)
}

// Serve serves HTTP on ln until ctx ends, then shuts down, waiting up to
// five seconds for requests in flight. It runs the Watcher meanwhile.
func (a *Agent) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if a.watcher != nil {
		wg.Go(func() {
			if err := a.watcher.Watch(ctx, a.Invalidate); err != nil && ctx.Err() == nil {
				a.log.Error("watch for changes", "err", err)
			}
		})
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		shutCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(shutCtx)
		stop()
		<-served
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Tag is a secret tag to warm the cache from.
type Tag struct{ Key, Value string }

// Warm fetches the secrets ids, and every secret tagged with one of tags,
// into the cache. It returns the errors of the fetches that failed, joined;
// the others stay cached.
func (a *Agent) Warm(ctx context.Context, ids []string, tags []Tag) error {
	ids = slices.Clone(ids)
	var errs []error
	for _, tag := range tags {
		names, err := a.taggedSecrets(ctx, tag)
		if err != nil {
			errs = append(errs, err)
		}
		ids = append(ids, names...)
	}
	for _, id := range ids {
		if _, err := a.secrets.GetSecretVersion(ctx, id, client.Version{}); err != nil {
			errs = append(errs, fmt.Errorf("warm %w", err))
		}
	}
	return errors.Join(errs...)
}

// taggedSecrets lists the names of the secrets with tag. ListSecrets'
// tag filters match key and value prefixes, separately; the exact pair is
// checked here.
func (a *Agent) taggedSecrets(ctx context.Context, tag Tag) ([]string, error) {
	in := &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{
		{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{tag.Key}},
		{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{tag.Value}},
	}}
	var names []string
	for {
		out, err := a.sm.ListSecrets(ctx, in)
		if err != nil {
			return names, fmt.Errorf("list secrets tagged %s: %w", tag.Key, err)
		}
		for _, s := range out.SecretList {
			if slices.ContainsFunc(s.Tags, func(t smtypes.Tag) bool {
				return aws.ToString(t.Key) == tag.Key && aws.ToString(t.Value) == tag.Value
			}) {
				names = append(names, aws.ToString(s.Name))
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return names, nil
		}
		in.NextToken = out.NextToken
	}
}
