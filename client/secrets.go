package client

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// StageCurrent is the staging label of a secret's current version.
const StageCurrent = "AWSCURRENT"

// Version picks one version of a secret. The zero Version is the current
// one (AWSCURRENT).
type Version struct {
	Stage string // staging label, such as "AWSPREVIOUS"
	ID    string // version ID; with Stage set too, both must name the same version
}

// GetSecretString returns the current value of secret id (a name or ARN)
// as a string; a binary secret's bytes are returned as a string. A hit
// allocates nothing.
func (c *Cache) GetSecretString(ctx context.Context, id string) (string, error) {
	v, err := c.GetSecretVersion(ctx, id, Version{})
	if err != nil {
		return "", err
	}
	return v.Reveal(), nil
}

// GetSecretBinary returns the current value of secret id as bytes:
// SecretBinary, or the bytes of SecretString. The bytes are shared with
// the cache and must not be modified. A hit allocates nothing.
func (c *Cache) GetSecretBinary(ctx context.Context, id string) ([]byte, error) {
	v, err := c.GetSecretVersion(ctx, id, Version{})
	if err != nil {
		return nil, err
	}
	return v.RevealBytes(), nil
}

// GetSecretJSONField returns one top-level field of the current value of
// secret id, a JSON object: a string field unquoted, any other as its JSON
// text (a port 5432 as "5432"). A missing field is ErrFieldNotFound, a
// value that is not a JSON object ErrNotJSON; the errors name the secret
// and field, never the value. A hit allocates nothing.
func (c *Cache) GetSecretJSONField(ctx context.Context, id, field string) (string, error) {
	v, err := c.GetSecretVersion(ctx, id, Version{})
	if err != nil {
		return "", err
	}
	s, err := v.jsonField(field)
	if err != nil {
		return "", fmt.Errorf("secret %q field %q: %w", id, field, err)
	}
	return s, nil
}

// GetSecretVersion returns version v of secret id. A hit allocates nothing.
func (c *Cache) GetSecretVersion(ctx context.Context, id string, v Version) (Value, error) {
	return c.getValue(ctx, key{kind: kindSecret, id: id, stage: v.Stage, versionID: v.ID})
}

// RefreshNow fetches the current value of secret id now, without a version
// check and without joining a fetch already in flight, and drops its other
// cached versions. Use it when you know the secret has just changed, such
// as after a failed login with the cached password.
func (c *Cache) RefreshNow(ctx context.Context, id string) error {
	k := key{kind: kindSecret, id: id}
	c.mu.Lock()
	c.dropLocked(func(ek key) bool { return ek.kind == kindSecret && ek.id == id && ek != k })
	e := c.entries[k]
	c.mu.Unlock()
	_, err := c.load(ctx, k, e, c.now(), true)
	return err
}

// GetParameter returns the value of parameter name; withDecryption
// decrypts a SecureString. A StringList comes back as one comma-separated
// string, as SSM sends it. A hit allocates nothing.
func (c *Cache) GetParameter(ctx context.Context, name string, withDecryption bool) (string, error) {
	v, err := c.getValue(ctx, key{kind: kindParameter, id: name, decrypt: withDecryption})
	if err != nil {
		return "", err
	}
	return v.Reveal(), nil
}

// fetch fetches k from the service.
func (c *Cache) fetch(ctx context.Context, k key, old *item, force bool) (*item, error) {
	if k.kind == kindParameter {
		return c.fetchParameter(ctx, k)
	}
	if c.opts.VersionCheck && !force && old != nil && k.versionID == "" && old.versionID != "" {
		same, err := c.sameVersion(ctx, k, old.versionID)
		if err != nil {
			return nil, err
		}
		if same {
			if r := old.renewed(); r != nil { // nil: evicted and zeroed meanwhile
				return r, nil
			}
		}
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.id)}
	if k.stage != "" {
		in.VersionStage = aws.String(k.stage)
	}
	if k.versionID != "" {
		in.VersionId = aws.String(k.versionID)
	}
	out, err := c.secrets.GetSecretValue(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("get secret %q: %w", k.id, err)
	}
	if out.SecretBinary != nil {
		return c.newItem(k, "", out.SecretBinary, true, aws.ToString(out.VersionId))
	}
	return c.newItem(k, aws.ToString(out.SecretString), nil, false, aws.ToString(out.VersionId))
}

// sameVersion reports whether k's stage still points at versionID.
func (c *Cache) sameVersion(ctx context.Context, k key, versionID string) (bool, error) {
	out, err := c.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(k.id)})
	if err != nil {
		return false, fmt.Errorf("describe secret %q: %w", k.id, err)
	}
	stage := k.stage
	if stage == "" {
		stage = StageCurrent
	}
	return slices.Contains(out.VersionIdsToStages[versionID], stage), nil
}

func (c *Cache) fetchParameter(ctx context.Context, k key) (*item, error) {
	out, err := c.parameters.GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String(k.id), WithDecryption: aws.Bool(k.decrypt),
	})
	if err != nil {
		return nil, fmt.Errorf("get parameter %q: %w", k.id, err)
	}
	if out.Parameter == nil {
		return nil, fmt.Errorf("get parameter %q: no parameter in response", k.id)
	}
	p := out.Parameter
	return c.newItem(k, aws.ToString(p.Value), nil, false, strconv.FormatInt(p.Version, 10))
}
