package secretsmanager

import "github.com/coffer-dev/coffer/internal/awsproto"

// Wire shapes, named and spelled as in the AWS Secrets Manager API
// reference. Never persisted.

type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type ReplicaRegionType struct {
	Region   string `json:"Region"`
	KmsKeyId string `json:"KmsKeyId,omitempty"`
}

type ReplicationStatusType struct {
	Region           string              `json:"Region"`
	KmsKeyId         string              `json:"KmsKeyId,omitempty"`
	Status           string              `json:"Status"`
	StatusMessage    string              `json:"StatusMessage,omitempty"`
	LastAccessedDate *awsproto.Timestamp `json:"LastAccessedDate,omitempty"`
}

type CreateSecretInput struct {
	Name                        string              `json:"Name"`
	ClientRequestToken          string              `json:"ClientRequestToken"`
	Description                 *string             `json:"Description"`
	KmsKeyId                    string              `json:"KmsKeyId"`
	SecretString                *string             `json:"SecretString"`
	SecretBinary                []byte              `json:"SecretBinary"`
	Tags                        []Tag               `json:"Tags"`
	AddReplicaRegions           []ReplicaRegionType `json:"AddReplicaRegions"`
	ForceOverwriteReplicaSecret bool                `json:"ForceOverwriteReplicaSecret"`
}

type CreateSecretOutput struct {
	ARN               string                  `json:"ARN"`
	Name              string                  `json:"Name"`
	VersionId         string                  `json:"VersionId,omitempty"`
	ReplicationStatus []ReplicationStatusType `json:"ReplicationStatus,omitempty"`
}

type GetSecretValueInput struct {
	SecretId     string `json:"SecretId"`
	VersionId    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type GetSecretValueOutput struct {
	ARN           string             `json:"ARN"`
	Name          string             `json:"Name"`
	VersionId     string             `json:"VersionId"`
	SecretString  *string            `json:"SecretString,omitempty"`
	SecretBinary  []byte             `json:"SecretBinary,omitempty"`
	VersionStages []string           `json:"VersionStages"`
	CreatedDate   awsproto.Timestamp `json:"CreatedDate"`
}

type Filter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

type BatchGetSecretValueInput struct {
	SecretIdList []string `json:"SecretIdList"`
	Filters      []Filter `json:"Filters"`
	MaxResults   int      `json:"MaxResults"`
	NextToken    string   `json:"NextToken"`
}

type APIErrorType struct {
	SecretId  string `json:"SecretId"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

type BatchGetSecretValueOutput struct {
	SecretValues []GetSecretValueOutput `json:"SecretValues"`
	Errors       []APIErrorType         `json:"Errors"`
	NextToken    string                 `json:"NextToken,omitempty"`
}

type PutSecretValueInput struct {
	SecretId           string   `json:"SecretId"`
	ClientRequestToken string   `json:"ClientRequestToken"`
	SecretString       *string  `json:"SecretString"`
	SecretBinary       []byte   `json:"SecretBinary"`
	VersionStages      []string `json:"VersionStages"`
}

type PutSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type UpdateSecretInput struct {
	SecretId           string  `json:"SecretId"`
	ClientRequestToken string  `json:"ClientRequestToken"`
	Description        *string `json:"Description"`
	KmsKeyId           *string `json:"KmsKeyId"`
	SecretString       *string `json:"SecretString"`
	SecretBinary       []byte  `json:"SecretBinary"`
}

type UpdateSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

type SecretIdInput struct {
	SecretId string `json:"SecretId"`
}

type DescribeSecretOutput struct {
	ARN                string                  `json:"ARN"`
	Name               string                  `json:"Name"`
	Description        string                  `json:"Description,omitempty"`
	KmsKeyId           string                  `json:"KmsKeyId,omitempty"`
	LastChangedDate    *awsproto.Timestamp     `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *awsproto.Timestamp     `json:"LastAccessedDate,omitempty"`
	DeletedDate        *awsproto.Timestamp     `json:"DeletedDate,omitempty"`
	Tags               []Tag                   `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string     `json:"VersionIdsToStages,omitempty"`
	CreatedDate        *awsproto.Timestamp     `json:"CreatedDate,omitempty"`
	PrimaryRegion      string                  `json:"PrimaryRegion,omitempty"`
	ReplicationStatus  []ReplicationStatusType `json:"ReplicationStatus,omitempty"`
	OwningService      string                  `json:"OwningService,omitempty"`
	rotationFields
	CofferRotationFailure *RotationFailure `json:"CofferRotationFailure,omitempty"`
}

type ListSecretsInput struct {
	Filters                []Filter `json:"Filters"`
	IncludePlannedDeletion bool     `json:"IncludePlannedDeletion"`
	MaxResults             int      `json:"MaxResults"`
	NextToken              string   `json:"NextToken"`
	SortBy                 string   `json:"SortBy"`
	SortOrder              string   `json:"SortOrder"`
}

type SecretListEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyId               string              `json:"KmsKeyId,omitempty"`
	LastChangedDate        *awsproto.Timestamp `json:"LastChangedDate,omitempty"`
	LastAccessedDate       *awsproto.Timestamp `json:"LastAccessedDate,omitempty"`
	DeletedDate            *awsproto.Timestamp `json:"DeletedDate,omitempty"`
	Tags                   []Tag               `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	CreatedDate            *awsproto.Timestamp `json:"CreatedDate,omitempty"`
	PrimaryRegion          string              `json:"PrimaryRegion,omitempty"`
	OwningService          string              `json:"OwningService,omitempty"`
	rotationFields
}

type ListSecretsOutput struct {
	SecretList []SecretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken,omitempty"`
}

type ListSecretVersionIdsInput struct {
	SecretId          string `json:"SecretId"`
	IncludeDeprecated bool   `json:"IncludeDeprecated"`
	MaxResults        int    `json:"MaxResults"`
	NextToken         string `json:"NextToken"`
}

type SecretVersionsListEntry struct {
	VersionId        string              `json:"VersionId"`
	VersionStages    []string            `json:"VersionStages,omitempty"`
	LastAccessedDate *awsproto.Timestamp `json:"LastAccessedDate,omitempty"`
	CreatedDate      awsproto.Timestamp  `json:"CreatedDate"`
	KmsKeyIds        []string            `json:"KmsKeyIds,omitempty"`
}

type ListSecretVersionIdsOutput struct {
	Versions  []SecretVersionsListEntry `json:"Versions"`
	NextToken string                    `json:"NextToken,omitempty"`
	ARN       string                    `json:"ARN"`
	Name      string                    `json:"Name"`
}

type UpdateSecretVersionStageInput struct {
	SecretId            string `json:"SecretId"`
	VersionStage        string `json:"VersionStage"`
	RemoveFromVersionId string `json:"RemoveFromVersionId"`
	MoveToVersionId     string `json:"MoveToVersionId"`
}

type ARNNameOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type DeleteSecretInput struct {
	SecretId                   string `json:"SecretId"`
	RecoveryWindowInDays       *int   `json:"RecoveryWindowInDays"`
	ForceDeleteWithoutRecovery bool   `json:"ForceDeleteWithoutRecovery"`
}

type DeleteSecretOutput struct {
	ARN          string             `json:"ARN"`
	Name         string             `json:"Name"`
	DeletionDate awsproto.Timestamp `json:"DeletionDate"`
}

type TagResourceInput struct {
	SecretId string `json:"SecretId"`
	Tags     []Tag  `json:"Tags"`
}

type UntagResourceInput struct {
	SecretId string   `json:"SecretId"`
	TagKeys  []string `json:"TagKeys"`
}

type Empty struct{}

type GetRandomPasswordInput struct {
	PasswordLength          *int64 `json:"PasswordLength"`
	ExcludeCharacters       string `json:"ExcludeCharacters"`
	ExcludeNumbers          bool   `json:"ExcludeNumbers"`
	ExcludePunctuation      bool   `json:"ExcludePunctuation"`
	ExcludeUppercase        bool   `json:"ExcludeUppercase"`
	ExcludeLowercase        bool   `json:"ExcludeLowercase"`
	IncludeSpace            bool   `json:"IncludeSpace"`
	RequireEachIncludedType *bool  `json:"RequireEachIncludedType"`
}

type GetRandomPasswordOutput struct {
	RandomPassword string `json:"RandomPassword"`
}

type ReplicateSecretToRegionsInput struct {
	SecretId                    string              `json:"SecretId"`
	AddReplicaRegions           []ReplicaRegionType `json:"AddReplicaRegions"`
	ForceOverwriteReplicaSecret bool                `json:"ForceOverwriteReplicaSecret"`
}

type RemoveRegionsFromReplicationInput struct {
	SecretId             string   `json:"SecretId"`
	RemoveReplicaRegions []string `json:"RemoveReplicaRegions"`
}

type ReplicationOutput struct {
	ARN               string                  `json:"ARN"`
	ReplicationStatus []ReplicationStatusType `json:"ReplicationStatus"`
}

type StopReplicationToReplicaOutput struct {
	ARN string `json:"ARN"`
}

type PutResourcePolicyInput struct {
	SecretId          string `json:"SecretId"`
	ResourcePolicy    string `json:"ResourcePolicy"`
	BlockPublicPolicy bool   `json:"BlockPublicPolicy"`
}

type GetResourcePolicyOutput struct {
	ARN            string `json:"ARN"`
	Name           string `json:"Name"`
	ResourcePolicy string `json:"ResourcePolicy,omitempty"`
}

type ValidateResourcePolicyInput struct {
	SecretId       string `json:"SecretId"`
	ResourcePolicy string `json:"ResourcePolicy"`
}

type ValidationErrorsEntry struct {
	CheckName    string `json:"CheckName"`
	ErrorMessage string `json:"ErrorMessage"`
}

type ValidateResourcePolicyOutput struct {
	PolicyValidationPassed bool                    `json:"PolicyValidationPassed"`
	ValidationErrors       []ValidationErrorsEntry `json:"ValidationErrors"`
}

type RotationRulesType struct {
	AutomaticallyAfterDays *int64  `json:"AutomaticallyAfterDays,omitempty"`
	Duration               *string `json:"Duration,omitempty"`
	ScheduleExpression     *string `json:"ScheduleExpression,omitempty"`
}

type RotateSecretInput struct {
	SecretId           string             `json:"SecretId"`
	ClientRequestToken string             `json:"ClientRequestToken"`
	RotationLambdaARN  string             `json:"RotationLambdaARN"`
	RotationRules      *RotationRulesType `json:"RotationRules"`
	RotateImmediately  *bool              `json:"RotateImmediately"`
}

type RotateSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

// RotationFailure is Coffer's own addition to DescribeSecret (as
// CofferRotationFailure): why the last rotation attempt failed. AWS SDKs
// ignore members they do not know.
type RotationFailure struct {
	Step            string              `json:"Step,omitempty"`
	Message         string              `json:"Message"`
	Date            awsproto.Timestamp  `json:"Date"`
	Attempts        int                 `json:"Attempts"`
	NextAttemptDate *awsproto.Timestamp `json:"NextAttemptDate,omitempty"`
}

// rotationFields are the rotation members DescribeSecret and ListSecrets
// share.
type rotationFields struct {
	RotationEnabled   *bool               `json:"RotationEnabled,omitempty"`
	RotationLambdaARN string              `json:"RotationLambdaARN,omitempty"`
	RotationRules     *RotationRulesType  `json:"RotationRules,omitempty"`
	LastRotatedDate   *awsproto.Timestamp `json:"LastRotatedDate,omitempty"`
	NextRotationDate  *awsproto.Timestamp `json:"NextRotationDate,omitempty"`
}
