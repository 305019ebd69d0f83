package sts

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/request"
)

// Config wires the STS API.
type Config struct {
	Store     *iam.Store
	Providers []OIDCProvider
	Logger    *slog.Logger
	Now       func() time.Time // nil: time.Now
}

// API serves STS.
type API struct {
	store    *iam.Store
	verifier *verifier
	log      *slog.Logger
	now      func() time.Time
}

// NewMux returns the query-protocol mux for STS.
func NewMux(cfg Config) *awsproto.QueryMux {
	a := &API{store: cfg.Store, log: cfg.Logger, now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.verifier = newVerifier(cfg.Providers, a.now)
	m := awsproto.NewQueryMux("sts", "2011-06-15", "https://sts.amazonaws.com/doc/2011-06-15/")
	m.Handle("GetCallerIdentity", a.wrap(a.getCallerIdentity))
	m.Handle("AssumeRole", a.wrap(a.assumeRole))
	m.Handle("AssumeRoleWithWebIdentity", a.wrap(a.assumeRoleWithWebIdentity))
	m.Handle("GetSessionToken", a.wrap(a.getSessionToken))
	return m
}

func (a *API) wrap(h func(ctx context.Context, p url.Values) (any, error)) awsproto.QueryOp {
	return func(ctx context.Context, p url.Values) (any, error) {
		out, err := h(ctx, p)
		if err != nil {
			return nil, a.toAWS(ctx, err)
		}
		return out, nil
	}
}

// Wire shapes (STS API reference).

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type getCallerIdentityResult struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials      credentialsXML  `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize int             `xml:"PackedPolicySize"`
	SourceIdentity   string          `xml:"SourceIdentity,omitempty"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name        `xml:"AssumeRoleWithWebIdentityResult"`
	Credentials                 credentialsXML  `xml:"Credentials"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize            int             `xml:"PackedPolicySize"`
	Provider                    string          `xml:"Provider"`
	Audience                    string          `xml:"Audience"`
}

type getSessionTokenResult struct {
	Credentials credentialsXML `xml:"Credentials"`
}

func credsOut(c *iam.Credentials) credentialsXML {
	return credentialsXML{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.Secret.Reveal(), SessionToken: c.SessionToken,
		Expiration: c.Expiration.UTC().Format("2006-01-02T15:04:05Z"),
	}
}

func (a *API) getCallerIdentity(ctx context.Context, _ url.Values) (any, error) {
	p := request.From(ctx).Principal
	return &getCallerIdentityResult{UserID: p.UserID, Account: p.Account, Arn: p.ARN}, nil
}

// validationError is an STS ValidationError.
type validationError struct{ msg string }

func (e *validationError) Error() string { return e.msg }

func missing(field string) error {
	return &validationError{"1 validation error detected: Value null at '" + field + "' failed to satisfy constraint: Member must not be null"}
}

// duration parses DurationSeconds within [min, max], defaulting to def.
func duration(p url.Values, def, min, max int) (time.Duration, error) {
	s := p.Get("DurationSeconds")
	if s == "" {
		return time.Duration(def) * time.Second, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		return 0, &validationError{"1 validation error detected: Value '" + s + "' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to " + strconv.Itoa(min)}
	}
	if n > max {
		return 0, &validationError{"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	return time.Duration(n) * time.Second, nil
}

func validSessionName(n string) error {
	if len(n) < 2 || len(n) > 64 {
		return &validationError{"1 validation error detected: Value '" + n + "' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64"}
	}
	for _, c := range n {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("+=,.@_-", c)) {
			return &validationError{"1 validation error detected: Value '" + n + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"}
		}
	}
	return nil
}

// roleFromARN finds the role an ARN in this account names.
func (a *API) roleFromARN(ctx context.Context, arn string) (*iam.Role, error) {
	prefix := "arn:aws:iam::" + a.store.Account() + ":role/"
	if !strings.HasPrefix(arn, prefix) {
		return nil, &accessDenied{arn: arn}
	}
	rest := strings.TrimPrefix(arn, prefix)
	name := rest[strings.LastIndex(rest, "/")+1:]
	r, err := a.store.Role(ctx, name)
	if err != nil || r.ARN != arn {
		return nil, &accessDenied{arn: arn}
	}
	return r, nil
}

// sessionParams reads what AssumeRole and AssumeRoleWithWebIdentity share.
func sessionParams(p url.Values, role *iam.Role, chained bool) (name string, d time.Duration, policies []string, tags []iam.Tag, err error) {
	name = p.Get("RoleSessionName")
	if name == "" {
		return "", 0, nil, nil, missing("roleSessionName")
	}
	if err := validSessionName(name); err != nil {
		return "", 0, nil, nil, err
	}
	if p.Get("PolicyArns.member.1.arn") != "" {
		// Managed policies do not exist yet; ignoring them would hand out
		// a broader session than the caller asked for.
		return "", 0, nil, nil, &validationError{"PolicyArns is not supported: Coffer has no managed policies yet; pass the session policy in Policy instead."}
	}
	max := role.MaxSessionDuration
	if chained {
		max = 3600 // role chaining is limited to one hour, as in AWS
	}
	if d, err = duration(p, 3600, 900, max); err != nil {
		if chained {
			return "", 0, nil, nil, &validationError{"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."}
		}
		return "", 0, nil, nil, err
	}
	if pol := p.Get("Policy"); pol != "" {
		if len(pol) > 2048 {
			return "", 0, nil, nil, &packedPolicyTooLarge{}
		}
		if err := iam.CheckSessionPolicy(pol); err != nil {
			return "", 0, nil, nil, err
		}
		policies = append(policies, pol)
	}
	tags = memberTags(p, "Tags")
	if len(tags) > 50 {
		return "", 0, nil, nil, &validationError{"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"}
	}
	return name, d, policies, tags, nil
}

// memberTags reads Tags.member.N.Key / .Value form fields.
func memberTags(p url.Values, prefix string) []iam.Tag {
	var tags []iam.Tag
	for i := 1; ; i++ {
		k := p.Get(prefix + ".member." + strconv.Itoa(i) + ".Key")
		if k == "" {
			return tags
		}
		tags = append(tags, iam.Tag{Key: k, Value: p.Get(prefix + ".member." + strconv.Itoa(i) + ".Value")})
	}
}

func (a *API) assumeRole(ctx context.Context, p url.Values) (any, error) {
	caller := request.From(ctx)
	arn := p.Get("RoleArn")
	if arn == "" {
		return nil, missing("roleArn")
	}
	role, err := a.roleFromARN(ctx, arn)
	if err != nil {
		return nil, a.denied(caller.Principal, "sts:AssumeRole", arn)
	}
	chained := caller.Principal.Session != nil && caller.Principal.Session.RoleName != ""
	name, d, policies, tags, err := sessionParams(p, role, chained)
	if err != nil {
		return nil, err
	}
	keys := map[string][]string{"sts:RoleSessionName": {name}}
	if ext := p.Get("ExternalId"); ext != "" {
		keys["sts:ExternalId"] = []string{ext}
	}
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys["aws:TagKeys"] = append(keys["aws:TagKeys"], t.Key)
	}
	keys["aws:SourceIp"] = []string{caller.SourceIP}
	keys["aws:SecureTransport"] = []string{strconv.FormatBool(caller.SecureTransport)}
	actions := []string{"sts:AssumeRole"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession") // session tags need their own grant, as in AWS
	}
	for _, action := range actions {
		if d, err := a.store.AuthorizeAssume(ctx, caller.Principal, role, action, keys); err != nil {
			return nil, err
		} else if d != iam.Allow {
			return nil, a.denied(caller.Principal, action, arn)
		}
	}
	creds, err := a.store.CreateSession(ctx, iam.Session{
		RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: name,
		Policies: policies, Tags: tags, Duration: d,
	})
	if err != nil {
		return nil, err
	}
	return &assumeRoleResult{
		Credentials:      credsOut(creds),
		AssumedRoleUser:  assumedRoleUser{AssumedRoleID: role.ID + ":" + name, Arn: "arn:aws:sts::" + a.store.Account() + ":assumed-role/" + role.Name + "/" + name},
		PackedPolicySize: packedSize(policies, tags),
	}, nil
}

func (a *API) assumeRoleWithWebIdentity(ctx context.Context, p url.Values) (any, error) {
	token := p.Get("WebIdentityToken")
	if token == "" {
		return nil, missing("webIdentityToken")
	}
	arn := p.Get("RoleArn")
	if arn == "" {
		return nil, missing("roleArn")
	}
	id, err := a.verifier.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	role, err := a.roleFromARN(ctx, arn)
	if err != nil {
		return nil, &accessDenied{arn: arn, webIdentity: true}
	}
	name, d, policies, _, err := sessionParams(p, role, false)
	if err != nil {
		return nil, err
	}
	prefix := id.Provider.Name() + ":"
	keys := map[string][]string{
		prefix + "aud": {id.Audience}, prefix + "sub": {id.Subject}, "sts:RoleSessionName": {name},
	}
	for k, v := range id.Claims {
		if s, ok := v.(string); ok && k != "aud" && k != "sub" {
			keys[prefix+k] = []string{s}
		}
	}
	providerARN := "arn:aws:iam::" + a.store.Account() + ":oidc-provider/" + id.Provider.Name()
	if d, err := a.store.AuthorizeWebIdentity(ctx, providerARN, role, keys); err != nil {
		return nil, err
	} else if d != iam.Allow {
		return nil, &accessDenied{arn: arn, webIdentity: true}
	}
	creds, err := a.store.CreateSession(ctx, iam.Session{
		RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: name,
		Policies: policies, Duration: d, Subject: id.Provider.Issuer + "#" + id.Subject,
	})
	if err != nil {
		return nil, err
	}
	return &assumeRoleWithWebIdentityResult{
		Credentials:                 credsOut(creds),
		SubjectFromWebIdentityToken: id.Subject,
		AssumedRoleUser:             assumedRoleUser{AssumedRoleID: role.ID + ":" + name, Arn: "arn:aws:sts::" + a.store.Account() + ":assumed-role/" + role.Name + "/" + name},
		PackedPolicySize:            packedSize(policies, nil),
		Provider:                    providerARN,
		Audience:                    id.Audience,
	}, nil
}

func (a *API) getSessionToken(ctx context.Context, p url.Values) (any, error) {
	caller := request.From(ctx).Principal
	if caller.Session != nil {
		return nil, &accessDenied{msg: "Cannot call GetSessionToken with session credentials"}
	}
	d, err := duration(p, 43200, 900, 129600)
	if err != nil {
		if _, ok := errors.AsType[*validationError](err); ok && !strings.Contains(err.Error(), "validation error") {
			return nil, &validationError{"1 validation error detected: Value '" + p.Get("DurationSeconds") + "' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"}
		}
		return nil, err
	}
	if caller.Name == iam.AdminUser && caller.Admin {
		return nil, &accessDenied{msg: "GetSessionToken is not available in coffer dev"}
	}
	creds, err := a.store.CreateSession(ctx, iam.Session{UserName: caller.Name, Duration: d})
	if err != nil {
		return nil, err
	}
	return &getSessionTokenResult{Credentials: credsOut(creds)}, nil
}

// packedSize is the percentage of AWS's packed session policy limit used.
func packedSize(policies []string, tags []iam.Tag) int {
	n := 0
	for _, p := range policies {
		n += len(p)
	}
	for _, t := range tags {
		n += len(t.Key) + len(t.Value)
	}
	return n * 100 / 2048
}

type accessDenied struct {
	arn         string
	msg         string
	webIdentity bool
}

func (e *accessDenied) Error() string {
	if e.msg != "" {
		return e.msg
	}
	if e.webIdentity {
		return "Not authorized to perform sts:AssumeRoleWithWebIdentity"
	}
	return "not authorized to assume " + e.arn
}

func (a *API) denied(p iam.Principal, action, arn string) error {
	return &accessDenied{msg: "User: " + p.ARN + " is not authorized to perform: " + action + " on resource: " + arn}
}

type packedPolicyTooLarge struct{}

func (packedPolicyTooLarge) Error() string {
	return "Packed policy consumes more than 100 percent of allotted space."
}

// toAWS is STS's error table.
func (a *API) toAWS(ctx context.Context, err error) error {
	e := func(typ string, status int, msg string) *awsproto.Error {
		return &awsproto.Error{Type: typ, Message: msg, Status: status}
	}
	switch {
	case errors.Is(err, errTokenExpired):
		return e("ExpiredTokenException", http.StatusBadRequest, "Token expired: "+strings.TrimPrefix(err.Error(), errTokenExpired.Error()+": "))
	case errors.Is(err, errUnknownIssuer):
		return e("InvalidIdentityToken", http.StatusBadRequest, "No OpenIDConnect provider found in your account for "+strings.TrimPrefix(err.Error(), errUnknownIssuer.Error()+": "))
	case errors.Is(err, errBadAudience):
		return e("InvalidIdentityToken", http.StatusBadRequest, "Incorrect token audience")
	case errors.Is(err, errBadToken):
		return e("InvalidIdentityToken", http.StatusBadRequest, "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.")
	case errors.Is(err, errNoKeys):
		return e("IDPCommunicationError", http.StatusBadRequest, "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	if ve, ok := errors.AsType[*validationError](err); ok {
		return e("ValidationError", http.StatusBadRequest, ve.msg)
	}
	if ad, ok := errors.AsType[*accessDenied](err); ok {
		return e("AccessDenied", http.StatusForbidden, ad.Error())
	}
	if _, ok := errors.AsType[*packedPolicyTooLarge](err); ok {
		return e("PackedPolicyTooLarge", http.StatusBadRequest, err.Error())
	}
	if mp, ok := errors.AsType[*iam.MalformedPolicyError](err); ok {
		return e("MalformedPolicyDocument", http.StatusBadRequest, mp.Reason)
	}
	a.log.Error("sts internal error", "request_id", request.From(ctx).ID, "err", err)
	return e("InternalFailure", http.StatusInternalServerError, "An internal error occurred.")
}
