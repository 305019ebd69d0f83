package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// cacheKey names one derived signing key. The secret is part of the key so
// that a changed secret never meets a key derived from the old one.
type cacheKey struct {
	accessKeyID, secret, date, region, service string
}

// keyCache holds derived signing keys. Keys change daily per access key,
// region and service, so almost every request hits. When full, an arbitrary
// entry makes room (map iteration order is random), which keeps the cache
// bounded without bookkeeping on the hit path.
type keyCache struct {
	max int

	mu   sync.RWMutex
	keys map[cacheKey][sha256.Size]byte
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, keys: make(map[cacheKey][sha256.Size]byte)}
}

// signingKey returns kSigning for k, deriving and caching it on a miss.
func (c *keyCache) signingKey(k cacheKey) [sha256.Size]byte {
	c.mu.RLock()
	key, ok := c.keys[k]
	c.mu.RUnlock()
	if ok {
		return key
	}
	key = deriveSigningKey(k.secret, k.date, k.region, k.service)
	// The strings point into the request; copy them so that a cached entry
	// does not keep a whole Authorization header alive.
	k = cacheKey{
		strings.Clone(k.accessKeyID), k.secret, strings.Clone(k.date),
		strings.Clone(k.region), strings.Clone(k.service),
	}
	c.mu.Lock()
	if _, ok := c.keys[k]; !ok && len(c.keys) >= c.max {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[k] = key
	c.mu.Unlock()
	return key
}

// deriveSigningKey computes
//
//	kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
func deriveSigningKey(secret, date, region, service string) [sha256.Size]byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, terminator)
	return [sha256.Size]byte(k)
}

// hmacSHA256 computes HMAC-SHA256 (RFC 2104) with a 32-byte key. msg must
// start with sha256.BlockSize bytes of room, which it overwrites with the
// inner pad, followed by the message itself. Hashing contiguous buffers
// with sha256.Sum256 keeps the hot path free of allocations, which
// crypto/hmac is not.
func hmacSHA256(key *[sha256.Size]byte, msg []byte) [sha256.Size]byte {
	const ipad, opad = 0x36, 0x5c
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		msg[i] = k ^ ipad
	}
	inner := sha256.Sum256(msg)
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := range sha256.BlockSize {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		outer[i] = k ^ opad
	}
	copy(outer[sha256.BlockSize:], inner[:])
	return sha256.Sum256(outer[:])
}
