// Command profserver runs the Coffer server exactly as `coffer server`
// wires it (server.New with a text logger at info on stderr, real fsync,
// real SigV4) and records a CPU profile of the server process alone, so
// that the profile holds no load-generator frames.
//
// Profiling starts on SIGUSR1 and stops, writing -cpuprofile, on SIGUSR2
// (or at exit): the benchmark brackets its measured window with them, so
// start-up and warm-up stay out of the profile. It prints "profserver
// serving at URL" on stdout once it listens.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"

	"github.com/coffer-dev/coffer/internal/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "profserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("profserver", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "data directory (required)")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	out := fs.String("cpuprofile", "", "where to write the CPU profile (required)")
	auditOn := fs.Bool("audit", true, "record every request in the audit log, as coffer server does by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dataDir == "" || *out == "" {
		return fmt.Errorf("-data-dir and -cpuprofile are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	p := &profile{f: f}
	defer p.stop() // on the error paths; Run's path reports its error
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sig {
			var err error
			if s == syscall.SIGUSR1 {
				err = p.start()
			} else {
				err = p.stop()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "profserver:", err)
			}
		}
	}()

	srv, err := server.New(ctx, server.Config{
		DataDir: *dataDir, Listen: *listen, Audit: server.AuditConfig{Disabled: !*auditOn},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	fmt.Printf("profserver serving at %s\n", srv.URL())
	err = srv.Run(ctx)
	if perr := p.stop(); err == nil {
		err = perr
	}
	return err
}

// profile is a CPU profile that can be started and stopped once each. The
// file is created up front, so that starting costs no file-system work.
type profile struct {
	mu      sync.Mutex
	f       *os.File
	started bool
}

func (p *profile) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.f == nil {
		return nil
	}
	p.started = true
	return pprof.StartCPUProfile(p.f)
}

// stop ends the profile and closes the file; it is safe to call twice.
func (p *profile) stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return nil
	}
	if p.started {
		pprof.StopCPUProfile()
	}
	err := p.f.Close()
	p.f = nil
	return err
}
