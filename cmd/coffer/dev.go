package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/coffer-dev/coffer/internal/rotation/builtin"
	"github.com/coffer-dev/coffer/internal/server"
)

const devWarning = `WARNING: coffer dev is NOT for production. Nothing persists, writes are not
fsync'd, and ANY well-formed SigV4 credentials are accepted as the admin.
`

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.Config{Dev: true}
	var logLevel string
	fs.StringVar(&cfg.Listen, "listen", server.DefaultListen, "loopback address to listen on")
	fs.StringVar(&cfg.Region, "region", server.DefaultRegion, "region for the printed export lines")
	fs.StringVar(&cfg.AccountID, "account-id", "", "12-digit account id in ARNs (default "+server.DefaultAccountID+")")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: coffer dev [flags]\n\n"+devWarning+"\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := resolve(fs, ""); err != nil {
		return err
	}
	if !server.IsLoopback(cfg.Listen) {
		return fmt.Errorf("listen %q: coffer dev serves loopback only", cfg.Listen)
	}
	log, err := newLogger(logLevel, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = log
	cfg.Builtins = builtin.Rotators{}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(stderr, devWarning)
	fmt.Fprintf(stdout, `export AWS_ENDPOINT_URL=%s
export AWS_REGION=%s
export AWS_DEFAULT_REGION=%s
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
`, srv.URL(), cfg.Region, cfg.Region)
	return srv.Run(ctx)
}
