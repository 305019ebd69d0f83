package params

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/storage"
)

// Put implements PutParameter: it creates a parameter at version 1, or
// with Overwrite adds the next version, keeping the newest MaxVersions.
// Fields an overwrite leaves out are taken from the current version.
func (s *Service) Put(ctx context.Context, call Call, in PutInput) (*PutResult, error) {
	if err := validatePut(&in); err != nil {
		return nil, err
	}
	key := s.recordKey(call.Region, in.Name)
	defer s.locks.Lock(key)()
	for range maxAttempts {
		l, err := s.load(ctx, call.Region, in.Name, in.Name)
		if _, ok := errors.AsType[*NotFoundError](err); ok {
			l, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		res, err := s.put(ctx, call, key, l, in)
		if errors.Is(err, storage.ErrConflict) {
			continue // another writer won: read again
		}
		return res, err
	}
	return nil, errors.New("parameter changed concurrently too many times")
}

// validatePut checks what can be checked without the current version.
func validatePut(in *PutInput) error {
	if err := validateName(in.Name); err != nil {
		return err
	}
	switch {
	case in.Value == nil:
		return validationf("1 validation error detected: Value null at 'value' failed to satisfy constraint: Member must not be null")
	case in.Value.Len() == 0:
		return validationf("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	case in.Value.Len() > MaxAdvancedValue:
		return validationf("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d.", MaxAdvancedValue)
	}
	switch in.Type {
	case "", TypeString, TypeStringList, TypeSecureString:
	default:
		return validationf("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", TierStandard, TierAdvanced, TierIntelligentTiering:
	default:
		return validationf("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", in.Tier)
	}
	switch in.DataType {
	case "", DataTypeText, DataTypeEC2Image:
	default:
		return validationf("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	if in.Description != nil && len(*in.Description) > MaxDescription {
		return validationf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", MaxDescription)
	}
	if in.AllowedPattern != nil && len(*in.AllowedPattern) > MaxAllowedPattern {
		return validationf("1 validation error detected: Value at 'allowedPattern' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAllowedPattern)
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return validationf("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	return validateTags(in.Tags)
}

func validateTags(tags []Tag) error {
	if len(tags) > MaxTags {
		return ErrTooManyTags
	}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 {
			return validationf("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", t.Key)
		}
		if len(t.Value) > 256 {
			return validationf("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
	}
	return nil
}

// put writes the next version of the parameter l holds (nil: a new one).
// It returns storage.ErrConflict when another writer committed first.
func (s *Service) put(ctx context.Context, call Call, key string, l *loaded, in PutInput) (*PutResult, error) {
	arn := s.arn(call.Region, in.Name)
	rec := &paramRecord{Name: in.Name, Tags: dedupeTags(in.Tags)}
	var prev *versionRecord
	if l != nil {
		rec = l.rec.clone()
		prev = rec.latest()
		arn = s.arn(call.Region, rec.Name)
	}
	if err := s.authorize(ctx, call, "ssm:PutParameter", arn, tagsIf(l), iam.RequestTagConditions(in.Tags)); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		if err := s.authorize(ctx, call, "ssm:AddTagsToResource", arn, nil, iam.RequestTagConditions(in.Tags)); err != nil {
			return nil, err
		}
	}
	if prev != nil && !in.Overwrite {
		return nil, ErrExists
	}
	v, err := s.nextVersion(ctx, call, prev, in)
	if err != nil {
		return nil, err
	}
	var ops []storage.Op
	if v.Type == TypeSecureString {
		kms, _, err := s.resolveKey(ctx, call.Region, v.KeyID)
		if err != nil {
			return nil, err
		}
		v.KMSKeyARN = kms.ARN
		op, err := s.sealValue(ctx, call.Region, rec.Name, arn, kms, v.Version, *in.Value)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	conds := []storage.Cond{{Key: key, Revision: 0}}
	if l != nil {
		conds[0].Revision = l.rev
		if len(rec.Versions) >= MaxVersions {
			oldest := rec.Versions[0]
			if len(oldest.Labels) > 0 {
				return nil, &MaxVersionError{Name: rec.Name, Version: oldest.Version}
			}
			rec.Versions = rec.Versions[1:]
			if oldest.Type == TypeSecureString {
				ops = append(ops, storage.Op{Key: s.valueKey(call.Region, rec.Name, oldest.Version), Delete: true})
			}
		}
	} else if err := s.checkLimit(ctx, call.Region); err != nil {
		return nil, err
	}
	rec.Versions = append(rec.Versions, *v)
	sealed, err := s.sealRecord(key, rec)
	if err != nil {
		return nil, err
	}
	err = s.backend.Txn(ctx, storage.Txn{Conds: conds, Ops: append([]storage.Op{{Key: key, Value: sealed}}, ops...)})
	if err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, err
		}
		return nil, fmt.Errorf("commit parameter: %w", err)
	}
	return &PutResult{Version: v.Version, Tier: v.Tier}, nil
}

func tagsIf(l *loaded) map[string]string {
	if l == nil {
		return nil
	}
	return l.rec.tagMap()
}

// nextVersion builds the version a put adds after prev (nil on create).
func (s *Service) nextVersion(ctx context.Context, call Call, prev *versionRecord, in PutInput) (*versionRecord, error) {
	v := &versionRecord{
		Version:      1,
		Type:         in.Type,
		DataType:     in.DataType,
		Modified:     s.now().UTC(),
		ModifiedUser: call.Principal.ARN,
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	prevTier := ""
	if prev != nil {
		v.Version = prev.Version + 1
		if v.Type == "" {
			v.Type = prev.Type
		}
		if v.Type != prev.Type {
			return nil, ErrTypeMismatch
		}
		if v.DataType == "" {
			v.DataType = prev.DataType
		}
		if in.Description == nil {
			v.Description = prev.Description
		}
		if in.AllowedPattern == nil {
			v.AllowedPattern = prev.AllowedPattern
		}
		prevTier = prev.Tier
	}
	if v.Type == "" {
		return nil, validationf("A parameter type is required when you create a parameter.")
	}
	if v.DataType == "" {
		v.DataType = DataTypeText
	}
	if v.DataType == DataTypeEC2Image && v.Type != TypeString {
		return nil, ErrUnsupportedType
	}
	switch {
	case v.Type != TypeSecureString && in.KeyID != "":
		return nil, validationf("KeyId is required for SecureString type parameter only.")
	case v.Type == TypeSecureString && in.KeyID != "":
		_, shown, err := s.resolveKey(ctx, call.Region, in.KeyID)
		if err != nil {
			return nil, err
		}
		v.KeyID = shown
	case v.Type == TypeSecureString && prev != nil:
		v.KeyID = prev.KeyID
	case v.Type == TypeSecureString:
		v.KeyID = DefaultKeyAlias
	}
	if v.Type != TypeSecureString {
		v.Value = in.Value.s
	}
	if v.AllowedPattern != "" {
		re, err := regexp.Compile(`^(?:` + v.AllowedPattern + `)$`)
		if err != nil {
			return nil, &InvalidPatternError{Pattern: v.AllowedPattern}
		}
		if !re.MatchString(in.Value.s) {
			return nil, &PatternMismatchError{Pattern: v.AllowedPattern}
		}
	}
	tier, err := resolveTier(in.Tier, prevTier, in.Value.Len())
	if err != nil {
		return nil, err
	}
	v.Tier = tier
	return v, nil
}

// resolveTier picks the tier a version is stored in. An absent tier keeps
// the parameter's (Standard for a new one); Intelligent-Tiering picks the
// smallest that fits; an advanced parameter cannot go back to Standard.
func resolveTier(asked, prev string, size int) (string, error) {
	tier := asked
	switch tier {
	case "":
		tier = prev
		if tier == "" {
			tier = TierStandard
		}
	case TierIntelligentTiering:
		tier = TierStandard
		if size > MaxStandardValue || prev == TierAdvanced {
			tier = TierAdvanced
		}
	}
	if tier == TierStandard && prev == TierAdvanced {
		return "", validationf("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	}
	if tier == TierStandard && size > MaxStandardValue {
		return "", validationf("Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	return tier, nil
}

// checkLimit refuses a new parameter once the region holds MaxParameters.
func (s *Service) checkLimit(ctx context.Context, region string) error {
	kvs, err := s.backend.List(ctx, recordsPrefix(region), "", s.maxParams)
	if err != nil {
		return fmt.Errorf("count parameters: %w", err)
	}
	if len(kvs) >= s.maxParams {
		return ErrParameterLimit
	}
	return nil
}

// dedupeTags keeps the last value given for each key, in first-seen order.
func dedupeTags(tags []Tag) []Tag {
	var out []Tag
	idx := make(map[string]int, len(tags))
	for _, t := range tags {
		if i, ok := idx[t.Key]; ok {
			out[i] = t
			continue
		}
		idx[t.Key] = len(out)
		out = append(out, t)
	}
	return out
}
