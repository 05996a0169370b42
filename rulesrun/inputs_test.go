package rulesrun_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

func date(t *testing.T, s string) rules.Date {
	t.Helper()
	d, err := rules.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMapInputs(t *testing.T) {
	period := rules.MonthOf(2026, time.November)
	d := &rulesrun.ShardData{
		Members: []rulesrun.Member{
			{PersonID: 10, HouseholdID: 5, Role: dost.RoleHead, BirthDate: date(t, "1970-01-02"), Sex: dost.SexMale},
			{PersonID: 11, HouseholdID: 5, Role: dost.RoleChild, BirthDate: date(t, "2015-06-01"), Sex: dost.SexFemale},
			{PersonID: 12, HouseholdID: 7, Role: dost.RoleHead, BirthDate: date(t, "1950-06-01"), Sex: dost.SexFemale},
			{PersonID: 20, Role: dost.RoleOther, BirthDate: date(t, "1990-06-01"), Sex: dost.SexMale},
		},
		Insurance: []rulesrun.Insurance{
			// 2000–2005: 2191 days, 6.00 years, all before 2006; the 2005
			// period overlaps it and counts once.
			{PersonID: 10, From: date(t, "2000-01-01"), To: date(t, "2005-12-31"), MonthlyWage: dost.AZN(100)},
			{PersonID: 10, From: date(t, "2005-01-01"), To: date(t, "2005-12-31"), MonthlyWage: dost.AZN(100)},
			// 2016-12-01 to the period's end: 3652 days, 10.00 years.
			{PersonID: 10, From: date(t, "2016-12-01"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(800)},
			// A second job in October 2026 only.
			{PersonID: 10, From: date(t, "2026-10-10"), To: date(t, "2026-10-20"), MonthlyWage: dost.AZN(200)},
			// After the period: not counted.
			{PersonID: 10, From: date(t, "2026-12-01"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(5000)},
			// Person 12 worked from 2025-06 to 2025-08: 3 of the last 24
			// months, none of the last 12.
			{PersonID: 12, From: date(t, "2025-06-15"), To: date(t, "2025-08-01"), MonthlyWage: dost.AZN(400)},
			// Not a member of the shard: ignored.
			{PersonID: 99, From: date(t, "2000-01-01"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(400)},
		},
		Incomes: []rulesrun.Income{
			{PersonID: 10, Month: dost.Month{Year: 2026, Month: time.October}, Amount: dost.AZN(800)},
			{PersonID: 10, Month: dost.Month{Year: 2026, Month: time.October}, Amount: 12345},
			{PersonID: 10, Month: dost.Month{Year: 2025, Month: time.November}, Amount: dost.AZN(700)},
			{PersonID: 10, Month: dost.Month{Year: 2025, Month: time.October}, Amount: dost.AZN(1)}, // 13 months before
			{PersonID: 20, Month: dost.Month{Year: 2026, Month: time.November}, Amount: dost.AZN(50)},
		},
		Disabilities: []rulesrun.Disability{
			{PersonID: 11, Degree: dost.DisabilityChild, Cause: dost.CauseChildhood, Percent: 70, From: date(t, "2020-01-01"), To: date(t, "2033-05-31")},
			{PersonID: 12, Degree: dost.DisabilityIII, Cause: dost.CauseGeneral, From: date(t, "2020-01-01"), To: rulesrun.NoEnd},
			{PersonID: 12, Degree: dost.DisabilityII, Cause: dost.CauseOccupational, From: date(t, "2026-11-20"), To: rulesrun.NoEnd},
			{PersonID: 20, Degree: dost.DisabilityI, Cause: dost.CauseWar, From: date(t, "2026-12-01"), To: rulesrun.NoEnd},
		},
	}
	in, err := rulesrun.MapInputs(period, d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 7, 0}; !slices.Equal(in.HouseholdIDs, want) {
		t.Fatalf("households: got %v, want %v", in.HouseholdIDs, want)
	}
	if want := []int32{0, 0, 1, 2}; !slices.Equal(in.HouseholdOf, want) || in.Loners[2] != 20 || in.Roles[3] != 0 {
		t.Fatalf("population: got household of %v, loners %v, roles %v, want %v and person 20 alone as head", in.HouseholdOf, in.Loners, in.Roles, want)
	}
	if got, want := in.InsuranceYears, []float64{16, 0, 0.13, 0}; !slices.Equal(got, want) {
		t.Errorf("insurance_years: got %v, want %v", got, want)
	}
	if got, want := in.ServiceYearsBefore2006, []float64{6, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("service_years_before_2006: got %v, want %v", got, want)
	}
	if got, want := in.InsuranceMonthsLast24, []int64{24, 0, 3, 0}; !slices.Equal(got, want) {
		t.Errorf("insurance_months_last_24: got %v, want %v", got, want)
	}
	// (11 × 800 + 1 000) / 12 = 816.666… → 816.67.
	if got, want := in.AverageMonthlyWage, []dost.Money{81667, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("average_monthly_wage: got %v, want %v", got, want)
	}
	if got := in.MonthlyIncome[11][0]; got != dost.AZN(800)+12345 {
		t.Errorf("monthly_income 2026-10: got %v, want 923.45", got)
	}
	if got := in.MonthlyIncome[0][0]; got != dost.AZN(700) {
		t.Errorf("monthly_income 2025-11: got %v, want 700.00", got)
	}
	if got := in.MonthlyIncome[12][3]; got != dost.AZN(50) {
		t.Errorf("monthly_income 2026-11 of the loner: got %v, want 50.00", got)
	}
	if got, want := in.DisabilityDegree, []int64{0, 2, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("disability_degree: got %v, want %v (a child's 70%% is 2; the most severe in force)", got, want)
	}
	if got, want := in.DisabilityCause, []string{"general", "general", "occupational", "general"}; !slices.Equal(got, want) {
		t.Errorf("disability_cause: got %v, want %v", got, want)
	}
	if got, want := in.Sex, []string{"male", "female", "female", "male"}; !slices.Equal(got, want) {
		t.Errorf("sex: got %v, want %v", got, want)
	}
}

func TestMapInputsErrOrder(t *testing.T) {
	d := &rulesrun.ShardData{Members: []rulesrun.Member{
		{PersonID: 1, HouseholdID: 7, Role: dost.RoleHead, Sex: dost.SexMale},
		{PersonID: 2, HouseholdID: 5, Role: dost.RoleHead, Sex: dost.SexMale},
	}}
	if _, err := rulesrun.MapInputs(rules.MonthOf(2026, time.November), d); err == nil {
		t.Fatal("got no error, want one for members out of household order")
	}
}
