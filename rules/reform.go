package rules

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Reform is an overlay on a rule set for "what if" runs: new parameter
// values from a date and replaced formulas. Apply it with RuleSet.Apply.
type Reform struct {
	Name       string
	Parameters []ParameterChange
	Formulas   []FormulaChange
}

// ParameterChange sets a parameter from a date on: the values in force from
// From are replaced by Value (a scalar), Table or Brackets, according to the
// parameter's kind; later values of the base rule set are dropped.
type ParameterChange struct {
	Path     string
	From     Date
	Value    float64
	Table    map[string]float64
	Brackets []Bracket
}

// FormulaChange replaces a variable's formulas from a date on (From zero
// means for all dates) with Formula.
type FormulaChange struct {
	Variable string
	From     Date
	Formula  string
}

// Apply returns a new rule set: rs with the reform applied, compiled and
// checked like Load (a bad formula is a LoadErrors naming the reform). rs is
// unchanged.
func (rs *RuleSet) Apply(r Reform) (*RuleSet, error) {
	sp := &spec{vars: maps.Clone(rs.spec.vars), params: maps.Clone(rs.spec.params)}
	file := "reform " + r.Name
	for _, c := range r.Parameters {
		old := sp.params[strings.TrimPrefix(c.Path, "params.")]
		if old == nil {
			return nil, fmt.Errorf("reform %s: unknown parameter %q", r.Name, c.Path)
		}
		np := *old
		np.Values = nil
		for _, v := range old.Values {
			if v.From < c.From {
				np.Values = append(np.Values, v)
			}
		}
		nv := ParamValue{From: c.From, Value: c.Value, Table: c.Table, Brackets: c.Brackets, Reference: file}
		switch old.Kind {
		case Scalar:
			if old.Int && c.Value != math.Trunc(c.Value) {
				return nil, fmt.Errorf("reform %s: %s is an int, not %v", r.Name, c.Path, c.Value)
			}
		case Table:
			if c.Table == nil {
				return nil, fmt.Errorf("reform %s: %s is a table: give Table", r.Name, c.Path)
			}
		case Scale:
			if c.Brackets == nil {
				return nil, fmt.Errorf("reform %s: %s is a scale: give Brackets", r.Name, c.Path)
			}
		}
		np.Values = append(np.Values, nv)
		sp.params[np.Path] = &np
	}
	for _, c := range r.Formulas {
		old := sp.vars[c.Variable]
		if old == nil {
			return nil, fmt.Errorf("reform %s: unknown variable %q", r.Name, c.Variable)
		}
		nv := *old
		nv.Formulas = nil
		for _, f := range old.Formulas {
			if c.From != 0 && f.From < c.From {
				nv.Formulas = append(nv.Formulas, f)
			}
		}
		from := c.From
		if from == 0 {
			from = math.MinInt32
		}
		nv.Formulas = append(slices.Clip(nv.Formulas), &Formula{From: from, Source: c.Formula, File: file, Line: 1})
		sp.vars[nv.Name] = &nv
	}
	return sp.build()
}
