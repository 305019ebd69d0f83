package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// cloudTrailCases are events of each kind Coffer records, with fixed ids.
func cloudTrailCases() []*Event {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	user := testEvent(0)
	user.ID, user.Time = "00000000-0000-4000-8000-000000000001", at
	return []*Event{
		user,
		{
			ID: "00000000-0000-4000-8000-000000000002", Type: APICall, Time: at, RequestID: "req-role",
			Principal: Principal{
				Type: PrincipalAssumedRole, ID: "AROAEXAMPLE:deploy-42",
				ARN:     "arn:aws:sts::123456789012:assumed-role/deployer/deploy-42",
				Account: "123456789012", AccessKeyID: "ASIAEXAMPLE", Name: "deploy-42",
				Session: &Session{IssuerType: "Role", IssuerID: "AROAEXAMPLE", IssuerARN: "arn:aws:iam::123456789012:role/deployer",
					IssuerName: "deployer", Created: at.Add(-time.Hour)},
			},
			SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.15.0", Region: "eu-west-1",
			Service: "secretsmanager", Operation: "PutSecretValue",
			Resources: []Resource{{ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-Xy12Ab"}},
			Decision:  Deny, StatementID: "DenyProdWrites",
			ErrorCode:    "AccessDeniedException",
			ErrorMessage: "User: arn:aws:sts::123456789012:assumed-role/deployer/deploy-42 is not authorized to perform: secretsmanager:PutSecretValue on resource: prod/db because of an explicit deny in a policy",
			Status:       400, Latency: 800 * time.Microsecond,
			Params: map[string]string{"SecretId": "prod/db", "ClientRequestToken": "6f1c0a2e-8b1d-4c3e-9f00-000000000042",
				"SecretString": "hmac-sha256:" + strings.Repeat("ab", 32)},
		},
		{
			ID: "00000000-0000-4000-8000-000000000003", Type: ServiceEvent, Time: at,
			Principal: Principal{Type: PrincipalService, Account: "123456789012", InvokedBy: "secretsmanager.amazonaws.com"},
			Region:    "us-east-1", Service: "secretsmanager", Operation: "RotationSucceeded",
			Resources: []Resource{{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"}},
			VersionID: "a1b2c3d4-0000-4000-8000-000000000000", VersionStage: "AWSPENDING",
		},
		{
			ID: "00000000-0000-4000-8000-000000000004", Time: at, RequestID: "req-bad-sig",
			Principal: Principal{AccessKeyID: "AKIAUNKNOWN"},
			SourceIP:  "203.0.113.9", UserAgent: "curl/8.5", Region: "us-east-1",
			Service: "sts", Operation: "GetCallerIdentity", Decision: Deny,
			ErrorCode: "SignatureDoesNotMatch", ErrorMessage: "The request signature we calculated does not match the signature you provided.",
			Status: 403,
		},
	}
}

func TestCloudTrailGolden(t *testing.T) {
	t.Parallel()
	var got []*CloudTrailEvent
	for _, e := range cloudTrailCases() {
		got = append(got, CloudTrail(e))
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	golden := filepath.Join("testdata", "cloudtrail.golden")
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run CloudTrailGolden -update)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("CloudTrail output differs from %s (run with -update if intended):\n%s", golden, b)
	}
}

// TestCloudTrailRecordFields checks each record against the fields AWS's
// "CloudTrail record contents" page says are always present.
func TestCloudTrailRecordFields(t *testing.T) {
	t.Parallel()
	for _, e := range cloudTrailCases() {
		b, err := AppendJSON(nil, e, FormatCloudTrail)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
			"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID", "readOnly", "eventType",
			"managementEvent", "recipientAccountId", "eventCategory"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: CloudTrail record has no %q", e.ID, k)
			}
		}
		if m["eventVersion"] != "1.08" || m["responseElements"] != nil {
			t.Errorf("%s: eventVersion %v, responseElements %v; want 1.08 and null", e.ID, m["eventVersion"], m["responseElements"])
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", m["eventTime"].(string)); err != nil {
			t.Errorf("%s: eventTime %v is not UTC to the second", e.ID, m["eventTime"])
		}
	}
}
