// Package awsproto speaks the AWS JSON 1.1 protocol on the server side:
// routing a request by its X-Amz-Target header to a registered operation,
// decoding the JSON body into a wire struct the way AWS's front end does,
// and writing results and errors in the shape the AWS SDKs parse.
//
// It owns the wire-level errors that happen before an operation runs
// (UnknownOperationException, SerializationException) and the encoding of
// every error (Error, WriteError); each API package keeps its own table that
// turns domain errors into an *Error. It knows nothing of secrets: it must
// not import any other Coffer package, and it holds no package-level mutable
// state.
//
// Invariants:
//   - Decode never echoes request bytes in an error: a body may hold a
//     secret value, so messages name JSON token kinds and Go field paths only.
//   - Decode matches member names exactly (case-sensitive), ignores unknown
//     members, treats null as absent and refuses anything that is not one
//     well-formed JSON object in valid UTF-8.
//   - Every response carries Content-Type application/x-amz-json-1.1; an
//     error also carries X-Amzn-ErrorType equal to its __type.
//
// Decode and Mux.Lookup return *Error, not error: check the result for nil
// before returning it from a function whose result type is error, or the
// caller receives a non-nil error holding a nil *Error.
package awsproto
