package ref

import (
	"errors"
	"strings"
	"testing"
)

// FuzzFind checks that Find never panics, that its matches are in order,
// inside the value and each a reference on its own, and that its errors
// quote only text of the value.
func FuzzFind(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzFind.
	for _, s := range []string{
		"${ssm:/db/password}", "postgres://u:${ssm(eu-west-1,raw):/db/pw}@h",
		"{{resolve:secretsmanager:s:SecretString:k::}}", secretARNValue + ":k:AWSCURRENT:",
		"@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/s/1)",
		"projects/p/secrets/s/versions/latest", "coffer://db#k?stage=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		ms, err := Find(value)
		if err != nil {
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("Find(%q) error %v is not a *SyntaxError", value, err)
			}
			if ms != nil {
				t.Fatalf("Find(%q) returned matches with an error", value)
			}
			q := strings.TrimSuffix(se.Ref, "...")
			q = strings.TrimSuffix(q, ", ...}")
			if !strings.Contains(value, q) {
				t.Fatalf("Find(%q) error quotes %q, which is not in the value", value, se.Ref)
			}
			return
		}
		last := 0
		for _, m := range ms {
			if m.Start < last || m.End <= m.Start || m.End > len(value) {
				t.Fatalf("Find(%q) match [%d,%d) out of order or bounds", value, m.Start, m.End)
			}
			last = m.End
			if m.Ref.ID == "" || (m.Ref.Service != SecretsManager && m.Ref.Service != SSM) {
				t.Fatalf("Find(%q) match %+v has no ID or service", value, m.Ref)
			}
			if m.Ref.Stage != "" && m.Ref.VersionID != "" || m.Ref.SSMVersion != 0 && m.Ref.SSMLabel != "" {
				t.Fatalf("Find(%q) match %+v selects two versions", value, m.Ref)
			}
			text := value[m.Start:m.End]
			again, err := Find(text)
			if err != nil || len(again) != 1 || again[0].Ref != m.Ref {
				t.Fatalf("Find(%q) = %+v, %v; want the match of Find(%q) alone", text, again, err, value)
			}
		}
	})
}
