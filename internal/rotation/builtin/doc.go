// Package builtin holds Coffer's built-in rotation functions: each handles
// one step of the rotation protocol exactly as one of AWS's rotation Lambda
// templates does, and reads and writes the secret only through the Secrets
// Manager API it is given (with the credentials the invoker scoped to the
// rotation), never through Coffer's internals.
//
// The rotators, by the name a server's configuration gives them:
//
//   - random-password: a plain string secret becomes a new random password,
//     or one field of a JSON object secret does (an API key, a token);
//   - postgresql-single-user: the user in the secret's JSON changes its own
//     password (ALTER ROLE), as SecretsManagerRDSPostgreSQLRotationSingleUser
//     does; the old password stops working when setSecret runs;
//   - postgresql-multiuser: a master secret's user alternates the secret
//     between two roles, <user> and <user>_clone, creating the clone on the
//     first rotation, as SecretsManagerRDSPostgreSQLRotationMultiUser does;
//     the previous credentials stay valid until the next rotation.
//
// [Lookup] returns one configured rotator; [Rotators] offers them all to
// the server (server.Config's Builtins), which also registers each as
// coffer-<name> with its defaults.
//
// Every step first checks, as the templates do, that rotation is enabled,
// that the token names a version of the secret, and that the version is
// AWSPENDING (a version already AWSCURRENT means there is nothing to do).
// Each step can run again with the same token: createSecret keeps a value
// already put, setSecret returns early when the pending password already
// logs in, and finishSecret does nothing once the token is AWSCURRENT.
//
// Invariants:
//   - no error contains a secret value: passwords are never formatted into
//     an error, and a database error that echoes one is rewritten;
//   - a password reaches PostgreSQL as a SCRAM-SHA-256 (or md5) verifier
//     computed here, as psql's \password does, so the server never sees it
//     in plain text and cannot log it;
//   - identifiers are quoted, and literals escaped, whatever
//     standard_conforming_strings says.
//
// builtin imports rotation (for Event) and password (for its limits), and
// nothing of the secrets domain, keys, storage or the server.
package builtin
