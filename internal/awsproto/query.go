package awsproto

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The AWS query protocol (IAM, STS): a form-encoded request whose Action
// and Version parameters name the operation, answered in XML:
//
//	<ActionResponse xmlns="..."><ActionResult>...</ActionResult>
//	  <ResponseMetadata><RequestId>id</RequestId></ResponseMetadata></ActionResponse>
//
// and errors as
//
//	<ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code>C</Code>
//	  <Message>M</Message></Error><RequestId>id</RequestId></ErrorResponse>

// QueryOp runs one query-protocol action on its parameters and returns the
// value encoded inside <ActionResult> (nil for an empty result).
type QueryOp func(ctx context.Context, params url.Values) (any, error)

// QueryMux routes the actions of one query-protocol service.
type QueryMux struct {
	service string // signing name: "iam", "sts"
	version string // "2010-05-08"
	xmlns   string
	ops     map[string]QueryOp
}

// NewQueryMux returns an empty QueryMux for a service's signing name, API
// version and XML namespace.
func NewQueryMux(service, version, xmlns string) *QueryMux {
	return &QueryMux{service: service, version: version, xmlns: xmlns, ops: make(map[string]QueryOp)}
}

// Service is the signing name the mux serves.
func (m *QueryMux) Service() string { return m.service }

// XMLNS is the namespace of the service's responses.
func (m *QueryMux) XMLNS() string { return m.xmlns }

// Handle registers op for action; it panics on wiring mistakes.
func (m *QueryMux) Handle(action string, op QueryOp) {
	if action == "" || op == nil || m.ops[action] != nil {
		panic("awsproto: bad query action registration " + strconv.Quote(action))
	}
	m.ops[action] = op
}

// Names returns the registered actions in sorted order.
func (m *QueryMux) Names() []string {
	names := make([]string, 0, len(m.ops))
	for name := range m.ops {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the operation params name. A missing or unknown Action is
// InvalidAction; a wrong Version is InvalidAction too, as AWS answers.
func (m *QueryMux) Lookup(params url.Values) (QueryOp, string, *Error) {
	action := params.Get("Action")
	if action == "" {
		return nil, "", &Error{Type: "MissingAction", Message: "Missing Action", Status: http.StatusBadRequest}
	}
	op := m.ops[action]
	if op == nil {
		return nil, action, &Error{Type: "InvalidAction", Message: "Could not find operation " + action + " for version " + params.Get("Version"), Status: http.StatusBadRequest}
	}
	if v := params.Get("Version"); v != m.version {
		return nil, action, &Error{Type: "InvalidAction", Message: "Could not find operation " + action + " for version " + v, Status: http.StatusBadRequest}
	}
	return op, action, nil
}

// ParseQuery decodes a query-protocol request's parameters from its form
// body and URL query.
func ParseQuery(r *http.Request, body []byte) (url.Values, *Error) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &Error{Type: "MalformedQueryString", Message: "The query string is malformed.", Status: http.StatusBadRequest}
	}
	if len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &Error{Type: "MalformedQueryString", Message: "The request body is not a valid form.", Status: http.StatusBadRequest}
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	return params, nil
}

// queryEnvelope is the document around a result.
type queryEnvelope struct {
	XMLName  xml.Name
	XMLNS    string `xml:"xmlns,attr"`
	Result   *queryResult
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

type queryResult struct {
	XMLName xml.Name
	Inner   any
}

// MarshalXML writes the result's fields directly inside <ActionResult>.
func (r *queryResult) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = r.XMLName
	if r.Inner == nil {
		return e.EncodeElement(struct{}{}, start)
	}
	return e.EncodeElement(r.Inner, start)
}

// WriteXML writes a successful query-protocol response.
func WriteXML(w http.ResponseWriter, xmlns, action string, result any, requestID string) error {
	env := queryEnvelope{XMLName: xml.Name{Local: action + "Response"}, XMLNS: xmlns,
		Result: &queryResult{XMLName: xml.Name{Local: action + "Result"}, Inner: result}}
	env.Metadata.RequestID = requestID
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(env); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}

type queryError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// WriteXMLError writes a query-protocol error. Status 5xx errors are of
// type Receiver, the rest Sender.
func WriteXMLError(w http.ResponseWriter, xmlns string, e *Error, requestID string) {
	if e == nil || e.Status == 0 {
		e = &Error{Type: "InternalFailure", Message: "An error occurred on the server side.", Status: http.StatusInternalServerError}
	}
	var doc queryError
	doc.XMLNS = xmlns
	doc.Error.Type = "Sender"
	if e.Status >= 500 {
		doc.Error.Type = "Receiver"
	}
	doc.Error.Code, doc.Error.Message, doc.RequestID = e.Type, e.Message, requestID
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		buf.Reset()
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(e.Status)
	w.Write(buf.Bytes())
}

// IsQueryRequest reports whether r uses the query protocol rather than JSON:
// it has no X-Amz-Target and carries a form body or an Action parameter.
func IsQueryRequest(r *http.Request) bool {
	if r.Header.Get(TargetHeader) != "" {
		return false
	}
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || r.URL.Query().Has("Action")
}
