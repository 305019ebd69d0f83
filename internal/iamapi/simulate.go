package iamapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/coffer-dev/coffer/internal/awsproto"
	"github.com/coffer-dev/coffer/internal/iam"
)

// SimulatePrincipalPolicy and SimulateCustomPolicy: what iam.Store.Simulate
// decides, in the shapes of the IAM API reference. They act on nothing, so
// the only side of them that matters is who may ask: the first discloses
// another principal's permissions and is authorized on its ARN.

// String types of the simulation parameters in the IAM API model.
var (
	actionNameType     = constraint{3, 128, nil}
	resourceNameType   = constraint{1, 2048, nil}
	contextKeyNameType = constraint{5, 256, nil}
	scenarioType       = constraint{1, 64, nil} // ResourceHandlingOptionType
)

var contextKeyTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
	"ip", "ipList", "binary", "binaryList", "date", "dateList"}

// simulateParams are the parameters both actions share.
type simulateParams struct {
	PolicyInputList []string
	ActionNames     []string
	ResourceArns    []string
	ResourcePolicy  string
	ResourceOwner   string
	CallerArn       string
	ContextEntries  []iam.ContextEntry
	paging
}

func (in *simulateParams) readParams(f *form, policiesRequired bool) {
	in.PolicyInputList = f.documents("PolicyInputList", "policyInputList", policiesRequired)
	// Ignoring either of these would answer a question the caller did not
	// ask: refuse them, as noBoundary does.
	if _, present := memberIndexes(f.values, "PermissionsBoundaryPolicyInputList"); present {
		f.refusal = &awsproto.Error{Type: codeInvalidInput, Status: http.StatusBadRequest,
			Message: "Permissions boundaries are not supported by this server."}
	}
	if _, present := memberIndexes(f.values, "PolicyExclusionList"); present {
		f.refusal = &awsproto.Error{Type: codeInvalidInput, Status: http.StatusBadRequest,
			Message: "Policy exclusions are not supported by this server."}
	}
	in.ActionNames = f.stringList("ActionNames", "actionNames", actionNameType, true)
	in.ResourceArns = f.stringList("ResourceArns", "resourceArns", resourceNameType, false)
	if v, ok := f.get("ResourcePolicy"); ok {
		f.check("resourcePolicy", v, documentType, false)
		in.ResourcePolicy = v
	}
	in.ResourceOwner = f.optional("ResourceOwner", "resourceOwner", resourceNameType)
	in.CallerArn = f.optional("CallerArn", "callerArn", resourceNameType)
	in.ContextEntries = f.contextEntries()
	// ResourceHandlingOption picks an EC2 scenario; it changes nothing here.
	f.optional("ResourceHandlingOption", "resourceHandlingOption", scenarioType)
	in.paging = f.paging()
}

type SimulatePrincipalPolicyInput struct {
	PolicySourceArn string
	simulateParams
}

func (in *SimulatePrincipalPolicyInput) read(f *form) {
	in.PolicySourceArn = f.required("PolicySourceArn", "policySourceArn", arnType)
	in.readParams(f, false)
}

func (in *SimulatePrincipalPolicyInput) resource(string) string { return in.PolicySourceArn }

func (a *API) simulatePrincipalPolicy(ctx context.Context, in *SimulatePrincipalPolicyInput) (any, error) {
	p, err := a.store.SimulationPrincipal(ctx, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	return a.simulate(ctx, p, &in.simulateParams)
}

type SimulateCustomPolicyInput struct{ simulateParams }

func (in *SimulateCustomPolicyInput) read(f *form) { in.readParams(f, true) }

func (in *SimulateCustomPolicyInput) resource(string) string { return "*" }

func (a *API) simulateCustomPolicy(ctx context.Context, in *SimulateCustomPolicyInput) (any, error) {
	return a.simulate(ctx, nil, &in.simulateParams)
}

// simulate runs the simulation and returns the page of results asked for.
// Results are ordered by action, then resource, as the request lists them;
// a marker is the position of the next result.
func (a *API) simulate(ctx context.Context, p *iam.Principal, in *simulateParams) (any, error) {
	if err := a.sameAccount(in.ResourceOwner); err != nil {
		return nil, err
	}
	keys, err := iam.ContextKeys(in.ContextEntries)
	if err != nil {
		return nil, err
	}
	results, err := a.store.Simulate(ctx, iam.SimulateInput{
		Principal: p, ExtraPolicies: in.PolicyInputList, ResourcePolicy: in.ResourcePolicy,
		Actions: in.ActionNames, Resources: in.ResourceArns, Keys: keys, CallerARN: in.CallerArn,
	})
	if err != nil {
		return nil, err
	}
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	order, pg, err := paginate(order, func(i int) string { return fmt.Sprintf("%010d", i) }, in.paging)
	if err != nil {
		return nil, err
	}
	out := &SimulatePolicyOutput{EvaluationResults: make(members[EvaluationResult], len(order)), page: pg}
	for j, i := range order {
		out.EvaluationResults[j] = evaluationResult(&results[i])
	}
	return out, nil
}

// sameAccount refuses a ResourceOwner of another account: Coffer holds one
// account, and a cross-account simulation would need the other's policies.
func (a *API) sameAccount(owner string) error {
	if owner == "" {
		return nil
	}
	parts := strings.SplitN(owner, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[4] == a.store.Account() {
		return nil
	}
	return &awsproto.Error{Type: codeInvalidInput, Status: http.StatusBadRequest,
		Message: "ResourceOwner must be an ARN of account " + a.store.Account() + ": this server holds no other account."}
}

// stringList reads a list of strings (List.member.N); a required list must
// have a member.
func (f *form) stringList(list, member string, c constraint, required bool) []string {
	idx, _ := memberIndexes(f.values, list)
	if len(idx) == 0 {
		if required {
			f.null(member)
		}
		return nil
	}
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = f.required(list+".member."+strconv.Itoa(n), member+"."+strconv.Itoa(i+1)+".member", c)
	}
	return out
}

// documents reads a list of policy documents, which are not echoed back.
func (f *form) documents(list, member string, required bool) []string {
	idx, _ := memberIndexes(f.values, list)
	if len(idx) == 0 {
		if required {
			f.null(member)
		}
		return nil
	}
	out := make([]string, len(idx))
	for i, n := range idx {
		out[i] = f.document(list+".member."+strconv.Itoa(n), member+"."+strconv.Itoa(i+1)+".member")
	}
	return out
}

// contextEntries reads ContextEntries.member.N.{ContextKeyName,
// ContextKeyType, ContextKeyValues.member.M}. The model makes every field
// optional; an entry without a name means nothing, so the name is required.
func (f *form) contextEntries() []iam.ContextEntry {
	idx, _ := memberIndexes(f.values, "ContextEntries")
	if len(idx) == 0 {
		return nil
	}
	entries := make([]iam.ContextEntry, len(idx))
	for i, n := range idx {
		param := "ContextEntries.member." + strconv.Itoa(n)
		member := "contextEntries." + strconv.Itoa(i+1) + ".member"
		en := &entries[i]
		en.Key = f.required(param+".ContextKeyName", member+".contextKeyName", contextKeyNameType)
		if _, ok := f.get(param + ".ContextKeyType"); ok {
			en.Type = f.enum(param+".ContextKeyType", member+".contextKeyType", contextKeyTypes...)
		}
		vals, _ := memberIndexes(f.values, param+".ContextKeyValues")
		for _, m := range vals {
			v, _ := f.get(param + ".ContextKeyValues.member." + strconv.Itoa(m))
			en.Values = append(en.Values, v)
		}
	}
	return entries
}

// Output shapes of the simulation actions, as in the IAM API reference.

// SimulatePolicyOutput is the result of both actions (SimulatePolicyResponse).
type SimulatePolicyOutput struct {
	EvaluationResults members[EvaluationResult] `xml:"EvaluationResults"`
	page
}

// EvaluationResult is the decision on one action on one resource. For a
// resource other than "*", AWS also sends EvalDecisionDetails (empty within
// one account) and repeats the decision in ResourceSpecificResults, which
// then carries the missing context keys.
type EvaluationResult struct {
	EvalActionName          string                          `xml:"EvalActionName"`
	EvalResourceName        string                          `xml:"EvalResourceName"`
	EvalDecision            string                          `xml:"EvalDecision"`
	MatchedStatements       members[Statement]              `xml:"MatchedStatements"`
	MissingContextValues    members[string]                 `xml:"MissingContextValues"`
	EvalDecisionDetails     *EvalDecisionDetails            `xml:"EvalDecisionDetails,omitempty"`
	ResourceSpecificResults members[ResourceSpecificResult] `xml:"ResourceSpecificResults,omitempty"`
}

// ResourceSpecificResult is the decision on one resource of a result.
type ResourceSpecificResult struct {
	EvalResourceName     string               `xml:"EvalResourceName"`
	EvalResourceDecision string               `xml:"EvalResourceDecision"`
	MatchedStatements    members[Statement]   `xml:"MatchedStatements"`
	MissingContextValues members[string]      `xml:"MissingContextValues"`
	EvalDecisionDetails  *EvalDecisionDetails `xml:"EvalDecisionDetails"`
}

// EvalDecisionDetails is a map from policy type to decision, filled only
// for cross-account simulations, which Coffer has none of.
type EvalDecisionDetails struct{}

// Statement names the statement that decided: SourcePolicyId is the inline
// policy's name, "PolicyInputList.N" or "ResourcePolicy".
type Statement struct {
	SourcePolicyID   string    `xml:"SourcePolicyId"`
	SourcePolicyType string    `xml:"SourcePolicyType"`
	StartPosition    *Position `xml:"StartPosition,omitempty"`
	EndPosition      *Position `xml:"EndPosition,omitempty"`
}

// Position is a line and column in a policy document.
type Position struct {
	Line   int `xml:"Line"`
	Column int `xml:"Column"`
}

func evaluationResult(r *iam.SimulateResult) EvaluationResult {
	out := EvaluationResult{
		EvalActionName:       r.Action,
		EvalResourceName:     r.Resource,
		EvalDecision:         decisionName(r.Decision),
		MatchedStatements:    members[Statement]{},
		MissingContextValues: members[string]{},
	}
	if r.Statement != nil {
		out.MatchedStatements = append(out.MatchedStatements, statementOut(r.Statement))
	}
	if r.Resource == "*" {
		out.MissingContextValues = append(out.MissingContextValues, r.MissingKeys...)
		return out
	}
	out.EvalDecisionDetails = &EvalDecisionDetails{}
	out.ResourceSpecificResults = members[ResourceSpecificResult]{{
		EvalResourceName:     r.Resource,
		EvalResourceDecision: out.EvalDecision,
		MatchedStatements:    out.MatchedStatements,
		MissingContextValues: append(members[string]{}, r.MissingKeys...),
		EvalDecisionDetails:  &EvalDecisionDetails{},
	}}
	return out
}

func decisionName(d iam.Decision) string {
	switch d {
	case iam.Allow:
		return "allowed"
	case iam.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// statementOut names a statement as AWS does. An input policy's type is
// "IAM Policy": AWS sends that, though the model's enum lacks it.
func statementOut(st *iam.SimulatedStatement) Statement {
	var out Statement
	switch st.Source {
	case iam.SourceUserPolicy:
		out.SourcePolicyID, out.SourcePolicyType = st.PolicyName, "user"
	case iam.SourceRolePolicy:
		out.SourcePolicyID, out.SourcePolicyType = st.PolicyName, "role"
	case iam.SourceInputPolicy:
		out.SourcePolicyID, out.SourcePolicyType = "PolicyInputList."+strconv.Itoa(st.Input), "IAM Policy"
	case iam.SourceResourcePolicy:
		out.SourcePolicyID, out.SourcePolicyType = "ResourcePolicy", "resource"
	default:
		out.SourcePolicyID, out.SourcePolicyType = "SessionPolicy", "none"
	}
	if st.Start.Line > 0 {
		out.StartPosition = &Position{Line: st.Start.Line, Column: st.Start.Column}
		out.EndPosition = &Position{Line: st.End.Line, Column: st.End.Column}
	}
	return out
}
