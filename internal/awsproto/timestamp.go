package awsproto

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a time on the JSON 1.1 wire: seconds since the Unix epoch as
// a JSON number with millisecond precision.
//
// It is written the way AWS's Java front end writes the double, which is
// what the API reference's sample responses show
// ("CreatedDate":1.523477145713E9): scientific notation from 10^7 seconds
// on, plain decimal with at least one fraction digit below. Every SDK reads
// it as a number; the spelling only matters to golden files.
type Timestamp time.Time

// Time returns t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// MarshalJSON writes t truncated to the millisecond, e.g. 1.523477145713E9.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return appendEpochSeconds(nil, time.Time(t).UnixMilli()), nil
}

// UnmarshalJSON reads epoch seconds as a JSON number (kept to the
// microsecond) and, leniently, an RFC 3339 string. null leaves t unchanged.
func (t *Timestamp) UnmarshalJSON(data []byte) error {
	if len(data) == 0 {
		return serializationError("")
	}
	switch c := data[0]; {
	case c == 'n' && string(data) == "null":
		return nil
	case c == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return serializationError("")
		}
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return serializationError("STRING_VALUE can not be converted to a Timestamp")
		}
		*t = Timestamp(v)
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		us, ok := parseEpochMicros(string(data))
		if !ok {
			return serializationError("NUMBER_VALUE can not be converted to a Timestamp")
		}
		*t = Timestamp(time.UnixMicro(us))
		return nil
	default:
		return serializationError(mismatchMessage(c, "a Timestamp"))
	}
}

// parseEpochMicros reads a JSON number of seconds as whole microseconds,
// truncating toward zero. It works on the decimal digits rather than a
// float64, which cannot hold every microsecond of a modern date. ok is false
// for a malformed number or one beyond int64 microseconds (about 292,000
// years either side of 1970).
func parseEpochMicros(lit string) (us int64, ok bool) {
	neg := strings.HasPrefix(lit, "-")
	lit = strings.TrimPrefix(lit, "-")
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(lit), "e")
	whole, frac, hasDot := strings.Cut(mantissa, ".")
	if whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	shift := 6 - len(frac) // digits × 10^shift is the value in microseconds
	if hasExp {
		e, err := strconv.Atoi(exp)
		if err != nil || e < -1000 || e > 1000 {
			return 0, false
		}
		shift += e
	}
	digits := strings.TrimLeft(whole+frac, "0")
	switch {
	case digits == "":
		return 0, true
	case shift >= 0:
		if len(digits)+shift > 19 {
			return 0, false
		}
		digits += strings.Repeat("0", shift)
	case -shift >= len(digits):
		return 0, true // under a microsecond
	default:
		digits = digits[:len(digits)+shift]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// appendEpochSeconds appends ms/1000 as Java's Double.toString spells it.
// Working from the integer keeps every millisecond digit exact.
func appendEpochSeconds(b []byte, ms int64) []byte {
	if ms == 0 {
		return append(b, "0.0"...)
	}
	u := uint64(ms)
	if ms < 0 {
		b = append(b, '-')
		u = -u
	}
	if u < 1e10 { // below 10^7 seconds: plain decimal
		b = strconv.AppendUint(b, u/1000, 10)
		b = append(b, '.')
		frac := []byte{byte('0' + u/100%10), byte('0' + u/10%10), byte('0' + u%10)}
		for len(frac) > 1 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		return append(b, frac...)
	}
	digits := strconv.AppendUint(nil, u, 10)
	exp := len(digits) - 1 - 3
	for len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	b = append(b, digits[0], '.')
	if len(digits) == 1 {
		b = append(b, '0')
	} else {
		b = append(b, digits[1:]...)
	}
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(exp), 10)
}
