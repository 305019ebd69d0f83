package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/coffer-dev/coffer/internal/atomicfile"
	"github.com/coffer-dev/coffer/internal/manifest"
	"github.com/coffer-dev/coffer/internal/ref"
)

// coffer import: move the hard-coded secrets of a manifest into Coffer and
// leave references in their place. internal/manifest finds and rewrites
// the values; this file names, stores, undoes and writes.
// docs/references.md is the user's description.

const importUsage = `Usage:
  coffer import [--dry-run] [--prefix P] [--var NAME]... [--skip NAME]... [--all]
                [--overwrite] [--format serverless|cloudformation|env] [--region R] FILE

Finds hard-coded secrets in FILE (a serverless.yml, a CloudFormation or SAM
template in YAML or JSON, or a .env file), stores each in Coffer and
rewrites FILE to reference it:

  serverless.yml          SSM SecureString parameter   ${ssm:/PREFIX/name}
  CloudFormation / SAM    Secrets Manager secret       {{resolve:secretsmanager:PREFIX/name:SecretString}}
  .env                    Secrets Manager secret       coffer://PREFIX/name

A variable is imported when its name looks secret (KEY, SECRET, TOKEN,
PASSWORD, CREDENTIAL, PRIVATE, AUTH, DSN, ... as a whole name part) and its
value is literal text: references, intrinsic functions and ${...}
variables are left alone. --var adds a variable, --skip leaves one out,
--all takes every literal value. The name is PREFIX/ plus the variable's
name in lower case with - for _ (PREFIX: the serverless service, else the
file's directory); a variable set to different values in several
functions gets the function's name too.

It prints a diff first (values masked). --dry-run stops there: nothing is
stored or written. Otherwise everything is checked before anything is
stored (an existing secret with another value is an error unless
--overwrite), what was stored is removed again if a later step fails, and
FILE is replaced atomically, with its mode, only at the end.
`

// importOptions are coffer import's flags.
type importOptions struct {
	path      string
	format    manifest.Format
	prefix    *string // nil: the default
	vars      []string
	skip      []string
	all       bool
	overwrite bool
	dryRun    bool
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage) }
	var (
		o                    importOptions
		vars, skip           multiFlag
		format, prefix, regn string
	)
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the diff; store and write nothing")
	fs.Var(&vars, "var", "also import the variable `NAME` (repeatable)")
	fs.Var(&skip, "skip", "do not import the variable `NAME` (repeatable)")
	fs.BoolVar(&o.all, "all", false, "import every variable with a literal value")
	fs.BoolVar(&o.overwrite, "overwrite", false, "replace existing secrets or parameters that hold another value")
	fs.StringVar(&format, "format", "", "the file's `format`: serverless, cloudformation or env (default: detected)")
	fs.StringVar(&prefix, "prefix", "", "`prefix` of the names stored (default: the service or the directory name)")
	fs.StringVar(&regn, "region", "", "`region` to store in (default: the SDK's)")
	path, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "prefix" {
			o.prefix = &prefix
		}
	})
	if format != "" {
		if o.format, err = manifest.ParseFormat(format); err != nil {
			return err
		}
	}
	o.path, o.vars, o.skip = path, vars, skip
	clients := func(ctx context.Context) (importClients, error) {
		cfg, err := awsConfig(ctx)
		if regn != "" {
			cfg.Region = regn
		}
		return importClients{secrets: sm.NewFromConfig(cfg), params: ssm.NewFromConfig(cfg)}, err
	}
	return importFile(ctx, o, clients, stdout, stderr)
}

// The parts of the SDK clients import calls; tests wrap the real clients
// to inject faults.
type (
	secretsAPI interface {
		GetSecretValue(context.Context, *sm.GetSecretValueInput, ...func(*sm.Options)) (*sm.GetSecretValueOutput, error)
		CreateSecret(context.Context, *sm.CreateSecretInput, ...func(*sm.Options)) (*sm.CreateSecretOutput, error)
		PutSecretValue(context.Context, *sm.PutSecretValueInput, ...func(*sm.Options)) (*sm.PutSecretValueOutput, error)
		DeleteSecret(context.Context, *sm.DeleteSecretInput, ...func(*sm.Options)) (*sm.DeleteSecretOutput, error)
		UpdateSecretVersionStage(context.Context, *sm.UpdateSecretVersionStageInput, ...func(*sm.Options)) (*sm.UpdateSecretVersionStageOutput, error)
	}
	parametersAPI interface {
		GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
		PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
		DeleteParameter(context.Context, *ssm.DeleteParameterInput, ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
	}
	importClients struct {
		secrets secretsAPI
		params  parametersAPI
	}
)

// importTarget is one secret or parameter an import stores.
type importTarget struct {
	service string // ref.SSM or ref.SecretsManager
	name    string
	value   string
	vars    []int // the variables it replaces

	exists bool // found by the check
	same   bool // found holding value: nothing to store
	undo   func(context.Context) error
}

func (t *importTarget) kind() string {
	if t.service == ref.SSM {
		return "parameter"
	}
	return "secret"
}

func importFile(ctx context.Context, o importOptions, clients func(context.Context) (importClients, error), stdout, stderr io.Writer) error {
	path, err := filepath.EvalSymlinks(o.path) // rewrite the file, not a link to it
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := manifest.Parse(path, data, o.format)
	if err != nil {
		return fmt.Errorf("%s: %w", o.path, err)
	}
	chosen, masks, err := chooseVars(f, o, stderr)
	if err != nil {
		return err
	}
	if len(chosen) == 0 {
		fmt.Fprintf(stderr, "coffer import: no hard-coded secrets found in %s (name one with --var)\n", o.path)
		return nil
	}
	targets, err := nameTargets(f, o, chosen)
	if err != nil {
		return err
	}
	values := map[int]string{}
	for _, t := range targets {
		for _, i := range t.vars {
			values[i] = referenceTo(f, t)
		}
	}
	rw, err := f.Rewrite(values)
	if err != nil {
		return fmt.Errorf("%s: %w", o.path, err)
	}
	fmt.Fprint(stdout, rw.Diff(strings.TrimPrefix(filepath.ToSlash(o.path), "/"), masks))
	for _, t := range targets {
		for _, i := range t.vars {
			fmt.Fprintf(stderr, "coffer import: %s (%s) -> %s %s\n", f.Vars[i].Name, f.Vars[i].Where, t.kind(), t.name)
		}
	}
	if o.dryRun {
		fmt.Fprintf(stderr, "coffer import: dry run: nothing stored, %s unchanged\n", o.path)
		return nil
	}

	c, err := clients(ctx)
	if err != nil {
		return err
	}
	if err := checkTargets(ctx, c, targets, o.overwrite); err != nil {
		return fmt.Errorf("nothing imported, %s unchanged: %w", o.path, err)
	}
	if err := storeTargets(ctx, c, targets, o.path); err != nil {
		return fmt.Errorf("nothing imported, %s unchanged: %w", o.path, errors.Join(err, undoTargets(ctx, targets)))
	}
	now, err := os.ReadFile(path)
	if err == nil && !bytes.Equal(now, data) {
		err = errors.New("the file changed while importing")
	}
	if err == nil {
		err = atomicfile.WriteFile(path, rw.Data, info.Mode().Perm())
	}
	if err != nil {
		return fmt.Errorf("nothing imported, %s unchanged: %w", o.path, errors.Join(err, undoTargets(ctx, targets)))
	}
	fmt.Fprintf(stderr, "coffer import: %d value(s) in Coffer; %s now holds references\n", len(targets), o.path)
	return nil
}

// chooseVars returns the indices of the variables to import and the
// values Diff must mask: every literal value whose name looks secret, and
// every chosen one. It notes on stderr the secret-looking variables left
// alone.
func chooseVars(f *manifest.File, o importOptions, stderr io.Writer) (chosen []int, masks []string, err error) {
	found := map[string]bool{}
	for _, v := range f.Vars {
		found[v.Name] = true
	}
	for _, list := range [][]string{o.vars, o.skip} {
		for _, n := range list {
			if !found[n] {
				return nil, nil, fmt.Errorf("%s: no variable %s", o.path, n)
			}
		}
	}
	var problems []string
	for i, v := range f.Vars {
		explicit, looks := slices.Contains(o.vars, v.Name), manifest.LooksSecret(v.Name)
		if v.Literal && (looks || explicit) {
			masks = append(masks, v.Value)
		}
		switch {
		case slices.Contains(o.skip, v.Name):
		case v.Literal && (o.all || explicit || looks):
			chosen = append(chosen, i)
			masks = append(masks, v.Value)
		case explicit:
			problems = append(problems, fmt.Sprintf("--var %s (%s, line %d): the value is %s; nothing to import", v.Name, v.Where, v.Line, v.NotLiteral))
		case looks && !v.Literal:
			fmt.Fprintf(stderr, "coffer import: %s (%s): left alone: %s\n", v.Name, v.Where, v.NotLiteral)
		}
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "\n"))
	}
	return chosen, masks, nil
}

// nameTargets names what each chosen variable is stored as: PREFIX/name,
// or PREFIX/scope/name for a variable that holds different values in
// different functions. Variables that come to the same name must hold the
// same value.
func nameTargets(f *manifest.File, o importOptions, chosen []int) ([]*importTarget, error) {
	service := ref.SecretsManager
	if f.Format == manifest.Serverless {
		service = ref.SSM
	}
	prefix := defaultPrefix(f, o.path)
	if o.prefix != nil {
		prefix = *o.prefix
	}
	prefix = strings.Trim(prefix, "/")
	if service == ref.SSM {
		prefix = "/" + prefix
	}
	values := map[string]map[string]bool{} // variable name -> its values
	for _, i := range chosen {
		v := f.Vars[i]
		if values[v.Name] == nil {
			values[v.Name] = map[string]bool{}
		}
		values[v.Name][v.Value] = true
	}
	byName := map[string]*importTarget{}
	var targets []*importTarget
	var problems []string
	for _, i := range chosen {
		v := f.Vars[i]
		parts := []string{prefix}
		if len(values[v.Name]) > 1 && v.Scope != "" {
			parts = append(parts, slug(v.Scope))
		}
		name := strings.TrimPrefix(strings.Join(append(parts, slug(v.Name)), "/"), "/")
		if service == ref.SSM {
			name = "/" + name
		}
		t := byName[name]
		switch {
		case t == nil:
			t = &importTarget{service: service, name: name, value: v.Value}
			byName[name] = t
			targets = append(targets, t)
			if err := checkTargetName(f, t); err != nil {
				problems = append(problems, fmt.Sprintf("%s (%s): %v", v.Name, v.Where, err))
			}
		case t.value != v.Value:
			problems = append(problems, fmt.Sprintf("%s (%s): %s is already the name of another variable's value; set one with --prefix or --skip", v.Name, v.Where, name))
		}
		t.vars = append(t.vars, i)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return targets, nil
}

// defaultPrefix is the serverless service's name, else the name of the
// directory that holds the file.
func defaultPrefix(f *manifest.File, path string) string {
	if f.Service != "" && !strings.Contains(f.Service, "${") {
		return slug(f.Service)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return slug(filepath.Base(filepath.Dir(abs)))
}

// slug writes a name in the lower case, dash-separated form of SSM paths:
// GITHUB_API_KEY -> github-api-key.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

var (
	parameterName = regexp.MustCompile(`^(/[a-zA-Z0-9_.-]+)+$`)
	secretName    = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]{1,512}$`)
)

// checkTargetName refuses names the service would refuse, or that the
// reference written in their place would not read back.
func checkTargetName(f *manifest.File, t *importTarget) error {
	switch t.service {
	case ref.SSM:
		lower := strings.ToLower(t.name)
		if !parameterName.MatchString(t.name) || len(t.name) > 1011 || strings.HasPrefix(lower, "/aws") || strings.HasPrefix(lower, "/ssm") {
			return fmt.Errorf("%q is not a valid parameter name (letters, digits, _ . - in /-separated parts, not under /aws or /ssm)", t.name)
		}
	default:
		if !secretName.MatchString(t.name) {
			return fmt.Errorf("%q is not a valid secret name", t.name)
		}
	}
	ms, err := ref.Find(referenceTo(f, t))
	if err != nil || len(ms) != 1 || ms[0].Ref.ID != t.name {
		return fmt.Errorf("%q does not make a valid reference", t.name)
	}
	return nil
}

// referenceTo is the reference written in place of t's values.
func referenceTo(f *manifest.File, t *importTarget) string {
	switch f.Format {
	case manifest.Serverless:
		if legacyServerless(f.FrameworkVersion) {
			return "${ssm:" + t.name + "~true}" // v1 and v2 return the ciphertext without ~true
		}
		return "${ssm:" + t.name + "}"
	case manifest.CloudFormation:
		return "{{resolve:secretsmanager:" + t.name + ":SecretString}}"
	}
	return "coffer://" + t.name
}

// legacyServerless reports whether a frameworkVersion constraint names
// Serverless v1 or v2 ("2", "^2.1", ">=1.0.0 <3.0.0").
func legacyServerless(v string) bool {
	v = strings.TrimLeft(strings.TrimSpace(v), "^~=>v ")
	major, _, _ := strings.Cut(v, ".")
	major, _, _ = strings.Cut(major, " ")
	return major == "1" || major == "2"
}

// checkTargets finds which targets exist, and refuses one that holds
// another value unless overwrite. It reads every target before anything is
// stored, so that a conflict leaves nothing behind.
func checkTargets(ctx context.Context, c importClients, targets []*importTarget, overwrite bool) error {
	var problems []error
	for _, t := range targets {
		var current string
		switch t.service {
		case ref.SSM:
			out, err := c.params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(t.name), WithDecryption: aws.Bool(true)})
			if _, ok := errors.AsType[*ssmtypes.ParameterNotFound](err); ok {
				continue
			}
			if err != nil {
				problems = append(problems, fmt.Errorf("check parameter %s: %w", t.name, err))
				continue
			}
			t.exists, current = true, aws.ToString(out.Parameter.Value)
		default:
			out, err := c.secrets.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(t.name)})
			if _, ok := errors.AsType[*smtypes.ResourceNotFoundException](err); ok {
				continue
			}
			if err != nil {
				problems = append(problems, fmt.Errorf("check secret %s: %w", t.name, err))
				continue
			}
			t.exists, current = true, aws.ToString(out.SecretString)
		}
		t.same = current == t.value
		if !t.same && !overwrite {
			problems = append(problems, fmt.Errorf("%s %s already exists with another value (--overwrite replaces it)", t.kind(), t.name))
		}
	}
	return errors.Join(problems...)
}

// storeTargets stores each target, setting its undo; it stops at the
// first failure.
func storeTargets(ctx context.Context, c importClients, targets []*importTarget, file string) error {
	desc := aws.String("imported by coffer import from " + filepath.Base(file))
	for _, t := range targets {
		if t.same {
			continue
		}
		var err error
		switch {
		case t.service == ref.SSM:
			var prev *ssm.GetParameterOutput
			if t.exists {
				if prev, err = c.params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(t.name), WithDecryption: aws.Bool(true)}); err != nil {
					return fmt.Errorf("read parameter %s: %w", t.name, err)
				}
			}
			_, err = c.params.PutParameter(ctx, &ssm.PutParameterInput{
				Name: aws.String(t.name), Value: aws.String(t.value), Type: ssmtypes.ParameterTypeSecureString,
				Overwrite: aws.Bool(t.exists), Description: desc,
			})
			if err == nil {
				name := t.name
				t.undo = func(ctx context.Context) error {
					if prev == nil {
						_, err := c.params.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)})
						return err
					}
					_, err := c.params.PutParameter(ctx, &ssm.PutParameterInput{
						Name: aws.String(name), Value: prev.Parameter.Value, Type: prev.Parameter.Type, Overwrite: aws.Bool(true),
					})
					return err
				}
			}
		case !t.exists:
			_, err = c.secrets.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(t.name), SecretString: aws.String(t.value), Description: desc})
			if err == nil {
				name := t.name
				t.undo = func(ctx context.Context) error {
					_, err := c.secrets.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
					return err
				}
			}
		default:
			var prev *sm.GetSecretValueOutput
			if prev, err = c.secrets.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(t.name)}); err != nil {
				return fmt.Errorf("read secret %s: %w", t.name, err)
			}
			var out *sm.PutSecretValueOutput
			out, err = c.secrets.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(t.name), SecretString: aws.String(t.value)})
			if err == nil {
				name := t.name
				t.undo = func(ctx context.Context) error {
					_, err := c.secrets.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
						SecretId: aws.String(name), VersionStage: aws.String(ref.StageCurrent),
						MoveToVersionId: prev.VersionId, RemoveFromVersionId: out.VersionId,
					})
					return err
				}
			}
		}
		if err != nil {
			return fmt.Errorf("store %s %s: %w", t.kind(), t.name, err)
		}
	}
	return nil
}

// undoTargets undoes what storeTargets did, in reverse order, and returns
// what could not be undone.
func undoTargets(ctx context.Context, targets []*importTarget) error {
	ctx = context.WithoutCancel(ctx) // undo even after an interrupt
	var errs []error
	for i := len(targets) - 1; i >= 0; i-- {
		t := targets[i]
		if t.undo == nil {
			continue
		}
		if err := t.undo(ctx); err != nil {
			errs = append(errs, fmt.Errorf("could not undo the import of %s %s: %w", t.kind(), t.name, err))
		}
		t.undo = nil
	}
	return errors.Join(errs...)
}
