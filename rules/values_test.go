package rules_test

import (
	"fmt"
	"io/fs"
	"math"
	"math/rand"
	"os"
	"sync"
	"testing"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

// sameValue compares two result values, NaN equal to NaN.
func sameValue(a, b any) bool {
	if x, ok := a.(float64); ok {
		if y, ok := b.(float64); ok && math.IsNaN(x) && math.IsNaN(y) {
			return true
		}
	}
	return a == b
}

// computed returns the names of rs's formula variables.
func computed(rs *rules.RuleSet) []string {
	var out []string
	for _, v := range rs.Variables() {
		if !v.IsInput() {
			out = append(out, v.Name)
		}
	}
	return out
}

// checkValuesEqual calculates every formula variable of sit with Calculate
// and CalculateValues, one variable at a time and all at once, and fails
// on any difference in value or error.
func checkValuesEqual(t *testing.T, rs *rules.RuleSet, what string, sit *rules.Situation, p rules.Period) {
	t.Helper()
	vars := computed(rs)
	for _, name := range vars {
		want, _, werr := rs.Calculate(sit, p, []string{name})
		got, gerr := rs.CalculateValues(sit, p, []string{name})
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("%s: %s: Calculate error %v, CalculateValues error %v", what, name, werr, gerr)
		}
		if werr != nil {
			continue
		}
		compareResults(t, what, want, got)
	}
	want, _, werr := rs.Calculate(sit, p, vars)
	got, gerr := rs.CalculateValues(sit, p, vars)
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("%s: all: Calculate error %v, CalculateValues error %v", what, werr, gerr)
	}
	if werr == nil {
		compareResults(t, what, want, got)
	}
}

func compareResults(t *testing.T, what string, want, got *rules.Result) {
	t.Helper()
	if want.Period != got.Period || len(want.Values) != len(got.Values) {
		t.Fatalf("%s: CalculateValues %v, Calculate %v", what, got, want)
	}
	for name, w := range want.Values {
		g := got.Values[name]
		if len(g) != len(w) {
			t.Fatalf("%s: %s: CalculateValues %v, Calculate %v", what, name, g, w)
		}
		for id, x := range w {
			if !sameValue(g[id], x) {
				t.Fatalf("%s: %s[%s]: CalculateValues %v (%T), Calculate %v (%T)", what, name, id, g[id], g[id], x, x)
			}
		}
	}
}

func yamlCases(t *testing.T, rs *rules.RuleSet, fsys fs.FS) []*rules.TestCase {
	results, err := rs.RunTests(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var out []*rules.TestCase
	for _, r := range results {
		out = append(out, r.Case)
	}
	return out
}

// RandomAZHousehold returns a household of 1–6 persons with random inputs
// for the Azerbaijani rule set, incomes over the 13 months up to p.
func randomAZHousehold(rng *rand.Rand, p rules.Period) *rules.Situation {
	sit := &rules.Situation{}
	n := 1 + rng.Intn(6)
	for i := range n {
		in := map[string]any{
			"birth_date":                rules.Date(rng.Intn(33000) - 18000).String(),
			"sex":                       []string{"male", "female"}[rng.Intn(2)],
			"insurance_years":           float64(rng.Intn(450)) / 10,
			"service_years_before_2006": float64(rng.Intn(200)) / 10,
			"pension_capital":           float64(rng.Intn(12000000)) / 100,
			"disability_degree":         []int{0, 0, 0, 1, 2, 3}[rng.Intn(6)],
			"disability_cause":          []string{"general", "general", "war", "duty", "work_injury", "occupational", "chernobyl"}[rng.Intn(7)],
			"registered_unemployed":     rng.Intn(4) == 0,
			"dismissal_reason":          []string{"none", "liquidation", "staff_cut", "contract_end", "voluntary", "other"}[rng.Intn(6)],
			"insurance_months_last_24":  rng.Intn(25),
			"average_monthly_wage":      float64(rng.Intn(300000)) / 100,
		}
		if rng.Intn(20) == 0 {
			in["birth_date"] = p.Start().String() // born this month
			in["stillborn"] = rng.Intn(10) == 0
		}
		if rng.Intn(30) == 0 {
			in["death_date"] = p.End().String()
		}
		inc := map[string]any{}
		for m := 0; m <= 13; m++ {
			if rng.Intn(3) > 0 {
				inc[p.Offset(-m).String()] = float64(rng.Intn(150000)) / 100
			}
		}
		in["monthly_income"] = inc
		role := "child"
		switch {
		case i == 0:
			role = "head"
		case i == 1:
			role = "spouse"
		case rng.Intn(4) == 0:
			role = "parent"
		}
		id := ""
		if rng.Intn(3) > 0 {
			id = fmt.Sprintf("p%d", i)
		}
		sit.Persons = append(sit.Persons, rules.SituationPerson{ID: id, Role: role, Inputs: in})
	}
	return sit
}

func TestCalculateValuesEqualsCalculate(t *testing.T) {
	p := mustPeriod(t, "2026-11")
	t.Run("example", func(t *testing.T) {
		rs := example(t)
		for _, c := range yamlCases(t, rs, os.DirFS("testdata/example")) {
			cp := mustPeriod(t, c.Period)
			checkValuesEqual(t, rs, c.File+": "+c.Name, &rules.Situation{Household: c.Household, Persons: c.Persons}, cp)
		}
	})
	t.Run("az", func(t *testing.T) {
		rs, err := az.RuleSet()
		if err != nil {
			t.Fatal(err)
		}
		cases := yamlCases(t, rs, az.FS())
		if len(cases) < 40 {
			t.Fatalf("%d YAML cases", len(cases))
		}
		for _, c := range cases {
			cp := mustPeriod(t, c.Period)
			checkValuesEqual(t, rs, c.File+": "+c.Name, &rules.Situation{Household: c.Household, Persons: c.Persons}, cp)
		}
		rng := rand.New(rand.NewSource(1))
		for i := range 300 {
			per := p.Offset(-rng.Intn(120))
			checkValuesEqual(t, rs, fmt.Sprintf("random household %d", i), randomAZHousehold(rng, per), per)
		}
	})
}

// TestCalculateValuesConcurrent runs CalculateValues from several
// goroutines on one rule set (the pool is shared) and checks every answer
// against Calculate's.
func TestCalculateValuesConcurrent(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	p := mustPeriod(t, "2026-11")
	vars := computed(rs)
	rng := rand.New(rand.NewSource(2))
	var sits []*rules.Situation
	var want []*rules.Result
	for range 64 {
		s := randomAZHousehold(rng, p)
		r, _, err := rs.Calculate(s, p, vars)
		if err != nil {
			t.Fatal(err)
		}
		sits, want = append(sits, s), append(want, r)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 200 {
				i := (k*7 + g*13) % len(sits)
				got, err := rs.CalculateValues(sits[i], p, vars)
				if err != nil {
					t.Error(err)
					return
				}
				for name, w := range want[i].Values {
					for id, x := range w {
						if !sameValue(got.Values[name][id], x) {
							t.Errorf("household %d %s[%s]: %v, want %v", i, name, id, got.Values[name][id], x)
							return
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestSituationNaNMoney checks that a money input set cannot round (NaN)
// is refused, as SetInput refuses it.
func TestSituationNaNMoney(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	sit := &rules.Situation{Persons: []rules.SituationPerson{{ID: "a", Inputs: map[string]any{
		"birth_date": "1950-05-05", "pension_capital": math.NaN()}}}}
	_, err = rs.CalculateValues(sit, mustPeriod(t, "2026-11"), []string{"old_age_pension"})
	if want := "situation: set input pension_capital: row 0 amount NaN is not in whole qəpik"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
