package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/client"
)

const secretUsage = `Usage:
  coffer secret get NAME [--json-key KEY] [--stage STAGE | --version-id ID]
  coffer secret put NAME [--create] [--description TEXT] < value
  coffer secret list [--prefix P]

For scripts, through the same client library functions use. get prints the
value (or one field of a JSON secret) on stdout. put reads the value from
stdin, never from the command line, so it stays out of shell history and
ps; --create creates the secret when it does not exist. Endpoint, region and
credentials come from the AWS SDK's configuration chain.
`

func runSecret(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, secretUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "get":
		return secretGet(ctx, args[1:], stdout, stderr)
	case "put":
		return secretPut(ctx, args[1:], stdin, stdout, stderr)
	case "list":
		return secretList(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, secretUsage)
	return fmt.Errorf("unknown secret command %q", args[0])
}

func secretGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer secret get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, secretUsage) }
	var jsonKey, stage, versionID string
	fs.StringVar(&jsonKey, "json-key", "", "print only this field of a JSON secret")
	fs.StringVar(&stage, "stage", "", "staging label to read (default AWSCURRENT)")
	fs.StringVar(&versionID, "version-id", "", "version to read")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	c, err := client.New(cfg, func(o *client.Options) { o.TTL = 0 })
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.GetSecretVersion(ctx, name, client.Version{Stage: stage, ID: versionID})
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	if jsonKey == "" {
		_, err = stdout.Write(v.RevealBytes())
		return err
	}
	if stage != "" || versionID != "" {
		return errors.New("--json-key reads the current version; it cannot be combined with --stage or --version-id")
	}
	field, err := c.GetSecretJSONField(ctx, name, jsonKey)
	if err != nil {
		return fmt.Errorf("get %s: %w", name, err)
	}
	_, err = io.WriteString(stdout, field)
	return err
}

func secretPut(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer secret put", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, secretUsage) }
	var create bool
	var description string
	fs.BoolVar(&create, "create", false, "create the secret if it does not exist")
	fs.StringVar(&description, "description", "", "description for a created secret")
	name, err := parseWithName(fs, args)
	if err != nil {
		return err
	}
	value, err := io.ReadAll(io.LimitReader(stdin, 65537))
	if err != nil {
		return fmt.Errorf("read the value from stdin: %w", err)
	}
	if len(value) == 0 {
		return errors.New("no value on stdin")
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	c := sm.NewFromConfig(cfg)
	out, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(string(value))})
	if err != nil && create && isNotFound(err) {
		in := &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(value))}
		if description != "" {
			in.Description = aws.String(description)
		}
		created, cerr := c.CreateSecret(ctx, in)
		if cerr != nil {
			return fmt.Errorf("create %s: %w", name, cerr)
		}
		fmt.Fprintf(stdout, "%s %s\n", aws.ToString(created.ARN), aws.ToString(created.VersionId))
		return nil
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s %s\n", aws.ToString(out.ARN), aws.ToString(out.VersionId))
	return nil
}

func isNotFound(err error) bool {
	_, ok := errors.AsType[*types.ResourceNotFoundException](err)
	return ok
}

func secretList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("coffer secret list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var prefix string
	fs.StringVar(&prefix, "prefix", "", "only names starting with this prefix")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	in := &sm.ListSecretsInput{SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeAsc}
	if prefix != "" {
		in.Filters = []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{prefix}}}
	}
	p := sm.NewListSecretsPaginator(sm.NewFromConfig(cfg), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		for _, s := range page.SecretList {
			fmt.Fprintln(stdout, aws.ToString(s.Name))
		}
	}
	return nil
}
