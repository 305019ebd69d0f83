package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// TestRunWatchRestartsOnRotation rotates a secret under coffer run --watch:
// the command is restarted with the new value, which is masked too.
func TestRunWatchRestartsOnRotation(t *testing.T) {
	f := newFixture(t)
	old := f.want["plain"]
	p := startRun(t, f.srv, []string{"SECRET=coffer://plain"}, append([]string{"--watch"}, selfChild(t, "shablock", "SECRET")...)...)
	p.stdout.waitFor(t, "SECRET="+sha(old)+"\n")

	rotated := randomValue(t, "rotated")
	if _, err := f.sm.PutSecretValue(t.Context(), &sm.PutSecretValueInput{SecretId: aws.String("plain"), SecretString: aws.String(rotated)}); err != nil {
		t.Fatal(err)
	}
	p.stdout.waitFor(t, "SECRET="+sha(rotated)+"\n")
	p.stderr.waitFor(t, "restarting the command")
	if out, _ := p.stdout.snapshot(); strings.Contains(out, rotated) || strings.Contains(out, old) || strings.Count(out, "raw *****\n") != 2 {
		t.Errorf("the values are not masked before and after the restart:\n%s", out)
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d after stdin closed, want 0; stderr: %s", code, p.stderr.buf.String())
	}
}

// TestRunWatchPollsParameters changes a parameter, which the change feed
// does not carry: --watch-poll finds it.
func TestRunWatchPollsParameters(t *testing.T) {
	f := newFixture(t)
	p := startRun(t, f.srv, []string{"URL={{resolve:ssm:/app/url}}"},
		append([]string{"--watch", "--watch-poll", "100ms"}, selfChild(t, "shablock", "URL")...)...)
	p.stdout.waitFor(t, "URL="+sha("https://example.com/x")+"\n")
	if _, err := f.ssm.PutParameter(t.Context(), &ssm.PutParameterInput{
		Name: aws.String("/app/url"), Value: aws.String("https://example.com/y"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	p.stdout.waitFor(t, "URL="+sha("https://example.com/y")+"\n")
	p.wait(t)
}

// TestRunWatchSignal sends the named signal instead of restarting; the
// command's own exit status still passes through.
func TestRunWatchSignal(t *testing.T) {
	f := newFixture(t)
	p := startRun(t, f.srv, []string{"SECRET=coffer://plain"}, append([]string{"--watch=signal:HUP"}, selfChild(t, "trap")...)...)
	p.stdout.waitFor(t, "ready\n")
	rotated := randomValue(t, "rotated")
	if _, err := f.sm.PutSecretValue(t.Context(), &sm.PutSecretValueInput{SecretId: aws.String("plain"), SecretString: aws.String(rotated)}); err != nil {
		t.Fatal(err)
	}
	p.stdout.waitFor(t, "got "+syscall.SIGHUP.String())
	if code := p.wait(t); code != 7 {
		t.Errorf("exit %d, want the command's 7", code)
	}
}

func TestRunWatchPassesExitStatus(t *testing.T) {
	f := newFixture(t)
	if code := startRun(t, f.srv, []string{"SECRET=coffer://plain"}, append([]string{"--watch"}, selfChild(t, "exit", "42")...)...).wait(t); code != 42 {
		t.Errorf("exit status = %d, want the child's 42", code)
	}
	p := startRun(t, f.srv, nil, append([]string{"--watch", "--no-mask"}, selfChild(t, "exit", "0")...)...)
	if code := p.wait(t); code != exitRunFailed || !strings.Contains(p.stderr.buf.String(), "--no-mask") {
		t.Errorf("--watch --no-mask: exit %d, stderr %q; want it refused", code, p.stderr.buf.String())
	}
	for _, bad := range []string{"--watch=signal:NOPE", "--watch=sometimes"} {
		if code := startRun(t, f.srv, nil, append([]string{bad}, selfChild(t, "exit", "0")...)...).wait(t); code != exitRunFailed {
			t.Errorf("%s: exit %d, want %d", bad, code, exitRunFailed)
		}
	}
}
