// Command coffer is the Coffer secrets manager: the server, and (as later
// issues land) the CLI, the function-side agent and the env injector.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if e, ok := errors.AsType[*exitStatus](err); ok {
		os.Exit(e.ExitCode()) // coffer run: the command's status; messages are printed
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coffer:", err)
		os.Exit(1)
	}
}

const usage = `Coffer: a self-hosted secrets manager that speaks the AWS Secrets Manager API.

Usage:
  coffer server [flags]   run the server (persistent, in ./coffer-data by default)
  coffer dev [flags]      run an ephemeral loopback server for tests and laptops (NOT for production)
  coffer secret get|put|list   read, write and list secrets from scripts (values via stdin, never argv)
  coffer user create      create a user with an access key (and a policy to read given secrets)
  coffer role create      create a role for a function (and a policy to read given secrets)
  coffer run -- CMD       run CMD with the secret references in its environment resolved
  coffer import FILE      move hard-coded secrets of a serverless.yml, template or .env into Coffer
  coffer agent [flags]    serve cached secrets to local processes (Lambda extension and AWS agent compatible)
  coffer audit verify|query|unused|pubkey|hmac   check, search and match the audit log; narrow policies from it
  coffer version          print the version

Run "coffer <command> -h" for a command's flags.
`

// run is main without the exit: it dispatches to a subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "server":
		return runServer(ctx, args[1:], stdout, stderr)
	case "dev":
		return runDev(ctx, args[1:], stdout, stderr)
	case "secret":
		return runSecret(ctx, args[1:], stdin, stdout, stderr)
	case "user":
		return runUser(ctx, args[1:], stdout, stderr)
	case "role":
		return runRole(ctx, args[1:], stdout, stderr)
	case "run":
		return runRun(ctx, args[1:], stdin, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], stdout, stderr)
	case "agent":
		return runAgent(ctx, args[1:], processAgentEnv(), stderr)
	case "audit":
		return runAudit(ctx, args[1:], stdin, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
