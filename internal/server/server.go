package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/cloudtrail"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/iamapi"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/params"
	"github.com/coffer-dev/coffer/internal/rotation"
	"github.com/coffer-dev/coffer/internal/secrets"
	"github.com/coffer-dev/coffer/internal/secretsmanager"
	"github.com/coffer-dev/coffer/internal/sigv4"
	"github.com/coffer-dev/coffer/internal/ssm"
	"github.com/coffer-dev/coffer/internal/storage"
	"github.com/coffer-dev/coffer/internal/storage/bolt"
	"github.com/coffer-dev/coffer/internal/sts"
)

// Files in the data dir.
const (
	rootKeyFile     = "root.key"
	databaseFile    = "coffer.db"
	credentialsFile = "credentials"
	accountKey      = "meta/account"
)

// Server is a running Coffer: listener, stores and API.
type Server struct {
	cfg       Config
	log       *slog.Logger
	ln        net.Listener
	http      *http.Server
	backend   storage.Backend
	secrets   *secrets.Service
	scheduler *rotation.Scheduler
	metrics   *metrics
	alerts    *alert.Engine
	trail     *audit.Trail
	auditKeys *audit.Keys
	auditDir  string
	// auditFailing is set while audit events cannot be recorded (readyz).
	auditFailing atomic.Bool
	breakGlass   breakGlassSet
	iam          *iam.Store
	verifier     *sigv4.Verifier
	muxes        map[string]*awsproto.Mux      // JSON 1.1, by target prefix
	queryMuxes   map[string]*awsproto.QueryMux // query protocol, by signing name
	admin        iam.AccessKey
	created      bool
	account      string
	tmpDir       string // dev mode: removed on close

	closeOnce sync.Once
	closeErr  error

	// stopping is cancelled when shutdown begins, ending long polls
	// (watches) so that draining does not wait for them.
	stopping     context.Context
	stopWatchers context.CancelFunc
	watches      atomic.Int64 // long polls open now
}

// OpenWatches is the number of change-feed long polls open now.
func (s *Server) OpenWatches() int64 { return s.watches.Load() }

// New opens (or initialises) the data dir, opens the stores and binds the
// listener, so Addr is known before Run. On error nothing is left open.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	s.metrics = newMetrics(s)
	if s.alerts, err = alert.New(cfg.Alerts, alert.Options{Logger: s.log.With("component", "alert"), BreakGlass: s.isBreakGlass, Now: cfg.Clock}); err != nil {
		return nil, err
	}
	s.stopping, s.stopWatchers = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.Dev {
		dir, err := os.MkdirTemp("", "coffer-dev-")
		if err != nil {
			return nil, fmt.Errorf("create dev data dir: %w", err)
		}
		s.tmpDir, s.cfg.DataDir = dir, dir
	}
	root, err := s.openDataDir()
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(s.cfg.DataDir, databaseFile), bolt.Options{NoSync: cfg.Dev})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s.backend = db
	if err := s.openAudit(ctx, root); err != nil {
		return nil, err
	}
	s.warmAlerts(ctx)
	if s.account, err = s.resolveAccount(ctx); err != nil {
		return nil, err
	}
	kr, err := keys.NewKeyring(ctx, keys.Config{Root: root, Backend: s.backend, Account: s.account})
	if err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	s.iam = iam.NewStore(iam.StoreConfig{Backend: s.backend, Keys: kr, Account: s.account})
	if s.admin, s.created, err = s.iam.Bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	}
	if !cfg.Dev && s.admin.ID != "" {
		if err := s.writeCredentials(); err != nil {
			return nil, err
		}
	}
	registry, err := s.newRegistry()
	if err != nil {
		return nil, err
	}
	var kick func()
	s.secrets, err = secrets.New(secrets.Config{
		Backend: s.backend, Keys: kr, Account: s.account, Logger: s.log, Authorizer: s.iam, Now: cfg.Clock,
		CheckRotationFunction: registry.Check, RotationDue: func() { kick() }, Purged: s.auditPurge,
	})
	if err != nil {
		return nil, err
	}
	s.scheduler = rotation.New(rotation.Config{
		Secrets: s.secrets, Functions: registry, Invocation: s.rotationInvocation, Now: cfg.Clock,
		Interval: cfg.PurgeInterval, StepTimeout: cfg.RotationStepTimeout, Retention: max(0, cfg.VersionRetention),
		Housekeeping: []func(context.Context){s.purgeSessions}, Logger: s.log.With("component", "rotation"),
		Observe: func(region, arn string, failure *secrets.RotationFailure) {
			s.metrics.observeRotation(region, arn, failure)
			s.auditRotationOutcome(region, arn, failure)
		},
		Record: s.auditRotationStep,
	})
	kick = s.scheduler.Kick
	s.verifier = sigv4.New(sigv4.Config{Keys: secretKeys{s.iam}, AcceptUnknownKeys: cfg.Dev})
	ssmParams, err := params.New(params.Config{Backend: s.backend, Keys: kr, Account: s.account, Authorizer: s.iam, Secrets: s.secrets, Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.muxes = map[string]*awsproto.Mux{
		"secretsmanager": secretsmanager.NewMux(s.secrets, s.log),
		"AmazonSSM":      ssm.NewMux(ssmParams, s.log),
	}
	if s.auditDir != "" {
		for _, m := range cloudtrail.NewMuxes(s.auditDir, s.iam, s.log) {
			s.muxes[m.Prefix()] = m
		}
	}
	s.queryMuxes = map[string]*awsproto.QueryMux{
		"iam": iamapi.NewMux(s.iam, s.log),
		"sts": sts.NewMux(sts.Config{Store: s.iam, Providers: cfg.OIDCProviders, Logger: s.log}),
	}
	if err := s.listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// resolveAccount fixes the account id at first start: ARNs embed it, so a
// later start with a different --account-id is refused.
func (s *Server) resolveAccount(ctx context.Context) (string, error) {
	stored, _, err := s.backend.Get(ctx, accountKey)
	switch {
	case err == nil:
		if s.cfg.AccountID != "" && s.cfg.AccountID != string(stored) {
			return "", fmt.Errorf("account-id %s: this data dir belongs to account %s (ARNs embed it)", s.cfg.AccountID, stored)
		}
		return string(stored), nil
	case errors.Is(err, storage.ErrNotFound):
		acct := s.cfg.AccountID
		if acct == "" {
			acct = DefaultAccountID
		}
		err := s.backend.Txn(ctx, storage.Txn{Conds: []storage.Cond{{Key: accountKey}}, Ops: []storage.Op{{Key: accountKey, Value: []byte(acct)}}})
		if err != nil {
			return "", fmt.Errorf("store account id: %w", err)
		}
		return acct, nil
	default:
		return "", fmt.Errorf("read account id: %w", err)
	}
}

func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.cfg.tls() {
		cert, err := s.certificate()
		if err != nil {
			ln.Close()
			return err
		}
		s.http.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, s.http.TLSConfig)
	}
	s.ln = ln
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the endpoint clients use.
func (s *Server) URL() string {
	scheme := "http"
	if s.cfg.tls() {
		scheme = "https"
	}
	return scheme + "://" + s.ln.Addr().String()
}

// AdminKey is the bootstrap admin's access key.
func (s *Server) AdminKey() iam.AccessKey { return s.admin }

// Account is the account id in every ARN.
func (s *Server) Account() string { return s.account }

// CredentialsPath is the shared-credentials file holding the admin key.
func (s *Server) CredentialsPath() string { return filepath.Join(s.cfg.DataDir, credentialsFile) }

// Initialized reports whether this start created the data dir's keys.
func (s *Server) Initialized() bool { return s.created }

// IAM exposes the identity store (for in-process tools and tests).
func (s *Server) IAM() *iam.Store { return s.iam }

// Secrets exposes the domain service (for in-process tools and tests).
func (s *Server) Secrets() *secrets.Service { return s.secrets }

// Run serves until ctx is cancelled, then drains in-flight requests and
// closes the stores. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	loopCtx, stopLoops := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.scheduler.Run(loopCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.alerts.Run(loopCtx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	s.log.Info("coffer server listening", "url", s.URL(), "data_dir", s.cfg.DataDir, "account", s.account)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	stopLoops()
	s.stopWatchers()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if serr := s.http.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = fmt.Errorf("shutdown: %w", serr)
	}
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if cerr := s.Close(); cerr != nil && err == nil {
		err = cerr
	}
	s.log.Info("coffer server stopped")
	return err
}

// purgeSessions removes expired temporary credentials; the scheduler runs
// it with its other sweeps.
func (s *Server) purgeSessions(ctx context.Context) {
	if n, err := s.iam.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("purge expired sessions", "err", err)
	} else if n > 0 {
		s.log.Info("purged expired temporary credentials", "count", n)
	}
}

// Scheduler exposes the rotation scheduler (for tests with an injected
// clock, which call RunOnce).
func (s *Server) Scheduler() *rotation.Scheduler { return s.scheduler }

// Close releases the listener and stores without draining; Run calls it
// after a graceful shutdown.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.ln != nil {
			s.ln.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.closeAudit(ctx); err != nil {
			s.closeErr = fmt.Errorf("close audit log: %w", err)
		}
		if s.backend != nil {
			if err := s.backend.Close(); err != nil && s.closeErr == nil {
				s.closeErr = err
			}
		}
		if s.tmpDir != "" {
			os.RemoveAll(s.tmpDir)
		}
	})
	return s.closeErr
}

// secretKeys adapts the iam store to sigv4's lookup, translating its
// unknown-key error into the one sigv4 answers UnrecognizedClient for.
type secretKeys struct{ store *iam.Store }

func (k secretKeys) SecretKey(ctx context.Context, accessKeyID string) (string, error) {
	secret, err := k.store.SecretKey(ctx, accessKeyID)
	if errors.Is(err, iam.ErrUnknownAccessKey) {
		return "", sigv4.ErrUnknownAccessKey
	}
	return secret, err
}
