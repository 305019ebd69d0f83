// Package ssm is the AWS Systems Manager Parameter Store API (JSON 1.1,
// X-Amz-Target AmazonSSM.<Op>): wire structs with AWS's field names, one
// handler per operation translating wire <-> domain, and errors.go, the
// one table mapping domain errors to AWS's error types and messages.
//
// Handlers hold no business rules: validation of meaning and every state
// change live in package params. This package must not touch storage or
// keys directly.
package ssm
