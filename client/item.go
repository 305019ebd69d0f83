package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// item is one fetched value. It is never modified once published, except
// for the lazily derived forms in *derived, which are computed once.
type item struct {
	// In the clear (no Sealer): the value as fetched, string or binary.
	str    string
	bin    []byte
	binary bool
	d      *derived // nil when sealed

	// With a Sealer: the sealed value and the key it was sealed under.
	sealed *sealedBytes
	name   string
	// retired is set once the cache no longer holds the item, and its
	// reference to sealed is released.
	retired atomic.Bool

	versionID string
	seq       uint64    // order of the fetch that made it
	expires   time.Time // served from memory until then
	refreshAt time.Time // refresh-ahead starts then; zero for never

	refreshing atomic.Bool // a refresh-ahead of this item has started
}

// derived holds forms of a value computed on first use and then shared by
// every hit (and by renewed copies of the item).
type derived struct {
	bytesOnce sync.Once
	bytes     []byte // bin, or the bytes of str

	textOnce sync.Once
	text     string // str, or bin as a string

	jsonOnce sync.Once
	fields   map[string]string
	jsonErr  error
}

// newItem returns an item for a fetched value, sealed if the cache has a
// Sealer. The caller gives up s and b.
func (c *Cache) newItem(k key, s string, b []byte, binary bool, versionID string) (*item, error) {
	it := &item{versionID: versionID}
	if c.opts.Sealer == nil {
		it.str, it.bin, it.binary, it.d = s, b, binary, new(derived)
		return it, nil
	}
	plain := b
	if !binary {
		plain = []byte(s)
	}
	it.name = k.String()
	sealed, err := c.opts.Sealer.Seal(it.name, plain)
	if err != nil {
		// The Sealer's error is its own; wrap it so callers can match it,
		// but say which item, never what value.
		return nil, fmt.Errorf("seal %s: %w", it.name, err)
	}
	clear(plain)
	it.sealed, it.binary = &sealedBytes{b: sealed}, binary
	it.sealed.refs.Store(1) // the item's own
	return it, nil
}

// sealedBytes is a sealed value, shared by the items that hold it (a
// renewed item shares its predecessor's) and zeroed by its last user. Each
// item holds a reference until the cache retires it, and each read holds
// one while it opens the bytes, so a read never sees them zeroed: once the
// count reaches zero nobody can take a reference again.
type sealedBytes struct {
	b    []byte
	refs atomic.Int64
}

// acquire takes a reference; it fails once the bytes are zeroed.
func (s *sealedBytes) acquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference; the last one zeroes the bytes.
func (s *sealedBytes) release() {
	if s.refs.Add(-1) == 0 {
		clear(s.b)
	}
}

// retire is called, with Cache.mu held, when the cache stops holding it
// (evicted, replaced or dropped): it releases the item's sealed bytes, which
// are zeroed once no other item or read uses them.
func (it *item) retire() {
	if it != nil && it.sealed != nil && !it.retired.Swap(true) {
		it.sealed.release()
	}
}

// renewed returns a copy of it to be published again, sharing its value,
// or nil if its sealed bytes are already zeroed.
func (it *item) renewed() *item {
	if it.sealed != nil && !it.sealed.acquire() {
		return nil
	}
	return &item{
		str: it.str, bin: it.bin, binary: it.binary, d: it.d,
		sealed: it.sealed, name: it.name, versionID: it.versionID,
	}
}

// errRetired is value's answer for an item whose sealed bytes were zeroed
// after the caller found it: the caller looks the item up again.
var errRetired = errors.New("client: cached item evicted during the read")

// value returns it as a Value, opening it if it is sealed.
func (c *Cache) value(it *item) (Value, error) {
	if it.sealed == nil && it.d != nil {
		return Value{it: it, versionID: it.versionID, binary: it.binary}, nil
	}
	if !it.sealed.acquire() {
		return Value{}, errRetired
	}
	plain, err := c.opts.Sealer.Open(it.name, it.sealed.b)
	it.sealed.release()
	if err != nil {
		return Value{}, fmt.Errorf("open %s: %w", it.name, err)
	}
	return Value{open: plain, versionID: it.versionID, binary: it.binary}, nil
}

// maxRetired bounds how often a read starts again because the item it
// found was evicted meanwhile.
const maxRetired = 10

// getValue returns the value for k, from the cache or fetched.
func (c *Cache) getValue(ctx context.Context, k key) (Value, error) {
	for range maxRetired - 1 {
		it, err := c.get(ctx, k)
		if err != nil {
			return Value{}, err
		}
		if v, err := c.value(it); err != errRetired {
			return v, err
		}
	}
	it, err := c.get(ctx, k)
	if err != nil {
		return Value{}, err
	}
	return c.value(it)
}

// Value is a secret or parameter value as cached. It prints and logs as a
// placeholder; Reveal and RevealBytes are the ways to the plaintext. The
// bytes RevealBytes returns may be shared with the cache and every other
// caller: they must not be modified.
type Value struct {
	it        *item  // in the clear
	open      []byte // opened from a sealed item
	versionID string
	binary    bool
}

// Reveal returns the value as a string: SecretString, a parameter's value,
// or SecretBinary's bytes as a string.
func (v Value) Reveal() string {
	switch {
	case v.it == nil:
		return string(v.open)
	case !v.it.binary:
		return v.it.str
	}
	d := v.it.d
	d.textOnce.Do(func() { d.text = string(v.it.bin) })
	return d.text
}

// RevealBytes returns the value as bytes: SecretBinary, or the bytes of
// SecretString or a parameter's value. The caller must not modify them.
func (v Value) RevealBytes() []byte {
	switch {
	case v.it == nil:
		return v.open
	case v.it.binary:
		return v.it.bin
	}
	d := v.it.d
	d.bytesOnce.Do(func() { d.bytes = []byte(v.it.str) })
	return d.bytes
}

// IsBinary reports whether the value came from SecretBinary.
func (v Value) IsBinary() bool { return v.binary }

// VersionID is the secret version's ID, or a parameter's version number.
func (v Value) VersionID() string { return v.versionID }

const redacted = "client.Value(redacted)"

func (Value) String() string               { return redacted }
func (Value) GoString() string             { return redacted }
func (Value) Format(f fmt.State, _ rune)   { fmt.Fprint(f, redacted) }
func (Value) LogValue() slog.Value         { return slog.StringValue("redacted") }
func (Value) MarshalJSON() ([]byte, error) { return []byte(`"redacted"`), nil }
func (Value) MarshalText() ([]byte, error) { return []byte("redacted"), nil }
func (v Value) jsonField(field string) (string, error) {
	if v.it == nil {
		fields, err := parseFields(v.open)
		if err != nil {
			return "", err
		}
		return lookupField(fields, field)
	}
	d := v.it.d
	d.jsonOnce.Do(func() { d.fields, d.jsonErr = parseFields(v.RevealBytes()) })
	if d.jsonErr != nil {
		return "", d.jsonErr
	}
	return lookupField(d.fields, field)
}

// parseFields parses a JSON object into its fields: strings unquoted,
// anything else as its JSON text. The parser's error is dropped: it quotes
// the input.
func parseFields(b []byte) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		return nil, ErrNotJSON
	}
	fields := make(map[string]string, len(raw))
	for name, r := range raw {
		var s string
		if len(r) > 0 && r[0] == '"' {
			if err := json.Unmarshal(r, &s); err != nil {
				return nil, ErrNotJSON
			}
		} else {
			s = string(bytes.TrimSpace(r))
		}
		fields[name] = s
	}
	return fields, nil
}

func lookupField(fields map[string]string, field string) (string, error) {
	s, ok := fields[field]
	if !ok {
		return "", ErrFieldNotFound
	}
	return s, nil
}
