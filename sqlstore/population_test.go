package sqlstore_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// populationFixture imports two households and a person in no household:
// A (head), B (spouse), C (child born in the period), D (head, disabled),
// E (died before the period) and L (alone). It returns the person IDs by
// letter and the household IDs.
func populationFixture(t *testing.T, db *sqlstore.DB) (map[string]int64, [2]int64) {
	t.Helper()
	mk := func(fin, birth string, sex dost.Sex) *dost.Person {
		p := person(fin, "Ad", "Soyad", birth)
		p.Sex = sex
		return p
	}
	a, b, c := mk("AAAAAA1", "1960-05-10", dost.SexMale), mk("BBBBBB1", "1962-01-01", dost.SexFemale), mk("CCCCCC1", "2026-11-03", dost.SexFemale)
	d, e, l := mk("DDDDDD1", "1950-02-02", dost.SexFemale), mk("EEEEEE1", "1940-03-03", dost.SexMale), mk("LLLLLL1", "1990-04-04", dost.SexMale)
	e.Status, e.DeathDate = dost.PersonDeceased, dost.MustDate("2026-10-15")
	h1 := &dost.Household{Code: "HH1", Members: []*dost.HouseholdMember{
		{FIN: a.FIN, Role: dost.RoleHead}, {FIN: b.FIN, Role: dost.RoleSpouse}, {FIN: c.FIN, Role: dost.RoleChild}}}
	h2 := &dost.Household{Code: "HH2", Members: []*dost.HouseholdMember{
		{FIN: d.FIN, Role: dost.RoleHead}, {FIN: e.FIN, Role: dost.RoleOther}}}
	month := func(s string) dost.Month {
		m, err := dost.ParseMonth(s)
		ok(t, err)
		return m
	}
	b0 := &dost.ImportBatch{
		Persons:    []*dost.Person{a, b, c, d, e, l},
		Households: []*dost.Household{h1, h2},
		Insurance: []*dost.ImportedInsurancePeriod{
			{FIN: a.FIN, InsurancePeriod: dost.InsurancePeriod{Employer: "X", From: dost.MustDate("1990-01-01"), To: dost.MustDate("2005-12-31"), MonthlyWage: dost.AZN(300)}},
			{FIN: a.FIN, InsurancePeriod: dost.InsurancePeriod{Employer: "Y", From: dost.MustDate("2010-01-01"), MonthlyWage: dost.AZN(1000)}},
			{FIN: l.FIN, InsurancePeriod: dost.InsurancePeriod{Employer: "Z", From: dost.MustDate("2027-01-01"), MonthlyWage: dost.AZN(500)}},
		},
		Incomes: []*dost.ImportedIncome{
			{FIN: a.FIN, IncomeRecord: dost.IncomeRecord{Month: month("2026-10"), Source: dost.IncomeWage, Amount: dost.AZN(1000)}},
			{FIN: a.FIN, IncomeRecord: dost.IncomeRecord{Month: month("2025-10"), Source: dost.IncomeWage, Amount: dost.AZN(999)}},
			{FIN: l.FIN, IncomeRecord: dost.IncomeRecord{Month: month("2026-11"), Source: dost.IncomeOther, Amount: dost.AZN(200)}},
		},
		Disabilities: []*dost.ImportedDisability{
			{FIN: d.FIN, DisabilityAssessment: dost.DisabilityAssessment{Degree: dost.DisabilityI, Cause: dost.CauseGeneral, Percent: 90, From: dost.MustDate("2020-01-01")}},
			{FIN: d.FIN, DisabilityAssessment: dost.DisabilityAssessment{Degree: dost.DisabilityIII, Cause: dost.CauseGeneral, From: dost.MustDate("2015-01-01"), To: dost.MustDate("2019-12-31")}},
		},
	}
	ok(t, sqlstore.NewRegistryImporter(db).Import(ctx, b0))
	ids := map[string]int64{"A": a.ID, "B": b.ID, "C": c.ID, "D": d.ID, "E": e.ID, "L": l.ID}
	return ids, [2]int64{h1.ID, h2.ID}
}

func TestPopulationStore(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ids, hh := populationFixture(t, db)
		s := sqlstore.NewPopulationStore(db)
		period := rules.MonthOf(2026, time.November)
		w := rulesrun.WindowOf(period)
		// Dismissals: A's is in the window (2026-06-01 to 2026-11-30),
		// B's the day before it, D's after the period, L's on its last day
		// for a reason the rule set does not know.
		pro := sqlstore.NewProactiveStore(db)
		for _, x := range []proactive.Dismissal{
			{PersonID: ids["A"], Date: dost.MustDate("2026-09-30"), Reason: dost.DismissalStaffCut, EmployerTIN: "1234567891"},
			{PersonID: ids["B"], Date: dost.MustDate("2026-05-31"), Reason: dost.DismissalLiquidation},
			{PersonID: ids["D"], Date: dost.MustDate("2026-12-01"), Reason: dost.DismissalStaffCut},
			{PersonID: ids["L"], Date: dost.MustDate("2026-11-30"), Reason: "redundancy"},
		} {
			_, err := pro.CreateDismissal(ctx, &x)
			ok(t, err)
		}

		t.Run("PlanShards", func(t *testing.T) {
			shards, err := s.PlanShards(ctx, 3)
			ok(t, err)
			var households, loners []rulesrun.Shard
			for _, sh := range shards {
				if sh.Kind == rulesrun.ShardHouseholds {
					households = append(households, sh)
				} else {
					loners = append(loners, sh)
				}
			}
			if len(households) == 0 || households[0].Lo > hh[0] || households[len(households)-1].Hi <= hh[1] {
				t.Fatalf("household shards: got %v, want ranges covering %v", households, hh)
			}
			covered := false
			for _, sh := range loners {
				covered = covered || sh.Lo <= ids["L"] && ids["L"] < sh.Hi
			}
			if !covered {
				t.Fatalf("loner shards: got %v, want one holding person %d", loners, ids["L"])
			}
		})

		t.Run("ReadHouseholds", func(t *testing.T) {
			d, err := s.ReadShard(ctx, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: hh[0], Hi: hh[1] + 1}, w)
			ok(t, err)
			var got []int64
			for _, m := range d.Members {
				got = append(got, m.PersonID)
			}
			first := []int64{ids["A"], ids["B"], ids["C"]}
			slices.Sort(first)
			want := append(first, ids["D"]) // E died before the period
			if !slices.Equal(got, want) {
				t.Fatalf("members: got %v, want %v", got, want)
			}
			for _, m := range d.Members {
				if m.PersonID == ids["C"] && (m.HouseholdID != hh[0] || m.Role != dost.RoleChild || m.Sex != dost.SexFemale ||
					m.BirthDate != rules.DateOf(2026, time.November, 3) || m.DeathDate != 0) {
					t.Fatalf("member C: got %+v, want household %d, child, F, born 2026-11-03", m, hh[0])
				}
			}
			if len(d.Insurance) != 2 || d.Insurance[0].PersonID != ids["A"] {
				t.Fatalf("insurance: got %+v, want A's two periods", d.Insurance)
			}
			for _, r := range d.Insurance {
				if r.MonthlyWage == dost.AZN(1000) && r.To != rulesrun.NoEnd {
					t.Fatalf("open period: got To %v, want NoEnd", r.To)
				}
			}
			if len(d.Incomes) != 1 || d.Incomes[0].Amount != dost.AZN(1000) || d.Incomes[0].Month.String() != "2026-10" {
				t.Fatalf("incomes: got %+v, want A's 2026-10 only (2025-10 is outside the window)", d.Incomes)
			}
			if len(d.Disabilities) != 1 || d.Disabilities[0].Degree != dost.DisabilityI || d.Disabilities[0].Percent != 90 {
				t.Fatalf("disabilities: got %+v, want D's degree I only (III ended in 2019)", d.Disabilities)
			}
			want1 := []rulesrun.Dismissal{{PersonID: ids["A"], Date: rules.DateOf(2026, time.September, 30), Reason: dost.DismissalStaffCut}}
			if !slices.Equal(d.Dismissals, want1) {
				t.Fatalf("dismissals: got %+v, want %+v only (B's is before the window, D's after the period)", d.Dismissals, want1)
			}
			in, err := rulesrun.MapInputs(period, d)
			ok(t, err)
			// A is unemployed: the period open since 2010 began before the
			// dismissal.
			if got, want := in.DismissalReason, []string{"staff_cut", "none", "none", "none"}; !slices.Equal(got, want) {
				t.Fatalf("dismissal_reason: got %v, want %v", got, want)
			}
			if got, want := in.RegisteredUnemployed, []bool{true, false, false, false}; !slices.Equal(got, want) {
				t.Fatalf("registered_unemployed: got %v, want %v", got, want)
			}
		})

		t.Run("NotYetBorn", func(t *testing.T) {
			// C is born on 2026-11-03: a member in November, not in October.
			oct := rulesrun.WindowOf(rules.MonthOf(2026, time.October))
			d, err := s.ReadShard(ctx, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: hh[0], Hi: hh[1] + 1}, oct)
			ok(t, err)
			for _, m := range d.Members {
				if m.PersonID == ids["C"] {
					t.Fatalf("October's members hold C, born 2026-11-03: %+v", d.Members)
				}
			}
			if len(d.Members) != 4 { // A, B, D, and E alive in October
				t.Fatalf("October's members: got %d, want A, B, D and E", len(d.Members))
			}
		})

		t.Run("ReadLoners", func(t *testing.T) {
			d, err := s.ReadShard(ctx, rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: 0, Hi: 1 << 40}, w)
			ok(t, err)
			if len(d.Members) != 1 || d.Members[0].PersonID != ids["L"] || d.Members[0].HouseholdID != 0 {
				t.Fatalf("loners: got %+v, want person %d only", d.Members, ids["L"])
			}
			if len(d.Incomes) != 1 || d.Incomes[0].Month.String() != "2026-11" || len(d.Insurance) != 0 {
				t.Fatalf("loner records: got incomes %+v, insurance %+v, want one income and no period starting after the period", d.Incomes, d.Insurance)
			}
			want := []rulesrun.Dismissal{{PersonID: ids["L"], Date: rules.DateOf(2026, time.November, 30), Reason: "redundancy"}}
			if !slices.Equal(d.Dismissals, want) {
				t.Fatalf("loner dismissals: got %+v, want %+v", d.Dismissals, want)
			}
			in, err := rulesrun.MapInputs(period, d)
			ok(t, err)
			if in.DismissalReason[0] != "other" || !in.RegisteredUnemployed[0] {
				t.Fatalf("loner: got dismissal_reason %q, registered_unemployed %v, want other (an unknown reason), true",
					in.DismissalReason[0], in.RegisteredUnemployed[0])
			}
		})

		t.Run("WriteShardTwice", func(t *testing.T) {
			r := &rulesrun.Run{Period: period, RuleSet: "test", Variables: []string{"x", "y"}}
			ok(t, s.CreateRun(ctx, r))
			sh := rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: hh[0], Hi: hh[1] + 1}
			first := &rulesrun.ShardResult{Shard: sh, Results: []rulesrun.Result{
				{Variable: "x", HouseholdID: hh[0], PersonID: ids["A"], Value: 100},
				{Variable: "x", HouseholdID: hh[1], PersonID: ids["D"], Value: 200},
				{Variable: "y", HouseholdID: hh[0], Value: 1},
			}, Summary: rulesrun.Summary{Shards: 1, Persons: 4, Households: 2, Totals: []rulesrun.Total{{Variable: "x", Count: 2, Sum: 300}}}}
			ok(t, s.WriteShard(ctx, r, first))
			again := &rulesrun.ShardResult{Shard: sh, Results: []rulesrun.Result{
				{Variable: "x", HouseholdID: hh[1], PersonID: ids["D"], Value: 250},
			}, Summary: rulesrun.Summary{Shards: 1, Persons: 4, Households: 2, Totals: []rulesrun.Total{{Variable: "x", Count: 1, Sum: 250}}}}
			ok(t, s.WriteShard(ctx, r, again))
			loner := &rulesrun.ShardResult{Shard: rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: 0, Hi: 1 << 40}, Results: []rulesrun.Result{
				{Variable: "x", PersonID: ids["L"], Value: 7},
			}, Summary: rulesrun.Summary{Shards: 1, Persons: 1, Households: 1, Totals: []rulesrun.Total{{Variable: "x", Count: 1, Sum: 7}}}}
			ok(t, s.WriteShard(ctx, r, loner))
			ok(t, s.WriteShard(ctx, r, loner))

			got, err := s.FindRuleResults(ctx, r.ID, "x")
			ok(t, err)
			want := []rulesrun.Result{{Variable: "x", PersonID: ids["L"], Value: 7}, {Variable: "x", HouseholdID: hh[1], PersonID: ids["D"], Value: 250}}
			if !slices.Equal(got, want) {
				t.Fatalf("results: got %+v, want %+v", got, want)
			}
			if got, err := s.FindRuleResults(ctx, r.ID, "y"); err != nil || len(got) != 0 {
				t.Fatalf("y: got %+v, %v, want none after the rerun", got, err)
			}

			ok(t, s.FinishRun(ctx, r, rulesrun.StatusFinished))
			stored, err := s.FindRunByID(ctx, r.ID)
			ok(t, err)
			if stored.Status != rulesrun.StatusFinished || stored.FinishedAt.IsZero() || stored.Summary.Shards != 2 ||
				stored.Summary.Persons != 5 || stored.Summary.Totals[0] != (rulesrun.Total{Variable: "x", Count: 2, Sum: 257}) ||
				!slices.Equal(stored.Variables, []string{"x", "y"}) || stored.Period != period {
				t.Fatalf("run: got %+v, want finished, 2 shards, 5 persons, x counted 2 summing 257", stored)
			}
			_, err = s.FindRunByID(ctx, r.ID+100)
			mustCode(t, err, dost.ENOTFOUND)
		})
	})
}

// TestPopulationStoreRecordRanges reads a shard's records by person ID
// range when its members' IDs are dense, leaving out the persons of other
// shards in that range, and joined to its members when they are not.
func TestPopulationStoreRecordRanges(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var ps []*dost.Person
		for i := range 12 {
			ps = append(ps, person(fmt.Sprintf("RRRRR%02d", i), "Ad", "Soyad", "1980-01-01"))
		}
		member := func(i int, role dost.HouseholdRole) *dost.HouseholdMember {
			return &dost.HouseholdMember{FIN: ps[i].FIN, Role: role}
		}
		// Dense: household R1 is persons 0 and 2, with person 1 (in no
		// household) between them. Sparse: R2 is persons 3 and 11.
		r1 := &dost.Household{Code: "R1", Members: []*dost.HouseholdMember{member(0, dost.RoleHead), member(2, dost.RoleChild)}}
		r2 := &dost.Household{Code: "R2", Members: []*dost.HouseholdMember{member(3, dost.RoleHead), member(11, dost.RoleSpouse)}}
		b := &dost.ImportBatch{Persons: ps, Households: []*dost.Household{r1, r2}}
		for _, i := range []int{0, 1, 2, 3, 5, 11} {
			b.Incomes = append(b.Incomes, &dost.ImportedIncome{FIN: ps[i].FIN, IncomeRecord: dost.IncomeRecord{
				Month: dost.Month{Year: 2026, Month: time.October}, Source: dost.IncomeWage, Amount: dost.AZN(int64(i + 1))}})
			b.Insurance = append(b.Insurance, &dost.ImportedInsurancePeriod{FIN: ps[i].FIN, InsurancePeriod: dost.InsurancePeriod{
				Employer: "X", From: dost.MustDate("2020-01-01"), MonthlyWage: dost.AZN(int64(i + 1))}})
			b.Disabilities = append(b.Disabilities, &dost.ImportedDisability{FIN: ps[i].FIN, DisabilityAssessment: dost.DisabilityAssessment{
				Degree: dost.DisabilityII, Cause: dost.CauseGeneral, Percent: i + 1, From: dost.MustDate("2020-01-01")}})
		}
		ok(t, sqlstore.NewRegistryImporter(db).Import(ctx, b))
		pro := sqlstore.NewProactiveStore(db)
		for _, i := range []int{0, 1, 2, 3, 5, 11} {
			_, err := pro.CreateDismissal(ctx, &proactive.Dismissal{PersonID: ps[i].ID, Date: dost.MustDate("2026-10-01"), Reason: dost.DismissalStaffCut})
			ok(t, err)
		}
		s := sqlstore.NewPopulationStore(db)
		w := rulesrun.WindowOf(rules.MonthOf(2026, time.November))
		for _, tc := range []struct {
			h    *dost.Household
			want []int64
		}{
			{r1, []int64{ps[0].ID, ps[2].ID}},
			{r2, []int64{ps[3].ID, ps[11].ID}},
		} {
			d, err := s.ReadShard(ctx, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: tc.h.ID, Hi: tc.h.ID + 1}, w)
			ok(t, err)
			var members, incomes, insurance, disabilities, dismissals []int64
			for _, m := range d.Members {
				members = append(members, m.PersonID)
			}
			for _, r := range d.Incomes {
				incomes = append(incomes, r.PersonID)
			}
			for _, r := range d.Insurance {
				insurance = append(insurance, r.PersonID)
			}
			for _, r := range d.Disabilities {
				disabilities = append(disabilities, r.PersonID)
			}
			for _, r := range d.Dismissals {
				dismissals = append(dismissals, r.PersonID)
			}
			for _, got := range [][]int64{incomes, insurance, disabilities, dismissals} {
				slices.Sort(got)
			}
			if !slices.Equal(members, tc.want) || !slices.Equal(incomes, tc.want) || !slices.Equal(insurance, tc.want) ||
				!slices.Equal(disabilities, tc.want) || !slices.Equal(dismissals, tc.want) {
				t.Fatalf("household %s: got members %v, incomes %v, insurance %v, disabilities %v, dismissals %v; want all of %v",
					tc.h.Code, members, incomes, insurance, disabilities, dismissals, tc.want)
			}
		}
	})
}
