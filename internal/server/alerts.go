package server

import (
	"context"
	"sync"
	"time"

	"github.com/coffer-dev/coffer/internal/alert"
	"github.com/coffer-dev/coffer/internal/audit"
)

// deniedCodes are the error codes that count as access denied or failed
// authentication for the denied-burst rule.
var deniedCodes = map[string]bool{
	"AccessDeniedException": true, "AccessDenied": true,
	"UnrecognizedClientException": true, "InvalidClientTokenId": true,
	"InvalidSignatureException": true, "SignatureDoesNotMatch": true,
	"IncompleteSignatureException": true, "IncompleteSignature": true,
	"MissingAuthenticationTokenException": true, "MissingAuthenticationToken": true,
	"ExpiredTokenException": true, "ExpiredToken": true, "InvalidToken": true,
}

// valueReads are the operations that return secret values, by signing
// name (the audit log's "ssm", not the target prefix "AmazonSSM").
var valueReads = map[string]bool{
	"secretsmanager.GetSecretValue": true, "secretsmanager.BatchGetSecretValue": true,
	"ssm.GetParameter": true, "ssm.GetParameters": true, "ssm.GetParametersByPath": true,
}

// breakGlassSet remembers the ARNs of break-glass secrets read recently,
// so the alert engine's question needs no storage read.
type breakGlassSet struct{ m sync.Map }

func (b *breakGlassSet) add(arn string)                { b.m.Store(arn, struct{}{}) }
func (b *breakGlassSet) has(arn string) bool           { _, ok := b.m.Load(arn); return ok }
func (s *Server) isBreakGlass(resourceARN string) bool { return s.breakGlass.has(resourceARN) }

// observeAlerts hands the request to the alert engine.
func (s *Server) observeAlerts(ev *Event) {
	if s.alerts == nil {
		return
	}
	a := &alert.Event{
		Time: ev.Time, RequestID: ev.RequestID, Principal: ev.Principal.ARN, AccessKeyID: ev.Principal.AccessKeyID,
		SourceIP: ev.SourceIP, Service: ev.Service, Operation: ev.Operation,
		Denied: deniedCodes[ev.ErrorCode], ErrorCode: ev.ErrorCode,
		ReadsSecret: ev.ErrorCode == "" && valueReads[signingName(ev.Service)+"."+ev.Operation],
	}
	if ev.Info != nil {
		a.Resources = ev.Info.Audit.Resources
		for _, arn := range ev.Info.Audit.BreakGlass {
			s.breakGlass.add(arn)
		}
	}
	s.alerts.Observe(a)
}

// warmBytes bounds the audit log replayed into the alert rules at start:
// about 125,000 reads, 1.5 s of decoding on the dev VM (11 µs a record).
const warmBytes = 128 << 20

// warmAlerts replays the secret reads of the audit log's last
// alert.Engine.WarmWindow into the alert rules, so that a restart keeps
// each principal's read-rate baseline and known source IPs instead of
// starting a new learning period (during which a new source IP would go
// unflagged).
func (s *Server) warmAlerts(ctx context.Context) {
	w := s.alerts.WarmWindow()
	if w == 0 || s.auditDir == "" {
		return
	}
	start, n := time.Now(), 0
	now := time.Now
	if s.cfg.Clock != nil {
		now = s.cfg.Clock
	}
	err := audit.Recent(ctx, s.auditDir, now().Add(-w), warmBytes, func(ev *audit.Event) error {
		if ev.Type != audit.APICall || ev.ErrorCode != "" || !valueReads[ev.Service+"."+ev.Operation] {
			return nil
		}
		a := alert.Event{
			Time: ev.Time, RequestID: ev.RequestID, Principal: ev.Principal.ARN, AccessKeyID: ev.Principal.AccessKeyID,
			SourceIP: ev.SourceIP, Service: ev.Service, Operation: ev.Operation, ReadsSecret: true,
		}
		for _, r := range ev.Resources {
			a.Resources = append(a.Resources, r.ARN)
		}
		s.alerts.Warm(&a)
		n++
		return nil
	})
	if err != nil {
		s.log.Warn("alert rules: replaying the audit log failed; they learn from scratch where it stopped", "err", err, "reads", n)
		return
	}
	s.log.Info("alert rules warmed from the audit log", "reads", n, "window", w, "took", time.Since(start).Round(time.Millisecond))
}
