package builtin

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		{"an unknown rotator is refused, naming those there are", "mysql", nil, "postgresql-multiuser, postgresql-single-user, random-password"},
		{"an unknown option is refused, naming those there are", RandomPassword, map[string]string{"lenght": "3"}, `unknown option "lenght" (it takes exclude-characters, `},
		{"a length that is no number is refused", PostgreSQLSingleUser, map[string]string{"length": "long"}, `option length="long": want a whole number from 1 to 4096`},
		{"a length out of range is refused", RandomPassword, map[string]string{"length": "5000"}, "from 1 to 4096"},
		{"a switch that is not a boolean is refused", PostgreSQLMultiUser, map[string]string{"exclude-numbers": "maybe"}, "want true or false"},
		{"a bad timeout is refused", PostgreSQLMultiUser, map[string]string{"connect-timeout": "-1s"}, "want a positive duration"},
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
	in := o.password(DefaultExcludeCharacters)
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
	in = o.password(DefaultExcludeCharacters)
	if aws.ToString(in.ExcludeCharacters) != DefaultExcludeCharacters || in.PasswordLength != nil || in.ExcludeNumbers != nil {
		t.Errorf("no options: %+v, want only the default excluded characters", in)
	}
}

func TestAltUsername(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"app", "app_clone"},
		{"app_clone", "app"},
		{"app_clone_clone", "app_clone"},
		{strings.Repeat("a", 57), strings.Repeat("a", 57) + "_clone"},
	} {
		if got, err := altUsername(tc.in); err != nil || got != tc.want {
			t.Errorf("altUsername(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if got, err := altUsername(strings.Repeat("a", 58)); err == nil {
		t.Errorf("altUsername of 58 bytes = %q, want an error (63 bytes at most)", got)
	}
}

func TestParseDBSecret(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  dbSecret // fields ignored
	}{
		{"defaults for port and dbname", `{"engine":"postgres","host":"h","username":"u","password":"p"}`,
			dbSecret{Host: "h", Username: "u", Password: "p", DBName: "postgres", Port: 5432}},
		{"port as a number and ssl true", `{"engine":"postgres","host":"h","username":"u","password":"p","port":6432,"dbname":"d","ssl":true,"masterarn":"m"}`,
			dbSecret{Host: "h", Username: "u", Password: "p", DBName: "d", Port: 6432, SSL: sslOn, MasterARN: "m"}},
		{"port as a string and ssl \"FALSE\"", `{"engine":"postgres","host":"h","username":"u","password":"p","port":"6432","ssl":"FALSE"}`,
			dbSecret{Host: "h", Username: "u", Password: "p", DBName: "postgres", Port: 6432, SSL: sslOff}},
		{"nulls are defaults", `{"engine":"postgres","host":"h","username":"u","password":"p","port":null,"dbname":null,"ssl":"perhaps"}`,
			dbSecret{Host: "h", Username: "u", Password: "p", DBName: "postgres", Port: 5432}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDBSecret(tc.value, "value")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, *got, cmpopts.IgnoreUnexported(dbSecret{})); diff != "" {
				t.Errorf("parseDBSecret (-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct{ name, value, wantErr string }{
		{"not JSON", `{"password":"hunter2`, "is not a JSON object"},
		{"not an object", `["hunter2"]`, "is not a JSON object"},
		{"no engine", `{"host":"h","username":"u","password":"hunter2"}`, "has no engine"},
		{"another engine", `{"engine":"mysql","host":"h","username":"u","password":"hunter2"}`, `engine is "mysql"`},
		{"no password", `{"engine":"postgres","host":"h","username":"u"}`, "has no password"},
		{"a password that is not a string", `{"engine":"postgres","host":"h","username":"u","password":12345}`, "password is not a string"},
		{"a bad port", `{"engine":"postgres","host":"h","username":"u","password":"hunter2","port":"hunter2"}`, "port is not a port number"},
		{"port zero", `{"engine":"postgres","host":"h","username":"u","password":"hunter2","port":0}`, "port is not a port number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseDBSecret(tc.value, "value")
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseDBSecret = %v, want an error containing %q", err, tc.wantErr)
			}
			wantNoSecrets(t, "the error", err.Error(), "hunter2", "12345")
		})
	}
}

func TestEncodeKeepsOtherFields(t *testing.T) {
	sec, err := parseDBSecret(`{"engine":"postgres","host":"h","username":"u","password":"p","dbClusterIdentifier":"c","port":5432}`, "value")
	if err != nil {
		t.Fatal(err)
	}
	sec.Username, sec.Password = "u_clone", `new"pw\`
	got, err := sec.encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"dbClusterIdentifier":"c","engine":"postgres","host":"h","password":"new\"pw\\","port":5432,"username":"u_clone"}`
	if got != want {
		t.Errorf("encode = %s, want %s", got, want)
	}
}

func TestSameLogin(t *testing.T) {
	current := &dbSecret{Host: "db", Username: "app"}
	for _, tc := range []struct {
		name    string
		pending *dbSecret
		user    string
		wantErr string
	}{
		{"the same user and host pass", &dbSecret{Host: "db", Username: "app"}, "app", ""},
		{"another user is refused", &dbSecret{Host: "db", Username: "admin"}, "app", "the AWSPENDING user admin is not the one the AWSCURRENT value allows (app)"},
		{"another host is refused", &dbSecret{Host: "elsewhere", Username: "app"}, "app", "the AWSPENDING host elsewhere is not the AWSCURRENT host db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sameLogin(tc.pending, current, stageCurrent, tc.user)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("sameLogin = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
