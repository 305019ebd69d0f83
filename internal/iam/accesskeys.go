package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// ErrUnknownAccessKey reports an access key id no principal owns, or one
// that is inactive.
var ErrUnknownAccessKey = errors.New("iam: unknown access key")

// SecretAccessKey is the secret half of an access key. It redacts itself
// in every print and log; Reveal is the one way to the string.
type SecretAccessKey struct{ s string }

// Reveal returns the secret. Callers must not log or persist it.
func (k SecretAccessKey) Reveal() string { return k.s }
func (SecretAccessKey) String() string   { return "iam.SecretAccessKey(redacted)" }
func (SecretAccessKey) GoString() string { return "iam.SecretAccessKey(redacted)" }

// AccessKey is a user's access key pair; Secret is only ever returned by
// CreateAccessKey (and Bootstrap for the admin's credentials file).
type AccessKey struct {
	ID       string
	Secret   SecretAccessKey
	UserName string
	Status   string // Active | Inactive
	Created  time.Time
}

// Access key statuses.
const (
	KeyActive   = "Active"
	KeyInactive = "Inactive"
)

// MaxKeysPerUser is IAM's quota.
const MaxKeysPerUser = 2

// keyRecord is a stored access key. The secret is kept (sealed with the
// record under a root-derived key) because SigV4 verification needs it.
type keyRecord struct {
	Secret   string    `json:"s"`
	UserName string    `json:"u"`
	Status   string    `json:"st"`
	Created  time.Time `json:"c"`
}

// CreateAccessKey makes a new key for user and returns it with its secret.
func (s *Store) CreateAccessKey(ctx context.Context, user string) (*AccessKey, error) {
	k := &AccessKey{ID: newAccessKeyID(), Secret: SecretAccessKey{newSecret()}, UserName: user, Status: KeyActive, Created: s.now().UTC()}
	err := modify(ctx, s, s.userKey(user), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: user}
		}
		if len(cur.KeyIDs) >= MaxKeysPerUser {
			return nil, nil, &LimitExceededError{Reason: "Cannot exceed quota for AccessKeysPerUser: 2"}
		}
		k.UserName = cur.Name
		cur.KeyIDs = append(cur.KeyIDs, k.ID)
		op, err := s.put(accessKeyKey(k.ID), keyRecord{Secret: k.Secret.s, UserName: cur.Name, Status: KeyActive, Created: k.Created})
		if err != nil {
			return nil, nil, err
		}
		return cur, []storage.Op{op}, nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AccessKeys lists a user's keys (without secrets).
func (s *Store) AccessKeys(ctx context.Context, user string) ([]AccessKey, error) {
	u, err := s.User(ctx, user)
	if err != nil {
		return nil, err
	}
	var out []AccessKey
	for _, id := range u.KeyIDs {
		r, _, err := get[keyRecord](ctx, s, accessKeyKey(id))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, AccessKey{ID: id, UserName: r.UserName, Status: r.Status, Created: r.Created})
	}
	return out, nil
}

// UpdateAccessKey activates or deactivates a key of user.
func (s *Store) UpdateAccessKey(ctx context.Context, user, id, status string) error {
	if status != KeyActive && status != KeyInactive {
		return &InvalidInputError{Reason: "1 validation error detected: Value '" + status + "' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"}
	}
	if err := s.checkKeyOwner(ctx, user, id); err != nil {
		return err
	}
	return modify(ctx, s, accessKeyKey(id), func(cur *keyRecord) (*keyRecord, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "access key", Name: id}
		}
		cur.Status = status
		return cur, nil, nil
	})
}

// DeleteAccessKey removes a key of user.
func (s *Store) DeleteAccessKey(ctx context.Context, user, id string) error {
	if err := s.checkKeyOwner(ctx, user, id); err != nil {
		return err
	}
	return modify(ctx, s, s.userKey(user), func(cur *User) (*User, []storage.Op, error) {
		if cur == nil {
			return nil, nil, &NoSuchEntityError{Kind: "user", Name: user}
		}
		cur.KeyIDs = slices.DeleteFunc(cur.KeyIDs, func(k string) bool { return k == id })
		return cur, []storage.Op{{Key: accessKeyKey(id), Delete: true}}, nil
	})
}

func (s *Store) checkKeyOwner(ctx context.Context, user, id string) error {
	u, err := s.User(ctx, user)
	if err != nil {
		return err
	}
	if !slices.Contains(u.KeyIDs, id) {
		return &NoSuchEntityError{Kind: "access key", Name: id}
	}
	return nil
}

// SecretKey returns the secret of an active access key; the server adapts
// it to sigv4.SecretKeys.
func (s *Store) SecretKey(ctx context.Context, accessKeyID string) (string, error) {
	if isSessionKey(accessKeyID) {
		return s.sessionSecret(ctx, accessKeyID)
	}
	if !validAccessKeyID(accessKeyID) {
		return "", ErrUnknownAccessKey
	}
	r, _, err := get[keyRecord](ctx, s, accessKeyKey(accessKeyID))
	if errors.Is(err, storage.ErrNotFound) {
		return "", ErrUnknownAccessKey
	}
	if err != nil {
		return "", err
	}
	if r.Status != KeyActive {
		return "", ErrUnknownAccessKey
	}
	return r.Secret, nil
}

// Principal returns who owns an access key.
func (s *Store) Principal(ctx context.Context, accessKeyID string) (Principal, error) {
	if !validAccessKeyID(accessKeyID) {
		return Principal{}, ErrUnknownAccessKey
	}
	r, _, err := get[keyRecord](ctx, s, accessKeyKey(accessKeyID))
	if errors.Is(err, storage.ErrNotFound) {
		return Principal{}, ErrUnknownAccessKey
	}
	if err != nil {
		return Principal{}, err
	}
	u, err := s.User(ctx, r.UserName)
	if err != nil {
		return Principal{}, err
	}
	return s.userPrincipal(u, accessKeyID), nil
}

func (s *Store) userPrincipal(u *User, accessKeyID string) Principal {
	return Principal{Account: s.account, ARN: u.ARN, UserID: u.ID, AccessKeyID: accessKeyID, Name: u.Name}
}

// AdminPrincipal is the principal `coffer dev` gives an unknown access key:
// the bootstrap admin, identified by that key.
func (s *Store) AdminPrincipal(accessKeyID string) Principal {
	return Principal{
		Account: s.account, ARN: "arn:aws:iam::" + s.account + ":user/" + AdminUser,
		UserID: "AIDA" + s.account + "ADMIN", AccessKeyID: accessKeyID, Name: AdminUser, Admin: true,
	}
}

// AdminUser is the bootstrap admin's user name.
const AdminUser = "admin"

// AdminPolicyName and AdminPolicy are the bootstrap admin's inline policy.
const (
	AdminPolicyName = "AdministratorAccess"
	AdminPolicy     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// Bootstrap makes sure the admin user exists with an admin policy and an
// access key. It returns the key and whether it was created now; an
// existing key is read back (it is written to the credentials file). Once
// the first key has been deleted or deactivated through IAM, Bootstrap
// returns a zero AccessKey: the admin is managed like any user.
func (s *Store) Bootstrap(ctx context.Context) (AccessKey, bool, error) {
	const pointer = "iam/bootstrap"
	if raw, _, err := s.backend.Get(ctx, pointer); err == nil {
		plain, err := s.keys.OpenRecord(pointer, raw)
		if err != nil {
			return AccessKey{}, false, err
		}
		id := string(plain)
		secret, err := s.SecretKey(ctx, id)
		if errors.Is(err, ErrUnknownAccessKey) {
			// Deleted or deactivated through IAM since: nothing to hand out.
			return AccessKey{}, false, nil
		}
		if err != nil {
			return AccessKey{}, false, err
		}
		return AccessKey{ID: id, Secret: SecretAccessKey{secret}, UserName: AdminUser, Status: KeyActive}, false, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return AccessKey{}, false, err
	}
	if _, err := s.CreateUser(ctx, AdminUser, "/", nil); err != nil {
		var exists *EntityExistsError
		if !errors.As(err, &exists) {
			return AccessKey{}, false, err
		}
	}
	if err := s.PutUserPolicy(ctx, AdminUser, AdminPolicyName, AdminPolicy); err != nil {
		return AccessKey{}, false, err
	}
	k, err := s.CreateAccessKey(ctx, AdminUser)
	if err != nil {
		return AccessKey{}, false, err
	}
	sealed, err := s.keys.SealRecord(pointer, []byte(k.ID))
	if err != nil {
		return AccessKey{}, false, err
	}
	if err := s.backend.Txn(ctx, storage.Txn{Conds: []storage.Cond{{Key: pointer}}, Ops: []storage.Op{{Key: pointer, Value: sealed}}}); err != nil {
		return AccessKey{}, false, err
	}
	return *k, true, nil
}

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	var b [1]byte
	for i := 0; i < n; {
		rand.Read(b[:])
		if int(b[0]) >= 256-256%len(alphabet) {
			continue
		}
		out[i] = alphabet[int(b[0])%len(alphabet)]
		i++
	}
	return string(out)
}

// newAccessKeyID returns an id shaped like AWS's long-term keys: AKIA + 16.
func newAccessKeyID() string { return "AKIA" + randomString(16, keyAlphabet) }

// newSecret returns a 40-character secret access key.
func newSecret() string {
	return randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}

func validAccessKeyID(id string) bool {
	if len(id) < 16 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
