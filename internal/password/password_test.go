package password

import (
	"bytes"
	"crypto/rand"
	"errors"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func classOf(c byte) string {
	switch {
	case strings.IndexByte(Uppercase, c) >= 0:
		return "uppercase"
	case strings.IndexByte(Lowercase, c) >= 0:
		return "lowercase"
	case strings.IndexByte(Numbers, c) >= 0:
		return "number"
	case strings.IndexByte(Punctuation, c) >= 0:
		return "punctuation"
	case c == ' ':
		return "space"
	}
	return "other"
}

func TestCharacterSets(t *testing.T) {
	t.Parallel()
	// The punctuation AWS documents: every printable ASCII character that is
	// not a letter, a digit or a space.
	var want []byte
	for c := byte('!'); c <= '~'; c++ {
		if classOf(c) != "uppercase" && classOf(c) != "lowercase" && classOf(c) != "number" {
			want = append(want, c)
		}
	}
	if Punctuation != string(want) || len(Punctuation) != 32 {
		t.Errorf("Punctuation = %q (%d), want %q (32)", Punctuation, len(Punctuation), want)
	}
	if Punctuation != `!"#$%&'()*+,-./:;<=>?@[\]^_`+"`"+`{|}~` {
		t.Errorf("Punctuation = %q, want the set in the GetRandomPassword reference", Punctuation)
	}
}

// draw generates n passwords and fails the test on error.
func draw(t *testing.T, opts Options, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		p, err := Generate(opts)
		if err != nil {
			t.Fatalf("Generate(%+v) = %v", opts, err)
		}
		out[i] = p
	}
	return out
}

func TestGenerateOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      Options
		length    int
		allowed   string // every character that may appear
		required  []string
		forbidden string
	}{
		{
			name:     "the zero options give 32 characters of every class, each required",
			opts:     Options{},
			length:   32,
			allowed:  Uppercase + Lowercase + Numbers + Punctuation,
			required: []string{"uppercase", "lowercase", "number", "punctuation"},
		},
		{name: "a length of one is allowed without requirements", opts: Options{Length: 1, RequireEachIncludedType: new(false)}, length: 1, allowed: Uppercase + Lowercase + Numbers + Punctuation},
		{name: "the maximum length is allowed", opts: Options{Length: 4096}, length: 4096, allowed: Uppercase + Lowercase + Numbers + Punctuation, required: []string{"uppercase", "lowercase", "number", "punctuation"}},
		{name: "numbers can be excluded", opts: Options{ExcludeNumbers: true}, length: 32, allowed: Uppercase + Lowercase + Punctuation, required: []string{"uppercase", "lowercase", "punctuation"}, forbidden: Numbers},
		{name: "punctuation can be excluded", opts: Options{ExcludePunctuation: true}, length: 32, allowed: Uppercase + Lowercase + Numbers, required: []string{"uppercase", "lowercase", "number"}, forbidden: Punctuation},
		{name: "uppercase can be excluded", opts: Options{ExcludeUppercase: true}, length: 32, allowed: Lowercase + Numbers + Punctuation, required: []string{"lowercase", "number", "punctuation"}, forbidden: Uppercase},
		{name: "lowercase can be excluded", opts: Options{ExcludeLowercase: true}, length: 32, allowed: Uppercase + Numbers + Punctuation, required: []string{"uppercase", "number", "punctuation"}, forbidden: Lowercase},
		{name: "only numbers remain when the rest is excluded", opts: Options{Length: 12, ExcludeUppercase: true, ExcludeLowercase: true, ExcludePunctuation: true}, length: 12, allowed: Numbers, required: []string{"number"}},
		{name: "a space is admitted but not required", opts: Options{IncludeSpace: true, Length: 64}, length: 64, allowed: Uppercase + Lowercase + Numbers + Punctuation + " ", required: []string{"uppercase", "lowercase", "number", "punctuation"}},
		{name: "a space is excluded by ExcludeCharacters", opts: Options{IncludeSpace: true, ExcludeCharacters: " "}, length: 32, allowed: Uppercase + Lowercase + Numbers + Punctuation, forbidden: " "},
		{name: "a space alone is a valid pool", opts: Options{Length: 3, IncludeSpace: true, ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true}, length: 3, allowed: " "},
		{
			name:      "characters named in ExcludeCharacters never appear",
			opts:      Options{Length: 64, ExcludeCharacters: `/@"'\` + "`" + `0Oo1lI`},
			length:    64,
			allowed:   "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!#$%&()*+,-.:;<=>?[]^_{|}~",
			required:  []string{"uppercase", "lowercase", "number", "punctuation"},
			forbidden: `/@"'\` + "`" + `0Oo1lI`,
		},
		{name: "excluding all but one digit keeps that digit required", opts: Options{Length: 8, ExcludeCharacters: "012345678"}, length: 8, allowed: Uppercase + Lowercase + "9" + Punctuation, required: []string{"uppercase", "lowercase", "number", "punctuation"}, forbidden: "012345678"},
		{name: "a class emptied by ExcludeCharacters is dropped when nothing is required", opts: Options{ExcludeCharacters: Numbers, RequireEachIncludedType: new(false)}, length: 32, allowed: Uppercase + Lowercase + Punctuation, forbidden: Numbers},
		{name: "characters outside every class in ExcludeCharacters are ignored", opts: Options{ExcludeCharacters: "é€\n"}, length: 32, allowed: Uppercase + Lowercase + Numbers + Punctuation, required: []string{"uppercase", "lowercase", "number", "punctuation"}},
		{name: "as many characters as required types is enough", opts: Options{Length: 4}, length: 4, allowed: Uppercase + Lowercase + Numbers + Punctuation, required: []string{"uppercase", "lowercase", "number", "punctuation"}},
		{name: "a single character of each of three one-character classes is enough", opts: Options{Length: 4, IncludeSpace: true, ExcludeCharacters: Uppercase[1:] + Lowercase[1:] + Numbers[1:]}, length: 4, allowed: "Aa0 " + Punctuation, required: []string{"uppercase", "lowercase", "number", "punctuation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := make(map[byte]bool)
			for _, p := range draw(t, tt.opts, 300) {
				if len(p) != tt.length {
					t.Fatalf("Generate(%+v) = %d characters, want %d", tt.opts, len(p), tt.length)
				}
				classes := make(map[string]bool)
				for i := range len(p) {
					c := p[i]
					if strings.IndexByte(tt.allowed, c) < 0 || strings.IndexByte(tt.forbidden, c) >= 0 {
						t.Fatalf("Generate(%+v) = %q, holds %q, which is not allowed", tt.opts, p, c)
					}
					seen[c] = true
					classes[classOf(c)] = true
				}
				for _, class := range tt.required {
					if !classes[class] {
						t.Fatalf("Generate(%+v) = %q, has no %s character", tt.opts, p, class)
					}
				}
			}
			if tt.length >= 32 && len(seen) != len(tt.allowed) {
				t.Errorf("Generate(%+v) used %d of the %d allowed characters over 300 draws", tt.opts, len(seen), len(tt.allowed))
			}
		})
	}
}

func TestGenerateRefuses(t *testing.T) {
	t.Parallel()
	all := Uppercase + Lowercase + Numbers + Punctuation
	tests := []struct {
		name  string
		opts  Options
		err   error
		field string
	}{
		{name: "a negative length is refused", opts: Options{Length: -1}, err: ErrLength, field: "Length"},
		{name: "a length above 4096 is refused", opts: Options{Length: 4097}, err: ErrLength, field: "Length"},
		{name: "more than 4096 characters to exclude are refused", opts: Options{ExcludeCharacters: strings.Repeat("a", 4097)}, err: ErrExcludeCharactersTooLong, field: "ExcludeCharacters"},
		{name: "excluding every class leaves nothing", opts: Options{ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true}, err: ErrAllExcluded, field: "ExcludeCharacters"},
		{name: "excluding every character leaves nothing when nothing is required", opts: Options{ExcludeCharacters: all, RequireEachIncludedType: new(false)}, err: ErrAllExcluded, field: "ExcludeCharacters"},
		{name: "excluding every character of a required class is refused", opts: Options{ExcludeCharacters: Numbers}, err: ErrTypeExcluded, field: "ExcludeCharacters"},
		{name: "excluding every punctuation character is refused while it is required", opts: Options{ExcludeCharacters: Punctuation, IncludeSpace: true}, err: ErrTypeExcluded, field: "ExcludeCharacters"},
		{name: "fewer characters than required types are refused", opts: Options{Length: 3}, err: ErrTooShort, field: "Length"},
		{name: "one character cannot hold two required types", opts: Options{Length: 1, ExcludeUppercase: true, ExcludeLowercase: true}, err: ErrTooShort, field: "Length"},
		{name: "a space excluded by ExcludeCharacters leaves nothing", opts: Options{IncludeSpace: true, ExcludeCharacters: " ", ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true}, err: ErrAllExcluded, field: "ExcludeCharacters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Generate(tt.opts)
			if p != "" || !errors.Is(err, tt.err) {
				t.Fatalf("Generate(%+v) = %q, %v; want %v", tt.opts, p, err, tt.err)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Field != tt.field || e.Reason == "" {
				t.Errorf("Generate(%+v) error = %#v, want *Error with Field %q and a Reason", tt.opts, err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "password: "+tt.field+": ") {
				t.Errorf("Generate(%+v) error text = %q", tt.opts, err)
			}
		})
	}
}

func TestRequiredTypesFallAtRandomPositions(t *testing.T) {
	t.Parallel()
	// With four characters and four required classes every password is a
	// permutation of the classes; each class must reach every position.
	at := make(map[[2]string]bool) // {position, class}
	for _, p := range draw(t, Options{Length: 4}, 2000) {
		for i := range len(p) {
			at[[2]string{strconv.Itoa(i), classOf(p[i])}] = true
		}
	}
	for i := range 4 {
		for _, class := range []string{"uppercase", "lowercase", "number", "punctuation"} {
			if !at[[2]string{strconv.Itoa(i), class}] {
				t.Errorf("no %s character at position %d in 2000 passwords of length 4", class, i)
			}
		}
	}
}

func TestGenerateIsRoughlyUniform(t *testing.T) {
	t.Parallel()
	// 3,000 passwords of 32 characters give about 1,000 draws of each of the
	// 94 characters (standard deviation about 32). A ±30% band catches
	// modulo bias (which would favour some characters by half) without
	// flaking.
	const n = 3000
	counts := make(map[byte]int)
	for _, p := range draw(t, Options{}, n) {
		for i := range len(p) {
			counts[p[i]]++
		}
	}
	all := Uppercase + Lowercase + Numbers + Punctuation
	mean := float64(n*DefaultLength) / float64(len(all))
	for i := range len(all) {
		got := float64(counts[all[i]])
		if got < 0.7*mean || got > 1.3*mean {
			t.Errorf("character %q drawn %v times, want about %.0f", all[i], got, mean)
		}
	}
	if len(counts) != len(all) {
		t.Errorf("drew %d distinct characters, want %d", len(counts), len(all))
	}
}

func TestGenerateDiffers(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for _, p := range draw(t, Options{}, 1000) {
		if seen[p] {
			t.Fatalf("Generate returned %q twice", p)
		}
		seen[p] = true
	}
}

func TestIntnRejectsBiasedDraws(t *testing.T) {
	t.Parallel()
	// For n = 3, 2^32 mod 3 = 1: the draw 0 must be thrown away and the
	// next one, 4, used (4 mod 3 = 1). A plain modulo would return 0.
	src := newSource(bytes.NewReader([]byte{0, 0, 0, 0, 4, 0, 0, 0}), 8)
	got, err := src.intn(3)
	if err != nil || got != 1 {
		t.Errorf("intn(3) = %d, %v; want 1, nil", got, err)
	}
	// The largest draw is kept.
	src = newSource(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}), 4)
	if got, err := src.intn(3); err != nil || got != int(uint32(0xffffffff)%3) {
		t.Errorf("intn(3) on 2^32-1 = %d, %v; want %d", got, err, uint32(0xffffffff)%3)
	}
}

func TestGenerateReportsRandomFailure(t *testing.T) {
	t.Parallel()
	p, err := generate(Options{}, bytes.NewReader(nil))
	if p != "" || err == nil {
		t.Errorf("generate with an empty reader = %q, %v; want an error", p, err)
	}
}

func TestPlaceFallback(t *testing.T) {
	t.Parallel()
	// The fallback after maxAttempts: one character of each class at
	// distinct positions, whatever the draw held.
	classes := []string{"A", "b", "7", "!"}
	for range 200 {
		p := []byte("xxxx")
		if err := place(p, classes, newSource(rand.Reader, 64)); err != nil {
			t.Fatal(err)
		}
		if !containsEach(p, classes) {
			t.Fatalf("place = %q, want one of each of %q", p, classes)
		}
	}
}

// TestImports holds the rule in doc.go: password imports no other Coffer
// package, and no math/rand.
func TestImports(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if name == "doc.go" && (f.Doc == nil || !strings.HasPrefix(f.Doc.Text(), "Package password ")) {
			t.Errorf("doc.go has no package comment starting %q", "Package password ")
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/coffer-dev/coffer/") || strings.HasPrefix(path, "math/rand") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"default", Options{}},
		{"length=4", Options{Length: 4}},
		{"length=4096", Options{Length: MaxLength}},
		{"sparse classes", Options{Length: 4, IncludeSpace: true, ExcludeCharacters: Uppercase[1:] + Lowercase[1:] + Numbers[1:]}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
