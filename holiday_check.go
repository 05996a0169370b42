package dost

import (
	"context"
	"fmt"
)

// FixedHolidays are the month and day ("03-20") of the national holidays
// that fall on the same date every year, as migration 00003 seeds them for
// 2024-2030. The others, Ramadan and Gurban Bayram (lunar, moving through
// the year) and the days off the Cabinet of Ministers moves from a holiday
// that falls on a weekend, have no source dost can read: an administrator
// enters them each year (PUT /api/v1/holidays/{date}).
var FixedHolidays = []string{
	"01-01", "01-02", "03-08", "03-20", "03-21", "03-22", "03-23", "03-24",
	"05-09", "05-28", "06-15", "06-26", "11-08", "11-09", "12-31",
}

// fixedHoliday reports whether d falls on one of FixedHolidays.
func fixedHoliday(d Date) bool {
	md := fmt.Sprintf("%02d-%02d", int(d.Month()), d.Day())
	for _, f := range FixedHolidays {
		if f == md {
			return true
		}
	}
	return false
}

// YearsWithoutMovingHolidays returns those of years for which the calendar
// records no holiday besides FixedHolidays: no Ramadan, Gurban Bayram or
// day off moved by the Cabinet has been entered, so deadlines count those
// days as working days. Every year has such holidays, so a year in the
// answer is one an administrator has still to complete.
func YearsWithoutMovingHolidays(ctx context.Context, hs HolidayService, years ...int) ([]int, error) {
	var out []int
	for _, y := range years {
		list, err := hs.FindHolidays(ctx, y)
		if err != nil {
			return nil, fmt.Errorf("find the holidays of %d: %w", y, err)
		}
		moving := false
		for _, h := range list {
			if !fixedHoliday(h.Date) {
				moving = true
				break
			}
		}
		if !moving {
			out = append(out, y)
		}
	}
	return out, nil
}
