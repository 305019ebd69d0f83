package cloudtrail_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func TestLookupEvents(t *testing.T) {
	ctx := context.Background()
	srv := coffertest.NewServer(t, coffertest.Options{})
	for _, name := range []string{"trail/a", "trail/b"} {
		if _, err := srv.Client.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if _, err := srv.Client.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("trail/a")}); err != nil {
			t.Fatal(err)
		}
	}
	client := ct.NewFromConfig(srv.Config(srv.Region))

	// By event name, newest first, paged.
	var got []cttypes.Event
	var token *string
	for {
		out, err := client.LookupEvents(ctx, &ct.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("GetSecretValue")}},
			MaxResults:       aws.Int32(2), NextToken: token,
		})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Events...)
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if len(got) != 3 {
		t.Fatalf("%d GetSecretValue events, want 3", len(got))
	}
	for i, e := range got {
		if aws.ToString(e.EventName) != "GetSecretValue" || aws.ToString(e.EventSource) != "secretsmanager.amazonaws.com" ||
			aws.ToString(e.ReadOnly) != "true" || aws.ToString(e.Username) != "admin" || aws.ToString(e.AccessKeyId) != srv.AccessKey {
			t.Errorf("event %d = %+v", i, e)
		}
		if i > 0 && e.EventTime.After(*got[i-1].EventTime) {
			t.Error("events are not newest first")
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["eventVersion"] == nil || rec["eventName"] != "GetSecretValue" || rec["userIdentity"] == nil || rec["requestID"] == nil {
			t.Errorf("CloudTrailEvent = %v", rec)
		}
		if len(e.Resources) == 0 || aws.ToString(e.Resources[0].ResourceType) != "AWS::SecretsManager::Secret" {
			t.Errorf("resources = %+v", e.Resources)
		}
	}
	// By resource name and a time range that excludes everything.
	out, err := client.LookupEvents(ctx, &ct.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: aws.String("trail/b")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 1 || aws.ToString(out.Events[0].EventName) != "CreateSecret" {
		t.Fatalf("events for trail/b = %+v", out.Events)
	}
	past := time.Now().Add(-48 * time.Hour)
	out, err = client.LookupEvents(ctx, &ct.LookupEventsInput{StartTime: aws.Time(past.Add(-time.Hour)), EndTime: aws.Time(past)})
	if err != nil || len(out.Events) != 0 {
		t.Fatalf("events two days ago = %v, %v", out.Events, err)
	}
	// Errors as CloudTrail's.
	for _, tc := range []struct {
		in   ct.LookupEventsInput
		code string
	}{
		{ct.LookupEventsInput{MaxResults: aws.Int32(51)}, "InvalidMaxResultsException"},
		{ct.LookupEventsInput{StartTime: aws.Time(time.Now()), EndTime: aws.Time(past)}, "InvalidTimeRangeException"},
		{ct.LookupEventsInput{NextToken: aws.String("garbage")}, "InvalidNextTokenException"},
		{ct.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: "Colour", AttributeValue: aws.String("x")}}}, "InvalidLookupAttributesException"},
	} {
		_, err := client.LookupEvents(ctx, &tc.in)
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
			t.Errorf("LookupEvents(%+v) = %v, want %s", tc.in, err, tc.code)
		}
	}
	// Someone without cloudtrail:LookupEvents is refused.
	if _, err := srv.IAM().CreateUser(ctx, "reader", "/", nil); err != nil {
		t.Fatal(err)
	}
	key, err := srv.IAM().CreateAccessKey(ctx, "reader")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config(srv.Region)
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret.Reveal()}, nil
	})
	_, err = ct.NewFromConfig(cfg).LookupEvents(ctx, &ct.LookupEventsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("LookupEvents without permission: %v", err)
	}

	// The aws CLI, as an operator would run it.
	cli := srv.AWSCLI(t, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateSecret")
	events, _ := cli["Events"].([]any)
	if len(events) != 2 {
		t.Fatalf("aws cloudtrail lookup-events: %d CreateSecret events, want 2: %v", len(events), cli)
	}
}
