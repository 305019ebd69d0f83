package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/coffer-dev/coffer/client"
	"github.com/coffer-dev/coffer/internal/agent"
)

const agentUsage = `Usage:
  coffer agent [--config FILE.toml] [--port N] [--listen 127.0.0.1]
               [--warm SECRET[,SECRET]...] [--warm-tag KEY=VALUE]...

Serves secrets and parameters to local processes from a cache, on
loopback only: a drop-in for the AWS Parameters and Secrets Lambda
Extension (its port, environment variables, paths and header) and for
AWS's Secrets Manager Agent (its TOML config file, /v1/<secretId>,
refreshNow, /ping). Requests must carry the token of AWS_TOKEN,
AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN (the first set; a
file://PATH value is read from PATH) in X-Aws-Parameters-Secrets-Token.
Upstream calls use the AWS SDK's configuration chain (AWS_ENDPOINT_URL,
AWS_REGION, credentials). With AWS_LAMBDA_RUNTIME_API set it registers as
a Lambda extension. Precedence: flags, then the extension's environment
variables, then the config file, then defaults. See docs/agent.md.

`

// agentEnv is what runAgent takes from the process, so tests can supply
// their own.
type agentEnv struct {
	getenv    func(string) string
	awsConfig func(ctx context.Context) (aws.Config, error)
	// listening, if set, is told the address once the agent listens.
	listening func(net.Addr)
	// extensionName is the Lambda extension's name: the executable's.
	extensionName string
}

func processAgentEnv() agentEnv {
	return agentEnv{getenv: os.Getenv, awsConfig: awsConfig, extensionName: filepath.Base(os.Args[0])}
}

func runAgent(ctx context.Context, args []string, env agentEnv, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configPath, listen, warm string
		port                     int
		warmTags                 multiFlag
		sealed                   bool
	)
	fs.StringVar(&configPath, "config", "", "the agent's TOML config `file`")
	fs.IntVar(&port, "port", -1, "port to listen on (default 2773; 0 picks a free one)")
	fs.StringVar(&listen, "listen", "", "loopback `address` to listen on (default 127.0.0.1)")
	fs.StringVar(&warm, "warm", "", "comma-separated `secrets` to fetch at start")
	fs.Var(&warmTags, "warm-tag", "fetch at start the secrets tagged `KEY=VALUE` (repeatable)")
	fs.BoolVar(&sealed, "sealed", false, "keep cached values sealed in memory under an mlock'd per-process key")
	fs.Usage = func() {
		fmt.Fprint(stderr, agentUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var tags []agent.Tag
	for _, t := range warmTags {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return fmt.Errorf("--warm-tag %q: want KEY=VALUE", t)
		}
		tags = append(tags, agent.Tag{Key: k, Value: v})
	}

	var file []byte
	if configPath != "" {
		var err error
		if file, err = os.ReadFile(configPath); err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
	}
	var warnings [][]any
	cfg, err := agent.LoadConfig(file, env.getenv, os.ReadFile, func(msg string, args ...any) {
		warnings = append(warnings, append([]any{msg}, args...))
	})
	if err != nil {
		return err
	}
	if listen != "" {
		if listen == "localhost" {
			listen = "127.0.0.1"
		}
		addr, err := netip.ParseAddr(listen)
		if err != nil {
			return fmt.Errorf("--listen %q: want an IP address", listen)
		}
		cfg.Listen = netip.AddrPortFrom(addr, cfg.Listen.Port())
	}
	if port >= 0 {
		if port > 65535 {
			return fmt.Errorf("--port %d: want 0 to 65535", port)
		}
		cfg.Listen = netip.AddrPortFrom(cfg.Listen.Addr(), uint16(port))
	}
	runtimeAPI := env.getenv("AWS_LAMBDA_RUNTIME_API")
	cfg.Lambda = runtimeAPI != ""
	if err := cfg.Validate(); err != nil {
		return err
	}

	log := slog.New(slog.DiscardHandler)
	if level, ok := cfg.Level(); ok {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	}
	for _, w := range warnings {
		log.Warn(w[0].(string), w[1:]...)
	}
	awsCfg, err := env.awsConfig(ctx)
	if err != nil {
		return err
	}
	opts := agent.Options{Logger: log}
	if w, err := client.NewWatcher(awsCfg); err == nil {
		opts.Watcher = feedWatcher{w: w, log: log}
	} else {
		log.Warn("not following the server's change feed: cached values refresh only when their TTL ends", "err", err)
	}
	if sealed {
		sealer, err := client.NewMemorySealer()
		if err != nil {
			return fmt.Errorf("sealed cache: %w", err)
		}
		defer sealer.Close()
		if !sealer.Locked() {
			log.Warn("sealed cache: the key could not be locked in memory (mlock); it may be swapped out")
		}
		opts.Sealer = sealer
	}
	ag, err := agent.New(awsCfg, cfg, opts)
	if err != nil {
		return err
	}
	defer ag.Close()
	ln, err := net.Listen("tcp", cfg.Listen.String())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("agent listening", "addr", ln.Addr().String(), "lambda_extension", cfg.Lambda)
	if env.listening != nil {
		env.listening(ln.Addr())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ag.Serve(ctx, ln) }()

	var ext *agent.Extension
	if cfg.Lambda {
		ext = &agent.Extension{RuntimeAPI: runtimeAPI, Name: env.extensionName}
		if err := ext.Register(ctx); err != nil {
			cancel()
			return errors.Join(err, <-served)
		}
		log.Info("registered as a Lambda extension", "name", env.extensionName)
	}
	var ids []string
	if warm != "" {
		ids = strings.Split(warm, ",")
	}
	if len(ids) > 0 || len(tags) > 0 {
		if err := ag.Warm(ctx, ids, tags); err != nil {
			log.Warn("cache warm-up incomplete", "err", err)
		}
	}
	if ext != nil {
		err := ext.Run(ctx)
		if err == nil {
			log.Info("Lambda shutdown")
		} else if ctx.Err() != nil {
			err = nil // stopped by a signal, not by Lambda
		}
		cancel()
		return errors.Join(err, <-served)
	}
	return <-served
}

// feedWatcher follows coffer server's change feed (GET /coffer/v1/watch) so
// the agent drops a rotated secret at once: it is served anew within a
// second of the rotation, whatever the TTL. Against a server without the
// feed (AWS itself), or without secretsmanager:ListSecrets, it backs off
// and the TTL decides, as with the AWS extension.
type feedWatcher struct {
	w   *client.Watcher
	log *slog.Logger
}

func (f feedWatcher) Watch(ctx context.Context, changed func(id string)) error {
	backoff := time.Second
	warned := false
	for {
		cs, _, err := f.w.Next(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if !warned {
				f.log.Warn("cannot follow the server's change feed; values refresh when their TTL ends", "err", err)
				warned = true
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff, warned = time.Second, false
		for _, c := range cs {
			changed(c.Name)
			changed(c.ARN)
			if n := len(c.ARN) - 7; n > 0 && c.ARN[n] == '-' {
				changed(c.ARN[:n]) // the partial ARN a function may ask by
			}
		}
	}
}
