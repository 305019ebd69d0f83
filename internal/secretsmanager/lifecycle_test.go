package secretsmanager_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func TestDeleteSchedulesAndRestoreCancels(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	mustCreate(t, c, "del", "v")
	for _, days := range []int64{6, 31} {
		_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("del"), RecoveryWindowInDays: aws.Int64(days)})
		wantCode(t, err, "InvalidParameterException")
	}
	_, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("del"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
	wantCode(t, err, "InvalidParameterException")

	before := time.Now()
	out, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("del")})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.DeletionDate.Sub(before); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour+time.Minute {
		t.Fatalf("default DeletionDate is %v away, want 30 days", d)
	}
	// Every read and write of a secret scheduled for deletion is refused.
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("del")})
	wantCode(t, err, "InvalidRequestException")
	_, err = c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("del"), SecretString: aws.String("w")})
	wantCode(t, err, "InvalidRequestException")
	_, err = c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("del")})
	wantCode(t, err, "InvalidRequestException")
	_, err = c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("del"), SecretString: aws.String("x")})
	wantCode(t, err, "InvalidRequestException")
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("del")})
	if err != nil || d.DeletedDate == nil {
		t.Fatalf("DescribeSecret of a deleted secret = %v, %v; want DeletedDate", d, err)
	}
	// Hidden from ListSecrets unless IncludePlannedDeletion.
	l, _ := c.ListSecrets(ctx, &sm.ListSecretsInput{})
	if len(l.SecretList) != 0 {
		t.Fatalf("ListSecrets shows %d secrets, want the deleted one hidden", len(l.SecretList))
	}
	l, _ = c.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	if len(l.SecretList) != 1 {
		t.Fatalf("ListSecrets(IncludePlannedDeletion) shows %d secrets, want 1", len(l.SecretList))
	}

	if _, err := c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String("del")}); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("del")}).SecretString); got != "v" {
		t.Fatalf("after restore value = %q", got)
	}
}

func TestForceDeleteRemovesAtOnce(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	first := mustCreate(t, c, "gone", "v")
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("gone"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("gone")})
	wantCode(t, err, "ResourceNotFoundException")
	// The name is free again, under a new ARN.
	again := mustCreate(t, c, "gone", "w")
	if aws.ToString(again.ARN) == aws.ToString(first.ARN) {
		t.Fatal("a re-created secret reused the purged secret's ARN")
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: first.ARN})
	wantCode(t, err, "ResourceNotFoundException")
	// Forcing the deletion of a secret that does not exist succeeds, as in AWS.
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("never"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatalf("force-deleting a missing secret: %v", err)
	}
	_, err = c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("never")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestUpdateSecretVersionStage(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	v1 := aws.ToString(mustCreate(t, c, "stg", "one").VersionId)
	p, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("stg"), SecretString: aws.String("two"), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatal(err)
	}
	v2 := aws.ToString(p.VersionId)
	// AWSCURRENT is on v1, so moving it needs RemoveFromVersionId.
	_, err = c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{SecretId: aws.String("stg"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2)})
	wantCode(t, err, "InvalidParameterException")
	if _, err := c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
		SecretId: aws.String("stg"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v1),
	}); err != nil {
		t.Fatal(err)
	}
	d, _ := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("stg")})
	if !slices.Equal(d.VersionIdsToStages[v1], []string{"AWSPREVIOUS"}) || !slices.Contains(d.VersionIdsToStages[v2], "AWSCURRENT") {
		t.Fatalf("stages after moving AWSCURRENT = %v", d.VersionIdsToStages)
	}
	// Detach a custom label.
	if _, err := c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
		SecretId: aws.String("stg"), VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v2),
	}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("stg")})
	if slices.Contains(d.VersionIdsToStages[v2], "AWSPENDING") {
		t.Fatalf("AWSPENDING still attached: %v", d.VersionIdsToStages)
	}
	_, err = c.UpdateSecretVersionStage(ctx, &sm.UpdateSecretVersionStageInput{
		SecretId: aws.String("stg"), VersionStage: aws.String("x"), MoveToVersionId: aws.String("99999999-2222-3333-4444-555555555555"),
	})
	wantCode(t, err, "InvalidParameterException")
}

func TestListSecretVersionIdsAndVersionCap(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	mustCreate(t, c, "many", "v0")
	for i := 1; i <= 104; i++ {
		if _, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("many"), SecretString: aws.String(fmt.Sprint("v", i))}); err != nil {
			t.Fatal(err)
		}
	}
	labeled, err := c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("many")})
	if err != nil {
		t.Fatal(err)
	}
	if len(labeled.Versions) != 2 {
		t.Fatalf("without IncludeDeprecated: %d versions, want the 2 labelled ones", len(labeled.Versions))
	}
	var all []types.SecretVersionsListEntry
	var token *string
	for {
		page, err := c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("many"), IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(30), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Versions...)
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	if len(all) != 100 {
		t.Fatalf("kept %d versions, want the cap of 100", len(all))
	}
	// Newest first; the current one is readable, the oldest were dropped.
	if !slices.Contains(all[0].VersionStages, "AWSCURRENT") {
		t.Fatalf("first listed version has stages %v, want AWSCURRENT (newest first)", all[0].VersionStages)
	}
	if got := aws.ToString(getString(t, c, &sm.GetSecretValueInput{SecretId: aws.String("many")}).SecretString); got != "v104" {
		t.Fatalf("current = %q, want v104", got)
	}
}

func TestListSecretsFiltersSortingAndPages(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	mk := func(name, desc, team string) {
		t.Helper()
		_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), Description: aws.String(desc), SecretString: aws.String("v"),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String(team)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	mk("prod/db", "Database password", "payments")
	mk("prod/api", "Stripe API key", "payments")
	mk("dev/db", "dev database", "platform")
	names := func(in *sm.ListSecretsInput) []string {
		t.Helper()
		out, err := c.ListSecrets(ctx, in)
		if err != nil {
			t.Fatalf("ListSecrets: %v", err)
		}
		var n []string
		for _, s := range out.SecretList {
			n = append(n, aws.ToString(s.Name))
		}
		return n
	}
	f := func(key types.FilterNameStringType, vals ...string) []types.Filter {
		return []types.Filter{{Key: key, Values: vals}}
	}
	cases := []struct {
		name string
		in   *sm.ListSecretsInput
		want []string
	}{
		{"name filter matches by prefix", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeName, "prod/"), SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeAsc}, []string{"prod/api", "prod/db"}},
		{"negated name filter excludes the prefix", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeName, "!prod/")}, []string{"dev/db"}},
		{"description filter ignores case", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeDescription, "database"), SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeAsc}, []string{"dev/db", "prod/db"}},
		{"tag-value filter", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeTagValue, "platform")}, []string{"dev/db"}},
		{"tag-key filter", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeTagKey, "team"), SortBy: types.SortByTypeName, SortOrder: types.SortOrderTypeDesc}, []string{"prod/db", "prod/api", "dev/db"}},
		{"all filter searches every attribute", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypeAll, "stripe")}, []string{"prod/api"}},
		{"filters are AND'ed", &sm.ListSecretsInput{Filters: append(f(types.FilterNameStringTypeName, "prod/"), types.Filter{Key: types.FilterNameStringTypeDescription, Values: []string{"database"}})}, []string{"prod/db"}},
		{"primary-region matches nothing without replicas", &sm.ListSecretsInput{Filters: f(types.FilterNameStringTypePrimaryRegion, "us-")}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("names = %v, want %v", got, tc.want)
			}
		})
	}
	// Pages of one cover every secret exactly once.
	var seen []string
	var token *string
	for {
		out, err := c.ListSecrets(ctx, &sm.ListSecretsInput{MaxResults: aws.Int32(1), NextToken: token, SortBy: types.SortByTypeName})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.SecretList {
			seen = append(seen, aws.ToString(s.Name))
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if !slices.Equal(seen, []string{"prod/db", "prod/api", "dev/db"}) {
		t.Fatalf("paged names (name desc) = %v", seen)
	}
	_, err := c.ListSecrets(ctx, &sm.ListSecretsInput{Filters: f("bogus", "x")})
	wantCode(t, err, "ValidationException")
}

func TestBatchGetSecretValueReportsEachFailure(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	c, ctx := srv.Client, context.Background()
	mustCreate(t, c, "b1", "one")
	mustCreate(t, c, "b2", "two")
	mustCreate(t, c, "b3", "three")
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("b3")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{"b1", "b2", "missing", "b3"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range out.SecretValues {
		got[aws.ToString(v.Name)] = aws.ToString(v.SecretString)
	}
	if len(got) != 2 || got["b1"] != "one" || got["b2"] != "two" {
		t.Fatalf("values = %v", got)
	}
	errs := map[string]string{}
	for _, e := range out.Errors {
		errs[aws.ToString(e.SecretId)] = aws.ToString(e.ErrorCode)
	}
	if errs["missing"] != "ResourceNotFoundException" || errs["b3"] != "InvalidRequestException" || len(errs) != 2 {
		t.Fatalf("errors = %v", errs)
	}
	byFilter, err := c.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byFilter.SecretValues) != 2 {
		t.Fatalf("by filter: %d values, want 2", len(byFilter.SecretValues))
	}
	_, err = c.BatchGetSecretValue(ctx, &sm.BatchGetSecretValueInput{SecretIdList: []string{"b1"}, Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"b"}}}})
	wantCode(t, err, "InvalidParameterException")
}
