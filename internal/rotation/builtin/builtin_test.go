package builtin

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		if _, err := Lookup(name, nil); err != nil {
			t.Errorf("Lookup(%q, nil) = %v, want a rotator with its defaults", name, err)
		}
	}
	for _, tc := range []struct {
		name    string
		rotator string
		opts    map[string]string
		wantErr string
	}{
		{"an unknown rotator is refused, naming those there are", "mysql", nil, "(there are random-password)"},
		{"an unknown option is refused, naming those there are", RandomPassword, map[string]string{"lenght": "3"}, `unknown option "lenght" (it takes exclude-characters, `},
		{"a length that is no number is refused", RandomPassword, map[string]string{"length": "long"}, `option length="long": want a whole number from 1 to 4096`},
		{"a length out of range is refused", RandomPassword, map[string]string{"length": "5000"}, "from 1 to 4096"},
		{"a switch that is not a boolean is refused", RandomPassword, map[string]string{"exclude-numbers": "maybe"}, "want true or false"},
		{"random-password takes no connect-timeout", RandomPassword, map[string]string{"connect-timeout": "1s"}, `unknown option "connect-timeout"`},
		{"an empty field is refused", RandomPassword, map[string]string{"field": ""}, "want a non-empty value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn, err := Lookup(tc.rotator, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || fn != nil {
				t.Fatalf("Lookup(%q, %v) = %v, want an error containing %q", tc.rotator, tc.opts, err, tc.wantErr)
			}
		})
	}
}

func TestPasswordOptions(t *testing.T) {
	o := options{name: "x", used: map[string]bool{}, opts: map[string]string{
		"length": "20", "exclude-characters": "", "exclude-numbers": "true", "exclude-punctuation": "false",
		"exclude-uppercase": "1", "exclude-lowercase": "0", "include-space": "true", "require-each-included-type": "false",
	}}
	in := o.password(`:/@"'\`)
	if err := o.err(); err != nil {
		t.Fatal(err)
	}
	got := []any{aws.ToInt64(in.PasswordLength), aws.ToString(in.ExcludeCharacters), in.ExcludeCharacters != nil,
		*in.ExcludeNumbers, *in.ExcludePunctuation, *in.ExcludeUppercase, *in.ExcludeLowercase, *in.IncludeSpace, *in.RequireEachIncludedType}
	want := []any{int64(20), "", true, true, false, true, false, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("GetRandomPasswordInput fields = %v, want %v", got, want)
			break
		}
	}

	o = options{name: "x", used: map[string]bool{}}
	in = o.password(`:/@"'\`)
	if aws.ToString(in.ExcludeCharacters) != `:/@"'\` || in.PasswordLength != nil || in.ExcludeNumbers != nil {
		t.Errorf("no options: %+v, want only the default excluded characters", in)
	}
}
