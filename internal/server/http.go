package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/sigv4"
)

// Event is what the server tells the Auditor about one API request. It
// never holds a request body, a value, a signature or a token.
type Event struct {
	Time      time.Time
	RequestID string
	Principal iam.Principal
	SourceIP  string
	UserAgent string
	Region    string
	Service   string
	Operation string
	Status    int
	ErrorCode string
	Duration  time.Duration
}

// Auditor records events. If Record fails, the request fails: Coffer never
// serves an unaudited response.
type Auditor interface {
	Record(ctx context.Context, e *Event) error
}

// ServeHTTP is the request path every API shares.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	ev := &Event{Time: start, RequestID: id, SourceIP: sourceIP(r), UserAgent: r.UserAgent()}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "request_id", id, "panic", p, "stack", string(debug.Stack()))
			awsproto.WriteError(w, &awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError})
		}
	}()
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
		return
	}
	out, aerr := s.serveAPI(r, ev)
	ev.Duration = time.Since(start)
	if aerr != nil {
		ev.Status, ev.ErrorCode = aerr.Status, aerr.Type
	} else {
		ev.Status = http.StatusOK
	}
	if s.cfg.Auditor != nil && ev.Operation != "" {
		if err := s.cfg.Auditor.Record(r.Context(), ev); err != nil {
			s.log.Error("audit record failed; refusing the request", "request_id", id, "err", err)
			aerr, out = &awsproto.Error{Type: "InternalServiceError", Message: "The request could not be audited, so it was refused.", Status: http.StatusInternalServerError}, nil
		}
	}
	if aerr != nil {
		awsproto.WriteError(w, aerr)
	} else if err := awsproto.WriteJSON(w, out); err != nil {
		s.log.Error("write response", "request_id", id, "err", err)
	}
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("request_id", id), slog.String("op", ev.Operation), slog.Int("status", ev.Status),
			slog.String("error_code", ev.ErrorCode), slog.String("access_key_id", ev.Principal.AccessKeyID),
			slog.Duration("duration", ev.Duration))
	}
}

// serveAPI authenticates, routes and runs one API request.
func (s *Server) serveAPI(r *http.Request, ev *Event) (any, *awsproto.Error) {
	if r.Method != http.MethodPost {
		return nil, &awsproto.Error{Type: "UnknownOperationException", Message: "", Status: http.StatusNotFound}
	}
	body, aerr := s.readBody(r)
	if aerr != nil {
		return nil, aerr
	}
	cred, err := s.verifier.Verify(r.Context(), r, body)
	if err != nil {
		return nil, authError(err)
	}
	target := r.Header.Get("X-Amz-Target")
	prefix, _, _ := strings.Cut(target, ".")
	mux, ok := s.muxes[prefix]
	if !ok {
		return nil, &awsproto.Error{Type: "UnknownOperationException", Message: "", Status: http.StatusBadRequest}
	}
	op, name, aerr := mux.Lookup(target)
	if aerr != nil {
		return nil, aerr
	}
	if cred.Service != prefix {
		return nil, &awsproto.Error{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: "Credential should be scoped to correct service: '" + prefix + "'. "}
	}
	if !validRegion(cred.Region) {
		return nil, &awsproto.Error{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: "Credential should be scoped to a valid region. "}
	}
	principal, err := s.iam.Principal(r.Context(), cred.AccessKeyID)
	if errors.Is(err, iam.ErrUnknownAccessKey) && s.cfg.Dev {
		principal, err = s.iam.AdminPrincipal(cred.AccessKeyID), nil
	}
	if err != nil {
		s.log.Error("resolve principal", "request_id", ev.RequestID, "err", err)
		return nil, &awsproto.Error{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
	}
	principal.SessionToken = cred.SessionToken
	ev.Principal, ev.Region, ev.Service, ev.Operation = principal, cred.Region, prefix, name
	info := &request.Info{
		ID: ev.RequestID, Principal: principal, Region: cred.Region,
		SourceIP: ev.SourceIP, UserAgent: ev.UserAgent, SecureTransport: r.TLS != nil,
	}
	out, err := op(request.With(r.Context(), info), body)
	if err != nil {
		if ae, ok := errors.AsType[*awsproto.Error](err); ok {
			return nil, ae
		}
		s.log.Error("unmapped error", "request_id", ev.RequestID, "op", name, "err", err)
		return nil, &awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
	}
	return out, nil
}

func (s *Server) readBody(r *http.Request) ([]byte, *awsproto.Error) {
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, tooLarge(s.cfg.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, tooLarge(s.cfg.MaxBodyBytes)
		}
		return nil, &awsproto.Error{Type: "SerializationException", Message: "Could not read the request body.", Status: http.StatusBadRequest}
	}
	return body, nil
}

func tooLarge(limit int64) *awsproto.Error {
	return &awsproto.Error{Type: "RequestEntityTooLargeException", Message: "Request body must be no larger than " + strconv.FormatInt(limit, 10) + " bytes.", Status: http.StatusRequestEntityTooLarge}
}

func authError(err error) *awsproto.Error {
	if se, ok := errors.AsType[*sigv4.Error](err); ok {
		return &awsproto.Error{Type: se.Code, Message: se.Message, Status: se.Status}
	}
	return &awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
}

func validRegion(r string) bool {
	if len(r) < 4 || len(r) > 32 {
		return false
	}
	for _, c := range r {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
