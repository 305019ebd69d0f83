// Package iam owns principals: who is calling, and (later) access keys and
// the IAM policy language that decides what they may do.
//
// In the core server only the bootstrap admin exists, so the policy decision
// is a seam: the Authorizer interface, whose AllowAll implementation is
// replaced when identity-based and resource policies arrive.
//
// iam must not import net/http, awsproto or any API package.
package iam
