package rulesrun_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
)

var ctx = context.Background()

// key names a result: variable, household ID, person ID.
type key struct {
	variable  string
	household int64
	person    int64
}

// stored returns the results of run r by key.
func stored(t *testing.T, s *sqlstore.PopulationStore, r *rulesrun.Run) map[key]int64 {
	t.Helper()
	out := map[key]int64{}
	for _, v := range r.Variables {
		rs, err := s.FindRuleResults(ctx, r.ID, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rs {
			out[key{v, x.HouseholdID, x.PersonID}] = x.Value
		}
	}
	return out
}

// TestExecute runs the Azerbaijani rule set over a synthetic registry (and
// a person in no household) in small shards, then checks a sample of
// households against single-case rules.Calculate, the summary against the
// stored rows, and that rerunning a shard changes nothing.
func TestExecute(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		// October 2026: the synthetic registry's 12 income months are the
		// 12 before it, and it has births in the month.
		period := rules.MonthOf(2026, time.October)
		batch := synth.Batch(synth.Options{Persons: 800, Seed: 3, Today: dost.MustDate("2026-11-01")})
		// U, in no household, insured from 2015 at 1 000 AZN until cut
		// from staff on 2026-08-31: 11.7 years, 60 % of the lost wage.
		u := person("UUUUUU1", "1980-02-01")
		batch.Persons = append(batch.Persons, u)
		batch.Insurance = append(batch.Insurance, &dost.ImportedInsurancePeriod{FIN: u.FIN, InsurancePeriod: dost.InsurancePeriod{
			Employer: "X", From: dost.MustDate("2015-01-01"), To: dost.MustDate("2026-08-31"), MonthlyWage: dost.AZN(1000)}})
		if err := sqlstore.NewRegistryImporter(db).Import(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// Dismissals of U and of every 9th synthetic person, some before
		// the window (2026-05-01 to 2026-10-31), with every reason.
		pro := sqlstore.NewProactiveStore(db)
		dismiss := func(id int64, date string, r dost.DismissalReason) {
			t.Helper()
			if _, err := pro.CreateDismissal(ctx, &proactive.Dismissal{PersonID: id, Date: dost.MustDate(date), Reason: r}); err != nil {
				t.Fatal(err)
			}
		}
		dismiss(u.ID, "2026-08-31", dost.DismissalStaffCut)
		reasons := []dost.DismissalReason{dost.DismissalStaffCut, dost.DismissalLiquidation, dost.DismissalVoluntary,
			dost.DismissalContractEnd, dost.DismissalOther, "unknown"}
		for i := 0; i < 800; i += 9 {
			dismiss(batch.Persons[i].ID, fmt.Sprintf("2026-%02d-%02d", 3+i%8, 1+i%28), reasons[i%len(reasons)])
		}
		alone := person("ZZZZZZ1", "1958-03-01")
		if err := sqlstore.NewPersonService(db).CreatePerson(ctx, alone); err != nil {
			t.Fatal(err)
		}
		s := sqlstore.NewPopulationStore(db)
		vars := append([]string{"age", "tssa_average_monthly_income", "household_size"}, rulesrun.DefaultVariables...)
		var calls int
		r, err := rulesrun.Execute(ctx, s, rs, period, rulesrun.Options{Variables: vars, ShardSize: 150, Workers: 2, RuleSet: "az",
			Progress: func(done, total int64) { calls++ }})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != rulesrun.StatusFinished || r.Summary.Shards < 5 || calls != r.Summary.Shards {
			t.Fatalf("run: got status %s, %d shards, %d progress calls, want finished, at least 5 shards, one call each", r.Status, r.Summary.Shards, calls)
		}
		got := stored(t, s, r)

		// Totals agree with the stored rows.
		for _, tot := range r.Summary.Totals {
			var n, sum int64
			for k, v := range got {
				if k.variable == tot.Variable {
					n, sum = n+1, sum+v
				}
			}
			if n != tot.Count || sum != tot.Sum {
				t.Errorf("%s: got count %d sum %d stored, want the summary's %d and %d", tot.Variable, n, sum, tot.Count, tot.Sum)
			}
		}
		for _, v := range []string{"age", "old_age_pension", "tssa_amount", "birth_allowance", "disability_allowance"} {
			if i := indexOf(r.Summary.Totals, v); i < 0 || r.Summary.Totals[i].Count == 0 {
				t.Errorf("%s: got no one, want some in a population of 800", v)
			}
		}
		if got[key{"age", 0, alone.ID}] != 68 || got[key{"household_size", 0, alone.ID}] != 1 {
			t.Errorf("person in no household: got age %d, household size %d, want 68 and 1",
				got[key{"age", 0, alone.ID}], got[key{"household_size", 0, alone.ID}])
		}
		if got := got[key{"unemployment_benefit", 0, u.ID}]; got != 60000 {
			t.Errorf("unemployment benefit of U: got %d qəpik, want 60000 (60 %% of 1 000 AZN)", got)
		}

		// Batch equals single case, for every 7th household of each shard
		// and U: the inputs read with the shard equal those read for the
		// household alone (as casework and the proactive service read
		// it), and the stored results equal rules.Calculate's.
		shards, err := s.PlanShards(ctx, 150)
		if err != nil {
			t.Fatal(err)
		}
		checked, dismissed := 0, 0
		for _, sh := range shards {
			d, err := s.ReadShard(ctx, sh, rulesrun.WindowOf(period))
			if err != nil {
				t.Fatal(err)
			}
			in, err := rulesrun.MapInputs(period, d)
			if err != nil {
				t.Fatal(err)
			}
			for h := range in.HouseholdIDs {
				if h%7 != 0 && in.Loners[h] != u.ID {
					continue
				}
				sit, err := in.Situation(rs, h)
				if err != nil {
					t.Fatal(err)
				}
				one := rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: in.HouseholdIDs[h], Hi: in.HouseholdIDs[h] + 1}
				if in.HouseholdIDs[h] == 0 {
					one = rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: in.Loners[h], Hi: in.Loners[h] + 1}
				}
				d1, err := s.ReadShard(ctx, one, rulesrun.WindowOf(period))
				if err != nil {
					t.Fatal(err)
				}
				in1, err := rulesrun.MapInputs(period, d1)
				if err != nil {
					t.Fatal(err)
				}
				sit1, err := in1.Situation(rs, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(sit1, sit) {
					t.Fatalf("household %s read alone: got %+v, want the shard's %+v", sit.ID, sit1, sit)
				}
				for _, p := range sit.Persons {
					if r := p.Inputs["dismissal_reason"].(map[string]any)[period.String()]; r != "none" {
						dismissed++
					}
				}
				res, _, err := rs.Calculate(sit, period, r.Variables)
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range r.Variables {
					v, _ := rs.Variable(name)
					for id, val := range res.Values[name] {
						k := key{variable: name, household: in.HouseholdIDs[h]}
						if v.Entity == rules.Person {
							fmt.Sscan(id, &k.person)
						} else {
							k.person = in.Loners[h]
						}
						if want := asStored(val); got[k] != want {
							t.Fatalf("%s of %s in household %s: got %d stored, want %d from Calculate", name, id, sit.ID, got[k], want)
						}
					}
				}
				checked++
			}
		}
		if checked < 20 || dismissed < 3 {
			t.Fatalf("checked %d households with %d dismissed persons, want at least 20 and 3", checked, dismissed)
		}

		t.Run("RerunShard", func(t *testing.T) {
			before := r.Summary
			for _, sh := range shards[:2] {
				if _, err := rulesrun.RunShard(ctx, s, rs, r, sh); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.FinishRun(ctx, r, rulesrun.StatusFinished); err != nil {
				t.Fatal(err)
			}
			if after := stored(t, s, r); len(after) != len(got) {
				t.Fatalf("results after rerunning 2 shards: got %d, want %d", len(after), len(got))
			}
			for i, tot := range r.Summary.Totals {
				if tot != before.Totals[i] {
					t.Fatalf("totals after the rerun: got %+v, want %+v", tot, before.Totals[i])
				}
			}
		})
	})
}

// asStored converts a Calculate value to the stored form.
func asStored(x any) int64 {
	switch v := x.(type) {
	case bool:
		if v {
			return 1
		}
		return 0
	case int64:
		return v
	case float64:
		return int64(math.Round(v * 100))
	}
	panic(fmt.Sprintf("unexpected value %T", x))
}

func indexOf(ts []rulesrun.Total, v string) int {
	for i, t := range ts {
		if t.Variable == v {
			return i
		}
	}
	return -1
}

func person(fin, birth string) *dost.Person {
	return &dost.Person{FIN: dost.FIN(fin), FirstName: "Tək", LastName: "Adam", BirthDate: dost.MustDate(birth),
		Sex: dost.SexMale, Region: "Baku"}
}

func TestVariables(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Default", func(t *testing.T) {
		vs, err := rulesrun.Variables(rs, nil)
		if err != nil || len(vs) != len(rulesrun.DefaultVariables) {
			t.Fatalf("got %v, %v, want the %d defaults", vs, err, len(rulesrun.DefaultVariables))
		}
	})
	for _, bad := range []string{"nope", "unemployment_benefit_rate", "birth_date", "sex"} {
		t.Run("Err"+bad, func(t *testing.T) {
			if _, err := rulesrun.Variables(rs, []string{bad}); err == nil {
				t.Fatalf("got no error for %s, want one", bad)
			}
		})
	}
}
