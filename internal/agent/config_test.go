package agent_test

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/coffer-dev/coffer/internal/agent"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func noFile(string) ([]byte, error) { return nil, fs.ErrNotExist }

func load(t *testing.T, file string, vars map[string]string) (agent.Config, []string, error) {
	t.Helper()
	var warnings []string
	var b []byte
	if file != "" {
		b = []byte(file)
	}
	cfg, err := agent.LoadConfig(b, env(vars), noFile, func(msg string, args ...any) {
		warnings = append(warnings, fmt.Sprint(append([]any{msg}, args...)...))
	})
	return cfg, warnings, err
}

func TestAgentConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, _, err := load(t, "", map[string]string{"AWS_SESSION_TOKEN": "tok"})
	if err != nil {
		t.Fatal(err)
	}
	want := agent.DefaultConfig()
	want.Token = agent.NewToken("tok")
	if cfg.Listen.String() != "127.0.0.1:2773" || cfg.SecretTTL != 300*time.Second || cfg.ParameterTTL != 300*time.Second ||
		cfg.CacheSize != 1000 || cfg.MaxConn != 800 || cfg.PathPrefix != "/v1/" || cfg.LogLevel != "info" ||
		cfg.Token.Reveal() != "tok" || !cmp.Equal(cfg.TokenHeaders, []string{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"}) {
		t.Errorf("LoadConfig(no file, no env) = %+v, want the extension's and agent's defaults", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
}

func TestAgentConfigFile(t *testing.T) {
	t.Parallel()
	file := `# the agent's own options
log_level = "DEBUG"
http_address = "127.0.0.1"
http_port = "2775"       # numbers may be quoted
ttl_seconds = 60
cache_size = '10'
ssrf_headers = ["X-My-Token", 'X-Other']
ssrf_env_variables = [
  "MY_TOKEN",   # first set wins
  "AWS_SESSION_TOKEN",
]
path_prefix = "/secrets/"
max_conn = 5
region = "eu-west-1"
ignore_transient_errors = false
validate_credentials = false
log_to_file = false
`
	cfg, _, err := load(t, file, map[string]string{"MY_TOKEN": "mine", "AWS_SESSION_TOKEN": "session"})
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.LogLevel != "DEBUG" || cfg.Listen.Port() != 2775 || cfg.SecretTTL != time.Minute || cfg.ParameterTTL != time.Minute ||
		cfg.CacheSize != 10 || !cmp.Equal(cfg.TokenHeaders, []string{"X-My-Token", "X-Other"}) || cfg.PathPrefix != "/secrets/" ||
		cfg.MaxConn != 5 || cfg.Region != "eu-west-1" || cfg.StaleIfError != 0 || cfg.Token.Reveal() != "mine" {
		t.Errorf("LoadConfig(file) = %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestAgentConfigEnvOverridesFile(t *testing.T) {
	t.Parallel()
	file := "http_port = 2775\nttl_seconds = 60\ncache_size = 10\nlog_level = \"warn\"\n"
	cfg, warnings, err := load(t, file, map[string]string{
		"AWS_SESSION_TOKEN":                            "tok",
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT":       "2780",
		"SECRETS_MANAGER_TTL":                          "30",
		"SSM_PARAMETER_STORE_TTL":                      "900", // above the extension's 300 bound
		"PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE":      "20",
		"PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS": "3",
		"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL":       "error",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen.Port() != 2780 || cfg.SecretTTL != 30*time.Second || cfg.ParameterTTL != 300*time.Second ||
		cfg.CacheSize != 20 || cfg.UpstreamMaxConns != 3 || cfg.LogLevel != "error" {
		t.Errorf("LoadConfig(file, env) = %+v, want the environment to win", cfg)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "SSM_PARAMETER_STORE_TTL") {
		t.Errorf("warnings = %q, want one about SSM_PARAMETER_STORE_TTL lowered to 300s", warnings)
	}

	cfg, _, err = load(t, "", map[string]string{"AWS_SESSION_TOKEN": "tok", "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED": "false", "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE": "50"})
	if err != nil || cfg.CacheSize != 0 {
		t.Errorf("CACHE_ENABLED=false: CacheSize = %d, %v; want 0 (caching off)", cfg.CacheSize, err)
	}
}

func TestAgentConfigToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"AWS_TOKEN comes first", map[string]string{"AWS_TOKEN": "a", "AWS_SESSION_TOKEN": "b"}, "a"},
		{"AWS_SESSION_TOKEN is the Lambda token", map[string]string{"AWS_SESSION_TOKEN": "b", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "b"},
		{"AWS_CONTAINER_AUTHORIZATION_TOKEN is the last", map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN": "c"}, "c"},
		{"a file:// value is read and trimmed", map[string]string{"AWS_TOKEN": "file://" + path}, "from-file"},
		{"no variable set leaves no token", map[string]string{}, ""},
	}
	for _, c := range cases {
		cfg, err := agent.LoadConfig(nil, env(c.vars), os.ReadFile, func(string, ...any) {})
		if err != nil || cfg.Token.Reveal() != c.want {
			t.Errorf("%s: token = %q, %v; want %q", c.name, cfg.Token.Reveal(), err, c.want)
		}
	}
	_, err := agent.LoadConfig(nil, env(map[string]string{"AWS_TOKEN": "file://" + filepath.Join(dir, "nope")}), os.ReadFile, func(string, ...any) {})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "AWS_TOKEN") {
		t.Errorf("missing token file: err = %v, want ErrNotExist naming AWS_TOKEN", err)
	}
	cfg, _, _ := load(t, "", nil)
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "Token") {
		t.Errorf("Validate(no token) = %v, want an error naming Token", err)
	}
	tk := agent.NewToken("canary-token")
	if s := fmt.Sprintf("%v %s %+v %#v %v", tk, tk, tk, tk, cfg); strings.Contains(s, "canary-token") {
		t.Errorf("a Token prints as %q, want a placeholder", s)
	}
}

func TestAgentConfigRefusals(t *testing.T) {
	t.Parallel()
	tok := map[string]string{"AWS_SESSION_TOKEN": "tok"}
	files := []struct{ name, file, want string }{
		{"an unknown key is refused", "ttl = 5\n", `unknown key "ttl"`},
		{"a table is refused", "[agent]\n", "tables are not supported"},
		{"ttl_seconds above 3600 is refused", "ttl_seconds = 3601\n", "ttl_seconds"},
		{"cache_size 0 is refused as the agent does", "cache_size = 0\n", "cache_size"},
		{"max_conn above 1000 is refused", "max_conn = 1001\n", "max_conn"},
		{"an empty ssrf_env_variables is refused", "ssrf_env_variables = []\n", "ssrf_env_variables"},
		{"a number for a string is refused", "region = 5\n", "region"},
		{"an unterminated string is refused", "region = \"eu\n", "unterminated"},
		{"a duplicate key is refused", "region = \"a\"\nregion = \"b\"\n", "twice"},
		{"a bad address is refused", "http_address = \"nowhere\"\n", "http_address"},
	}
	for _, c := range files {
		if _, _, err := load(t, c.file, tok); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: LoadConfig(%q) = %v, want an error containing %q", c.name, c.file, err, c.want)
		}
	}
	vars := []struct{ name, key, val string }{
		{"a port out of range is refused", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "70000"},
		{"a non-numeric TTL is refused", "SECRETS_MANAGER_TTL", "5m"},
		{"a negative TTL is refused", "SSM_PARAMETER_STORE_TTL", "-1"},
		{"a cache size above 1000 is refused", "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", "1001"},
		{"a non-boolean CACHE_ENABLED is refused", "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "maybe"},
		{"MAX_CONNECTIONS 0 is refused", "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS", "0"},
		{"an unknown log level is refused", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL", "loud"},
	}
	for _, c := range vars {
		if _, _, err := load(t, "", map[string]string{"AWS_SESSION_TOKEN": "t", c.key: c.val}); err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %s=%s: err = %v, want an error naming it", c.name, c.key, c.val, err)
		}
	}
	cfg, _, err := load(t, "http_address = \"0.0.0.0\"\n", tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Validate(0.0.0.0) = %v, want a refusal: loopback only", err)
	}
	cfg.Listen = netip.MustParseAddrPort("[::1]:2773")
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate([::1]) = %v, want IPv6 loopback accepted", err)
	}
	cfg.PathPrefix = "v1/"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "PathPrefix") {
		t.Errorf("Validate(path prefix without /) = %v, want an error naming PathPrefix", err)
	}
}
