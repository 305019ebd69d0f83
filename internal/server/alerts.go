package server

import (
	"sync"

	"github.com/coffer-dev/coffer/internal/alert"
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

// valueReads are the operations that return secret values.
var valueReads = map[string]bool{
	"secretsmanager.GetSecretValue": true, "secretsmanager.BatchGetSecretValue": true,
	"AmazonSSM.GetParameter": true, "AmazonSSM.GetParameters": true, "AmazonSSM.GetParametersByPath": true,
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
		ReadsSecret: ev.ErrorCode == "" && valueReads[ev.Service+"."+ev.Operation],
	}
	if ev.Info != nil {
		a.Resources = ev.Info.Audit.Resources
		for _, arn := range ev.Info.Audit.BreakGlass {
			s.breakGlass.add(arn)
		}
	}
	s.alerts.Observe(a)
}
