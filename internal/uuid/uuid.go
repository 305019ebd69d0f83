// Package uuid makes and reads random (version 4) UUIDs in their canonical
// text form, xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: the form of AWS version
// ids, KMS key ids and CloudTrail event ids. It imports only the standard
// library, so every package may use it.
package uuid

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID is 16 bytes.
type UUID [16]byte

// NewV4 returns a random UUID with the version 4 and RFC 9562 variant bits.
func NewV4() UUID {
	var u UUID
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// New returns a random UUID in canonical lower-case text.
func New() string { return NewV4().String() }

// String returns the canonical lower-case form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// Parse reads a UUID in canonical form (either case).
func Parse(s string) (UUID, bool) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	// Each group of text and where its bytes go.
	groups := [5]struct{ from, to, at int }{{0, 8, 0}, {9, 13, 4}, {14, 18, 6}, {19, 23, 8}, {24, 36, 10}}
	for _, g := range groups {
		if _, err := hex.Decode(u[g.at:], []byte(s[g.from:g.to])); err != nil {
			return UUID{}, false
		}
	}
	return u, true
}
