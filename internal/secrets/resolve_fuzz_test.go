package secrets_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coffer-dev/coffer/internal/secrets"
)

// FuzzResolveSecretID feeds arbitrary SecretIds to DescribeSecret: it must
// never panic, and whatever it resolves must be the secret the id names
// (its name, its full ARN, or its ARN without the random suffix).
func FuzzResolveSecretID(f *testing.F) {
	e := newEnv(f)
	ctx := context.Background()
	for _, name := range []string{"app/db", "name-abcdef", "x"} {
		v := secrets.StringValue("v")
		res, err := e.svc.Create(ctx, e.call, secrets.CreateInput{Name: name, Value: &v})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(res.ARN)
		f.Add(res.ARN[:len(res.ARN)-7])
		f.Add(name)
	}
	f.Add("arn:aws:secretsmanager:us-east-1:123456789012:secret:")
	f.Add("arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")
	f.Add("arn:::::::")
	f.Add("")
	f.Fuzz(func(t *testing.T, id string) {
		s, err := e.svc.Describe(ctx, e.call, id)
		if err != nil {
			var ve *secrets.ValidationError
			var pe *secrets.InvalidParameterError
			if !errors.Is(err, secrets.ErrNotFound) && !errors.As(err, &ve) && !errors.As(err, &pe) {
				t.Fatalf("Describe(%q) = unexpected error %v", id, err)
			}
			return
		}
		partial := s.ARN[:len(s.ARN)-7]
		if id != s.Name && id != s.ARN && id != partial {
			t.Fatalf("Describe(%q) resolved to %s (%s)", id, s.Name, s.ARN)
		}
		if !strings.HasPrefix(s.ARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:") {
			t.Fatalf("resolved ARN %s outside the call's region and account", s.ARN)
		}
	})
}
