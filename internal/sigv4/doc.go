// Package sigv4 verifies AWS Signature Version 4 on incoming requests.
//
// It owns the server side of SigV4: parsing the Authorization header (or the
// X-Amz-* query parameters of a presigned URL), rebuilding the canonical
// request from what came over the wire, checking the clock skew and the
// credential scope, deriving and caching signing keys, and comparing
// signatures in constant time. It answers with a [Credential] saying who
// signed what, or with an [*Error] carrying the AWS error code, status and
// message the server sends back unchanged.
//
// It does not decide who a principal is or what it may do: secret keys come
// from a [SecretKeys] implementation (package iam), session tokens are passed
// through for STS to check, and callers check [Credential.Region] and
// [Credential.Service] against the endpoint that received the request.
//
// # Imports
//
// Standard library only. It must not import any other Coffer package
// (iam implements [SecretKeys], not the reverse), nor the AWS SDK outside
// tests.
//
// # Invariants
//
//   - A request succeeds only if its signature was recomputed from the
//     request's own method, path, query, signed header values and body with
//     the secret key that [SecretKeys] returned, except that
//     Config.AcceptUnknownKeys (coffer dev only) admits access keys that
//     SecretKeys does not know, with Credential.Verified false.
//   - The host header is always signed; an X-Amz-Security-Token header is
//     always signed; an X-Amz-Content-Sha256 header always matches the body.
//   - Requests dated more than Config.MaxSkew away from now are refused.
//   - Signatures are compared with hmac.Equal.
//   - No error message contains a signature, a secret key, a session token or
//     the Authorization header; messages carry only fixed text and
//     timestamps.
//   - Verify does not modify the request and is safe for concurrent use.
package sigv4
