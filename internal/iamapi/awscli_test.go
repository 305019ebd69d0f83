package iamapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

// awsCLI runs the real aws CLI against srv (see coffertest.Server.AWSCLI).
func awsCLI(t *testing.T, srv *coffertest.Server, args ...string) map[string]any {
	t.Helper()
	return srv.AWSCLI(t, args...)
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	srv := coffertest.NewServer(t, coffertest.Options{})

	created := awsCLI(t, srv, "iam", "create-user", "--user-name", "cli-user", "--tags", "Key=via,Value=cli")
	user, _ := created["User"].(map[string]any)
	if user["UserName"] != "cli-user" || user["Arn"] != "arn:aws:iam::"+srv.Account()+":user/cli-user" {
		t.Errorf("create-user = %v", created)
	}
	if _, err := time.Parse(time.RFC3339, strings.Replace(toString(user["CreateDate"]), "+00:00", "Z", 1)); err != nil {
		t.Errorf("create-user CreateDate = %v: %v", user["CreateDate"], err)
	}

	listed := awsCLI(t, srv, "iam", "list-users")
	var names []string
	users, _ := listed["Users"].([]any)
	for _, u := range users {
		m, _ := u.(map[string]any)
		names = append(names, toString(m["UserName"]))
	}
	if strings.Join(names, ",") != "admin,cli-user" {
		t.Errorf("list-users = %v, want admin and cli-user", listed)
	}

	key := awsCLI(t, srv, "iam", "create-access-key", "--user-name", "cli-user")
	k, _ := key["AccessKey"].(map[string]any)
	if !strings.HasPrefix(toString(k["AccessKeyId"]), "AKIA") || len(toString(k["SecretAccessKey"])) != 40 || k["Status"] != "Active" {
		t.Errorf("create-access-key = AccessKeyId %v, Status %v, secret of %d characters", k["AccessKeyId"], k["Status"], len(toString(k["SecretAccessKey"])))
	}

	// The CLI decodes URL-encoded policy documents back into JSON.
	const doc = `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}`
	awsCLI(t, srv, "iam", "put-user-policy", "--user-name", "cli-user", "--policy-name", "read", "--policy-document", doc)
	got := awsCLI(t, srv, "iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "read")
	policy, ok := got["PolicyDocument"].(map[string]any)
	if !ok || policy["Version"] != "2012-10-17" {
		t.Errorf("get-user-policy PolicyDocument = %#v, want the decoded JSON object", got["PolicyDocument"])
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}
