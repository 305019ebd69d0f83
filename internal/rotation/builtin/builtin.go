package builtin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/coffer-dev/coffer/internal/password"
	"github.com/coffer-dev/coffer/internal/rotation"
)

// Func handles one step of a rotation exactly as an AWS rotation Lambda
// does, doing every secret read and write through sm.
type Func func(ctx context.Context, sm *secretsmanager.Client, ev rotation.Event) error

// Names of the built-in rotators.
const (
	RandomPassword       = "random-password"
	PostgreSQLSingleUser = "postgresql-single-user"
	PostgreSQLMultiUser  = "postgresql-multiuser"
)

// Names lists the built-in rotators.
func Names() []string {
	return []string{PostgreSQLMultiUser, PostgreSQLSingleUser, RandomPassword}
}

// Lookup returns the built-in rotator called name with its options (from
// the server's configuration), or an error naming what is wrong.
//
// Every rotator takes the password options, which become the
// GetRandomPassword request for the new password (unset: the API's
// default): length, exclude-characters, exclude-numbers,
// exclude-punctuation, exclude-uppercase, exclude-lowercase, include-space,
// require-each-included-type. The PostgreSQL rotators default
// exclude-characters to DefaultExcludeCharacters, as the templates do, and
// take connect-timeout (a Go duration, default 5s). random-password takes
// field, the JSON field it replaces in an object secret (default
// "password").
func Lookup(name string, opts map[string]string) (Func, error) {
	o := options{name: name, opts: opts, used: map[string]bool{}}
	var r rotator
	switch name {
	case RandomPassword:
		r = &randomPassword{field: o.string("field", "password"), password: o.password("")}
	case PostgreSQLSingleUser, PostgreSQLMultiUser:
		r = &postgres{
			multiUser:      name == PostgreSQLMultiUser,
			password:       o.password(DefaultExcludeCharacters),
			connectTimeout: o.duration("connect-timeout", 5*time.Second),
		}
	default:
		return nil, fmt.Errorf("no built-in rotator %q (there are %s)", name, strings.Join(Names(), ", "))
	}
	if err := o.err(); err != nil {
		return nil, err
	}
	return func(ctx context.Context, sm *secretsmanager.Client, ev rotation.Event) error {
		return runStep(ctx, sm, ev, name, r)
	}, nil
}

// Rotators offers the built-in rotators to the server (server.Config's
// Builtins), as rotation.BuiltinFunc values.
type Rotators struct{}

// Lookup is the package's Lookup.
func (Rotators) Lookup(name string, opts map[string]string) (rotation.BuiltinFunc, error) {
	fn, err := Lookup(name, opts)
	if err != nil {
		return nil, err
	}
	return rotation.BuiltinFunc(fn), nil
}

// Names is the package's Names.
func (Rotators) Names() []string { return Names() }

// DefaultExcludeCharacters are the characters the PostgreSQL rotators keep
// out of passwords unless told otherwise, as AWS's templates do: they would
// need escaping in a connection URI or a .pgpass line.
const DefaultExcludeCharacters = `:/@"'\`

// options reads one rotator's configuration, remembering the first problem
// and which keys it used, so that an unknown key is an error too.
type options struct {
	name    string
	opts    map[string]string
	used    map[string]bool
	problem error
}

func (o *options) lookup(key string) (string, bool) {
	o.used[key] = true
	v, ok := o.opts[key]
	return v, ok
}

func (o *options) fail(key, value, want string) {
	if o.problem == nil {
		o.problem = fmt.Errorf("rotator %s: option %s=%q: want %s", o.name, key, value, want)
	}
}

func (o *options) string(key, def string) string {
	v, ok := o.lookup(key)
	if !ok {
		return def
	}
	if v == "" {
		o.fail(key, v, "a non-empty value")
	}
	return v
}

func (o *options) bool(key string) *bool {
	v, ok := o.lookup(key)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		o.fail(key, v, "true or false")
		return nil
	}
	return aws.Bool(b)
}

func (o *options) duration(key string, def time.Duration) time.Duration {
	v, ok := o.lookup(key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		o.fail(key, v, "a positive duration such as 5s")
		return def
	}
	return d
}

// password reads the GetRandomPassword options, excludeDefault being
// exclude-characters when it is not set.
func (o *options) password(excludeDefault string) secretsmanager.GetRandomPasswordInput {
	in := secretsmanager.GetRandomPasswordInput{
		ExcludeNumbers:          o.bool("exclude-numbers"),
		ExcludePunctuation:      o.bool("exclude-punctuation"),
		ExcludeUppercase:        o.bool("exclude-uppercase"),
		ExcludeLowercase:        o.bool("exclude-lowercase"),
		IncludeSpace:            o.bool("include-space"),
		RequireEachIncludedType: o.bool("require-each-included-type"),
	}
	if v, ok := o.lookup("length"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < password.MinLength || n > password.MaxLength {
			o.fail("length", v, fmt.Sprintf("a whole number from %d to %d", password.MinLength, password.MaxLength))
		}
		in.PasswordLength = aws.Int64(int64(n))
	}
	if v, ok := o.lookup("exclude-characters"); ok {
		in.ExcludeCharacters = aws.String(v) // "" excludes nothing, overriding a default
	} else if excludeDefault != "" {
		in.ExcludeCharacters = aws.String(excludeDefault)
	}
	return in
}

// err returns the first bad value, else the first unknown key.
func (o *options) err() error {
	if o.problem != nil {
		return o.problem
	}
	for _, key := range slices.Sorted(maps.Keys(o.opts)) {
		if !o.used[key] {
			known := slices.Sorted(maps.Keys(o.used))
			return fmt.Errorf("rotator %s: unknown option %q (it takes %s)", o.name, key, strings.Join(known, ", "))
		}
	}
	return nil
}
