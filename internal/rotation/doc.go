// Package rotation runs the four-step rotation protocol of AWS Secrets
// Manager: a durable scheduler decides when a secret is due, and an invoker
// calls its rotation function - an HTTP endpoint, a local executable, or a
// built-in rotator - once per step with the event a rotation Lambda gets.
//
// rotation knows nothing of the wire protocol: it drives the secrets domain
// through a narrow interface and never sees a secret value itself; the
// rotation function reads and writes values through the public API with
// short-lived credentials scoped to the one secret.
package rotation
