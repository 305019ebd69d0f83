package secretsmanager_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/coffer-dev/coffer/internal/coffertest"
)

func TestReplicaIsAReadOnlyCopyKeptInStep(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	east, west := srv.ClientIn("us-east-1"), srv.ClientIn("eu-west-1")
	out, err := east.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("repl"), SecretString: aws.String("v1"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ReplicationStatus) != 1 || out.ReplicationStatus[0].Status != types.StatusTypeInSync {
		t.Fatalf("ReplicationStatus = %+v, want one InSync", out.ReplicationStatus)
	}
	if got := aws.ToString(getString(t, west, &sm.GetSecretValueInput{SecretId: aws.String("repl")}).SecretString); got != "v1" {
		t.Fatalf("replica reads %q", got)
	}
	if _, err := east.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("repl"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	rv := getString(t, west, &sm.GetSecretValueInput{SecretId: aws.String("repl")})
	if aws.ToString(rv.SecretString) != "v2" {
		t.Fatalf("replica after put reads %q, want v2", aws.ToString(rv.SecretString))
	}
	rd, err := west.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("repl")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(rd.PrimaryRegion) != "us-east-1" {
		t.Fatalf("replica PrimaryRegion = %q", aws.ToString(rd.PrimaryRegion))
	}
	_, err = west.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("repl"), SecretString: aws.String("no")})
	wantCode(t, err, "InvalidParameterException")
	// primary-region filter now finds both copies.
	l, _ := east.ListSecrets(ctx, &sm.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypePrimaryRegion, Values: []string{"us-east-1"}}}})
	if len(l.SecretList) != 1 {
		t.Fatalf("primary-region filter in us-east-1 = %d secrets", len(l.SecretList))
	}
	// The primary cannot be deleted while it has replicas.
	_, err = east.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("repl")})
	wantCode(t, err, "InvalidParameterException")

	rm, err := east.RemoveRegionsFromReplication(ctx, &sm.RemoveRegionsFromReplicationInput{SecretId: aws.String("repl"), RemoveReplicaRegions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.ReplicationStatus) != 0 {
		t.Fatalf("after removal ReplicationStatus = %+v", rm.ReplicationStatus)
	}
	_, err = west.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("repl")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestReplicateToTakenNameFailsUnlessForced(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	east, west := srv.ClientIn("us-east-1"), srv.ClientIn("eu-west-1")
	mustCreate(t, east, "clash", "primary")
	mustCreate(t, west, "clash", "local")
	out, err := east.ReplicateSecretToRegions(ctx, &sm.ReplicateSecretToRegionsInput{SecretId: aws.String("clash"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ReplicationStatus) != 1 || out.ReplicationStatus[0].Status != types.StatusTypeFailed {
		t.Fatalf("ReplicationStatus = %+v, want Failed", out.ReplicationStatus)
	}
	if got := aws.ToString(getString(t, west, &sm.GetSecretValueInput{SecretId: aws.String("clash")}).SecretString); got != "local" {
		t.Fatalf("a failed replication overwrote the local secret: %q", got)
	}
	if _, err := east.RemoveRegionsFromReplication(ctx, &sm.RemoveRegionsFromReplicationInput{SecretId: aws.String("clash"), RemoveReplicaRegions: []string{"eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	out, err = east.ReplicateSecretToRegions(ctx, &sm.ReplicateSecretToRegionsInput{SecretId: aws.String("clash"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}, ForceOverwriteReplicaSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.ReplicationStatus[0].Status != types.StatusTypeInSync {
		t.Fatalf("forced ReplicationStatus = %+v", out.ReplicationStatus)
	}
	if got := aws.ToString(getString(t, west, &sm.GetSecretValueInput{SecretId: aws.String("clash")}).SecretString); got != "primary" {
		t.Fatalf("forced replica reads %q, want primary", got)
	}
}

func TestStopReplicationPromotesReplica(t *testing.T) {
	srv := coffertest.NewServer(t, coffertest.Options{})
	ctx := context.Background()
	east, west := srv.ClientIn("us-east-1"), srv.ClientIn("eu-west-1")
	_, err := east.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("promo"), SecretString: aws.String("v1"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("eu-west-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = east.StopReplicationToReplica(ctx, &sm.StopReplicationToReplicaInput{SecretId: aws.String("promo")})
	wantCode(t, err, "InvalidRequestException")
	if _, err := west.StopReplicationToReplica(ctx, &sm.StopReplicationToReplicaInput{SecretId: aws.String("promo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("promo"), SecretString: aws.String("west-own")}); err != nil {
		t.Fatalf("promoted replica is not writable: %v", err)
	}
	d, _ := east.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("promo")})
	if len(d.ReplicationStatus) != 0 {
		t.Fatalf("primary still lists replicas: %+v", d.ReplicationStatus)
	}
	if got := aws.ToString(getString(t, east, &sm.GetSecretValueInput{SecretId: aws.String("promo")}).SecretString); got != "v1" {
		t.Fatalf("primary changed to %q", got)
	}
}
