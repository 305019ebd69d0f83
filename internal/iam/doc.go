// Package iam owns principals: who is calling, and (later) access keys and
// the IAM policy language that decides what they may do.
//
// Store holds users, roles, access keys, inline policies and temporary
// sessions, and implements Authorizer: every request is decided by the
// policy language in policy*.go as AWS decides it (explicit deny wins; an
// allow from an identity policy within any session policies, or from the
// resource's policy naming the principal; else deny). AllowAll remains for
// tests of other packages.
//
// iam must not import net/http, awsproto or any API package.
package iam
