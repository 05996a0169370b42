package rules

import (
	"math/rand"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

// cseRules is the example rule set with formulas that repeat a
// subexpression.
func cseRules(t *testing.T) *RuleSet {
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
	fsys["variables/cse.yaml"] = &fstest.MapFile{Data: []byte(`
cse_months:
  entity: person
  type: int
  period: month
  formula: months_between(add_months(birth_date, 6), period_start) + months_between(add_months(birth_date, 6), period_end) * 1000
cse_age:
  entity: person
  type: int
  period: eternity
  formula: |
    sex == "male"
      ? at(params.pension.retirement_age.men, birth_date < date("2016-01-01") ? date("2016-01-01") : birth_date)
      : at(params.pension.retirement_age.women, birth_date < date("2016-01-01") ? date("2016-01-01") : birth_date)
cse_double:
  entity: person
  type: float
  period: month
  formula: double(insured_years + 1) * 2.0 + double(insured_years + 1) / 4.0
`)}
	rs, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestCommonSubexpressions checks that a subexpression repeated in a
// formula runs once per block and that the result is the one the formula
// defines, computed here row by row without the engine.
func TestCommonSubexpressions(t *testing.T) {
	rs := cseRules(t)
	const n = 3000 // three blocks
	rng := rand.New(rand.NewSource(7))
	birth, sex, ins := make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range n {
		birth[i] = int64(rng.Intn(40000) - 15000)
		sex[i] = int64(rng.Intn(2))
		ins[i] = int64(rng.Intn(50))
	}
	hh := make([]int32, n)
	pop, err := NewPopulation(1, hh, make([]int64, n))
	if err != nil {
		t.Fatal(err)
	}
	p := MonthOf(2026, time.November)
	s := rs.NewSimulation(pop)
	s.SetWorkers(1)
	for _, in := range []struct {
		name string
		p    Period
		c    Column
	}{
		{"birth_date", Period{Kind: Eternity}, Column{Type: DateType, Ints: birth}},
		{"sex", Period{Kind: Eternity}, Column{Type: Enum, Ints: sex}},
		{"insured_years", p, Column{Type: Int, Ints: ins}},
	} {
		if err := s.SetInput(in.name, in.p, in.c); err != nil {
			t.Fatal(err)
		}
	}
	calls := map[string]int{}
	testHook = func(k string) { calls[k]++ }
	defer func() { testHook = nil }()

	got, err := s.Compute("cse_months", p)
	if err != nil {
		t.Fatal(err)
	}
	if calls["add_months"] != 3 {
		t.Errorf("add_months ran %d times for 3 blocks, want 3 (once per block)", calls["add_months"])
	}
	for i := range n {
		a := addMonthsSlow(Date(birth[i]), 6)
		want := monthsBetweenSlow(a, p.Start()) + monthsBetweenSlow(a, p.End())*1000
		if got.Ints[i] != want {
			t.Fatalf("row %d: cse_months = %d, want %d", i, got.Ints[i], want)
		}
	}

	clear(calls)
	got, err = s.Compute("cse_age", Period{Kind: Eternity})
	if err != nil {
		t.Fatal(err)
	}
	if calls["at_sel"] != 3 || calls["at"] != 0 {
		t.Errorf("fused at() ran %d times and at() %d times for 3 blocks, want 3 and 0", calls["at_sel"], calls["at"])
	}
	men, women := rs.params["pension.retirement_age.men"], rs.params["pension.retirement_age.women"]
	clamp, err := ParseDate("2016-01-01")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := max(Date(birth[i]), clamp)
		want := int64(paramAtRef(women, d))
		if sex[i] == 0 {
			want = int64(paramAtRef(men, d))
		}
		if got.Ints[i] != want {
			t.Fatalf("row %d: cse_age = %d, want %d", i, got.Ints[i], want)
		}
	}

	got, err = s.Compute("cse_double", p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		x := float64(ins[i] + 1)
		if want := x*2 + x/4; got.Floats[i] != want {
			t.Fatalf("row %d: cse_double = %v, want %v", i, got.Floats[i], want)
		}
	}

	// The shared nodes: one add_months node, one clamp, one conversion.
	for name, want := range map[string]int{"cse_months": 1, "cse_double": 2} {
		prog := rs.vars[name].Formulas[0].prog
		if prog.nMemo != want {
			t.Errorf("%s: %d shared subexpressions, want %d", name, prog.nMemo, want)
		}
	}
}
