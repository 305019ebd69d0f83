package awsproto

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// input is shaped like a Secrets Manager wire struct, with one member of
// each kind Decode fills.
type input struct {
	SecretID             string            `json:"SecretId"`
	SecretString         *string           `json:"SecretString,omitempty"`
	SecretBinary         []byte            `json:"SecretBinary,omitempty"`
	ForceDelete          *bool             `json:"ForceDeleteWithoutRecovery,omitempty"`
	RecoveryWindowInDays *int64            `json:"RecoveryWindowInDays,omitempty"`
	MaxResults           *int32            `json:"MaxResults,omitempty"`
	Tags                 []tag             `json:"Tags,omitempty"`
	RotationRules        *rotationRules    `json:"RotationRules,omitempty"`
	VersionStages        []string          `json:"VersionStages,omitempty"`
	Attrs                map[string]string `json:"Attrs,omitempty"`
	Date                 *Timestamp        `json:"Date,omitempty"`
	Ratio                float64           `json:"Ratio,omitempty"`
	Doc                  any               `json:"Doc,omitempty"`
	Count                uint16            `json:"Count,omitempty"`
	Ignored              string            `json:"-"`
	unexported           string            //lint:ignore U1000 present to show Decode skips unexported fields
}

type tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type rotationRules struct {
	AutomaticallyAfterDays *int64  `json:"AutomaticallyAfterDays,omitempty"`
	ScheduleExpression     *string `json:"ScheduleExpression,omitempty"`
}

func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	const (
		list      = "Start of list found where not expected"
		structure = "Start of structure or map found where not expected."
	)
	tests := []struct {
		name  string
		body  string
		msg   string // Message; "" when AWS sends none
		field string
	}{
		{name: "unterminated JSON is refused without a message", body: `{"SecretId":`},
		{name: "a trailing comma is refused without a message", body: `{"SecretId":"a",}`},
		{name: "an unquoted key is refused", body: `{SecretId:"a"}`},
		{name: "a single-quoted string is refused", body: `{"SecretId":'a'}`},
		{name: "trailing garbage after the object is refused", body: `{"SecretId":"a"} x`},
		{name: "a second object after the first is refused", body: `{}{}`},
		{name: "a lone brace is refused", body: `{`},
		{name: "invalid UTF-8 inside a string is refused", body: "{\"SecretId\":\"\xff\"}"},
		{name: "a raw control character inside a string is refused", body: "{\"SecretId\":\"a\x01\"}"},
		{name: "a top-level null is refused without a message", body: `null`},
		{name: "a top-level string is refused without a message", body: `"x"`},
		{name: "a top-level number is refused without a message", body: `42`},
		{name: "a top-level true is refused without a message", body: `true`},
		{name: "a top-level array is refused as a list", body: `[]`, msg: list},
		{name: "a top-level array of objects is refused as a list", body: ` [{"SecretId":"a"}]`, msg: list},

		{name: "a number for a string is refused", body: `{"SecretId":1}`, msg: "NUMBER_VALUE can not be converted to a String", field: "SecretId"},
		{name: "a negative fraction for a string is refused", body: `{"SecretId":-1.5e3}`, msg: "NUMBER_VALUE can not be converted to a String", field: "SecretId"},
		{name: "true for a string is refused", body: `{"SecretId":true}`, msg: "TRUE_VALUE can not be converted to a String", field: "SecretId"},
		{name: "false for a string is refused", body: `{"SecretId":false}`, msg: "FALSE_VALUE can not be converted to a String", field: "SecretId"},
		{name: "an object for a string is refused", body: `{"SecretId":{}}`, msg: structure, field: "SecretId"},
		{name: "an array for a string is refused", body: `{"SecretId":["a"]}`, msg: list, field: "SecretId"},
		{name: "an object for a string pointer is refused", body: `{"SecretString":{"a":1}}`, msg: structure, field: "SecretString"},

		{name: "a string for a long is refused", body: `{"RecoveryWindowInDays":"7"}`, msg: "STRING_VALUE can not be converted to a Long", field: "RecoveryWindowInDays"},
		{name: "a string for an integer is refused", body: `{"MaxResults":"1"}`, msg: "STRING_VALUE can not be converted to an Integer", field: "MaxResults"},
		{name: "true for an integer is refused", body: `{"MaxResults":true}`, msg: "TRUE_VALUE can not be converted to an Integer", field: "MaxResults"},
		{name: "an array for an integer is refused", body: `{"MaxResults":[1]}`, msg: list, field: "MaxResults"},
		{name: "an object for a long is refused", body: `{"RecoveryWindowInDays":{}}`, msg: structure, field: "RecoveryWindowInDays"},
		{name: "a long beyond int64 is refused", body: `{"RecoveryWindowInDays":9223372036854775808}`, msg: "NUMBER_VALUE can not be converted to a Long", field: "RecoveryWindowInDays"},
		{name: "a long far beyond int64 is refused", body: `{"RecoveryWindowInDays":-99999999999999999999999999999}`, msg: "NUMBER_VALUE can not be converted to a Long", field: "RecoveryWindowInDays"},
		{name: "a fraction beyond int64 is refused", body: `{"RecoveryWindowInDays":1e19}`, msg: "NUMBER_VALUE can not be converted to a Long", field: "RecoveryWindowInDays"},
		{name: "an exponent beyond float64 is refused", body: `{"RecoveryWindowInDays":1e400}`, msg: "NUMBER_VALUE can not be converted to a Long", field: "RecoveryWindowInDays"},
		{name: "an integer beyond int32 is refused", body: `{"MaxResults":2147483648}`, msg: "NUMBER_VALUE can not be converted to an Integer", field: "MaxResults"},
		{name: "a negative number for an unsigned member is refused", body: `{"Count":-1}`, msg: "NUMBER_VALUE can not be converted to an Integer", field: "Count"},
		{name: "a number beyond uint16 is refused", body: `{"Count":65536}`, msg: "NUMBER_VALUE can not be converted to an Integer", field: "Count"},
		{name: "a double beyond float64 is refused", body: `{"Ratio":1e400}`, msg: "NUMBER_VALUE can not be converted to a Double", field: "Ratio"},
		{name: "a string for a double is refused", body: `{"Ratio":"1"}`, msg: "STRING_VALUE can not be converted to a Double", field: "Ratio"},

		{name: "a string for a boolean is refused with AWS's grammar", body: `{"ForceDeleteWithoutRecovery":"true"}`, msg: "STRING_VALUE can not be converted to an Boolean", field: "ForceDeleteWithoutRecovery"},
		{name: "a number for a boolean is refused", body: `{"ForceDeleteWithoutRecovery":1}`, msg: "NUMBER_VALUE can not be converted to a Boolean", field: "ForceDeleteWithoutRecovery"},
		{name: "an object for a boolean is refused", body: `{"ForceDeleteWithoutRecovery":{}}`, msg: structure, field: "ForceDeleteWithoutRecovery"},

		{name: "a string for a list is refused", body: `{"VersionStages":"AWSCURRENT"}`, msg: "Expected list or null", field: "VersionStages"},
		{name: "a number for a list is refused", body: `{"VersionStages":1}`, msg: "Expected list or null", field: "VersionStages"},
		{name: "an object for a list is refused", body: `{"Tags":{"Key":"a"}}`, msg: "Expected list or null", field: "Tags"},
		{name: "a number inside a list of strings is refused", body: `{"VersionStages":["a",2]}`, msg: "NUMBER_VALUE can not be converted to a String", field: "VersionStages[1]"},
		{name: "a nested list inside a list of strings is refused", body: `{"VersionStages":[["a"]]}`, msg: list, field: "VersionStages[0]"},

		{name: "a string for a structure is refused", body: `{"RotationRules":"x"}`, msg: "Expected null", field: "RotationRules"},
		{name: "true for a structure is refused", body: `{"RotationRules":true}`, msg: "Expected null", field: "RotationRules"},
		{name: "an array for a structure is refused", body: `{"RotationRules":[]}`, msg: list, field: "RotationRules"},
		{name: "a wrong type inside a nested structure names its path", body: `{"RotationRules":{"AutomaticallyAfterDays":"x"}}`, msg: "STRING_VALUE can not be converted to a Long", field: "RotationRules.AutomaticallyAfterDays"},
		{name: "a wrong type inside a list of structures names its index", body: `{"Tags":[{"Key":"a"},{"Key":5}]}`, msg: "NUMBER_VALUE can not be converted to a String", field: "Tags[1].Key"},
		{name: "a string for a list of structures element is refused", body: `{"Tags":["a"]}`, msg: "Expected null", field: "Tags[0]"},

		{name: "a string for a map is refused", body: `{"Attrs":"x"}`, msg: "Expected null", field: "Attrs"},
		{name: "an array for a map is refused", body: `{"Attrs":[]}`, msg: list, field: "Attrs"},
		{name: "a wrong type for a map value names its key", body: `{"Attrs":{"a":1}}`, msg: "NUMBER_VALUE can not be converted to a String", field: "Attrs.a"},

		{name: "a blob that is not base64 is refused", body: `{"SecretBinary":"***"}`, msg: "Base64 encoded value is not valid", field: "SecretBinary"},
		{name: "a number for a blob is refused", body: `{"SecretBinary":12}`, msg: "NUMBER_VALUE can not be converted to a Blob", field: "SecretBinary"},
		{name: "an array for a blob is refused", body: `{"SecretBinary":[1,2]}`, msg: list, field: "SecretBinary"},

		{name: "true for a timestamp is refused", body: `{"Date":true}`, msg: "TRUE_VALUE can not be converted to a Timestamp", field: "Date"},
		{name: "a string that is not RFC 3339 for a timestamp is refused", body: `{"Date":"yesterday"}`, msg: "STRING_VALUE can not be converted to a Timestamp", field: "Date"},
		{name: "an object for a timestamp is refused", body: `{"Date":{}}`, msg: structure, field: "Date"},
		{name: "a timestamp beyond the supported range is refused", body: `{"Date":1e300}`, msg: "NUMBER_VALUE can not be converted to a Timestamp", field: "Date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var in input
			got := Decode([]byte(tt.body), &in)
			want := &Error{Type: "SerializationException", Message: tt.msg, Status: 400, Field: tt.field}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Decode(%q) error mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	i64 := func(n int64) *int64 { return &n }
	tests := []struct {
		name string
		body string
		want input
	}{
		{name: "an empty body reads as an empty object", body: ``},
		{name: "a body of whitespace reads as an empty object", body: " \t\r\n"},
		{name: "an empty object sets nothing", body: `{}`},
		{name: "whitespace around tokens is allowed", body: " {\n\t\"SecretId\" :\r \"a\" , \"VersionStages\" : [ \"x\" , \"y\" ] }\n", want: input{SecretID: "a", VersionStages: []string{"x", "y"}}},
		{name: "unknown members are skipped whatever their shape", body: `{"NewField":{"a":[1,{"b":null},"}"],"c":true},"SecretId":"x","Other":[[[]]],"N":-1.5e-3}`, want: input{SecretID: "x"}},
		{name: "member names match case-sensitively", body: `{"secretid":"x","SECRETID":"y"}`},
		{name: "a member tagged with a dash is never filled", body: `{"Ignored":"x","-":"y","unexported":"z"}`},
		{name: "null is the same as absent", body: `{"SecretString":null,"Tags":null,"RotationRules":null,"SecretId":null,"MaxResults":null,"Date":null,"Doc":null,"Attrs":null}`},
		{name: "null elements of a list are dropped", body: `{"VersionStages":["a",null,"b",null]}`, want: input{VersionStages: []string{"a", "b"}}},
		{name: "null values of a map are dropped", body: `{"Attrs":{"a":"1","b":null}}`, want: input{Attrs: map[string]string{"a": "1"}}},
		{name: "an empty list stays an empty list", body: `{"VersionStages":[]}`, want: input{VersionStages: []string{}}},
		{name: "the last of repeated members wins", body: `{"SecretId":"a","SecretId":"b"}`, want: input{SecretID: "b"}},
		{name: "a repeated structure replaces rather than merges", body: `{"RotationRules":{"AutomaticallyAfterDays":7},"RotationRules":{"ScheduleExpression":"rate(1 day)"}}`, want: input{RotationRules: &rotationRules{ScheduleExpression: str("rate(1 day)")}}},
		{name: "a fraction is truncated toward zero for a long", body: `{"RecoveryWindowInDays":7.9}`, want: input{RecoveryWindowInDays: i64(7)}},
		{name: "a negative fraction is truncated toward zero", body: `{"RecoveryWindowInDays":-7.9}`, want: input{RecoveryWindowInDays: i64(-7)}},
		{name: "an exponent is accepted for a long", body: `{"RecoveryWindowInDays":3E1}`, want: input{RecoveryWindowInDays: i64(30)}},
		{name: "the largest long is accepted", body: `{"RecoveryWindowInDays":9223372036854775807}`, want: input{RecoveryWindowInDays: i64(9223372036854775807)}},
		{name: "escapes in strings are decoded", body: `{"SecretId":"a\u00e9\"\\\/\n\t\ud83d\ude00"}`, want: input{SecretID: "aé\"\\/\n\t😀"}},
		{name: "escapes in member names are decoded", body: `{"Secret\u0049d":"x"}`, want: input{SecretID: "x"}},
		{name: "non-ASCII text passes through", body: `{"SecretString":"пароль 密码"}`, want: input{SecretString: str("пароль 密码")}},
		{name: "HTML-like text passes through", body: `{"SecretString":"<a href='x'>&amp;</a>"}`, want: input{SecretString: str("<a href='x'>&amp;</a>")}},
		{name: "a blob is read from base64", body: `{"SecretBinary":"AAEC/w=="}`, want: input{SecretBinary: []byte{0, 1, 2, 255}}},
		{name: "an empty blob is read as empty", body: `{"SecretBinary":""}`, want: input{SecretBinary: []byte{}}},
		{name: "booleans are read", body: `{"ForceDeleteWithoutRecovery":false}`, want: input{ForceDelete: new(false)}},
		{name: "a nested list of structures is read", body: `{"Tags":[{"Key":"k","Value":"v"},null,{"Key":"k2"}]}`, want: input{Tags: []tag{{Key: str("k"), Value: str("v")}, {Key: str("k2")}}}},
		{name: "a timestamp is read from epoch seconds", body: `{"Date":1.523477145713E9}`, want: input{Date: ts(time.UnixMilli(1523477145713))}},
		{name: "a timestamp is read from RFC 3339", body: `{"Date":"2018-04-11T20:05:45.713Z"}`, want: input{Date: ts(time.UnixMilli(1523477145713).UTC())}},
		{name: "an any member takes any JSON", body: `{"Doc":{"a":[1,"b",true]}}`, want: input{Doc: map[string]any{"a": []any{1.0, "b", true}}}},
		{name: "an unsigned member is read", body: `{"Count":65535}`, want: input{Count: 65535}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got input
			if err := Decode([]byte(tt.body), &got); err != nil {
				t.Fatalf("Decode(%q) = %v, want nil", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(input{}), cmp.Comparer(timestampEqual)); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func ts(t time.Time) *Timestamp { v := Timestamp(t); return &v }

func timestampEqual(a, b Timestamp) bool { return time.Time(a).Equal(time.Time(b)) }

func TestDecodeKeepsTopLevelDefaults(t *testing.T) {
	t.Parallel()
	in := input{SecretID: "default", Ratio: 0.5}
	if err := Decode([]byte(`{"SecretId":"set"}`), &in); err != nil {
		t.Fatalf("Decode = %v, want nil", err)
	}
	if in.SecretID != "set" || in.Ratio != 0.5 {
		t.Errorf("Decode into preset input = %+v, want SecretID set and Ratio 0.5 kept", in)
	}
}

func TestDecodeNeverEchoesTheBody(t *testing.T) {
	t.Parallel()
	const canary = "s3cr3t-canary-8d1f"
	bodies := []string{
		`{"SecretString":{"` + canary + `":1}}`,
		`{"RecoveryWindowInDays":"` + canary + `"}`,
		`{"ForceDeleteWithoutRecovery":"` + canary + `"}`,
		`{"Date":"` + canary + `"}`,
		`{"SecretBinary":"` + canary + `!"}`,
		`{"Attrs":{"k":[` + `"` + canary + `"]}}`,
		`{"SecretString":"` + canary + `"`,
		`["` + canary + `"]`,
	}
	for _, body := range bodies {
		var in input
		err := Decode([]byte(body), &in)
		if err == nil {
			t.Errorf("Decode(%q) = nil, want an error", body)
			continue
		}
		if strings.Contains(err.Error(), canary) || strings.Contains(err.Message, canary) {
			t.Errorf("Decode(%q) = %q, which echoes the body", body, err)
		}
	}
}

type embeddedBase struct {
	Name string `json:"Name"`
}

type EmbeddedPtr struct {
	Region string `json:"Region"`
}

type withEmbedded struct {
	embeddedBase
	*EmbeddedPtr
	Own string `json:"Own"`
}

func TestDecodeEmbeddedStructs(t *testing.T) {
	t.Parallel()
	var got withEmbedded
	if err := Decode([]byte(`{"Name":"n","Region":"r","Own":"o"}`), &got); err != nil {
		t.Fatalf("Decode = %v, want nil", err)
	}
	if got.Name != "n" || got.EmbeddedPtr == nil || got.Region != "r" || got.Own != "o" {
		t.Errorf("Decode = %+v, want promoted members filled", got)
	}
}

func TestDecodeIntoMap(t *testing.T) {
	t.Parallel()
	var got map[string]any
	if err := Decode([]byte(`{"a":1,"b":null}`), &got); err != nil {
		t.Fatalf("Decode = %v, want nil", err)
	}
	if diff := cmp.Diff(map[string]any{"a": 1.0}, got); diff != "" {
		t.Errorf("Decode mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodePanicsOnNonPointer(t *testing.T) {
	t.Parallel()
	for _, v := range []any{nil, input{}, (*input)(nil)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Decode(%T) did not panic", v)
				}
			}()
			Decode([]byte(`{}`), v)
		}()
	}
}

func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf","VersionStage":"AWSCURRENT","Tags":[{"Key":"team","Value":"payments"},{"Key":"env","Value":"prod"}],"SecretString":"{\"username\":\"admin\",\"password\":\"correct horse battery staple\"}","RecoveryWindowInDays":7}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var in input
		if err := Decode(body, &in); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeFieldPathOfAnEmptyMapKey(t *testing.T) {
	t.Parallel()
	var in input
	err := Decode([]byte(`{"Attrs":{"":1}}`), &in)
	if err == nil || err.Field != "Attrs." {
		t.Errorf("Decode = %#v, want Field %q", err, "Attrs.")
	}
}
