package awsproto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// knownMessages are every Message Decode may send; anything else could be
// an echo of the body.
var knownMessages = []string{
	"",
	msgStartList,
	msgStartStructure,
	msgExpectedList,
	msgExpectedNull,
	"Base64 encoded value is not valid",
}

func knownMessage(msg string) bool {
	for _, m := range knownMessages {
		if msg == m {
			return true
		}
	}
	token, target, ok := strings.Cut(msg, " can not be converted to ")
	if !ok {
		return false
	}
	switch token {
	case "STRING_VALUE", "NUMBER_VALUE", "TRUE_VALUE", "FALSE_VALUE":
	default:
		return false
	}
	switch target {
	case "a String", "a Long", "an Integer", "a Boolean", "an Boolean", "a Double", "a Float", "a Blob", "a Timestamp":
		return true
	}
	return false
}

// FuzzDecode checks that Decode never panics, accepts only what it
// documents, refuses only with a SerializationException whose message comes
// from its fixed set, and that what it accepts survives a round trip
// through encoding/json. Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var in input
		err := Decode(body, &in)
		if err != nil {
			if err.Type != TypeSerialization || err.Status != 400 || !knownMessage(err.Message) {
				t.Fatalf("Decode(%q) = %#v, want a SerializationException with a known message", body, err)
			}
			return
		}
		if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) > 0 {
			if trimmed[0] != '{' || !utf8.Valid(body) || !json.Valid(body) {
				t.Fatalf("Decode(%q) = nil for a body that is not one JSON object", body)
			}
		}
		first, mErr := json.Marshal(in)
		if mErr != nil {
			t.Fatalf("Marshal(%+v) = %v", in, mErr)
		}
		var again input
		if err := Decode(first, &again); err != nil {
			t.Fatalf("Decode(Marshal(Decode(%q))) = %v, want nil; marshalled %s", body, err, first)
		}
		second, mErr := json.Marshal(again)
		if mErr != nil {
			t.Fatalf("Marshal(%+v) = %v", again, mErr)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("round trip of %q is unstable:\n first %s\nsecond %s", body, first, second)
		}
	})
}
