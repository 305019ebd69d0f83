package iam

import (
	"strings"
)

// PrincipalSet is the value of a Principal or NotPrincipal element.
//
// Coffer's principals are all of type "AWS": IAM users, role sessions
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), federated users and
// account root users. An "AWS" value may be "*", a 12-digit account id,
// the account's root ARN (both mean the account), the ARN of a user, role,
// role session or federated user, or a unique id (AIDA..., AROA...).
// Wildcards are not allowed anywhere else, as in IAM. "Service",
// "Federated" and "CanonicalUser" values match a request only when they
// equal the principal's ARN exactly (a web identity provider's ARN, say).
type PrincipalSet struct {
	Wildcard      bool // "Principal": "*" or {"AWS": "*"}
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string

	accounts  []string // account ids, from ids and root ARNs
	arns      []string // exact principal ARNs
	roles     []principalRoleRef
	uniqueIDs []string
	others    []string // Service, Federated and CanonicalUser values
}

type principalRoleRef struct {
	partition, account, name string
}

// principalMatch is how closely a Principal element names the caller.
type principalMatch uint8

const (
	principalNone principalMatch = iota
	// principalAccount: the element names the caller's account only. A
	// resource policy that allows an account delegates to the account's
	// identity policies; on its own it grants nothing.
	principalAccount
	// principalRole: the element names the role of a role session. The
	// grant is limited by the session's session policies.
	principalRole
	// principalDirect: the element names the caller itself, or everyone.
	principalDirect
)

// compile checks the values of a Principal element and prepares them for
// matching. It returns the IAM Access Analyzer issue code and a reason for
// the first bad value.
func (ps *PrincipalSet) compile() (check, reason string) {
	for _, v := range ps.AWS {
		if v == "*" {
			ps.Wildcard = true
			continue
		}
		if strings.ContainsAny(v, "*?") {
			return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "wildcards are not allowed in principal " + policyQuote(v)
		}
		switch {
		case isPolicyAccountID(v):
			ps.accounts = append(ps.accounts, v)
		case strings.HasPrefix(v, "arn:"):
			a, ok := splitPolicyARN(v)
			if !ok || a.partition == "" || a.account == "" || a.resource == "" {
				return "INVALID_PRINCIPAL_FORMAT", "principal " + policyQuote(v) + " is not an ARN with an account"
			}
			switch {
			case a.service == "iam" && a.resource == "root":
				ps.accounts = append(ps.accounts, a.account)
			case a.service == "iam" && strings.HasPrefix(a.resource, "role/"):
				name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]
				ps.roles = append(ps.roles, principalRoleRef{a.partition, a.account, name})
			default:
				ps.arns = append(ps.arns, v)
			}
		case isPolicyUniqueID(v):
			ps.uniqueIDs = append(ps.uniqueIDs, v)
		default:
			return "INVALID_PRINCIPAL_FORMAT", "principal " + policyQuote(v) + " is not an account id, an ARN or a unique id"
		}
	}
	for _, list := range [][]string{ps.Service, ps.Federated, ps.CanonicalUser} {
		for _, v := range list {
			if strings.ContainsAny(v, "*?") {
				return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL", "wildcards are not allowed in principal " + policyQuote(v)
			}
			if v == "" {
				return "INVALID_PRINCIPAL_FORMAT", "empty principal"
			}
			ps.others = append(ps.others, v)
		}
	}
	return "", ""
}

// empty reports whether the element names no principal at all.
func (ps *PrincipalSet) empty() bool {
	return !ps.Wildcard && len(ps.AWS)+len(ps.Service)+len(ps.Federated)+len(ps.CanonicalUser) == 0
}

// match reports how closely ps names the caller.
func (ps *PrincipalSet) match(c *policyCaller) principalMatch {
	if ps.Wildcard {
		return principalDirect
	}
	best := principalNone
	for _, a := range ps.arns {
		if a == c.arn {
			return principalDirect
		}
	}
	for _, o := range ps.others {
		if o == c.arn {
			return principalDirect
		}
	}
	for _, id := range ps.uniqueIDs {
		if id == c.userID {
			return principalDirect
		}
		if c.kind == pcAssumedRole && id == c.roleID() {
			best = principalRole
		}
	}
	if c.kind == pcAssumedRole {
		for _, r := range ps.roles {
			if r.name == c.roleName && r.account == c.account && r.partition == c.partition {
				best = principalRole
			}
		}
	}
	if best == principalNone && c.account != "" {
		for _, a := range ps.accounts {
			if a == c.account {
				return principalAccount
			}
		}
	}
	return best
}

// excludes reports whether a NotPrincipal element ps leaves the caller out.
// IAM checks every identity a request carries (the account, then the user;
// or the account, the role and the role session), so the caller is left
// out only if each of them is listed: NotPrincipal with only a user's ARN
// still covers that user through its account.
func (ps *PrincipalSet) excludes(c *policyCaller) bool {
	if ps.Wildcard {
		return true
	}
	for _, o := range ps.others {
		if o == c.arn {
			return true
		}
	}
	account := false
	for _, a := range ps.accounts {
		if a == c.account {
			account = true
		}
	}
	if !account {
		return false
	}
	self := false
	for _, a := range ps.arns {
		if a == c.arn {
			self = true
		}
	}
	for _, id := range ps.uniqueIDs {
		if id == c.userID {
			self = true
		}
	}
	switch c.kind {
	case pcRoot:
		return true
	case pcAssumedRole:
		role := false
		for _, r := range ps.roles {
			if r.name == c.roleName && r.account == c.account && r.partition == c.partition {
				role = true
			}
		}
		for _, id := range ps.uniqueIDs {
			if id == c.roleID() {
				role = true
			}
		}
		return role && self
	default:
		return self
	}
}

// caller is the request's principal, taken apart once per evaluation.
type policyCaller struct {
	kind      policyCallerKind
	arn       string
	partition string
	account   string
	userID    string
	name      string // IAM user or federated user name
	roleName  string // role of a role session
	// sessionRoleARN is the role ARN the Session records, with its path.
	// (A pointer to the Principal would make the evaluator escape.)
	sessionRoleARN string
}

type policyCallerKind uint8

const (
	pcOther policyCallerKind = iota
	pcUser
	pcAssumedRole
	pcFederatedUser
	pcRoot
	pcWebIdentity // Principal.Federated: an OIDC provider's ARN, in no account
)

func newPolicyCaller(p *Principal) policyCaller {
	c := policyCaller{arn: p.ARN, account: p.Account, userID: p.UserID}
	if p.Session != nil {
		c.sessionRoleARN = p.Session.RoleARN
	}
	if p.Federated {
		// A web identity matches only Principal {"Federated": ARN} (or
		// "*"), never an account.
		c.kind, c.account = pcWebIdentity, ""
		return c
	}
	a, ok := splitPolicyARN(p.ARN)
	if !ok {
		return c
	}
	c.partition = a.partition
	if c.account == "" {
		c.account = a.account
	}
	switch {
	case a.service == "iam" && a.resource == "root":
		c.kind = pcRoot
	case a.service == "iam" && strings.HasPrefix(a.resource, "user/"):
		c.kind = pcUser
		c.name = a.resource[strings.LastIndexByte(a.resource, '/')+1:]
	case a.service == "sts" && strings.HasPrefix(a.resource, "assumed-role/"):
		role, _, ok := strings.Cut(a.resource[len("assumed-role/"):], "/")
		if ok && role != "" {
			c.kind = pcAssumedRole
			c.roleName = role
		}
	case a.service == "sts" && strings.HasPrefix(a.resource, "federated-user/"):
		c.kind = pcFederatedUser
		c.name = a.resource[len("federated-user/"):]
	}
	return c
}

// roleID is the role's unique id of a role session: the part of
// aws:userid before the colon (AROA...:session).
func (c *policyCaller) roleID() string {
	id, _, _ := strings.Cut(c.userID, ":")
	return id
}

// roleARN is the ARN of the role of a role session: the one the session
// records (with its path) or, failing that, built from the session ARN.
func (c *policyCaller) roleARN() string {
	if c.sessionRoleARN != "" {
		return c.sessionRoleARN
	}
	return "arn:" + c.partition + ":iam::" + c.account + ":role/" + c.roleName
}

// principalType is the value of aws:PrincipalType.
func (c *policyCaller) principalType() string {
	switch c.kind {
	case pcUser:
		return "User"
	case pcAssumedRole:
		return "AssumedRole"
	case pcFederatedUser:
		return "FederatedUser"
	case pcRoot:
		return "Account"
	case pcWebIdentity:
		return "WebIdentityUser"
	}
	return ""
}

// policyARN is an ARN taken apart at its first five colons.
type policyARN struct {
	partition, service, region, account, resource string
}

func splitPolicyARN(s string) (policyARN, bool) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return policyARN{}, false
	}
	var a policyARN
	var parts [4]string
	for i := range parts {
		parts[i], rest, ok = strings.Cut(rest, ":")
		if !ok {
			return policyARN{}, false
		}
	}
	a.partition, a.service, a.region, a.account, a.resource = parts[0], parts[1], parts[2], parts[3], rest
	return a, true
}

func isPolicyAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isPolicyUniqueID reports whether s looks like an IAM unique id: AIDA..., AROA...
func isPolicyUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || s[0] != 'A' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
