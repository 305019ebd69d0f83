package awsproto

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The messages AWS's JSON front end gives when a member has the wrong JSON
// type. They were captured from live JSON 1.1 services (Athena, SQS,
// CodeDeploy, SES) by other emulators' authors; Secrets Manager runs on the
// same front end. Coral spells the Boolean case "an Boolean" for a string
// and "a Boolean" for a number; both are kept as sent.
const (
	msgStartList      = "Start of list found where not expected"
	msgStartStructure = "Start of structure or map found where not expected."
	msgExpectedList   = "Expected list or null"
	msgExpectedNull   = "Expected null"
)

// Decode reads a JSON 1.1 request body into v, which must be a non-nil
// pointer (typically to a wire struct with json tags). It behaves like
// AWS's front end:
//
//   - An empty or all-whitespace body is read as {} (AWS refuses it; the
//     SDKs always send at least {}, and curl users are spared a puzzle).
//   - A body that is not valid UTF-8 and well-formed JSON, that holds more
//     than one value, or whose value is not an object is refused with a
//     SerializationException without Message; a top-level array gets
//     "Start of list found where not expected".
//   - A member of the wrong JSON type is refused with the message AWS gives
//     for that pair of types, e.g. "NUMBER_VALUE can not be converted to a
//     String"; Error.Field names the member for the log.
//   - Member names match exactly; unknown members are skipped, so newer
//     SDKs keep working. null is the same as absent, in lists and maps too.
//     When a member repeats, the last one wins.
//   - A number with a fraction is truncated toward zero for an integer
//     member, as AWS does; one outside the member's range is refused.
//   - []byte members take a base64 string, as blobs do on the wire.
//
// Decode panics if v is not a non-nil pointer or holds a type it cannot
// fill (channels, functions, complex numbers, non-empty interfaces).
func Decode(body []byte, v any) *Error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("awsproto: Decode needs a non-nil pointer, got %T", v))
	}
	start := skipSpace(body, 0)
	if start == len(body) {
		return nil
	}
	if !utf8.Valid(body) || !json.Valid(body) {
		return serializationError("")
	}
	switch body[start] {
	case '{':
	case '[':
		return serializationError(msgStartList)
	default:
		return serializationError("")
	}
	d := decoder{data: body, off: start}
	return d.value(rv.Elem(), true)
}

// decoder walks a body already known to be one valid JSON object in valid
// UTF-8, so it never checks syntax.
type decoder struct {
	data []byte
	off  int
	path []pathElem // members and indexes leading to the current value
}

type pathElem struct {
	name    string // member or map key
	index   int    // list index, when isIndex
	isIndex bool
}

func (d *decoder) fail(msg string) *Error {
	e := serializationError(msg)
	e.Field = d.pathString()
	return e
}

func (d *decoder) pathString() string {
	var b strings.Builder
	for i, p := range d.path {
		switch {
		case p.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p.index))
			b.WriteByte(']')
		case i > 0:
			b.WriteByte('.')
			fallthrough
		default:
			b.WriteString(p.name)
		}
	}
	return b.String()
}

// value decodes the value at d.off into rv. top is true only for the body
// itself, whose fields keep any defaults the caller set.
func (d *decoder) value(rv reflect.Value, top bool) *Error {
	d.off = skipSpace(d.data, d.off)
	c := d.data[d.off]
	if c == 'n' { // null: the member is absent
		d.off += len("null")
		rv.SetZero()
		return nil
	}
	t := rv.Type()
	if t.Kind() == reflect.Pointer {
		p := reflect.New(t.Elem())
		if err := d.value(p.Elem(), false); err != nil {
			return err
		}
		rv.Set(p)
		return nil
	}
	if implementsUnmarshaler(t) {
		return d.unmarshaler(rv)
	}
	switch t.Kind() {
	case reflect.String:
		if c != '"' {
			return d.mismatch(c, "a String")
		}
		rv.SetString(d.readString())
	case reflect.Bool:
		switch c {
		case 't':
			rv.SetBool(true)
			d.off += len("true")
		case 'f':
			rv.SetBool(false)
			d.off += len("false")
		case '"':
			return d.fail("STRING_VALUE can not be converted to an Boolean")
		default:
			return d.mismatch(c, "a Boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return d.integer(rv, c)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return d.unsigned(rv, c)
	case reflect.Float32, reflect.Float64:
		name := "a Double"
		if t.Kind() == reflect.Float32 {
			name = "a Float"
		}
		if !isNumberStart(c) {
			return d.mismatch(c, name)
		}
		f, err := strconv.ParseFloat(d.readLiteral(), t.Bits())
		if err != nil {
			return d.fail("NUMBER_VALUE can not be converted to " + name)
		}
		rv.SetFloat(f)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return d.blob(rv, c)
		}
		return d.list(rv, c)
	case reflect.Map:
		return d.mapValue(rv, c)
	case reflect.Struct:
		return d.structValue(rv, c, top)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			panic("awsproto: cannot decode into " + t.String())
		}
		var x any
		_ = json.Unmarshal(d.rawValue(), &x) // the body is known to be valid
		rv.Set(reflect.ValueOf(&x).Elem())
	default:
		panic("awsproto: cannot decode into " + t.String())
	}
	return nil
}

// mismatch reports a value whose JSON type cannot fill a member of the
// named type ("a String", "an Integer", ...).
func (d *decoder) mismatch(c byte, target string) *Error {
	return d.fail(mismatchMessage(c, target))
}

// mismatchMessage is AWS's message for a JSON value starting with c where a
// member of the named type ("a String", "an Integer", ...) was expected.
func mismatchMessage(c byte, target string) string {
	var token string
	switch c {
	case '[':
		return msgStartList
	case '{':
		return msgStartStructure
	case '"':
		token = "STRING_VALUE"
	case 't':
		token = "TRUE_VALUE"
	case 'f':
		token = "FALSE_VALUE"
	default:
		token = "NUMBER_VALUE"
	}
	return token + " can not be converted to " + target
}

func integerName(k reflect.Kind) string {
	if k == reflect.Int64 || k == reflect.Uint64 || k == reflect.Int || k == reflect.Uint || k == reflect.Uintptr {
		return "a Long"
	}
	return "an Integer"
}

func (d *decoder) integer(rv reflect.Value, c byte) *Error {
	name := integerName(rv.Kind())
	if !isNumberStart(c) {
		return d.mismatch(c, name)
	}
	lit := d.readLiteral()
	bits := rv.Type().Bits()
	n, err := strconv.ParseInt(lit, 10, bits)
	if err != nil {
		// A fraction or exponent: AWS truncates toward zero.
		f, ferr := strconv.ParseFloat(lit, 64)
		limit := math.Ldexp(1, bits-1)
		if ferr != nil || !strings.ContainsAny(lit, ".eE") || math.Trunc(f) < -limit || math.Trunc(f) >= limit {
			return d.fail("NUMBER_VALUE can not be converted to " + name)
		}
		n = int64(math.Trunc(f))
	}
	rv.SetInt(n)
	return nil
}

func (d *decoder) unsigned(rv reflect.Value, c byte) *Error {
	name := integerName(rv.Kind())
	if !isNumberStart(c) {
		return d.mismatch(c, name)
	}
	lit := d.readLiteral()
	bits := rv.Type().Bits()
	n, err := strconv.ParseUint(lit, 10, bits)
	if err != nil {
		f, ferr := strconv.ParseFloat(lit, 64)
		limit := math.Ldexp(1, bits)
		if ferr != nil || !strings.ContainsAny(lit, ".eE") || math.Trunc(f) < 0 || math.Trunc(f) >= limit {
			return d.fail("NUMBER_VALUE can not be converted to " + name)
		}
		n = uint64(math.Trunc(f))
	}
	rv.SetUint(n)
	return nil
}

func (d *decoder) blob(rv reflect.Value, c byte) *Error {
	if c != '"' {
		return d.mismatch(c, "a Blob")
	}
	b, err := base64.StdEncoding.DecodeString(d.readString())
	if err != nil {
		return d.fail("Base64 encoded value is not valid")
	}
	rv.SetBytes(b)
	return nil
}

func (d *decoder) list(rv reflect.Value, c byte) *Error {
	if c != '[' {
		return d.fail(msgExpectedList)
	}
	d.off++ // [
	s := reflect.MakeSlice(rv.Type(), 0, 0)
	for i := 0; ; i++ {
		d.off = skipSpace(d.data, d.off)
		if d.data[d.off] == ']' {
			d.off++
			break
		}
		if d.data[d.off] == 'n' { // null elements are dropped
			d.off += len("null")
		} else {
			elem := reflect.New(rv.Type().Elem()).Elem()
			d.path = append(d.path, pathElem{index: i, isIndex: true})
			if err := d.value(elem, false); err != nil {
				return err
			}
			d.path = d.path[:len(d.path)-1]
			s = reflect.Append(s, elem)
		}
		d.off = skipSpace(d.data, d.off)
		if d.data[d.off] == ',' {
			d.off++
		}
	}
	rv.Set(s)
	return nil
}

func (d *decoder) mapValue(rv reflect.Value, c byte) *Error {
	t := rv.Type()
	if t.Key().Kind() != reflect.String {
		panic("awsproto: cannot decode into " + t.String())
	}
	switch c {
	case '{':
	case '[':
		return d.fail(msgStartList)
	default:
		return d.fail(msgExpectedNull)
	}
	m := reflect.MakeMap(t)
	err := d.object(func(key []byte) *Error {
		d.off = skipSpace(d.data, d.off)
		if d.data[d.off] == 'n' { // null values are dropped
			d.off += len("null")
			return nil
		}
		k := string(key)
		elem := reflect.New(t.Elem()).Elem()
		d.path = append(d.path, pathElem{name: k})
		if err := d.value(elem, false); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), elem)
		return nil
	})
	if err != nil {
		return err
	}
	rv.Set(m)
	return nil
}

func (d *decoder) structValue(rv reflect.Value, c byte, top bool) *Error {
	switch c {
	case '{':
	case '[':
		return d.fail(msgStartList)
	default:
		return d.fail(msgExpectedNull)
	}
	if !top {
		rv.SetZero() // a repeated member replaces, it does not merge
	}
	fields := cachedFields(rv.Type())
	return d.object(func(key []byte) *Error {
		f, ok := fields[string(key)]
		if !ok {
			d.skip()
			return nil
		}
		d.path = append(d.path, pathElem{name: f.name})
		if err := d.value(fieldByIndex(rv, f.index), false); err != nil {
			return err
		}
		d.path = d.path[:len(d.path)-1]
		return nil
	})
}

// object iterates over the members of the object at d.off, calling member
// with each key (valid until the next call) and d.off at the value, which
// member must consume.
func (d *decoder) object(member func(key []byte) *Error) *Error {
	d.off++ // {
	var scratch []byte
	for {
		d.off = skipSpace(d.data, d.off)
		if d.data[d.off] == '}' {
			d.off++
			return nil
		}
		var key []byte
		key, scratch = d.readKey(scratch)
		d.off = skipSpace(d.data, d.off)
		d.off++ // :
		if err := member(key); err != nil {
			return err
		}
		d.off = skipSpace(d.data, d.off)
		if d.data[d.off] == ',' {
			d.off++
		}
	}
}

func (d *decoder) unmarshaler(rv reflect.Value) *Error {
	raw := d.rawValue()
	err := rv.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw)
	if err == nil {
		return nil
	}
	e, ok := err.(*Error)
	if !ok {
		return d.fail("")
	}
	out := *e
	out.Field = d.pathString()
	return &out
}

// readString returns the string at d.off and moves past it.
func (d *decoder) readString() string {
	start := d.off
	escaped := d.skipString()
	raw := d.data[start:d.off]
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	_ = json.Unmarshal(raw, &s) // known valid
	return s
}

// readKey is readString without allocating for keys without escapes.
func (d *decoder) readKey(scratch []byte) (key, newScratch []byte) {
	start := d.off
	escaped := d.skipString()
	raw := d.data[start:d.off]
	if !escaped {
		return raw[1 : len(raw)-1], scratch
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	scratch = append(scratch[:0], s...)
	return scratch, scratch
}

// skipString moves past the string at d.off and reports whether it holds
// escapes.
func (d *decoder) skipString() (escaped bool) {
	i := d.off + 1
	for {
		switch d.data[i] {
		case '"':
			d.off = i + 1
			return escaped
		case '\\':
			escaped = true
			i += 2
		default:
			i++
		}
	}
}

// readLiteral returns the number, true, false or null at d.off.
func (d *decoder) readLiteral() string {
	start := d.off
	for d.off < len(d.data) && isLiteralByte(d.data[d.off]) {
		d.off++
	}
	return string(d.data[start:d.off])
}

// rawValue returns the bytes of the value at d.off and moves past it.
func (d *decoder) rawValue() []byte {
	d.off = skipSpace(d.data, d.off)
	start := d.off
	d.skip()
	return d.data[start:d.off]
}

// skip moves past the value at d.off without recursion.
func (d *decoder) skip() {
	depth := 0
	for {
		d.off = skipSpace(d.data, d.off)
		switch d.data[d.off] {
		case '{', '[':
			depth++
			d.off++
		case '}', ']':
			depth--
			d.off++
		case ',', ':':
			d.off++
			continue
		case '"':
			d.skipString()
		default:
			d.readLiteral()
		}
		if depth == 0 {
			return
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isNumberStart(c byte) bool { return c == '-' || ('0' <= c && c <= '9') }

func isLiteralByte(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || c == '-' || c == '+' || c == '.' || c == 'E'
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

var unmarshalerCache sync.Map // reflect.Type -> bool

func implementsUnmarshaler(t reflect.Type) bool {
	if v, ok := unmarshalerCache.Load(t); ok {
		return v.(bool)
	}
	ok := reflect.PointerTo(t).Implements(unmarshalerType)
	unmarshalerCache.Store(t, ok)
	return ok
}

type field struct {
	name  string // JSON member name, for Error.Field
	index []int
}

var fieldCache sync.Map // reflect.Type -> map[string]field

// cachedFields maps the JSON member names of struct type t to its fields,
// following encoding/json's rules for tags and embedded structs.
func cachedFields(t reflect.Type) map[string]field {
	if v, ok := fieldCache.Load(t); ok {
		return v.(map[string]field)
	}
	type candidate struct {
		field
		depth  int
		tagged bool
	}
	byName := make(map[string][]candidate)
	walking := map[reflect.Type]bool{t: true}
	var walk func(t reflect.Type, index []int, depth int)
	walk = func(t reflect.Type, index []int, depth int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag, hasTag := sf.Tag.Lookup("json")
			name, _, _ := strings.Cut(tag, ",")
			if name == "-" && tag == "-" {
				continue
			}
			idx := append(index[:len(index):len(index)], i)
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				// Promote the embedded struct's members, unless it is an
				// unexported pointer, which reflection cannot allocate, or
				// a type already being walked (a cycle).
				if (sf.IsExported() || sf.Type.Kind() != reflect.Pointer) && !walking[ft] {
					walking[ft] = true
					walk(ft, idx, depth+1)
					delete(walking, ft)
				}
				continue
			}
			if !sf.IsExported() {
				continue
			}
			tagged := hasTag && name != ""
			if name == "" {
				name = sf.Name
			}
			byName[name] = append(byName[name], candidate{field{name, idx}, depth, tagged})
		}
	}
	walk(t, nil, 0)
	fields := make(map[string]field, len(byName))
	for name, cs := range byName {
		best := cs[0]
		ambiguous := false
		for _, c := range cs[1:] {
			switch {
			case c.depth < best.depth || (c.depth == best.depth && c.tagged && !best.tagged):
				best, ambiguous = c, false
			case c.depth == best.depth && c.tagged == best.tagged:
				ambiguous = true
			}
		}
		if !ambiguous {
			fields[name] = best.field
		}
	}
	v, _ := fieldCache.LoadOrStore(t, fields)
	return v.(map[string]field)
}

// fieldByIndex is reflect.Value.FieldByIndex that allocates nil embedded
// struct pointers on the way.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}
