package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Rule names, as they appear in alerts and in the config file.
const (
	RuleDeniedBurst = "denied-burst"
	RuleReadRate    = "read-rate"
	RuleNewSourceIP = "new-source-ip"
	RuleBreakGlass  = "break-glass"
)

// Config is the alerting configuration: the "alerts" object of the config
// file. The zero value is ready to use: every zero field means its default
// (written next to it), every rule is on, and there is no webhook, so
// alerts go to the log only. Negative values are refused by [New].
type Config struct {
	// Disabled turns the engine off: Observe returns at once.
	Disabled bool `json:"disabled,omitempty"`

	Webhook Webhook `json:"webhook"`

	// DedupeWindow is the least time between two alerts of one group (rule
	// and principal, plus resource or source IP where the rule says);
	// hits in between are counted into the next alert. Default 15m.
	DedupeWindow Duration `json:"dedupe-window,omitempty"`
	// GroupWait is how long the first hit of a group waits for the rest of
	// its burst before the alert is emitted. Default 10s.
	GroupWait Duration `json:"group-wait,omitempty"`
	// RateLimit caps the alerts emitted per minute, over all rules; alerts
	// held back stay pending and keep counting. Default 10.
	RateLimit int `json:"rate-limit,omitempty"`
	// QueueSize bounds the events waiting for the rules; Observe drops
	// (and counts) events when it is full. Default 4096.
	QueueSize int `json:"queue-size,omitempty"`
	// MaxPrincipals caps the principals (or source IPs) each rule tracks,
	// and the alert groups; the least recently active go first. Default
	// 10000.
	MaxPrincipals int `json:"max-principals,omitempty"`

	DeniedBurst DeniedBurstRule `json:"denied-burst"`
	ReadRate    ReadRateRule    `json:"read-rate"`
	NewSourceIP NewSourceIPRule `json:"new-source-ip"`
	BreakGlass  BreakGlassRule  `json:"break-glass"`
}

// Webhook is where alerts are POSTed as JSON. An empty URL sends them to
// the log only.
type Webhook struct {
	URL string `json:"url,omitempty"` // http or https
	// Headers are added to every request (e.g. Authorization). They are
	// never logged.
	Headers map[string]string `json:"headers,omitempty"`
	// Timeout bounds each attempt. Default 10s.
	Timeout Duration `json:"timeout,omitempty"`
	// Attempts is how many times one alert is tried before it is given up
	// (it stays in the log and in Engine.Alerts). Default 5.
	Attempts int `json:"attempts,omitempty"`
	// Backoff is the wait before the first retry, doubled for each next
	// one up to MaxBackoff. Defaults 1s and 1m.
	Backoff    Duration `json:"backoff,omitempty"`
	MaxBackoff Duration `json:"max-backoff,omitempty"`
}

// DeniedBurstRule alerts on Threshold denied (or failed-authentication)
// requests from one principal, or from one source IP when unauthenticated,
// within Window.
type DeniedBurstRule struct {
	Disabled  bool     `json:"disabled,omitempty"`
	Threshold int      `json:"threshold,omitempty"` // default 10
	Window    Duration `json:"window,omitempty"`    // default 1m
}

// ReadRateRule alerts when a principal's secret reads over the last minute
// exceed max(Factor × baseline, Floor), the baseline being the
// exponentially weighted average of its reads per minute with time
// constant Baseline. In its first minute a principal has no baseline and
// alerts only above Ceiling.
type ReadRateRule struct {
	Disabled bool     `json:"disabled,omitempty"`
	Factor   float64  `json:"factor,omitempty"`   // default 10
	Floor    float64  `json:"floor,omitempty"`    // reads per minute; default 30
	Ceiling  float64  `json:"ceiling,omitempty"`  // reads per minute; default 1000
	Baseline Duration `json:"baseline,omitempty"` // default 1h
	// Idle forgets a principal (and its baseline) after this long without
	// reads. Default 24h.
	Idle Duration `json:"idle,omitempty"`
}

// NewSourceIPRule alerts when a principal reads a secret from a source
// address it has not read from before, once Learning has passed since its
// first read. Addresses are compared by prefix (IPv4Prefix, IPv6Prefix
// bits), so an IPv6 host rotating its interface id is one source.
type NewSourceIPRule struct {
	Disabled bool     `json:"disabled,omitempty"`
	Learning Duration `json:"learning,omitempty"` // default 24h
	// MaxIPs caps the prefixes remembered per principal; the least
	// recently used is forgotten first. Default 32.
	MaxIPs     int `json:"max-ips,omitempty"`
	IPv4Prefix int `json:"ipv4-prefix,omitempty"` // 1-32; default 32
	IPv6Prefix int `json:"ipv6-prefix,omitempty"` // 1-128; default 64
}

// BreakGlassRule alerts on every read of a secret that Options.BreakGlass
// reports as break-glass.
type BreakGlassRule struct {
	Disabled bool `json:"disabled,omitempty"`
}

// DefaultConfig returns the configuration the zero Config stands for, with
// every default written out.
func DefaultConfig() Config {
	return Config{
		Webhook: Webhook{
			Timeout:    Duration(10 * time.Second),
			Attempts:   5,
			Backoff:    Duration(time.Second),
			MaxBackoff: Duration(time.Minute),
		},
		DedupeWindow:  Duration(15 * time.Minute),
		GroupWait:     Duration(10 * time.Second),
		RateLimit:     10,
		QueueSize:     4096,
		MaxPrincipals: 10000,
		DeniedBurst:   DeniedBurstRule{Threshold: 10, Window: Duration(time.Minute)},
		ReadRate: ReadRateRule{
			Factor:   10,
			Floor:    30,
			Ceiling:  1000,
			Baseline: Duration(time.Hour),
			Idle:     Duration(24 * time.Hour),
		},
		NewSourceIP: NewSourceIPRule{
			Learning:   Duration(24 * time.Hour),
			MaxIPs:     32,
			IPv4Prefix: 32,
			IPv6Prefix: 64,
		},
	}
}

// ParseConfig decodes the "alerts" object of a config file strictly (an
// unknown key is an error), then checks it as New does. Keys left out keep
// their defaults.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("alerts config: %w", err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("alerts config: data after the JSON object")
	}
	if _, err := c.resolve(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ConfigError names the field of a Config that New refuses.
type ConfigError struct {
	Field  string // the config file key path, e.g. "read-rate.factor"
	Reason string
}

func (e *ConfigError) Error() string {
	return "alerts config: " + e.Field + ": " + e.Reason
}

// resolve returns c with zero fields set to their defaults, or the first
// field it refuses.
func (c Config) resolve() (Config, error) {
	d := DefaultConfig()
	var r refusal
	orDefault(&r, "webhook.timeout", &c.Webhook.Timeout, d.Webhook.Timeout, 0)
	orDefault(&r, "webhook.attempts", &c.Webhook.Attempts, d.Webhook.Attempts, 100)
	orDefault(&r, "webhook.backoff", &c.Webhook.Backoff, d.Webhook.Backoff, 0)
	orDefault(&r, "webhook.max-backoff", &c.Webhook.MaxBackoff, d.Webhook.MaxBackoff, 0)
	orDefault(&r, "dedupe-window", &c.DedupeWindow, d.DedupeWindow, 0)
	orDefault(&r, "group-wait", &c.GroupWait, d.GroupWait, 0)
	orDefault(&r, "rate-limit", &c.RateLimit, d.RateLimit, 60_000)
	orDefault(&r, "queue-size", &c.QueueSize, d.QueueSize, 1<<20)
	orDefault(&r, "max-principals", &c.MaxPrincipals, d.MaxPrincipals, 10_000_000)
	orDefault(&r, "denied-burst.threshold", &c.DeniedBurst.Threshold, d.DeniedBurst.Threshold, 100_000)
	orDefault(&r, "denied-burst.window", &c.DeniedBurst.Window, d.DeniedBurst.Window, 0)
	orDefault(&r, "read-rate.factor", &c.ReadRate.Factor, d.ReadRate.Factor, 0)
	orDefault(&r, "read-rate.floor", &c.ReadRate.Floor, d.ReadRate.Floor, 0)
	orDefault(&r, "read-rate.ceiling", &c.ReadRate.Ceiling, d.ReadRate.Ceiling, 0)
	orDefault(&r, "read-rate.baseline", &c.ReadRate.Baseline, d.ReadRate.Baseline, 0)
	orDefault(&r, "read-rate.idle", &c.ReadRate.Idle, d.ReadRate.Idle, 0)
	orDefault(&r, "new-source-ip.learning", &c.NewSourceIP.Learning, d.NewSourceIP.Learning, 0)
	orDefault(&r, "new-source-ip.max-ips", &c.NewSourceIP.MaxIPs, d.NewSourceIP.MaxIPs, 100_000)
	orDefault(&r, "new-source-ip.ipv4-prefix", &c.NewSourceIP.IPv4Prefix, d.NewSourceIP.IPv4Prefix, 32)
	orDefault(&r, "new-source-ip.ipv6-prefix", &c.NewSourceIP.IPv6Prefix, d.NewSourceIP.IPv6Prefix, 128)
	r.check("read-rate.factor", c.ReadRate.Factor <= 1, "must be more than 1")
	r.check("webhook.max-backoff", c.Webhook.MaxBackoff < c.Webhook.Backoff, "must not be less than webhook.backoff")
	if c.Webhook.URL != "" {
		u, err := url.Parse(c.Webhook.URL)
		r.check("webhook.url", err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "",
			"must be an absolute http or https URL")
	}
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// refusal keeps the first field resolve refuses.
type refusal struct{ err *ConfigError }

func (r *refusal) check(field string, bad bool, reason string) {
	if bad && r.err == nil {
		r.err = &ConfigError{Field: field, Reason: reason}
	}
}

// orDefault refuses a negative *v, or one above limit when limit is not
// zero, and sets a zero *v to def.
func orDefault[T int | float64 | Duration](r *refusal, field string, v *T, def, limit T) {
	r.check(field, *v < 0, "must not be negative")
	r.check(field, limit != 0 && *v > limit, fmt.Sprintf("must be at most %v", limit))
	if *v == 0 {
		*v = def
	}
}

// Duration is a time.Duration written in the config file as a Go duration
// string ("90s", "15m", "24h"). A bare number is refused: it has no unit.
type Duration time.Duration

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String returns the duration as time.Duration.String does.
func (d Duration) String() string { return time.Duration(d).String() }
