package manifest

import (
	"fmt"
	"strings"
)

// EnvEntry is one KEY=VALUE line of a .env file.
type EnvEntry struct {
	Name, Value string
	Line        int

	start, end int  // the value as written, quotes included
	quote      byte // '\'', '"' or 0
}

// EnvError is a line ParseEnv refuses. It names the line (and the
// variable, when known) but never quotes the line's text.
type EnvError struct {
	Line   int
	Name   string
	Reason string
}

func (e *EnvError) Error() string {
	if e.Name != "" {
		return fmt.Sprintf("%d: %s: %s", e.Line, e.Name, e.Reason)
	}
	return fmt.Sprintf("%d: %s", e.Line, e.Reason)
}

// ParseEnv parses a .env file as coffer run --env-file reads it: KEY=VALUE
// lines; blank lines and lines starting with # are skipped; "export " may
// come before KEY; a value may be in single quotes (literal) or double
// quotes (\n, \" and \\ unescaped). Spaces around KEY and VALUE are
// trimmed; there are no comments after a value.
func ParseEnv(data []byte) ([]EnvEntry, error) {
	var out []EnvEntry
	off := 0
	for n, line := range strings.SplitAfter(string(data), "\n") {
		lineStart := off
		off += len(line)
		raw := strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		text := strings.TrimSpace(raw)
		if text == "" || text[0] == '#' {
			continue
		}
		pos := lineStart + strings.Index(raw, text)
		if rest, ok := strings.CutPrefix(text, "export "); ok {
			pos += len(text) - len(rest)
			text = rest
		}
		name, value, ok := strings.Cut(text, "=")
		name = strings.TrimSpace(name)
		if !ok || !isEnvName(name) {
			return nil, &EnvError{Line: n + 1, Reason: "not a KEY=VALUE line"}
		}
		vpos := pos + len(text) - len(value) // just after '='
		trimmed := strings.TrimSpace(value)
		vpos += strings.Index(value, trimmed)
		e := EnvEntry{Name: name, Value: trimmed, Line: n + 1, start: vpos, end: vpos + len(trimmed)}
		if trimmed != "" && (trimmed[0] == '"' || trimmed[0] == '\'') {
			q := trimmed[0]
			if len(trimmed) < 2 || trimmed[len(trimmed)-1] != q {
				return nil, &EnvError{Line: n + 1, Name: name, Reason: "unterminated quote"}
			}
			e.quote = q
			e.Value = trimmed[1 : len(trimmed)-1]
			if q == '"' {
				e.Value = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(e.Value)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func isEnvName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

func (f *File) parseEnv() error {
	entries, err := ParseEnv(f.data)
	if err != nil {
		return err
	}
	for _, e := range entries {
		st := styleEnvBare
		switch e.quote {
		case '\'':
			st = styleEnvSingle
		case '"':
			st = styleEnvDouble
		}
		sp := span{start: e.start, end: e.end, style: st}
		v := Var{Name: e.Name, Where: "line " + fmt.Sprint(e.Line), Line: e.Line, Value: e.Value, leaf: len(f.leaves)}
		classify(&v, "", false)
		f.leaves = append(f.leaves, leaf{path: e.Name, kind: "env", value: e.Value, loc: func() (span, error) { return sp, nil }})
		f.Vars = append(f.Vars, v)
	}
	return nil
}
