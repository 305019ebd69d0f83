// Package agent serves secrets and parameters to local processes over
// loopback HTTP, through a client.Cache: a drop-in for the AWS Parameters
// and Secrets Lambda Extension and for AWS's open-source Secrets Manager
// Agent (the same paths, headers, token rules, response bodies, error
// statuses and configuration), which `coffer agent` runs.
//
// It owns the HTTP handler (token check, connection cap, method and
// forwarding rules, error pass-through), the agent's configuration (TOML
// file, the extension's environment variables, defaults) and the Lambda
// Extensions API loop. It reads no environment variable itself: callers
// pass a getenv function.
//
// Invariants: every request but /ping carries one of the configured token
// headers with the configured token, compared in constant time; no value,
// token or request header is logged or put into an error; upstream calls
// go through the client package only, so this package imports no server
// package of Coffer (it works against AWS as well).
package agent
