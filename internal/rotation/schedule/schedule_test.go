package schedule

import (
	"errors"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		rules Rules
		last  string
		next  string
		days  int64
		win   time.Duration
	}{
		{Rules{AfterDays: 30}, "2026-01-10T15:04:05Z", "2026-02-09T00:00:00Z", 30, 24 * time.Hour},
		{Rules{AfterDays: 1, Duration: "3h"}, "2026-01-10T15:04:05Z", "2026-01-11T00:00:00Z", 1, 3 * time.Hour},
		{Rules{Expression: "rate(10 days)"}, "2026-01-10T15:04:05Z", "2026-01-20T00:00:00Z", 10, 24 * time.Hour},
		{Rules{Expression: "rate(1 day)"}, "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z", 1, 24 * time.Hour},
		{Rules{Expression: "rate(12 hours)"}, "2026-01-10T15:04:05Z", "2026-01-11T03:00:00Z", 1, time.Hour},
		{Rules{Expression: "rate(4 hours)", Duration: "2h"}, "2026-01-10T15:04:05Z", "2026-01-10T19:00:00Z", 1, 2 * time.Hour},
		// the 1st and 15th at 16:00
		{Rules{Expression: "cron(0 16 1,15 * ? *)"}, "2026-01-10T15:04:05Z", "2026-01-15T16:00:00Z", 0, 8 * time.Hour},
		// every Monday at 09:30, a 2-hour window
		{Rules{Expression: "cron(30 9 ? * MON *)", Duration: "2h"}, "2026-11-23T09:30:00Z", "2026-11-30T09:30:00Z", 0, 2 * time.Hour},
		// every 6 hours: hourly, so a one-hour window
		{Rules{Expression: "cron(0 */6 * * ? *)"}, "2026-01-10T15:04:05Z", "2026-01-10T18:00:00Z", 0, time.Hour},
		// the last day of the month
		{Rules{Expression: "cron(0 0 L * ? *)"}, "2026-02-01T00:00:00Z", "2026-02-28T00:00:00Z", 0, 24 * time.Hour},
		// the second Tuesday
		{Rules{Expression: "cron(0 8 ? * 3#2 *)"}, "2026-11-01T00:00:00Z", "2026-11-10T08:00:00Z", 0, 16 * time.Hour},
		// JUN in 2027 only
		{Rules{Expression: "cron(0 0 1 JUN ? 2027)"}, "2026-07-01T00:00:00Z", "2027-06-01T00:00:00Z", 0, 24 * time.Hour},
	}
	for _, tt := range tests {
		s, err := Parse(tt.rules)
		if err != nil {
			t.Fatalf("Parse(%+v): %v", tt.rules, err)
		}
		next := s.Next(at(tt.last))
		if !next.Equal(at(tt.next)) {
			t.Errorf("%+v: Next(%s) = %s, want %s", tt.rules, tt.last, next.Format(time.RFC3339), tt.next)
		}
		if got := s.Days(); got != tt.days {
			t.Errorf("%+v: Days() = %d, want %d", tt.rules, got, tt.days)
		}
		if got := s.Window(next); got != tt.win {
			t.Errorf("%+v: Window(%s) = %s, want %s", tt.rules, tt.next, got, tt.win)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, r := range []Rules{
		{},
		{AfterDays: 0, Expression: ""},
		{AfterDays: 1001},
		{AfterDays: -1},
		{AfterDays: 3, Expression: "rate(3 days)"},
		{Expression: "rate(3 hours)"},
		{Expression: "rate(0 days)"},
		{Expression: "rate(1001 days)"},
		{Expression: "rate(3 weeks)"},
		{Expression: "rate(days)"},
		{Expression: "every day"},
		{Expression: "cron(0 16 1 * *)"},
		{Expression: "cron(0 16 1 * MON *)"},
		{Expression: "cron(0 16 ? * ? *)"},
		{Expression: "cron(60 16 1 * ? *)"},
		{Expression: "cron(0 24 1 * ? *)"},
		{Expression: "cron(0 0 32 * ? *)"},
		{Expression: "cron(0 0 ? * 8 *)"},
		{Expression: "cron(0 0 ? * MON#6 *)"},
		{Expression: "cron(0 0 1 13 ? *)"},
		{Expression: "cron(0 0 1 * ? 1969)"},
		{Expression: "cron(0 0 5-1 * ? *)"},
		{Expression: "cron(0 0 1/0 * ? *)"},
		{AfterDays: 1, Duration: "25h"},
		{AfterDays: 1, Duration: "0h"},
		{AfterDays: 1, Duration: "3"},
		{Expression: "rate(4 hours)", Duration: "5h"},
	} {
		_, err := Parse(r)
		var e *Error
		if !errors.As(err, &e) || e.Msg == "" {
			t.Errorf("Parse(%+v) = %v, want a schedule.Error", r, err)
		}
	}
}
