package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeriodKind is the length of the period a variable has one value for.
type PeriodKind uint8

// The period kinds. A month variable has a value per calendar month, a year
// variable one per calendar year, an eternity variable (a birth date) one for
// all time.
const (
	Month PeriodKind = iota
	Year
	Eternity
)

// String returns "month", "year" or "eternity".
func (k PeriodKind) String() string {
	switch k {
	case Month:
		return "month"
	case Year:
		return "year"
	case Eternity:
		return "eternity"
	}
	return "PeriodKind(" + strconv.Itoa(int(k)) + ")"
}

func parsePeriodKind(s string) (PeriodKind, bool) {
	switch s {
	case "month":
		return Month, true
	case "year":
		return Year, true
	case "eternity":
		return Eternity, true
	}
	return 0, false
}

// Period is a calendar month ("2026-11"), a calendar year ("2026") or
// eternity. The zero Period is January of year 0 and is not useful; build
// periods with MonthOf, YearOf or ParsePeriod.
type Period struct {
	Kind  PeriodKind
	Year  int
	Month time.Month // 1–12 for a month period, 0 otherwise
}

// MonthOf returns the month period y-m.
func MonthOf(y int, m time.Month) Period { return Period{Kind: Month, Year: y, Month: m} }

// YearOf returns the year period y.
func YearOf(y int) Period { return Period{Kind: Year, Year: y} }

// ParsePeriod parses "2026-11" (a month), "2026" (a year) or "eternity".
func ParsePeriod(s string) (Period, error) {
	if s == "eternity" {
		return Period{Kind: Eternity}, nil
	}
	if len(s) == 4 {
		y, err := strconv.Atoi(s)
		if err == nil && y > 0 {
			return YearOf(y), nil
		}
	}
	if len(s) == 7 && s[4] == '-' {
		y, err1 := strconv.Atoi(s[:4])
		m, err2 := strconv.Atoi(s[5:])
		if err1 == nil && err2 == nil && y > 0 && m >= 1 && m <= 12 {
			return MonthOf(y, time.Month(m)), nil
		}
	}
	return Period{}, fmt.Errorf("period %q is not YYYY-MM, YYYY or eternity", s)
}

// digits returns the value of s, a string of decimal digits only.
func digits(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + int(c)
	}
	return v, len(s) > 0
}

// String returns the period in the form ParsePeriod reads.
func (p Period) String() string {
	var b [16]byte
	switch p.Kind {
	case Month:
		if p.Year < 0 || p.Year > 9999 || p.Month < 1 || p.Month > 12 {
			return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month))
		}
		return string(append(appendDigits(b[:0], p.Year, 4), '-', byte('0'+p.Month/10), byte('0'+p.Month%10)))
	case Year:
		if p.Year < 0 || p.Year > 9999 {
			return fmt.Sprintf("%04d", p.Year)
		}
		return string(appendDigits(b[:0], p.Year, 4))
	}
	return "eternity"
}

// appendDigits appends the n low decimal digits of v (0 ≤ v), zero-padded.
func appendDigits(b []byte, v, n int) []byte {
	if n == 4 {
		// Years, in every date and period string.
		return append(b, byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
	}
	for i := n - 1; i >= 0; i-- {
		d := v
		for range i {
			d /= 10
		}
		b = append(b, byte('0'+d%10))
	}
	return b
}

// Start returns the first day of the period as a Date; for eternity it is
// the zero Date (1970-01-01).
func (p Period) Start() Date {
	switch p.Kind {
	case Month:
		return DateOf(p.Year, p.Month, 1)
	case Year:
		return DateOf(p.Year, time.January, 1)
	}
	return 0
}

// End returns the last day of the period; for eternity the zero Date.
func (p Period) End() Date {
	switch p.Kind {
	case Month:
		return DateOf(p.Year, p.Month+1, 1) - 1
	case Year:
		return DateOf(p.Year+1, time.January, 1) - 1
	}
	return 0
}

// As returns the period of kind k that contains the start of p: the month
// of a year period is its January, the year of a month is its calendar year.
func (p Period) As(k PeriodKind) Period {
	switch k {
	case Eternity:
		return Period{Kind: Eternity}
	case Year:
		return YearOf(p.Year)
	}
	m := p.Month
	if p.Kind != Month {
		m = time.January
	}
	return MonthOf(p.Year, m)
}

// Offset returns the period n periods after p (n may be negative); eternity
// is its own offset.
func (p Period) Offset(n int) Period {
	switch p.Kind {
	case Month:
		m := int64(p.Year)*12 + int64(p.Month) - 1 + int64(n)
		y := floorDiv(m, 12)
		return MonthOf(int(y), time.Month(m-y*12+1))
	case Year:
		return YearOf(p.Year + n)
	}
	return p
}

// Date is a civil date counted in days since 1970-01-01. Date columns store
// it in Column.Ints; CEL formulas see it as a google.protobuf.Timestamp at
// UTC midnight.
type Date int64

// DateLayout is the text form of a Date.
const DateLayout = "2006-01-02"

// DateOf returns the date y-m-d, normalised like time.Date.
func DateOf(y int, m time.Month, d int) Date {
	if m >= time.January && m <= time.December && d >= 1 && d <= 28 {
		return fromCivil(y, int(m), d)
	}
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	// The common case without the time package: exactly ten characters,
	// digits and dashes, a day that exists. Anything else (spaces, an
	// error) takes time.Parse, so the answers are its.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m) {
			return fromCivil(y, m, d), nil
		}
	}
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return Date(t.Unix() / 86400), nil
}

// Time returns d as UTC midnight.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String returns d as YYYY-MM-DD.
func (d Date) String() string {
	y, m, day := civil(d)
	if y < 0 || y > 9999 {
		return d.Time().Format(DateLayout)
	}
	var b [10]byte
	return string(append(appendDigits(b[:0], y, 4), '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10)))
}

// monthsBetween returns the number of whole months from a to b, the way
// ages are counted: the largest n with addMonths(a, n) <= b, so a person born
// on 31 January is one month old on 28 February. It is negative when b is
// before a.
func monthsBetween(a, b Date) int64 {
	return monthsBetweenPacked(civilPacked(a), civilPacked(b))
}

// monthsBetweenSlow is monthsBetween without the table, for tests.
func monthsBetweenSlow(a, b Date) int64 {
	if b < a {
		return -monthsBetweenSlow(b, a)
	}
	ay, am, ad := civilSlow(a)
	by, bm, bd := civilSlow(b)
	n := int64(by-ay)*12 + int64(bm-am)
	// addMonths(a, n) falls on day min(ad, days in b's month) of b's month.
	if min(ad, daysIn(by, bm)) > bd {
		n--
	}
	return n
}

// civilTable caches civil() for the dates from civilBase on, one int32 per
// day packing the month number y*12+m-1 (bits 10 up), the days in that month
// (bits 5–9) and the day (bits 0–4). Date kernels (ages, months_between) read
// one entry per row instead of dividing; dates outside it are computed.
var civilTable = func() []int32 {
	t := make([]int32, int(civilEnd-civilBase))
	y, m, d := 1900, 1, 1
	for i := range t {
		dim := daysIn(y, m)
		t[i] = int32((y*12+m-1)<<10 | dim<<5 | d)
		if d++; d > dim {
			d = 1
			if m++; m > 12 {
				m = 1
				y++
			}
		}
	}
	return t
}()

// civilPacked returns civilTable's entry for d, computing it outside the
// table's range.
func civilPacked(d Date) int64 {
	if i := d - civilBase; uint64(i) < uint64(len(civilTable)) {
		return int64(civilTable[i])
	}
	y, m, day := civilSlow(d)
	return int64(y*12+m-1)<<10 | int64(daysIn(y, m))<<5 | int64(day)
}

// monthsBetweenPacked is monthsBetween of a and b given as civilPacked
// values.
func monthsBetweenPacked(a, b int64) int64 {
	am, adim, ad := a>>10, a>>5&31, a&31
	bm, bdim, bd := b>>10, b>>5&31, b&31
	if b < a {
		n := am - bm
		if min(bd, adim) > ad {
			n--
		}
		return -n
	}
	n := bm - am
	if min(ad, bdim) > bd {
		n--
	}
	return n
}

// The range of civilTable: 1900-01-01 to 2100-01-01 (73,049 days, 286 KiB).
const (
	civilBase Date = -25567
	civilEnd  Date = 47482
)

// civil splits d into year, month and day with integer arithmetic only, so
// date kernels allocate nothing.
func civil(d Date) (y, m, day int) {
	if i := d - civilBase; uint64(i) < uint64(len(civilTable)) {
		t := civilTable[i]
		mi := int(t >> 10)
		return mi / 12, mi%12 + 1, int(t & 31)
	}
	return civilSlow(d)
}

// civilSlow is Howard Hinnant's days-to-civil.
func civilSlow(d Date) (y, m, day int) {
	z := int64(d) + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mp >= 10 {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

// addMonths returns d plus n months, clamped to the end of a shorter month
// (31 January plus one month is 28 or 29 February).
func addMonths(d Date, n int64) Date {
	if i := d - civilBase; uint64(i) < uint64(len(civilTable)) {
		// One table read for the day and month, one for the target
		// month's first day and length.
		t := int64(civilTable[i])
		if m := t>>10 + n - monthStartBase; uint64(m) < uint64(len(monthStarts)-1) {
			s := int64(monthStarts[m])
			return Date(s + min(t&31, int64(monthStarts[m+1])-s) - 1)
		}
	}
	return addMonthsSlow(d, n)
}

// monthStarts[m] is the first day of month number monthStartBase+m (month
// numbers are y*12+m-1), from January 1900 to January 2200.
var monthStarts = func() []int32 {
	t := make([]int32, 300*12+1)
	for i := range t {
		t[i] = int32(fromCivil(1900+i/12, i%12+1, 1))
	}
	return t
}()

const monthStartBase = 1900 * 12

// addMonthsSlow is addMonths without the tables.
func addMonthsSlow(d Date, n int64) Date {
	y, m, day := civil(d)
	t := int64(y)*12 + int64(m-1) + n
	ny := floorDiv(t, 12)
	nm := int(t-ny*12) + 1
	if last := daysIn(int(ny), nm); day > last {
		day = last
	}
	return fromCivil(int(ny), nm, day)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// fromCivil is the inverse of civil (Howard Hinnant's days-from-civil).
func fromCivil(y, m, d int) Date {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64(m + 9)
	if m > 2 {
		mp = int64(m - 3)
	}
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}
