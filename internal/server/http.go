package server

import (
	"context"
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
	"github.com/coffer-dev/coffer/internal/cloudtrail"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/sigv4"
	"github.com/coffer-dev/coffer/internal/uuid"
)

// Event is what the server learns about one API request, for its audit
// record, metrics and alerts. It never holds a request body, a value, a
// signature or a token.
type Event struct {
	Time         time.Time
	RequestID    string
	Principal    iam.Principal
	SourceIP     string
	UserAgent    string
	Region       string
	Service      string
	Operation    string
	Status       int
	ErrorCode    string
	ErrorMessage string
	Duration     time.Duration
	// Params are the request's parameters, values replaced by digests
	// (see safeParams).
	Params map[string]string
	// Info is what the request path learned (nil before authentication):
	// Info.Audit holds the resources touched and the decision.
	Info *request.Info
}

// ServeHTTP is the request path every API shares.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	ev := &Event{Time: start, RequestID: id, SourceIP: sourceIP(r), UserAgent: r.UserAgent()}
	resp := &response{w: w, requestID: id}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "request_id", id, "panic", p, "stack", string(debug.Stack()))
			resp.fail(&awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError})
		}
	}()
	if s.serveOps(w, r) {
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == WatchPath {
		s.serveWatch(w, r, ev) // carries names, never values; auditing it comes with the audit log
		return
	}
	out, aerr := s.serveAPI(r, ev, resp)
	ev.Duration = time.Since(start)
	if aerr != nil {
		ev.Status, ev.ErrorCode, ev.ErrorMessage = aerr.Status, aerr.Type, aerr.Message
	} else {
		ev.Status = http.StatusOK
	}
	if err := s.audit(r.Context(), ev); err != nil {
		aerr, out = errNotAudited, nil
	}
	if aerr != nil {
		ev.Status, ev.ErrorCode = aerr.Status, aerr.Type
		resp.fail(aerr)
	} else if err := resp.ok(out); err != nil {
		s.log.Error("write response", "request_id", id, "err", err)
	}
	s.metrics.observe(ev)
	s.observeAlerts(ev)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("request_id", id), slog.String("service", ev.Service), slog.String("op", ev.Operation),
			slog.Int("status", ev.Status), slog.String("error_code", ev.ErrorCode),
			slog.String("access_key_id", ev.Principal.AccessKeyID), slog.Duration("duration", ev.Duration))
	}
}

// errNotAudited refuses a request whose audit event could not be recorded.
var errNotAudited = &awsproto.Error{Type: "InternalServiceError", Message: "The request could not be audited, so it was refused.", Status: http.StatusInternalServerError}

// audit records ev; Coffer never serves an unaudited response.
func (s *Server) audit(ctx context.Context, ev *Event) error {
	if s.trail == nil {
		return nil
	}
	start := time.Now()
	err := s.record(ctx, ev, ev.Params)
	s.metrics.observeAudit(time.Since(start), err)
	s.auditFailing.Store(err != nil)
	if err != nil {
		s.log.Error("audit record failed; refusing the request", "request_id", ev.RequestID, "err", err)
	}
	return err
}

// response writes in the protocol the request used: JSON 1.1 unless the
// request was routed to a query-protocol service.
type response struct {
	w         http.ResponseWriter
	requestID string
	query     *awsproto.QueryMux // set once a query request is routed
	action    string
}

func (r *response) ok(out any) error {
	if r.query != nil {
		return awsproto.WriteXML(r.w, r.query.XMLNS(), r.action, out, r.requestID)
	}
	return awsproto.WriteJSON(r.w, out)
}

func (r *response) fail(e *awsproto.Error) {
	if r.query != nil {
		awsproto.WriteXMLError(r.w, r.query.XMLNS(), e, r.requestID)
		return
	}
	awsproto.WriteError(r.w, e)
}

// unsignedActions are the query actions AWS serves without SigV4: the
// caller proves itself with the token in the request.
var unsignedActions = map[string]string{"AssumeRoleWithWebIdentity": "sts"}

// serveAPI authenticates, routes and runs one API request.
func (s *Server) serveAPI(r *http.Request, ev *Event, resp *response) (any, *awsproto.Error) {
	if r.Method != http.MethodPost && !(r.Method == http.MethodGet && r.URL.Query().Has("Action")) {
		return nil, &awsproto.Error{Type: "UnknownOperationException", Message: "", Status: http.StatusNotFound}
	}
	body, aerr := s.readBody(r)
	if aerr != nil {
		return nil, aerr
	}
	if t := r.Header.Get(awsproto.TargetHeader); t != "" {
		// Named for the audit record even if the request is refused
		// before it is routed.
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			ev.Service, ev.Operation = t[:i], t[i+1:]
		}
	}
	if awsproto.IsQueryRequest(r) {
		return s.serveQuery(r, body, ev, resp)
	}
	ev.Params = s.bodyParams(body)
	cred, principal, aerr := s.authenticate(r, body, ev)
	if aerr != nil {
		return nil, aerr
	}
	target := r.Header.Get(awsproto.TargetHeader)
	prefix := target
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		prefix = target[:i]
	}
	mux, ok := s.muxes[prefix]
	if !ok {
		return nil, &awsproto.Error{Type: "UnknownOperationException", Message: "", Status: http.StatusBadRequest}
	}
	op, name, aerr := mux.Lookup(target)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkScope(cred, signingName(prefix)); aerr != nil {
		return nil, aerr
	}
	ev.Service, ev.Operation = prefix, name
	out, err := op(s.requestContext(r, ev, cred, principal), body)
	return out, s.opError(ev, err)
}

// serveQuery serves a query-protocol (IAM, STS) request.
func (s *Server) serveQuery(r *http.Request, body []byte, ev *Event, resp *response) (any, *awsproto.Error) {
	params, aerr := awsproto.ParseQuery(r, body)
	if aerr != nil {
		return nil, aerr
	}
	ev.Service, ev.Operation = scopeService(r), params.Get("Action")
	ev.Params = s.queryParams(params)
	var (
		cred      sigv4.Credential
		principal iam.Principal
		service   = unsignedActions[params.Get("Action")]
	)
	if service == "" || r.Header.Get("Authorization") != "" {
		if cred, principal, aerr = s.authenticate(r, body, ev); aerr != nil {
			resp.query = s.queryMuxes[scopeService(r)]
			if resp.query == nil {
				resp.query = s.queryMuxes["sts"]
			}
			return nil, queryAuthError(aerr)
		}
		service = cred.Service
	}
	mux, ok := s.queryMuxes[service]
	if !ok {
		return nil, &awsproto.Error{Type: "InvalidAction", Message: "Could not find a service for credential scope " + service, Status: http.StatusBadRequest}
	}
	resp.query = mux
	op, action, aerr := mux.Lookup(params)
	resp.action = action
	if aerr != nil {
		return nil, aerr
	}
	ev.Service, ev.Operation = service, action
	out, err := op(s.requestContext(r, ev, cred, principal), params)
	return out, s.opError(ev, err)
}

// scopeService reads the service of the credential scope of a request
// whose signature did not verify, to answer in that service's XML.
func scopeService(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		h = r.URL.Query().Get("X-Amz-Credential")
	}
	_, scope, ok := strings.Cut(h, "Credential=")
	if !ok {
		scope = h
	}
	parts := strings.SplitN(scope, "/", 5)
	if len(parts) < 4 {
		return ""
	}
	return parts[3]
}

// queryAuthError renames authentication errors to the codes the query
// protocol services (IAM, STS) use; they answer 403 where JSON services
// answer 400.
func queryAuthError(e *awsproto.Error) *awsproto.Error {
	rename := map[string][2]string{
		"UnrecognizedClientException":         {"InvalidClientTokenId", "The security token included in the request is invalid."},
		"InvalidSignatureException":           {"SignatureDoesNotMatch", ""},
		"MissingAuthenticationTokenException": {"MissingAuthenticationToken", "Request is missing Authentication Token"},
		"IncompleteSignatureException":        {"IncompleteSignature", ""},
		"ExpiredTokenException":               {"ExpiredToken", "The security token included in the request is expired"},
	}
	r, ok := rename[e.Type]
	if !ok {
		return e
	}
	out := &awsproto.Error{Type: r[0], Message: e.Message, Status: http.StatusForbidden}
	if r[1] != "" {
		out.Message = r[1]
	}
	if out.Type == "IncompleteSignature" {
		out.Status = http.StatusBadRequest
	}
	return out
}

// authenticate verifies the request's signature and finds its principal.
func (s *Server) authenticate(r *http.Request, body []byte, ev *Event) (sigv4.Credential, iam.Principal, *awsproto.Error) {
	cred, err := s.verifier.Verify(r.Context(), r, body)
	if err != nil {
		return cred, iam.Principal{}, authError(err)
	}
	if !validRegion(cred.Region) {
		return cred, iam.Principal{}, &awsproto.Error{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: "Credential should be scoped to a valid region. "}
	}
	principal, err := s.principal(r.Context(), cred)
	if err != nil {
		return cred, iam.Principal{}, err.(*awsproto.Error)
	}
	ev.Principal, ev.Region = principal, cred.Region
	return cred, principal, nil
}

// principal resolves who owns the request's access key (and, for
// temporary credentials, checks the session token).
func (s *Server) principal(ctx context.Context, cred sigv4.Credential) (iam.Principal, error) {
	p, err := s.iam.PrincipalFor(ctx, cred.AccessKeyID, cred.SessionToken)
	if errors.Is(err, iam.ErrUnknownAccessKey) && s.cfg.Dev {
		return s.iam.AdminPrincipal(cred.AccessKeyID), nil
	}
	switch {
	case err == nil:
		return p, nil
	case errors.Is(err, iam.ErrExpiredToken):
		return p, &awsproto.Error{Type: "ExpiredTokenException", Message: "The security token included in the request is expired", Status: http.StatusBadRequest}
	case errors.Is(err, iam.ErrUnknownAccessKey), errors.Is(err, iam.ErrInvalidToken):
		return p, &awsproto.Error{Type: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
	}
	s.log.Error("resolve principal", "request_id", request.From(ctx).ID, "access_key_id", cred.AccessKeyID, "err", err)
	return p, &awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
}

// signingNames maps a JSON 1.1 target prefix to the SigV4 service name its
// requests are signed for, where the two differ.
var signingNames = map[string]string{"AmazonSSM": "ssm", cloudtrail.TargetPrefix: "cloudtrail", cloudtrail.ShortTargetPrefix: "cloudtrail"}

func signingName(prefix string) string {
	if name, ok := signingNames[prefix]; ok {
		return name
	}
	return prefix
}

func checkScope(cred sigv4.Credential, service string) *awsproto.Error {
	if cred.Service != service {
		return &awsproto.Error{Type: "InvalidSignatureException", Status: http.StatusBadRequest,
			Message: "Credential should be scoped to correct service: '" + service + "'. "}
	}
	return nil
}

func (s *Server) requestContext(r *http.Request, ev *Event, cred sigv4.Credential, p iam.Principal) context.Context {
	region := cred.Region
	if region == "" {
		region = s.cfg.Region
	}
	ev.Region = region
	ev.Info = &request.Info{
		ID: ev.RequestID, Principal: p, Region: region,
		SourceIP: ev.SourceIP, UserAgent: ev.UserAgent, SecureTransport: r.TLS != nil,
	}
	return request.With(r.Context(), ev.Info)
}

// opError turns an operation's error into the wire error. API packages map
// their domain errors to *awsproto.Error; anything else is a server fault.
func (s *Server) opError(ev *Event, err error) *awsproto.Error {
	if err == nil {
		return nil
	}
	if ae, ok := errors.AsType[*awsproto.Error](err); ok {
		return ae
	}
	s.log.Error("unmapped error", "request_id", ev.RequestID, "op", ev.Operation, "err", err)
	return &awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
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

// validRegion matches the region names keys and storage accept: lower-case
// letters, digits and inner hyphens.
func validRegion(r string) bool {
	if len(r) < 4 || len(r) > 32 || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
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

func newRequestID() string { return uuid.New() }
