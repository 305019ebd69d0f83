package schedule

import (
	"strconv"
	"strings"
	"time"
)

// cron is an AWS cron expression: minutes hours day-of-month month
// day-of-week year, one of the two day fields "?". Day-of-week counts 1-7
// from Sunday, as in EventBridge. Supported: numbers, names (JAN-DEC,
// SUN-SAT), "*", ranges, lists, steps ("*/n", "a/n", "a-b/n"), "L" in
// day-of-month (the last day), and "d#n" in day-of-week (the n-th weekday d).
type cron struct {
	minutes, hours, months, dows uint64 // bit sets
	doms                         uint64 // bit 1..31
	lastDOM                      bool   // "L"
	nthDOW                       int    // with "d#n": n (1-5); dows holds d
	anyDOM, anyDOW               bool   // "?" or "*"
	years                        [231]bool
	anyYear                      bool
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

const minYear, maxYear = 1970, 2199

// parseCron parses the body of cron(...). hourly reports a schedule that
// fires more than once a day (its default window is one hour).
func parseCron(body string) (c *cron, hourly bool, err error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, false, errorf("Invalid cron expression cron(%s): it needs 6 fields: minutes hours day-of-month month day-of-week year.", body)
	}
	c = &cron{}
	fail := func(name, v string) error {
		return errorf("Invalid cron expression cron(%s): bad %s field %q.", body, name, v)
	}
	var ok bool
	if c.minutes, _, ok = parseField(f[0], 0, 59, nil); !ok {
		return nil, false, fail("minutes", f[0])
	}
	if c.hours, _, ok = parseField(f[1], 0, 23, nil); !ok {
		return nil, false, fail("hours", f[1])
	}
	switch {
	case f[2] == "?":
		c.anyDOM = true
	case f[2] == "L":
		c.lastDOM = true
	default:
		var star bool
		if c.doms, star, ok = parseField(f[2], 1, 31, nil); !ok {
			return nil, false, fail("day-of-month", f[2])
		}
		c.anyDOM = star
	}
	if c.months, _, ok = parseField(f[3], 1, 12, monthNames); !ok {
		return nil, false, fail("month", f[3])
	}
	switch {
	case f[4] == "?":
		c.anyDOW = true
	case strings.Contains(f[4], "#"):
		d, n, _ := strings.Cut(f[4], "#")
		day, okd := value(d, 1, 7, dayNames)
		nth, err := strconv.Atoi(n)
		if !okd || err != nil || nth < 1 || nth > 5 {
			return nil, false, fail("day-of-week", f[4])
		}
		c.dows, c.nthDOW = 1<<day, nth
	default:
		var star bool
		if c.dows, star, ok = parseField(f[4], 1, 7, dayNames); !ok {
			return nil, false, fail("day-of-week", f[4])
		}
		c.anyDOW = star
	}
	if (f[2] == "?") == (f[4] == "?") {
		return nil, false, errorf("Invalid cron expression cron(%s): exactly one of day-of-month and day-of-week must be \"?\".", body)
	}
	if f[5] == "*" {
		c.anyYear = true
	} else if !c.parseYears(f[5]) {
		return nil, false, fail("year", f[5])
	}
	hours := 0
	for h := range 24 {
		if c.hours&(1<<h) != 0 {
			hours++
		}
	}
	return c, hours > 1, nil
}

// parseYears fills c.years from a year field (which may span more than
// 64 values, so it is not a bit set).
func (c *cron) parseYears(field string) bool {
	for part := range strings.SplitSeq(field, ",") {
		lo, hi, step, ok := rangeOf(part, minYear, maxYear, nil)
		if !ok {
			return false
		}
		for y := lo; y <= hi; y += step {
			c.years[y-minYear] = true
		}
	}
	return true
}

// parseField parses a list of values, ranges and steps into a bit set.
// star reports "*".
func parseField(field string, lo, hi int, names map[string]int) (bits uint64, star, ok bool) {
	if field == "*" {
		for v := lo; v <= hi && v < 64; v++ {
			bits |= 1 << v
		}
		return bits, true, true
	}
	for part := range strings.SplitSeq(field, ",") {
		a, b, step, ok := rangeOf(part, lo, hi, names)
		if !ok {
			return 0, false, false
		}
		for v := a; v <= b; v += step {
			bits |= 1 << v
		}
	}
	return bits, false, true
}

// rangeOf parses "v", "a-b", "*/n", "a/n" or "a-b/n".
func rangeOf(part string, lo, hi int, names map[string]int) (a, b, step int, ok bool) {
	step = 1
	if r, s, has := strings.Cut(part, "/"); has {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, 0, 0, false
		}
		step, part = n, r
		if part == "*" {
			return lo, hi, step, true
		}
	}
	if x, y, has := strings.Cut(part, "-"); has {
		var okx, oky bool
		a, okx = value(x, lo, hi, names)
		b, oky = value(y, lo, hi, names)
		return a, b, step, okx && oky && a <= b
	}
	a, ok = value(part, lo, hi, names)
	b = a
	if step > 1 {
		b = hi
	}
	return a, b, step, ok
}

func value(s string, lo, hi int, names map[string]int) (int, bool) {
	if v, ok := names[strings.ToUpper(s)]; ok {
		return v, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}

// next returns the first minute strictly after t that matches, or the
// zero time if none does before maxYear.
func (c *cron) next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	for day := midnight(t); day.Year() <= maxYear; day = day.AddDate(0, 0, 1) {
		if !c.matchDay(day) {
			continue
		}
		for h := 0; h < 24; h++ {
			if c.hours&(1<<h) == 0 {
				continue
			}
			for m := 0; m < 60; m++ {
				if c.minutes&(1<<m) == 0 {
					continue
				}
				at := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
				if !at.Before(t) {
					return at
				}
			}
		}
	}
	return time.Time{}
}

func (c *cron) matchDay(day time.Time) bool {
	y := day.Year()
	if y < minYear || y > maxYear || (!c.anyYear && !c.years[y-minYear]) {
		return false
	}
	if c.months&(1<<int(day.Month())) == 0 {
		return false
	}
	dow := int(day.Weekday()) + 1 // 1 = Sunday
	switch {
	case c.lastDOM:
		return day.AddDate(0, 0, 1).Day() == 1
	case !c.anyDOM:
		return c.doms&(1<<day.Day()) != 0
	case c.nthDOW > 0:
		return c.dows&(1<<dow) != 0 && (day.Day()-1)/7+1 == c.nthDOW
	case !c.anyDOW:
		return c.dows&(1<<dow) != 0
	}
	return true
}
