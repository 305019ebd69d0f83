package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
	"github.com/coffer-dev/coffer/internal/secrets"
)

// WatchPath is Coffer's own change feed: a SigV4-signed GET (service
// secretsmanager) that long-polls for secrets written after ?since=SEQ and
// answers {"Seq":N,"Reset":bool,"Changes":[{"Seq","Region","ARN","Name"}]}.
// Caches (the client library, coffer agent) follow it to refresh a rotated
// secret at once instead of serving the old value until their TTL ends.
// It needs secretsmanager:ListSecrets; it never carries a value.
const WatchPath = "/coffer/v1/watch"

// maxWatchWait stays under the server's write timeout.
const maxWatchWait = 25 * time.Second

type watchChange struct {
	Seq    uint64 `json:"Seq"`
	Region string `json:"Region"`
	ARN    string `json:"ARN"`
	Name   string `json:"Name"`
}

type watchOutput struct {
	Seq     uint64        `json:"Seq"`
	Reset   bool          `json:"Reset,omitempty"`
	Changes []watchChange `json:"Changes"`
}

func (s *Server) serveWatch(w http.ResponseWriter, r *http.Request, ev *Event) {
	ev.Service, ev.Operation = "coffer", "Watch"
	fail := func(e *awsproto.Error) {
		ev.Status, ev.ErrorCode, ev.ErrorMessage = e.Status, e.Type, e.Message
		if err := s.audit(r.Context(), ev); err != nil {
			e = errNotAudited
		}
		awsproto.WriteError(w, e)
	}
	since, err := strconv.ParseUint(r.URL.Query().Get("since"), 10, 64)
	if r.URL.Query().Get("since") == "" {
		since, err = 0, nil
	}
	if err != nil {
		fail(&awsproto.Error{Type: "ValidationException", Message: "since must be a sequence number", Status: http.StatusBadRequest})
		return
	}
	wait := 20 * time.Second
	if v := r.URL.Query().Get("wait"); v != "" {
		if wait, err = time.ParseDuration(v); err != nil || wait < 0 {
			fail(&awsproto.Error{Type: "ValidationException", Message: "wait must be a duration such as 20s", Status: http.StatusBadRequest})
			return
		}
	}
	wait = min(wait, maxWatchWait)
	cred, principal, aerr := s.authenticate(r, nil, ev)
	if aerr != nil {
		fail(aerr)
		return
	}
	if aerr := checkScope(cred, "secretsmanager"); aerr != nil {
		fail(aerr)
		return
	}
	s.watches.Add(1)
	defer s.watches.Add(-1)
	ctx, cancel := context.WithCancel(s.requestContext(r, ev, cred, principal))
	defer cancel()
	defer context.AfterFunc(s.stopping, cancel)()
	info := request.From(ctx)
	call := secrets.Call{Principal: info.Principal, Region: info.Region, SourceIP: info.SourceIP, SecureTransport: info.SecureTransport}
	changes, seq, reset, err := s.secrets.Changes(ctx, call, since, wait)
	if err != nil {
		if e, ok := errors.AsType[*iam.AccessDeniedError](err); ok {
			fail(&awsproto.Error{Type: "AccessDeniedException", Message: e.Error(), Status: http.StatusBadRequest})
			return
		}
		s.log.Error("watch", "request_id", ev.RequestID, "err", err)
		fail(&awsproto.Error{Type: "InternalServiceError", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError})
		return
	}
	out := watchOutput{Seq: seq, Reset: reset, Changes: make([]watchChange, 0, len(changes))}
	for _, c := range changes {
		out.Changes = append(out.Changes, watchChange(c))
	}
	ev.Status = http.StatusOK
	ev.Params = map[string]string{"since": strconv.FormatUint(since, 10), "changes": strconv.Itoa(len(out.Changes))}
	if err := s.audit(r.Context(), ev); err != nil {
		awsproto.WriteError(w, errNotAudited)
		return
	}
	if err := awsproto.WriteJSON(w, out); err != nil {
		s.log.Error("write watch response", "request_id", ev.RequestID, "err", err)
	}
}
