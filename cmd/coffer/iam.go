package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The everyday identity tasks, through Coffer's IAM API with the AWS SDK's
// own configuration chain (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE,
// credentials files), so they need nothing Coffer-specific.

const userUsage = `Usage:
  coffer user create NAME [--read-secret SECRET]... [--policy-file FILE] [--env]

Creates an IAM user with an access key and prints the key once, as a
shared-credentials profile (or export lines with --env). --read-secret
grants GetSecretValue and DescribeSecret on that secret (name or ARN) and
nothing else; --policy-file attaches a policy document of your own.
`

const roleUsage = `Usage:
  coffer role create NAME [--read-secret SECRET]... [--policy-file FILE]
                          [--trust-user USER]... [--trust-account]
                          [--trust-oidc ISSUER --oidc-sub SUB [--oidc-aud AUD]]
                          [--max-session DURATION]

Creates a role for a function and prints the AWS_ROLE_ARN line to use it.
By default the role trusts the calling user; --trust-account delegates to
the account's identity policies; --trust-oidc trusts tokens of a
configured OIDC issuer whose subject is SUB (AssumeRoleWithWebIdentity).
`

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// readPolicy builds the policy granting read access to secrets, resolving
// names to ARNs (IAM resources are ARNs).
func readPolicy(ctx context.Context, cfg aws.Config, secrets []string) (string, error) {
	if len(secrets) == 0 {
		return "", nil
	}
	client := sm.NewFromConfig(cfg)
	var arns []string
	for _, s := range secrets {
		out, err := client.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String(s)})
		if err != nil {
			return "", fmt.Errorf("find secret %s: %w", s, err)
		}
		arns = append(arns, aws.ToString(out.ARN))
	}
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid": "ReadSecrets", "Effect": "Allow",
			"Action":   []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
			"Resource": arns,
		}},
	})
	return string(doc), err
}

func readFileArg(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	return string(b), err
}

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, userUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("coffer user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	var reads multiFlag
	var policyFile string
	var env bool
	fs.Var(&reads, "read-secret", "secret (name or ARN) the user may read; repeatable")
	fs.StringVar(&policyFile, "policy-file", "", "a policy document to attach as well")
	fs.BoolVar(&env, "env", false, "print export lines instead of a credentials profile")
	name, err := parseWithName(fs, args[1:])
	if err != nil {
		return err
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	read, err := readPolicy(ctx, cfg, reads)
	if err != nil {
		return err
	}
	custom, err := readFileArg(policyFile)
	if err != nil {
		return err
	}
	client := iam.NewFromConfig(cfg)
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	for pname, doc := range map[string]string{"coffer-read-secrets": read, "coffer-custom": custom} {
		if doc == "" {
			continue
		}
		if _, err := client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(pname), PolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("attach policy %s: %w", pname, err)
		}
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create access key: %w", err)
	}
	id, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	fmt.Fprintf(stderr, "Created user %s. The secret access key below is shown only now.\n", name)
	if env {
		fmt.Fprintf(stdout, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n", id, secret)
		return nil
	}
	fmt.Fprintf(stdout, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", name, id, secret)
	return nil
}

func runRole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, roleUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("coffer role create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, roleUsage) }
	var reads, trustUsers multiFlag
	var policyFile, oidcIssuer, oidcSub, oidcAud string
	var trustAccount bool
	var maxSession durationFlag
	fs.Var(&reads, "read-secret", "secret (name or ARN) the role may read; repeatable")
	fs.StringVar(&policyFile, "policy-file", "", "a policy document to attach as well")
	fs.Var(&trustUsers, "trust-user", "IAM user allowed to assume the role; repeatable (default: the caller)")
	fs.BoolVar(&trustAccount, "trust-account", false, "trust the account: identity policies decide who may assume")
	fs.StringVar(&oidcIssuer, "trust-oidc", "", "OIDC issuer URL (configured on the server) whose tokens may assume the role")
	fs.StringVar(&oidcSub, "oidc-sub", "", "the token subject to trust (with --trust-oidc; * and ? wildcards allowed)")
	fs.StringVar(&oidcAud, "oidc-aud", "sts.amazonaws.com", "the token audience to trust (with --trust-oidc)")
	fs.Var(&maxSession, "max-session", "maximum session duration, 1h to 12h")
	name, err := parseWithName(fs, args[1:])
	if err != nil {
		return err
	}
	if oidcIssuer != "" && oidcSub == "" {
		return errors.New("--trust-oidc needs --oidc-sub: trusting every subject of an issuer trusts every repository or workload it serves")
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	client := iam.NewFromConfig(cfg)
	me, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("who am I: %w", err)
	}
	account := aws.ToString(me.Account)
	trust, err := trustPolicy(account, aws.ToString(me.Arn), trustUsers, trustAccount, oidcIssuer, oidcSub, oidcAud)
	if err != nil {
		return err
	}
	read, err := readPolicy(ctx, cfg, reads)
	if err != nil {
		return err
	}
	custom, err := readFileArg(policyFile)
	if err != nil {
		return err
	}
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(int32(maxSession.Seconds()))
	}
	out, err := client.CreateRole(ctx, in)
	if err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	for pname, doc := range map[string]string{"coffer-read-secrets": read, "coffer-custom": custom} {
		if doc == "" {
			continue
		}
		if _, err := client.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pname), PolicyDocument: aws.String(doc)}); err != nil {
			return fmt.Errorf("attach policy %s: %w", pname, err)
		}
	}
	fmt.Fprintf(stderr, "Created role %s.\n", name)
	fmt.Fprintf(stdout, "export AWS_ROLE_ARN=%s\n", aws.ToString(out.Role.Arn))
	return nil
}

// trustPolicy writes a role's trust policy.
func trustPolicy(account, caller string, users []string, trustAccount bool, issuer, sub, aud string) (string, error) {
	var stmts []map[string]any
	if issuer != "" {
		provider := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://"), "/")
		op := "StringEquals"
		if strings.ContainsAny(sub, "*?") {
			op = "StringLike"
		}
		stmts = append(stmts, map[string]any{
			"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
			"Principal": map[string]any{"Federated": "arn:aws:iam::" + account + ":oidc-provider/" + provider},
			"Condition": map[string]any{
				"StringEquals": map[string]string{provider + ":aud": aud},
				op:             map[string]string{provider + ":sub": sub},
			},
		})
	}
	var principals []string
	for _, u := range users {
		if !strings.HasPrefix(u, "arn:") {
			u = "arn:aws:iam::" + account + ":user/" + u
		}
		principals = append(principals, u)
	}
	if trustAccount {
		principals = append(principals, "arn:aws:iam::"+account+":root")
	}
	if len(principals) == 0 && issuer == "" {
		principals = []string{caller}
	}
	if len(principals) > 0 {
		stmts = append(stmts, map[string]any{
			"Effect": "Allow", "Action": []string{"sts:AssumeRole", "sts:TagSession"},
			"Principal": map[string]any{"AWS": principals},
		})
	}
	doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(doc), err
}

// parseWithName parses flags that may come before or after one NAME.
func parseWithName(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return "", errors.New("a NAME is required")
	}
	name := rest[0]
	if err := fs.Parse(rest[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return name, nil
}

// durationFlag is a time.Duration flag whose zero means "not given".
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }
func (d *durationFlag) Set(v string) error {
	x, err := time.ParseDuration(v)
	*d = durationFlag(x)
	return err
}
func (d durationFlag) Seconds() float64 { return time.Duration(d).Seconds() }
