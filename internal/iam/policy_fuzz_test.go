package iam

import (
	"errors"
	"testing"
)

// FuzzParsePolicy feeds ParsePolicy untrusted documents, as
// PutResourcePolicy and PutUserPolicy do. Whatever the document, parsing
// must not panic and must fail with a *PolicyError; what parses must
// evaluate, validate and check for public access without panicking, and a
// policy without an Allow statement must never allow.
func FuzzParsePolicy(f *testing.F) {
	f.Add(ptDoc(ptAllowGetStmt))
	f.Fuzz(func(t *testing.T, doc string) {
		for kind := IdentityPolicyKind; kind <= TrustPolicyKind; kind++ {
			p, err := ParsePolicy(doc, kind)
			if err != nil {
				pe, ok := errors.AsType[*PolicyError](err)
				if !ok || pe.check == "" || pe.Reason == "" {
					t.Fatalf("ParsePolicy(%q, %v) = %#v, want a *PolicyError with a check and a reason", doc, kind, err)
				}
				if f := ValidatePolicy(doc, kind); len(f) != 1 || f[0].Type != FindingError {
					t.Fatalf("ValidatePolicy(%q, %v) = %v, want the parse error alone", doc, kind, f)
				}
				continue
			}
			for _, f := range ValidatePolicy(doc, kind) {
				if f.Check == "" || f.Message == "" {
					t.Fatalf("ValidatePolicy(%q, %v) gave an empty finding %+v", doc, kind, f)
				}
			}
			IsPublic(p)
			allows := false
			for _, s := range p.Statements {
				allows = allows || s.Effect == EffectAllow
			}
			for _, opt := range []ptOpt{func(*EvalContext) {}, ptSession, ptBob,
				ptKey("aws:TagKeys", "a", "b"), ptKey("aws:SourceIp", "203.0.113.7"), ptAction("sts:AssumeRole")} {
				ctx := ptContext()
				opt(&ctx)
				var r EvalResult
				switch kind {
				case ResourcePolicyKind, TrustPolicyKind:
					r = Evaluate(ctx, nil, p, nil)
				case SessionPolicyKind:
					r = Evaluate(ctx, nil, nil, []*Policy{p})
				default:
					r = Evaluate(ctx, []NamedPolicy{{Name: "fuzz", Policy: p}}, nil, nil)
				}
				if r.Decision == Allow && !allows {
					t.Fatalf("Evaluate() allowed with %q, which has no Allow statement", doc)
				}
			}
		}
	})
}
