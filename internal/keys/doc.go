// Package keys owns Coffer's key hierarchy and its envelope encryption:
//
//	root key (32 bytes, a 0600 file in the data dir, or random for `coffer dev`)
//	 ├─ HKDF-SHA256 "KMS key wrapping" → wraps KMS keys, stored under "kms/key/<id>"
//	 │    └─ KMS key (per region; the default is alias/aws/secretsmanager)
//	 │         └─ wraps a fresh 32-byte data key per sealed value
//	 │              └─ AES-256-GCM(value, AAD from the caller: secret ARN + version id)
//	 ├─ HKDF-SHA256 "metadata records" → SealRecord/OpenRecord, AAD = storage key
//	 ├─ HKDF-SHA256 "storage key blinding" → Blind, HMAC-SHA256 of names
//	 ├─ HKDF-SHA256 "audit field digests" → AuditKeys: HMAC-SHA256 of sensitive request fields
//	 └─ HKDF-SHA256 "audit checkpoint signing" → AuditKeys: Ed25519 seed of the audit log's signer
//
// Every cipher is AES-256-GCM with a random 96-bit nonce (crypto/rand). A key
// must not seal more than 2^32 messages: that bounds the values sealed under
// one KMS key and the records sealed under one root key. Data keys seal one
// value each.
//
// Owns: the root key (RootKey, LoadOrCreateRootKey, LoadRootKey), KMS keys
// (Keyring, ResolveKey) and their records under the "kms/" storage prefix,
// the sealed value and sealed record formats, storage-key blinding, and the
// derivation of the audit log's keys (AuditKeys; the audit package uses them).
//
// Must not import: net/http or any API package, the secrets package or any
// other domain package, math/rand. It imports from Coffer only storage,
// atomicfile and uuid.
//
// Invariants:
//   - No key material or plaintext appears in an error, a log line or a
//     formatted value; RootKey prints "keys.RootKey(redacted)" however it is
//     printed, and there is no accessor for its bytes.
//   - A sealed value opens only with the aad it was sealed with; swapping two
//     sealed values between two aads, changing or dropping any byte, or a
//     different root key yields ErrDecryption, never another value.
//   - A sealed record opens only under the storage key it was sealed for.
//   - Each region has exactly one default KMS key, even when several nodes
//     create it concurrently over one backend (compare-and-set on revision 0).
//   - Data keys are zeroed after use; KMS keys are kept unwrapped only in
//     memory, as ready cipher.AEADs, and stored only wrapped. (Go cannot
//     zero the AES key schedules the standard library keeps on the heap.)
//   - NewKeyring refuses a root key other than the one the backend was first
//     used with (ErrRootKeyMismatch).
package keys
