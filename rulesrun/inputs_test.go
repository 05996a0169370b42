package rulesrun_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/programmes/az"
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

// TestMapInputsDismissals maps each person's dismissal relevant for
// November 2026: the latest dated 2026-06-01 to 2026-11-30, unless an
// insurance period starts after it by 2026-11-30.
func TestMapInputsDismissals(t *testing.T) {
	period := rules.MonthOf(2026, time.November)
	var members []rulesrun.Member
	for id := int64(1); id <= 10; id++ {
		members = append(members, rulesrun.Member{PersonID: id, HouseholdID: 100 + id, Role: dost.RoleHead, BirthDate: date(t, "1980-01-01"), Sex: dost.SexMale})
	}
	dis := func(id int64, d string, r dost.DismissalReason) rulesrun.Dismissal {
		return rulesrun.Dismissal{PersonID: id, Date: date(t, d), Reason: r}
	}
	d := &rulesrun.ShardData{
		Members: members,
		Dismissals: []rulesrun.Dismissal{
			dis(1, "2026-09-30", dost.DismissalStaffCut),
			dis(2, "2026-05-31", dost.DismissalStaffCut), // the day before the window
			dis(3, "2026-06-01", dost.DismissalLiquidation),
			dis(4, "2026-12-01", dost.DismissalStaffCut), // after the period
			dis(5, "2026-10-01", dost.DismissalVoluntary),
			dis(5, "2026-07-01", dost.DismissalStaffCut), // an earlier one
			dis(6, "2026-08-01", dost.DismissalStaffCut),
			dis(7, "2026-08-01", dost.DismissalStaffCut),
			dis(8, "2026-11-30", "redundancy"), // not a reason the rule set knows
			dis(9, "2026-11-15", dost.DismissalContractEnd),
			dis(99, "2026-10-01", dost.DismissalStaffCut), // not a member
		},
		Insurance: []rulesrun.Insurance{
			// 6 worked again in September: no longer unemployed.
			{PersonID: 6, From: date(t, "2026-09-01"), To: date(t, "2026-09-30"), MonthlyWage: dost.AZN(500)},
			// 7's job before the dismissal (left open) and one starting
			// after the period do not count.
			{PersonID: 7, From: date(t, "2010-01-01"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(500)},
			{PersonID: 7, From: date(t, "2026-12-01"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(500)},
			// 9 starts a job in the period, after the dismissal.
			{PersonID: 9, From: date(t, "2026-11-20"), To: rulesrun.NoEnd, MonthlyWage: dost.AZN(500)},
		},
	}
	in, err := rulesrun.MapInputs(period, d)
	if err != nil {
		t.Fatal(err)
	}
	wantReason := []string{"staff_cut", "none", "liquidation", "none", "voluntary", "none", "staff_cut", "other", "none", "none"}
	wantReg := []bool{true, false, true, false, true, false, true, true, false, false}
	if !slices.Equal(in.DismissalReason, wantReason) {
		t.Errorf("dismissal_reason: got %v, want %v", in.DismissalReason, wantReason)
	}
	if !slices.Equal(in.RegisteredUnemployed, wantReg) {
		t.Errorf("registered_unemployed: got %v, want %v", in.RegisteredUnemployed, wantReg)
	}

	// The same records in reverse order map the same.
	slices.Reverse(d.Dismissals)
	slices.Reverse(d.Insurance)
	again, err := rulesrun.MapInputs(period, d)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.DismissalReason, wantReason) || !slices.Equal(again.RegisteredUnemployed, wantReg) {
		t.Errorf("reversed records: got %v %v, want %v %v", again.DismissalReason, again.RegisteredUnemployed, wantReason, wantReg)
	}

	// A month later (December) 3's dismissal of June is out of the window.
	dec, err := rulesrun.MapInputs(rules.MonthOf(2026, time.December), d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.DismissalReason[2] != "none" || dec.RegisteredUnemployed[2] || dec.DismissalReason[0] != "staff_cut" {
		t.Errorf("December: got 3 %q %v, 1 %q, want none false (June is 6 months back), staff_cut",
			dec.DismissalReason[2], dec.RegisteredUnemployed[2], dec.DismissalReason[0])
	}
}

// TestMapInputsUnemploymentBenefit gives the mapped dismissal to the
// Azerbaijani rule set: a staff cut after 11 years of insurance pays 60 %
// of the lost wage; the same person without the dismissal gets nothing.
func TestMapInputsUnemploymentBenefit(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	period := rules.MonthOf(2026, time.October)
	d := &rulesrun.ShardData{
		Members: []rulesrun.Member{
			{PersonID: 1, Role: dost.RoleHead, BirthDate: date(t, "1980-01-01"), Sex: dost.SexMale},
			{PersonID: 2, Role: dost.RoleHead, BirthDate: date(t, "1980-01-01"), Sex: dost.SexMale},
		},
		Insurance: []rulesrun.Insurance{
			{PersonID: 1, From: date(t, "2015-01-01"), To: date(t, "2026-08-31"), MonthlyWage: dost.AZN(1000)},
			{PersonID: 2, From: date(t, "2015-01-01"), To: date(t, "2026-08-31"), MonthlyWage: dost.AZN(1000)},
		},
		Dismissals: []rulesrun.Dismissal{{PersonID: 1, Date: date(t, "2026-08-31"), Reason: dost.DismissalStaffCut}},
	}
	in, err := rulesrun.MapInputs(period, d)
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range []float64{600, 0} {
		sit, err := in.Situation(rs, h)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := rs.Calculate(sit, period, []string{"unemployment_benefit"})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Values["unemployment_benefit"][sit.Persons[0].ID]; got != want {
			t.Errorf("unemployment_benefit of person %s: got %v, want %v", sit.Persons[0].ID, got, want)
		}
	}
}

// TestMapInputsOutOfRange refuses a registry value outside its variable's
// published range (a damaged record: a negative income written around the
// registry's checks), naming the person whose record it is.
func TestMapInputsOutOfRange(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	period := rules.MonthOf(2026, time.November)
	d := &rulesrun.ShardData{
		Members: []rulesrun.Member{
			{PersonID: 41, HouseholdID: 9, Role: dost.RoleHead, BirthDate: date(t, "1970-01-02"), Sex: dost.SexMale},
			{PersonID: 42, HouseholdID: 9, Role: dost.RoleSpouse, BirthDate: date(t, "1972-01-02"), Sex: dost.SexFemale},
		},
		Incomes: []rulesrun.Income{{PersonID: 42, Month: dost.Month{Year: 2026, Month: time.November}, Amount: -dost.AZN(5)}},
	}
	in, err := rulesrun.MapInputs(period, d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Simulation(rs)
	if err == nil || !strings.Contains(err.Error(), "person 42 monthly_income") || !strings.Contains(err.Error(), "at least 0") {
		t.Fatalf("got %v, want person 42's monthly_income refused as below 0", err)
	}
}
