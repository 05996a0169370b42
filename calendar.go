package dost

import (
	"context"
	"time"
)

// Holiday is a non-working day of the national calendar.
type Holiday struct {
	Date Date `json:"date"`
	Name Text `json:"name"`
}

// Calendar knows the working days: Monday to Friday except holidays.
// The zero Calendar has no holidays.
type Calendar struct {
	holidays map[int]bool // by dayKey
}

func dayKey(d Date) int { return d.Year()*10000 + int(d.Month())*100 + d.Day() }

// NewCalendar returns a calendar with the given holidays.
func NewCalendar(holidays []Holiday) *Calendar {
	c := &Calendar{holidays: make(map[int]bool, len(holidays))}
	for _, h := range holidays {
		c.holidays[dayKey(h.Date)] = true
	}
	return c
}

// WorkingDay reports whether d is a working day.
func (c *Calendar) WorkingDay(d Date) bool {
	if wd := d.Time().Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return c == nil || !c.holidays[dayKey(d)]
}

// Deadline returns the last day of a period of n days counted from the day
// after start: calendar days, or working days when working is true. A
// calendar-day deadline that falls on a non-working day moves to the next
// working day (as the law on administrative proceedings counts). n <= 0
// returns start.
func (c *Calendar) Deadline(start Date, n int, working bool) Date {
	if n <= 0 {
		return start
	}
	d := start
	if !working {
		d = start.AddDate(0, 0, n)
		for !c.WorkingDay(d) {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.WorkingDay(d) {
			n--
		}
	}
	return d
}

// HolidayService keeps the holiday calendar (the fixed national holidays
// are seeded; the moving ones, Ramadan and Gurban Bayram, are added by an
// administrator each year).
type HolidayService interface {
	// FindHolidays returns the holidays of a year, by date.
	FindHolidays(ctx context.Context, year int) ([]Holiday, error)
	// SetHoliday adds or renames a holiday.
	SetHoliday(ctx context.Context, h Holiday) error
	// DeleteHoliday removes a holiday. ENOTFOUND if there is none.
	DeleteHoliday(ctx context.Context, d Date) error
}
