// Package server assembles a Coffer server from its parts and runs it: the
// data dir (root key, database, bootstrap credentials), the HTTP listener
// and its TLS rule (plain HTTP only on loopback, TLS 1.2+ elsewhere), and
// the request path every API shares: limits, request id, recovery, SigV4
// authentication, routing by X-Amz-Target, the audit hook, the response.
//
// server imports the API packages and the domain; nothing imports server
// but cmd/coffer and test helpers.
package server
