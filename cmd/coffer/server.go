package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/rotation/builtin"
	"github.com/coffer-dev/coffer/internal/server"
	"github.com/coffer-dev/coffer/internal/sts"
)

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	var configPath, logLevel string
	fs.StringVar(&configPath, "config", "", "JSON config file whose keys are these flag names (env COFFER_CONFIG)")
	fs.StringVar(&cfg.DataDir, "data-dir", server.DefaultDataDir, "data directory: root key, database, admin credentials (created 0700)")
	fs.StringVar(&cfg.Listen, "listen", server.DefaultListen, "address to listen on; plain HTTP only on loopback")
	fs.StringVar(&cfg.Region, "region", server.DefaultRegion, "default region shown in hints (each request's SigV4 scope picks its region)")
	fs.StringVar(&cfg.AccountID, "account-id", "", "12-digit account id in ARNs (default "+server.DefaultAccountID+"; fixed at first start)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate file for TLS")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key file for TLS")
	fs.BoolVar(&cfg.TLSSelfSigned, "tls-self-signed", false, "serve TLS with a self-signed certificate kept in the data dir")
	fs.DurationVar(&cfg.PurgeInterval, "purge-interval", 0, "how often secrets past their recovery window are purged (default 1m)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Var(rotationFlag(&cfg.RotationFunctions), "rotation-function", "rotation function RotationLambdaARN can name, repeatable: name=N,url=URL[,signing-key-file=F] | name=N,exec=/PATH | name=N,builtin=B[,opt.KEY=V]; plus read-secret=ARN-PATTERN to let it read another secret")
	fs.DurationVar(&cfg.VersionRetention, "version-retention", 0, "how long versions without staging labels are kept (default 720h = 30 days; negative keeps them)")
	fs.DurationVar(&cfg.RotationStepTimeout, "rotation-step-timeout", 0, "time limit of each rotation step (default 5m)")
	auditOn := fs.Bool("audit", true, "record every request in the hash-chained audit log; --audit=false serves requests unaudited (benchmarks only)")
	fs.StringVar(&cfg.Audit.Dir, "audit-dir", "", "directory of the audit log (default <data-dir>/audit)")
	fs.BoolVar(&cfg.Audit.AppendOnly, "audit-append-only", false, "write the audit log as plain append-only files that tail -f and log shippers can follow (slower per write)")
	fs.BoolVar(&cfg.Audit.Stdout, "audit-stdout", false, "also write every audit event to stdout as a JSON line")
	fs.StringVar(&cfg.Audit.Format, "audit-format", "native", "shape of the stdout and HTTP audit streams: native or cloudtrail")
	fs.StringVar(&cfg.Audit.HTTPURL, "audit-http", "", "also POST audit events in batches to this URL (a SIEM's HTTP collector)")
	fs.Var(headerFlag{&cfg.Audit.HTTPHeaders}, "audit-http-header", `header sent with every audit POST, repeatable: "Authorization: Bearer ..."`)
	fs.BoolVar(&cfg.Audit.HTTPDurable, "audit-http-durable", false, "each request also waits for the SIEM to acknowledge its event")
	fs.Var(alertsFlag{&cfg.Alerts}, "alerts", `alert rules and webhook as JSON, e.g. {"webhook":{"url":"https://..."}} (see docs/alerts.md; default: every rule on, alerts to the log)`)
	fs.Var(oidcFlag(&cfg.OIDCProviders), "oidc-provider", "trusted OIDC issuer for AssumeRoleWithWebIdentity, repeatable: issuer=URL,jwks-url=URL|jwks-file=PATH,audience=A")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := resolve(fs, configFlag(configPath)); err != nil {
		return err
	}
	log, err := newLogger(logLevel, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	cfg.Audit.Disabled = !*auditOn
	cfg.Builtins = builtin.Rotators{}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	creds, _ := filepath.Abs(srv.CredentialsPath())
	if srv.Initialized() {
		fmt.Fprintf(stdout, "Initialised a new Coffer data dir at %s (root key, database, admin credentials).\n", cfg.DataDir)
	}
	fmt.Fprintf(stdout, `Coffer is serving the AWS Secrets Manager API at %s (account %s).
Use it with the admin credentials from any AWS SDK or the aws CLI:

  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s AWS_ENDPOINT_URL=%s
  aws secretsmanager list-secrets

(The aws CLI v1 and boto3 read AWS_DEFAULT_REGION; the Go, JavaScript and Java SDKs and CLI v2 read AWS_REGION.)
`, srv.URL(), srv.Account(), creds, cfg.Region, cfg.Region, srv.URL())
	return srv.Run(ctx)
}

// listFlag collects a repeatable flag's values, each parsed by parse and
// shown by name. From the environment or the config file, several values
// are separated by ";".
type listFlag[T any] struct {
	items *[]T
	parse func(string) (T, error)
	name  func(T) string
}

func (f listFlag[T]) String() string {
	if f.items == nil {
		return ""
	}
	var names []string
	for _, it := range *f.items {
		names = append(names, f.name(it))
	}
	return strings.Join(names, ";")
}

func (f listFlag[T]) Set(v string) error {
	for one := range strings.SplitSeq(v, ";") {
		if strings.TrimSpace(one) == "" {
			continue
		}
		it, err := f.parse(one)
		if err != nil {
			return err
		}
		*f.items = append(*f.items, it)
	}
	return nil
}

func oidcFlag(ps *[]sts.OIDCProvider) listFlag[sts.OIDCProvider] {
	return listFlag[sts.OIDCProvider]{ps, sts.ParseOIDCProvider, func(p sts.OIDCProvider) string { return p.Issuer }}
}

func rotationFlag(fns *[]server.RotationFunction) listFlag[server.RotationFunction] {
	return listFlag[server.RotationFunction]{fns, parseRotationFunction, func(f server.RotationFunction) string { return f.Name }}
}

// parseRotationFunction parses name=N,url=U | exec=PATH | builtin=B with
// signing-key-file=, read-secret= (repeatable) and opt.KEY=VALUE.
func parseRotationFunction(spec string) (server.RotationFunction, error) {
	var fn server.RotationFunction
	for part := range strings.SplitSeq(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || v == "" {
			return fn, fmt.Errorf("rotation function %q: %q is not KEY=VALUE", spec, part)
		}
		switch {
		case k == "name":
			fn.Name = v
		case k == "url":
			fn.URL = v
		case k == "exec":
			fn.Command = []string{v}
		case k == "builtin":
			fn.Builtin = v
		case k == "signing-key-file":
			fn.SigningKeyFile = v
		case k == "read-secret":
			fn.ReadSecrets = append(fn.ReadSecrets, v)
		case strings.HasPrefix(k, "opt."):
			if fn.Options == nil {
				fn.Options = map[string]string{}
			}
			fn.Options[strings.TrimPrefix(k, "opt.")] = v
		default:
			return fn, fmt.Errorf("rotation function %q: unknown key %q", spec, k)
		}
	}
	if fn.Name == "" {
		return fn, fmt.Errorf("rotation function %q: name= is required", spec)
	}
	return fn, nil
}

// alertsFlag parses the alerts configuration (JSON).
type alertsFlag struct{ cfg *alert.Config }

func (f alertsFlag) String() string { return "" }

func (f alertsFlag) Set(v string) error {
	c, err := alert.ParseConfig([]byte(v))
	if err != nil {
		return err
	}
	*f.cfg = c
	return nil
}

// headerFlag collects "Name: value" headers; from the environment or the
// config file several are separated by ";".
type headerFlag struct{ h *map[string]string }

func (f headerFlag) String() string { return "" }

func (f headerFlag) Set(v string) error {
	for one := range strings.SplitSeq(v, ";") {
		if strings.TrimSpace(one) == "" {
			continue
		}
		name, value, ok := strings.Cut(one, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("header %q: want \"Name: value\"", one)
		}
		if *f.h == nil {
			*f.h = map[string]string{}
		}
		(*f.h)[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return nil
}
