package rules_test

import (
	"testing"

	"github.com/dost-az/dost/rules"
)

// aggregates are household variables over the example rules' persons with
// every aggregation of members, and a person variable reading one back
// with household().
const aggregates = `
all_adults:
  entity: household
  type: bool
  period: month
  formula: all_members(age >= 18)
any_child:
  entity: household
  type: bool
  period: month
  formula: any_members(age < 18)
oldest:
  entity: household
  type: int
  period: month
  formula: max_members(age)
youngest:
  entity: household
  type: int
  period: month
  formula: min_members(age)
highest_salary:
  entity: household
  type: money
  period: month
  formula: max_members(salary)
lowest_salary:
  entity: household
  type: money
  period: month
  formula: min_members(salary)
salaries:
  entity: household
  type: money
  period: month
  formula: sum_members(salary)
insured_members:
  entity: household
  type: int
  period: month
  formula: count_members(insured_years > 0)
years_behind_oldest:
  entity: person
  type: int
  period: month
  formula: household(oldest) - age
`

// TestAggregations checks the value of each aggregation over members
// (sum, count, any, all, max, min, and household() back to persons) for
// households of one and of several members, with Calculate and over a
// population that also holds a household with no members (max and min
// 0, all true, any false).
func TestAggregations(t *testing.T) {
	rs, err := rules.Load(overlay(t, map[string]string{"variables/aggregates.yaml": aggregates}))
	if err != nil {
		t.Fatal(err)
	}
	p := mustPeriod(t, "2026-11")
	vars := []string{"all_adults", "any_child", "oldest", "youngest", "highest_salary", "lowest_salary", "salaries", "insured_members"}
	person := func(id, role, born string, salary float64, years int) rules.SituationPerson {
		return rules.SituationPerson{ID: id, Role: role, Inputs: map[string]any{"birth_date": born, "salary": salary, "insured_years": years}}
	}
	family := &rules.Situation{Persons: []rules.SituationPerson{
		person("a", "head", "1986-05-01", 500, 15),    // 40
		person("b", "spouse", "1988-12-01", 300.5, 0), // 37
		person("c", "child", "2016-01-10", 0, 0),      // 10
	}}
	adults := &rules.Situation{Persons: []rules.SituationPerson{
		person("a", "head", "1950-01-01", 120.25, 40), // 76
		person("b", "spouse", "1960-11-30", 800, 30),  // 65 (birthday on the 30th)
	}}
	alone := &rules.Situation{Persons: []rules.SituationPerson{person("a", "head", "2010-11-01", 42, 0)}} // 16
	for _, c := range []struct {
		name string
		sit  *rules.Situation
		want map[string]any
	}{
		{"Family", family, map[string]any{"all_adults": false, "any_child": true, "oldest": int64(40), "youngest": int64(10),
			"highest_salary": 500.0, "lowest_salary": 0.0, "salaries": 800.5, "insured_members": int64(1)}},
		{"Adults", adults, map[string]any{"all_adults": true, "any_child": false, "oldest": int64(76), "youngest": int64(65),
			"highest_salary": 800.0, "lowest_salary": 120.25, "salaries": 920.25, "insured_members": int64(2)}},
		{"Alone", alone, map[string]any{"all_adults": false, "any_child": true, "oldest": int64(16), "youngest": int64(16),
			"highest_salary": 42.0, "lowest_salary": 42.0, "salaries": 42.0, "insured_members": int64(0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, _, err := rs.Calculate(c.sit, p, append(vars, "years_behind_oldest"))
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.want {
				if got := res.Values[name]["household"]; got != want {
					t.Errorf("%s = %v (%T), want %v", name, got, got, want)
				}
			}
			oldest := c.want["oldest"].(int64)
			for _, sp := range c.sit.Persons {
				age, _, _ := rs.Calculate(&rules.Situation{Persons: []rules.SituationPerson{sp}}, p, []string{"age"})
				if got, want := res.Values["years_behind_oldest"][sp.ID], oldest-age.Values["age"][sp.ID].(int64); got != want {
					t.Errorf("years_behind_oldest[%s] = %v, want %v", sp.ID, got, want)
				}
			}
		})
	}

	t.Run("EmptyHousehold", func(t *testing.T) {
		// Household 1 has no members; households 0 and 2 one person each.
		pop, err := rules.NewPopulation(3, []int32{0, 2}, []int64{0, 0})
		if err != nil {
			t.Fatal(err)
		}
		sim := rs.NewSimulation(pop)
		births := rules.Column{Type: rules.DateType, Ints: []int64{int64(mustDate(t, "1980-01-01")), int64(mustDate(t, "2020-01-01"))}}
		if err := sim.SetInput("birth_date", mustPeriod(t, "eternity"), births); err != nil {
			t.Fatal(err)
		}
		if err := sim.SetInput("salary", p, rules.Column{Type: rules.Money, Floats: []float64{700, 10}}); err != nil {
			t.Fatal(err)
		}
		want := map[string][3]any{
			"all_adults": {true, true, false}, "any_child": {false, false, true},
			"oldest": {int64(46), int64(0), int64(6)}, "youngest": {int64(46), int64(0), int64(6)},
			"highest_salary": {700.0, 0.0, 10.0}, "lowest_salary": {700.0, 0.0, 10.0}, "salaries": {700.0, 0.0, 10.0},
			"insured_members": {int64(0), int64(0), int64(0)},
		}
		for _, name := range vars {
			col, err := sim.Compute(name, p)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := rs.Variable(name)
			for h := range 3 {
				if got := azCell(v, col, h); got != want[name][h] {
					t.Errorf("%s[household %d] = %v, want %v", name, h, got, want[name][h])
				}
			}
		}
	})
}

func mustDate(t *testing.T, s string) rules.Date {
	t.Helper()
	d, err := rules.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
