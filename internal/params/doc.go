// Package params is the domain of Coffer's SSM Parameter Store: parameters
// with numbered versions (1, 2, ...; the newest 100 are kept), labels on
// versions, the String, StringList and SecureString types, tiers, allowed
// patterns, data types and tags, and the /aws/reference/secretsmanager/
// path that reads a Secrets Manager secret through Parameter Store.
//
// Every operation takes a Call (principal + region of the request's
// credential scope); the region selects an independent namespace. Each
// operation authorizes through iam.Authorizer (ssm:<Action> on the
// parameter's ARN, with aws:ResourceTag/*, aws:RequestTag/* and
// aws:TagKeys) before it reads or changes anything, and each write is one
// storage.Txn conditioned on the revision of the record it read.
//
// Stored layout (all values encrypted; keys reveal no names):
//
//	ssp/<region>/<blind("ssm",region,name)>        parameter record (every version's
//	                                               metadata; String and StringList
//	                                               values), sealed with AAD = storage key
//	ssv/<region>/<blind("ssm",region,name)>/<n>    SecureString value of version n, sealed
//	                                               under a fresh data key with
//	                                               AAD = parameter ARN + version
//
// Listing operations (GetParametersByPath, DescribeParameters) read every
// record of the region and filter in memory.
//
// Invariants: plaintext values exist only in memory, inside Value, which
// redacts itself when printed; a version's value never changes once
// written; a label is on at most one version of a parameter, and a version
// has at most 10 labels; a SecureString read without decryption returns
// ciphertext, never the plaintext.
//
// params must not import net/http, awsproto or any API package; it reaches
// Secrets Manager only through the SecretReader interface.
package params
