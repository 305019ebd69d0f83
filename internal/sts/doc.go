// Package sts is the AWS STS API (query protocol, XML responses):
// GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity and
// GetSessionToken, issuing temporary credentials through the iam store.
//
// It also owns OpenID Connect web identities: verifying a JWT against the
// configured issuers' JWKS (iss, aud, exp and signature), so a CI job or a
// function gets short-lived credentials with no stored secret.
//
// sts must not import storage or keys; identities and sessions belong to iam.
package sts
