package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/audit/httpsink"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/secrets"
)

// AuditConfig configures the audit trail. The default is a hash-chained
// file log in <data-dir>/audit; every request waits until its event is
// durably written, and is refused if it cannot be.
type AuditConfig struct {
	// Disabled turns auditing off (benchmarks, throwaway dev servers). The
	// server logs a warning at start.
	Disabled bool
	// Dir is the file log's directory; default <data-dir>/audit.
	Dir string
	// AppendOnly writes the file log as plain append-only files, for log
	// shippers that tail them (see audit.LogConfig.AppendOnly).
	AppendOnly bool
	// Stdout also writes every event to stdout as a JSON line.
	Stdout bool
	// Format of the stdout and HTTP sinks: "native" (default) or
	// "cloudtrail" (AWS CloudTrail records).
	Format string
	// HTTPURL, if set, POSTs batches of events to a SIEM; HTTPHeaders are
	// sent with them (e.g. Authorization). HTTPDurable makes each request
	// wait for the SIEM's acknowledgement too.
	HTTPURL     string
	HTTPHeaders map[string]string
	HTTPDurable bool
	// Sinks are extra sinks (tests).
	Sinks []audit.Sink
}

// openAudit builds the trail from the configuration and the root key.
func (s *Server) openAudit(ctx context.Context, root *keys.RootKey) error {
	c := s.cfg.Audit
	if c.Disabled {
		s.log.Warn("audit log disabled: requests are served without an audit record")
		return nil
	}
	k, err := audit.KeysFromRoot(root)
	if err != nil {
		return err
	}
	s.auditKeys = k
	dir := c.Dir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, audit.DirName)
	}
	log, err := audit.OpenLog(ctx, audit.LogConfig{Dir: dir, Keys: k, Logger: s.log.With("component", "audit"), Now: s.cfg.Clock, NoSync: s.cfg.Dev, AppendOnly: c.AppendOnly})
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	s.registerLogMetrics(log)
	sinks := []audit.Sink{log}
	format := audit.Format(c.Format)
	switch format {
	case "", audit.FormatNative, audit.FormatCloudTrail:
	default:
		log.Close(ctx)
		return fmt.Errorf("audit format %q: want native or cloudtrail", c.Format)
	}
	if c.Stdout {
		sinks = append(sinks, audit.NewStreamSink("stdout", os.Stdout, audit.StreamConfig{Format: format}))
	}
	if c.HTTPURL != "" {
		h := http.Header{}
		for k, v := range c.HTTPHeaders {
			h.Set(k, v)
		}
		hs, err := httpsink.New(httpsink.Config{URL: c.HTTPURL, Header: h, Format: format, WaitForAck: c.HTTPDurable, Logger: s.log.With("component", "audit-http")})
		if err != nil {
			log.Close(ctx)
			return fmt.Errorf("audit HTTP sink: %w", err)
		}
		sinks = append(sinks, hs)
	}
	sinks = append(sinks, c.Sinks...)
	s.trail, err = audit.New(audit.Config{Keys: k, Sinks: sinks, Logger: s.log.With("component", "audit")})
	if err != nil {
		log.Close(ctx)
		return err
	}
	s.auditDir = dir
	return nil
}

// registerLogMetrics exports the file log's own counters, so that
// records per fdatasync (how well group commit batches) can be read off
// /metrics as the ratio of the two.
func (s *Server) registerLogMetrics(log *audit.Log) {
	s.metrics.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "coffer_audit_records_total",
			Help: "Audit events durably written to the file log.",
		}, func() float64 { return float64(log.Stats().Records) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "coffer_audit_fsyncs_total",
			Help: "fdatasyncs of the audit file log (group commits); records_total / fsyncs_total is the events each made durable.",
		}, func() float64 { return float64(log.Stats().Syncs) }),
	)
}

// record appends the audit event of one API request. A request whose
// event cannot be recorded is refused by the caller.
func (s *Server) record(ctx context.Context, ev *Event, params map[string]string) error {
	if s.trail == nil {
		return nil
	}
	a := &audit.Event{
		Type: audit.APICall, Time: ev.Time, RequestID: ev.RequestID, SourceIP: ev.SourceIP, UserAgent: ev.UserAgent,
		Region: ev.Region, Service: signingName(ev.Service), Operation: ev.Operation,
		ErrorCode: ev.ErrorCode, ErrorMessage: ev.ErrorMessage, Status: ev.Status, Latency: ev.Duration,
		Principal: auditPrincipal(ev.Principal), Params: params,
	}
	if a.Service == "" {
		a.Service = "coffer"
	}
	if a.Operation == "" {
		a.Operation = "Unknown" // refused before the operation was known
	}
	if info := ev.Info; info != nil {
		au := &info.Audit
		for _, arn := range au.Resources {
			a.Resources = append(a.Resources, audit.Resource{ARN: arn})
		}
		a.VersionID, a.VersionStage, a.StatementID = au.VersionID, au.VersionStage, au.Statement
		switch au.Decision {
		case "":
		case iam.Allow.String():
			a.Decision = audit.Allow
		default:
			a.Decision = audit.Deny
		}
	}
	if ev.ErrorCode != "" && a.Decision == "" && deniedCodes[ev.ErrorCode] {
		a.Decision = audit.Deny // refused before policies: authentication
	}
	return s.trail.Append(context.WithoutCancel(ctx), a)
}

func auditPrincipal(p iam.Principal) audit.Principal {
	if p.ARN == "" {
		return audit.Principal{Type: audit.PrincipalUnknown, AccessKeyID: p.AccessKeyID}
	}
	out := audit.Principal{ID: p.UserID, ARN: p.ARN, Account: p.Account, AccessKeyID: p.AccessKeyID, Name: p.Name}
	switch {
	case p.Session != nil && p.Session.RoleName != "":
		out.Type = audit.PrincipalAssumedRole
		out.Session = &audit.Session{IssuerType: "Role", IssuerID: p.Session.RoleID, IssuerARN: p.Session.RoleARN, IssuerName: p.Session.RoleName}
		if p.Session.Subject != "" {
			out.Session.IdentityProvider, _, _ = strings.Cut(p.Session.Subject, "#")
		}
		if out.ID == "" && p.Session.RoleID != "" {
			out.ID = p.Session.RoleID + ":" + p.Session.SessionName
		}
		out.Name = p.Session.SessionName
	case p.Federated:
		out.Type = audit.PrincipalWebIdentity
	default:
		out.Type = audit.PrincipalIAMUser
	}
	return out
}

// safeParams are request parameters recorded as given: identifiers and
// options, never values. Any other string parameter is recorded as a
// keyed digest, so an investigator holding the key can match a known
// value; parameters that are lists or objects are left out.
var safeParams = map[string]bool{
	"SecretId": true, "Name": true, "VersionId": true, "VersionStage": true, "RemoveFromVersionId": true,
	"MoveToVersionId": true, "MaxResults": true, "NextToken": false, "RecoveryWindowInDays": true,
	"ForceDeleteWithoutRecovery": true, "RotationLambdaARN": true, "RotateImmediately": true,
	"IncludeDeprecated": true, "IncludePlannedDeletion": true, "KmsKeyId": true, "SortBy": true, "SortOrder": true,
	"Path": true, "Recursive": true, "WithDecryption": true, "ParameterVersion": true, "Type": true,
	"Overwrite": true, "Tier": true, "DataType": true, "BlockPublicPolicy": true,
	"RoleArn": true, "RoleSessionName": true, "DurationSeconds": true, "UserName": true, "RoleName": true,
	"PolicyName": true, "PolicyArn": true, "AccessKeyId": true, "Status": true, "PolicySourceArn": true,
	"Action": true, "Version": true, "ExternalId": false, "PasswordLength": true,
}

// bodyParams extracts the top-level scalar members of a JSON request body:
// strings (through paramValue), numbers and booleans; null, arrays and
// objects are left out, and a body that is not a JSON object gives nil.
// Every request pays for it, so the common flat body is scanned in place
// (flatParams); anything else goes through encoding/json.
func (s *Server) bodyParams(body []byte) map[string]string {
	if s.trail == nil || len(body) < 3 {
		return nil
	}
	if out, ok := s.flatParams(body); ok {
		return out
	}
	return s.jsonParams(body)
}

// jsonParams is bodyParams through encoding/json, for any body.
func (s *Server) jsonParams(body []byte) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		switch v := v.(type) {
		case string:
			out[k] = s.paramValue(k, v)
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(v)
		}
	}
	return out
}

// flatParams is bodyParams for a JSON object whose members are all
// scalars, with names and strings of printable ASCII without escapes, as
// SDK requests are. It reports false, and leaves the body to jsonParams,
// at anything else; what it accepts it reads exactly as jsonParams does
// (FuzzBodyParams holds the two to the same result).
func (s *Server) flatParams(body []byte) (map[string]string, bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	out := make(map[string]string, 4)
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return out, skipSpace(body, i+1) == len(body)
	}
	for {
		name, j, ok := plainString(body, i)
		if !ok {
			return nil, false
		}
		if i = skipSpace(body, j); i >= len(body) || body[i] != ':' {
			return nil, false
		}
		i = skipSpace(body, i+1)
		if i >= len(body) {
			return nil, false
		}
		switch c := body[i]; {
		case c == '"':
			v, j, ok := plainString(body, i)
			if !ok {
				return nil, false
			}
			out[string(name)] = s.paramValue(string(name), string(v))
			i = j
		case c == 't' && hasWord(body, i, "true"):
			out[string(name)] = "true"
			i += len("true")
		case c == 'f' && hasWord(body, i, "false"):
			out[string(name)] = "false"
			i += len("false")
		case c == 'n' && hasWord(body, i, "null"):
			delete(out, string(name)) // a later member replaces an earlier one, as in encoding/json
			i += len("null")
		case c == '-' || '0' <= c && c <= '9':
			j := jsonNumber(body, i)
			f, err := strconv.ParseFloat(string(body[i:j]), 64)
			if j == i || err != nil {
				return nil, false
			}
			out[string(name)] = strconv.FormatFloat(f, 'f', -1, 64)
			i = j
		default:
			return nil, false
		}
		if i = skipSpace(body, i); i >= len(body) {
			return nil, false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return out, skipSpace(body, i+1) == len(body)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the JSON string at b[i] if it holds only printable
// ASCII other than '"' and '\\', returning its content and the index after
// its closing quote.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// hasWord reports whether b holds the literal w at i, not followed by
// more of a word.
func hasWord(b []byte, i int, w string) bool {
	j := i + len(w)
	return j <= len(b) && string(b[i:j]) == w && (j == len(b) || !isWordByte(b[j]))
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' || c == '+'
}

// jsonNumber returns the index after the JSON number at b[i], or i if
// none is there: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, not
// followed by more of a word.
func jsonNumber(b []byte, i int) int {
	start, j := i, i
	digits := func() bool {
		k := j
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			j++
		}
		return j > k
	}
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case !digits():
		return start
	}
	if j < len(b) && b[j] == '.' {
		j++
		if !digits() {
			return start
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if !digits() {
			return start
		}
	}
	if j < len(b) && isWordByte(b[j]) {
		return start
	}
	return j
}

// queryParams is bodyParams for the query protocol.
func (s *Server) queryParams(p url.Values) map[string]string {
	if s.trail == nil {
		return nil
	}
	out := make(map[string]string, len(p))
	for k, vs := range p {
		if len(vs) == 1 && !strings.Contains(k, ".") {
			out[k] = s.paramValue(k, vs[0])
		}
	}
	return out
}

func (s *Server) paramValue(name, v string) string {
	if safeParams[name] && !audit.IsSensitiveParam(name) {
		return v
	}
	return s.auditKeys.Digest([]byte(v))
}

// closeAudit flushes and closes the trail.
func (s *Server) closeAudit(ctx context.Context) error {
	if s.trail == nil {
		return nil
	}
	err := s.trail.Close(ctx)
	if errors.Is(err, audit.ErrClosed) {
		return nil
	}
	return err
}

// serviceEvent records an action of Coffer's own scheduler, as CloudTrail
// records AWS's (AwsServiceEvent, invoked by secretsmanager.amazonaws.com).
func (s *Server) serviceEvent(ctx context.Context, op, region, arn, versionID string, params map[string]string, errCode string) error {
	if s.trail == nil {
		return nil
	}
	a := &audit.Event{
		Type: audit.ServiceEvent, Service: "secretsmanager", Operation: op, Region: region, VersionID: versionID,
		Principal: audit.Principal{Type: audit.PrincipalService, InvokedBy: "secretsmanager.amazonaws.com"},
		Params:    params, ErrorCode: errCode,
	}
	if arn != "" {
		a.Resources = []audit.Resource{{ARN: arn}}
	}
	start := time.Now()
	err := s.trail.Append(context.WithoutCancel(ctx), a)
	s.metrics.observeAudit(time.Since(start), err)
	if err != nil {
		s.log.Error("audit record of a scheduler action failed", "op", op, "secret_arn", arn, "err", err)
	}
	return err
}

func (s *Server) auditRotationStep(ctx context.Context, region, arn, token, step string) error {
	return s.serviceEvent(ctx, "RotationStep", region, arn, token, map[string]string{"Step": step}, "")
}

func (s *Server) auditRotationOutcome(region, arn string, failure *secrets.RotationFailure) {
	if failure == nil {
		s.serviceEvent(context.Background(), "RotationSucceeded", region, arn, "", nil, "")
		return
	}
	s.serviceEvent(context.Background(), "RotationFailed", region, arn, "", map[string]string{"Step": failure.Step}, "RotationFailed")
}

func (s *Server) auditPurge(ctx context.Context, region, arn string, versions []string) {
	if versions == nil {
		s.serviceEvent(ctx, "PurgeSecret", region, arn, "", nil, "")
		return
	}
	for _, v := range versions {
		s.serviceEvent(ctx, "PurgeSecretVersion", region, arn, v, nil, "")
	}
}

// AuditDir is the directory of the audit file log ("" when auditing is off).
func (s *Server) AuditDir() string { return s.auditDir }

// AuditKeys are the audit trail's keys (nil when auditing is off).
func (s *Server) AuditKeys() *audit.Keys { return s.auditKeys }
