package main

// coffer audit unused: least privilege from the trail. It reads a
// principal's identity policies through the server's IAM API, the
// principal's allowed requests from the local audit log, and prints what
// the policies grant that was not used in the window (IAM Access
// Advisor's "last accessed") and a narrower policy that still allows
// everything the principal did (IAM's policy generation).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awsiamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/coffer-dev/coffer/internal/audit"
	"github.com/coffer-dev/coffer/internal/iam"
)

// servedActions are the actions Coffer serves: what unused expands Action
// wildcards and NotAction against. TestUnusedServedActionsAreTheMuxes
// holds the list to the API packages' registrations.
var servedActions = slices.Concat(
	prefixed("secretsmanager", "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy",
		"DeleteSecret", "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue",
		"ListSecretVersionIds", "ListSecrets", "PutResourcePolicy", "PutSecretValue", "RemoveRegionsFromReplication",
		"ReplicateSecretToRegions", "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
		"UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy"),
	prefixed("ssm", "AddTagsToResource", "DeleteParameter", "DeleteParameters", "DescribeParameters",
		"GetParameter", "GetParameterHistory", "GetParameters", "GetParametersByPath", "LabelParameterVersion",
		"ListTagsForResource", "PutParameter", "RemoveTagsFromResource", "UnlabelParameterVersion"),
	prefixed("iam", "CreateAccessKey", "CreateRole", "CreateUser", "DeleteAccessKey", "DeleteRole",
		"DeleteRolePolicy", "DeleteUser", "DeleteUserPolicy", "GetRole", "GetRolePolicy", "GetUser",
		"GetUserPolicy", "ListAccessKeys", "ListAttachedRolePolicies", "ListAttachedUserPolicies",
		"ListGroupsForUser", "ListInstanceProfilesForRole", "ListRolePolicies", "ListRoleTags", "ListRoles",
		"ListUserPolicies", "ListUserTags", "ListUsers", "PutRolePolicy", "PutUserPolicy",
		"SimulateCustomPolicy", "SimulatePrincipalPolicy", "TagRole", "TagUser", "UntagRole", "UntagUser",
		"UpdateAccessKey", "UpdateAssumeRolePolicy"),
	// sts:TagSession is not an operation but a permission AssumeRole
	// with session tags needs.
	prefixed("sts", "AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity", "GetSessionToken", "TagSession"),
	prefixed("cloudtrail", "LookupEvents"),
)

func prefixed(service string, ops ...string) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = service + ":" + op
	}
	return out
}

// iamPrefixes maps the audit log's service names to their IAM action
// prefixes. Events of other services (and of none) are not counted.
var iamPrefixes = map[string]string{
	"secretsmanager": "secretsmanager",
	"ssm":            "ssm",
	"iam":            "iam",
	"sts":            "sts",
	"cloudtrail":     "cloudtrail",
}

// unusedNotes say what the generated policy leaves out.
var unusedNotes = []string{
	"Conditions are not evaluated: a grant counts as used when its action and resource match a request, whatever its conditions.",
	"The narrower policy has no conditions and no Deny statements; add back those of the current policies you rely on.",
	"Secrets are named by their ARN with -?????? for the random suffix, so a secret deleted and created again under the same name stays allowed.",
}

func auditUnused(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, dataDir := newAuditFlags("unused", stderr)
	var principalARN, dir, format string
	var days int
	fs.StringVar(&principalARN, "principal", "", "ARN of a user, a role, or a role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION: the role)")
	fs.IntVar(&days, "days", 90, "how many days back from now the trail is read")
	fs.StringVar(&dir, "dir", "", "the audit log's directory (default <data-dir>/audit)")
	fs.StringVar(&format, "format", "text", "text, or json (one document)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case principalARN == "":
		return errors.New("--principal is required: the ARN of a user or role")
	case days < 1:
		return fmt.Errorf("--days %d: want 1 or more", days)
	case format != "text" && format != "json":
		return fmt.Errorf("--format %q: want text or json", format)
	}
	ref, err := parsePrincipalRef(principalARN)
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(dataDirOr(*dataDir), audit.DirName)
	}
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	id, err := loadIdentity(ctx, awsiam.NewFromConfig(cfg), ref)
	if err != nil {
		return err
	}
	until := time.Now().UTC().Truncate(time.Second) // for the output: the trail is read to its end
	since := until.Add(-time.Duration(days) * 24 * time.Hour)
	uses, requests, err := principalUses(ctx, dir, id, since)
	if err != nil {
		return err
	}
	rep := iam.LastAccessed(iam.AccessInput{Principal: id.principal, Policies: id.policies, Actions: servedActions, Uses: uses})
	var doc string
	if len(rep.Granted) > 0 {
		if doc, err = iam.GeneratePolicy(rep.Granted); err != nil {
			return fmt.Errorf("the narrower policy does not parse as an identity policy: %w\n%s", err, doc)
		}
	}
	out := unusedOutput{ID: id, Since: since, Until: until, Days: days, Requests: requests, Report: rep, Policy: doc}
	if format == "json" {
		return out.writeJSON(stdout)
	}
	return out.writeText(stdout)
}

// principalRef is what --principal names.
type principalRef struct {
	arn     string
	account string
	kind    string // "user" or "role"
	name    string
	session string // for a role session ARN
}

// parsePrincipalRef accepts arn:aws:iam::ACCOUNT:user/[PATH/]NAME,
// arn:aws:iam::ACCOUNT:role/[PATH/]NAME and
// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (which stands for the role).
func parsePrincipalRef(arn string) (principalRef, error) {
	bad := fmt.Errorf("--principal %q: want the ARN of a user (arn:aws:iam::ACCOUNT:user/NAME), a role (arn:aws:iam::ACCOUNT:role/NAME) or a role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)", arn)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[3] != "" || parts[4] == "" {
		return principalRef{}, bad
	}
	ref := principalRef{arn: arn, account: parts[4]}
	kind, rest, _ := strings.Cut(parts[5], "/")
	switch {
	case parts[2] == "iam" && (kind == "user" || kind == "role"):
		ref.kind, ref.name = kind, rest[strings.LastIndexByte(rest, '/')+1:]
	case parts[2] == "sts" && kind == "assumed-role":
		ref.kind = "role"
		ref.name, ref.session, _ = strings.Cut(rest, "/")
		if ref.session == "" || strings.Contains(ref.session, "/") {
			return principalRef{}, bad
		}
	default:
		return principalRef{}, bad
	}
	if ref.name == "" {
		return principalRef{}, bad
	}
	return ref, nil
}

// identity is a principal as the server knows it, with its policies.
type identity struct {
	ref        principalRef
	arn        string // the user's or role's ARN, with its path
	principal  iam.Principal
	names      []string // policy names, sorted
	policies   []iam.NamedPolicy
	sessionARN string // for a role: the prefix of its sessions' ARNs
}

// iamPolicyClient is what loadIdentity needs of the IAM API.
type iamPolicyClient interface {
	GetUser(context.Context, *awsiam.GetUserInput, ...func(*awsiam.Options)) (*awsiam.GetUserOutput, error)
	GetRole(context.Context, *awsiam.GetRoleInput, ...func(*awsiam.Options)) (*awsiam.GetRoleOutput, error)
	awsiam.ListUserPoliciesAPIClient
	awsiam.ListRolePoliciesAPIClient
	GetUserPolicy(context.Context, *awsiam.GetUserPolicyInput, ...func(*awsiam.Options)) (*awsiam.GetUserPolicyOutput, error)
	GetRolePolicy(context.Context, *awsiam.GetRolePolicyInput, ...func(*awsiam.Options)) (*awsiam.GetRolePolicyOutput, error)
}

// loadIdentity finds the user or role through the IAM API and reads its
// inline policies (Coffer has no managed policies).
func loadIdentity(ctx context.Context, c iamPolicyClient, ref principalRef) (*identity, error) {
	id := &identity{ref: ref}
	var docs map[string]string
	switch ref.kind {
	case "user":
		u, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String(ref.name)})
		if err != nil {
			return nil, principalError(ref, err)
		}
		id.arn = aws.ToString(u.User.Arn)
		id.principal = iam.Principal{Account: ref.account, ARN: id.arn, Name: ref.name, UserID: aws.ToString(u.User.UserId)}
		pages := awsiam.NewListUserPoliciesPaginator(c, &awsiam.ListUserPoliciesInput{UserName: aws.String(ref.name)})
		docs, err = inlinePolicies(ctx, ref, pages, func(o *awsiam.ListUserPoliciesOutput) []string { return o.PolicyNames },
			func(name string) (*string, error) {
				out, err := c.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String(ref.name), PolicyName: aws.String(name)})
				if err != nil {
					return nil, err
				}
				return out.PolicyDocument, nil
			})
		if err != nil {
			return nil, err
		}
	case "role":
		r, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String(ref.name)})
		if err != nil {
			return nil, principalError(ref, err)
		}
		id.arn = aws.ToString(r.Role.Arn)
		roleID := aws.ToString(r.Role.RoleId)
		id.sessionARN = "arn:aws:sts::" + ref.account + ":assumed-role/" + ref.name + "/"
		id.principal = iam.Principal{
			Account: ref.account, ARN: id.sessionARN + ref.session, UserID: roleID + ":" + ref.session, Name: ref.name,
			Session: &iam.Session{RoleName: ref.name, RoleARN: id.arn, RoleID: roleID, SessionName: ref.session},
		}
		pages := awsiam.NewListRolePoliciesPaginator(c, &awsiam.ListRolePoliciesInput{RoleName: aws.String(ref.name)})
		docs, err = inlinePolicies(ctx, ref, pages, func(o *awsiam.ListRolePoliciesOutput) []string { return o.PolicyNames },
			func(name string) (*string, error) {
				out, err := c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String(ref.name), PolicyName: aws.String(name)})
				if err != nil {
					return nil, err
				}
				return out.PolicyDocument, nil
			})
		if err != nil {
			return nil, err
		}
	}
	if got := accountOf(id.arn); got != ref.account {
		return nil, fmt.Errorf("--principal %s: the server's %s %s is in account %s, not %s", ref.arn, ref.kind, ref.name, got, ref.account)
	}
	for _, name := range iam.PolicyNames(docs) {
		// IAM returns documents URL-encoded (RFC 3986).
		doc, err := url.QueryUnescape(docs[name])
		if err != nil {
			return nil, fmt.Errorf("policy %s of %s %s is not URL-encoded: %w", name, ref.kind, ref.name, err)
		}
		p, err := iam.ParsePolicy(doc, iam.IdentityPolicyKind)
		if err != nil {
			return nil, fmt.Errorf("policy %s of %s %s: %w", name, ref.kind, ref.name, err)
		}
		id.names = append(id.names, name)
		id.policies = append(id.policies, iam.NamedPolicy{Name: name, Policy: p})
	}
	return id, nil
}

// inlinePolicies reads the documents of the policies a List*Policies
// paginator names, as IAM returns them (URL-encoded).
func inlinePolicies[T any](ctx context.Context, ref principalRef,
	pages interface {
		HasMorePages() bool
		NextPage(context.Context, ...func(*awsiam.Options)) (T, error)
	},
	names func(T) []string, get func(name string) (*string, error),
) (map[string]string, error) {
	docs := map[string]string{}
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the policies of %s %s: %w", ref.kind, ref.name, err)
		}
		for _, name := range names(page) {
			doc, err := get(name)
			if err != nil {
				return nil, fmt.Errorf("get policy %s of %s %s: %w", name, ref.kind, ref.name, err)
			}
			docs[name] = aws.ToString(doc)
		}
	}
	return docs, nil
}

func principalError(ref principalRef, err error) error {
	if _, ok := errors.AsType[*awsiamtypes.NoSuchEntityException](err); ok {
		return fmt.Errorf("--principal %s: the server has no %s named %s", ref.arn, ref.kind, ref.name)
	}
	return fmt.Errorf("look up %s %s: %w", ref.kind, ref.name, err)
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// principalUses reads the principal's requests since since from the
// audit log in dir (a role's: those of every session of the role) and
// returns the uses they show, and how many requests counted.
func principalUses(ctx context.Context, dir string, id *identity, since time.Time) ([]iam.Use, int, error) {
	f := audit.Filter{Since: since}
	if id.sessionARN == "" {
		f.Principal = id.arn // a user: its ARN, exactly
	}
	var uses []iam.Use
	requests := 0
	err := audit.Query(ctx, dir, f, func(e *audit.Event) error {
		if f.Principal == "" && !strings.HasPrefix(e.Principal.ARN, id.sessionARN) {
			return nil
		}
		if f.Principal != "" && e.Principal.ARN != id.arn {
			return nil // the filter also matches names and key ids
		}
		if u := eventUses(e); len(u) > 0 {
			requests++
			uses = append(uses, u...)
		}
		return nil
	})
	return uses, requests, err
}

// eventUses returns what an audit event shows its principal used: the
// operation's action on each resource it names (or on "*"), for an API
// request that was allowed, or that succeeded without a policy decision
// (an action that needs no permission, such as sts:GetCallerIdentity; or
// any request of `coffer dev`, which decides none).
//
// Some operations need more than their own action, which the trail
// records only as resources: a secret read through an SSM reference
// (/aws/reference/secretsmanager/...) needs secretsmanager:GetSecretValue
// on it, and BatchGetSecretValue the same on each secret it returns.
// Others may need a second action depending on input the trail does not
// keep (BatchGetSecretValue with Filters needs ListSecrets; PutParameter
// with Tags, ssm:AddTagsToResource; AssumeRole with session tags,
// sts:TagSession): those are possible uses, counted only where a policy
// grants them.
func eventUses(e *audit.Event) []iam.Use {
	prefix, ok := iamPrefixes[e.Service]
	switch {
	case !ok || e.Type != audit.APICall:
		return nil
	case e.Decision == audit.Allow:
	case e.Decision == "" && e.ErrorCode == "" && e.Status > 0 && e.Status < 300:
	default:
		return nil
	}
	action := prefix + ":" + e.Operation
	var uses []iam.Use
	add := func(action, resource string, possible bool) {
		uses = append(uses, iam.Use{Action: action, Resource: resource, Last: e.Time, Possible: possible})
	}
	for _, r := range e.Resources {
		switch {
		case action == "secretsmanager:BatchGetSecretValue",
			e.Service == "ssm" && arnService(r.ARN) == "secretsmanager":
			add("secretsmanager:GetSecretValue", r.ARN, false)
		default:
			add(action, r.ARN, false)
		}
		switch action {
		case "ssm:PutParameter":
			add("ssm:AddTagsToResource", r.ARN, true)
		case "sts:AssumeRole":
			add("sts:TagSession", r.ARN, true)
		}
	}
	switch {
	case action == "secretsmanager:BatchGetSecretValue":
		add(action, "*", false)
		add("secretsmanager:ListSecrets", "*", true)
	case len(e.Resources) == 0:
		add(action, "*", false)
	}
	return uses
}

// arnService returns the service field of an ARN.
func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || parts[0] != "arn" {
		return ""
	}
	return parts[2]
}

// unusedOutput is what unused prints.
type unusedOutput struct {
	ID           *identity
	Since, Until time.Time
	Days         int
	Requests     int
	Report       *iam.AccessReport
	Policy       string // "" when there were no granted uses
}

const timeFormat = time.RFC3339

func (o *unusedOutput) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	who := o.ID.ref.kind + " " + o.ID.ref.name
	if o.ID.arn != o.ID.ref.arn {
		who += ", " + o.ID.arn
	}
	if o.ID.ref.kind == "role" {
		who += "; the requests of all its sessions"
	}
	fmt.Fprintf(tw, "Principal:\t%s (%s)\n", o.ID.ref.arn, who)
	fmt.Fprintf(tw, "Window:\t%s to %s (%d days): %d allowed requests\n", o.Since.Format(timeFormat), o.Until.Format(timeFormat), o.Days, o.Requests)
	if len(o.ID.names) == 0 {
		fmt.Fprintf(tw, "Policies:\tnone\n")
	} else {
		fmt.Fprintf(tw, "Policies:\t%s\n", strings.Join(o.ID.names, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range o.Report.Statements {
		fmt.Fprintf(w, "\nPolicy %s, statement %d", s.Policy, s.Index)
		if s.Sid != "" {
			fmt.Fprintf(w, " (Sid %s)", s.Sid)
		}
		fmt.Fprintf(w, ": Allow %s on %s\n", describeList(s.Statement.Actions, s.Statement.NotActions), describeList(s.Statement.Resources, s.Statement.NotResources))
		if len(s.Statement.Conditions) > 0 {
			fmt.Fprintln(w, "  (has conditions, not evaluated)")
		}
		if err := writeAccess(w, "action", s.Actions); err != nil {
			return err
		}
		if err := writeAccess(w, "resource", s.Resources); err != nil {
			return err
		}
	}
	if len(o.Report.Ungranted) > 0 {
		fmt.Fprintln(w, "\nAllowed, but by no statement of these policies (a resource policy allowed them; left out of the policy below):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, u := range o.Report.Ungranted {
			fmt.Fprintf(tw, "  %s on %s\tlast used %s\n", u.Action, u.Resource, u.Last.UTC().Format(timeFormat))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if o.Policy == "" {
		_, err := fmt.Fprintln(w, "\nNo narrower policy: the principal used none of these grants in the window; it needs none of them.")
		return err
	}
	fmt.Fprintln(w, "\nNarrower policy: allows everything the principal did in the window, and nothing else of what it was granted.")
	for _, n := range unusedNotes {
		fmt.Fprintln(w, n)
	}
	_, err := fmt.Fprintln(w, o.Policy)
	return err
}

// writeAccess prints the unused items of one kind, then the used ones with
// their last use.
func writeAccess(w io.Writer, kind string, items []iam.Access) error {
	var used, unused, notServed []iam.Access
	for _, a := range items {
		switch {
		case a.NotServed:
			notServed = append(notServed, a)
		case a.Used():
			used = append(used, a)
		default:
			unused = append(unused, a)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(unused) > 0 {
		fmt.Fprintf(tw, "  unused %ss (%d of %d):\n", kind, len(unused), len(used)+len(unused))
		for _, a := range unused {
			fmt.Fprintf(tw, "    %s\n", a.Name)
		}
	}
	if len(used) > 0 {
		fmt.Fprintf(tw, "  used %ss:\n", kind)
		for _, a := range used {
			fmt.Fprintf(tw, "    %s\tlast used %s\n", a.Name, a.Last.UTC().Format(timeFormat))
		}
	}
	if len(notServed) > 0 {
		fmt.Fprintf(tw, "  %ss Coffer does not serve:\n", kind)
		for _, a := range notServed {
			fmt.Fprintf(tw, "    %s\n", a.Name)
		}
	}
	return tw.Flush()
}

func describeList(list, notList []string) string {
	if len(notList) > 0 {
		return "all but " + strings.Join(notList, ", ")
	}
	return strings.Join(list, ", ")
}

// The JSON shape of unused --format json.
type (
	unusedJSON struct {
		Principal  string          `json:"principal"` // as given
		Kind       string          `json:"kind"`      // "user" or "role"
		ARN        string          `json:"arn"`       // the user's or role's
		Since      time.Time       `json:"since"`
		Until      time.Time       `json:"until"`
		Requests   int             `json:"requests"` // allowed requests in the window
		Policies   []string        `json:"policies"`
		Statements []statementJSON `json:"statements"`
		NotGranted []lastUsedJSON  `json:"not_granted"` // uses no statement grants
		// Policy is the narrower policy, or null if nothing was used.
		Policy json.RawMessage `json:"policy"`
		Notes  []string        `json:"notes"`
	}
	statementJSON struct {
		Policy           string         `json:"policy"`
		Index            int            `json:"index"`
		Sid              string         `json:"sid,omitempty"`
		Action           []string       `json:"action,omitempty"`
		NotAction        []string       `json:"not_action,omitempty"`
		Resource         []string       `json:"resource,omitempty"`
		NotResource      []string       `json:"not_resource,omitempty"`
		HasConditions    bool           `json:"has_conditions"`
		UnusedActions    []string       `json:"unused_actions"`
		UsedActions      []lastUsedJSON `json:"used_actions"`
		NotServedActions []string       `json:"not_served_actions,omitempty"`
		UnusedResources  []string       `json:"unused_resources"`
		UsedResources    []lastUsedJSON `json:"used_resources"`
	}
	lastUsedJSON struct {
		Action   string    `json:"action,omitempty"`
		Resource string    `json:"resource,omitempty"`
		LastUsed time.Time `json:"last_used"`
	}
)

func (o *unusedOutput) writeJSON(w io.Writer) error {
	out := unusedJSON{
		Principal: o.ID.ref.arn, Kind: o.ID.ref.kind, ARN: o.ID.arn, Since: o.Since, Until: o.Until,
		Requests: o.Requests, Policies: o.ID.names, Statements: []statementJSON{}, NotGranted: []lastUsedJSON{},
		Policy: json.RawMessage("null"), Notes: unusedNotes,
	}
	if out.Policies == nil {
		out.Policies = []string{}
	}
	if o.Policy != "" {
		out.Policy = json.RawMessage(o.Policy)
	}
	for _, s := range o.Report.Statements {
		st := s.Statement
		sj := statementJSON{
			Policy: s.Policy, Index: s.Index, Sid: s.Sid, Action: st.Actions, NotAction: st.NotActions,
			Resource: st.Resources, NotResource: st.NotResources, HasConditions: len(st.Conditions) > 0,
			UnusedActions: []string{}, UsedActions: []lastUsedJSON{}, UnusedResources: []string{}, UsedResources: []lastUsedJSON{},
		}
		for _, a := range s.Actions {
			switch {
			case a.NotServed:
				sj.NotServedActions = append(sj.NotServedActions, a.Name)
			case a.Used():
				sj.UsedActions = append(sj.UsedActions, lastUsedJSON{Action: a.Name, LastUsed: a.Last.UTC()})
			default:
				sj.UnusedActions = append(sj.UnusedActions, a.Name)
			}
		}
		for _, r := range s.Resources {
			if r.Used() {
				sj.UsedResources = append(sj.UsedResources, lastUsedJSON{Resource: r.Name, LastUsed: r.Last.UTC()})
			} else {
				sj.UnusedResources = append(sj.UnusedResources, r.Name)
			}
		}
		out.Statements = append(out.Statements, sj)
	}
	for _, u := range o.Report.Ungranted {
		out.NotGranted = append(out.NotGranted, lastUsedJSON{Action: u.Action, Resource: u.Resource, LastUsed: u.Last.UTC()})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
