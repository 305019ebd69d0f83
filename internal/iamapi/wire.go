package iamapi

import (
	"encoding/xml"
	"net/url"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
)

// Output shapes, named and spelled as in the IAM API reference and written
// inside <ActionResult> by awsproto.WriteXML. Never persisted. Inputs are
// the *Input types next to their handlers, read by form.

// Tag is a key/value label on a user or role.
type Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// User is IAM's User shape.
type User struct {
	Path       string       `xml:"Path"`
	UserName   string       `xml:"UserName"`
	UserID     string       `xml:"UserId"`
	ARN        string       `xml:"Arn"`
	CreateDate dateTime     `xml:"CreateDate"`
	Tags       members[Tag] `xml:"Tags,omitempty"`
}

// Role is IAM's Role shape. AssumeRolePolicyDocument is URL-encoded, as
// AWS sends every policy document.
type Role struct {
	Path                     string        `xml:"Path"`
	RoleName                 string        `xml:"RoleName"`
	RoleID                   string        `xml:"RoleId"`
	ARN                      string        `xml:"Arn"`
	CreateDate               dateTime      `xml:"CreateDate"`
	AssumeRolePolicyDocument string        `xml:"AssumeRolePolicyDocument"`
	Description              string        `xml:"Description,omitempty"`
	MaxSessionDuration       int           `xml:"MaxSessionDuration,omitempty"`
	Tags                     members[Tag]  `xml:"Tags,omitempty"`
	RoleLastUsed             *RoleLastUsed `xml:"RoleLastUsed,omitempty"`
}

// RoleLastUsed is sent empty by GetRole: Coffer does not track role use yet.
type RoleLastUsed struct{}

// AccessKey is CreateAccessKey's result: the only response that carries a
// secret access key.
type AccessKey struct {
	UserName        string   `xml:"UserName"`
	AccessKeyID     string   `xml:"AccessKeyId"`
	Status          string   `xml:"Status"`
	SecretAccessKey string   `xml:"SecretAccessKey"`
	CreateDate      dateTime `xml:"CreateDate"`
}

// AccessKeyMetadata is a listed access key, without its secret.
type AccessKeyMetadata struct {
	UserName    string   `xml:"UserName"`
	AccessKeyID string   `xml:"AccessKeyId"`
	Status      string   `xml:"Status"`
	CreateDate  dateTime `xml:"CreateDate"`
}

type CreateUserOutput struct {
	User User `xml:"User"`
}

type GetUserOutput struct {
	User User `xml:"User"`
}

type ListUsersOutput struct {
	Users members[User] `xml:"Users"`
	page
}

type CreateAccessKeyOutput struct {
	AccessKey AccessKey `xml:"AccessKey"`
}

type ListAccessKeysOutput struct {
	AccessKeyMetadata members[AccessKeyMetadata] `xml:"AccessKeyMetadata"`
	page
}

type CreateRoleOutput struct {
	Role Role `xml:"Role"`
}

type GetRoleOutput struct {
	Role Role `xml:"Role"`
}

type ListRolesOutput struct {
	Roles members[Role] `xml:"Roles"`
	page
}

type GetUserPolicyOutput struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"` // URL-encoded
}

type GetRolePolicyOutput struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"` // URL-encoded
}

// ListPoliciesOutput is the result of ListUserPolicies and ListRolePolicies.
type ListPoliciesOutput struct {
	PolicyNames members[string] `xml:"PolicyNames"`
	page
}

// ListTagsOutput is the result of ListUserTags and ListRoleTags.
type ListTagsOutput struct {
	Tags members[Tag] `xml:"Tags"`
	page
}

// page ends every list result. Marker is set only when IsTruncated.
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// members is a query-protocol list: <List><member>…</member>…</List>,
// written (empty) even when it has no members, as AWS does.
type members[T any] []T

// MarshalXML implements xml.Marshaler.
func (l members[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	member := xml.StartElement{Name: xml.Name{Local: "member"}}
	for _, v := range l {
		if err := e.EncodeElement(v, member); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

// dateTime is a timestamp as IAM writes it: ISO 8601 in UTC, to the second.
type dateTime time.Time

// MarshalText implements encoding.TextMarshaler.
func (t dateTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, "2006-01-02T15:04:05Z"), nil
}

// encodeDocument URL-encodes a policy document as IAM returns it (RFC
// 3986: every byte but the unreserved characters as %XX, so a space is
// %20, not +).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

func tagsOut(tags []iam.Tag) members[Tag] {
	if len(tags) == 0 {
		return nil
	}
	out := make(members[Tag], len(tags))
	for i, t := range tags {
		out[i] = Tag(t)
	}
	return out
}

// userOut is the User shape; tags are left out of lists, as in ListUsers.
func userOut(u *iam.User, withTags bool) User {
	out := User{Path: u.Path, UserName: u.Name, UserID: u.ID, ARN: u.ARN, CreateDate: dateTime(u.Created)}
	if withTags {
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

// roleOut is the Role shape; ListRoles leaves out tags and RoleLastUsed.
func roleOut(r *iam.Role, full bool) Role {
	out := Role{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, ARN: r.ARN, CreateDate: dateTime(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicy), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration,
	}
	if full {
		out.Tags = tagsOut(r.Tags)
		out.RoleLastUsed = &RoleLastUsed{}
	}
	return out
}
