package audit

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CloudTrailEvent is an event in the shape of an AWS CloudTrail record
// (eventVersion 1.08), field for field as AWS documents them in "CloudTrail
// record contents", so that the CloudTrail parsers SIEMs ship read
// Coffer's trail unchanged. Fields are in the order AWS writes them.
type CloudTrailEvent struct {
	EventVersion      string             `json:"eventVersion"`
	UserIdentity      CloudTrailIdentity `json:"userIdentity"`
	EventTime         string             `json:"eventTime"` // UTC, seconds: 2006-01-02T15:04:05Z
	EventSource       string             `json:"eventSource"`
	EventName         string             `json:"eventName"`
	AWSRegion         string             `json:"awsRegion"`
	SourceIPAddress   string             `json:"sourceIPAddress"`
	UserAgent         string             `json:"userAgent"`
	ErrorCode         string             `json:"errorCode,omitempty"`
	ErrorMessage      string             `json:"errorMessage,omitempty"`
	RequestParameters map[string]string  `json:"requestParameters"` // null without parameters
	// ResponseElements is always null: Coffer records no response content.
	ResponseElements    *struct{}                 `json:"responseElements"`
	AdditionalEventData *CloudTrailAdditionalData `json:"additionalEventData,omitempty"`
	RequestID           string                    `json:"requestID,omitempty"`
	EventID             string                    `json:"eventID"`
	ReadOnly            bool                      `json:"readOnly"`
	Resources           []CloudTrailResource      `json:"resources,omitempty"`
	EventType           string                    `json:"eventType"` // AwsApiCall or AwsServiceEvent
	ManagementEvent     bool                      `json:"managementEvent"`
	RecipientAccountID  string                    `json:"recipientAccountId"`
	EventCategory       string                    `json:"eventCategory"`
}

// CloudTrailIdentity is CloudTrail's userIdentity element.
type CloudTrailIdentity struct {
	Type             string                    `json:"type"`
	PrincipalID      string                    `json:"principalId,omitempty"`
	ARN              string                    `json:"arn,omitempty"`
	AccountID        string                    `json:"accountId,omitempty"`
	AccessKeyID      string                    `json:"accessKeyId,omitempty"`
	UserName         string                    `json:"userName,omitempty"`
	SessionContext   *CloudTrailSessionContext `json:"sessionContext,omitempty"`
	InvokedBy        string                    `json:"invokedBy,omitempty"`
	IdentityProvider string                    `json:"identityProvider,omitempty"`
}

// CloudTrailSessionContext describes temporary credentials.
type CloudTrailSessionContext struct {
	SessionIssuer *CloudTrailSessionIssuer `json:"sessionIssuer,omitempty"`
	Attributes    CloudTrailSessionAttrs   `json:"attributes"`
}

// CloudTrailSessionIssuer is who issued temporary credentials.
type CloudTrailSessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// CloudTrailSessionAttrs are a session's attributes.
type CloudTrailSessionAttrs struct {
	CreationDate     string `json:"creationDate,omitempty"`
	MFAAuthenticated string `json:"mfaAuthenticated"` // "false": Coffer has no MFA
}

// CloudTrailResource is one element of resources.
type CloudTrailResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
	ARN       string `json:"ARN"`
}

// CloudTrailAdditionalData carries what Coffer records beyond CloudTrail's
// fields, in additionalEventData where CloudTrail puts service-specific
// facts: the authorization decision and the deciding statement, the HTTP
// status and latency, the version read or written.
type CloudTrailAdditionalData struct {
	Decision      string  `json:"decision,omitempty"`
	StatementID   string  `json:"statementId,omitempty"`
	HTTPStatus    int     `json:"httpStatus,omitempty"`
	LatencyMillis float64 `json:"latencyMillis,omitempty"`
	VersionID     string  `json:"versionId,omitempty"`
	VersionStage  string  `json:"versionStage,omitempty"`
}

// CloudTrail renders e as a CloudTrail record. The mapping:
//
//	eventTime           Time, UTC, to the second
//	eventSource         Service + ".amazonaws.com"
//	eventName           Operation
//	userIdentity        Principal: type, principalId (ID), arn, accountId,
//	                    accessKeyId, userName (IAM users), sessionContext
//	                    (Session), invokedBy, identityProvider
//	requestParameters   Params, names in lower camel case ("secretId");
//	                    sensitive ones are their digests, never values
//	responseElements    null
//	additionalEventData Decision, StatementID, Status, Latency, VersionID/Stage
//	readOnly            Get*, List*, Describe*, BatchGet*, Lookup*,
//	                    Simulate*, and STS's credential calls
//	resources           Resources, with accountId and type from the ARN
//	eventType           AwsApiCall, or AwsServiceEvent for ServiceEvent
//	recipientAccountId  the first resource's account, else the principal's
func CloudTrail(e *Event) *CloudTrailEvent {
	ct := &CloudTrailEvent{
		EventVersion:    "1.08",
		UserIdentity:    cloudTrailIdentity(&e.Principal),
		EventTime:       e.Time.UTC().Format(time.RFC3339),
		EventSource:     eventSource(e.Service),
		EventName:       e.Operation,
		AWSRegion:       e.Region,
		SourceIPAddress: e.SourceIP,
		UserAgent:       e.UserAgent,
		ErrorCode:       e.ErrorCode,
		ErrorMessage:    e.ErrorMessage,
		RequestID:       e.RequestID,
		EventID:         e.ID,
		ReadOnly:        ReadOnly(e.Service, e.Operation),
		EventType:       "AwsApiCall",
		ManagementEvent: true,
		EventCategory:   "Management",
	}
	if e.Type == ServiceEvent {
		ct.EventType = "AwsServiceEvent"
		if ct.SourceIPAddress == "" {
			ct.SourceIPAddress = ct.EventSource
		}
		if ct.UserAgent == "" {
			ct.UserAgent = ct.EventSource
		}
	}
	if len(e.Params) > 0 {
		ct.RequestParameters = make(map[string]string, len(e.Params))
		for k, v := range e.Params {
			ct.RequestParameters[lowerFirst(k)] = v
		}
	}
	if e.Decision != "" || e.StatementID != "" || e.Status != 0 || e.Latency != 0 || e.VersionID != "" || e.VersionStage != "" {
		ct.AdditionalEventData = &CloudTrailAdditionalData{
			Decision: string(e.Decision), StatementID: e.StatementID, HTTPStatus: e.Status,
			LatencyMillis: float64(e.Latency.Microseconds()) / 1000, VersionID: e.VersionID, VersionStage: e.VersionStage,
		}
	}
	for _, r := range e.Resources {
		ct.Resources = append(ct.Resources, CloudTrailResource{AccountID: arnAccount(r.ARN), Type: resourceType(r), ARN: r.ARN})
	}
	ct.RecipientAccountID = e.Principal.Account
	if len(ct.Resources) > 0 && ct.Resources[0].AccountID != "" {
		ct.RecipientAccountID = ct.Resources[0].AccountID
	}
	return ct
}

func cloudTrailIdentity(p *Principal) CloudTrailIdentity {
	id := CloudTrailIdentity{
		Type: p.Type, PrincipalID: p.ID, ARN: p.ARN, AccountID: p.Account,
		AccessKeyID: p.AccessKeyID, InvokedBy: p.InvokedBy,
	}
	if id.Type == "" {
		id.Type = PrincipalUnknown
	}
	switch p.Type {
	case PrincipalIAMUser, PrincipalRoot, PrincipalWebIdentity:
		id.UserName = p.Name
	}
	if s := p.Session; s != nil {
		if s.IdentityProvider != "" {
			id.IdentityProvider = s.IdentityProvider
		}
		sc := &CloudTrailSessionContext{Attributes: CloudTrailSessionAttrs{MFAAuthenticated: "false"}}
		if !s.Created.IsZero() {
			sc.Attributes.CreationDate = s.Created.UTC().Format(time.RFC3339)
		}
		if s.IssuerARN != "" {
			sc.SessionIssuer = &CloudTrailSessionIssuer{
				Type: s.IssuerType, PrincipalID: s.IssuerID, ARN: s.IssuerARN,
				AccountID: arnAccount(s.IssuerARN), UserName: s.IssuerName,
			}
		}
		id.SessionContext = sc
	}
	return id
}

// eventSource returns CloudTrail's eventSource for a service name.
func eventSource(service string) string {
	if service == "" {
		return ""
	}
	return service + ".amazonaws.com"
}

// ReadOnly reports whether an operation only reads, as CloudTrail's
// readOnly field does: Get*, List*, Describe*, BatchGet*, Lookup* and
// Simulate* operations, and STS calls, which hand out credentials
// without changing any resource.
func ReadOnly(service, operation string) bool {
	if service == "sts" {
		return true
	}
	for _, p := range []string{"Get", "List", "Describe", "BatchGet", "Lookup", "Simulate"} {
		if strings.HasPrefix(operation, p) {
			return true
		}
	}
	return false
}

// resourceType returns r.Type, or the CloudTrail type its ARN implies.
func resourceType(r Resource) string {
	if r.Type != "" {
		return r.Type
	}
	parts := strings.SplitN(r.ARN, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	service, res := parts[2], parts[5]
	kind, _, _ := strings.Cut(res, "/")
	if service == "secretsmanager" || service == "ssm" {
		kind, _, _ = strings.Cut(kind, ":")
	}
	switch service + " " + kind {
	case "secretsmanager secret":
		return "AWS::SecretsManager::Secret"
	case "ssm parameter":
		return "AWS::SSM::Parameter"
	case "iam user":
		return "AWS::IAM::User"
	case "iam role":
		return "AWS::IAM::Role"
	case "iam policy":
		return "AWS::IAM::Policy"
	case "iam oidc-provider":
		return "AWS::IAM::OIDCProvider"
	case "kms key":
		return "AWS::KMS::Key"
	case "kms alias":
		return "AWS::KMS::Alias"
	case "sts assumed-role":
		return "AWS::STS::AssumedRole"
	}
	return ""
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// resourceName returns the name an ARN gives its resource: a secret's
// name without its random suffix, a parameter's path, an IAM user's or
// role's name.
func resourceName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return arn
	}
	res := parts[5]
	switch {
	case parts[2] == "secretsmanager":
		name := strings.TrimPrefix(res, "secret:")
		if i := len(name) - 7; i > 0 && name[i] == '-' {
			name = name[:i]
		}
		return name
	case parts[2] == "ssm":
		return strings.TrimPrefix(res, "parameter")
	}
	if _, name, ok := strings.Cut(res, "/"); ok {
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		return name
	}
	return res
}

// lowerFirst lower-cases the first letter: "SecretId" → "secretId".
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
