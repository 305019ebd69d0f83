package awsproto

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// TargetHeader names the operation of a JSON 1.1 request, as
// "<prefix>.<operation>", e.g. "secretsmanager.GetSecretValue".
const TargetHeader = "X-Amz-Target"

// Op runs one operation on a request body and returns the value to encode
// as the response (nil for {}) or an error for the API package's table.
type Op func(ctx context.Context, body []byte) (any, error)

// Mux routes X-Amz-Target values of one service to its operations. Register
// every operation with Handle before the Mux serves; Lookup may then be
// called concurrently.
type Mux struct {
	prefix string // "secretsmanager"
	dotted string // "secretsmanager."
	ops    map[string]Op
}

// NewMux returns an empty Mux for the service whose target prefix is
// prefix, e.g. "secretsmanager" or "AmazonSSM".
func NewMux(prefix string) *Mux {
	if prefix == "" {
		panic("awsproto: NewMux with empty prefix")
	}
	return &Mux{prefix: prefix, dotted: prefix + ".", ops: make(map[string]Op)}
}

// Handle registers op under name, e.g. "GetSecretValue". It panics if name
// is empty, contains a dot, or is already registered, or if op is nil: these
// are wiring mistakes.
func (m *Mux) Handle(name string, op Op) {
	switch {
	case name == "" || strings.Contains(name, "."):
		panic("awsproto: invalid operation name " + strconv.Quote(name))
	case op == nil:
		panic("awsproto: nil Op for " + name)
	case m.ops[name] != nil:
		panic("awsproto: operation " + name + " registered twice")
	}
	m.ops[name] = op
}

// Lookup returns the operation a target names, and the operation's name for
// logs. The match is exact and case-sensitive, as AWS's is.
//
// A missing target, one without this service's prefix, a lower-cased one or
// an unknown operation all get what AWS answers: HTTP 400 with
// {"__type":"UnknownOperationException"} and no Message.
func (m *Mux) Lookup(target string) (Op, string, *Error) {
	name, ok := strings.CutPrefix(target, m.dotted)
	if !ok {
		return nil, "", unknownOperation(http.StatusBadRequest)
	}
	op := m.ops[name]
	if op == nil {
		return nil, "", unknownOperation(http.StatusBadRequest)
	}
	return op, name, nil
}

// Prefix returns the target prefix the Mux was made with.
func (m *Mux) Prefix() string { return m.prefix }

// Names returns the registered operation names in sorted order.
func (m *Mux) Names() []string {
	names := make([]string, 0, len(m.ops))
	for name := range m.ops {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// CheckContentType refuses a request whose Content-Type is not
// application/x-amz-json-1.1 (parameters such as charset are allowed, and
// the media type is matched without regard to case).
//
// AWS does not read such a request as JSON 1.1: with no Content-Type or
// with application/x-amz-json-1.0 it answers HTTP 404
// UnknownOperationException (its body is then XML; ours stays JSON, the only
// encoding a JSON 1.1 client parses). The SDKs always send the right type.
func CheckContentType(contentType string) *Error {
	mediaType, _, _ := strings.Cut(contentType, ";")
	if strings.EqualFold(strings.TrimSpace(mediaType), ContentType) {
		return nil
	}
	return unknownOperation(http.StatusNotFound)
}
