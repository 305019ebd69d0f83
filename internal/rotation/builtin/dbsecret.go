package builtin

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// dbSecret is a PostgreSQL secret's JSON, read as AWS's templates read it:
//
//	{"engine": "postgres", "host": "...", "username": "...", "password": "...",
//	 "dbname": "postgres", "port": 5432, "masterarn": "...", "ssl": true}
//
// engine, host, username and password are required; dbname defaults to
// postgres and port to 5432 (a number or a numeric string); ssl true or
// "true" asks for verified TLS, false or "false" for none, anything else for
// TLS falling back to plain TCP. Other fields are kept as they are.
type dbSecret struct {
	Host, Username, Password, DBName, MasterARN string
	Port                                        uint16
	SSL                                         sslMode

	fields map[string]json.RawMessage // the whole object, for encode
}

type sslMode int

const (
	sslDefault sslMode = iota // TLS verifying the host, else plain TCP
	sslOn                     // TLS verifying the host, or nothing
	sslOff                    // plain TCP
)

// parseDBSecret reads value, called what in errors. The errors never quote
// the value: a JSON syntax error would show a piece of it.
func parseDBSecret(value, what string) (*dbSecret, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(value), &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("the %s is not a JSON object", what)
	}
	sec := &dbSecret{fields: fields, DBName: "postgres", Port: 5432}
	str := func(key string, required bool) (string, error) {
		raw, ok := fields[key]
		if !ok || string(raw) == "null" {
			if required {
				return "", fmt.Errorf("the %s has no %s", what, key)
			}
			return "", nil
		}
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", fmt.Errorf("the %s's %s is not a string", what, key)
		}
		return v, nil
	}
	engine, err := str("engine", true)
	if err != nil {
		return nil, err
	}
	if engine != "postgres" {
		return nil, fmt.Errorf("the %s's engine is %q; this rotator rotates \"postgres\"", what, engine)
	}
	for _, f := range []struct {
		key      string
		to       *string
		required bool
	}{
		{"host", &sec.Host, true},
		{"username", &sec.Username, true},
		{"password", &sec.Password, true},
		{"dbname", &sec.DBName, false},
		{"masterarn", &sec.MasterARN, false},
	} {
		v, err := str(f.key, f.required)
		if err != nil {
			return nil, err
		}
		if v != "" || f.required {
			*f.to = v
		}
	}
	if raw, ok := fields["port"]; ok && string(raw) != "null" {
		text := strings.Trim(string(raw), `"`) // 5432 or "5432"
		port, err := strconv.ParseUint(text, 10, 16)
		if err != nil || port == 0 {
			return nil, fmt.Errorf("the %s's port is not a port number", what)
		}
		sec.Port = uint16(port)
	}
	switch strings.ToLower(strings.Trim(string(fields["ssl"]), `"`)) {
	case "true":
		sec.SSL = sslOn
	case "false":
		sec.SSL = sslOff
	}
	return sec, nil
}

// encode returns the secret's JSON with its username and password as they
// are now.
func (sec *dbSecret) encode() (string, error) {
	for key, v := range map[string]string{"username": sec.Username, "password": sec.Password} {
		raw, err := json.Marshal(v)
		if err != nil {
			return "", fmt.Errorf("encode %s: %w", key, err) // never happens: a string encodes
		}
		sec.fields[key] = raw
	}
	out, err := json.Marshal(sec.fields)
	if err != nil {
		return "", fmt.Errorf("encode the secret: %w", err) // ditto: every member came from JSON
	}
	return string(out), nil
}
