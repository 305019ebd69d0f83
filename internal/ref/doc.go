// Package ref owns the grammar of secret references: the pointers that
// stand in an environment variable (or a template) in place of a secret
// value. Every dialect Coffer understands parses into one Ref, so coffer
// run, coffer import and the agent agree on what a reference means:
//
//   - Serverless Framework: ${ssm:/path}, with v2's ~true/~false/~split
//     suffixes and v3's options ${ssm(raw):...}, ${ssm(noDecrypt):...},
//     ${ssm(eu-west-1):...} in any combination;
//   - CloudFormation dynamic references:
//     {{resolve:secretsmanager:id:SecretString:json-key:stage:version-id}},
//     {{resolve:ssm:name:version}} and {{resolve:ssm-secure:name:version}};
//   - a whole value that is a Secrets Manager secret ARN (with ECS's
//     optional :json-key:stage:version-id suffix) or an SSM parameter ARN;
//   - Azure App Service Key Vault references, @Microsoft.KeyVault(...);
//   - a whole value projects/P/secrets/S/versions/V (Google Secret Manager);
//   - Coffer's own coffer://name[#json-key][?stage=S|?version=V].
//
// docs/references.md is the user-facing description, including how Azure
// vaults and GCP projects map onto Coffer secret names.
//
// Find is a pure function over a string: it does no I/O, reads no
// environment and imports nothing from Coffer. Its errors quote only the
// reference (or the opening of an unterminated one), never the text around
// it, since a value may hold a secret next to a reference.
package ref
