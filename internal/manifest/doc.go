// Package manifest finds the environment variables a deployment manifest
// gives a function, and rewrites their values in place. It knows three
// kinds of file:
//
//   - Serverless Framework's serverless.yml: provider.environment and
//     functions.<name>.environment;
//   - CloudFormation and SAM templates, YAML or JSON: the
//     Properties.Environment.Variables of every AWS::Lambda::Function and
//     AWS::Serverless::Function resource, and SAM's
//     Globals.Function.Environment.Variables;
//   - .env files, in the grammar coffer run --env-file reads (ParseEnv is
//     that grammar, shared with coffer run).
//
// coffer import uses it to find hard-coded secrets (LooksSecret says which
// names look like one; Var.Literal which values are literal text and not a
// reference, an intrinsic function or a variable) and to replace them with
// references. A rewrite changes only the bytes of the values it replaces:
// comments, ordering, quoting and indentation elsewhere stay byte for byte.
// YAML (and JSON, which is parsed as the YAML it is) is read with a YAML
// library's node API for the positions of values; the rewritten file is
// parsed again and refused unless every other value is unchanged.
//
// Everything here is a pure function of bytes: no I/O, no environment. It
// imports only internal/ref from Coffer. Values are never put into errors:
// errors name the file's line and the variable. Diff masks the values it
// removes.
package manifest
