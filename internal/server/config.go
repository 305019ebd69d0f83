package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/sts"
)

// Config is a server's configuration, resolved by cmd/coffer from flags,
// COFFER_* environment variables and the config file.
type Config struct {
	DataDir       string        // default "./coffer-data"
	Listen        string        // host:port; default "127.0.0.1:7700"
	Region        string        // default region for printed hints; requests carry their own
	AccountID     string        // 12 digits; default "000000000000", fixed at first start
	TLSCert       string        // PEM certificate file
	TLSKey        string        // PEM key file
	TLSSelfSigned bool          // generate (once) and use a self-signed certificate in DataDir
	PurgeInterval time.Duration // how often due deletions are purged; default 1m
	MaxBodyBytes  int64         // default 1 MiB (a 64 KiB secret base64-encoded fits)

	// Dev makes an ephemeral server (`coffer dev`): nothing persists, the
	// database skips fsync, and any well-formed SigV4 credentials are
	// accepted as the admin. Never for production.
	Dev bool

	// OIDCProviders are the issuers whose tokens AssumeRoleWithWebIdentity
	// accepts.
	OIDCProviders []sts.OIDCProvider

	// RotationFunctions are the rotation functions RotateSecret can name;
	// Builtins resolves built-in rotators (nil: none).
	RotationFunctions []RotationFunction
	Builtins          BuiltinRotators
	// RotationStepTimeout bounds each step of a rotation; default 5m.
	RotationStepTimeout time.Duration
	// VersionRetention is how long versions without staging labels are
	// kept before they are purged; default 30 days, negative keeps them.
	VersionRetention time.Duration
	// Clock is the time the secrets domain and the scheduler use; nil
	// means time.Now. Tests inject one.
	Clock func() time.Time

	// Alerts configures the alert rules and webhook; the zero value is
	// every rule on with its defaults, alerts to the log only.
	Alerts alert.Config

	Logger *slog.Logger // nil discards
	// Audit configures the audit trail (default: a file log in the data dir).
	Audit AuditConfig
}

// Defaults.
const (
	DefaultDataDir   = "./coffer-data"
	DefaultListen    = "127.0.0.1:7700"
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	// DefaultVersionRetention is the seeds' example: deprecated versions
	// are purged after 30 days.
	DefaultVersionRetention = 30 * 24 * time.Hour
)

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.PurgeInterval == 0 {
		c.PurgeInterval = time.Minute
	}
	if c.RotationStepTimeout == 0 {
		c.RotationStepTimeout = 5 * time.Minute
	}
	if c.VersionRetention == 0 {
		c.VersionRetention = DefaultVersionRetention
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (c *Config) validate() error {
	if c.AccountID != "" && !isAccountID(c.AccountID) {
		return fmt.Errorf("account-id %q: must be exactly 12 digits", c.AccountID)
	}
	if c.RotationStepTimeout < 0 {
		return errors.New("rotation-step-timeout must not be negative")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls-cert and tls-key must be given together")
	}
	if c.TLSCert != "" && c.TLSSelfSigned {
		return errors.New("tls-self-signed cannot be combined with tls-cert/tls-key")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	if !c.tls() && !IsLoopback(c.Listen) {
		return fmt.Errorf("listen %q: refusing plain HTTP on a non-loopback address; secrets would cross the network in the clear. Use --tls-cert/--tls-key or --tls-self-signed, or listen on 127.0.0.1", c.Listen)
	}
	if !validRegion(c.Region) {
		return fmt.Errorf("region %q: want a region name such as us-east-1", c.Region)
	}
	if c.PurgeInterval < 0 {
		return errors.New("purge-interval must be positive")
	}
	return nil
}

func (c *Config) tls() bool { return c.TLSCert != "" || c.TLSSelfSigned }

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// IsLoopback reports whether every address host:port binds is loopback.
// An empty host binds every interface, so it is not.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
