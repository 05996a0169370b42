package rules_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden")

// goldenHousehold is a family of four (the household of the az
// benchmarks): a pensioner, his wife with a disability and 12 months of
// income, an unemployed son and a newborn.
func goldenHousehold() *rules.Situation {
	income := map[string]any{}
	for m := time.November; m <= time.December; m++ {
		income[rules.MonthOf(2025, m).String()] = 310.0
	}
	for m := time.January; m <= time.October; m++ {
		income[rules.MonthOf(2026, m).String()] = 320.0
	}
	return &rules.Situation{Persons: []rules.SituationPerson{
		{ID: "ali", Role: "head", Inputs: map[string]any{"birth_date": "1955-01-15", "sex": "male",
			"pension_capital": 72000.0, "insurance_years": 30.0, "service_years_before_2006": 12.0}},
		{ID: "leyla", Role: "spouse", Inputs: map[string]any{"birth_date": "1968-03-01", "sex": "female",
			"disability_degree": 2, "monthly_income": income}},
		{ID: "murad", Role: "child", Inputs: map[string]any{"birth_date": "1995-06-01", "sex": "male",
			"registered_unemployed": true, "dismissal_reason": "staff_cut", "insurance_years": 6.5,
			"insurance_months_last_24": 20, "average_monthly_wage": 900.0}},
		{ID: "nigar", Role: "child", Inputs: map[string]any{"birth_date": "2026-11-03", "sex": "female"}},
	}}
}

// TestTraceGolden pins the JSON, text and HTML renderings of a trace (and
// the JSON of its Result) of the Azerbaijani rule set byte for byte, so
// the trace's internals can change without changing what callers see.
// Run with -update-golden to rewrite them after an intended change.
func TestTraceGolden(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	vars := []string{
		"age", "retirement_age_reached", "old_age_pension_eligible", "old_age_pension",
		"disability_allowance", "birth_allowance", "unemployment_benefit",
		"tssa_average_monthly_income", "tssa_eligible", "tssa_amount",
		"sex", "birth_date", "disability_degree",
	}
	// A first calculation for another household leaves the pooled
	// simulation and the trace's size hint in another state.
	other := &rules.Situation{Persons: []rules.SituationPerson{{ID: "a", Inputs: map[string]any{"birth_date": "1950-05-05", "sex": "female"}}}}
	if _, _, err := rs.Calculate(other, rules.MonthOf(2025, time.March), vars[:3]); err != nil {
		t.Fatal(err)
	}
	res, tr, err := rs.Calculate(goldenHousehold(), rules.MonthOf(2026, time.November), vars)
	if err != nil {
		t.Fatal(err)
	}
	// The same values without a trace.
	plain, err := rs.CalculateValues(goldenHousehold(), rules.MonthOf(2026, time.November), vars)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(plain)
	if !bytes.Equal(a, b) {
		t.Errorf("Calculate's result %s, CalculateValues' %s", a, b)
	}
	// The values a caller of Calculate reads from Go, by type.
	type node struct {
		ID, Ref, Variable string
		Values            []rules.TraceValue
	}
	var nodes []node
	var walk func(n *rules.TraceNode)
	walk = func(n *rules.TraceNode) {
		nodes = append(nodes, node{n.ID, n.Ref, n.Variable, n.Values})
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, n := range tr.Roots {
		walk(n)
	}
	var gotypes bytes.Buffer
	for _, n := range nodes {
		for _, v := range n.Values {
			gotypes.WriteString(n.ID + " " + v.ID + " ")
			json.NewEncoder(&gotypes).Encode([]any{typeName(v.Value), v.Value})
		}
	}
	resJSON, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var resTypes bytes.Buffer
	for _, name := range vars {
		b, _ := json.Marshal(res.Values[name])
		resTypes.WriteString(name + " " + string(b))
		for _, id := range []string{"ali", "leyla", "murad", "nigar", "household"} {
			if x, ok := res.Values[name][id]; ok {
				resTypes.WriteString(" " + id + ":" + typeName(x))
			}
		}
		resTypes.WriteString("\n")
	}
	js, err := tr.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var text, htmlAz, htmlEn bytes.Buffer
	if err := tr.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteHTML(&htmlAz, "az"); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteHTML(&htmlEn, "en"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"series"`)) {
		t.Error("no at() parameter has its series")
	}
	for name, got := range map[string][]byte{
		"trace.json": js, "trace.txt": text.Bytes(), "trace.az.html": htmlAz.Bytes(), "trace.en.html": htmlEn.Bytes(),
		"result.json": resJSON, "result.types.txt": resTypes.Bytes(), "trace.types.txt": gotypes.Bytes(),
	} {
		path := filepath.Join("testdata", "golden", name)
		if *updateGolden {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update-golden)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (%d bytes, want %d)", name, path, len(got), len(want))
		}
	}
}

func typeName(x any) string {
	switch x.(type) {
	case bool:
		return "bool"
	case int64:
		return "int64"
	case float64:
		return "float64"
	case string:
		return "string"
	case nil:
		return "nil"
	}
	return "other"
}
