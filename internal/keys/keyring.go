package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/coffer-dev/coffer/internal/storage"
)

// ErrDecryption is returned by Open and OpenRecord for any authentication or
// format failure: wrong AAD, a byte changed anywhere, truncation, an unknown
// format version, or a KMS key that does not exist or does not unwrap under
// this root key. It deliberately says nothing more.
var ErrDecryption = errors.New("keys: decryption failed")

// ErrKeyNotFound is returned by ResolveKey and Seal when the reference does
// not name a KMS key of this account in the given region.
var ErrKeyNotFound = errors.New("keys: KMS key not found")

// ErrRootKeyMismatch is returned by NewKeyring when the backend was set up
// under a different root key, so that a wrong root key file is refused at
// start-up rather than as a DecryptionFailure on every read.
var ErrRootKeyMismatch = errors.New("keys: root key does not match the one this store was created with")

// HKDF-SHA256 info labels. Each subkey of the root key has its own label;
// changing one makes every stored item of that kind unreadable.
const (
	infoWrap   = "coffer keys v1: KMS key wrapping"
	infoRecord = "coffer keys v1: metadata records"
	infoBlind  = "coffer keys v1: storage key blinding"
)

// Storage keys, all under "kms/".
const (
	rootCheckKey    = "kms/root-check"
	keyRecordPrefix = "kms/key/"   // + key id
	aliasPrefix     = "kms/alias/" // + region + "/" + alias name
)

// rootCheckValue is sealed as a record under rootCheckKey; opening it proves
// the root key is the one the store was created with.
const rootCheckValue = "coffer root key check v1"

// keyRecordVersion is the first byte of a stored KMS key record.
const keyRecordVersion = 1

// Config configures a Keyring. Every field is required.
type Config struct {
	// Root is the root key; never the zero key.
	Root *RootKey
	// Backend persists KMS keys (wrapped) under "kms/".
	Backend storage.Backend
	// Account is the 12-digit account id that appears in KMS key ARNs.
	Account string
}

// KMSKey describes a KMS key. It holds no key material.
type KMSKey struct {
	ID     string // UUID, e.g. "1234abcd-12ab-34cd-56ef-1234567890ab"
	ARN    string // arn:aws:kms:<region>:<account>:key/<id>
	Region string
	Alias  string // "alias/aws/secretsmanager" for a region's default key, else ""
}

// kmsKey is an unwrapped KMS key, ready to wrap and unwrap data keys.
type kmsKey struct {
	id   keyID
	meta KMSKey
	aead cipher.AEAD // AES-256-GCM, random nonces
}

// cache is an immutable snapshot of the unwrapped KMS keys.
type cache struct {
	byID     map[keyID]*kmsKey
	defaults map[string]*kmsKey // by region
}

// A Keyring seals values under KMS keys it keeps in a storage.Backend, and
// seals metadata records under a root-derived key. It is safe for concurrent
// use.
type Keyring struct {
	backend storage.Backend
	account string

	wrap   cipher.AEAD // wraps KMS keys
	record cipher.AEAD // seals metadata records

	blindKey  []byte
	blindPool sync.Pool // of hash.Hash, HMAC-SHA256 under blindKey

	// cache is read without a lock (Open runs on every GetSecretValue);
	// writers hold mu, copy, and publish a new snapshot.
	mu    sync.Mutex
	cache atomic.Pointer[cache]
}

// NewKeyring returns a Keyring over cfg.Backend. It checks that cfg.Root is
// the root key the backend's KMS keys were wrapped under (recording it on
// first use) and returns ErrRootKeyMismatch if not.
func NewKeyring(ctx context.Context, cfg Config) (*Keyring, error) {
	switch {
	case cfg.Root == nil:
		return nil, errors.New("keys: Config.Root is nil")
	case cfg.Root.isZero():
		return nil, errors.New("keys: Config.Root is the zero key")
	case cfg.Backend == nil:
		return nil, errors.New("keys: Config.Backend is nil")
	case !isAccount(cfg.Account):
		return nil, fmt.Errorf("keys: Config.Account %q is not 12 digits", cfg.Account)
	}
	k := &Keyring{backend: cfg.Backend, account: cfg.Account}
	var err error
	if k.wrap, err = deriveAEAD(cfg.Root, infoWrap); err != nil {
		return nil, err
	}
	if k.record, err = deriveAEAD(cfg.Root, infoRecord); err != nil {
		return nil, err
	}
	if k.blindKey, err = hkdf.Key(sha256.New, cfg.Root.b[:], nil, infoBlind, 32); err != nil {
		return nil, fmt.Errorf("keys: derive blinding key: %w", err)
	}
	k.blindPool.New = func() any { return hmac.New(sha256.New, k.blindKey) }
	k.cache.Store(&cache{byID: map[keyID]*kmsKey{}, defaults: map[string]*kmsKey{}})
	if err := k.checkRoot(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// deriveAEAD returns AES-256-GCM (random nonces) under the root subkey for info.
func deriveAEAD(root *RootKey, info string) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, root.b[:], nil, info, 32)
	if err != nil {
		return nil, fmt.Errorf("keys: derive subkey: %w", err)
	}
	defer clear(sub)
	return newAEAD(sub)
}

// newAEAD returns AES-256-GCM with random 96-bit nonces prepended to the
// ciphertext. The caller may clear key afterwards.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: new cipher: %w", err)
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// checkRoot opens the root check record, creating it if the store is new.
func (k *Keyring) checkRoot(ctx context.Context) error {
	for range 3 {
		v, _, err := k.backend.Get(ctx, rootCheckKey)
		if err == nil {
			got, err := k.OpenRecord(rootCheckKey, v)
			if err != nil || string(got) != rootCheckValue {
				return ErrRootKeyMismatch
			}
			return nil
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("keys: read %s: %w", rootCheckKey, err)
		}
		sealed, err := k.SealRecord(rootCheckKey, []byte(rootCheckValue))
		if err != nil {
			return err
		}
		err = k.backend.Txn(ctx, storage.Txn{
			Conds: []storage.Cond{{Key: rootCheckKey, Revision: 0}},
			Ops:   []storage.Op{{Key: rootCheckKey, Value: sealed}},
		})
		if err == nil {
			return nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return fmt.Errorf("keys: write %s: %w", rootCheckKey, err)
		}
		// Another node wrote it first: read theirs.
	}
	return fmt.Errorf("keys: write %s: %w", rootCheckKey, storage.ErrConflict)
}

// DefaultAlias is the alias of each region's default KMS key.
const DefaultAlias = "alias/aws/secretsmanager"

// ResolveKey returns the KMS key that ref names in region:
//
//   - "" or "alias/aws/secretsmanager" (or its alias ARN): the region's default
//     key, created and persisted on first use; concurrent first uses, on
//     this node or others sharing the backend, converge on one key;
//   - a key id, or a key ARN, of an existing key in region.
//
// An ARN must name this keyring's account and region. Anything else,
// including other aliases, is ErrKeyNotFound.
func (k *Keyring) ResolveKey(ctx context.Context, region, ref string) (KMSKey, error) {
	if !isRegion(region) {
		return KMSKey{}, fmt.Errorf("keys: invalid region %q", region)
	}
	r, ok := parseRef(ref)
	if !ok || (r.arn && (r.region != region || r.account != k.account)) {
		return KMSKey{}, fmt.Errorf("%w: %q in %s", ErrKeyNotFound, ref, region)
	}
	if r.isDefault {
		kk, err := k.defaultKey(ctx, region)
		if err != nil {
			return KMSKey{}, err
		}
		return kk.meta, nil
	}
	kk, err := k.keyByID(ctx, r.id)
	if errors.Is(err, errNoKeyRecord) || (err == nil && kk.meta.Region != region) {
		return KMSKey{}, fmt.Errorf("%w: %q in %s", ErrKeyNotFound, ref, region)
	}
	if err != nil {
		return KMSKey{}, err
	}
	return kk.meta, nil
}

// errNoKeyRecord is keyByID's report of a key id with no stored record.
var errNoKeyRecord = errors.New("keys: no KMS key record")

// keyByID returns the unwrapped KMS key id from the cache, or loads it.
// It returns errNoKeyRecord if the backend has no such key, and an error
// wrapping ErrDecryption if its record does not unwrap under the root key.
func (k *Keyring) keyByID(ctx context.Context, id keyID) (*kmsKey, error) {
	if kk := k.cache.Load().byID[id]; kk != nil {
		return kk, nil
	}
	v, _, err := k.backend.Get(ctx, keyRecordPrefix+id.String())
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNoKeyRecord
	}
	if err != nil {
		return nil, fmt.Errorf("keys: load KMS key %s: %w", id, err)
	}
	kk, err := k.unwrapKey(id, v)
	if err != nil {
		return nil, err
	}
	return k.remember(kk, ""), nil
}

// defaultKey returns region's default key, creating it on first use.
func (k *Keyring) defaultKey(ctx context.Context, region string) (*kmsKey, error) {
	if kk := k.cache.Load().defaults[region]; kk != nil {
		return kk, nil
	}
	aliasKey := aliasPrefix + region + "/" + DefaultAlias[len("alias/"):]
	for range 3 {
		v, _, err := k.backend.Get(ctx, aliasKey)
		if err == nil {
			return k.loadAlias(ctx, region, aliasKey, v)
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, fmt.Errorf("keys: read default KMS key alias of %s: %w", region, err)
		}
		kk, ops, err := k.newKey(region, DefaultAlias, aliasKey)
		if err != nil {
			return nil, err
		}
		err = k.backend.Txn(ctx, storage.Txn{
			Conds: []storage.Cond{{Key: aliasKey, Revision: 0}, {Key: ops[0].Key, Revision: 0}},
			Ops:   ops,
		})
		if err == nil {
			return k.remember(kk, region), nil
		}
		if !errors.Is(err, storage.ErrConflict) {
			return nil, fmt.Errorf("keys: create default KMS key of %s: %w", region, err)
		}
		// Another caller created it first: loop to read theirs.
	}
	return nil, fmt.Errorf("keys: create default KMS key of %s: %w", region, storage.ErrConflict)
}

// loadAlias opens the alias record v stored under aliasKey and loads the key
// it points to as region's default.
func (k *Keyring) loadAlias(ctx context.Context, region, aliasKey string, v []byte) (*kmsKey, error) {
	raw, err := k.OpenRecord(aliasKey, v)
	if err != nil {
		return nil, fmt.Errorf("keys: open default KMS key alias of %s: %w", region, err)
	}
	id, ok := parseKeyID(string(raw))
	if !ok {
		return nil, fmt.Errorf("keys: default KMS key alias of %s: malformed key id", region)
	}
	kk, err := k.keyByID(ctx, id)
	if errors.Is(err, errNoKeyRecord) {
		return nil, fmt.Errorf("keys: default KMS key alias of %s points to missing key %s", region, id)
	}
	if err != nil {
		return nil, err
	}
	if kk.meta.Region != region || kk.meta.Alias != DefaultAlias {
		return nil, fmt.Errorf("keys: default KMS key alias of %s points to key %s of %s", region, id, kk.meta.Region)
	}
	return k.remember(kk, region), nil
}

// newKey generates a KMS key and returns it with the ops that persist it:
// ops[0] puts the wrapped key record; ops[1], if aliasKey is set, the alias.
func (k *Keyring) newKey(region, alias, aliasKey string) (*kmsKey, []storage.Op, error) {
	id := newKeyID()
	var material [32]byte
	defer clear(material[:])
	randRead(material[:])
	kk, err := k.makeKey(id, material[:], region, alias)
	if err != nil {
		return nil, nil, err
	}
	ops := []storage.Op{{Key: keyRecordPrefix + id.String(), Value: k.wrapKey(id, material[:], region, alias)}}
	if aliasKey != "" {
		sealed, err := k.SealRecord(aliasKey, []byte(id.String()))
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, storage.Op{Key: aliasKey, Value: sealed})
	}
	return kk, ops, nil
}

func (k *Keyring) makeKey(id keyID, material []byte, region, alias string) (*kmsKey, error) {
	aead, err := newAEAD(material)
	if err != nil {
		return nil, err
	}
	return &kmsKey{
		id:   id,
		aead: aead,
		meta: KMSKey{
			ID:     id.String(),
			ARN:    "arn:aws:kms:" + region + ":" + k.account + ":key/" + id.String(),
			Region: region,
			Alias:  alias,
		},
	}, nil
}

// wrapKey encodes a KMS key record:
//
//	version (1) | nonce (12) | AES-256-GCM(wrap key, payload, AAD = key id) | tag (16)
//	payload = material (32) | len(region) (1) | region | len(alias) (1) | alias
func (k *Keyring) wrapKey(id keyID, material []byte, region, alias string) []byte {
	payload := make([]byte, 0, len(material)+2+len(region)+len(alias))
	payload = append(payload, material...)
	payload = append(payload, byte(len(region)))
	payload = append(payload, region...)
	payload = append(payload, byte(len(alias)))
	payload = append(payload, alias...)
	defer clear(payload)
	out := make([]byte, 1, 1+len(payload)+k.wrap.Overhead())
	out[0] = keyRecordVersion
	return k.wrap.Seal(out, nil, payload, []byte(id.String()))
}

// unwrapKey decodes and unwraps a KMS key record. Every failure wraps
// ErrDecryption.
func (k *Keyring) unwrapKey(id keyID, v []byte) (*kmsKey, error) {
	if len(v) < 1 || v[0] != keyRecordVersion {
		return nil, errUnwrap(id)
	}
	payload, err := k.wrap.Open(nil, nil, v[1:], []byte(id.String()))
	if err != nil {
		return nil, errUnwrap(id)
	}
	defer clear(payload)
	if len(payload) < 32+2 {
		return nil, errUnwrap(id)
	}
	material, rest := payload[:32], payload[32:]
	region, rest, ok := lengthPrefixed(rest)
	if !ok {
		return nil, errUnwrap(id)
	}
	alias, rest, ok := lengthPrefixed(rest)
	if !ok || len(rest) != 0 {
		return nil, errUnwrap(id)
	}
	return k.makeKey(id, material, string(region), string(alias))
}

func errUnwrap(id keyID) error {
	return fmt.Errorf("keys: unwrap KMS key %s: %w", id, ErrDecryption)
}

func lengthPrefixed(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}

// remember adds kk to the cache, as region's default if defaultFor is set,
// and returns the cached key for kk's id (an earlier one wins).
func (k *Keyring) remember(kk *kmsKey, defaultFor string) *kmsKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.cache.Load()
	if prev := old.byID[kk.id]; prev != nil {
		kk = prev
	}
	addID := old.byID[kk.id] == nil
	addDefault := defaultFor != "" && old.defaults[defaultFor] != kk
	if !addID && !addDefault {
		return kk
	}
	c := &cache{byID: old.byID, defaults: old.defaults}
	if addID {
		c.byID = maps.Clone(old.byID)
		c.byID[kk.id] = kk
	}
	if addDefault {
		c.defaults = maps.Clone(old.defaults)
		c.defaults[defaultFor] = kk
	}
	k.cache.Store(c)
	return kk
}
