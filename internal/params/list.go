package params

import (
	"context"
	"regexp"
	"slices"
	"strings"
)

// match is a parameter version a listing operation selected.
type match struct {
	rec *paramRecord
	v   *versionRecord
}

func (m match) name() string { return m.rec.Name }

// ByPath implements GetParametersByPath: the parameters under in.Path (its
// direct children, or with Recursive every descendant) that pass the
// filters, sorted by name, one page at a time. The path's ARN is what the
// call is authorized on.
func (s *Service) ByPath(ctx context.Context, call Call, in ByPathInput) ([]*Parameter, string, error) {
	if err := validatePath(in.Path); err != nil {
		return nil, "", err
	}
	limit, err := maxResults(in.MaxResults, MaxByPathResults)
	if err != nil {
		return nil, "", err
	}
	if err := validateFilters(in.Filters, true); err != nil {
		return nil, "", err
	}
	path := strings.TrimSuffix(in.Path, "/")
	if err := s.authorize(ctx, call, "ssm:GetParametersByPath", s.arn(call.Region, path), nil, nil); err != nil {
		return nil, "", err
	}
	recs, err := s.loadAll(ctx, call.Region)
	if err != nil {
		return nil, "", err
	}
	var all []match
	for _, rec := range recs {
		full := "/" + strings.TrimPrefix(rec.Name, "/")
		rest, ok := strings.CutPrefix(full, path+"/")
		if !ok || (!in.Recursive && strings.Contains(rest, "/")) {
			continue
		}
		if v := matchFilters(rec, in.Filters); v != nil {
			all = append(all, match{rec, v})
		}
	}
	pg, next, err := page(all, match.name, limit, in.NextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Parameter, 0, len(pg))
	for _, m := range pg {
		p := s.toParameter(call.Region, m.rec, m.v)
		if p.Value, err = s.value(ctx, call.Region, m.rec, m.v, in.WithDecryption); err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	return out, next, nil
}

// Describe implements DescribeParameters: the metadata of the latest
// version of every parameter that passes the filters, sorted by name.
func (s *Service) Describe(ctx context.Context, call Call, in DescribeInput) ([]*Parameter, string, error) {
	if len(in.Filters) > 0 && len(in.LegacyFilters) > 0 {
		return nil, "", validationf("You can use either Filters or ParameterFilters in a single request.")
	}
	limit, err := maxResults(in.MaxResults, MaxDescribeResults)
	if err != nil {
		return nil, "", err
	}
	if err := validateFilters(in.Filters, false); err != nil {
		return nil, "", err
	}
	filters, err := legacyFilters(in.LegacyFilters)
	if err != nil {
		return nil, "", err
	}
	filters = append(filters, in.Filters...)
	if err := s.authorize(ctx, call, "ssm:DescribeParameters", "*", nil, nil); err != nil {
		return nil, "", err
	}
	recs, err := s.loadAll(ctx, call.Region)
	if err != nil {
		return nil, "", err
	}
	var all []match
	for _, rec := range recs {
		if v := matchFilters(rec, filters); v != nil {
			all = append(all, match{rec, v})
		}
	}
	pg, next, err := page(all, match.name, limit, in.NextToken)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Parameter, 0, len(pg))
	for _, m := range pg {
		p := s.toParameter(call.Region, m.rec, m.v)
		p.Labels = nil // DescribeParameters reports no labels
		out = append(out, p)
	}
	return out, next, nil
}

var filterKeyRE = regexp.MustCompile(`^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$`)

// validateFilters applies AWS's rules for ParameterFilters; byPath selects
// GetParametersByPath's narrower set of keys.
func validateFilters(filters []Filter, byPath bool) error {
	seen := map[string]bool{}
	for i, f := range filters {
		if !filterKeyRE.MatchString(f.Key) || len(f.Key) > 132 {
			return validationf(`1 validation error detected: Value "%s" at "parameterFilters.%d.member.key" failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType`, f.Key, i+1)
		}
		if len(f.Values) > 50 {
			return validationf(`1 validation error detected: Value at "parameterFilters.%d.member.values" failed to satisfy constraint: Member must have length less than or equal to 50`, i+1)
		}
		for _, v := range f.Values {
			if v == "" || len(v) > 1024 {
				return validationf(`1 validation error detected: Value at "parameterFilters.%d.member.values" failed to satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1]`, i+1)
			}
		}
		switch {
		case byPath && (f.Key == "Name" || f.Key == "Path" || f.Key == "Tier" || f.Key == "DataType"):
			return &FilterError{Kind: "key", Reason: "The following filter key is not valid: " + f.Key + ". Valid filter keys include: [Type, KeyId]."}
		case !byPath && f.Key == "Label":
			return &FilterError{Kind: "key", Reason: "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."}
		case seen[f.Key]:
			return &FilterError{Kind: "key", Reason: "The following filter is duplicated in the request: " + f.Key + ". A request can contain only one occurrence of a specific filter."}
		}
		seen[f.Key] = true
		if len(f.Values) == 0 && !strings.HasPrefix(f.Key, "tag:") {
			return &FilterError{Kind: "value", Reason: "The following filter values are missing : null for filter key " + f.Key + "."}
		}
		if err := checkFilterValues(f); err != nil {
			return err
		}
		if err := checkFilterOption(f); err != nil {
			return err
		}
	}
	return nil
}

func checkFilterValues(f Filter) error {
	var valid []string
	switch f.Key {
	case "Type":
		valid = []string{TypeString, TypeStringList, TypeSecureString}
	case "Tier":
		valid = []string{TierStandard, TierAdvanced, TierIntelligentTiering}
	case "Path":
		for _, v := range f.Values {
			lower := strings.ToLower(v)
			if strings.HasPrefix(lower, "/aws") || strings.HasPrefix(lower, "/ssm") {
				return validationf(`Filters for common parameters can't be prefixed with "aws" or "ssm" (case-insensitive). When using global parameters, please specify within a global namespace.`)
			}
			if validatePath(v) != nil {
				return validationf(`The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`)
			}
		}
		return nil
	default:
		return nil
	}
	for _, v := range f.Values {
		if !slices.Contains(valid, v) {
			return &FilterError{Kind: "value", Reason: "The following filter value is not valid: " + v + ". Valid values include: [" + strings.Join(valid, ", ") + "]."}
		}
	}
	return nil
}

func checkFilterOption(f Filter) error {
	if f.Key == "Path" {
		if f.Option != "" && f.Option != "Recursive" && f.Option != "OneLevel" {
			return &FilterError{Kind: "option", Reason: "The following filter option is not valid: " + f.Option + ". Valid options include: [Recursive, OneLevel]."}
		}
		return nil
	}
	allowed := []string{"", "Equals", "BeginsWith"}
	msg := "[BeginsWith, Equals]"
	switch f.Key {
	case "Name":
		allowed = append(allowed, "Contains")
		msg = "[BeginsWith, Contains, Equals]"
	case "Label":
		allowed = []string{"", "Equals"}
		msg = "[Equals]"
	}
	if !slices.Contains(allowed, f.Option) {
		return &FilterError{Kind: "option", Reason: "The following filter option is not valid: " + f.Option + ". Valid options include: " + msg + "."}
	}
	return nil
}

// legacyFilters turns DescribeParameters' Filters into ParameterFilters.
func legacyFilters(in []LegacyFilter) ([]Filter, error) {
	var out []Filter
	for _, f := range in {
		if len(f.Values) == 0 {
			return nil, &FilterError{Kind: "value", Reason: "The following filter values are missing : null for filter key " + f.Key + "."}
		}
		switch f.Key {
		case "Name":
			out = append(out, Filter{Key: "Name", Option: "BeginsWith", Values: f.Values})
		case "Type", "KeyId":
			out = append(out, Filter{Key: f.Key, Option: "Equals", Values: f.Values})
		default:
			return nil, &FilterError{Kind: "key", Reason: "The following filter key is not valid: " + f.Key + ". Valid filter keys include: [Name, Type, KeyId]."}
		}
	}
	return out, nil
}

// matchFilters returns the version of rec the filters select (the latest,
// or for a Label filter the labeled one), or nil if rec does not pass.
func matchFilters(rec *paramRecord, filters []Filter) *versionRecord {
	v := rec.latest()
	for _, f := range filters {
		if f.Key == "Label" {
			var lv *versionRecord
			for _, l := range f.Values {
				if lv = rec.labeled(l); lv != nil {
					break
				}
			}
			if lv == nil {
				return nil
			}
			v = lv
		}
	}
	for _, f := range filters {
		if !matchFilter(rec, v, f) {
			return nil
		}
	}
	return v
}

func matchFilter(rec *paramRecord, v *versionRecord, f Filter) bool {
	var what []string
	values := f.Values
	switch {
	case f.Key == "Label":
		return true // chose v above
	case f.Key == "Name":
		what = []string{"/" + strings.TrimPrefix(rec.Name, "/")}
		if f.Option != "Contains" {
			values = make([]string, len(f.Values))
			for i, x := range f.Values {
				values[i] = "/" + strings.TrimPrefix(x, "/")
			}
		}
	case f.Key == "Path":
		full := "/" + strings.TrimPrefix(rec.Name, "/")
		for _, p := range f.Values {
			p = strings.TrimSuffix(p, "/")
			rest, ok := strings.CutPrefix(full, p+"/")
			if ok && (f.Option == "Recursive" || !strings.Contains(rest, "/")) {
				return true
			}
		}
		return false
	case f.Key == "Type":
		what = []string{v.Type}
	case f.Key == "KeyId":
		if v.KeyID != "" {
			what = []string{v.KeyID}
		}
	case f.Key == "Tier":
		what = []string{v.Tier}
	case f.Key == "DataType":
		what = []string{v.DataType}
	case strings.HasPrefix(f.Key, "tag:"):
		for _, t := range rec.Tags {
			if t.Key == f.Key[len("tag:"):] {
				what = append(what, t.Value)
			}
		}
		if len(what) > 0 && len(values) == 0 {
			return true // the tag exists
		}
	}
	for _, w := range what {
		for _, x := range values {
			switch f.Option {
			case "BeginsWith":
				if strings.HasPrefix(w, x) {
					return true
				}
			case "Contains":
				if strings.Contains(w, x) {
					return true
				}
			default:
				if w == x {
					return true
				}
			}
		}
	}
	return false
}
