package params

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/coffer-dev/coffer/internal/secrets"
)

// Get implements GetParameter. name may carry a ":<version>" or
// ":<label>" selector and may be the parameter's ARN; names under
// ReferencePrefix read a Secrets Manager secret.
func (s *Service) Get(ctx context.Context, call Call, name string, decrypt bool) (*Parameter, error) {
	return s.get(ctx, call, "ssm:GetParameter", name, decrypt)
}

// GetMany implements GetParameters: the parameters found, in the order
// asked (duplicates once), and the names that named no parameter or
// version.
func (s *Service) GetMany(ctx context.Context, call Call, names []string, decrypt bool) ([]*Parameter, []string, error) {
	switch {
	case len(names) == 0:
		return nil, nil, validationf("1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(names) > MaxBatch:
		return nil, nil, validationf("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to %d", MaxBatch)
	}
	var (
		found   []*Parameter
		invalid []string
		seen    = make(map[string]bool, len(names))
	)
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		p, err := s.get(ctx, call, "ssm:GetParameters", name, decrypt)
		if err != nil {
			_, nf := errors.AsType[*NotFoundError](err)
			_, vnf := errors.AsType[*VersionNotFoundError](err)
			if nf || vnf {
				invalid = append(invalid, name)
				continue
			}
			return nil, nil, err
		}
		found = append(found, p)
	}
	return found, invalid, nil
}

func (s *Service) get(ctx context.Context, call Call, action, in string, decrypt bool) (*Parameter, error) {
	if err := checkNameLength(in); err != nil {
		return nil, err
	}
	if isReference(in) {
		return s.getReference(ctx, call, action, in, decrypt)
	}
	name, sel, err := s.splitSelector(call.Region, in)
	if err != nil {
		return nil, err
	}
	l, err := s.load(ctx, call.Region, name, in)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeRecord(ctx, call, action, l.rec, nil); err != nil {
		return nil, err
	}
	v := l.rec.latest()
	switch {
	case sel.version > 0:
		if v = l.rec.version(sel.version); v == nil {
			return nil, &VersionNotFoundError{Name: name, Version: strconv.FormatInt(sel.version, 10)}
		}
	case sel.label != "":
		if v = l.rec.labeled(sel.label); v == nil {
			return nil, &VersionNotFoundError{Name: name, Version: sel.label}
		}
	}
	p := s.toParameter(call.Region, l.rec, v)
	if p.Value, err = s.value(ctx, call.Region, l.rec, v, decrypt); err != nil {
		return nil, err
	}
	p.Selector = sel.raw
	return p, nil
}

// getReference reads the secret a /aws/reference/secretsmanager/<id>
// name points to, as AWS does: WithDecryption is required, the result is
// a SecureString at version 0 whose SourceResult is the secret's
// GetSecretValue response. A ":<version id or stage>" suffix selects a
// version.
func (s *Service) getReference(ctx context.Context, call Call, action, in string, decrypt bool) (*Parameter, error) {
	if !decrypt {
		return nil, validationf("WithDecryption flag must be True for retrieving a Secret Manager secret.")
	}
	id := strings.TrimPrefix(in, ReferencePrefix)
	selAt := strings.IndexByte(id, ':')
	if strings.HasPrefix(id, "arn:") { // an ARN has 6 colons of its own
		selAt = -1
		if parts := strings.SplitN(id, ":", 8); len(parts) == 8 {
			selAt = len(id) - len(parts[7]) - 1
		}
	}
	sel := ""
	if selAt >= 0 {
		id, sel = id[:selAt], id[selAt+1:]
	}
	name := ReferencePrefix + id
	if id == "" {
		return nil, &NotFoundError{Name: in, Reference: true}
	}
	if err := s.authorize(ctx, call, action, s.arn(call.Region, name), nil, nil); err != nil {
		return nil, err
	}
	if s.secrets == nil {
		return nil, &NotFoundError{Name: in, Reference: true}
	}
	sv, err := s.readSecret(ctx, call, id, sel)
	if err != nil {
		if errors.Is(err, secrets.ErrNotFound) || errors.Is(err, secrets.ErrMarkedForDeletion) {
			return nil, &NotFoundError{Name: in, Reference: true}
		}
		if _, ok := errors.AsType[*secrets.VersionNotFoundError](err); ok {
			return nil, &VersionNotFoundError{Name: name, Version: sel}
		}
		if errors.Is(err, secrets.ErrDecryption) {
			return nil, ErrDecryption
		}
		return nil, err
	}
	str, bin, isBinary := sv.Value.Reveal()
	if isBinary {
		str = base64.StdEncoding.EncodeToString(bin)
	}
	src := sourceResult{
		ARN: sv.ARN, Name: sv.Name, VersionID: sv.Version.ID, VersionStages: sv.Version.Stages,
		CreatedDate: float64(sv.Version.Created.UnixMilli()) / 1000,
	}
	if isBinary {
		src.SecretBinary = &str
	} else {
		src.SecretString = &str
	}
	raw, err := json.Marshal(src)
	if err != nil {
		return nil, err
	}
	p := &Parameter{
		Name:         name,
		ARN:          s.arn(call.Region, name),
		Type:         TypeSecureString,
		Value:        Value{s: str},
		SourceResult: Value{s: string(raw)},
		Modified:     sv.Version.Created,
		DataType:     DataTypeText,
	}
	if sel != "" {
		p.Selector = ":" + sel
	}
	return p, nil
}

// sourceResult is the GetSecretValue response AWS puts in SourceResult.
type sourceResult struct {
	ARN           string   `json:"ARN"`
	CreatedDate   float64  `json:"CreatedDate"`
	Name          string   `json:"Name"`
	SecretBinary  *string  `json:"SecretBinary,omitempty"`
	SecretString  *string  `json:"SecretString,omitempty"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

// readSecret reads secret id: the version sel names (a version id, else a
// stage), or AWSCURRENT.
func (s *Service) readSecret(ctx context.Context, call Call, id, sel string) (*secrets.SecretValue, error) {
	sc := secrets.Call{Principal: call.Principal, Region: call.Region, SourceIP: call.SourceIP, SecureTransport: call.SecureTransport}
	if sel == "" {
		return s.secrets.GetValue(ctx, sc, id, secrets.Selector{})
	}
	sv, err := s.secrets.GetValue(ctx, sc, id, secrets.Selector{VersionID: sel})
	if _, ok := errors.AsType[*secrets.VersionNotFoundError](err); ok {
		return s.secrets.GetValue(ctx, sc, id, secrets.Selector{Stage: sel})
	}
	return sv, err
}

// History implements GetParameterHistory: every kept version, oldest
// first, with its labels.
func (s *Service) History(ctx context.Context, call Call, in HistoryInput) ([]*Parameter, string, error) {
	limit, err := maxResults(in.MaxResults, MaxHistoryResults)
	if err != nil {
		return nil, "", err
	}
	if err := checkNameLength(in.Name); err != nil {
		return nil, "", err
	}
	l, err := s.load(ctx, call.Region, in.Name, in.Name)
	if err != nil {
		return nil, "", err
	}
	if err := s.authorizeRecord(ctx, call, "ssm:GetParameterHistory", l.rec, nil); err != nil {
		return nil, "", err
	}
	after := int64(0)
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, "", err
		}
		if after, err = strconv.ParseInt(t, 10, 64); err != nil || after < 0 {
			return nil, "", ErrInvalidNextToken
		}
	}
	var out []*Parameter
	next := ""
	for i := range l.rec.Versions {
		v := &l.rec.Versions[i]
		if v.Version <= after {
			continue
		}
		if len(out) == limit {
			next = encodeToken(strconv.FormatInt(out[len(out)-1].Version, 10))
			break
		}
		p := s.toParameter(call.Region, l.rec, v)
		if p.Value, err = s.value(ctx, call.Region, l.rec, v, in.WithDecryption); err != nil {
			return nil, "", err
		}
		out = append(out, p)
	}
	return out, next, nil
}

// maxResults checks a MaxResults against its upper bound; 0 means the bound.
func maxResults(n, upper int) (int, error) {
	if n == 0 {
		return upper, nil
	}
	if n < 1 || n > upper {
		return 0, validationf("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", n, upper)
	}
	return n, nil
}

// Tokens are opaque to clients: base64 of a position (a name or version).
const tokenPrefix = "coffer-ssm:"

func encodeToken(pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + pos))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", ErrInvalidNextToken
	}
	pos, ok := strings.CutPrefix(string(b), tokenPrefix)
	if !ok || pos == "" {
		return "", ErrInvalidNextToken
	}
	return pos, nil
}

// page returns the items after the token's position, at most limit, and
// the token for the next page.
func page[T any](items []T, key func(T) string, limit int, token string) ([]T, string, error) {
	start := 0
	if token != "" {
		after, err := decodeToken(token)
		if err != nil {
			return nil, "", err
		}
		start, _ = slices.BinarySearchFunc(items, after, func(it T, k string) int { return strings.Compare(key(it), k) })
		for start < len(items) && key(items[start]) <= after {
			start++
		}
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = encodeToken(key(items[end-1]))
	}
	return items[start:end], next, nil
}
