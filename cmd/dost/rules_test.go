package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/dost-az/dost/cmd/dost"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := main.Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestRulesTestEmbedded(t *testing.T) {
	out, stderr, err := run(t, "rules", "test")
	if err != nil {
		t.Fatalf("rules test: %v\n%s\n%s", err, out, stderr)
	}
	if !strings.Contains(out, " 0 failed") || !strings.Contains(out, "ok   tests/pension.yaml:") {
		t.Errorf("rules test output:\n%s", out)
	}
}

func writeRuleSet(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const smallVars = `x:
  entity: person
  type: int
  period: month
  label: {az: X, en: X, ru: X}
double_x:
  entity: person
  type: int
  period: month
  label: {az: Y, en: Y, ru: Y}
  formula: x * 2
`

func TestRulesTestDirFailureShowsDiff(t *testing.T) {
	dir := writeRuleSet(t, map[string]string{
		"variables/v.yaml": smallVars,
		"tests/t.yaml": `- name: right
  period: 2026-11
  persons: [{id: a, inputs: {x: 2}}]
  output: {double_x: {a: 4}}
- name: wrong
  period: 2026-11
  persons: [{id: a, inputs: {x: 2}}]
  output: {double_x: {a: 5}}
`,
	})
	out, _, err := run(t, "rules", "test", dir)
	if err == nil {
		t.Fatalf("rules test with a failing case succeeded:\n%s", out)
	}
	for _, want := range []string{"ok   tests/t.yaml:1: right", "FAIL tests/t.yaml:5: wrong", "double_x[a] = 4, want 5", "1 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesCheck(t *testing.T) {
	out, _, err := run(t, "rules", "check")
	if err != nil || !strings.Contains(out, "ok programmes/az") {
		t.Fatalf("rules check: %v\n%s", err, out)
	}
	dir := writeRuleSet(t, map[string]string{"variables/v.yaml": smallVars + `bad:
  entity: person
  type: int
  period: month
  label: {az: Z, en: Z, ru: Z}
  formula: double_x + unknown_thing
`})
	out, stderr, err := run(t, "rules", "check", dir)
	if err == nil {
		t.Fatalf("rules check of a broken rule set succeeded:\n%s", out)
	}
	want := filepath.Join(dir, "variables", "v.yaml") + ":17: variable bad:"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "unknown_thing") {
		t.Errorf("stderr lacks %q and the unknown name:\n%s", want, stderr)
	}
}

func TestCalc(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "situation.json")
	sit := `{
  "persons": {
    "leyla": {"birth_date": {"ETERNITY": "1961-12-20"}, "sex": {"ETERNITY": "female"},
              "insurance_years": {"2026-07": 30},
              "old_age_pension": {"2026-07": null}, "retirement_right_date": {"ETERNITY": null}},
    "ali":   {"monthly_income": {"2026-03": 1200}, "disability_degree": {"2026-07": 2},
              "disability_allowance": {"2026-07": null}},
    "lone":  {"birth_date": {"ETERNITY": "2026-07-04"}, "birth_allowance": {"2026-07": null, "2026-08": null}}
  },
  "households": {
    "h1": {"members": ["leyla", "ali"], "head": "leyla", "roles": {"ali": "spouse"},
           "tssa_amount": {"2026-07": null}, "tssa_eligible": {"2026-07": null}}
  }
}`
	if err := os.WriteFile(file, []byte(sit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := run(t, "calc", file)
	if err != nil {
		t.Fatalf("calc: %v\n%s", err, stderr)
	}
	var got struct {
		Persons    map[string]map[string]map[string]json.RawMessage
		Households map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("calc output is not JSON: %v\n%s", err, out)
	}
	for _, c := range []struct{ who, name, period, want string }{
		{"leyla", "old_age_pension", "2026-07", "349.76"}, // kept right: 64 y 6 m on 2026-06-20
		{"leyla", "retirement_right_date", "ETERNITY", `"2026-06-20"`},
		{"leyla", "insurance_years", "2026-07", "30"},
		{"ali", "disability_allowance", "2026-07", "250.00"},
		{"lone", "birth_allowance", "2026-07", "600.00"},
		{"lone", "birth_allowance", "2026-08", "0.00"},
	} {
		if g := string(got.Persons[c.who][c.name][c.period]); g != c.want {
			t.Errorf("%s.%s[%s] = %s, want %s", c.who, c.name, c.period, g, c.want)
		}
	}
	var tssa map[string]json.RawMessage
	if err := json.Unmarshal(got.Households["h1"]["tssa_amount"], &tssa); err != nil {
		t.Fatal(err)
	}
	// 2 × 300 − 1200 / 12 = 500.
	if g := string(tssa["2026-07"]); g != "500.00" {
		t.Errorf("tssa_amount = %s, want 500.00\n%s", g, out)
	}
	if _, ok := got.Households["_lone"]; ok {
		t.Errorf("the household made up for a lone person is in the output")
	}

	out, _, err = run(t, "calc", "--format", "text", "--trace", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"person leyla\told_age_pension\t2026-07\t349.76", "household h1\ttssa_amount\t2026-07\t500.00",
		"params.pension.minimum = 349.76 since 2026-01-01", "retirement_right_date[eternity]"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestCalcBadSituation(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ json, want string }{
		{`{"persons": {"p1": {"no_such_variable": {"2026-11": null}}}}`, "persons.p1.no_such_variable: Person p1: there is no variable no_such_variable."},
		{`{"persons": {"p1": {"birth_date": {"2026-11": "1960-01-01"}}}}`, "persons.p1.birth_date.2026-11: Person p1: birth_date has one value for all time"},
		{`{"persons": {"p1": {"tssa_amount": {"2026-11": null}}}}`, "persons.p1.tssa_amount: Person p1: tssa_amount is a household variable, not a person one."},
		{`{"persons": {"p1": {}}, "households": {"h": {"members": ["p2"]}}}`, `households.h.members.0: Household h: member "p2" is not one of the persons.`},
		{`{"persons": {"p1": {"sex": {"ETERNITY": "other"}, "age": {"2026-11": null}}}}`, "persons.p1.sex.ETERNITY:"},
	} {
		file := filepath.Join(dir, "s.json")
		if err := os.WriteFile(file, []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := run(t, "calc", file)
		if err == nil || !strings.Contains(stderr, file+": "+c.want) {
			t.Errorf("calc %s: got %v and %q, want an error and %q on stderr", c.json, err, stderr, c.want)
		}
	}
	file := filepath.Join(dir, "s.json")
	if err := os.WriteFile(file, []byte(`{"persons": {"p1": {}},}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "calc", file); err == nil || !strings.Contains(err.Error(), "not JSON: invalid character '}'") {
		t.Errorf("calc of malformed JSON: got %v, want the syntax error", err)
	}
}

// TestCalcReform applies the example reform of programmes/az/reforms with
// --reform: the minimum pension of a pensioner in 2027-01 changes from
// 349.76 to 400.00; reforms apply in order; a bad reform is an error naming
// its file.
func TestCalcReform(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "situation.json")
	sit := `{"persons": {"ali": {"birth_date": {"ETERNITY": "1955-01-15"}, "sex": {"ETERNITY": "male"},
		"insurance_years": {"2026-12": 30, "2027-01": 30}, "old_age_pension": {"2027-01": null, "2026-12": null}}}}`
	if err := os.WriteFile(file, []byte(sit), 0o644); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join("..", "..", "programmes", "az", "reforms", "minimum_pension_400.yaml")
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	later := write("later.yaml", "name: later\nparameters:\n  pension.minimum:\n    2027-01-01: 450\n")

	for _, c := range []struct {
		name           string
		reforms        []string
		dec, jan, note string
	}{
		{"Base", nil, "349.76", "349.76", ""},
		{"Example", []string{example}, "349.76", "400.00", "calc: with reform minimum_pension_400 (" + example + ")"},
		{"InOrder", []string{example, later}, "349.76", "450.00", "calc: with reform later (" + later + ")"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var args []string
			for _, r := range c.reforms {
				args = append(args, "--reform", r)
			}
			out, stderr, err := run(t, append(append([]string{"calc", "--format", "text", "--trace"}, args...), file)...)
			if err != nil {
				t.Fatalf("calc: %v\n%s", err, stderr)
			}
			for _, want := range []string{"person ali\told_age_pension\t2026-12\t" + c.dec, "person ali\told_age_pension\t2027-01\t" + c.jan} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(stderr, c.note) {
				t.Errorf("stderr lacks %q:\n%s", c.note, stderr)
			}
			if c.name == "Example" && !strings.Contains(out, "Example reform programmes/az/reforms/minimum_pension_400.yaml, not law") {
				t.Errorf("the trace does not name the reform as the value's reference:\n%s", out)
			}
		})
	}

	for _, c := range []struct{ name, data, want string }{
		{"ErrUnknownParameter", "parameters:\n  pension.maximum:\n    2027-01-01: 1\n", "unknown parameter \"pension.maximum\""},
		{"ErrBadFormula", "formulas:\n  old_age_pension: no_such_name * 2.0\n", ":2: variable old_age_pension: unknown name"},
		{"ErrBadValue", "parameters:\n  pension.minimum:\n    2027-01-01: lots\n", ":3: parameter pension.minimum: value \"lots\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := write(c.name+".yaml", c.data)
			_, stderr, err := run(t, "calc", "--reform", bad, file)
			if err == nil || !strings.Contains(stderr, bad) || !strings.Contains(stderr, c.want) {
				t.Errorf("got %v and stderr %q, want an error and %q naming %s", err, stderr, c.want, bad)
			}
		})
	}
	t.Run("ErrMissingFile", func(t *testing.T) {
		_, _, err := run(t, "calc", "--reform", filepath.Join(dir, "missing.yaml"), file)
		if err == nil {
			t.Error("got no error for a missing reform file")
		}
	})
}
