// Package secrets is the domain of Coffer's Secrets Manager: secrets,
// their immutable versions, staging labels (stages), tags, deletion windows,
// ClientRequestToken idempotency and multi-Region replicas.
//
// Every operation takes a Call (principal + region of the request's
// credential scope); the region selects an independent namespace. Each
// operation authorizes through iam.Authorizer before it reads or changes
// anything, and each write is one storage.Txn conditioned on the revision of
// the records it read, so concurrent writers never half-apply.
//
// Stored layout (all values encrypted; keys reveal no names):
//
//	sms/<region>/<blind(region,name)>        secret record, sealed with AAD = storage key
//	smv/<region>/<blind(region,name)>/<id>   version value, sealed under a fresh data key
//	                                         with AAD = secret ARN + version id
//
// Invariants: plaintext values exist only in memory, inside Value, which
// redacts itself when printed; a version's value never changes once
// written; AWSCURRENT is on exactly one version of a secret that has any.
//
// secrets must not import net/http, awsproto or any API package.
package secrets
