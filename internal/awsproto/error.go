package awsproto

import (
	"fmt"
	"net/http"
)

// Error types this package produces itself. API packages define their own
// (ResourceNotFoundException, ...) in their error tables.
const (
	// TypeSerialization is the __type AWS sends when the request body is
	// not a JSON object or a member has the wrong JSON type (HTTP 400).
	TypeSerialization = "SerializationException"

	// TypeUnknownOperation is the __type AWS sends when X-Amz-Target is
	// missing, malformed or names an operation the service does not have
	// (HTTP 400), and when the Content-Type is not JSON 1.1 (HTTP 404).
	TypeUnknownOperation = "UnknownOperationException"
)

// Error is an error as the client sees it: the __type, the Message and the
// HTTP status. The zero Message is omitted from the body, as AWS omits it
// for the errors its front end raises before an operation runs.
type Error struct {
	Type    string // __type and X-Amzn-ErrorType, e.g. "ResourceNotFoundException"
	Message string // client-facing text; never a secret value or request bytes
	Status  int    // HTTP status; zero is written as 500

	// Field is the path of the member that failed to decode, such as
	// "Tags[0].Key", for the server log. It is never written to the client:
	// AWS's messages do not name the member, and clients match on Message.
	Field string
}

// Errorf returns an *Error of the given type and status whose Message is
// formatted as in fmt.Sprintf. For a message held in a variable, build the
// Error literal instead.
func Errorf(typ string, status int, format string, args ...any) *Error {
	return &Error{Type: typ, Message: fmt.Sprintf(format, args...), Status: status}
}

// Error returns "Type: Message", followed by the failing member's path when
// one is known.
func (e *Error) Error() string {
	s := e.Type
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Field != "" {
		s += " (member " + e.Field + ")"
	}
	return s
}

func serializationError(msg string) *Error {
	return &Error{Type: TypeSerialization, Message: msg, Status: http.StatusBadRequest}
}

func unknownOperation(status int) *Error {
	return &Error{Type: TypeUnknownOperation, Status: status}
}
