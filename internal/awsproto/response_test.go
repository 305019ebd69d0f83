package awsproto

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        *Error
		wantStatus int
		wantType   string
		wantBody   string
	}{
		{
			name:       "an error is written with its type, status and capitalised Message",
			err:        Errorf("ResourceNotFoundException", 400, "Secrets Manager can't find the specified secret."),
			wantStatus: 400, wantType: "ResourceNotFoundException",
			wantBody: `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`,
		},
		{
			name:       "an error without a message has no Message member",
			err:        &Error{Type: "UnknownOperationException", Status: 400},
			wantStatus: 400, wantType: "UnknownOperationException",
			wantBody: `{"__type":"UnknownOperationException"}`,
		},
		{
			name:       "quotes and HTML in a message are escaped only as JSON needs",
			err:        Errorf("InvalidParameterException", 400, `bad "name" <%s> & more`, "x"),
			wantStatus: 400, wantType: "InvalidParameterException",
			wantBody: `{"__type":"InvalidParameterException","Message":"bad \"name\" <x> & more"}`,
		},
		{
			name:       "a server error keeps its 500",
			err:        Errorf("InternalServiceError", 500, "An error occurred on the server side."),
			wantStatus: 500, wantType: "InternalServiceError",
			wantBody: `{"__type":"InternalServiceError","Message":"An error occurred on the server side."}`,
		},
		{
			name:       "the member path is kept out of the body",
			err:        &Error{Type: TypeSerialization, Message: "Expected null", Status: 400, Field: "RotationRules"},
			wantStatus: 400, wantType: TypeSerialization,
			wantBody: `{"__type":"SerializationException","Message":"Expected null"}`,
		},
		{
			name:       "an error without a status is written as a 500, never a 200",
			err:        &Error{Type: "InternalFailure"},
			wantStatus: 500, wantType: "InternalFailure",
			wantBody: `{"__type":"InternalFailure"}`,
		},
		{
			name:       "a nil error is written as InternalFailure",
			err:        nil,
			wantStatus: 500, wantType: "InternalFailure",
			wantBody: `{"__type":"InternalFailure"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			WriteError(rec, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			wantHeader := http.Header{
				"Content-Type":     {"application/x-amz-json-1.1"},
				"Content-Length":   {strconv.Itoa(len(tt.wantBody))},
				"X-Amzn-Errortype": {tt.wantType},
			}
			if diff := cmp.Diff(wantHeader, rec.Header()); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *Error
		want string
	}{
		{Errorf("ResourceNotFoundException", 400, "not found"), "ResourceNotFoundException: not found"},
		{&Error{Type: TypeUnknownOperation, Status: 400}, "UnknownOperationException"},
		{&Error{Type: TypeSerialization, Message: "Expected null", Field: "A.B"}, "SerializationException: Expected null (member A.B)"},
		{Errorf("X", 400, "%d%% done", 100), "X: 100% done"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	var err error = Errorf("X", 400, "y")
	if e, ok := errors.AsType[*Error](err); !ok || e.Type != "X" {
		t.Errorf("errors.AsType[*Error](%v) = %v, %v; want the *Error", err, e, ok)
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	type out struct {
		ARN          string     `json:"ARN"`
		SecretString *string    `json:"SecretString,omitempty"`
		CreatedDate  *Timestamp `json:"CreatedDate,omitempty"`
		Binary       []byte     `json:"SecretBinary,omitempty"`
	}
	secret := `{"password":"<p&ss>"}`
	tests := []struct {
		name string
		v    any
		want string
	}{
		{name: "a nil result is an empty object", v: nil, want: `{}`},
		{name: "a nil output pointer is an empty object", v: (*out)(nil), want: `{}`},
		{name: "members without omitempty are written even when empty", v: out{}, want: `{"ARN":""}`},
		{name: "a struct is written compactly without a trailing newline", v: out{ARN: "arn:x", CreatedDate: ts(time.UnixMilli(1523477145713))}, want: `{"ARN":"arn:x","CreatedDate":1.523477145713E9}`},
		{name: "HTML characters are not escaped", v: out{ARN: "a", SecretString: &secret}, want: `{"ARN":"a","SecretString":"{\"password\":\"<p&ss>\"}"}`},
		{name: "a blob is written as base64", v: out{ARN: "a", Binary: []byte{0, 1, 2, 255}}, want: `{"ARN":"a","SecretBinary":"AAEC/w=="}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			if err := WriteJSON(rec, tt.v); err != nil {
				t.Fatalf("WriteJSON = %v", err)
			}
			if rec.Code != 200 {
				t.Errorf("status = %d, want 200", rec.Code)
			}
			wantHeader := http.Header{
				"Content-Type":   {"application/x-amz-json-1.1"},
				"Content-Length": {strconv.Itoa(len(tt.want))},
			}
			if diff := cmp.Diff(wantHeader, rec.Header()); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("body = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWriteJSONEncodingErrorWritesNothing(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, map[string]any{"f": func() {}}); err == nil {
		t.Fatal("WriteJSON(func) = nil, want an error")
	}
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 || rec.Code != 200 || rec.Flushed {
		t.Errorf("WriteJSON wrote %d bytes and headers %v after failing", rec.Body.Len(), rec.Header())
	}
	WriteError(rec, Errorf("InternalServiceError", 500, "An error occurred on the server side."))
	if rec.Code != 500 {
		t.Errorf("status after WriteError = %d, want 500", rec.Code)
	}
}

func TestWriteJSONConcurrent(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			for j := range 200 {
				rec := httptest.NewRecorder()
				v := map[string]int{"N": i*1000 + j}
				if err := WriteJSON(rec, v); err != nil {
					t.Fatal(err)
				}
				if want := `{"N":` + strconv.Itoa(i*1000+j) + `}`; rec.Body.String() != want {
					t.Fatalf("body = %s, want %s", rec.Body, want)
				}
			}
		})
	}
}

func BenchmarkWriteJSON(b *testing.B) {
	type out struct {
		ARN          string     `json:"ARN"`
		Name         string     `json:"Name"`
		VersionID    string     `json:"VersionId"`
		SecretString string     `json:"SecretString"`
		Stages       []string   `json:"VersionStages"`
		CreatedDate  *Timestamp `json:"CreatedDate"`
	}
	v := out{
		ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", Name: "prod/db",
		VersionID: "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", SecretString: `{"username":"admin","password":"x"}`,
		Stages: []string{"AWSCURRENT"}, CreatedDate: ts(time.UnixMilli(1523477145713)),
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := WriteJSON(rec, v); err != nil {
			b.Fatal(err)
		}
	}
}
