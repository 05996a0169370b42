package proactive

import (
	"slices"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/programmes/az"
)

func TestCandidateBirthDates(t *testing.T) {
	for _, tc := range []struct {
		day  string
		ages []int
		want []string
	}{
		{"2026-11-16", []int{780}, []string{"1961-11-16"}},
		{"2026-11-16", []int{774, 780}, []string{"1961-11-16", "1962-05-16"}},
		// The last day of February is reached from the 28th to the 31st
		// of August.
		{"2026-02-28", []int{6}, []string{"2025-08-28", "2025-08-29", "2025-08-30", "2025-08-31"}},
		// The 30th of a 30-day month from the 30th and 31st of a 31-day one.
		{"2026-04-30", []int{1}, []string{"2026-03-30", "2026-03-31"}},
		// The 30th of March is reached from no day of February.
		{"2026-03-30", []int{1}, nil},
	} {
		var ds []string
		for _, d := range candidateBirthDates(dost.MustDate(tc.day), tc.ages) {
			ds = append(ds, d.String())
		}
		if !slices.Equal(ds, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.day, tc.ages, ds, tc.want)
		}
	}
}

// TestRightArisesOn checks the date change's candidates against the rule
// set: for every birth date of 1950–1966 and both sexes, the day the right
// arises finds the person among its candidates and as arising that day.
func TestRightArisesOn(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	ages, err := retirementAges(rs)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{rs: rs, retirementAges: ages}
	var cands []Candidate
	for d := dost.MustDate("1950-01-01"); d.Year() < 1967; d = d.AddDate(0, 0, 1) {
		for _, sex := range []dost.Sex{dost.SexMale, dost.SexFemale} {
			cands = append(cands, Candidate{PersonID: int64(len(cands) + 1), BirthDate: d, Sex: sex})
		}
	}
	rights, err := s.rightDates(cands)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cands {
		day := dostDate(rights[i])
		if !slices.Contains(candidateBirthDates(day, ages), c.BirthDate) {
			t.Fatalf("%+v: right on %s, but not a candidate of that day", c, day)
		}
		got, err := s.rightArisesOn([]Candidate{c}, day)
		if err != nil || len(got) != 1 {
			t.Fatalf("%+v: rightArisesOn(%s) = %v, %v", c, day, got, err)
		}
	}
}
