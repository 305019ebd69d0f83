package server

import (
	"crypto/ed25519"
	"maps"
	"testing"

	"github.com/coffer-dev/coffer/internal/audit"
)

// paramsServer is just enough of a Server for bodyParams: a trail (its
// presence turns extraction on) and the keys that digest values.
func paramsServer(t testing.TB) *Server {
	t.Helper()
	k, err := audit.NewKeys(make([]byte, 32), ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	return &Server{trail: &audit.Trail{}, auditKeys: k}
}

func TestBodyParams(t *testing.T) {
	t.Parallel()
	s := paramsServer(t)
	digest := func(v string) string { return s.auditKeys.Digest([]byte(v)) }
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"a safe string is kept as given", `{"SecretId":"prod/db"}`, map[string]string{"SecretId": "prod/db"}},
		{"any other string is digested", `{"SecretId":"a","SecretString":"hunter2"}`, map[string]string{"SecretId": "a", "SecretString": digest("hunter2")}},
		{"numbers and booleans are kept, null is left out", ` { "MaxResults" : 1.50e1 , "IncludeDeprecated":true,"VersionId":null } `,
			map[string]string{"MaxResults": "15", "IncludeDeprecated": "true"}},
		{"arrays and objects are left out", `{"SecretId":"a","Filters":[{"Key":"name"}],"Tags":{}}`, map[string]string{"SecretId": "a"}},
		{"escapes are decoded", `{"SecretId":"a\/b\u0041"}`, map[string]string{"SecretId": "a/bA"}},
		{"the last of a repeated name wins", `{"SecretId":"a","SecretId":"b"}`, map[string]string{"SecretId": "b"}},
		{"a null after a value removes it", `{"SecretId":"a","SecretId":null}`, map[string]string{}},
		{"malformed JSON gives nothing", `{"SecretId":"a",}`, nil},
		{"trailing bytes give nothing", `{"SecretId":"a"} x`, nil},
		{"a top-level array gives nothing", `["SecretId"]`, nil},
		{"a leading zero is not a number", `{"MaxResults":01}`, nil},
	}
	for _, tt := range tests {
		got := s.bodyParams([]byte(tt.body))
		if !maps.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("%s: bodyParams(%s) = %v, want %v", tt.name, tt.body, got, tt.want)
		}
	}
}

// FuzzBodyParams holds the in-place scan of flat bodies to what
// encoding/json makes of the same bytes.
func FuzzBodyParams(f *testing.F) {
	for _, seed := range []string{
		`{"SecretId":"bench-get"}`,
		`{"SecretId":"a","VersionStage":"AWSCURRENT","MaxResults":10,"IncludeDeprecated":false}`,
		`{"SecretId":"a","SecretString":"v","ClientRequestToken":"t"}`,
		` {"a" : -0.5E-3 , "b":null,"c":true} `,
		`{"a":1e400}`, `{"a":"\u00e9"}`, `{"a":"é"}`, `{}`, `{ }`, `{"a":[1]}`, `{"a":01}`, `{"a":1}}`,
	} {
		f.Add([]byte(seed))
	}
	s := paramsServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		flat, ok := s.flatParams(body)
		if !ok {
			return
		}
		want := s.jsonParams(body)
		if want == nil || !maps.Equal(flat, want) {
			t.Errorf("flatParams(%q) = %v, jsonParams = %v", body, flat, want)
		}
	})
}
