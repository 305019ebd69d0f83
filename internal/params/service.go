package params

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/iam"
	"github.com/coffer-dev/coffer/internal/keys"
	"github.com/coffer-dev/coffer/internal/secrets"
	"github.com/coffer-dev/coffer/internal/storage"
)

// SecretReader reads a Secrets Manager secret's value, authorizing the
// call as GetSecretValue. *secrets.Service implements it.
type SecretReader interface {
	GetValue(ctx context.Context, call secrets.Call, id string, sel secrets.Selector) (*secrets.SecretValue, error)
}

// Config wires a Service. Backend, Keys and Account are required.
type Config struct {
	Backend storage.Backend
	Keys    *keys.Keyring
	Account string // 12-digit account id for ARNs
	// Authorizer decides every operation; nil means iam.AllowAll.
	Authorizer iam.Authorizer
	// Secrets serves /aws/reference/secretsmanager/ names; nil means
	// those names are not found.
	Secrets SecretReader
	// MaxParameters caps the parameters of one region; 0 means
	// DefaultMaxParams.
	MaxParameters int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational events; nil discards them.
	Logger *slog.Logger
}

// Service implements the Parameter Store domain over a storage backend.
type Service struct {
	backend   storage.Backend
	keys      *keys.Keyring
	account   string
	authz     iam.Authorizer
	secrets   SecretReader
	maxParams int
	now       func() time.Time
	log       *slog.Logger
	locks     storage.KeyLocks
}

// New returns a Service, or an error naming the missing field.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Backend == nil:
		return nil, errors.New("params: Config.Backend is required")
	case cfg.Keys == nil:
		return nil, errors.New("params: Config.Keys is required")
	case len(cfg.Account) != 12:
		return nil, errors.New("params: Config.Account must be a 12-digit account id")
	case cfg.MaxParameters < 0:
		return nil, errors.New("params: Config.MaxParameters must not be negative")
	}
	s := &Service{
		backend:   cfg.Backend,
		keys:      cfg.Keys,
		account:   cfg.Account,
		authz:     cfg.Authorizer,
		secrets:   cfg.Secrets,
		maxParams: cfg.MaxParameters,
		now:       cfg.Now,
		log:       cfg.Logger,
	}
	if s.authz == nil {
		s.authz = iam.AllowAll{}
	}
	if s.maxParams == 0 {
		s.maxParams = DefaultMaxParams
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// authorize asks the Authorizer whether the call may perform action on
// resource (a parameter ARN, or "*"). tags are the parameter's tags
// (aws:ResourceTag/*); cond holds the request's own condition keys.
func (s *Service) authorize(ctx context.Context, call Call, action, resource string, tags map[string]string, cond map[string][]string) error {
	req := iam.Request{
		Principal: call.Principal, Action: action, Resource: resource,
		ResourceTags: tags, Context: cond,
		SourceIP: call.SourceIP, SecureTransport: call.SecureTransport,
	}
	d, err := s.authz.Authorize(ctx, req)
	if err != nil {
		return fmt.Errorf("authorize %s: %w", action, err)
	}
	if d != iam.Allow {
		return &iam.AccessDeniedError{PrincipalARN: call.Principal.ARN, Action: action, Resource: resource, Decision: d}
	}
	return nil
}

// authorizeRecord authorizes action on an existing parameter.
func (s *Service) authorizeRecord(ctx context.Context, call Call, action string, rec *paramRecord, cond map[string][]string) error {
	return s.authorize(ctx, call, action, s.arn(call.Region, rec.Name), rec.tagMap(), cond)
}

// maxAttempts bounds the retries of a read-modify-write that lost a race
// to another node sharing the store.
const maxAttempts = 16

// errNoChange, returned by an update callback, ends the update without a
// commit.
var errNoChange = errors.New("no change")

// update loads name, lets fn authorize and change a private copy of the
// record, and commits it with fn's extra ops in one Txn conditioned on the
// revision read, retrying when another writer won.
func (s *Service) update(ctx context.Context, call Call, name string, fn func(rec *paramRecord) ([]storage.Op, error)) (*paramRecord, error) {
	defer s.locks.Lock(s.recordKey(call.Region, name))()
	for range maxAttempts {
		l, err := s.load(ctx, call.Region, name, name)
		if err != nil {
			return nil, err
		}
		rec := l.rec.clone()
		ops, err := fn(rec)
		if errors.Is(err, errNoChange) {
			return rec, nil
		}
		if err != nil {
			return nil, err
		}
		sealed, err := s.sealRecord(l.key, rec)
		if err != nil {
			return nil, err
		}
		err = s.backend.Txn(ctx, storage.Txn{
			Conds: []storage.Cond{{Key: l.key, Revision: l.rev}},
			Ops:   append([]storage.Op{{Key: l.key, Value: sealed}}, ops...),
		})
		if errors.Is(err, storage.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("commit parameter: %w", err)
		}
		return rec, nil
	}
	return nil, errors.New("parameter changed concurrently too many times")
}

// resolveKey maps a SecureString KeyId to a KMS key and the KeyId to
// report: "", alias/aws/ssm and its ARN name the region's default key.
func (s *Service) resolveKey(ctx context.Context, region, keyID string) (keys.KMSKey, string, error) {
	ref, shown := keyID, keyID
	if keyID == "" || keyID == DefaultKeyAlias || keyID == "arn:aws:kms:"+region+":"+s.account+":"+DefaultKeyAlias {
		ref, shown = "", DefaultKeyAlias
	}
	k, err := s.keys.ResolveKey(ctx, region, ref)
	if errors.Is(err, keys.ErrKeyNotFound) {
		return keys.KMSKey{}, "", &InvalidKeyIDError{KeyID: keyID}
	}
	if err != nil {
		return keys.KMSKey{}, "", err
	}
	return k, shown, nil
}

// sealValue seals a SecureString value of version n of the parameter arn
// and returns the op that stores it.
func (s *Service) sealValue(ctx context.Context, region, name, arn string, key keys.KMSKey, n int64, v Value) (storage.Op, error) {
	plain := []byte(v.s)
	sealed, err := s.keys.Seal(ctx, key, plain, valueAAD(arn, n))
	clear(plain)
	if err != nil {
		return storage.Op{}, fmt.Errorf("seal parameter value: %w", err)
	}
	return storage.Op{Key: s.valueKey(region, name, n), Value: sealed}, nil
}

// value returns version v's value: String and StringList values from the
// record; a SecureString's plaintext when decrypt is set, else its
// ciphertext, base64-encoded as AWS returns it.
func (s *Service) value(ctx context.Context, region string, rec *paramRecord, v *versionRecord, decrypt bool) (Value, error) {
	if v.Type != TypeSecureString {
		return Value{s: v.Value}, nil
	}
	raw, _, err := s.backend.Get(ctx, s.valueKey(region, rec.Name, v.Version))
	if errors.Is(err, storage.ErrNotFound) {
		s.log.Error("parameter value missing", "parameter_arn", s.arn(region, rec.Name), "version", v.Version)
		return Value{}, ErrDecryption
	}
	if err != nil {
		return Value{}, fmt.Errorf("read parameter value: %w", err)
	}
	if !decrypt {
		return Value{s: base64.StdEncoding.EncodeToString(raw)}, nil
	}
	plain, err := s.keys.Open(ctx, raw, valueAAD(s.arn(region, rec.Name), v.Version))
	if err != nil {
		s.log.Error("parameter value failed authentication", "parameter_arn", s.arn(region, rec.Name), "version", v.Version)
		return Value{}, ErrDecryption
	}
	out := Value{s: string(plain)}
	clear(plain)
	return out, nil
}

// toParameter converts version v of rec to the domain type, without value.
func (s *Service) toParameter(region string, rec *paramRecord, v *versionRecord) *Parameter {
	return &Parameter{
		Name:           rec.Name,
		ARN:            s.arn(region, rec.Name),
		Type:           v.Type,
		Version:        v.Version,
		Modified:       v.Modified,
		ModifiedUser:   v.ModifiedUser,
		DataType:       v.DataType,
		Description:    v.Description,
		AllowedPattern: v.AllowedPattern,
		KeyID:          v.KeyID,
		Tier:           v.Tier,
		Labels:         append([]string(nil), v.Labels...),
	}
}

// isReference reports whether name reads a Secrets Manager secret.
func isReference(name string) bool { return strings.HasPrefix(name, ReferencePrefix) }
