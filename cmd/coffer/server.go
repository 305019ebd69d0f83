package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

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
	fs.Var(oidcFlag{&cfg.OIDCProviders}, "oidc-provider", "trusted OIDC issuer for AssumeRoleWithWebIdentity, repeatable: issuer=URL,jwks-url=URL|jwks-file=PATH,audience=A")
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

// oidcFlag collects repeated --oidc-provider values. From COFFER_OIDC_PROVIDER
// or the config file, several providers are separated by ";".
type oidcFlag struct{ ps *[]sts.OIDCProvider }

func (f oidcFlag) String() string {
	if f.ps == nil {
		return ""
	}
	var names []string
	for _, p := range *f.ps {
		names = append(names, p.Issuer)
	}
	return strings.Join(names, ";")
}

func (f oidcFlag) Set(v string) error {
	for _, one := range strings.Split(v, ";") {
		if strings.TrimSpace(one) == "" {
			continue
		}
		p, err := sts.ParseOIDCProvider(one)
		if err != nil {
			return err
		}
		*f.ps = append(*f.ps, p)
	}
	return nil
}
