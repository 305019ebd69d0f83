package main_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// newToken returns a random ClientRequestToken shaped as the SDKs make
// them (a UUID).
func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// put is one PutSecretValue a writer sent.
type put struct{ token, value string }

// writer puts values into one secret, one request at a time, and records
// what the server acknowledged.
type writer struct {
	secret string
	acked  []put // in order
	failed *put  // the request that failed; it may or may not have committed
}

// TestAcknowledgedWritesSurviveKill9MidWrite puts values from several
// goroutines, kills the server with SIGKILL while they are still writing,
// restarts it on the same data dir and checks every acknowledged version.
// Six secrets have one writer each, so their AWSCURRENT must be the last
// acknowledged put or the one in flight at the kill; a seventh has three
// writers racing on it.
func TestAcknowledgedWritesSurviveKill9MidWrite(t *testing.T) {
	t.Parallel()
	const (
		soloSecrets   = 6
		sharedWriters = 3
		wantAcks      = 200
		maxPerWriter  = 80 // below the 100 versions a secret keeps
	)
	dir := newDataDir(t)
	srv := startServer(t, dir)
	c := srv.client(t)
	ctx := testContext(t)

	var writers []*writer
	for i := range soloSecrets {
		writers = append(writers, &writer{secret: fmt.Sprintf("crash/solo-%d", i)})
	}
	for range sharedWriters {
		writers = append(writers, &writer{secret: "crash/shared"})
	}
	for _, name := range []string{"crash/solo-0", "crash/solo-1", "crash/solo-2", "crash/solo-3", "crash/solo-4", "crash/solo-5", "crash/shared"} {
		if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name)}); err != nil {
			t.Fatalf("CreateSecret(%s): %v", name, err)
		}
	}

	var acks atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Go(func() {
			for n := range maxPerWriter {
				p := put{token: newToken(), value: fmt.Sprintf("writer %d put %d %s", i, n, rand.Text())}
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
					SecretId: aws.String(w.secret), ClientRequestToken: aws.String(p.token), SecretString: aws.String(p.value),
				})
				if err != nil {
					w.failed = &p
					return
				}
				w.acked = append(w.acked, p)
				if acks.Add(1) >= wantAcks {
					once.Do(func() { close(enough) })
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(20 * time.Second):
		srv.kill(t)
		wg.Wait()
		t.Fatalf("only %d puts acknowledged within 20 s, want %d", acks.Load(), wantAcks)
	}
	srv.kill(t)
	wg.Wait()
	inFlight := 0
	for _, w := range writers {
		if w.failed != nil {
			inFlight++
		}
	}
	if inFlight == 0 {
		t.Fatalf("every writer finished its %d puts before the kill; the kill hit no write", maxPerWriter)
	}
	t.Logf("%d puts acknowledged, %d in flight at the kill", acks.Load(), inFlight)

	srv = startServer(t, dir)
	c = srv.client(t)
	bySecret := map[string][]*writer{}
	for _, w := range writers {
		bySecret[w.secret] = append(bySecret[w.secret], w)
	}
	for name, ws := range bySecret {
		// Every version listed must be one a writer sent.
		sent := map[string]string{}
		for _, w := range ws {
			for _, p := range w.acked {
				sent[p.token] = p.value
			}
			if w.failed != nil {
				sent[w.failed.token] = w.failed.value
			}
		}
		for _, w := range ws {
			for _, p := range w.acked {
				out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionId: aws.String(p.token)})
				if err != nil {
					t.Fatalf("after restart, GetSecretValue(%s, VersionId %s) of an acknowledged put: %v", name, p.token, err)
				}
				if got := aws.ToString(out.SecretString); got != p.value {
					t.Fatalf("after restart, GetSecretValue(%s, VersionId %s) = %q, want %q", name, p.token, got, p.value)
				}
			}
		}
		stages := versionStages(t, c, name)
		var current, previous []string
		for id, st := range stages {
			if _, ok := sent[id]; !ok {
				t.Errorf("%s has version %s that no writer sent", name, id)
			}
			if slices.Contains(st, "AWSCURRENT") {
				current = append(current, id)
			}
			if slices.Contains(st, "AWSPREVIOUS") {
				previous = append(previous, id)
			}
		}
		if len(current) != 1 || len(previous) > 1 {
			t.Fatalf("%s: AWSCURRENT on %q and AWSPREVIOUS on %q, want exactly one and at most one", name, current, previous)
		}
		cur, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
		if err != nil {
			t.Fatalf("GetSecretValue(%s): %v", name, err)
		}
		if got := aws.ToString(cur.SecretString); got != sent[current[0]] {
			t.Fatalf("%s AWSCURRENT value = %q, want %q as sent for version %s", name, got, sent[current[0]], current[0])
		}
		if len(ws) != 1 {
			continue
		}
		// One writer: its puts are ordered, so the current version is the
		// last acknowledged or the one in flight, and the previous one is
		// the put before it.
		w := ws[0]
		seq := w.acked
		if w.failed != nil && current[0] == w.failed.token {
			seq = append(slices.Clone(seq), *w.failed)
		}
		if len(seq) < 2 || current[0] != seq[len(seq)-1].token {
			t.Fatalf("%s AWSCURRENT = %s, want the last acknowledged put %s or the one in flight", name, current[0], w.acked[len(w.acked)-1].token)
		}
		if want := seq[len(seq)-2].token; len(previous) != 1 || previous[0] != want {
			t.Fatalf("%s AWSPREVIOUS = %q, want %s (the put before the current one)", name, previous, want)
		}
	}

	// What a client does next: retry the put that failed, with its token.
	// Whether or not it committed before the kill, the retry succeeds and
	// the version then holds the value; a single writer's retry is current.
	// Reusing an acknowledged token for another value is refused.
	for _, w := range writers {
		if w.failed == nil {
			continue
		}
		p := *w.failed
		if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(w.secret), ClientRequestToken: aws.String(p.token), SecretString: aws.String(p.value),
		}); err != nil {
			t.Fatalf("retrying the put in flight at the kill (%s, token %s): %v", w.secret, p.token, err)
		}
		got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(w.secret), VersionId: aws.String(p.token)})
		if err != nil || aws.ToString(got.SecretString) != p.value {
			t.Fatalf("after the retry, GetSecretValue(%s, VersionId %s) = %v, %v; want %q", w.secret, p.token, got, err, p.value)
		}
		if len(bySecret[w.secret]) == 1 && !slices.Contains(got.VersionStages, "AWSCURRENT") {
			t.Fatalf("after the retry, %s version %s has stages %q, want AWSCURRENT", w.secret, p.token, got.VersionStages)
		}
	}
	w := writers[0]
	_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(w.secret), ClientRequestToken: aws.String(w.acked[0].token), SecretString: aws.String("another value"),
	})
	if _, ok := errors.AsType[*types.ResourceExistsException](err); !ok {
		t.Fatalf("PutSecretValue reusing an acknowledged token for another value: %v, want ResourceExistsException", err)
	}
	srv.stop(t)
}

// versionStages lists every version of a secret with its stages.
func versionStages(t *testing.T, c *secretsmanager.Client, name string) map[string][]string {
	t.Helper()
	stages := map[string][]string{}
	p := secretsmanager.NewListSecretVersionIdsPaginator(c, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String(name), IncludeDeprecated: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(testContext(t))
		if err != nil {
			t.Fatalf("ListSecretVersionIds(%s): %v", name, err)
		}
		for _, v := range page.Versions {
			stages[aws.ToString(v.VersionId)] = v.VersionStages
		}
	}
	return stages
}
