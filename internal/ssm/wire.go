package ssm

import "github.com/coffer-dev/coffer/internal/awsproto"

// Wire shapes, named and spelled as in the AWS Systems Manager API
// reference. Never persisted; inputs and outputs that carry a value are
// never logged.

type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type ParameterStringFilter struct {
	Key    string   `json:"Key"`
	Option string   `json:"Option,omitempty"`
	Values []string `json:"Values,omitempty"`
}

type ParametersFilter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

type ParameterInlinePolicy struct {
	PolicyText   string `json:"PolicyText,omitempty"`
	PolicyType   string `json:"PolicyType,omitempty"`
	PolicyStatus string `json:"PolicyStatus,omitempty"`
}

type Parameter struct {
	ARN              string              `json:"ARN"`
	DataType         string              `json:"DataType"`
	LastModifiedDate *awsproto.Timestamp `json:"LastModifiedDate,omitempty"`
	Name             string              `json:"Name"`
	Selector         string              `json:"Selector,omitempty"`
	SourceResult     string              `json:"SourceResult,omitempty"`
	Type             string              `json:"Type"`
	Value            string              `json:"Value"`
	Version          int64               `json:"Version"`
}

type ParameterMetadata struct {
	ARN              string                  `json:"ARN"`
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	DataType         string                  `json:"DataType"`
	Description      string                  `json:"Description,omitempty"`
	KeyId            string                  `json:"KeyId,omitempty"`
	LastModifiedDate *awsproto.Timestamp     `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Name             string                  `json:"Name"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	Tier             string                  `json:"Tier"`
	Type             string                  `json:"Type"`
	Version          int64                   `json:"Version"`
}

type ParameterHistory struct {
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	DataType         string                  `json:"DataType"`
	Description      string                  `json:"Description,omitempty"`
	KeyId            string                  `json:"KeyId,omitempty"`
	Labels           []string                `json:"Labels"`
	LastModifiedDate *awsproto.Timestamp     `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Name             string                  `json:"Name"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	Tier             string                  `json:"Tier"`
	Type             string                  `json:"Type"`
	Value            string                  `json:"Value"`
	Version          int64                   `json:"Version"`
}

type PutParameterInput struct {
	Name           string  `json:"Name"`
	Description    *string `json:"Description"`
	Value          *string `json:"Value"`
	Type           string  `json:"Type"`
	KeyId          string  `json:"KeyId"`
	Overwrite      bool    `json:"Overwrite"`
	AllowedPattern *string `json:"AllowedPattern"`
	Tags           []Tag   `json:"Tags"`
	Tier           string  `json:"Tier"`
	Policies       string  `json:"Policies"`
	DataType       string  `json:"DataType"`
}

type PutParameterOutput struct {
	Tier    string `json:"Tier"`
	Version int64  `json:"Version"`
}

type GetParameterInput struct {
	Name           string `json:"Name"`
	WithDecryption bool   `json:"WithDecryption"`
}

type GetParameterOutput struct {
	Parameter Parameter `json:"Parameter"`
}

type GetParametersInput struct {
	Names          []string `json:"Names"`
	WithDecryption bool     `json:"WithDecryption"`
}

type GetParametersOutput struct {
	InvalidParameters []string    `json:"InvalidParameters"`
	Parameters        []Parameter `json:"Parameters"`
}

type GetParametersByPathInput struct {
	Path             string                  `json:"Path"`
	Recursive        bool                    `json:"Recursive"`
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters"`
	WithDecryption   bool                    `json:"WithDecryption"`
	MaxResults       int                     `json:"MaxResults"`
	NextToken        string                  `json:"NextToken"`
}

type GetParametersByPathOutput struct {
	NextToken  string      `json:"NextToken,omitempty"`
	Parameters []Parameter `json:"Parameters"`
}

type NameInput struct {
	Name string `json:"Name"`
}

type NamesInput struct {
	Names []string `json:"Names"`
}

type DeleteParametersOutput struct {
	DeletedParameters []string `json:"DeletedParameters"`
	InvalidParameters []string `json:"InvalidParameters"`
}

type DescribeParametersInput struct {
	Filters          []ParametersFilter      `json:"Filters"`
	ParameterFilters []ParameterStringFilter `json:"ParameterFilters"`
	MaxResults       int                     `json:"MaxResults"`
	NextToken        string                  `json:"NextToken"`
	Shared           bool                    `json:"Shared"`
}

type DescribeParametersOutput struct {
	NextToken  string              `json:"NextToken,omitempty"`
	Parameters []ParameterMetadata `json:"Parameters"`
}

type GetParameterHistoryInput struct {
	Name           string `json:"Name"`
	WithDecryption bool   `json:"WithDecryption"`
	MaxResults     int    `json:"MaxResults"`
	NextToken      string `json:"NextToken"`
}

type GetParameterHistoryOutput struct {
	NextToken  string             `json:"NextToken,omitempty"`
	Parameters []ParameterHistory `json:"Parameters"`
}

type LabelParameterVersionInput struct {
	Name             string   `json:"Name"`
	ParameterVersion *int64   `json:"ParameterVersion"`
	Labels           []string `json:"Labels"`
}

type LabelParameterVersionOutput struct {
	InvalidLabels    []string `json:"InvalidLabels"`
	ParameterVersion int64    `json:"ParameterVersion"`
}

type UnlabelParameterVersionOutput struct {
	InvalidLabels []string `json:"InvalidLabels"`
	RemovedLabels []string `json:"RemovedLabels"`
}

type AddTagsToResourceInput struct {
	ResourceType string `json:"ResourceType"`
	ResourceId   string `json:"ResourceId"`
	Tags         []Tag  `json:"Tags"`
}

type RemoveTagsFromResourceInput struct {
	ResourceType string   `json:"ResourceType"`
	ResourceId   string   `json:"ResourceId"`
	TagKeys      []string `json:"TagKeys"`
}

type ListTagsForResourceInput struct {
	ResourceType string `json:"ResourceType"`
	ResourceId   string `json:"ResourceId"`
}

type ListTagsForResourceOutput struct {
	TagList []Tag `json:"TagList"`
}
