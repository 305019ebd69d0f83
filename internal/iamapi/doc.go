// Package iamapi is the AWS IAM API over the query protocol (form
// parameters in, XML out, signing name "iam", version 2010-05-08): users,
// roles, access keys, inline policies and tags, so that the aws CLI, the
// SDKs and Terraform manage Coffer's principals unchanged.
//
// It owns translation only: form.go reads and validates parameters against
// the API model's constraints (ValidationError, as AWS's front end answers),
// wire.go holds the XML shapes, users.go, accesskeys.go and roles.go hold
// one input type and one handler per action, and errors.go is the one table
// from iam's domain errors to IAM's error codes, statuses and messages.
// Every state change and business rule lives in package iam; this package
// must not touch storage or keys.
//
// Each action declares its input type, which knows the IAM action name and
// the ARN of the resource it acts on, so that authorization happens in one
// place (API.authorize) before any handler runs.
//
// Invariant: a secret access key leaves the server only in the response to
// CreateAccessKey, and is never logged.
package iamapi
