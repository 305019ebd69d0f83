package main_test

import (
	"cmp"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var regionRE = regexp.MustCompile(`AWS_REGION=(\S+)`)

// writeConfig writes a JSON config file into dir and returns its path.
func writeConfig(t *testing.T, dir, name string, cfg map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigPrecedenceIsFlagThenEnvThenFileThenDefault starts the server
// with each layer set to different values of --region, --listen and
// --data-dir (relative to the working directory) and observes the winner:
// the region and the address in what the server prints, the data dir by
// where the credentials appear.
func TestConfigPrecedenceIsFlagThenEnvThenFileThenDefault(t *testing.T) {
	t.Parallel()
	fileLayer := map[string]any{"region": "eu-west-1", "listen": "127.0.0.3:0", "data-dir": "from-file"}
	envLayer := []string{"COFFER_REGION=eu-central-1", "COFFER_LISTEN=127.0.0.2:0", "COFFER_DATA_DIR=from-env"}
	flagLayer := []string{"--region", "ap-south-1", "--listen", "127.0.0.1:0", "--data-dir", "from-flag"}
	for _, tc := range []struct {
		name        string
		file        map[string]any // written to config.json and passed with --config
		envConfig   map[string]any // written to env-config.json and named by COFFER_CONFIG
		env, flags  []string
		wantRegion  string
		wantHost    string
		wantDir     string
		wantAccount string // default 000000000000
	}{
		{
			name:       "without flag, env or file the region and data dir are the defaults",
			flags:      []string{"--listen", "127.0.0.1:0"},
			wantRegion: "us-east-1", wantHost: "127.0.0.1", wantDir: "coffer-data",
		},
		{
			name:       "the config file beats the defaults",
			file:       fileLayer,
			wantRegion: "eu-west-1", wantHost: "127.0.0.3", wantDir: "from-file",
		},
		{
			name:       "COFFER_ env beats the config file",
			file:       fileLayer,
			env:        envLayer,
			wantRegion: "eu-central-1", wantHost: "127.0.0.2", wantDir: "from-env",
		},
		{
			name:       "a flag beats COFFER_ env",
			file:       fileLayer,
			env:        envLayer,
			flags:      flagLayer,
			wantRegion: "ap-south-1", wantHost: "127.0.0.1", wantDir: "from-flag",
		},
		{
			name:       "COFFER_CONFIG names the config file",
			envConfig:  map[string]any{"region": "eu-north-1", "listen": "127.0.0.3:0", "data-dir": "from-env-config"},
			wantRegion: "eu-north-1", wantHost: "127.0.0.3", wantDir: "from-env-config",
		},
		{
			name:       "--config beats COFFER_CONFIG",
			file:       fileLayer,
			envConfig:  map[string]any{"region": "eu-north-1", "listen": "127.0.0.2:0", "data-dir": "from-env-config"},
			wantRegion: "eu-west-1", wantHost: "127.0.0.3", wantDir: "from-file",
		},
		{
			name:       "a 12-digit JSON number in the config file keeps its digits",
			file:       map[string]any{"listen": "127.0.0.1:0", "account-id": 111122223333},
			wantRegion: "us-east-1", wantHost: "127.0.0.1", wantDir: "coffer-data", wantAccount: "111122223333",
		},
		{
			name:       "a JSON boolean in the config file turns on TLS",
			file:       map[string]any{"listen": "127.0.0.1:0", "tls-self-signed": true, "purge-interval": "30s"},
			wantRegion: "us-east-1", wantHost: "127.0.0.1", wantDir: "coffer-data",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cwd := t.TempDir()
			env := append(baseEnv(t), tc.env...)
			args := []string{"server"}
			if tc.file != nil {
				args = append(args, "--config", writeConfig(t, cwd, "config.json", tc.file))
			}
			if tc.envConfig != nil {
				env = append(env, "COFFER_CONFIG="+writeConfig(t, cwd, "env-config.json", tc.envConfig))
			}
			p := startProc(t, cwd, env, cofferBin, append(args, tc.flags...)...)
			rawURL := p.waitStdout(t, servingRE)[1]
			region := p.waitStdout(t, regionRE)[1]
			u, err := url.Parse(rawURL)
			if err != nil {
				t.Fatal(err)
			}
			if region != tc.wantRegion || u.Hostname() != tc.wantHost {
				t.Errorf("server printed region %s and URL %s, want region %s on host %s", region, rawURL, tc.wantRegion, tc.wantHost)
			}
			wantAccount := cmp.Or(tc.wantAccount, "000000000000")
			if !strings.Contains(p.stdout.String(), "(account "+wantAccount+")") {
				t.Errorf("server does not serve account %s:\n%s", wantAccount, p.stdout)
			}
			if wantTLS := tc.file["tls-self-signed"] == true; (u.Scheme == "https") != wantTLS {
				t.Errorf("URL %s, want TLS %v", rawURL, wantTLS)
			}
			for _, dir := range []string{"coffer-data", "from-file", "from-env", "from-flag", "from-env-config"} {
				_, err := os.Stat(filepath.Join(cwd, dir, "credentials"))
				if got := err == nil; got != (dir == tc.wantDir) {
					t.Errorf("credentials in %s: %v, want only in %s", dir, got, tc.wantDir)
				}
			}
			p.stop(t)
		})
	}
}

func TestBadConfigurationIsRefusedBeforeTouchingAnything(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		file  string // config file contents; empty means no --config
		env   []string
		flags []string
		want  string // in stderr
	}{
		{name: "an unknown config key is refused", file: `{"regoin": "eu-west-1"}`, want: `unknown key "regoin"`},
		{name: "the config key config is refused", file: `{"config": "other.json"}`, want: `unknown key "config"`},
		{name: "a config file that is not JSON is refused", file: `region = "eu-west-1"`, want: "config file"},
		{name: "a config value of the wrong kind is refused naming the key", file: `{"tls-self-signed": "maybe"}`, want: `"tls-self-signed"`},
		{name: "a missing config file is refused", flags: []string{"--config", "nonexistent.json"}, want: "nonexistent.json"},
		{name: "a bad COFFER_ value is refused naming the variable", env: []string{"COFFER_PURGE_INTERVAL=soon"}, want: "COFFER_PURGE_INTERVAL"},
		{name: "a negative purge interval is refused", flags: []string{"--purge-interval", "-1s"}, want: "purge-interval"},
		{name: "a malformed region is refused", env: []string{"COFFER_REGION=EU_West"}, want: `region "EU_West"`},
		{name: "an unknown log level is refused", flags: []string{"--log-level", "chatty"}, want: "log-level"},
		{name: "an unknown flag is refused", flags: []string{"--bogus"}, want: "bogus"},
		{name: "a stray argument is refused", flags: []string{"extra"}, want: `unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cwd := t.TempDir()
			args := []string{"server", "--listen", "127.0.0.1:0"}
			if tc.file != "" {
				path := filepath.Join(cwd, "config.json")
				if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--config", path)
			}
			p := startProc(t, cwd, append(baseEnv(t), tc.env...), cofferBin, append(args, tc.flags...)...)
			code := p.wait(t)
			if stderr := p.stderr.String(); code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("coffer %q exited %d with %q, want non-zero mentioning %s", args, code, stderr, tc.want)
			}
			if _, err := os.Stat(filepath.Join(cwd, "coffer-data")); err == nil {
				t.Fatal("a refused start created ./coffer-data")
			}
		})
	}
}

func TestVersionHelpAndUnknownCommands(t *testing.T) {
	t.Parallel()
	versionRE := regexp.MustCompile(`^coffer \S+ ` + runtime.GOOS + `/` + runtime.GOARCH + ` ` + regexp.QuoteMeta(runtime.Version()) + "\n$")
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		stdout   *regexp.Regexp
		stderr   *regexp.Regexp
	}{
		{"version prints the version, platform and toolchain", []string{"version"}, 0, versionRE, regexp.MustCompile(`^$`)},
		{"--version is version", []string{"--version"}, 0, versionRE, regexp.MustCompile(`^$`)},
		{"help prints the usage", []string{"help"}, 0, regexp.MustCompile(`(?s)coffer server.*coffer dev.*coffer version`), regexp.MustCompile(`^$`)},
		{"no command prints the usage and exits 2", nil, 2, regexp.MustCompile(`^$`), regexp.MustCompile(`Usage:`)},
		{"an unknown command is refused", []string{"frobnicate"}, 1, regexp.MustCompile(`^$`), regexp.MustCompile(`unknown command "frobnicate"`)},
		{"server -h prints the flags and exits 2", []string{"server", "-h"}, 2, regexp.MustCompile(`^$`), regexp.MustCompile(`-tls-self-signed`)},
		{"dev -h warns it is not for production", []string{"dev", "-h"}, 2, regexp.MustCompile(`^$`), regexp.MustCompile(`NOT for production`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runCoffer(t, baseEnv(t), tc.args...)
			if code != tc.wantCode || !tc.stdout.MatchString(stdout) || !tc.stderr.MatchString(stderr) {
				t.Fatalf("coffer %q = exit %d, stdout %q, stderr %q; want exit %d, stdout matching %s, stderr matching %s",
					tc.args, code, stdout, stderr, tc.wantCode, tc.stdout, tc.stderr)
			}
		})
	}
}
