package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// appendCanonicalRequest appends the SigV4 canonical request of r to buf:
//
//	method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
//
// It follows the rules the AWS SDKs apply for services other than S3, and
// reads every value from the request as it came over the wire.
func appendCanonicalRequest(buf []byte, r *http.Request, signedHeaders string, dropSignature bool, payloadHash []byte) []byte {
	buf = append(buf, r.Method...)
	buf = append(buf, '\n')
	buf = appendCanonicalURI(buf, wirePath(r))
	buf = append(buf, '\n')
	buf = appendCanonicalQuery(buf, r.URL.RawQuery, dropSignature)
	buf = append(buf, '\n')
	buf = appendCanonicalHeaders(buf, r, signedHeaders)
	buf = append(buf, '\n')
	buf = append(buf, signedHeaders...)
	buf = append(buf, '\n')
	buf = append(buf, payloadHash...)
	return buf
}

// wirePath returns the path exactly as the client sent it, still escaped.
// A server request keeps it in RequestURI; a request built in process (or an
// absolute-form request line) has only the parsed URL.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	return r.URL.EscapedPath()
}

// appendCanonicalURI escapes every byte of the wire path except unreserved
// characters and '/', as the SDKs do for non-S3 services. A '%' that the
// client already used for escaping is therefore escaped again, to "%25".
func appendCanonicalURI(buf []byte, path string) []byte {
	if path == "" {
		return append(buf, '/')
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || unreserved(c) {
			buf = append(buf, c)
		} else {
			buf = append(buf, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return buf
}

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is in RFC 3986's unreserved set.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendQueryComponent URI-encodes s per RFC 3986: every byte outside the
// unreserved set becomes %XX with upper-case hex (so a space is %20).
func appendQueryComponent(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			buf = append(buf, c)
		} else {
			buf = append(buf, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return buf
}

// appendCanonicalQuery decodes the raw query the way net/url does (so that
// the pairs the SDK saw are the pairs we see), re-encodes each name and
// value per RFC 3986, and sorts by encoded name, then encoded value.
// X-Amz-Signature is left out of a presigned request's canonical query.
func appendCanonicalQuery(buf []byte, rawQuery string, dropSignature bool) []byte {
	if rawQuery == "" {
		return buf
	}
	type pair struct{ k, v string }
	var pairs []pair
	for rawQuery != "" {
		var p string
		p, rawQuery, _ = strings.Cut(rawQuery, "&")
		if p == "" || strings.Contains(p, ";") {
			continue // url.ParseQuery drops these, so the signer never saw them
		}
		k, v, _ := strings.Cut(p, "=")
		k, err := url.QueryUnescape(k)
		if err != nil || k == "" {
			continue
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			continue
		}
		if dropSignature && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{
			string(appendQueryComponent(nil, k)),
			string(appendQueryComponent(nil, v)),
		})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			buf = append(buf, '&')
		}
		buf = append(buf, p.k...)
		buf = append(buf, '=')
		buf = append(buf, p.v...)
	}
	return buf
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in
// the order the client listed them. Values are trimmed, runs of spaces
// collapse to one, and repeated headers are joined with commas. A signed
// header the request lacks is written with an empty value, which makes the
// signature fail to match.
func appendCanonicalHeaders(buf []byte, r *http.Request, signedHeaders string) []byte {
	for list := signedHeaders; list != ""; {
		var name string
		name, list, _ = strings.Cut(list, ";")
		buf = append(buf, name...)
		buf = append(buf, ':')
		switch {
		case strings.EqualFold(name, "host"):
			// net/http moves Host out of the header map.
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			buf = appendHeaderValue(buf, host)
		case strings.EqualFold(name, "content-length") && len(headerValues(r.Header, name)) == 0:
			// A request built in process keeps its length in ContentLength
			// only; a server request also has the header.
			if r.ContentLength >= 0 {
				buf = strconv.AppendInt(buf, r.ContentLength, 10)
			}
		default:
			for i, v := range headerValues(r.Header, name) {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendHeaderValue(buf, v)
			}
		}
		buf = append(buf, '\n')
	}
	return buf
}

// appendHeaderValue appends v without leading or trailing white space and
// with each run of spaces collapsed to one.
func appendHeaderValue(buf []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		buf = append(buf, c)
	}
	return buf
}

// headerValues looks up a header by its lower-case signed name without
// allocating: the canonical form is built on the stack, as
// textproto.CanonicalMIMEHeaderKey would build it.
func headerValues(h http.Header, name string) []string {
	var key [64]byte
	if len(name) <= len(key) && canonicalizable(name) {
		k := key[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(k)]; ok {
			return v
		}
	}
	// Names net/http does not canonicalize are stored as received.
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// canonicalizable reports whether net/textproto would canonicalize name,
// that is, whether every byte is an HTTP token character.
func canonicalizable(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
