package agent

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Config configures an Agent. LoadConfig fills it from a TOML file and the
// extension's environment variables; the zero value of a field is not its
// default, so start from DefaultConfig.
type Config struct {
	// Listen is the loopback address and port to serve on. Default
	// 127.0.0.1:2773 (the extension's and the agent's port). New refuses
	// an address that is not loopback.
	Listen netip.AddrPort

	// LogLevel is debug, info, warn, error or none. Default info.
	LogLevel string

	// SecretTTL and ParameterTTL are how long a value is served from
	// memory. Default 300s each; 0 disables caching.
	SecretTTL    time.Duration
	ParameterTTL time.Duration

	// CacheSize bounds the number of cached items of each kind. Default
	// 1000; 0 disables caching, as the extension's
	// PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE=0 does.
	CacheSize int

	// StaleIfError, the agent's ignore_transient_errors, serves an
	// expired value for this long when the service cannot be reached.
	// Default 1h; 0 turns it off.
	StaleIfError time.Duration

	// Token is what a request's token header must hold. Required.
	Token Token

	// TokenHeaders are the request headers checked, in order, for Token.
	// Default X-Aws-Parameters-Secrets-Token and X-Vault-Token.
	TokenHeaders []string

	// PathPrefix is the prefix of the agent's path-style requests,
	// /v1/<secretId>. Default /v1/; must begin with /.
	PathPrefix string

	// MaxConn bounds the requests served at once; more are refused with
	// 429. Default 800, as the agent's max_conn.
	MaxConn int

	// UpstreamMaxConns bounds the connections to Secrets Manager and SSM,
	// as the extension's PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS
	// does. Default 0: the SDK's default (no bound).
	UpstreamMaxConns int

	// Region overrides the SDK's region. Default "": the SDK's chain.
	Region string

	// Lambda is set when running as a Lambda extension: a bad token on
	// /secretsmanager/get is then refused with 401, as the extension
	// does, rather than the agent's 403.
	Lambda bool
}

// Defaults of the AWS extension and agent, which Coffer keeps.
const (
	DefaultPort      = 2773
	DefaultTTL       = 300 * time.Second
	DefaultCacheSize = 1000
	DefaultMaxConn   = 800
	// maxExtensionTTL is the extension's upper bound for its TTL
	// variables; larger values are lowered to it, with a warning.
	maxExtensionTTL = 300 * time.Second
	// maxAgentTTL is the agent's upper bound for ttl_seconds.
	maxAgentTTL = time.Hour
)

// DefaultTokenEnv are the environment variables the agent reads the token
// from, the first one set winning.
var DefaultTokenEnv = []string{"AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"}

// DefaultConfig returns the defaults, without a token.
func DefaultConfig() Config {
	return Config{
		Listen:       netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), DefaultPort),
		LogLevel:     "info",
		SecretTTL:    DefaultTTL,
		ParameterTTL: DefaultTTL,
		CacheSize:    DefaultCacheSize,
		StaleIfError: time.Hour,
		TokenHeaders: []string{headerExtensionToken, "X-Vault-Token"},
		PathPrefix:   "/v1/",
		MaxConn:      DefaultMaxConn,
	}
}

// Validate refuses a config New cannot serve, naming the field.
func (c Config) Validate() error {
	switch {
	case !c.Listen.IsValid():
		return errors.New("agent: Listen is not set")
	case !c.Listen.Addr().IsLoopback():
		return fmt.Errorf("agent: Listen %v is not a loopback address; the agent serves only local processes", c.Listen.Addr())
	case c.SecretTTL < 0:
		return fmt.Errorf("agent: SecretTTL %v is negative", c.SecretTTL)
	case c.ParameterTTL < 0:
		return fmt.Errorf("agent: ParameterTTL %v is negative", c.ParameterTTL)
	case c.CacheSize < 0:
		return fmt.Errorf("agent: CacheSize %d is negative", c.CacheSize)
	case c.StaleIfError < 0:
		return fmt.Errorf("agent: StaleIfError %v is negative", c.StaleIfError)
	case c.Token.s == "":
		return errors.New("agent: Token is empty; set AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN (or the ssrf_env_variables of the config file)")
	case len(c.TokenHeaders) == 0:
		return errors.New("agent: TokenHeaders is empty")
	case !strings.HasPrefix(c.PathPrefix, "/"):
		return fmt.Errorf("agent: PathPrefix %q does not begin with /", c.PathPrefix)
	case c.MaxConn < 1:
		return fmt.Errorf("agent: MaxConn %d is below 1", c.MaxConn)
	case c.UpstreamMaxConns < 0:
		return fmt.Errorf("agent: UpstreamMaxConns %d is negative", c.UpstreamMaxConns)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("agent: LogLevel: %w", err)
	}
	return nil
}

// Token is the shared token requests must carry. It prints and logs as a
// placeholder; Reveal returns it.
type Token struct{ s string }

// NewToken returns s as a Token.
func NewToken(s string) Token { return Token{s} }

// Reveal returns the token.
func (t Token) Reveal() string { return t.s }

func (Token) String() string               { return "agent.Token(redacted)" }
func (Token) GoString() string             { return "agent.Token(redacted)" }
func (Token) Format(f fmt.State, _ rune)   { fmt.Fprint(f, "agent.Token(redacted)") }
func (Token) LogValue() slog.Value         { return slog.StringValue("redacted") }
func (Token) MarshalText() ([]byte, error) { return []byte("redacted"), nil }

// Level returns the slog level for c.LogLevel, and false for "none".
func (c Config) Level() (slog.Level, bool) {
	l, err := parseLevel(c.LogLevel)
	if err != nil || l == levelNone {
		return 0, false
	}
	return l, true
}

const levelNone = slog.Level(1 << 10)

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "none":
		return levelNone, nil
	}
	return 0, fmt.Errorf("log level %q is not debug, info, warn, error or none", s)
}

// Environment variables of the AWS Parameters and Secrets Lambda Extension.
const (
	EnvHTTPPort      = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
	EnvSecretsTTL    = "SECRETS_MANAGER_TTL"
	EnvParametersTTL = "SSM_PARAMETER_STORE_TTL"
	EnvCacheEnabled  = "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED"
	EnvCacheSize     = "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE"
	EnvMaxConns      = "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS"
	EnvLogLevel      = "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"
)

// LoadConfig returns the configuration from defaults, then the agent's
// TOML file (file may be nil), then the extension's environment
// variables, read through getenv; the token comes from the first set of
// the file's ssrf_env_variables (default DefaultTokenEnv), and a value
// "file://PATH" is read from PATH through readFile, trimmed. Callers apply
// flags on top and call Validate (New does). Warnings, such as a TTL
// lowered to the extension's bound, go to warn.
func LoadConfig(file []byte, getenv func(string) string, readFile func(string) ([]byte, error), warn func(msg string, args ...any)) (Config, error) {
	c := DefaultConfig()
	tokenEnv := DefaultTokenEnv
	if file != nil {
		kv, err := parseTOML(string(file))
		if err != nil {
			return c, err
		}
		if tokenEnv, err = c.applyFile(kv); err != nil {
			return c, err
		}
	}
	if err := c.applyEnv(getenv, warn); err != nil {
		return c, err
	}
	for _, name := range tokenEnv {
		v := getenv(name)
		if v == "" {
			continue
		}
		if path, ok := strings.CutPrefix(v, "file://"); ok {
			b, err := readFile(path)
			if err != nil {
				return c, fmt.Errorf("read token file named by %s: %w", name, err)
			}
			v = strings.TrimSpace(string(b))
		}
		c.Token = Token{v}
		break
	}
	return c, nil
}

// applyFile applies the agent's configuration keys, and returns the token
// environment variables.
func (c *Config) applyFile(kv map[string]tomlValue) ([]string, error) {
	tokenEnv := DefaultTokenEnv
	for key, v := range kv {
		var err error
		switch key {
		case "log_level":
			c.LogLevel, err = v.str()
		case "http_address":
			var s string
			if s, err = v.str(); err == nil {
				var a netip.Addr
				if a, err = netip.ParseAddr(s); err == nil {
					c.Listen = netip.AddrPortFrom(a, c.Listen.Port())
				}
			}
		case "http_port":
			var n int
			if n, err = v.intIn(0, 65535); err == nil {
				c.Listen = netip.AddrPortFrom(c.Listen.Addr(), uint16(n))
			}
		case "ttl_seconds":
			var n int
			if n, err = v.intIn(0, int(maxAgentTTL/time.Second)); err == nil {
				c.SecretTTL = time.Duration(n) * time.Second
				c.ParameterTTL = c.SecretTTL
			}
		case "cache_size":
			c.CacheSize, err = v.intIn(1, 1000)
		case "ssrf_headers":
			c.TokenHeaders, err = v.strList()
		case "ssrf_env_variables":
			tokenEnv, err = v.strList()
			if err == nil && len(tokenEnv) == 0 {
				err = errors.New("is empty")
			}
		case "path_prefix":
			c.PathPrefix, err = v.str()
		case "max_conn":
			c.MaxConn, err = v.intIn(1, 1000)
		case "region":
			c.Region, err = v.str()
		case "ignore_transient_errors":
			var b bool
			if b, err = v.boolean(); err == nil && !b {
				c.StaleIfError = 0
			}
		case "log_to_file", "validate_credentials":
			// Accepted for compatibility: Coffer logs to stderr and
			// checks credentials on the first fetch.
			_, err = v.boolean()
		default:
			return nil, fmt.Errorf("config file: unknown key %q", key)
		}
		if err != nil {
			return nil, fmt.Errorf("config file: %s (line %d): %w", key, v.line, err)
		}
	}
	return tokenEnv, nil
}

// applyEnv applies the extension's environment variables.
func (c *Config) applyEnv(getenv func(string) string, warn func(string, ...any)) error {
	if v := getenv(EnvHTTPPort); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s=%q is not a port from 1 to 65535", EnvHTTPPort, v)
		}
		c.Listen = netip.AddrPortFrom(c.Listen.Addr(), uint16(n))
	}
	for _, e := range []struct {
		name string
		ttl  *time.Duration
	}{{EnvSecretsTTL, &c.SecretTTL}, {EnvParametersTTL, &c.ParameterTTL}} {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%s=%q is not a number of seconds", e.name, v)
		}
		*e.ttl = time.Duration(n) * time.Second
		if *e.ttl > maxExtensionTTL {
			warn("TTL exceeds the extension's bound; lowered", "variable", e.name, "ttl", maxExtensionTTL)
			*e.ttl = maxExtensionTTL
		}
	}
	if v := getenv(EnvCacheEnabled); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s=%q is not true or false", EnvCacheEnabled, v)
		}
		if !on {
			c.CacheSize = 0
		}
	}
	if v := getenv(EnvCacheSize); v != "" && c.CacheSize != 0 {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("%s=%q is not a number from 0 to 1000", EnvCacheSize, v)
		}
		c.CacheSize = n
	}
	if v := getenv(EnvMaxConns); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%s=%q is not a number from 1 up", EnvMaxConns, v)
		}
		c.UpstreamMaxConns = n
	}
	if v := getenv(EnvLogLevel); v != "" {
		if _, err := parseLevel(v); err != nil {
			return fmt.Errorf("%s: %w", EnvLogLevel, err)
		}
		c.LogLevel = v
	}
	return nil
}
