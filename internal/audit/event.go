package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coffer-dev/coffer/internal/uuid"
)

// EventType says what caused an event.
type EventType string

const (
	// APICall is an API request, allowed or denied (CloudTrail's AwsApiCall).
	APICall EventType = "api"
	// ServiceEvent is an action of Coffer's own scheduler: a rotation step,
	// a purge (CloudTrail's AwsServiceEvent).
	ServiceEvent EventType = "service"
)

// Decision is the outcome of authorization, as far as the audit log cares.
// A Deny with a StatementID was an explicit deny; one without was implicit
// (nothing allowed it) or came before policies were evaluated (a bad
// signature). An empty Decision means none was taken (a scheduler action).
type Decision string

const (
	Allow Decision = "allow"
	Deny  Decision = "deny"
)

// Principal types, as CloudTrail's userIdentity.type spells them.
const (
	PrincipalIAMUser     = "IAMUser"
	PrincipalAssumedRole = "AssumedRole"
	PrincipalRoot        = "Root"
	PrincipalWebIdentity = "WebIdentityUser"
	PrincipalService     = "AWSService"
	PrincipalUnknown     = "Unknown" // the request was refused before its principal was known
)

// Principal is who made a request. It never holds a secret key or a
// session token: an access key id names a credential, it does not prove it.
type Principal struct {
	Type        string `json:"type,omitempty"` // PrincipalIAMUser, ...
	ID          string `json:"id,omitempty"`   // unique id: AIDA..., or AROA...:session for a role session
	ARN         string `json:"arn,omitempty"`
	Account     string `json:"account,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	// Name is the user name, or the session name of a role session: what
	// CloudTrail's LookupEvents calls Username.
	Name string `json:"name,omitempty"`
	// Session is set for temporary credentials.
	Session *Session `json:"session,omitempty"`
	// InvokedBy names the service acting, for a ServiceEvent
	// ("secretsmanager.amazonaws.com").
	InvokedBy string `json:"invoked_by,omitempty"`
}

// Session describes the temporary credentials a request was signed with:
// who issued them (the role assumed, or the user who called
// GetSessionToken) and when.
type Session struct {
	IssuerType string    `json:"issuer_type,omitempty"` // "Role" or "IAMUser"
	IssuerID   string    `json:"issuer_id,omitempty"`
	IssuerARN  string    `json:"issuer_arn,omitempty"`
	IssuerName string    `json:"issuer_name,omitempty"`
	Created    time.Time `json:"created,omitzero"`
	// IdentityProvider is the OIDC issuer of a web identity session.
	IdentityProvider string `json:"identity_provider,omitempty"`
}

// Resource is a resource a request named or touched.
type Resource struct {
	ARN string `json:"arn"`
	// Type is CloudTrail's resource type ("AWS::SecretsManager::Secret");
	// left empty, it is derived from the ARN.
	Type string `json:"type,omitempty"`
}

// Event is the record of one API request or scheduler action. It has no
// field for a request or response body: what the request asked for goes
// in Params, one named parameter at a time, and the parameters that could
// carry sensitive input are recorded only as keyed digests (see Params).
type Event struct {
	ID        string    `json:"id"` // unique; set by Append when empty (CloudTrail eventID)
	Type      EventType `json:"type"`
	Time      time.Time `json:"time"` // when the request arrived; set by Append when zero
	RequestID string    `json:"request_id,omitempty"`
	Principal Principal `json:"principal"`
	SourceIP  string    `json:"source_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	Region    string    `json:"region,omitempty"`
	Service   string    `json:"service"`   // "secretsmanager", "ssm", "iam", "sts", "kms"
	Operation string    `json:"operation"` // "GetSecretValue"

	Resources    []Resource `json:"resources,omitempty"`
	VersionID    string     `json:"version_id,omitempty"`
	VersionStage string     `json:"version_stage,omitempty"`

	Decision    Decision `json:"decision,omitempty"`
	StatementID string   `json:"statement_id,omitempty"` // the statement that decided, when one did

	ErrorCode    string        `json:"error_code,omitempty"`    // AWS error type ("ResourceNotFoundException")
	ErrorMessage string        `json:"error_message,omitempty"` // the public message the caller saw
	Status       int           `json:"status,omitempty"`        // HTTP status of the response
	Latency      time.Duration `json:"latency_ns,omitempty"`

	// Params are the request's parameters by their API names ("SecretId",
	// "VersionStage"). Put only values that are safe to keep in the log;
	// for sensitive input put Keys.Digest(value) instead, which an
	// investigator holding the key can match against a known value. A
	// parameter whose name is on the sensitive list (SecretString,
	// SecretBinary, Password, SessionToken, Signature, Value, ... see
	// IsSensitiveParam) is replaced by its digest by Append whatever the
	// caller put there, so a value never reaches a sink in plaintext.
	Params map[string]string `json:"params,omitempty"`
}

// Limits that keep every record small; see prepare.
const (
	maxString     = 1024 // bytes of any one string field
	maxParamName  = 64
	maxParamValue = 256
	maxParams     = 32
	maxResources  = 16
	// maxEventBytes bounds an encoded event; prepare's truncation keeps
	// every event well below it, and Append refuses one above it.
	maxEventBytes = 16 << 10
)

// ErrInvalidEvent is returned by Append for an event that cannot be
// recorded as given: no Service or Operation, a malformed digest, or an
// encoding larger than the record limit. It is a programming error in the
// caller; the request must still be refused.
var ErrInvalidEvent = errors.New("audit: invalid event")

// sensitiveParams are parameter names (lower case, without '-' and '_')
// whose values are never recorded, only digested.
var sensitiveParams = map[string]bool{
	"secretstring": true, "secretbinary": true, "value": true, "plaintext": true,
	"password": true, "newpassword": true, "oldpassword": true,
	"sessiontoken": true, "securitytoken": true, "xamzsecuritytoken": true, "tokencode": true,
	"webidentitytoken": true, "samlassertion": true, "rotationtoken": true,
	"signature": true, "xamzsignature": true, "authorization": true,
	"secretaccesskey": true, "privatekey": true, "clientsecret": true, "credentials": true,
}

// IsSensitiveParam reports whether Append records the parameter name only
// as a digest, whatever its value.
func IsSensitiveParam(name string) bool {
	var buf [maxParamName]byte
	n := 0
	for i := 0; i < len(name) && n < len(buf); i++ {
		switch c := name[i]; {
		case c == '-' || c == '_':
		case 'A' <= c && c <= 'Z':
			buf[n] = c + 'a' - 'A'
			n++
		default:
			buf[n] = c
			n++
		}
	}
	return sensitiveParams[string(buf[:n])]
}

// prepare returns a copy of e ready for the sinks: ID and Time set, Time
// in UTC, long strings cut, sensitive parameters digested with k. It
// returns ErrInvalidEvent for an event that names no service or operation,
// or that carries a malformed digest.
func prepare(e *Event, k *Keys, now time.Time) (*Event, error) {
	if e == nil || e.Service == "" || e.Operation == "" {
		return nil, fmt.Errorf("%w: no service or operation", ErrInvalidEvent)
	}
	p := *e
	if p.ID == "" {
		p.ID = newEventID()
	}
	if p.Type == "" {
		p.Type = APICall
	}
	if p.Time.IsZero() {
		p.Time = now
	}
	p.Time = p.Time.UTC()
	for _, s := range []*string{
		&p.ID, &p.RequestID, &p.SourceIP, &p.UserAgent, &p.Region, &p.Service, &p.Operation,
		&p.VersionID, &p.VersionStage, &p.StatementID, &p.ErrorCode, &p.ErrorMessage,
		&p.Principal.Type, &p.Principal.ID, &p.Principal.ARN, &p.Principal.Account,
		&p.Principal.AccessKeyID, &p.Principal.Name, &p.Principal.InvokedBy,
	} {
		*s = truncate(*s, maxString)
	}
	if e.Principal.Session != nil {
		s := *e.Principal.Session
		for _, f := range []*string{&s.IssuerType, &s.IssuerID, &s.IssuerARN, &s.IssuerName, &s.IdentityProvider} {
			*f = truncate(*f, maxString)
		}
		s.Created = s.Created.UTC()
		p.Principal.Session = &s
	}
	if len(e.Resources) > 0 {
		p.Resources = make([]Resource, 0, min(len(e.Resources), maxResources))
		for _, r := range e.Resources[:min(len(e.Resources), maxResources)] {
			p.Resources = append(p.Resources, Resource{ARN: truncate(r.ARN, maxString), Type: truncate(r.Type, maxString)})
		}
	}
	params, err := prepareParams(e.Params, k)
	if err != nil {
		return nil, err
	}
	p.Params = params
	return &p, nil
}

// prepareParams returns params with sensitive ones digested and long
// names and values cut, in a new map if anything changed (params itself
// is never modified). Of more than maxParams parameters, the first
// maxParams-1 in name order are kept and "_dropped" counts the others.
func prepareParams(params map[string]string, k *Keys) (map[string]string, error) {
	if len(params) == 0 {
		return nil, nil
	}
	if len(params) <= maxParams {
		clean := true
		for name, v := range params {
			switch {
			case len(name) > maxParamName:
				clean = false
			case isDigest(v):
			case strings.HasPrefix(v, digestPrefix), IsSensitiveParam(name), len(v) > maxParamValue:
				clean = false
			}
			if !clean {
				break
			}
		}
		if clean {
			return params, nil // shared: sinks encode events before Write returns
		}
	}
	out := make(map[string]string, min(len(params), maxParams))
	names := sortedNames(params)
	for i, name := range names {
		if len(names) > maxParams && i == maxParams-1 {
			out["_dropped"] = fmt.Sprint(len(names) - i)
			break
		}
		v := params[name]
		switch {
		case isDigest(v):
		case strings.HasPrefix(v, digestPrefix):
			return nil, fmt.Errorf("%w: parameter %q holds a malformed digest", ErrInvalidEvent, truncate(name, maxParamName))
		case IsSensitiveParam(name):
			v = k.Digest([]byte(v))
		default:
			v = truncate(v, maxParamValue)
		}
		out[truncate(name, maxParamName)] = v
	}
	return out, nil
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// newEventID returns a random (version 4) UUID.
func newEventID() string { return uuid.New() }
