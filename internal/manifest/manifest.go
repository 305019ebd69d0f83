package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/coffer-dev/coffer/internal/ref"
)

// Format is a kind of manifest.
type Format int

// Formats Parse knows. Detect picks one from a file's name and content.
const (
	Serverless     Format = iota + 1 // serverless.yml
	CloudFormation                   // CloudFormation or SAM template, YAML or JSON
	Env                              // KEY=VALUE lines
)

func (f Format) String() string {
	switch f {
	case Serverless:
		return "serverless"
	case CloudFormation:
		return "cloudformation"
	case Env:
		return "env"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the Format named s ("serverless", "cloudformation"
// or "sam", "env").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "serverless":
		return Serverless, nil
	case "cloudformation", "cfn", "sam":
		return CloudFormation, nil
	case "env", "dotenv":
		return Env, nil
	}
	return 0, fmt.Errorf("unknown format %q (want serverless, cloudformation or env)", s)
}

// Var is one environment variable a manifest sets.
type Var struct {
	Name string
	// Scope is the function the variable belongs to (a Serverless function
	// name or a template's logical resource id), or "" for a variable of
	// the whole file (provider.environment, SAM Globals, a .env file).
	Scope string
	// Where says where the variable is, for messages:
	// "functions.helloWorld.environment", "Resources.Fn.Properties...".
	Where string
	// Line is the 1-based line of the value.
	Line int
	// Value is the value's text, whatever it is (a reference too); empty
	// for a value that is not a scalar.
	Value string
	// Literal reports that Value is literal text a secret could be: a
	// non-empty string or number, not a reference (internal/ref), not a
	// CloudFormation intrinsic function (!Ref, Fn::*), not a variable
	// (${...}), not a boolean. NotLiteral says why not, otherwise.
	Literal    bool
	NotLiteral string

	leaf int // index of the value in File.leaves
}

// File is a parsed manifest.
type File struct {
	Format Format
	// Service is serverless.yml's service name ("" elsewhere).
	Service string
	// FrameworkVersion is serverless.yml's frameworkVersion, as written.
	FrameworkVersion string
	Vars             []Var

	data   []byte
	leaves []leaf // every scalar of the document, in order
}

// leaf is one scalar of a document: its text, and what Rewrite needs to
// replace it.
type leaf struct {
	path  string // for verification messages
	kind  string // node kind and tag; must survive a rewrite
	value string
	loc   func() (span, error) // where its bytes are; nil if it cannot be replaced
}

// span is the bytes of a value in the file: data[start:end] is replaced by
// the new value's text, quoted as style asks, followed by tail.
type span struct {
	start, end int
	style      style
	tail       string
}

// style is how a replacement value must be written.
type style int

const (
	stylePlain     style = iota // YAML plain scalar in block context
	stylePlainFlow              // YAML plain scalar inside [] or {}
	styleSingle                 // YAML single-quoted
	styleDouble                 // YAML or JSON double-quoted
	styleEnvBare                // .env value without quotes
	styleEnvSingle              // .env value in single quotes
	styleEnvDouble              // .env value in double quotes
)

// Detect picks the format of the file named name with content data: .env
// files by name (.env, .env.*, *.env), templates by their
// AWSTemplateFormatVersion, Transform or Resources key, serverless.yml by
// its service key.
func Detect(name string, data []byte) (Format, error) {
	base := strings.ToLower(filepath.Base(name))
	if base == ".env" || strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, ".env") {
		return Env, nil
	}
	keys, err := topLevelKeys(data)
	if err != nil {
		return 0, err
	}
	switch {
	case keys["AWSTemplateFormatVersion"] || keys["Transform"] || keys["Resources"]:
		return CloudFormation, nil
	case keys["service"] && (keys["provider"] || keys["functions"]):
		return Serverless, nil
	}
	return 0, errors.New("not a serverless.yml, a CloudFormation/SAM template or a .env file (name the format with --format)")
}

// Parse parses data, the content of a manifest of format f (0: Detect it
// from name and data).
func Parse(name string, data []byte, f Format) (*File, error) {
	if f == 0 {
		var err error
		if f, err = Detect(name, data); err != nil {
			return nil, err
		}
	}
	file := &File{Format: f, data: data}
	var err error
	switch f {
	case Env:
		err = file.parseEnv()
	case Serverless, CloudFormation:
		err = file.parseYAML()
	default:
		err = fmt.Errorf("unknown format %v", f)
	}
	if err != nil {
		return nil, err
	}
	return file, nil
}

// classify sets v.Literal or v.NotLiteral for a scalar value.
func classify(v *Var, tag string, anchored bool) {
	reason := ""
	switch {
	case anchored:
		reason = "an anchored value (&): rewrite it by hand"
	case strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!"):
		reason = "a CloudFormation intrinsic function (" + tag + ")"
	case tag == "!!bool":
		reason = "a boolean"
	case tag == "!!null" || v.Value == "":
		reason = "empty"
	case tag != "" && tag != "!!str" && tag != "!!int" && tag != "!!float":
		reason = "not a string (" + tag + ")"
	}
	if reason == "" {
		if ms, err := ref.Find(v.Value); err != nil {
			reason = "a malformed reference"
		} else if len(ms) > 0 {
			reason = "already a reference"
		} else if strings.Contains(v.Value, "${") {
			reason = "a variable (${...})"
		}
	}
	v.Literal, v.NotLiteral = reason == "", reason
}

// lineStarts returns the offset of each line of data.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// lineOf returns the 1-based line holding offset off.
func lineOf(data []byte, off int) int {
	return bytes.Count(data[:off], []byte("\n")) + 1
}
