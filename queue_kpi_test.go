package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

func TestKPIPeriodOf(t *testing.T) {
	from, to := dost.MustDate("2026-11-25"), dost.MustDate("2027-01-05")
	for _, tc := range []struct {
		by               dost.KPIPeriod
		day              string
		start, end, want string
	}{
		{dost.KPIByDay, "2026-11-27", "2026-11-27", "2026-11-27", "2026-11-27"},
		{dost.KPIByWeek, "2026-11-27", "2026-11-25", "2026-11-29", "2026-W48"}, // clipped to from
		{dost.KPIByWeek, "2026-11-30", "2026-11-30", "2026-12-06", "2026-W49"},
		{dost.KPIByWeek, "2027-01-01", "2026-12-28", "2027-01-03", "2026-W53"}, // ISO year 2026
		{dost.KPIByWeek, "2027-01-05", "2027-01-04", "2027-01-05", "2027-W01"}, // clipped to to
	} {
		s, e, l := dost.KPIPeriodOf(tc.by, dost.MustDate(tc.day), from, to)
		if s.String() != tc.start || e.String() != tc.end || l != tc.want {
			t.Errorf("%s of %s: got %s..%s %q, want %s..%s %q", tc.by, tc.day, s, e, l, tc.start, tc.end, tc.want)
		}
	}
}

// FuzzQueueKPIFilter feeds the dashboard's query parameters (from, to,
// by) through ParseDate and Validate: bad input is an EINVALID error with
// field errors, never a panic; a valid filter's periods tile its range,
// each day in exactly one.
func FuzzQueueKPIFilter(f *testing.F) {
	f.Add("2026-11-01", "2026-11-30", "week")
	f.Add("2026-11-30", "2026-11-01", "day")
	f.Add("2025-01-01", "2026-01-02", "")
	f.Add("2026-02-30", "x", "month")
	f.Fuzz(func(t *testing.T, from, to, by string) {
		fl := dost.QueueKPIFilter{CentreID: 1, By: dost.KPIPeriod(by)}
		fl.From, _ = dost.ParseDate(from)
		fl.To, _ = dost.ParseDate(to)
		err := fl.Validate()
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID || len(dost.ErrorFields(err)) == 0 {
				t.Fatalf("got %v, want EINVALID with field errors", err)
			}
			return
		}
		if fl.To.Before(fl.From) || fl.From.AddDate(0, 0, dost.MaxKPIDays).Before(fl.To) {
			t.Fatalf("valid filter with range %s..%s", fl.From, fl.To)
		}
		eq := func(a, b dost.Date) bool { return a.String() == b.String() }
		next := fl.From
		for d := fl.From; !d.After(fl.To); d = d.AddDate(0, 0, 1) {
			s, e, label := dost.KPIPeriodOf(fl.By, d, fl.From, fl.To)
			if d.Before(s) || d.After(e) || s.Before(fl.From) || e.After(fl.To) || label == "" {
				t.Fatalf("%s: period %s..%s %q does not hold it within %s..%s", d, s, e, label, fl.From, fl.To)
			}
			if eq(s, d) && !eq(s, next) {
				t.Fatalf("%s: a period starts at %s, want %s", d, s, next)
			}
			if eq(e, d) {
				next = d.AddDate(0, 0, 1)
			}
		}
		if !eq(next, fl.To.AddDate(0, 0, 1)) {
			t.Fatalf("periods end at %s, want %s", next.AddDate(0, 0, -1), fl.To)
		}
	})
}
