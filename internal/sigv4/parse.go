package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"

	// maxExpires is the longest X-Amz-Expires AWS accepts: one week.
	maxExpires = 7 * 24 * time.Hour
)

// authorization holds the parameters of a SigV4 Authorization header or of
// presigned query parameters. Every field is a substring of the request.
type authorization struct {
	algorithm     string
	credential    string // AKID/yyyymmdd/region/service/aws4_request
	signedHeaders string // semicolon-separated, as the client listed them
	signature     string // hex
}

// parseAuthorization splits an Authorization header value of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d67...
//
// into its parameters. It checks syntax and presence only: the algorithm,
// credential and signature are validated by the caller. haveDate says
// whether the request has an X-Amz-Date or Date header, so that every
// missing part is named in one message, as AWS does.
func parseAuthorization(h string, haveDate bool) (authorization, *Error) {
	var a authorization
	h = strings.TrimLeft(h, " \t")
	if !strings.HasPrefix(h, "AWS4-") {
		// Not SigV4 at all (Basic, Bearer, SigV2): AWS treats the request
		// as unsigned.
		return a, missingToken()
	}
	var params string
	a.algorithm, params, _ = strings.Cut(h, " ")
	var seenCredential, seenSignedHeaders, seenSignature bool
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ",")
		p = strings.Trim(p, " \t")
		if p == "" {
			continue
		}
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			return a, incomplete(msgNotKeyValue)
		}
		var seen *bool
		switch k {
		case "Credential":
			a.credential, seen = val, &seenCredential
		case "SignedHeaders":
			a.signedHeaders, seen = val, &seenSignedHeaders
		case "Signature":
			a.signature, seen = val, &seenSignature
		default:
			continue // AWS ignores parameters it does not know
		}
		if *seen {
			return a, incomplete(msgDuplicateParam)
		}
		*seen = true
	}
	// SignedHeaders may be present but empty here; the host check refuses
	// it later with a more precise message.
	if a.credential == "" || !seenSignedHeaders || a.signature == "" || !haveDate {
		var msg strings.Builder
		add := func(s string) {
			if msg.Len() > 0 {
				msg.WriteByte(' ')
			}
			msg.WriteString(s)
		}
		if a.credential == "" {
			add(msgRequiresCredential)
		}
		if a.signature == "" {
			add(msgRequiresSignature)
		}
		if !seenSignedHeaders {
			add(msgRequiresSignedHeaders)
		}
		if !haveDate {
			add(msgRequiresDate)
		}
		return a, incomplete(msg.String())
	}
	return a, nil
}

// scope is the parsed Credential parameter.
type scope struct {
	accessKeyID string
	date        string // yyyymmdd
	region      string
	service     string
	terminator  string
	str         string // date/region/service/terminator, as signed
}

// parseCredential splits AKID/date/region/service/terminator. Every element
// must be non-empty.
func parseCredential(c string) (scope, *Error) {
	var s scope
	var rest string
	var ok bool
	s.accessKeyID, rest, ok = strings.Cut(c, "/")
	if !ok {
		return s, incomplete(msgCredentialParts)
	}
	s.str = rest
	fields := [4]*string{&s.date, &s.region, &s.service, &s.terminator}
	for i, f := range fields {
		if i < len(fields)-1 {
			*f, rest, ok = strings.Cut(rest, "/")
			if !ok {
				return s, incomplete(msgCredentialParts)
			}
		} else {
			if strings.Contains(rest, "/") {
				return s, incomplete(msgCredentialParts)
			}
			*f = rest
		}
	}
	if s.accessKeyID == "" || s.date == "" || s.region == "" || s.service == "" || s.terminator == "" {
		return s, incomplete(msgCredentialParts)
	}
	return s, nil
}

// parseAmzDate parses the ISO 8601 basic format SigV4 signs,
// 20060102T150405Z, without allocating.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(4, 2)
	day, ok3 := num(6, 2)
	hour, ok4 := num(9, 2)
	minute, ok5 := num(11, 2)
	sec, ok6 := num(13, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}

// requestDate returns the signing time of a header-signed request and the
// form it takes in the string to sign. X-Amz-Date wins over Date; Date may
// also be an HTTP date (RFC 1123 and the other forms net/http accepts).
func requestDate(h http.Header) (t time.Time, amzDate string, present bool, err *Error) {
	if v := h["X-Amz-Date"]; len(v) > 0 {
		t, ok := parseAmzDate(v[0])
		if !ok {
			return t, "", true, incomplete(msgBadDate)
		}
		return t, v[0], true, nil
	}
	v := h["Date"]
	if len(v) == 0 {
		return time.Time{}, "", false, nil
	}
	if t, ok := parseAmzDate(v[0]); ok {
		return t, v[0], true, nil
	}
	t, perr := http.ParseTime(v[0])
	if perr != nil {
		return time.Time{}, "", true, incomplete(msgBadDate)
	}
	t = t.UTC()
	return t, t.Format(amzDateLayout), true, nil
}

// presigned holds the X-Amz-* query parameters of a presigned request.
type presigned struct {
	authorization
	amzDate      string
	expires      time.Duration // 0 if X-Amz-Expires is absent
	sessionToken string
}

// hasQueryAuth reports whether the raw query has an X-Amz-Algorithm
// parameter, which marks a presigned request.
func hasQueryAuth(rawQuery string) bool {
	for rawQuery != "" {
		var p string
		p, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, _, _ := strings.Cut(p, "=")
		if k == "X-Amz-Algorithm" {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if uk, err := url.QueryUnescape(k); err == nil && uk == "X-Amz-Algorithm" {
				return true
			}
		}
	}
	return false
}

// parsePresigned reads the presigned query parameters, naming every missing
// one in a single message as AWS does.
func parsePresigned(rawQuery string) (presigned, *Error) {
	var p presigned
	q, _ := url.ParseQuery(rawQuery) // pairs that do not parse are not signed either
	required := [...]struct {
		name string
		dst  *string
	}{
		{"X-Amz-Algorithm", &p.algorithm},
		{"X-Amz-Credential", &p.credential},
		{"X-Amz-Signature", &p.signature},
		{"X-Amz-SignedHeaders", &p.signedHeaders},
		{"X-Amz-Date", &p.amzDate},
	}
	var msg strings.Builder
	for _, r := range required {
		v, ok := q[r.name]
		if !ok || len(v) != 1 || v[0] == "" {
			msg.WriteString(strings.Replace(msgQueryRequires, "%s", r.name, 1))
			continue
		}
		*r.dst = v[0]
	}
	if msg.Len() > 0 {
		msg.WriteString(msgQueryReexam)
		return p, incomplete(msg.String())
	}
	if v, ok := q["X-Amz-Expires"]; ok {
		n, err := strconv.Atoi(strings.Join(v, ","))
		if err != nil || n < 1 || time.Duration(n)*time.Second > maxExpires {
			return p, incomplete(msgBadExpires)
		}
		p.expires = time.Duration(n) * time.Second
	}
	if v := q["X-Amz-Security-Token"]; len(v) > 0 {
		p.sessionToken = v[0]
	}
	return p, nil
}

// hasSignedHeader reports whether the semicolon-separated list names h,
// ignoring case as AWS does for this check.
func hasSignedHeader(list, h string) bool {
	for list != "" {
		var name string
		name, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}
