package dost

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Date is a civil date without time of day or zone: a birth date, the first
// day of an insurance period. The zero Date means "not set".
type Date struct {
	t time.Time // always UTC midnight
}

// DateLayout is the one text form of a Date, in JSON, CSV and SQL.
const DateLayout = "2006-01-02"

// MinYear is the earliest year a parsed Date may have. It keeps real dates
// apart from the zero Date, which means "not set".
const MinYear = 1800

// NewDate returns the date y-m-d, normalised like time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// Baku is the time zone of dost's civil dates (a submission's day, a
// deadline, "today"): Azerbaijan Time, UTC+4 all year, as Azerbaijan has
// had no daylight saving time since 2016.
var Baku = time.FixedZone("AZT", 4*60*60)

// Today returns the date in Baku now, by c.
func Today(c Clock) Date { return DateOf(c.Now().In(Baku)) }

// ParseDate parses "YYYY-MM-DD" and rejects impossible dates such as
// 2025-02-30 with an EINVALID *Error.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, Errorf(EINVALID, "%q is not a date in the form YYYY-MM-DD.", s)
	}
	if t.Year() < MinYear {
		return Date{}, Errorf(EINVALID, "%q is before %d, outside the registry's range.", s, MinYear)
	}
	return Date{t}, nil
}

// MustDate is ParseDate for constants in code and tests; it panics on error.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time returns d as UTC midnight.
func (d Date) Time() time.Time { return d.t }

// Year, Month and Day return d's parts.
func (d Date) Year() int { return d.t.Year() }

// Month returns the month of d.
func (d Date) Month() time.Month { return d.t.Month() }

// Day returns the day of the month of d.
func (d Date) Day() int { return d.t.Day() }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// AddDate adds years, months and days like time.Time.AddDate.
func (d Date) AddDate(years, months, days int) Date { return Date{d.t.AddDate(years, months, days)} }

// AgeOn returns the age in whole years of a person born on d, on the date on.
func (d Date) AgeOn(on Date) int {
	age := on.Year() - d.Year()
	if on.Month() < d.Month() || on.Month() == d.Month() && on.Day() < d.Day() {
		age--
	}
	return age
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// MarshalText implements encoding.TextMarshaler; the zero Date is "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value implements driver.Valuer: "YYYY-MM-DD", or NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan implements sql.Scanner for TEXT (SQLite) and DATE (PostgreSQL)
// columns; NULL scans as the zero Date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = DateOf(v)
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	default:
		return fmt.Errorf("scan date: unsupported type %T", src)
	}
	return nil
}

// Month is a calendar month, the period of incomes and payments: "2026-11".
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth parses "YYYY-MM".
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, Errorf(EINVALID, "%q is not a month in the form YYYY-MM.", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf returns the month containing d.
func MonthOf(d Date) Month { return Month{d.Year(), d.Month()} }

// String returns "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// IsZero reports whether m is unset.
func (m Month) IsZero() bool { return m.Year == 0 }

// First returns the first day of m.
func (m Month) First() Date { return NewDate(m.Year, m.Month, 1) }

// Add returns the month n months after m (before, for negative n).
func (m Month) Add(n int) Month { return MonthOf(m.First().AddDate(0, n, 0)) }

// MarshalText implements encoding.TextMarshaler.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Value implements driver.Valuer.
func (m Month) Value() (driver.Value, error) { return m.String(), nil }

// Scan implements sql.Scanner.
func (m *Month) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return m.UnmarshalText([]byte(v))
	case []byte:
		return m.UnmarshalText(v)
	}
	return fmt.Errorf("scan month: unsupported type %T", src)
}

// Clock tells the time. Services take a Clock so that tests control deadlines,
// ages and periods.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
