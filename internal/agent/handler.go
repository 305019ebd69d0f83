package agent

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/client"
)

const headerExtensionToken = "X-Aws-Parameters-Secrets-Token"

// Paths of the Lambda extension; the agent's path style is
// Config.PathPrefix + secret id.
const (
	pathPing       = "/ping"
	pathSecret     = "/secretsmanager/get"
	pathParameter  = "/systemsmanager/parameters/get"
	requestTimeout = 61 * time.Second // the agent's bound on one request
)

// ServeHTTP answers one request. The checks run in the agent's order:
// connection cap (429), forwarding (400), token (401 or 403), method (405),
// path (404), query (400); /ping skips the cap and the token.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	route := a.serve(sw, r)
	if a.metrics != nil {
		a.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
	}
	a.log.Info("request", "method", r.Method, "route", route, "status", sw.status, "duration", time.Since(start))
}

// serve answers r and returns the route's name for the log (never the
// secret id, which may itself be sensitive).
func (a *Agent) serve(w *statusWriter, r *http.Request) string {
	path := r.URL.Path
	if path == pathPing {
		if r.Method != http.MethodGet {
			plain(w, http.StatusMethodNotAllowed, "Not allowed")
			return "ping"
		}
		plain(w, http.StatusOK, "healthy")
		return "ping"
	}
	if path == pathMetrics && a.metrics != nil && !strings.HasPrefix(path, a.cfg.PathPrefix) {
		if r.Method != http.MethodGet {
			plain(w, http.StatusMethodNotAllowed, "Not allowed")
			return "metrics"
		}
		a.metrics.handler.ServeHTTP(w, r)
		return "metrics"
	}
	select {
	case a.sem <- struct{}{}:
		defer func() { <-a.sem }()
	default:
		plain(w, http.StatusTooManyRequests, "Connection limit exceeded")
		return "refused"
	}
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		plain(w, http.StatusBadRequest, "Forwarded")
		return "refused"
	}
	if !a.tokenOK(r.Header) {
		if a.refusesWith401(path) {
			plain(w, http.StatusUnauthorized, "Unauthorized")
		} else {
			plain(w, http.StatusForbidden, "Bad Token")
		}
		return "refused"
	}
	if r.Method != http.MethodGet {
		plain(w, http.StatusMethodNotAllowed, "Not allowed")
		return "refused"
	}
	ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
	defer cancel()
	switch {
	case path == pathSecret || path == pathSecret+"/":
		q, ok := a.query(w, r.URL, "secretId", "versionId", "versionStage", "refreshNow", "jsonKey")
		if !ok {
			return "secret"
		}
		if q["secretId"] == "" {
			plain(w, http.StatusBadRequest, "missing parameter secretId")
			return "secret"
		}
		a.getSecret(ctx, w, q["secretId"], q)
		return "secret"
	case path == pathParameter || path == pathParameter+"/":
		q, ok := a.query(w, r.URL, "name", "version", "label", "withDecryption", "refreshNow", "jsonKey")
		if ok {
			a.getParameter(ctx, w, q)
		}
		return "parameter"
	case strings.HasPrefix(path, a.cfg.PathPrefix):
		id := path[len(a.cfg.PathPrefix):]
		q, ok := a.query(w, r.URL, "versionId", "versionStage", "refreshNow", "jsonKey")
		if !ok {
			return "secret_path"
		}
		if id == "" {
			plain(w, http.StatusBadRequest, "missing secret ID")
			return "secret_path"
		}
		a.getSecret(ctx, w, id, q)
		return "secret_path"
	}
	plain(w, http.StatusNotFound, "Not found")
	return "unknown"
}

// tokenOK reports whether one of the token headers holds the token.
func (a *Agent) tokenOK(h http.Header) bool {
	want := []byte(a.cfg.Token.Reveal())
	ok := 0
	for _, name := range a.cfg.TokenHeaders {
		for _, v := range h.Values(name) {
			ok |= subtle.ConstantTimeCompare([]byte(v), want)
		}
	}
	return ok == 1
}

// refusesWith401 reports whether a bad token on path is refused as the
// Lambda extension refuses it (401) rather than as the agent does (403):
// on the extension's parameter path always, on the secret path it shares
// with the agent when running as a Lambda extension.
func (a *Agent) refusesWith401(path string) bool {
	if strings.HasPrefix(path, pathParameter) {
		return true
	}
	return a.cfg.Lambda && strings.HasPrefix(path, pathSecret)
}

// query parses u's query, refusing unknown parameters as the agent does.
// refreshNow, when present, is normalized to "true" or "".
func (a *Agent) query(w http.ResponseWriter, u *url.URL, known ...string) (map[string]string, bool) {
	vals, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		plain(w, http.StatusBadRequest, "malformed query")
		return nil, false
	}
	q := make(map[string]string, len(vals))
	for k, v := range vals {
		if !contains(known, k) {
			plain(w, http.StatusBadRequest, "unknown parameter: "+k)
			return nil, false
		}
		q[k] = v[0]
	}
	if v, ok := q["refreshNow"]; ok {
		switch strings.ToLower(v) {
		case "true", "1":
			q["refreshNow"] = "true"
		case "false", "0":
			q["refreshNow"] = ""
		default:
			plain(w, http.StatusBadRequest, "invalid refreshNow value")
			return nil, false
		}
	}
	return q, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *Agent) getSecret(ctx context.Context, w http.ResponseWriter, id string, q map[string]string) {
	v := client.Version{Stage: q["versionStage"], ID: q["versionId"]}
	if q["refreshNow"] != "" && a.cfg.SecretTTL > 0 && a.cfg.CacheSize > 0 {
		if err := a.secrets.RefreshNow(ctx, id); err != nil {
			a.upstreamError(w, err)
			return
		}
	}
	val, err := a.secrets.GetSecretVersion(ctx, id, v)
	if err != nil {
		a.upstreamError(w, err)
		return
	}
	body := val.RevealBytes()
	key, ok := q["jsonKey"]
	if !ok {
		writeBody(w, body)
		return
	}
	var sb struct{ SecretString *string }
	if err := json.Unmarshal(body, &sb); err != nil || sb.SecretString == nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestException", "jsonKey needs a secret stored as SecretString")
		return
	}
	a.jsonField(w, *sb.SecretString, key)
}

func (a *Agent) getParameter(ctx context.Context, w http.ResponseWriter, q map[string]string) {
	name := q["name"]
	if name == "" {
		plain(w, http.StatusBadRequest, "missing parameter name")
		return
	}
	decrypt := false
	if s, ok := q["withDecryption"]; ok {
		var err error
		if decrypt, err = strconv.ParseBool(s); err != nil {
			plain(w, http.StatusBadRequest, "invalid withDecryption value")
			return
		}
	}
	version, label := q["version"], q["label"]
	switch {
	case version != "" && label != "":
		plain(w, http.StatusBadRequest, "version and label cannot both be given")
		return
	case version != "":
		if _, err := strconv.ParseUint(version, 10, 63); err != nil {
			plain(w, http.StatusBadRequest, "invalid version value")
			return
		}
		name += ":" + version
	case label != "":
		name += ":" + label
	}
	if q["refreshNow"] != "" {
		a.params.Invalidate(name)
	}
	val, err := a.params.GetParameter(ctx, name, decrypt)
	if err != nil {
		a.upstreamError(w, err)
		return
	}
	key, ok := q["jsonKey"]
	if !ok {
		writeBody(w, []byte(val))
		return
	}
	var pb struct{ Parameter struct{ Value string } }
	if err := json.Unmarshal([]byte(val), &pb); err != nil {
		a.upstreamError(w, err)
		return
	}
	a.jsonField(w, pb.Parameter.Value, key)
}

// jsonField writes field key of the JSON object doc as text: a string
// unquoted, anything else as its JSON.
func (a *Agent) jsonField(w http.ResponseWriter, doc, key string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &obj); err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestException", "the value is not a JSON object")
		return
	}
	raw, ok := obj[key]
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidRequestException", "the JSON object has no field "+strconv.Quote(key))
		return
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		raw = []byte(s)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(raw)
}

// upstreamError passes an AWS error through with its status, __type and
// message, as the agent does; a timeout is 504, a network error 502, and
// anything else 500 InternalFailure with the cause in the log.
func (a *Agent) upstreamError(w http.ResponseWriter, err error) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		status := http.StatusBadRequest
		var withStatus interface{ HTTPStatusCode() int }
		if errors.As(err, &withStatus) && withStatus.HTTPStatusCode() != 0 {
			status = withStatus.HTTPStatusCode()
		}
		apiError(w, status, apiErr.ErrorCode(), apiErr.ErrorMessage())
		return
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		apiError(w, http.StatusGatewayTimeout, "TimeoutError", "Timeout")
	case errors.As(err, &netErr):
		a.log.Warn("upstream unreachable", "err", err)
		apiError(w, http.StatusBadGateway, "ConnectionError", "Read Error")
	default:
		a.log.Error("upstream call failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"__type": "InternalFailure"})
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"__type": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func writeBody(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

// statusWriter records the status written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
