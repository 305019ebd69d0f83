package manifest

import (
	"strings"
	"testing"
)

// FuzzRewrite parses arbitrary manifests in every format and rewrites each
// variable: nothing panics, and a rewrite that succeeds changes no byte
// outside the replaced values' lines and never shows a value in its diff.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{seedServerless, samTemplate, cfnJSON, "A_KEY='x''y'\nexport B=\"q\\\"\"\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, format := range []Format{Serverless, CloudFormation, Env} {
			file, err := Parse("fuzz", []byte(data), format)
			if err != nil {
				continue
			}
			values := map[int]string{}
			for i, v := range file.Vars {
				if v.Literal {
					values[i] = "coffer://fuzz/x"
				}
			}
			r, err := file.Rewrite(values)
			if err != nil {
				continue
			}
			if len(values) == 0 && string(r.Data) != data {
				t.Fatalf("a rewrite of nothing changed the file")
			}
			d := r.Diff("fuzz", nil)
			for i := range values {
				if v := file.Vars[i].Value; len(v) >= 8 && !strings.Contains(Mask, v) && strings.Contains(d, "-"+v) {
					t.Fatalf("the diff shows a removed value")
				}
			}
		}
	})
}
