package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// payload is the JSON body POSTed to the webhook: the alert's fields at
// the top level, plus a one-line text that chat webhooks (Slack,
// Mattermost) show as is.
type payload struct {
	Text   string `json:"text"`
	Source string `json:"source"` // always "coffer"
	Alert
}

func newPayload(a Alert) payload {
	who := a.Principal
	if who == "" {
		who = "unauthenticated " + a.SourceIP
	}
	var b strings.Builder
	fmt.Fprintf(&b, "coffer alert %s: %s: %s", a.Rule, who, a.Message)
	if a.Resource != "" {
		fmt.Fprintf(&b, " (%s)", a.Resource)
	}
	fmt.Fprintf(&b, "; %d between %s and %s", a.Count, a.First.UTC().Format(time.RFC3339), a.Last.UTC().Format(time.RFC3339))
	return payload{Text: b.String(), Source: "coffer", Alert: a}
}

// deliver posts the alerts handed to it until ctx ends; the ones still
// queued then count as failed (they were logged when emitted).
func (e *Engine) deliver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case <-e.deliveries:
					e.failed.Add(1)
					e.settle()
				default:
					return
				}
			}
		case a := <-e.deliveries:
			e.post(ctx, a)
			e.settle()
		}
	}
}

// post sends a to the webhook, retrying failures that may pass (network
// errors, timeouts, 408, 429 and 5xx) with doubling backoff, at most
// Webhook.Attempts times in all.
func (e *Engine) post(ctx context.Context, a Alert) {
	w := &e.cfg.Webhook
	body, err := json.Marshal(newPayload(a))
	if err != nil {
		panic(fmt.Sprintf("alert: encode webhook payload: %v", err)) // only strings, ints and times
	}
	backoff := time.Duration(w.Backoff)
	for attempt := 1; ; attempt++ {
		err := e.postOnce(ctx, body)
		if err == nil {
			e.delivered.Add(1)
			return
		}
		_, permanent := errors.AsType[*permanentError](err)
		if attempt >= w.Attempts || permanent || ctx.Err() != nil {
			e.failed.Add(1)
			e.log.Error("alert webhook gave up", "rule", a.Rule, "principal", a.Principal, "attempts", attempt, "err", err)
			return
		}
		e.log.Warn("alert webhook failed; retrying", "rule", a.Rule, "principal", a.Principal, "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			e.failed.Add(1)
			return
		case <-e.after(backoff):
		}
		backoff = min(2*backoff, time.Duration(w.MaxBackoff))
	}
}

// permanentError is a webhook answer that retrying will not change.
type permanentError struct{ status int }

func (e *permanentError) Error() string { return fmt.Sprintf("webhook answered %d", e.status) }

// postOnce makes one attempt. Its errors never include the webhook URL,
// whose path may itself be a credential (Slack's is).
func (e *Engine) postOnce(ctx context.Context, body []byte) error {
	w := &e.cfg.Webhook
	ctx, cancel := context.WithTimeout(ctx, time.Duration(w.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("webhook request cannot be made from the configured URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "coffer-alert")
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // the url.Error's message holds the URL
		}
		return fmt.Errorf("post to webhook: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return fmt.Errorf("webhook answered %d", s)
	default:
		return &permanentError{status: s}
	}
}
