package dost_test

import (
	"context"
	"slices"
	"testing"

	"github.com/dost-az/dost"
)

// holidayList is a HolidayService of a fixed list.
type holidayList []dost.Holiday

func (l holidayList) FindHolidays(_ context.Context, year int) ([]dost.Holiday, error) {
	var out []dost.Holiday
	for _, h := range l {
		if h.Date.Year() == year {
			out = append(out, h)
		}
	}
	return out, nil
}
func (holidayList) SetHoliday(context.Context, dost.Holiday) error { return nil }
func (holidayList) DeleteHoliday(context.Context, dost.Date) error { return nil }

// TestYearsWithoutMovingHolidays: a year with only the fixed holidays (as
// seeded), or none, lacks its moving ones; a year with Ramadan does not.
func TestYearsWithoutMovingHolidays(t *testing.T) {
	var l holidayList
	for _, y := range []string{"2026", "2027", "2028"} {
		for _, md := range dost.FixedHolidays {
			l = append(l, dost.Holiday{Date: dost.MustDate(y + "-" + md)})
		}
	}
	l = append(l, dost.Holiday{Date: dost.MustDate("2027-03-10")}) // Ramadan 2027
	got, err := dost.YearsWithoutMovingHolidays(context.Background(), l, 2026, 2027, 2031)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{2026, 2031}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
