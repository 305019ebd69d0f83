// Package schedule parses the rotation rules of AWS Secrets Manager -
// AutomaticallyAfterDays, a ScheduleExpression (rate or cron) and a window
// Duration - and computes when the next rotation window opens.
//
// All times are UTC, as Secrets Manager's are. schedule imports nothing of
// Coffer.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits as AWS documents them.
const (
	MinAfterDays = 1
	MaxAfterDays = 1000
	MinRateHours = 4 // "You can rotate a secret as often as every four hours."
)

// Rules are a secret's RotationRules as given to RotateSecret.
type Rules struct {
	AfterDays  int64  // AutomaticallyAfterDays; 0 when not given
	Expression string // ScheduleExpression; "" when not given
	Duration   string // the window length, e.g. "3h"; "" for the default
}

// Schedule is a validated set of rules.
type Schedule struct {
	rules  Rules
	every  time.Duration // rate() or AfterDays
	hourly bool          // the schedule is in hours: default window one hour
	cron   *cron
	window time.Duration // 0: the default window
}

// Error explains why rules are invalid; its message is meant for the
// caller of RotateSecret.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Parse validates r.
func Parse(r Rules) (*Schedule, error) {
	s := &Schedule{rules: r}
	switch {
	case r.AfterDays != 0 && r.Expression != "":
		return nil, errorf("You can't specify both AutomaticallyAfterDays and ScheduleExpression.")
	case r.AfterDays != 0:
		if r.AfterDays < MinAfterDays || r.AfterDays > MaxAfterDays {
			return nil, errorf("AutomaticallyAfterDays must be between %d and %d.", MinAfterDays, MaxAfterDays)
		}
		s.every = time.Duration(r.AfterDays) * 24 * time.Hour
	case r.Expression != "":
		if err := s.parseExpression(r.Expression); err != nil {
			return nil, err
		}
	default:
		return nil, errorf("You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.")
	}
	if r.Duration != "" {
		d, err := parseDuration(r.Duration)
		if err != nil {
			return nil, err
		}
		if s.every != 0 && d > s.every {
			return nil, errorf("The rotation window Duration %s extends into the next rotation window.", r.Duration)
		}
		s.window = d
	}
	return s, nil
}

// Rules returns the rules s was parsed from.
func (s *Schedule) Rules() Rules { return s.rules }

// Days is the AutomaticallyAfterDays that DescribeSecret reports: the
// number of whole days between rotations (at least 1), or 0 when the
// schedule has no fixed period (a cron expression).
func (s *Schedule) Days() int64 {
	if s.every == 0 {
		return 0
	}
	return max(1, int64(s.every/(24*time.Hour)))
}

// Window is the length of the rotation window that opens at t.
func (s *Schedule) Window(t time.Time) time.Duration {
	if s.window != 0 {
		return s.window
	}
	if s.hourly {
		return time.Hour
	}
	t = t.UTC()
	return midnight(t).Add(24 * time.Hour).Sub(t) // to the end of the UTC day
}

// Next returns the start of the first rotation window after a rotation at
// last: for a period (rate or AutomaticallyAfterDays) the period after last
// - at midnight UTC for periods in days, on the hour for periods in hours -
// and for a cron expression its first match after last.
func (s *Schedule) Next(last time.Time) time.Time {
	last = last.UTC()
	switch {
	case s.cron != nil:
		return s.cron.next(last)
	case s.hourly:
		return last.Truncate(time.Hour).Add(s.every)
	default:
		return midnight(last.Add(s.every))
	}
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Schedule) parseExpression(e string) error {
	switch {
	case strings.HasPrefix(e, "rate(") && strings.HasSuffix(e, ")"):
		return s.parseRate(strings.TrimSuffix(strings.TrimPrefix(e, "rate("), ")"))
	case strings.HasPrefix(e, "cron(") && strings.HasSuffix(e, ")"):
		c, hourly, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(e, "cron("), ")"))
		if err != nil {
			return err
		}
		s.cron, s.hourly = c, hourly
		return nil
	}
	return errorf("Invalid ScheduleExpression %q: use rate(N hours), rate(N days) or cron(minutes hours day-of-month month day-of-week year).", e)
}

func (s *Schedule) parseRate(body string) error {
	num, unit, ok := strings.Cut(strings.TrimSpace(body), " ")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n <= 0 {
		return errorf("Invalid rate expression rate(%s): use rate(N hours) or rate(N days).", body)
	}
	switch strings.TrimSpace(unit) {
	case "hour", "hours":
		if n < MinRateHours {
			return errorf("Invalid rate expression rate(%s): a secret can be rotated at most every %d hours.", body, MinRateHours)
		}
		if n > MaxAfterDays*24 {
			return errorf("Invalid rate expression rate(%s): the interval can't exceed %d days.", body, MaxAfterDays)
		}
		s.every, s.hourly = time.Duration(n)*time.Hour, true
	case "day", "days":
		if n > MaxAfterDays {
			return errorf("Invalid rate expression rate(%s): the interval can't exceed %d days.", body, MaxAfterDays)
		}
		s.every = time.Duration(n) * 24 * time.Hour
	default:
		return errorf("Invalid rate expression rate(%s): the unit must be hours or days.", body)
	}
	return nil
}

// parseDuration parses a window length: "Nh", 1 to 24 hours.
func parseDuration(d string) (time.Duration, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(d, "h"))
	if !strings.HasSuffix(d, "h") || err != nil || n < 1 || n > 24 {
		return 0, errorf("Invalid Duration %q: specify the window in hours, from 1h to 24h.", d)
	}
	return time.Duration(n) * time.Hour, nil
}
