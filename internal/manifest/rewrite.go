package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Rewritten is a manifest with some values replaced.
type Rewritten struct {
	Data  []byte
	old   []byte
	edits []edit // in file order
}

// edit replaced old[start:end] with the bytes at new[nstart:nend].
type edit struct {
	start, end   int
	nstart, nend int
}

// Rewrite returns the file with the value of each variable f.Vars[i] set to
// values[i], written in the file's syntax (quoted where it must be, in the
// same quotes as before where it can be). Only those values' bytes change.
// The result is parsed again and refused unless every other value of the
// document is unchanged and each new value reads back as given.
func (f *File) Rewrite(values map[int]string) (*Rewritten, error) {
	type splice struct {
		sp   span
		text string
		leaf int
	}
	var splices []splice
	want := map[int]string{}
	for i, value := range values {
		if i < 0 || i >= len(f.Vars) {
			return nil, fmt.Errorf("rewrite: no variable %d", i)
		}
		v := f.Vars[i]
		l := f.leaves[v.leaf]
		if l.loc == nil {
			return nil, fmt.Errorf("%s (%s): the value cannot be rewritten", v.Name, v.Where)
		}
		sp, err := l.loc()
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", v.Name, v.Where, err)
		}
		text, err := quote(sp.style, value)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", v.Name, v.Where, err)
		}
		splices = append(splices, splice{sp, text + sp.tail, v.leaf})
		want[v.leaf] = value
	}
	slices.SortFunc(splices, func(a, b splice) int { return a.sp.start - b.sp.start })
	r := &Rewritten{old: f.data}
	var out bytes.Buffer
	last := 0
	for _, s := range splices {
		if s.sp.start < last {
			return nil, fmt.Errorf("rewrite: two values overlap at line %d", lineOf(f.data, s.sp.start))
		}
		out.Write(f.data[last:s.sp.start])
		e := edit{start: s.sp.start, end: s.sp.end, nstart: out.Len()}
		out.WriteString(s.text)
		e.nend = out.Len()
		r.edits = append(r.edits, e)
		last = s.sp.end
	}
	out.Write(f.data[last:])
	r.Data = out.Bytes()
	if err := f.verify(r.Data, want); err != nil {
		return nil, fmt.Errorf("rewrite: %w (nothing was written)", err)
	}
	return r, nil
}

// verify parses data, a rewrite of f, and checks that the leaves in want
// hold their new values and every other leaf is unchanged.
func (f *File) verify(data []byte, want map[int]string) error {
	g, err := Parse("", data, f.Format)
	if err != nil {
		return fmt.Errorf("the rewritten file does not parse: %w", err)
	}
	if len(g.leaves) != len(f.leaves) || len(g.Vars) != len(f.Vars) {
		return fmt.Errorf("the rewritten file has a different structure")
	}
	for i, l := range f.leaves {
		n := g.leaves[i]
		if v, ok := want[i]; ok {
			if n.value != v {
				return fmt.Errorf("%s does not read back as written", l.path)
			}
			continue
		}
		if n.kind != l.kind || n.value != l.value || n.path != l.path {
			return fmt.Errorf("%s changed", l.path)
		}
	}
	if trimmed := bytes.TrimSpace(f.data); len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(f.data) && !json.Valid(data) {
		return fmt.Errorf("the rewritten file is no longer JSON")
	}
	return nil
}

// quote writes value for a place of style st.
func quote(st style, value string) (string, error) {
	switch st {
	case stylePlain, stylePlainFlow:
		if plainSafe(value, st == stylePlainFlow) {
			return value, nil
		}
		return singleQuote(value), nil
	case styleSingle:
		return singleQuote(value), nil
	case styleDouble:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(value); err != nil {
			return "", err
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	case styleEnvBare, styleEnvSingle, styleEnvDouble:
		if strings.ContainsAny(value, "\r\x00") {
			return "", fmt.Errorf("the new value cannot be written in a .env file")
		}
		switch {
		case st == styleEnvBare && value == strings.TrimSpace(value) && value != "" &&
			value[0] != '"' && value[0] != '\'' && !strings.Contains(value, "\n"):
			return value, nil
		case st == styleEnvSingle && !strings.ContainsAny(value, "'\n"):
			return "'" + value + "'", nil
		}
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(value) + `"`, nil
	}
	return "", fmt.Errorf("unknown style %d", st)
}

func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// plainSafe reports whether s reads back as the string s when written as a
// plain YAML scalar (in a flow collection if flow).
func plainSafe(s string, flow bool) bool {
	if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s, "\n\r\t") ||
		strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") ||
		strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", s[0]) >= 0 ||
		flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	var n yaml.Node
	if yaml.Unmarshal([]byte("k: "+s), &n) != nil {
		return false
	}
	v := get(n.Content[0], "k")
	return v != nil && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == s
}
