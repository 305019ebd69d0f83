package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The Lambda Extensions API: an external extension registers, then asks
// for its next event in a loop; Lambda finishes the function's init once
// every extension has asked, so the agent listens before it does.

// Extension is the agent's side of the Lambda Extensions API at
// AWS_LAMBDA_RUNTIME_API.
type Extension struct {
	RuntimeAPI string       // host:port, from AWS_LAMBDA_RUNTIME_API
	Name       string       // the executable's file name, as Lambda requires
	HTTPClient *http.Client // default: a client without timeout (event/next blocks)

	id string // Lambda-Extension-Identifier, from Register
}

const extensionAPI = "/2020-01-01/extension"

// Register registers the extension for SHUTDOWN and INVOKE events.
func (e *Extension) Register(ctx context.Context) error {
	body, _ := json.Marshal(map[string][]string{"events": {"INVOKE", "SHUTDOWN"}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.RuntimeAPI+extensionAPI+"/register", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("register lambda extension: %w", err)
	}
	req.Header.Set("Lambda-Extension-Name", e.Name)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client().Do(req)
	if err != nil {
		return fmt.Errorf("register lambda extension: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("register lambda extension: status %s", resp.Status)
	}
	e.id = resp.Header.Get("Lambda-Extension-Identifier")
	if e.id == "" {
		return fmt.Errorf("register lambda extension: no Lambda-Extension-Identifier in the response")
	}
	return nil
}

// Run asks for events until SHUTDOWN (it then returns nil) or ctx ends.
func (e *Extension) Run(ctx context.Context) error {
	for {
		event, err := e.next(ctx)
		if err != nil {
			return err
		}
		if event == "SHUTDOWN" {
			return nil
		}
	}
}

func (e *Extension) next(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.RuntimeAPI+extensionAPI+"/event/next", nil)
	if err != nil {
		return "", fmt.Errorf("next lambda event: %w", err)
	}
	req.Header.Set("Lambda-Extension-Identifier", e.id)
	resp, err := e.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("next lambda event: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("next lambda event: status %s", resp.Status)
	}
	var ev struct {
		EventType string `json:"eventType"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ev); err != nil {
		return "", fmt.Errorf("next lambda event: decode: %w", err)
	}
	return ev.EventType, nil
}

func (e *Extension) client() *http.Client {
	if e.HTTPClient != nil {
		return e.HTTPClient
	}
	return &http.Client{}
}
