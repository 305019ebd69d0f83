package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// policyJSON is one JSON value of a policy document, decoded in order.
// encoding/json's maps would lose the order of elements (and so the order
// of error messages) and silently keep the last of duplicate names; a
// document with two "Effect"s must be refused, not guessed at.
type policyJSON struct {
	kind    policyJSONKind
	text    string // string value, number literal, or "true"/"false"
	items   []policyJSON
	members []policyJSONMember
}

type policyJSONMember struct {
	name  string
	value policyJSON
}

type policyJSONKind uint8

const (
	policyJSONNull policyJSONKind = iota
	policyJSONString
	policyJSONNumber
	policyJSONBool
	policyJSONArray
	policyJSONObject
)

func (k policyJSONKind) String() string {
	switch k {
	case policyJSONString:
		return "a string"
	case policyJSONNumber:
		return "a number"
	case policyJSONBool:
		return "a boolean"
	case policyJSONArray:
		return "an array"
	case policyJSONObject:
		return "an object"
	default:
		return "null"
	}
}

// policyJSONMaxDepth bounds nesting. A valid policy nests six deep
// (policy, Statement array, statement, Condition, operator, value array).
const policyJSONMaxDepth = 16

// decodePolicyJSON decodes doc, refusing duplicate object members,
// nesting deeper than policyJSONMaxDepth and anything after the value.
func decodePolicyJSON(doc string) (policyJSON, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	v, err := decodePolicyJSONValue(dec, 0)
	if err != nil {
		return policyJSON{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return policyJSON{}, errors.New("unexpected data after the policy object")
	}
	return v, nil
}

func decodePolicyJSONValue(dec *json.Decoder, depth int) (policyJSON, error) {
	if depth > policyJSONMaxDepth {
		return policyJSON{}, errors.New("document nests too deeply")
	}
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return policyJSON{}, errors.New("unexpected end of document")
	}
	if err != nil {
		return policyJSON{}, err
	}
	switch t := tok.(type) {
	case nil:
		return policyJSON{kind: policyJSONNull}, nil
	case string:
		return policyJSON{kind: policyJSONString, text: t}, nil
	case json.Number:
		return policyJSON{kind: policyJSONNumber, text: t.String()}, nil
	case bool:
		if t {
			return policyJSON{kind: policyJSONBool, text: "true"}, nil
		}
		return policyJSON{kind: policyJSONBool, text: "false"}, nil
	case json.Delim:
		switch t {
		case '[':
			v := policyJSON{kind: policyJSONArray, items: []policyJSON{}}
			for dec.More() {
				item, err := decodePolicyJSONValue(dec, depth+1)
				if err != nil {
					return policyJSON{}, err
				}
				v.items = append(v.items, item)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return policyJSON{}, err
			}
			return v, nil
		case '{':
			v := policyJSON{kind: policyJSONObject, members: []policyJSONMember{}}
			for dec.More() {
				nameTok, err := dec.Token()
				if err != nil {
					return policyJSON{}, err
				}
				name, ok := nameTok.(string)
				if !ok {
					return policyJSON{}, fmt.Errorf("unexpected %v in object", nameTok)
				}
				for _, m := range v.members {
					if m.name == name {
						return policyJSON{}, fmt.Errorf("duplicate element %q", name)
					}
				}
				value, err := decodePolicyJSONValue(dec, depth+1)
				if err != nil {
					return policyJSON{}, err
				}
				v.members = append(v.members, policyJSONMember{name: name, value: value})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return policyJSON{}, err
			}
			return v, nil
		}
	}
	return policyJSON{}, fmt.Errorf("unexpected %v", tok)
}

// scalar reports whether v is a string, number or boolean: the values a
// condition accepts.
func (v policyJSON) scalar() bool {
	return v.kind == policyJSONString || v.kind == policyJSONNumber || v.kind == policyJSONBool
}
