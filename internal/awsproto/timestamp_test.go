package awsproto

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestTimestampMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{name: "milliseconds are written as AWS's sample responses show", in: time.UnixMilli(1523477145713), want: "1.523477145713E9"},
		{name: "whole seconds keep one fraction digit", in: time.Unix(1523923200, 0), want: "1.5239232E9"},
		{name: "a power of ten keeps one fraction digit", in: time.Unix(1e9, 0), want: "1.0E9"},
		{name: "trailing zero milliseconds are dropped", in: time.UnixMilli(1523477145710), want: "1.52347714571E9"},
		{name: "sub-millisecond time is truncated, not rounded", in: time.Unix(1523477145, 713999999), want: "1.523477145713E9"},
		{name: "ten million seconds switch to scientific notation", in: time.Unix(1e7, 0), want: "1.0E7"},
		{name: "under ten million seconds stay plain", in: time.UnixMilli(9999999999), want: "9999999.999"},
		{name: "small values stay plain", in: time.UnixMilli(1500), want: "1.5"},
		{name: "one millisecond stays plain", in: time.UnixMilli(1), want: "0.001"},
		{name: "the epoch is zero point zero", in: time.Unix(0, 0), want: "0.0"},
		{name: "times before the epoch are negative", in: time.UnixMilli(-1500), want: "-1.5"},
		{name: "far past times are negative scientific", in: time.Unix(-1e9, 0), want: "-1.0E9"},
		{name: "the far future keeps every millisecond", in: time.UnixMilli(253402300799999), want: "2.53402300799999E11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(Timestamp(tt.in))
			if err != nil {
				t.Fatalf("Marshal(%v) error: %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(%v) = %s, want %s", tt.in, got, tt.want)
			}
			var back Timestamp
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", got, err)
			}
			if want := tt.in.Truncate(0); !time.Time(back).Equal(time.UnixMilli(want.UnixMilli())) {
				t.Errorf("round trip of %v = %v, want %v", tt.in, time.Time(back), time.UnixMilli(want.UnixMilli()))
			}
		})
	}
}

func TestTimestampRoundTripsEveryMillisecond(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for ms := base; ms < base+5000; ms++ {
		b, _ := Timestamp(time.UnixMilli(ms)).MarshalJSON()
		var back Timestamp
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatalf("UnmarshalJSON(%s) = %v", b, err)
		}
		if got := time.Time(back).UnixMilli(); got != ms {
			t.Fatalf("round trip of %d ms via %s = %d ms", ms, b, got)
		}
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Time
	}{
		{name: "plain decimal seconds are read", in: "1523477145.713", want: time.UnixMilli(1523477145713)},
		{name: "scientific seconds are read", in: "1.523477145713E9", want: time.UnixMilli(1523477145713)},
		{name: "integer seconds are read", in: "1523477145", want: time.Unix(1523477145, 0)},
		{name: "microseconds are kept", in: "1523477145.713521", want: time.UnixMicro(1523477145713521)},
		{name: "RFC 3339 strings are read", in: `"2018-04-11T20:05:45.713Z"`, want: time.UnixMilli(1523477145713)},
		{name: "RFC 3339 offsets are read", in: `"2018-04-11T22:05:45+02:00"`, want: time.Unix(1523477145, 0)},
		{name: "negative seconds are read", in: "-1.5", want: time.UnixMilli(-1500)},
		{name: "a positive exponent is read", in: "1523477145713E-3", want: time.UnixMilli(1523477145713)},
		{name: "an explicit plus exponent is read", in: "1.5e+1", want: time.Unix(15, 0)},
		{name: "nanoseconds are truncated to the microsecond", in: "1.0000019", want: time.UnixMicro(1000001)},
		{name: "negative nanoseconds truncate toward zero", in: "-1.0000019", want: time.UnixMicro(-1000001)},
		{name: "less than a microsecond is the epoch", in: "1e-7", want: time.Unix(0, 0)},
		{name: "zero with an exponent is the epoch", in: "0e400", want: time.Unix(0, 0)},
		{name: "the far future keeps every microsecond", in: "253402300799.999999", want: time.UnixMicro(253402300799999999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Timestamp
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("Unmarshal(%s) = %v", tt.in, err)
			}
			if !time.Time(got).Equal(tt.want) {
				t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, time.Time(got), tt.want)
			}
		})
	}
}

func TestTimestampUnmarshalRefuses(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"1e13", "-1e13", "1e1001", "true", "[]", "{}", `"not a time"`, `"2018-04-11"`, "1.", ".5", "-", "1e"} {
		var got Timestamp
		err := got.UnmarshalJSON([]byte(in))
		if err == nil {
			t.Errorf("UnmarshalJSON(%s) = nil, want an error", in)
			continue
		}
		if e, ok := errors.AsType[*Error](err); !ok || e.Type != TypeSerialization || e.Status != 400 {
			t.Errorf("UnmarshalJSON(%s) = %#v, want a SerializationException", in, err)
		}
	}
}

func TestTimestampInAStruct(t *testing.T) {
	t.Parallel()
	out := struct {
		CreatedDate     *Timestamp `json:"CreatedDate,omitempty"`
		LastChangedDate *Timestamp `json:"LastChangedDate,omitempty"`
	}{CreatedDate: ts(time.UnixMilli(1523477145713))}
	got, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"CreatedDate":1.523477145713E9}`; string(got) != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}
