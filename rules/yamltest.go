package rules

import (
	"fmt"
	"io/fs"
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// TestCase is one YAML test: a household, a period and the values expected.
//
//   - name: a pensioner gets the minimum pension
//     period: 2026-11
//     household: {owns_vehicle: false}
//     persons:
//   - {id: ali, role: head, inputs: {birth_date: 1955-03-01, insured_years: 30}}
//     output:
//     old_age_pension: {ali: 349.76}   # by person ID
//     tssa_amount: 0                   # a household variable, or every person
//     tolerance: 0.01                    # optional, default 0.005
type TestCase struct {
	Name      string            `yaml:"name"`
	Period    string            `yaml:"period"`
	Household map[string]any    `yaml:"household"`
	Persons   []SituationPerson `yaml:"persons"`
	Output    map[string]any    `yaml:"output"`
	Tolerance *float64          `yaml:"tolerance"`

	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// TestResult is the outcome of one TestCase; Failures is empty when it
// passed.
type TestResult struct {
	Case     *TestCase
	Failures []string
}

// Passed reports whether the test passed.
func (r *TestResult) Passed() bool { return len(r.Failures) == 0 }

// String returns "file:line: name: ok" or the failures.
func (r *TestResult) String() string {
	head := fmt.Sprintf("%s:%d: %s", r.Case.File, r.Case.Line, r.Case.Name)
	if r.Passed() {
		return head + ": ok"
	}
	return head + ":\n\t" + strings.Join(r.Failures, "\n\t")
}

// RunTests runs every tests/*.yaml file in fsys against rs and returns one
// result per case. The error is for files that cannot be read or parsed.
func (rs *RuleSet) RunTests(fsys fs.FS) ([]*TestResult, error) {
	files, err := yamlFiles(fsys)
	if err != nil {
		return nil, err
	}
	var out []*TestResult
	for _, f := range files {
		if !strings.HasPrefix(f, "tests/") {
			continue
		}
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("run tests: %w", err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("run tests: %s: %w", f, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if doc.Content[0].Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("run tests: %s:%d: want a list of test cases", f, doc.Content[0].Line)
		}
		for _, n := range doc.Content[0].Content {
			tc := &TestCase{File: f, Line: n.Line}
			if err := n.Decode(tc); err != nil {
				return nil, fmt.Errorf("run tests: %s:%d: %w", f, n.Line, err)
			}
			out = append(out, rs.runTest(tc))
		}
	}
	return out, nil
}

func (rs *RuleSet) runTest(tc *TestCase) *TestResult {
	res := &TestResult{Case: tc}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	p, err := ParsePeriod(tc.Period)
	if err != nil {
		fail("%v", err)
		return res
	}
	tol := 0.005
	if tc.Tolerance != nil {
		tol = *tc.Tolerance
	}
	sit := &Situation{Household: normalizeInputs(tc.Household), Persons: tc.Persons}
	for i := range sit.Persons {
		sit.Persons[i].Inputs = normalizeInputs(sit.Persons[i].Inputs)
	}
	var names []string
	for name := range tc.Output {
		names = append(names, name)
	}
	got, _, err := rs.Calculate(sit, p, names)
	if err != nil {
		fail("%v", err)
		return res
	}
	for _, name := range names {
		v := rs.vars[name]
		want := tc.Output[name]
		byID, ok := want.(map[string]any)
		if !ok {
			byID = map[string]any{}
			for id := range got.Values[name] {
				byID[id] = want
			}
		}
		for id, w := range byID {
			g, ok := got.Values[name][id]
			if !ok {
				fail("%s: no %s with id %q", name, v.Entity, id)
				continue
			}
			if !sameValue(g, w, tol) {
				fail("%s[%s] = %v, want %v", name, id, g, w)
			}
		}
	}
	return res
}

// normalizeInputs turns YAML's decoded values into Situation values: dates
// (time.Time) into strings, map[string]any kept.
func normalizeInputs(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normalizeValue(v)
	}
	return m
}

func normalizeValue(v any) any {
	switch x := v.(type) {
	case interface{ Format(string) string }:
		return x.Format(DateLayout)
	case map[string]any:
		return normalizeInputs(x)
	}
	return v
}

func sameValue(got, want any, tol float64) bool {
	want = normalizeValue(want)
	switch g := got.(type) {
	case float64:
		w, ok := toFloat(want)
		return ok && math.Abs(g-w) <= tol
	case int64:
		w, ok := toFloat(want)
		return ok && math.Abs(float64(g)-w) <= tol
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}
