package audit

import (
	"encoding/json"
	"strconv"
	"time"
)

// appendEvent appends e as JSON to dst: the same object json.Marshal
// makes of an Event (field names, omitempty), written without reflection
// because every API request pays for it (BenchmarkPrepareAndEncode).
// Parameters are written in name order. TestAppendEventMatchesMarshal
// holds the two encodings to the same meaning.
func appendEvent(dst []byte, e *Event) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, e.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, string(e.Type))
	dst = append(dst, `,"time":"`...)
	dst = e.Time.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	dst = appendField(dst, "request_id", e.RequestID)
	dst = append(dst, `,"principal":`...)
	dst = appendPrincipal(dst, &e.Principal)
	dst = appendField(dst, "source_ip", e.SourceIP)
	dst = appendField(dst, "user_agent", e.UserAgent)
	dst = appendField(dst, "region", e.Region)
	dst = append(dst, `,"service":`...)
	dst = appendString(dst, e.Service)
	dst = append(dst, `,"operation":`...)
	dst = appendString(dst, e.Operation)
	if len(e.Resources) > 0 {
		dst = append(dst, `,"resources":[`...)
		for i, r := range e.Resources {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"arn":`...)
			dst = appendString(dst, r.ARN)
			dst = appendField(dst, "type", r.Type)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = appendField(dst, "version_id", e.VersionID)
	dst = appendField(dst, "version_stage", e.VersionStage)
	dst = appendField(dst, "decision", string(e.Decision))
	dst = appendField(dst, "statement_id", e.StatementID)
	dst = appendField(dst, "error_code", e.ErrorCode)
	dst = appendField(dst, "error_message", e.ErrorMessage)
	if e.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(e.Status), 10)
	}
	if e.Latency != 0 {
		dst = append(dst, `,"latency_ns":`...)
		dst = strconv.AppendInt(dst, int64(e.Latency), 10)
	}
	if len(e.Params) > 0 {
		dst = append(dst, `,"params":{`...)
		for i, name := range sortedNames(e.Params) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, name)
			dst = append(dst, ':')
			dst = appendString(dst, e.Params[name])
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func appendPrincipal(dst []byte, p *Principal) []byte {
	dst = append(dst, '{')
	start := len(dst)
	dst = appendField(dst, "type", p.Type)
	dst = appendField(dst, "id", p.ID)
	dst = appendField(dst, "arn", p.ARN)
	dst = appendField(dst, "account", p.Account)
	dst = appendField(dst, "access_key_id", p.AccessKeyID)
	dst = appendField(dst, "name", p.Name)
	if s := p.Session; s != nil {
		dst = append(dst, `,"session":{`...)
		sstart := len(dst)
		dst = appendField(dst, "issuer_type", s.IssuerType)
		dst = appendField(dst, "issuer_id", s.IssuerID)
		dst = appendField(dst, "issuer_arn", s.IssuerARN)
		dst = appendField(dst, "issuer_name", s.IssuerName)
		if !s.Created.IsZero() {
			dst = append(dst, `,"created":"`...)
			dst = s.Created.AppendFormat(dst, time.RFC3339Nano)
			dst = append(dst, '"')
		}
		dst = appendField(dst, "identity_provider", s.IdentityProvider)
		dst = dropLeadingComma(dst, sstart)
		dst = append(dst, '}')
	}
	dst = appendField(dst, "invoked_by", p.InvokedBy)
	dst = dropLeadingComma(dst, start)
	return append(dst, '}')
}

// appendField appends `,"name":value` unless value is empty (omitempty).
func appendField(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, value)
}

// dropLeadingComma removes the comma appendField put first in an object
// that starts at dst[start].
func dropLeadingComma(dst []byte, start int) []byte {
	if len(dst) > start && dst[start] == ',' {
		return append(dst[:start], dst[start+1:]...)
	}
	return dst
}

// appendString appends s as a JSON string. Printable ASCII other than '"'
// and '\\' is copied; anything else goes through encoding/json, which
// escapes control characters and replaces invalid UTF-8.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return appendStringSlow(dst, s)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

func appendStringSlow(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(dst, b...)
}

// sortedNames returns the keys of m in order, sorted by insertion: a
// request has few parameters.
func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		i := len(names)
		names = append(names, k)
		for ; i > 0 && names[i-1] > k; i-- {
			names[i] = names[i-1]
		}
		names[i] = k
	}
	return names
}
