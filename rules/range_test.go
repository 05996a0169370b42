package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dost-az/dost/rules"
)

// TestRangeLoadErrors checks that a bad min or max fails to load with its
// file, line and variable.
func TestRangeLoadErrors(t *testing.T) {
	input := func(typ, extra string) string {
		return "x:\n  entity: person\n  type: " + typ + "\n  period: month\n" + extra
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"ErrMinAboveMax", input("int", "  min: 5\n  max: 3\n"), "variables/x.yaml:5: variable x: min 5 is above max 3"},
		{"ErrOnBool", input("bool", "  min: 0\n"), "variables/x.yaml:1: variable x: min and max are for int, float and money variables, not bool"},
		{"ErrOnEnum", "x:\n  entity: person\n  type: enum\n  values: [a, b]\n  period: month\n  max: 1\n",
			"variables/x.yaml:1: variable x: min and max are for int, float and money variables, not enum"},
		{"ErrOnDate", input("date", "  min: 0\n"), "variables/x.yaml:1: variable x: min and max are for int, float and money variables, not date"},
		{"ErrNotANumber", input("float", "  min: zero\n"), "variables/x.yaml:5: variable x: min \"zero\" is not a number"},
		{"ErrNotAScalar", input("float", "  max: [1, 2]\n"), "variables/x.yaml:5: variable x: max must be a number"},
		{"ErrInfinite", input("float", "  max: .inf\n"), "variables/x.yaml:5: variable x: max \".inf\" is not a number"},
		{"ErrIntNotWhole", input("int", "  max: 2.5\n"), "variables/x.yaml:5: variable x: max 2.5 is not a whole number"},
		{"ErrMoneyQepik", input("money", "  min: 0.001\n"), "variables/x.yaml:5: variable x: min 0.001 is not in whole qəpik"},
		{"ErrDefaultOutside", input("int", "  default: 9\n  min: 0\n  max: 3\n"), "variables/x.yaml:1: variable x: the default 9 is not between 0 and 3"},
		{"ErrZeroDefaultOutside", input("money", "  min: 10\n"), "variables/x.yaml:1: variable x: the default 0 is not at least 10"},
		{"ErrOnFormula", input("int", "  min: 0\n  formula: age\n"),
			"variables/x.yaml:1: variable x: min and max bound the values of an input; a variable with a formula cannot have them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rules.Load(overlay(t, map[string]string{"variables/x.yaml": tc.src}))
			var le rules.LoadErrors
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want LoadErrors", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestRange checks a variable's published range: Min and Max as loaded,
// RangeString, and SetInput and Calculate refusing a value outside it.
func TestRange(t *testing.T) {
	rs, err := rules.Load(overlay(t, map[string]string{"variables/x.yaml": "" +
		"degree:\n  entity: person\n  type: int\n  period: month\n  min: 0\n  max: 3\n" +
		"share:\n  entity: person\n  type: float\n  period: month\n  max: 1\n" +
		"paid:\n  entity: person\n  type: money\n  period: eternity\n  default: 5\n  min: 0.5\n"}))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"degree": "between 0 and 3", "share": "at most 1", "paid": "at least 0.5", "salary": "at least 0", "age": ""} {
		v, _ := rs.Variable(name)
		if got := v.RangeString(); got != want {
			t.Errorf("%s: RangeString %q, want %q", name, got, want)
		}
	}
	degree, _ := rs.Variable("degree")
	for x, want := range map[any]bool{0: true, int64(3): true, 4: false, int64(-1): false, 2.0: true, 3.5: false, "III": true} {
		if got := degree.InRange(x); got != want {
			t.Errorf("degree.InRange(%v) = %v, want %v", x, got, want)
		}
	}

	pop, err := rules.NewPopulation(1, []int32{0, 0}, []int64{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	month := mustPeriod(t, "2026-11")
	eternity := mustPeriod(t, "eternity")
	for _, c := range []struct {
		name   string
		period rules.Period
		col    rules.Column
		want   string // "" for no error
	}{
		{"degree", month, rules.Column{Type: rules.Int, Ints: []int64{0, 3}}, ""},
		{"degree", month, rules.Column{Type: rules.Int, Ints: []int64{1, 4}}, "set input degree: row 1 value 4 is not between 0 and 3"},
		{"degree", month, rules.Column{Type: rules.Int, Ints: []int64{-1, 0}}, "set input degree: row 0 value -1 is not between 0 and 3"},
		{"share", month, rules.Column{Type: rules.Float, Floats: []float64{1, -5}}, ""},
		{"share", month, rules.Column{Type: rules.Float, Floats: []float64{0.5, 1.01}}, "set input share: row 1 value 1.01 is not at most 1"},
		{"share", month, rules.Column{Type: rules.Float, Floats: []float64{nan(), 0}}, "set input share: row 0 value NaN is not at most 1"},
		{"paid", eternity, rules.Column{Type: rules.Money, Floats: []float64{0.49, 1}}, "set input paid: row 0 value 0.49 is not at least 0.5"},
	} {
		err := rs.NewSimulation(pop).SetInput(c.name, c.period, c.col)
		if got := errString(err); got != c.want {
			t.Errorf("SetInput(%s, %v): got %q, want %q", c.name, c.col, got, c.want)
		}
	}

	// Calculate and CalculateValues (YAML tests, the staff calculator)
	// check the same range.
	for _, c := range []struct {
		inputs map[string]any
		want   string
	}{
		{map[string]any{"degree": 3, "share": 1.0, "paid": 0.5}, ""},
		{map[string]any{"degree": map[string]any{"2026-10": 1, "2026-11": 4}}, "situation: degree for 2026-11: 4 is not between 0 and 3"},
		{map[string]any{"share": 2.0}, "situation: share for 2026-11: 2 is not at most 1"},
		{map[string]any{"paid": 0}, "situation: paid for eternity: 0 is not at least 0.5"},
	} {
		sit := &rules.Situation{Persons: []rules.SituationPerson{{ID: "a", Inputs: c.inputs}}}
		_, _, err := rs.Calculate(sit, month, []string{"age"})
		if got := errString(err); got != c.want {
			t.Errorf("Calculate(%v): got %q, want %q", c.inputs, got, c.want)
		}
		_, err = rs.CalculateValues(sit, month, []string{"age"})
		if got := errString(err); got != c.want {
			t.Errorf("CalculateValues(%v): got %q, want %q", c.inputs, got, c.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func nan() float64 {
	var zero float64
	return zero / zero
}
