package params

import (
	"strconv"
	"strings"
)

// AWS's messages for names it refuses.
const (
	msgNamePrefix = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`
	msgNamePath   = `Parameter name: can't be prefixed with "ssm" (case-insensitive). ` +
		`If formed as a path, it can consist of sub-paths divided by slash symbol; ` +
		`each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
	msgNameQualified = "Parameter name must be a fully qualified name."
)

// validateName checks a name PutParameter would create: AWS's character
// set, a leading slash for hierarchies, at most 15 levels, and no
// reserved prefix.
func validateName(name string) error {
	if err := checkNameLength(name); err != nil {
		return err
	}
	isPath := strings.Count(name, "/") > 1
	lower := strings.ToLower(strings.TrimPrefix(name, "/"))
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		if isPath && strings.HasPrefix(strings.ToLower(name), "/aws") {
			return &ReservedNameError{Name: name}
		}
		if isPath {
			return &ValidationError{Reason: msgNamePath}
		}
		return &ValidationError{Reason: msgNamePrefix}
	}
	for i := 0; i < len(name); i++ {
		if !nameChar(name[i]) {
			return &ValidationError{Reason: msgNamePath}
		}
	}
	if strings.Contains(name, "/") {
		if !strings.HasPrefix(name, "/") {
			return &ValidationError{Reason: msgNameQualified}
		}
		if strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
			return &ValidationError{Reason: msgNamePath}
		}
	}
	if levels(name) > MaxHierarchyLevels {
		return ErrHierarchyLevels
	}
	return nil
}

func checkNameLength(name string) error {
	switch {
	case name == "":
		return validationf("1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(name) > MaxNameLength:
		return validationf("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d", MaxNameLength)
	}
	return nil
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '/'
}

// levels counts the hierarchy levels of a name: "/a/b/c" has 3, "a" has 1.
func levels(name string) int {
	return len(strings.Split(strings.TrimPrefix(name, "/"), "/"))
}

// normalize maps a name to the one that identifies the parameter: AWS
// treats "/name" and "name" as the same single-level parameter.
func normalize(name string) string {
	stripped := strings.TrimPrefix(name, "/")
	if strings.Contains(stripped, "/") {
		return name
	}
	return stripped
}

// validatePath checks a GetParametersByPath path.
func validatePath(path string) error {
	if err := checkNameLength(path); err != nil {
		return err
	}
	if !strings.HasPrefix(path, "/") {
		return &ValidationError{Reason: msgNameQualified}
	}
	for i := 0; i < len(path); i++ {
		if !nameChar(path[i]) {
			return &ValidationError{Reason: msgNamePath}
		}
	}
	if strings.Contains(path, "//") {
		return &ValidationError{Reason: msgNamePath}
	}
	if path != "/" && levels(strings.TrimSuffix(path, "/")) > MaxHierarchyLevels {
		return ErrHierarchyLevels
	}
	return nil
}

// selector is what follows the name in "name:version" or "name:label".
type selector struct {
	version int64  // > 0 when the selector is a version number
	label   string // otherwise
	raw     string // ":3", ":prod", or ""
}

// splitSelector separates a GetParameter name into the name and selector.
// A name may also be the parameter's ARN in this region and account.
func (s *Service) splitSelector(region, in string) (string, selector, error) {
	name := in
	if rest, ok := strings.CutPrefix(in, "arn:aws:ssm:"+region+":"+s.account+":parameter/"); ok {
		name = rest
		if strings.Contains(rest, "/") {
			name = "/" + rest
		}
	}
	base, sel, has := strings.Cut(name, ":")
	if !has {
		return name, selector{}, nil
	}
	if sel == "" || strings.Contains(sel, ":") {
		return "", selector{}, &NotFoundError{Name: in}
	}
	out := selector{raw: ":" + sel}
	if n, err := strconv.ParseInt(sel, 10, 64); err == nil && n > 0 {
		out.version = n
	} else {
		out.label = sel
	}
	return base, out, nil
}

// validLabel reports whether label follows AWS's label rules: up to 100
// letters, numbers, periods, hyphens and underscores, not starting with a
// number or with "aws" or "ssm" (in any case).
func validLabel(label string) bool {
	if label == "" || len(label) > MaxLabelLength {
		return false
	}
	if c := label[0]; '0' <= c && c <= '9' {
		return false
	}
	lower := strings.ToLower(label)
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; c == '/' || !nameChar(c) {
			return false
		}
	}
	return true
}
