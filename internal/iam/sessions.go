package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/coffer-dev/coffer/internal/storage"
)

// ErrExpiredToken reports temporary credentials past their expiry.
var ErrExpiredToken = errors.New("iam: security token expired")

// ErrInvalidToken reports temporary credentials used without their session
// token, or with a token that is not theirs.
var ErrInvalidToken = errors.New("iam: security token invalid")

// Credentials are temporary credentials issued by STS.
type Credentials struct {
	AccessKeyID  string
	Secret       SecretAccessKey
	SessionToken string // never logged
	Expiration   time.Time
}

// Session describes what temporary credentials stand for.
type Session struct {
	// For a role session: the role and the session name; the principal is
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
	RoleName    string `json:"rn,omitempty"`
	RoleARN     string `json:"ra,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	SessionName string `json:"sn,omitempty"`
	// For GetSessionToken: the user the credentials act as.
	UserName string `json:"un,omitempty"`
	// Policies further narrow what the session may do (session policies).
	Policies []string `json:"sp,omitempty"`
	// Tags are session tags: aws:PrincipalTag values for the session.
	Tags []Tag `json:"t,omitempty"`
	// Subject identifies a web identity (issuer + sub) for audit.
	Subject  string        `json:"sub,omitempty"`
	Duration time.Duration `json:"d"`
}

type sessionRecord struct {
	Session
	Secret    string    `json:"s"`
	TokenHash []byte    `json:"h"`
	Expires   time.Time `json:"e"`
}

func sessionKey(id string) string { return "iam/session/" + id }

// CreateSession issues temporary credentials for sess, valid for
// sess.Duration. The secret and token are returned once; only the token's
// hash is stored.
func (s *Store) CreateSession(ctx context.Context, sess Session) (*Credentials, error) {
	var tok [48]byte
	rand.Read(tok[:])
	creds := &Credentials{
		AccessKeyID:  "ASIA" + randomString(16, keyAlphabet),
		Secret:       SecretAccessKey{newSecret()},
		SessionToken: "Coffer" + base64.RawURLEncoding.EncodeToString(tok[:]),
		Expiration:   s.now().UTC().Add(sess.Duration).Truncate(time.Second),
	}
	sum := sha256.Sum256([]byte(creds.SessionToken))
	op, err := s.put(sessionKey(creds.AccessKeyID), sessionRecord{Session: sess, Secret: creds.Secret.s, TokenHash: sum[:], Expires: creds.Expiration})
	if err != nil {
		return nil, err
	}
	if err := s.backend.Txn(ctx, storage.Txn{Conds: []storage.Cond{{Key: op.Key}}, Ops: []storage.Op{op}}); err != nil {
		return nil, err
	}
	return creds, nil
}

func isSessionKey(id string) bool { return strings.HasPrefix(id, "ASIA") }

func (s *Store) session(ctx context.Context, id string) (*sessionRecord, error) {
	if !validAccessKeyID(id) {
		return nil, ErrUnknownAccessKey
	}
	r, _, err := get[sessionRecord](ctx, s, sessionKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrUnknownAccessKey
	}
	return r, err
}

// PrincipalFor returns who a request's access key (and session token, for
// temporary credentials) stands for. Temporary credentials without their
// token, or with another, are ErrInvalidToken; expired ones ErrExpiredToken.
func (s *Store) PrincipalFor(ctx context.Context, accessKeyID, token string) (Principal, error) {
	if !isSessionKey(accessKeyID) {
		if token != "" {
			return Principal{}, ErrInvalidToken
		}
		return s.Principal(ctx, accessKeyID)
	}
	r, err := s.session(ctx, accessKeyID)
	if err != nil {
		return Principal{}, err
	}
	sum := sha256.Sum256([]byte(token))
	if token == "" || subtle.ConstantTimeCompare(sum[:], r.TokenHash) != 1 {
		return Principal{}, ErrInvalidToken
	}
	if !s.now().Before(r.Expires) {
		return Principal{}, ErrExpiredToken
	}
	p := Principal{Account: s.account, AccessKeyID: accessKeyID, SessionToken: token, Session: &r.Session, Expires: r.Expires}
	if r.RoleName != "" {
		p.ARN = "arn:aws:sts::" + s.account + ":assumed-role/" + r.RoleName + "/" + r.SessionName
		p.UserID = r.RoleID + ":" + r.SessionName
		p.Name = r.RoleName
		return p, nil
	}
	u, err := s.User(ctx, r.UserName)
	var gone *NoSuchEntityError
	if errors.As(err, &gone) {
		return Principal{}, ErrInvalidToken // the user was deleted: its sessions end with it
	}
	if err != nil {
		return Principal{}, err
	}
	up := s.userPrincipal(u, accessKeyID)
	up.SessionToken, up.Session, up.Expires = token, &r.Session, r.Expires
	return up, nil
}

// sessionSecret returns the secret of temporary credentials, expired or
// not: SigV4 verification comes first, expiry is reported by PrincipalFor.
func (s *Store) sessionSecret(ctx context.Context, id string) (string, error) {
	r, err := s.session(ctx, id)
	if err != nil {
		return "", err
	}
	return r.Secret, nil
}

// PurgeExpiredSessions deletes session records that expired before now.
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int, error) {
	kvs, err := s.backend.List(ctx, "iam/session/", "", 0)
	if err != nil {
		return 0, err
	}
	n := 0
	now := s.now()
	for _, kv := range kvs {
		r, _, err := get[sessionRecord](ctx, s, kv.Key)
		if err != nil || now.Before(r.Expires) {
			continue
		}
		if err := s.backend.Txn(ctx, storage.Txn{Conds: []storage.Cond{{Key: kv.Key, Revision: kv.Revision}}, Ops: []storage.Op{{Key: kv.Key, Delete: true}}}); err == nil {
			n++
		}
		s.forget(kv.Key)
	}
	return n, nil
}
