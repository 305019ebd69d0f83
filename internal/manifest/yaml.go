package manifest

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Serverless Framework and CloudFormation/SAM templates, YAML or JSON.

// parseDoc parses the first YAML document of data. JSON is YAML, so
// templates in JSON come through here too.
func parseDoc(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// The library's messages name a line and a reason, not the text.
		return nil, fmt.Errorf("parse: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("parse: the file is not a mapping (key: value) at its top level")
	}
	return &doc, nil
}

func topLevelKeys(data []byte) (map[string]bool, error) {
	doc, err := parseDoc(data)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		keys[root.Content[i].Value] = true
	}
	return keys, nil
}

// yamlFile is the state of one parse.
type yamlFile struct {
	f      *File
	starts []int              // line starts
	index  map[*yaml.Node]int // node -> its leaf
}

func (f *File) parseYAML() error {
	doc, err := parseDoc(f.data)
	if err != nil {
		return err
	}
	y := &yamlFile{f: f, starts: lineStarts(f.data), index: map[*yaml.Node]int{}}
	y.leaves(doc, "", nil, false)
	root := doc.Content[0]
	switch f.Format {
	case Serverless:
		if s := get(root, "service"); s != nil {
			if s.Kind == yaml.MappingNode {
				s = get(s, "name") // the old form: service: {name: ...}
			}
			if s != nil && s.Kind == yaml.ScalarNode {
				f.Service = s.Value
			}
		}
		if v := get(root, "frameworkVersion"); v != nil && v.Kind == yaml.ScalarNode {
			f.FrameworkVersion = v.Value
		}
		y.vars(get(get(root, "provider"), "environment"), "", "provider.environment")
		if fns := get(root, "functions"); fns != nil && fns.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(fns.Content); i += 2 {
				name := fns.Content[i].Value
				y.vars(get(fns.Content[i+1], "environment"), name, "functions."+name+".environment")
			}
		}
	case CloudFormation:
		y.vars(path(root, "Globals", "Function", "Environment", "Variables"), "", "Globals.Function.Environment.Variables")
		if res := get(root, "Resources"); res != nil && res.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(res.Content); i += 2 {
				id, r := res.Content[i].Value, res.Content[i+1]
				switch t := get(r, "Type"); {
				case t == nil || t.Kind != yaml.ScalarNode:
				case t.Value == "AWS::Lambda::Function", t.Value == "AWS::Serverless::Function":
					y.vars(path(r, "Properties", "Environment", "Variables"), id, "Resources."+id+".Properties.Environment.Variables")
				}
			}
		}
	}
	return nil
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func path(m *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		m = get(m, k)
	}
	return m
}

// leaves records every node of the document in order, so that a rewrite
// can be checked to have changed nothing but the values it replaced.
func (y *yamlFile) leaves(n *yaml.Node, at string, key *yaml.Node, flow bool) {
	l := leaf{path: at, kind: fmt.Sprintf("%d %s &%s", n.Kind, n.Tag, n.Anchor), value: n.Value}
	if n.Kind == yaml.ScalarNode && key != nil {
		l.loc = func() (span, error) { return y.locate(n, key, flow) }
	}
	y.index[n] = len(y.f.leaves)
	y.f.leaves = append(y.f.leaves, l)
	inFlow := flow || n.Style&yaml.FlowStyle != 0
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			y.leaves(k, at+"."+k.Value, nil, inFlow)
			y.leaves(n.Content[i+1], at+"."+k.Value, k, inFlow)
		}
	default:
		for i, c := range n.Content {
			y.leaves(c, fmt.Sprintf("%s[%d]", at, i), nil, inFlow)
		}
	}
}

// vars adds the variables of the environment mapping env.
func (y *yamlFile) vars(env *yaml.Node, scope, where string) {
	if env == nil || env.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(env.Content); i += 2 {
		k, n := env.Content[i], env.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			continue // a merge key: its variables are defined elsewhere
		}
		v := Var{Name: k.Value, Scope: scope, Where: where, Line: n.Line, leaf: y.index[n]}
		switch n.Kind {
		case yaml.ScalarNode:
			v.Value = n.Value
			tag := n.Tag
			if n.Style&yaml.TaggedStyle != 0 && strings.HasPrefix(tag, "!!") {
				tag = "explicit " + tag
			}
			classify(&v, tag, n.Anchor != "")
		case yaml.MappingNode:
			v.NotLiteral = "not a string"
			if len(n.Content) > 0 && (n.Content[0].Value == "Ref" || strings.HasPrefix(n.Content[0].Value, "Fn::")) {
				v.NotLiteral = "a CloudFormation intrinsic function (" + n.Content[0].Value + ")"
			}
		case yaml.AliasNode:
			v.NotLiteral = "an alias (*" + n.Value + "): rewrite its anchor by hand"
		default:
			v.NotLiteral = "not a string"
		}
		y.f.Vars = append(y.f.Vars, v)
	}
}

// offset converts the library's 1-based line and column (counted in
// characters) to a byte offset.
func (y *yamlFile) offset(line, col int) (int, error) {
	if line < 1 || line > len(y.starts) {
		return 0, fmt.Errorf("line %d out of range", line)
	}
	off := y.starts[line-1]
	for range col - 1 {
		if off >= len(y.f.data) {
			return 0, fmt.Errorf("line %d: column %d out of range", line, col)
		}
		_, size := utf8.DecodeRune(y.f.data[off:])
		off += size
	}
	return off, nil
}

// locate finds the bytes of scalar n, the value of key.
func (y *yamlFile) locate(n, key *yaml.Node, flow bool) (span, error) {
	data := y.f.data
	start, err := y.offset(n.Line, n.Column)
	if err != nil {
		return span{}, err
	}
	fail := func(why string) (span, error) {
		return span{}, fmt.Errorf("line %d: %s", n.Line, why)
	}
	switch n.Style {
	case 0: // plain
		if !strings.HasPrefix(string(data[start:]), n.Value) || strings.ContainsAny(n.Value, "\r\n") {
			return fail("the value spans several lines; quote it or rewrite it by hand")
		}
		st := stylePlain
		if flow {
			st = stylePlainFlow
		}
		return span{start: start, end: start + len(n.Value), style: st}, nil
	case yaml.SingleQuotedStyle:
		for i := start + 1; i < len(data); i++ {
			if data[i] != '\'' {
				continue
			}
			if i+1 < len(data) && data[i+1] == '\'' {
				i++
				continue
			}
			return span{start: start, end: i + 1, style: styleSingle}, nil
		}
	case yaml.DoubleQuotedStyle:
		for i := start + 1; i < len(data); i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return span{start: start, end: i + 1, style: styleDouble}, nil
			}
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return y.locateBlock(n, key, start)
	default:
		return fail("a tagged value; rewrite it by hand")
	}
	return fail("unterminated quoted value")
}

// locateBlock finds a block scalar (| or >): its header, whose comment is
// kept as the tail, and its lines, which are indented more than key.
func (y *yamlFile) locateBlock(n, key *yaml.Node, start int) (span, error) {
	data := y.f.data
	if start >= len(data) || (data[start] != '|' && data[start] != '>') {
		return span{}, fmt.Errorf("line %d: block scalar not found where expected", n.Line)
	}
	hdr := start + 1
	for hdr < len(data) && strings.IndexByte("+-0123456789", data[hdr]) >= 0 {
		hdr++
	}
	lineEnd := func(i int) int { // the end of the line holding i, before \r\n
		j := i
		for j < len(data) && data[j] != '\n' {
			j++
		}
		if j > i && data[j-1] == '\r' {
			j--
		}
		return j
	}
	end := lineEnd(hdr)
	tail := string(data[hdr:end])
	indent := key.Column - 1
	for i := end; i < len(data); {
		// Move to the start of the next line.
		for i < len(data) && data[i] != '\n' {
			i++
		}
		if i >= len(data) {
			break
		}
		i++
		e := lineEnd(i)
		text := string(data[i:e])
		if strings.TrimLeft(text, " ") == "" {
			i = e
			continue // blank lines belong to the block only if more follow
		}
		if len(text)-len(strings.TrimLeft(text, " ")) <= indent {
			break
		}
		end, i = e, e
	}
	return span{start: start, end: end, style: stylePlain, tail: tail}, nil
}
