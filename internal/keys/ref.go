package keys

import (
	"crypto/rand"
	"strings"

	"github.com/coffer-dev/coffer/internal/uuid"
)

// keyID is a KMS key id: a random (version 4) UUID.
type keyID = uuid.UUID

func newKeyID() keyID { return uuid.NewV4() }

// parseKeyID parses a UUID in canonical form (either case).
func parseKeyID(s string) (keyID, bool) { return uuid.Parse(s) }

// randRead fills b from crypto/rand, which never fails (Go 1.24+: it crashes
// the program instead of returning an error).
func randRead(b []byte) {
	rand.Read(b)
}

// isAccount reports whether s is a 12-digit account id.
func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isRegion reports whether s can be a region name: 1 to 32 characters of
// [a-z0-9-], not starting or ending with '-'. It keeps storage keys, which
// contain the region, unambiguous.
func isRegion(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// keyRef is a parsed KMS key reference.
type keyRef struct {
	isDefault bool   // the default alias, alias/aws/secretsmanager
	id        keyID  // otherwise the key id
	arn       bool   // given as an ARN: region and account are set
	region    string // from the ARN
	account   string // from the ARN
}

// parseRef parses the KMS key references ResolveKey accepts: "", the default
// alias, a key id, a key ARN, or the default alias's ARN. Anything else is
// not ok.
func parseRef(ref string) (keyRef, bool) {
	if ref == "" || ref == DefaultAlias {
		return keyRef{isDefault: true}, true
	}
	rest, isARN := strings.CutPrefix(ref, "arn:aws:kms:")
	if !isARN {
		id, ok := parseKeyID(ref)
		return keyRef{id: id}, ok
	}
	region, rest, ok1 := strings.Cut(rest, ":")
	account, resource, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !isRegion(region) || !isAccount(account) {
		return keyRef{}, false
	}
	r := keyRef{arn: true, region: region, account: account}
	if resource == DefaultAlias {
		r.isDefault = true
		return r, true
	}
	idStr, isKey := strings.CutPrefix(resource, "key/")
	if !isKey {
		return keyRef{}, false
	}
	r.id, ok1 = parseKeyID(idStr)
	return r, ok1
}
