package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// resolve applies the configuration precedence flag > COFFER_* env >
// config file > default to fs, which must already be parsed: every flag
// not given on the command line takes its env var, then its config key.
// The config file is JSON whose keys are the flag names.
func resolve(fs *flag.FlagSet, configPath string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var file map[string]any
	if configPath != "" {
		raw, err := os.ReadFile(configPath)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		if err := json.Unmarshal(raw, &file); err != nil {
			return fmt.Errorf("config file %s: %w", configPath, err)
		}
		for k := range file {
			if fs.Lookup(k) == nil || k == "config" {
				return fmt.Errorf("config file %s: unknown key %q", configPath, k)
			}
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		env := "COFFER_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if e := f.Value.Set(configString(v)); e != nil {
				err = fmt.Errorf("config file key %q: %w", f.Name, e)
			}
		}
	})
	return err
}

// configString renders a config-file value as its flag text: JSON numbers
// as written (12-digit account ids must not become 1.2e+11), lists joined
// by ";" (repeatable flags such as oidc-provider).
func configString(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case map[string]any:
		b, _ := json.Marshal(v) // a JSON-valued flag such as alerts
		return string(b)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = configString(e)
		}
		return strings.Join(parts, ";")
	}
	return fmt.Sprint(v)
}

// configFlag returns the --config value, or COFFER_CONFIG.
func configFlag(v string) string {
	if v != "" {
		return v
	}
	return os.Getenv("COFFER_CONFIG")
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
