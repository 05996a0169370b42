package rules_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dost-az/dost/rules"
)

func TestLoadReform(t *testing.T) {
	rs := example(t)
	fsys := fstest.MapFS{"reforms/higher.yaml": {Data: []byte(`name: higher minimum
description: What if the minimum pension rose in July 2026?
parameters:
  params.pension.minimum:
    2026-07-01: 400
    2027-01-01: {value: 420, reference: Draft law 7}
  disability.allowance:
    2026-07-01: {I: 350, II: 300, III: 200}
formulas:
  needs_total: params.tssa.needs_criterion * double(count_members()) + 50.0
  age:
    - from: 2027-01-01
      formula: years_between(birth_date, period_end)
`)}}
	r, err := rules.LoadReform(fsys, "reforms/higher.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "higher minimum" || len(r.Parameters) != 3 || len(r.Formulas) != 2 || r.Description == "" {
		t.Fatalf("reform = %+v", r)
	}
	rr, err := rs.Apply(*r)
	if err != nil {
		t.Fatal(err)
	}
	sit := &rules.Situation{Persons: []rules.SituationPerson{{ID: "leyla", Inputs: map[string]any{"birth_date": "1950-01-31", "insured_years": 30, "disability_degree": "I"}}}}
	for _, tc := range []struct {
		rs                         *rules.RuleSet
		period                     string
		pension, needs, disability float64
		age                        int64
	}{
		{rs, "2026-11", 349.76, 300, 300, 76}, {rr, "2026-06", 349.76, 350, 300, 76}, {rr, "2026-11", 400, 350, 350, 76},
		{rr, "2027-01", 420, 350, 350, 77}, {rs, "2027-01", 349.76, 300, 300, 76},
	} {
		res, tr, err := tc.rs.Calculate(sit, mustPeriod(t, tc.period), []string{"old_age_pension", "needs_total", "disability_allowance", "age"})
		if err != nil {
			t.Fatal(err)
		}
		got := []any{res.Values["old_age_pension"]["leyla"], res.Values["needs_total"]["household"], res.Values["disability_allowance"]["leyla"], res.Values["age"]["leyla"]}
		want := []any{tc.pension, tc.needs, tc.disability, tc.age}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", tc.period, got, want)
				break
			}
		}
		if tc.rs == rr && tc.period == "2027-01" {
			var text bytes.Buffer
			_ = tr.WriteText(&text)
			if !strings.Contains(text.String(), "params.pension.minimum = 420 since 2027-01-01 [Draft law 7]") {
				t.Errorf("trace lacks the reform's reference:\n%s", text.String())
			}
		}
	}
	for _, tc := range []struct{ name, src, want string }{
		{"ErrBadValue", "parameters:\n  pension.minimum:\n    2026-07-01: lots\n", "x.yaml:3: parameter pension.minimum: value \"lots\""},
		{"ErrUnknownField", "name: x\nformula: {}\n", "x.yaml:2: reform x: unknown field \"formula\""},
		{"ErrDates", "formulas:\n  age:\n    - {from: 2027-01-01, formula: '1'}\n    - {from: 2026-01-01, formula: '2'}\n", "x.yaml:4: variable age: formulas: from dates must increase"},
		{"ErrYAML", "parameters: [\n", "x.yaml:1: bad YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.ParseReform("x.yaml", []byte(tc.src))
			var le rules.LoadErrors
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("ErrFormulaLine", func(t *testing.T) {
		r, err := rules.ParseReform("r.yaml", []byte("formulas:\n  needs_total: |\n    params.tssa.needs_criterion\n      + nope\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = rs.Apply(*r)
		if err == nil || !strings.Contains(err.Error(), "r.yaml:4: variable needs_total: unknown name") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("ErrKind", func(t *testing.T) {
		r, _ := rules.ParseReform("r.yaml", []byte("parameters:\n  pension.minimum:\n    2026-01-01: {a: 1}\n"))
		if _, err := rs.Apply(*r); err == nil || !strings.Contains(err.Error(), "pension.minimum is a number") {
			t.Errorf("got %v", err)
		}
	})
}

func TestSumYear(t *testing.T) {
	rs, err := rules.Load(overlay(t, map[string]string{"variables/year.yaml": `
salary_year:
  entity: person
  type: money
  period: year
  formula: sum_year(salary)
share_of_year:
  entity: person
  type: float
  period: month
  formula: 'salary_year > 0.0 ? salary / sum_year(salary) : 0.0'
household_salary_year:
  entity: household
  type: money
  period: year
  formula: sum_members(sum_year(salary))
`}))
	if err != nil {
		t.Fatal(err)
	}
	months := map[string]any{}
	sum := 0.0
	for m := 1; m <= 12; m++ {
		months[rules.MonthOf(2026, 0).Offset(m).String()] = float64(m * 100)
		sum += float64(m * 100)
	}
	months["2025-12"] = 5000.0 // not in 2026
	months["2027-01"] = 5000.0
	sit := &rules.Situation{Persons: []rules.SituationPerson{{ID: "a", Inputs: map[string]any{"salary": months}}, {ID: "b"}}}
	res, _, err := rs.Calculate(sit, mustPeriod(t, "2026-03"), []string{"salary_year", "share_of_year", "household_salary_year"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Values["salary_year"]["a"]; got != sum {
		t.Errorf("salary_year = %v, want %v", got, sum)
	}
	if got := res.Values["household_salary_year"]["household"]; got != sum {
		t.Errorf("household_salary_year = %v, want %v", got, sum)
	}
	if got := res.Values["share_of_year"]["a"]; got != 300/sum {
		t.Errorf("share_of_year = %v, want %v", got, 300/sum)
	}
	res, _, err = rs.Calculate(sit, mustPeriod(t, "2026"), []string{"salary_year"})
	if err != nil || res.Values["salary_year"]["a"] != sum {
		t.Errorf("salary_year[2026] = %v, %v", res, err)
	}
	_, err = rules.Load(overlay(t, map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: year\n  formula: sum_year(insured_years + 1)\n"}))
	if err == nil || !strings.Contains(err.Error(), "sum_year() reads a variable") {
		t.Errorf("got %v", err)
	}
	_, err = rules.Load(overlay(t, map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: sum_year(x)\n"}))
	if err == nil || !strings.Contains(err.Error(), "dependency cycle") {
		t.Errorf("got %v", err)
	}
}

// TestTraceShared checks that a variable read many times is explained once
// and referenced afterwards, in every rendering.
func TestTraceShared(t *testing.T) {
	rs := example(t)
	sit := &rules.Situation{Persons: []rules.SituationPerson{
		{ID: "ali", Role: "head", Inputs: map[string]any{"birth_date": "1950-01-01", "sex": "male", "salary": map[string]any{"2026-01": 100.0}}},
		{ID: "aynur", Role: "spouse"},
	}}
	_, tr, err := rs.Calculate(sit, mustPeriod(t, "2026-11"), []string{"tssa_amount", "old_age_pension", "income_last_12_months"})
	if err != nil {
		t.Fatal(err)
	}
	js, err := tr.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Variables []*rules.TraceNode `json:"variables"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	expanded, refs := map[string]int{}, map[string]int{}
	var walk func(n *rules.TraceNode)
	walk = func(n *rules.TraceNode) {
		if n.Ref != "" {
			refs[n.Ref]++
			if n.Ref != n.ID || len(n.Children) > 0 || n.Formula != "" || len(n.Values) == 0 {
				t.Errorf("ref node %+v", n)
			}
			return
		}
		expanded[n.ID]++
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, n := range back.Variables {
		walk(n)
	}
	for id, k := range expanded {
		if k != 1 {
			t.Errorf("%s expanded %d times", id, k)
		}
	}
	for id := range refs {
		if expanded[id] != 1 {
			t.Errorf("ref to %s, which is not expanded", id)
		}
	}
	// birth_date is read by the ages of twelve months of income, and
	// income_last_12_months is asked for after tssa_amount explained it.
	if refs["birth_date@eternity"] < 10 || refs["income_last_12_months@2026-11"] != 1 {
		t.Errorf("refs = %v", refs)
	}
	var text bytes.Buffer
	_ = tr.WriteText(&text)
	if !strings.Contains(text.String(), "income_last_12_months[2026-11] (formula) = household=100   (explained above)") {
		t.Errorf("text:\n%s", text.String())
	}
	var page bytes.Buffer
	if err := tr.WriteHTML(&page, "en"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `id="birth_date-eternity"`) || !strings.Contains(page.String(), `href="#birth_date-eternity"`) {
		i := strings.Index(page.String(), "class=\"ref\"")
		t.Errorf("HTML lacks the anchor or the link to it: %s", page.String()[i-200:i+800])
	}
}

func TestPopulationIDs(t *testing.T) {
	pop, err := rules.NewPopulationFromIDs([]int64{101, 102, 103, 104}, []int64{900, 901, 900, 902}, []int64{0, 0, 2, 0})
	if err != nil {
		t.Fatal(err)
	}
	if pop.Households() != 3 || pop.Persons() != 4 {
		t.Fatalf("%d households, %d persons", pop.Households(), pop.Persons())
	}
	if got := pop.HouseholdIDs(); len(got) != 3 || got[0] != 900 || got[1] != 901 || got[2] != 902 {
		t.Errorf("household IDs %v", got)
	}
	if pop.IDs(rules.Person)[2] != 103 || pop.HouseholdOf(2) != 0 || len(pop.Members(0)) != 2 || pop.Members(0)[1] != 2 {
		t.Error("person 103 should be the second member of household 900")
	}
	rs := example(t)
	s := rs.NewSimulation(pop)
	c, err := s.Compute("children", mustPeriod(t, "2026-11"))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]int64{}
	for row, id := range pop.IDs(rules.Household) {
		byID[id] = c.Ints[row]
	}
	if byID[900] != 1 || byID[901] != 0 {
		t.Errorf("children by household ID = %v", byID)
	}
	if _, err := rules.NewPopulationFromIDs([]int64{1, 1}, []int64{5, 5}, []int64{0, 0}); err == nil {
		t.Error("repeated person IDs accepted")
	}
	plain, _ := rules.NewPopulation(1, []int32{0}, []int64{0})
	if plain.PersonIDs() != nil {
		t.Error("IDs without being given")
	}
	if _, err := plain.WithIDs([]int64{1, 2}, nil); err == nil {
		t.Error("wrong number of IDs accepted")
	}
}

// TestParallelDeterministic computes a population large enough to split
// across workers with 1, 2 and 3 workers, twice with a Release between: every
// column must be identical bit for bit.
func TestParallelDeterministic(t *testing.T) {
	rs := example(t)
	n := 40000 + 123
	rng := rand.New(rand.NewSource(7))
	hh := make([]int32, n)
	roles := make([]int64, n)
	h := int32(0)
	for i := range hh {
		if i > 0 && rng.Intn(3) == 0 {
			h++
		}
		hh[i], roles[i] = h, int64(rng.Intn(len(rules.Roles)))
	}
	pop, err := rules.NewPopulation(int(h)+1, hh, roles)
	if err != nil {
		t.Fatal(err)
	}
	period := mustPeriod(t, "2026-11")
	birth := rules.Column{Type: rules.DateType, Ints: make([]int64, n)}
	capital := rules.Column{Type: rules.Money, Floats: make([]float64, n)}
	degree := rules.Column{Type: rules.Enum, Ints: make([]int64, n)}
	for i := range n {
		birth.Ints[i] = int64(rng.Intn(36000) - 20000)
		capital.Floats[i] = float64(rng.Intn(10000000)) / 100
		degree.Ints[i] = int64(rng.Intn(5))
	}
	vars := []string{"age", "old_age_pension", "disability_allowance", "income", "in_tssa_household", "tssa_amount", "unemployment_rate"}
	var ref map[string]rules.Column
	for _, w := range []int{1, 2, 3, 2} {
		s := rs.NewSimulation(pop)
		s.SetWorkers(w)
		eternity, _ := rules.ParsePeriod("eternity")
		for _, in := range []struct {
			name string
			p    rules.Period
			c    rules.Column
		}{{"birth_date", eternity, birth}, {"pension_capital", period, capital}, {"disability_degree", period, degree}} {
			if err := s.SetInput(in.name, in.p, in.c); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]rules.Column{}
		for _, name := range vars {
			c, err := s.Compute(name, period)
			if err != nil {
				t.Fatal(err)
			}
			got[name] = rules.Column{Type: c.Type, Bools: append([]bool(nil), c.Bools...), Ints: append([]int64(nil), c.Ints...), Floats: append([]float64(nil), c.Floats...)}
		}
		s.Release()
		if ref == nil {
			ref = got
			continue
		}
		for _, name := range vars {
			a, b := ref[name], got[name]
			for i := range a.Len() {
				same := false
				switch {
				case a.Bools != nil:
					same = a.Bools[i] == b.Bools[i]
				case a.Ints != nil:
					same = a.Ints[i] == b.Ints[i]
				default:
					same = math.Float64bits(a.Floats[i]) == math.Float64bits(b.Floats[i])
				}
				if !same {
					t.Fatalf("workers=%d %s row %d differs", w, name, i)
				}
			}
		}
	}
}
