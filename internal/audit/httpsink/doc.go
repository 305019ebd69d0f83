// Package httpsink is the audit sink for a SIEM: it POSTs batches of
// audit events, as JSON lines in Coffer's native shape or CloudTrail's,
// to an HTTP endpoint (Splunk HEC, an Elastic or Loki ingest endpoint, a
// log shipper), from its own bounded buffer.
//
// Owns: batching, retries with exponential backoff and jitter, the
// buffer and its back-pressure. A full buffer makes Write wait at most
// Config.EnqueueTimeout, then fail with ErrBufferFull; it never holds up
// the file log's fdatasync for longer. The sink is not durable unless
// Config.WaitForAck is set (then Write returns only when the SIEM has
// acknowledged the batch), so by default audit.Trail serves a request on
// the file log's word and only counts the SIEM's failures.
//
// It lives apart from package audit so that audit, which the domain
// packages call, does not import net/http.
//
// Invariants:
//   - Write never blocks longer than EnqueueTimeout (plus AckTimeout
//     with WaitForAck); one sender goroutine, stopped by Close, does all
//     the network I/O.
//   - Events are sent in the order they were written; a batch is retried
//     whole, so a SIEM may see a batch twice after a timeout, never a
//     part of one.
//   - Config.Header (which may carry the SIEM's credentials) is never
//     logged.
//
// Imports from Coffer only audit.
package httpsink
