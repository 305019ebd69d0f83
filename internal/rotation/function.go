package rotation

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Credentials are short-lived AWS credentials scoped to the one secret
// being rotated.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expires         time.Time
}

// Invocation is one call of a rotation function: the event and what the
// function needs to reach Coffer.
type Invocation struct {
	Event       Event
	Region      string
	Credentials Credentials
	// Endpoint is Coffer's URL (for executables); CABundle, if set, is a
	// PEM file that verifies it.
	Endpoint string
	CABundle string
	// HTTPClient reaches Coffer in-process (for built-in rotators).
	HTTPClient *http.Client
}

// Function is a registered rotation function.
type Function interface {
	Invoke(ctx context.Context, inv Invocation) error
}

// HTTPFunction posts the event as JSON to a URL - a function URL, an
// OpenFaaS, Knative or Cloud Run service - where an AWS-style rotation
// handler runs. Each call is signed (see Sign) so the function can tell
// Coffer made it; the function reaches Coffer with its own credentials.
type HTTPFunction struct {
	URL        string
	SigningKey []byte // HMAC-SHA256 key shared with the function; may be empty
	Client     *http.Client
}

// Signature headers on calls to HTTP functions.
const (
	SignatureHeader = "X-Coffer-Signature" // t=<unix seconds>,v1=<hex HMAC-SHA256(key, t + "." + body)>
	StepHeader      = "X-Coffer-Rotation-Step"
)

// Sign returns the SignatureHeader value for body at t.
func Sign(key, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a SignatureHeader value for body with key,
// accepting timestamps within maxSkew of now. Functions written in Go can
// use it; docs/rotation.md shows the same check in Python.
func VerifySignature(key, body []byte, header string, now time.Time, maxSkew time.Duration) bool {
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return false
	}
	t := time.Unix(sec, 0)
	if t.Before(now.Add(-maxSkew)) || t.After(now.Add(maxSkew)) {
		return false
	}
	want := Sign(key, body, t)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig))
}

// Invoke posts the event and succeeds on a 2xx answer without an
// X-Amz-Function-Error header.
func (f *HTTPFunction) Invoke(ctx context.Context, inv Invocation) error {
	body, err := json.Marshal(inv.Event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "coffer-rotation/1")
	req.Header.Set(StepHeader, inv.Event.Step)
	if len(f.SigningKey) > 0 {
		req.Header.Set(SignatureHeader, Sign(f.SigningKey, body, time.Now()))
	}
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // without the URL, which may carry a credential
		}
		return fmt.Errorf("call rotation function: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 || resp.Header.Get("X-Amz-Function-Error") != "" {
		return fmt.Errorf("rotation function answered %d: %s", resp.StatusCode, snippet(msg))
	}
	return nil
}

// ExecFunction runs a local executable per step with the event as JSON on
// stdin and short-lived credentials scoped to the secret in the standard
// AWS environment variables, so an unmodified SDK or boto3 handler works.
// Exit status 0 is success.
type ExecFunction struct {
	Command []string // path and arguments
	Env     []string // extra environment (NAME=value); nothing else is inherited but PATH, HOME, TMPDIR
}

// Invoke runs the command once; it is killed (its whole process group)
// when ctx ends.
func (f *ExecFunction) Invoke(ctx context.Context, inv Invocation) error {
	if len(f.Command) == 0 {
		return errors.New("rotation function has no command")
	}
	body, err := json.Marshal(inv.Event)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, f.Command[0], f.Command[1:]...)
	cmd.Stdin = bytes.NewReader(body)
	var stderr tailBuffer
	cmd.Stderr = &stderr
	killGroupOnCancel(cmd)
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = execEnv(f.Env, inv)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("rotation function timed out: %w", ctx.Err())
		}
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			return fmt.Errorf("rotation function exited with status %d: %s", ee.ExitCode(), snippet(stderr.lastLine()))
		}
		return fmt.Errorf("run rotation function: %w", err)
	}
	return nil
}

func execEnv(extra []string, inv Invocation) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, extra...)
	c := inv.Credentials
	env = append(env,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
		"AWS_SESSION_TOKEN="+c.SessionToken,
		"AWS_REGION="+inv.Region,
		"AWS_DEFAULT_REGION="+inv.Region,
		"AWS_ENDPOINT_URL="+inv.Endpoint,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER="+inv.Endpoint,
		"SECRETS_MANAGER_ENDPOINT="+inv.Endpoint, // read by AWS's rotation templates
	)
	if inv.CABundle != "" {
		env = append(env, "AWS_CA_BUNDLE="+inv.CABundle)
	}
	return env
}

// BuiltinFunc is a rotator compiled into Coffer: it handles one step
// through an AWS SDK client, exactly like a rotation Lambda.
type BuiltinFunc func(ctx context.Context, client *sm.Client, ev Event) error

// BuiltinFunction runs a BuiltinFunc with an SDK client that reaches
// Coffer in-process with the invocation's scoped credentials.
type BuiltinFunction struct{ Func BuiltinFunc }

// Invoke calls the rotator for one step.
func (f *BuiltinFunction) Invoke(ctx context.Context, inv Invocation) error {
	c := inv.Credentials
	client := sm.New(sm.Options{
		Region:       inv.Region,
		BaseEndpoint: aws.String(inv.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		HTTPClient:   inv.HTTPClient,
	})
	return f.Func(ctx, client, inv.Event)
}

// snippet makes a function's message safe for a log line and DescribeSecret:
// printable, one line, at most 256 bytes.
func snippet(b []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, strings.TrimSpace(string(b)))
	if len(s) > 256 {
		s = s[:256] + "..."
	}
	if s == "" {
		s = "(no message)"
	}
	return s
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = append(t.b[:0], t.b[len(t.b)-4096:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) lastLine() []byte {
	b := bytes.TrimRight(t.b, "\r\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return b
}
