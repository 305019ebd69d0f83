// Package password generates random passwords with the semantics of AWS
// Secrets Manager's GetRandomPassword: the same character classes, the same
// defaults (32 characters, every included class required) and the same
// refusals, so a rotation function written for AWS gets what it expects.
//
// It owns the character sets and the generator, nothing else: the API
// package decodes the request and maps *Error to AWS's wording. It imports
// no other Coffer package.
//
// Invariants: all randomness comes from crypto/rand, drawn without modulo
// bias; a password is uniform over the passwords the options allow; it
// never holds an excluded character.
package password
