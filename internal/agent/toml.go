package agent

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The agent's config file is TOML, but only its top-level `key = value`
// lines with strings, integers, booleans and arrays of strings: that subset
// is parsed here rather than with a TOML module. Tables, dates, floats and
// inline tables are refused with the line number.

// tomlValue is one parsed value: exactly one of s, n, b, strs is meaningful,
// per kind.
type tomlValue struct {
	line int
	kind byte // 's' string, 'i' integer, 'b' boolean, 'a' array of strings
	s    string
	n    int64
	b    bool
	strs []string
}

func (v tomlValue) str() (string, error) {
	if v.kind != 's' {
		return "", errors.New("is not a string")
	}
	return v.s, nil
}

// intIn accepts an integer, or a string holding one (the agent's own files
// quote numbers), in [lo, hi].
func (v tomlValue) intIn(lo, hi int) (int, error) {
	n := v.n
	switch v.kind {
	case 'i':
	case 's':
		var err error
		if n, err = strconv.ParseInt(v.s, 10, 64); err != nil {
			return 0, fmt.Errorf("%q is not an integer", v.s)
		}
	default:
		return 0, errors.New("is not an integer")
	}
	if n < int64(lo) || n > int64(hi) {
		return 0, fmt.Errorf("%d is outside %d to %d", n, lo, hi)
	}
	return int(n), nil
}

func (v tomlValue) boolean() (bool, error) {
	if v.kind != 'b' {
		return false, errors.New("is not true or false")
	}
	return v.b, nil
}

func (v tomlValue) strList() ([]string, error) {
	if v.kind != 'a' {
		return nil, errors.New("is not an array of strings")
	}
	return v.strs, nil
}

// parseTOML parses the subset. An array may span lines.
func parseTOML(src string) (map[string]tomlValue, error) {
	out := make(map[string]tomlValue)
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(stripComment(lines[i]))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			return nil, fmt.Errorf("config file line %d: tables are not supported", lineNo)
		}
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("config file line %d: want key = value", lineNo)
		}
		key = strings.TrimSpace(key)
		if !isBareKey(key) {
			return nil, fmt.Errorf("config file line %d: key %q is not a bare key", lineNo, key)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("config file line %d: key %q defined twice", lineNo, key)
		}
		rest = strings.TrimSpace(rest)
		// An array continues until its closing bracket.
		for strings.HasPrefix(rest, "[") && !arrayClosed(rest) && i+1 < len(lines) {
			i++
			rest += " " + strings.TrimSpace(stripComment(lines[i]))
		}
		v, err := parseValue(rest)
		if err != nil {
			return nil, fmt.Errorf("config file line %d: %s: %w", lineNo, key, err)
		}
		v.line = lineNo
		out[key] = v
	}
	return out, nil
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
			return false
		}
	}
	return true
}

// stripComment drops a # comment that is not inside a string.
func stripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == 0 && c == '#':
			return line[:i]
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == '"' && c == '\\':
			i++
		case c == quote:
			quote = 0
		}
	}
	return line
}

// arrayClosed reports whether s holds a ] outside strings.
func arrayClosed(s string) bool {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && c == ']':
			return true
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == '"' && c == '\\':
			i++
		case c == quote:
			quote = 0
		}
	}
	return false
}

func parseValue(s string) (tomlValue, error) {
	switch {
	case s == "":
		return tomlValue{}, errors.New("missing value")
	case s == "true" || s == "false":
		return tomlValue{kind: 'b', b: s == "true"}, nil
	case s[0] == '"' || s[0] == '\'':
		str, rest, err := parseString(s)
		if err != nil {
			return tomlValue{}, err
		}
		if strings.TrimSpace(rest) != "" {
			return tomlValue{}, fmt.Errorf("unexpected %q after the string", rest)
		}
		return tomlValue{kind: 's', s: str}, nil
	case s[0] == '[':
		return parseArray(s[1:])
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		return tomlValue{}, fmt.Errorf("unsupported value %q (want a string, integer, boolean or array of strings)", s)
	}
	return tomlValue{kind: 'i', n: n}, nil
}

// parseString parses a basic ("...") or literal ('...') string at the start
// of s and returns the rest.
func parseString(s string) (string, string, error) {
	if s[0] == '\'' {
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", errors.New("unterminated string")
		}
		return s[1 : 1+end], s[2+end:], nil
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			str, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad string %s", s[:i+1])
			}
			return str, s[i+1:], nil
		}
	}
	return "", "", errors.New("unterminated string")
}

// parseArray parses the rest of an array of strings after its [.
func parseArray(s string) (tomlValue, error) {
	v := tomlValue{kind: 'a', strs: []string{}}
	for {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			return v, errors.New("unterminated array")
		case s[0] == ']':
			if rest := strings.TrimSpace(s[1:]); rest != "" {
				return v, fmt.Errorf("unexpected %q after the array", rest)
			}
			return v, nil
		case s[0] != '"' && s[0] != '\'':
			return v, errors.New("arrays may hold only strings")
		}
		str, rest, err := parseString(s)
		if err != nil {
			return v, err
		}
		v.strs = append(v.strs, str)
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = rest[1:]
		} else if !strings.HasPrefix(rest, "]") {
			return v, errors.New("want , or ] after an array element")
		}
		s = rest
	}
}
