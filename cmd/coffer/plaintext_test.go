package main_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// encodings returns b as it could appear in a file or log: raw, hex (both
// cases) and base64 (standard and URL alphabets, at each of the three
// alignments it can take inside a longer encoded stream; the characters
// that depend on the neighbouring bytes are cut off).
func encodings(b []byte) map[string][]byte {
	forms := map[string][]byte{
		"raw":       b,
		"hex":       []byte(hex.EncodeToString(b)),
		"upper hex": []byte(strings.ToUpper(hex.EncodeToString(b))),
	}
	for _, enc := range []struct {
		name string
		*base64.Encoding
	}{{"base64", base64.StdEncoding}, {"base64url", base64.URLEncoding}} {
		for pad := range 3 {
			s := enc.EncodeToString(append(make([]byte, pad), b...))
			head := (pad*8 + 5) / 6 // characters touched by the pad bytes
			forms[enc.name+" at offset "+string(rune('0'+pad))] = []byte(s[head : len(s)-4])
		}
	}
	return forms
}

// assertAbsent fails the test if where contains any encoding of canary.
func assertAbsent(t *testing.T, where string, data []byte, what string, canary []byte) {
	t.Helper()
	for form, needle := range encodings(canary) {
		if i := bytes.Index(data, needle); i >= 0 {
			t.Errorf("%s contains the %s (%s form) at offset %d", where, what, form, i)
		}
	}
}

// TestNoPlaintextReachesTheDataDirOrTheLogs writes random canaries through
// the API (a string value, a binary value, and the secret's name,
// description and tag value, which Coffer also keeps encrypted), reads
// them back, then scans every byte of every file in the data dir and
// everything the server printed at debug level.
func TestNoPlaintextReachesTheDataDirOrTheLogs(t *testing.T) {
	t.Parallel()
	dir := newDataDir(t)
	srv := startServer(t, dir, "--log-level", "debug")
	c := srv.client(t)
	ctx := testContext(t)

	value := "canary-value-" + rand.Text()
	binary := make([]byte, 48)
	rand.Read(binary)
	name := "canary-name-" + rand.Text()
	binName := "canary-binname-" + rand.Text()
	description := "canary-description-" + rand.Text()
	tagValue := "canary-tag-" + rand.Text()
	newValue := "canary-value2-" + rand.Text()

	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value), Description: aws.String(description),
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String(tagValue)}},
	}); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(binName), SecretBinary: binary}); err != nil {
		t.Fatalf("CreateSecret(binary): %v", err)
	}
	if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(newValue)}); err != nil {
		t.Fatalf("PutSecretValue: %v", err)
	}
	got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionStage: aws.String("AWSPREVIOUS")})
	if err != nil || aws.ToString(got.SecretString) != value {
		t.Fatalf("GetSecretValue(AWSPREVIOUS) = %v, %v; want the first canary", got, err)
	}
	gotBin, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(binName)})
	if err != nil || !bytes.Equal(gotBin.SecretBinary, binary) {
		t.Fatalf("GetSecretValue(binary) = %v, %v; want the binary canary", gotBin, err)
	}
	desc, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil || aws.ToString(desc.Description) != description || len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Value) != tagValue {
		t.Fatalf("DescribeSecret = %+v, %v; want the description and tag canaries", desc, err)
	}
	if _, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	// A failing request with a value in it must not echo it either.
	if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name + "-missing"), SecretString: aws.String(value)}); err == nil {
		t.Fatal("PutSecretValue to a missing secret succeeded")
	}
	srv.stop(t)
	logs := srv.stdout.String() + srv.stderr.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("the server logged nothing at debug level, so the scan proves little:\n%s", logs)
	}

	values := map[string][]byte{"string value": []byte(value), "second string value": []byte(newValue), "binary value": binary}
	metadata := map[string][]byte{"secret name": []byte(name), "binary secret's name": []byte(binName), "description": []byte(description), "tag value": []byte(tagValue)}
	for what, canary := range values {
		assertAbsent(t, "the server's output", []byte(logs), what, canary)
	}
	files, auditFiles := 0, 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for what, canary := range values {
			assertAbsent(t, path, data, what, canary)
		}
		inAudit := strings.HasPrefix(path, filepath.Join(dir, "audit")+string(filepath.Separator))
		for what, canary := range metadata {
			if inAudit && strings.Contains(what, "name") {
				continue // the audit trail names the secrets it records, as CloudTrail does
			}
			assertAbsent(t, path, data, what, canary)
		}
		if inAudit {
			auditFiles++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 4 || auditFiles < 1 {
		t.Fatalf("scanned %d files (%d of the audit log) in %s, want root.key, coffer.db, credentials and the audit log", files, auditFiles, dir)
	}
}
