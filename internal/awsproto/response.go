package awsproto

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"sync"
)

// ContentType is the media type of JSON 1.1 requests and responses.
const ContentType = "application/x-amz-json-1.1"

// maxPooledBuffer bounds the buffers kept for reuse, so that one large
// response does not pin its memory for the life of the process.
const maxPooledBuffer = 64 << 10

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// WriteJSON writes v as a 200 JSON 1.1 response. A nil v, or a nil
// pointer, is written as {}, the body of an operation without output
// members. v is encoded in full
// before anything is written, so on an encoding error nothing has been sent
// and the caller can still write an error.
//
// Strings are not HTML-escaped (AWS sends "<" as is).
func WriteJSON(w http.ResponseWriter, v any) error {
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	if rv := reflect.ValueOf(v); !rv.IsValid() || (rv.Kind() == reflect.Pointer && rv.IsNil()) {
		buf.WriteString("{}")
	} else if err := encode(buf, v); err != nil {
		return err
	}
	return write(w, http.StatusOK, "", buf.Bytes())
}

// WriteError writes e with its status, X-Amzn-ErrorType and a body
// {"__type":...,"Message":...}. The member is "Message", capitalised, as the
// Secrets Manager model names it and the service sends it; botocore and
// aws-sdk-go-v2 read either casing. A nil e, or one without a status, is
// written as a 500 so that a bug never turns into a 200.
func WriteError(w http.ResponseWriter, e *Error) {
	if e == nil {
		e = &Error{Type: "InternalFailure"}
	}
	status := e.Status
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	buf := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	body := struct {
		Type    string `json:"__type"`
		Message string `json:"Message,omitempty"`
	}{e.Type, e.Message}
	if err := encode(buf, body); err != nil {
		// Two strings always encode; keep a body the SDKs can parse anyway.
		buf.Reset()
		buf.WriteString(`{"__type":"InternalFailure"}`)
	}
	_ = write(w, status, e.Type, buf.Bytes())
}

func encode(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline; AWS bodies do not
	return nil
}

func write(w http.ResponseWriter, status int, errorType string, body []byte) error {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if errorType != "" {
		h.Set("X-Amzn-ErrorType", errorType)
	}
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// putBuffer wipes buf before pooling it: responses carry secret values, and
// a pooled buffer must not keep them alive after the response is sent.
func putBuffer(buf *bytes.Buffer) {
	clear(buf.Bytes())
	if buf.Cap() > maxPooledBuffer {
		return
	}
	buf.Reset()
	bufferPool.Put(buf)
}
