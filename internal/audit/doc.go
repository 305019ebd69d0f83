// Package audit is Coffer's audit trail: one Event per API request or
// scheduler action, written to a tamper-evident, hash-chained log that
// fails closed, and copied to other sinks (stdout, a SIEM over HTTP).
//
// Placeholder; the full package doc comes with the verifier.
package audit
