package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
)

// Layout of a sealed value:
//
//	offset  size  field
//	0       1     format version (sealVersion)
//	1       16    KMS key id (UUID bytes)
//	17      60    wrapped data key: nonce (12) | AES-256-GCM(KMS key, data key (32), AAD = bytes 0..16) | tag (16)
//	77      12    nonce
//	89      n     AES-256-GCM(data key, value, AAD = caller's aad)
//	89+n    16    tag
const (
	sealVersion    = 1
	sealHeaderLen  = 1 + 16
	dataKeySize    = 32
	gcmOverhead    = 12 + 16 // random nonce + tag, as NewGCMWithRandomNonce lays them out
	wrappedKeyLen  = gcmOverhead + dataKeySize
	sealValueStart = sealHeaderLen + wrappedKeyLen
	sealMinLen     = sealValueStart + gcmOverhead

	// SealOverhead is how many bytes Seal adds to a value.
	SealOverhead = sealMinLen
)

// Seal encrypts plaintext under a fresh random 32-byte data key with
// AES-256-GCM and aad, wraps the data key under key (AAD binding it to the
// key id and format version), and returns the self-describing result; see
// the layout above. The data key is zeroed before Seal returns. key must
// come from ResolveKey; an unknown key is ErrKeyNotFound.
//
// aad should bind the value to where it belongs (for secrets: secret ARN
// and version id); Open with any other aad fails.
func (k *Keyring) Seal(ctx context.Context, key KMSKey, plaintext, aad []byte) ([]byte, error) {
	id, ok := parseKeyID(key.ID)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, key.ID)
	}
	kk, err := k.keyByID(ctx, id)
	if errors.Is(err, errNoKeyRecord) {
		return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, key.ID)
	}
	if err != nil {
		return nil, err
	}

	out := make([]byte, sealHeaderLen, sealMinLen+len(plaintext))
	out[0] = sealVersion
	copy(out[1:sealHeaderLen], id[:])
	var hdr [sealHeaderLen]byte // the wrap AAD, apart from out: AAD and dst must not overlap
	copy(hdr[:], out)

	var dk [dataKeySize]byte
	defer clear(dk[:])
	randRead(dk[:])
	out = kk.aead.Seal(out, nil, dk[:], hdr[:])

	aead, err := dataKeyAEAD(&dk)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, nil, plaintext, aad), nil
}

// Open reverses Seal: it unwraps the data key with the KMS key named in
// sealed and decrypts the value with aad. Any authentication or format
// failure, including an unknown KMS key, returns ErrDecryption; only an
// error from the backend while loading a KMS key not yet cached is
// returned as itself.
func (k *Keyring) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < sealMinLen || sealed[0] != sealVersion {
		return nil, ErrDecryption
	}
	kk, err := k.keyByID(ctx, keyID(sealed[1:sealHeaderLen]))
	if err != nil {
		if errors.Is(err, errNoKeyRecord) || errors.Is(err, ErrDecryption) {
			return nil, ErrDecryption
		}
		return nil, err
	}
	var dk [dataKeySize]byte
	defer clear(dk[:])
	if _, err := kk.aead.Open(dk[:0], nil, sealed[sealHeaderLen:sealValueStart], sealed[:sealHeaderLen]); err != nil {
		return nil, ErrDecryption
	}
	aead, err := dataKeyAEAD(&dk)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nil, sealed[sealValueStart:], aad)
	if err != nil {
		return nil, ErrDecryption
	}
	return pt, nil
}

// dataKeyAEAD returns AES-256-GCM with random nonces under a data key.
func dataKeyAEAD(dk *[dataKeySize]byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dk[:])
	if err != nil {
		return nil, fmt.Errorf("keys: new cipher: %w", err)
	}
	return cipher.NewGCMWithRandomNonce(block)
}
