package ssm_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func canary(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	rand.Read(b)
	return "canary-" + hex.EncodeToString(b)
}

// grepDataDir fails the test if any file under dir contains needle. With
// skipAudit, the audit log is not searched: it names the parameters it
// records (as CloudTrail does), so it is searched for values only.
func grepDataDir(t *testing.T, dir, needle string, skipAudit bool) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if skipAudit && strings.HasPrefix(path, filepath.Join(dir, "audit")+string(filepath.Separator)) {
			return nil
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(needle)) {
			t.Errorf("%s contains a stored value in plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no files under %s", dir)
	}
}

func TestValuesAndNamesAreNotInTheDataFilesOrLogs(t *testing.T) {
	t.Parallel()
	var logs coffertest.LogBuffer
	srv := coffertest.NewServer(t, coffertest.Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := ssm.NewFromConfig(srv.Config("us-east-1"), func(o *ssm.Options) { o.RetryMaxAttempts = 1 })
	secure, plain, name, meta := canary(t), canary(t), canary(t), canary(t)
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/s"), Value: aws.String(secure), Type: types.ParameterTypeSecureString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String(plain), Type: types.ParameterTypeString})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/" + name), Value: aws.String("x"), Type: types.ParameterTypeStringList,
		Description: aws.String(meta), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(meta)}}})
	put(t, c, &ssm.PutParameterInput{Name: aws.String("/s"), Value: aws.String(secure + "-2"), Overwrite: aws.Bool(true)})
	if v := aws.ToString(get(t, c, "/s", true).Value); v != secure+"-2" {
		t.Fatalf("GetParameter(/s) = %q", v)
	}
	// A refused put logs nothing of its value either.
	_, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{Name: aws.String("/s"), Value: aws.String(secure), Type: types.ParameterTypeSecureString})
	wantCode(t, err, "ParameterAlreadyExists")
	srv.Stop(t) // flush and close the database before reading it
	for _, needle := range []string{secure, plain, name, meta} {
		grepDataDir(t, srv.DataDir, needle, needle == name)
		if strings.Contains(logs.String(), needle) {
			t.Errorf("server log contains a value or name")
		}
	}
	if logs.String() == "" {
		t.Fatal("the server logged nothing at debug level")
	}
}

func TestReferencePathReadsASecretsManagerSecret(t *testing.T) {
	t.Parallel()
	srv, c := newClient(t)
	ctx := context.Background()
	created, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("db/creds"), SecretString: aws.String(`{"user":"u","pass":"p"}`)})
	if err != nil {
		t.Fatal(err)
	}
	name := "/aws/reference/secretsmanager/db/creds"
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if ae := wantCode(t, err, "ValidationException"); ae.ErrorMessage() != "WithDecryption flag must be True for retrieving a Secret Manager secret." {
		t.Errorf("message = %q", ae.ErrorMessage())
	}

	p := get(t, c, name, true)
	if aws.ToString(p.Value) != `{"user":"u","pass":"p"}` || p.Type != types.ParameterTypeSecureString || aws.ToString(p.Name) != name ||
		p.Version != 0 || aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:"+srv.Account()+":parameter"+name {
		t.Errorf("GetParameter(%s) = %+v", name, p)
	}
	var src struct {
		ARN, Name, VersionID, SecretString string
		VersionStages                      []string
	}
	if err := json.Unmarshal([]byte(aws.ToString(p.SourceResult)), &src); err != nil {
		t.Fatalf("SourceResult %q: %v", aws.ToString(p.SourceResult), err)
	}
	if src.ARN != aws.ToString(created.ARN) || src.Name != "db/creds" || src.SecretString != `{"user":"u","pass":"p"}` ||
		len(src.VersionStages) != 1 || src.VersionStages[0] != "AWSCURRENT" {
		t.Errorf("SourceResult = %+v", src)
	}

	// A stage selects a version.
	if _, err := srv.Client.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("db/creds"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(get(t, c, name, true).Value); v != "v2" {
		t.Errorf("current = %q, want v2", v)
	}
	if p := get(t, c, name+":AWSPREVIOUS", true); aws.ToString(p.Value) != `{"user":"u","pass":"p"}` || aws.ToString(p.Selector) != ":AWSPREVIOUS" {
		t.Errorf("AWSPREVIOUS = %q selector %q", aws.ToString(p.Value), aws.ToString(p.Selector))
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/missing"), WithDecryption: aws.Bool(true)})
	wantCode(t, err, "ParameterNotFound")

	many, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{name, "/aws/reference/secretsmanager/missing"}, WithDecryption: aws.Bool(true)})
	if err != nil || len(many.Parameters) != 1 || aws.ToString(many.Parameters[0].Value) != "v2" || len(many.InvalidParameters) != 1 {
		t.Errorf("GetParameters(reference) = %+v, %v", many, err)
	}
}

// userClient creates an IAM user with policy and returns an SSM client
// signed with its new access key.
func userClient(t *testing.T, srv *coffertest.Server, user, policy string) *ssm.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := srv.IAM().CreateUser(ctx, user, "/", nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.IAM().PutUserPolicy(ctx, user, "ssm", policy); err != nil {
		t.Fatal(err)
	}
	key, err := srv.IAM().CreateAccessKey(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key.ID, key.Secret.Reveal(), "")
	return ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.RetryMaxAttempts = 1 })
}

func TestPolicyLimitsAUserToTheParametersItNames(t *testing.T) {
	t.Parallel()
	srv, admin := newClient(t)
	ctx := context.Background()
	put(t, admin, &ssm.PutParameterInput{Name: aws.String("/team/allowed"), Value: aws.String("yes"), Type: types.ParameterTypeSecureString})
	put(t, admin, &ssm.PutParameterInput{Name: aws.String("/team/other"), Value: aws.String("no"), Type: types.ParameterTypeSecureString})
	put(t, admin, &ssm.PutParameterInput{Name: aws.String("/tagged"), Value: aws.String("t"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	arn := "arn:aws:ssm:us-east-1:" + srv.Account() + ":parameter"
	dev := userClient(t, srv, "dev", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"`+arn+`/team/allowed"},
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}`)

	if v := aws.ToString(get(t, dev, "/team/allowed", true).Value); v != "yes" {
		t.Errorf("allowed parameter = %q, want yes", v)
	}
	if v := aws.ToString(get(t, dev, "/tagged", false).Value); v != "t" {
		t.Errorf("parameter allowed by its tag = %q, want t", v)
	}
	_, err := dev.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/team/other"), WithDecryption: aws.Bool(true)})
	ae := wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(ae.ErrorMessage(), "ssm:GetParameter") || !strings.Contains(ae.ErrorMessage(), arn+"/team/other") {
		t.Errorf("AccessDenied message = %q, want the action and ARN", ae.ErrorMessage())
	}
	_, err = dev.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/team/allowed"), Value: aws.String("x"), Overwrite: aws.Bool(true)})
	wantCode(t, err, "AccessDeniedException")
	_, err = dev.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/team")})
	wantCode(t, err, "AccessDeniedException")
	_, err = dev.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	wantCode(t, err, "AccessDeniedException")
	_, err = dev.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/team/allowed")})
	wantCode(t, err, "AccessDeniedException")
	if v := aws.ToString(get(t, admin, "/team/allowed", true).Value); v != "yes" {
		t.Errorf("after refused writes = %q, want yes", v)
	}
}

func TestRequestTagConditionsApplyToPutParameter(t *testing.T) {
	t.Parallel()
	srv, _ := newClient(t)
	ctx := context.Background()
	dev := userClient(t, srv, "tagger", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ssm:PutParameter","ssm:AddTagsToResource"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/owner":"me"}}}]}`)
	_, err := dev.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/mine"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("someone")}}})
	wantCode(t, err, "AccessDeniedException")
	if _, err := dev.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/mine"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}}); err != nil {
		t.Fatalf("PutParameter with the required tag: %v", err)
	}
}

func TestReferencePathNeedsSecretsManagerPermission(t *testing.T) {
	t.Parallel()
	srv, _ := newClient(t)
	ctx := context.Background()
	if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("guarded"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	dev := userClient(t, srv, "ssmonly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)
	_, err := dev.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/guarded"), WithDecryption: aws.Bool(true)})
	ae := wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(ae.ErrorMessage(), "secretsmanager:GetSecretValue") {
		t.Errorf("message = %q, want the secretsmanager action", ae.ErrorMessage())
	}
}

// awsCLI runs the real aws CLI against srv (see coffertest.Server.AWSCLI).
func awsCLI(t *testing.T, srv *coffertest.Server, args ...string) map[string]any {
	t.Helper()
	return srv.AWSCLI(t, args...)
}

func TestAWSCLIPutsAndGetsASecureString(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})
	put := awsCLI(t, srv, "ssm", "put-parameter", "--name", "/cli/token", "--type", "SecureString", "--value", "from-the-cli")
	if put["Version"] != float64(1) || put["Tier"] != "Standard" {
		t.Errorf("put-parameter = %v", put)
	}
	got := awsCLI(t, srv, "ssm", "get-parameter", "--name", "/cli/token", "--with-decryption")
	p, _ := got["Parameter"].(map[string]any)
	if p["Value"] != "from-the-cli" || p["Type"] != "SecureString" || p["Name"] != "/cli/token" {
		t.Errorf("get-parameter = %v", got)
	}
	enc := awsCLI(t, srv, "ssm", "get-parameter", "--name", "/cli/token")
	if p, _ := enc["Parameter"].(map[string]any); p["Value"] == "from-the-cli" {
		t.Errorf("get-parameter without --with-decryption = %v, want ciphertext", enc)
	}
}
