package rules

import (
	"fmt"
	"io/fs"
	"maps"
	"math"
	pathpkg "path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Reform is an overlay on a rule set for "what if" runs: new parameter
// values from a date and replaced formulas. Apply it with RuleSet.Apply.
type Reform struct {
	Name        string
	Description string
	Parameters  []ParameterChange
	Formulas    []FormulaChange
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
	// Reference is the new value's legal reference (a draft law, a
	// decree); "reform <name>" when empty.
	Reference string
}

// FormulaChange replaces a variable's formulas from a date on (From zero
// means for all dates) with Formula.
type FormulaChange struct {
	Variable string
	From     Date
	Formula  string
	// File and Line locate Formula for load errors; "reform <name>" line 1
	// when empty.
	File string
	Line int
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
		ref := c.Reference
		if ref == "" {
			ref = file
		}
		nv := ParamValue{From: c.From, Value: c.Value, Table: c.Table, Brackets: c.Brackets, Reference: ref}
		switch old.Kind {
		case Scalar:
			if c.Table != nil || c.Brackets != nil {
				return nil, fmt.Errorf("reform %s: %s is a number: give Value", r.Name, c.Path)
			}
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
		ff, fl := file, 1
		if c.File != "" {
			ff, fl = c.File, c.Line
		}
		nv.Formulas = append(slices.Clip(nv.Formulas), &Formula{From: from, Source: c.Formula, File: ff, Line: fl})
		sp.vars[nv.Name] = &nv
	}
	return sp.build()
}

// LoadReform reads a reform from the YAML file at path in fsys:
//
//	name: higher minimum pension        # optional; the file name by default
//	description: What if the minimum rose to 400 AZN in July 2026?
//	parameters:                         # path (params. optional) → values
//	  pension.minimum:                  # by start date, as in parameters/
//	    2026-07-01: 400
//	    2027-01-01: {value: 420, reference: Draft law 123}
//	  disability.allowance:
//	    2026-07-01: {I: 350, II: 300, III: 200}
//	formulas:                           # variable → a formula for all dates,
//	  needs_total: params.tssa.needs_criterion * double(count_members()) + 50.0
//	  old_age_pension:                  # or formulas from dates
//	    - from: 2027-01-01
//	      formula: …
//
// A parameter's values replace its base values from the first start date
// given on; a variable's formulas replace its base formulas from the first
// from on (all of them for a plain formula). Errors are LoadErrors with the
// file and line; apply the result with RuleSet.Apply, which compiles and
// checks it against the rule set.
func LoadReform(fsys fs.FS, path string) (*Reform, error) {
	data, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("load reform: %w", err)
	}
	return ParseReform(path, data)
}

// ParseReform parses a reform file's contents; file names it in errors.
func ParseReform(file string, data []byte) (*Reform, error) {
	root, lerr := parseDoc(file, data)
	if lerr != nil {
		return nil, LoadErrors{lerr}
	}
	base := pathpkg.Base(file)
	r := &Reform{Name: strings.TrimSuffix(base, pathpkg.Ext(base))}
	if root == nil {
		return r, nil
	}
	f, errs := fields(file, "reform", r.Name, root, "name", "description", "parameters", "formulas")
	if f == nil {
		return nil, errs
	}
	if s, ok := scalar(f["name"]); ok && s != "" {
		r.Name = s
	}
	r.Description, _ = scalar(f["description"])
	if ps := f["parameters"]; ps != nil {
		if ps.Kind != yaml.MappingNode {
			errs = append(errs, &LoadError{File: file, Line: ps.Line, Msg: "parameters must map parameter paths to values by date"})
		} else {
			for i := 0; i+1 < len(ps.Content); i += 2 {
				k, v := ps.Content[i], ps.Content[i+1]
				path := strings.TrimPrefix(k.Value, "params.")
				// Parse the values as a parameter file would.
				tmp := &spec{params: map[string]*Parameter{}}
				wrap := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
					{Kind: yaml.ScalarNode, Value: "x", Line: k.Line},
					{Kind: yaml.MappingNode, Line: v.Line, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "values", Line: k.Line}, v}},
				}}
				perrs := parseParamNode(tmp, file, "", wrap)
				for _, e := range perrs {
					e.Name = path
				}
				errs = append(errs, perrs...)
				par := tmp.params["x"]
				if len(perrs) > 0 || par == nil {
					continue
				}
				for _, pv := range par.Values {
					r.Parameters = append(r.Parameters, ParameterChange{Path: path, From: pv.From, Value: pv.Value,
						Table: pv.Table, Brackets: pv.Brackets, Reference: pv.Reference})
				}
			}
		}
	}
	if fs := f["formulas"]; fs != nil {
		if fs.Kind != yaml.MappingNode {
			errs = append(errs, &LoadError{File: file, Line: fs.Line, Msg: "formulas must map variable names to a formula or a list of {from, formula}"})
		} else {
			for i := 0; i+1 < len(fs.Content); i += 2 {
				k, v := fs.Content[i], fs.Content[i+1]
				bad := func(line int, format string, args ...any) {
					errs = append(errs, &LoadError{File: file, Line: line, What: "variable", Name: k.Value, Msg: fmt.Sprintf(format, args...)})
				}
				switch v.Kind {
				case yaml.ScalarNode:
					r.Formulas = append(r.Formulas, FormulaChange{Variable: k.Value, Formula: v.Value, File: file, Line: sourceLine(v)})
				case yaml.SequenceNode:
					var last Date
					for j, e := range v.Content {
						ff, ferrs := fields(file, "variable", k.Value, e, "from", "formula")
						errs = append(errs, ferrs...)
						if ff == nil {
							continue
						}
						from, _ := scalar(ff["from"])
						d, err := ParseDate(from)
						if err != nil {
							bad(e.Line, "formulas: from: %v", err)
							continue
						}
						src, ok := scalar(ff["formula"])
						if !ok {
							bad(e.Line, "formulas: formula missing")
							continue
						}
						if j > 0 && d <= last {
							bad(e.Line, "formulas: from dates must increase")
						}
						last = d
						r.Formulas = append(r.Formulas, FormulaChange{Variable: k.Value, From: d, Formula: src, File: file, Line: sourceLine(ff["formula"])})
					}
				default:
					bad(v.Line, "must be a formula or a list of {from, formula}")
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}
