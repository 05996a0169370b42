package rules_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dost-az/dost/rules"
)

func example(t testing.TB) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Load(os.DirFS("testdata/example"))
	if err != nil {
		t.Fatalf("load example: %v", err)
	}
	return rs
}

func mustPeriod(t testing.TB, s string) rules.Period {
	t.Helper()
	p, err := rules.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// overlay returns the example rule set's files plus extra (which replace
// files of the same name).
func overlay(t *testing.T, extra map[string]string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, dir := range []string{"variables", "parameters"} {
		ents, err := os.ReadDir("testdata/example/" + dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			data, err := os.ReadFile("testdata/example/" + dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			fsys[dir+"/"+e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	for name, data := range extra {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

func TestYAMLTests(t *testing.T) {
	rs := example(t)
	results, err := rs.RunTests(os.DirFS("testdata/example"))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 8 {
		t.Fatalf("got %d results, want at least 8", len(results))
	}
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
	}
	t.Run("ErrWrongExpectation", func(t *testing.T) {
		fsys := fstest.MapFS{"tests/bad.yaml": {Data: []byte(`
- name: wrong
  period: 2026-11
  persons: [{id: leyla, inputs: {birth_date: 1958-03-01, sex: female, insured_years: 30}}]
  output: {old_age_pension: {leyla: 349.75}, age: 67}
`)}}
		results, err := rs.RunTests(fsys)
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || len(results[0].Failures) != 2 {
			t.Fatalf("got %v, want 2 failures", results)
		}
		if s := results[0].String(); !strings.Contains(s, "old_age_pension[leyla] = 349.76, want 349.75") {
			t.Errorf("got %q", s)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{"ErrSyntax", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: age +* 2\n"},
			[]string{"variables/x.yaml:5: variable x:", "Syntax error"}},
		{"ErrSyntaxBlockLine", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: |\n    age +\n      * 2\n"},
			[]string{"variables/x.yaml:7: variable x:"}},
		{"ErrType", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: money\n  period: month\n  formula: age + 1\n"},
			[]string{"variables/x.yaml:5: variable x: formula gives int but the variable is money"}},
		{"ErrTypeOperands", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: money\n  period: month\n  formula: salary + 1\n"},
			[]string{"variables/x.yaml:5: variable x:", "no matching overload"}},
		{"ErrUnknownName", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: agee + 1\n"},
			[]string{"variables/x.yaml:5: variable x: unknown name", "agee"}},
		{"ErrUnknownParameter", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: float\n  period: month\n  formula: params.pension.maximum\n"},
			[]string{"variables/x.yaml:5: variable x: unknown name"}},
		{"ErrCycle", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: y + 1\ny:\n  entity: person\n  type: int\n  period: month\n  formula: x - 1\n"},
			[]string{"variable x: dependency cycle: x → y → x"}},
		{"ErrCycleThroughPrev", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: prev(x, 1) + 1\n"},
			[]string{"variable x: dependency cycle: x → x"}},
		{"ErrBadYAML", map[string]string{"variables/x.yaml": "x:\n  entity: person\n   type: int\n"},
			[]string{"variables/x.yaml:3: bad YAML"}},
		{"ErrUnknownField", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formul: 1\n"},
			[]string{"variables/x.yaml:5: variable x: unknown field \"formul\""}},
		{"ErrEntity", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: bool\n  period: month\n  formula: owns_vehicle\n"},
			[]string{"variables/x.yaml:5: variable x: owns_vehicle is a household variable: read it with household(owns_vehicle)"}},
		{"ErrAggregateInPerson", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: count_members()\n"},
			[]string{"variable x: count_members() is for household formulas"}},
		{"ErrEnumValue", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: bool\n  period: month\n  formula: sex == \"mael\"\n"},
			[]string{"variables/x.yaml:5: variable x: \"mael\" is not one of male, female"}},
		{"ErrTableKey", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: money\n  period: month\n  formula: table(params.disability.allowance, sex)\n"},
			[]string{"variable x: disability.allowance has key \"I\""}},
		{"ErrYearReadsMonth", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: money\n  period: year\n  formula: salary\n"},
			[]string{"variable x: salary is a month variable and this formula is per year"}},
		{"ErrComprehension", map[string]string{"variables/x.yaml": "x:\n  entity: person\n  type: int\n  period: month\n  formula: '[1, 2][0]'\n"},
			[]string{"variable x:"}},
		{"ErrParamNotNumber", map[string]string{"parameters/x.yaml": "p:\n  values:\n    2020-01-01: abc\n"},
			[]string{"parameters/x.yaml:3: parameter x.p: value \"abc\""}},
		{"ErrParamDates", map[string]string{"parameters/x.yaml": "p:\n  values:\n    2021-01-01: 1\n    2020-01-01: 2\n"},
			[]string{"parameters/x.yaml:4: parameter x.p: start dates must increase"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Load(overlay(t, tc.files))
			if err == nil {
				t.Fatal("got no error")
			}
			var le rules.LoadErrors
			if !errors.As(err, &le) {
				t.Fatalf("got %T, want LoadErrors", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParameterAt(t *testing.T) {
	rs := example(t)
	p, ok := rs.Parameter("params.pension.minimum")
	if !ok {
		t.Fatal("no pension.minimum")
	}
	for _, tc := range []struct {
		date string
		want float64
		from string
	}{
		{"2019-10-01", 200, "2019-10-01"}, {"2022-12-31", 240, "2022-01-01"}, {"2025-03-01", 320, "2025-02-01"},
		{"2026-01-01", 349.76, "2026-01-01"}, {"2030-01-01", 349.76, "2026-01-01"},
	} {
		d, _ := rules.ParseDate(tc.date)
		v, err := p.At(d)
		if err != nil {
			t.Fatal(err)
		}
		if v.Value != tc.want || v.From.String() != tc.from {
			t.Errorf("At(%s) = %v from %s, want %v from %s", tc.date, v.Value, v.From, tc.want, tc.from)
		}
	}
	d, _ := rules.ParseDate("2019-09-30")
	if _, err := p.At(d); err == nil || !strings.Contains(err.Error(), "pension.minimum has no value on 2019-09-30") {
		t.Errorf("got %v, want no value error", err)
	}
	// A formula that needs it before its first value fails to compute.
	pop, _ := rules.NewPopulation(1, []int32{0}, []int64{0})
	_, err := rs.NewSimulation(pop).Compute("needs_total", mustPeriod(t, "2016-05"))
	if err == nil || !strings.Contains(err.Error(), "tssa.needs_criterion has no value on 2016-05-01") {
		t.Errorf("got %v, want a missing-parameter error", err)
	}
}

func TestRoundMoney(t *testing.T) {
	for _, tc := range [][2]float64{{1.005, 1.01}, {2.675, 2.68}, {-1.005, -1.01}, {0.125, 0.13}, {1.004, 1}, {-0.5, -0.5}, {349.76, 349.76}, {1e9 + 0.005, 1e9 + 0.01}} {
		if got := rules.RoundMoney(tc[0]); got != tc[1] {
			t.Errorf("RoundMoney(%v) = %v, want %v", tc[0], got, tc[1])
		}
	}
}

func TestMissingInputsUseDefaults(t *testing.T) {
	rs := example(t)
	pop, _ := rules.NewPopulation(2, []int32{0, 1, 1}, []int64{0, 0, 2})
	s := rs.NewSimulation(pop)
	for _, name := range []string{"old_age_pension", "tssa_amount", "in_tssa_household", "age", "unemployment_rate"} {
		c, err := s.Compute(name, mustPeriod(t, "2026-11"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Len() == 0 {
			t.Errorf("%s: empty column", name)
		}
	}
	c, _ := s.Compute("needs_total", mustPeriod(t, "2026-11"))
	if got := c.Floats; got[0] != 300 || got[1] != 600 {
		t.Errorf("needs_total = %v, want [300 600]", got)
	}
}

func TestReform(t *testing.T) {
	rs := example(t)
	from, _ := rules.ParseDate("2026-07-01")
	r, err := rs.Apply(rules.Reform{
		Name:       "higher minimum",
		Parameters: []rules.ParameterChange{{Path: "pension.minimum", From: from, Value: 400}},
		Formulas:   []rules.FormulaChange{{Variable: "needs_total", Formula: "params.tssa.needs_criterion * double(count_members()) + 50.0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sit := &rules.Situation{Persons: []rules.SituationPerson{{ID: "leyla", Inputs: map[string]any{"birth_date": "1950-01-01", "insured_years": 30}}}}
	for _, tc := range []struct {
		rs         *rules.RuleSet
		period     string
		pension    float64
		needsTotal float64
	}{
		{rs, "2026-11", 349.76, 300}, {r, "2026-11", 400, 350}, {r, "2026-06", 349.76, 350},
	} {
		res, _, err := tc.rs.Calculate(sit, mustPeriod(t, tc.period), []string{"old_age_pension", "needs_total"})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Values["old_age_pension"]["leyla"]; got != tc.pension {
			t.Errorf("%s: pension = %v, want %v", tc.period, got, tc.pension)
		}
		if got := res.Values["needs_total"]["household"]; got != tc.needsTotal {
			t.Errorf("%s: needs_total = %v, want %v", tc.period, got, tc.needsTotal)
		}
	}
	t.Run("ErrBadFormula", func(t *testing.T) {
		_, err := rs.Apply(rules.Reform{Name: "bad", Formulas: []rules.FormulaChange{{Variable: "needs_total", Formula: "nope"}}})
		if err == nil || !strings.Contains(err.Error(), "reform bad:1: variable needs_total: unknown name") {
			t.Errorf("got %v", err)
		}
	})
}

func TestTrace(t *testing.T) {
	rs := example(t)
	sit := &rules.Situation{Persons: []rules.SituationPerson{
		{ID: "leyla", Role: "head", Inputs: map[string]any{"birth_date": "1958-03-01", "sex": "female", "insured_years": 30}},
		{ID: "<b>x</b>", Role: "child", Inputs: map[string]any{"disability_degree": "I"}},
	}}
	res, tr, err := rs.Calculate(sit, mustPeriod(t, "2026-11"), []string{"old_age_pension", "tssa_amount"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Values["old_age_pension"]["leyla"]; got != 349.76 {
		t.Fatalf("pension = %v", got)
	}
	js, err := tr.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Variables []rules.TraceNode `json:"variables"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	root := back.Variables[0]
	if root.Variable != "old_age_pension" || root.Source != "formula" || root.FormulaFrom != "2019-10-01" {
		t.Errorf("root = %+v", root)
	}
	var minimum *rules.TraceParameter
	for i, p := range root.Parameters {
		if p.Path == "params.pension.minimum" {
			minimum = &root.Parameters[i]
		}
	}
	if minimum == nil || minimum.Value != 349.76 || minimum.From != "2026-01-01" || minimum.Reference != "Law on Labour Pensions, art. 7" {
		t.Errorf("minimum = %+v", minimum)
	}
	found := map[string]string{}
	var walk func(n rules.TraceNode)
	walk = func(n rules.TraceNode) {
		found[n.Variable] = n.Source
		for _, c := range n.Children {
			walk(*c)
		}
	}
	walk(root)
	for v, src := range map[string]string{"reached_retirement_age": "formula", "birth_date": "input", "pension_capital": "default", "sex": "input"} {
		if found[v] != src {
			t.Errorf("trace has %s as %q, want %q", v, found[v], src)
		}
	}
	var text bytes.Buffer
	if err := tr.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"old_age_pension[2026-11] (formula) = leyla=349.76", "params.pension.minimum = 349.76 since 2026-01-01 [Law on Labour Pensions, art. 7]", "    age_months[2026-11]"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	var page bytes.Buffer
	if err := tr.WriteHTML(&page, "en"); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	if strings.Contains(h, "<b>x</b>") || !strings.Contains(h, "&lt;b&gt;x&lt;/b&gt;") {
		t.Error("HTML does not escape an ID")
	}
	if !strings.Contains(h, "Old-age labour pension") || !strings.Contains(h, "Law on Labour Pensions, art. 7") {
		t.Error("HTML lacks the English label or the reference")
	}
}

// TestBatchEqualsSingle computes random households as one population and
// one by one with Calculate: every value must be identical.
func TestBatchEqualsSingle(t *testing.T) {
	rs := example(t)
	vars := []string{"age", "retirement_age_months", "old_age_pension", "disability_allowance", "unemployment_rate", "income", "in_tssa_household",
		"children", "income_last_12_months", "average_monthly_income", "needs_total", "tssa_eligible", "tssa_amount"}
	period := mustPeriod(t, "2026-11")
	for seed := int64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var sits []*rules.Situation
		var hh []int32
		var roles []int64
		for h := 0; h < 40; h++ {
			sit := &rules.Situation{Household: map[string]any{"owns_vehicle": rng.Intn(5) == 0}}
			for i, n := 0, rng.Intn(6); i < n; i++ {
				in := map[string]any{
					"birth_date":        rules.Date(rng.Intn(30000) - 10000).String(),
					"sex":               []string{"male", "female"}[rng.Intn(2)],
					"disability_degree": []string{"none", "I", "II", "III", "child"}[rng.Intn(5)],
					"insured_years":     rng.Intn(40),
					"pension_capital":   float64(rng.Intn(10000000)) / 100,
				}
				sal := map[string]any{}
				for m := 1; m <= 12; m++ {
					if rng.Intn(2) == 0 {
						sal[period.Offset(-m).String()] = float64(rng.Intn(100000)) / 100
					}
				}
				in["salary"] = sal
				r := rng.Intn(len(rules.Roles))
				sit.Persons = append(sit.Persons, rules.SituationPerson{ID: string(rune('a' + i)), Role: rules.Roles[r], Inputs: in})
				hh = append(hh, int32(h))
				roles = append(roles, int64(r))
			}
			sits = append(sits, sit)
		}
		// The batch: the same inputs as columns.
		pop, err := rules.NewPopulation(len(sits), hh, roles)
		if err != nil {
			t.Fatal(err)
		}
		sim := rs.NewSimulation(pop)
		n := len(hh)
		set := func(name string, p rules.Period, get func(sp rules.SituationPerson) any) {
			v, _ := rs.Variable(name)
			col := rules.Column{Type: v.Type}
			row := 0
			for _, s := range sits {
				for _, sp := range s.Persons {
					x := get(sp)
					switch v.Type {
					case rules.DateType:
						d, _ := rules.ParseDate(x.(string))
						col.Ints = append(col.Ints, int64(d))
					case rules.Enum:
						col.Ints = append(col.Ints, int64(indexOf(v.Values, x.(string))))
					case rules.Int:
						col.Ints = append(col.Ints, int64(x.(int)))
					case rules.Money:
						f, _ := x.(float64)
						col.Floats = append(col.Floats, f)
					}
					row++
				}
			}
			if err := sim.SetInput(name, p, col); err != nil {
				t.Fatal(err)
			}
		}
		eternity, _ := rules.ParsePeriod("eternity")
		set("birth_date", eternity, func(sp rules.SituationPerson) any { return sp.Inputs["birth_date"] })
		set("sex", eternity, func(sp rules.SituationPerson) any { return sp.Inputs["sex"] })
		for _, name := range []string{"disability_degree", "insured_years", "pension_capital"} {
			set(name, period, func(sp rules.SituationPerson) any { return sp.Inputs[name] })
		}
		for m := 1; m <= 12; m++ {
			p := period.Offset(-m)
			set("salary", p, func(sp rules.SituationPerson) any { return sp.Inputs["salary"].(map[string]any)[p.String()] })
		}
		veh := rules.Column{Type: rules.Bool}
		for _, s := range sits {
			veh.Bools = append(veh.Bools, s.Household["owns_vehicle"].(bool))
		}
		if err := sim.SetInput("owns_vehicle", period, veh); err != nil {
			t.Fatal(err)
		}
		batch := map[string]rules.Column{}
		for _, name := range vars {
			c, err := sim.Compute(name, period)
			if err != nil {
				t.Fatal(err)
			}
			batch[name] = c
		}
		_ = n
		row := 0
		for h, s := range sits {
			res, _, err := rs.Calculate(s, period, vars)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range vars {
				v, _ := rs.Variable(name)
				if v.Entity == rules.Household {
					if got, want := res.Values[name]["household"], cell(batch[name], v, h); got != want {
						t.Fatalf("seed %d household %d %s: single %v, batch %v", seed, h, name, got, want)
					}
					continue
				}
				for i, sp := range s.Persons {
					if got, want := res.Values[name][sp.ID], cell(batch[name], v, row+i); got != want {
						t.Fatalf("seed %d household %d person %d %s: single %v, batch %v", seed, h, i, name, got, want)
					}
				}
			}
			row += len(s.Persons)
		}
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}

func cell(c rules.Column, v *rules.Variable, i int) any {
	switch v.Type {
	case rules.Bool:
		return c.Bools[i]
	case rules.Int:
		return c.Ints[i]
	case rules.Float, rules.Money:
		return c.Floats[i]
	}
	return nil
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"x:\n  entity: person\n  type: int\n  period: month\n  formula: age + 1\n",
		"x:\n  entity: household\n  type: money\n  period: month\n  formula: sum_members(salary) / double(count_members())\n",
		"x:\n  entity: person\n  type: enum\n  values: [a, b]\n  period: month\n  formula: 'age > 3 ? \"a\" : \"b\"'\n",
		"x:\n  entity: person\n  type: money\n  period: month\n  formulas:\n    - from: 2020-01-01\n      formula: prev(salary, 2) + sum_prev(salary, 3)\n",
		"x:\n  entity: person\n  type: bool\n  period: month\n  formula: household(any_members(age > 60))\n",
		"x:\n  entity: person\n  type: int\n  period: month\n  min: 0\n  max: 3\n  default: 1\n",
		"x:\n  entity: person\n  type: money\n  period: eternity\n  min: -1.5\n",
		"x: [",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fsys := fstest.MapFS{"variables/x.yaml": {Data: []byte(src)}}
		for _, name := range []string{"variables/person.yaml", "variables/household.yaml", "parameters/pension.yaml", "parameters/tssa.yaml", "parameters/disability.yaml", "parameters/unemployment.yaml"} {
			data, err := os.ReadFile("testdata/example/" + name)
			if err != nil {
				t.Fatal(err)
			}
			fsys[name] = &fstest.MapFile{Data: data}
		}
		rs, err := rules.Load(fsys)
		if err != nil {
			return
		}
		// Whatever loads must compute without panicking.
		pop, _ := rules.NewPopulation(2, []int32{0, 0, 1}, []int64{0, 2, 0})
		sim := rs.NewSimulation(pop)
		if v, ok := rs.Variable("x"); ok {
			p, _ := rules.ParsePeriod("2026-11")
			if v.Period == rules.Year {
				p, _ = rules.ParsePeriod("2026")
			}
			_, _ = sim.Compute("x", p)
		}
	})
}
