package password

import (
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// The character classes, as the GetRandomPassword reference lists them.
// Space is not a class: IncludeSpace admits it but never requires it.
const (
	Uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	Lowercase   = "abcdefghijklmnopqrstuvwxyz"
	Numbers     = "0123456789"
	Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// Limits from the GetRandomPassword API reference.
const (
	DefaultLength        = 32
	MinLength            = 1
	MaxLength            = 4096
	MaxExcludeCharacters = 4096 // characters, not bytes
)

// Options are GetRandomPassword's request parameters. The zero value asks
// for AWS's defaults: 32 characters from all four classes, each required.
type Options struct {
	// Length is the number of characters, MinLength to MaxLength. Zero
	// means DefaultLength, so a wire layer that decodes PasswordLength
	// itself must refuse an explicit 0 before calling Generate.
	Length int

	ExcludeCharacters  string // characters never to use; at most MaxExcludeCharacters
	ExcludeNumbers     bool
	ExcludePunctuation bool
	ExcludeUppercase   bool
	ExcludeLowercase   bool
	IncludeSpace       bool // admit ' ' (unless excluded); it is never required

	// RequireEachIncludedType asks for at least one character of each
	// class not excluded by an Exclude* switch. nil means true, AWS's
	// default; the wire's *bool can be passed as is.
	RequireEachIncludedType *bool
}

// Sentinel errors, wrapped in *Error. Check them with errors.Is.
var (
	// ErrLength: Length is outside MinLength..MaxLength.
	ErrLength = errors.New("password length out of range")

	// ErrExcludeCharactersTooLong: ExcludeCharacters holds more than
	// MaxExcludeCharacters characters.
	ErrExcludeCharactersTooLong = errors.New("too many characters to exclude")

	// ErrTypeExcluded: ExcludeCharacters removes every character of a class
	// that RequireEachIncludedType requires. AWS: "All characters of the
	// desired type have been excluded".
	ErrTypeExcluded = errors.New("all characters of a required type have been excluded")

	// ErrAllExcluded: no character is left to choose from. AWS: "All
	// characters have been excluded from selection".
	ErrAllExcluded = errors.New("all characters have been excluded")

	// ErrTooShort: Length is smaller than the number of required classes.
	// AWS: "Password length is too short based on the required types".
	ErrTooShort = errors.New("password length is too short for the required types")
)

// Error reports options that cannot produce a password. Field names the
// Options field at fault; Err is one of the sentinel errors above.
type Error struct {
	Field  string // "Length", "ExcludeCharacters", ...
	Reason string // lower-case detail for logs
	Err    error
}

func (e *Error) Error() string { return "password: " + e.Field + ": " + e.Reason }

func (e *Error) Unwrap() error { return e.Err }

// Generate returns a random password drawn as opts describe, or an *Error
// when opts are out of range or leave nothing to draw from.
//
// When classes are required the password is uniform over all passwords of
// that length that contain each of them: it is drawn uniformly from the
// whole pool and drawn again if a class is missing, so required characters
// fall at random positions.
func Generate(opts Options) (string, error) {
	return generate(opts, rand.Reader)
}

// maxAttempts bounds the redraws. The least likely options that pass the
// checks (four characters from three one-character classes and the
// punctuation) succeed once in about 2,200 draws, so the fallback is not
// reached in practice.
const maxAttempts = 1 << 16

func generate(opts Options, random io.Reader) (string, error) {
	length, pool, required, err := plan(opts)
	if err != nil {
		return "", err
	}
	src := newSource(random, 4*(length+len(required))+64)
	defer src.wipe()
	out := make([]byte, length)
	defer clear(out)
	for range maxAttempts {
		for i := range out {
			c, err := src.pick(pool)
			if err != nil {
				return "", err
			}
			out[i] = c
		}
		if containsEach(out, required) {
			return string(out), nil
		}
	}
	// Unreachable in practice: place one character of each required class
	// at distinct random positions of the last draw.
	if err := place(out, required, src); err != nil {
		return "", err
	}
	return string(out), nil
}

// plan validates opts and returns the length, the pool to draw from and the
// classes each password must contain.
func plan(opts Options) (length int, pool string, required []string, err error) {
	length = opts.Length
	if length == 0 {
		length = DefaultLength
	}
	if length < MinLength || length > MaxLength {
		return 0, "", nil, &Error{Field: "Length", Reason: "must be between 1 and 4096", Err: ErrLength}
	}
	if utf8.RuneCountInString(opts.ExcludeCharacters) > MaxExcludeCharacters {
		return 0, "", nil, &Error{Field: "ExcludeCharacters", Reason: "must hold at most 4096 characters", Err: ErrExcludeCharactersTooLong}
	}
	keep := func(set string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(opts.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
	}
	classes := []struct {
		name, chars string
		excluded    bool
	}{
		{"uppercase", Uppercase, opts.ExcludeUppercase},
		{"lowercase", Lowercase, opts.ExcludeLowercase},
		{"number", Numbers, opts.ExcludeNumbers},
		{"punctuation", Punctuation, opts.ExcludePunctuation},
	}
	requireEach := opts.RequireEachIncludedType == nil || *opts.RequireEachIncludedType
	var b strings.Builder
	for _, c := range classes {
		if c.excluded {
			continue
		}
		chars := keep(c.chars)
		if requireEach {
			if chars == "" {
				return 0, "", nil, &Error{Field: "ExcludeCharacters", Reason: "excludes every " + c.name + " character, a required type", Err: ErrTypeExcluded}
			}
			required = append(required, chars)
		}
		b.WriteString(chars)
	}
	if opts.IncludeSpace {
		b.WriteString(keep(" "))
	}
	if pool = b.String(); pool == "" {
		return 0, "", nil, &Error{Field: "ExcludeCharacters", Reason: "no characters are left to choose from", Err: ErrAllExcluded}
	}
	if len(required) > length {
		return 0, "", nil, &Error{Field: "Length", Reason: "is shorter than the number of required types", Err: ErrTooShort}
	}
	return length, pool, required, nil
}

func containsEach(p []byte, classes []string) bool {
	for _, class := range classes {
		found := false
		for _, c := range p {
			if strings.IndexByte(class, c) >= 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// place overwrites len(classes) distinct random positions of p, one with a
// random character of each class.
func place(p []byte, classes []string, src *source) error {
	positions := make([]int, 0, len(classes))
	for len(positions) < len(classes) {
		i, err := src.intn(len(p))
		if err != nil {
			return err
		}
		if !containsInt(positions, i) {
			positions = append(positions, i)
		}
	}
	for k, class := range classes {
		c, err := src.pick(class)
		if err != nil {
			return err
		}
		p[positions[k]] = c
	}
	return nil
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// source hands out uniform random numbers from buffered reads of r.
type source struct {
	r   io.Reader
	buf []byte
	off int // next unread byte; len(buf) when empty
}

func newSource(r io.Reader, size int) *source {
	buf := make([]byte, size)
	return &source{r: r, buf: buf, off: len(buf)}
}

func (s *source) uint32() (uint32, error) {
	if s.off+4 > len(s.buf) {
		if _, err := io.ReadFull(s.r, s.buf); err != nil {
			return 0, err
		}
		s.off = 0
	}
	b := s.buf[s.off : s.off+4]
	s.off += 4
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, nil
}

// intn returns a uniform integer in [0, n), 0 < n < 2^32, by rejection:
// the 2^32 mod n lowest draws are thrown away so that every residue is
// equally likely.
func (s *source) intn(n int) (int, error) {
	bound := uint32(n)
	threshold := -bound % bound // 2^32 mod n
	for {
		v, err := s.uint32()
		if err != nil {
			return 0, err
		}
		if v >= threshold {
			return int(v % bound), nil
		}
	}
}

func (s *source) pick(set string) (byte, error) {
	i, err := s.intn(len(set))
	if err != nil {
		return 0, err
	}
	return set[i], nil
}

// wipe clears the random bytes, from which the password could be rebuilt.
func (s *source) wipe() { clear(s.buf) }
