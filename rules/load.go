package rules

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// spec is a rule set's parsed source before compilation: Load builds it
// from files and a Reform edits a copy of it.
type spec struct {
	vars   map[string]*Variable // Formulas hold Source only
	params map[string]*Parameter
}

// Load reads a rule set from fsys: every variables/*.yaml file declares
// variables, every parameters/**/*.yaml file declares parameters (the file
// path without ".yaml", dots for slashes, prefixes the names inside), and
// tests/ is left to RunTests. It parses, type-checks and compiles every
// formula and checks the dependency graph; the error, if any, is a
// LoadErrors listing every problem with its file and line.
func Load(fsys fs.FS) (*RuleSet, error) {
	sp := &spec{vars: map[string]*Variable{}, params: map[string]*Parameter{}}
	var errs LoadErrors
	files, err := yamlFiles(fsys)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("load rules: %w", err)
		}
		switch {
		case strings.HasPrefix(f, "variables/"):
			errs = append(errs, parseVariables(sp, f, data)...)
		case strings.HasPrefix(f, "parameters/"):
			ns := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(f, "parameters/"), path.Ext(f)), "/", ".")
			errs = append(errs, parseParameters(sp, f, ns, data)...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return sp.build()
}

func yamlFiles(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// reserved names cannot be variables: CEL keywords, the built-ins and the
// helper functions.
var reserved = map[string]bool{
	"params": true, "period_start": true, "period_end": true, "true": true, "false": true,
	"null": true, "in": true, "as": true, "break": true, "const": true, "continue": true,
	"else": true, "for": true, "function": true, "if": true, "import": true, "let": true,
	"loop": true, "package": true, "namespace": true, "return": true, "var": true,
	"void": true, "while": true, "int": true, "double": true, "bool": true, "string": true,
}

// parseDoc decodes a YAML file whose top level is a mapping.
func parseDoc(file string, data []byte) (*yaml.Node, *LoadError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := regexp.MustCompile(`^line (\d+): `).FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		return nil, &LoadError{File: file, Line: line, Msg: "bad YAML: " + msg}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &LoadError{File: file, Line: root.Line, Msg: "bad YAML: the top level must be a mapping of names"}
	}
	return root, nil
}

// fields returns the values of mapping n by key, reporting unknown and
// repeated keys.
func fields(file, what, name string, n *yaml.Node, allowed ...string) (map[string]*yaml.Node, LoadErrors) {
	if n.Kind != yaml.MappingNode {
		return nil, LoadErrors{{File: file, Line: n.Line, What: what, Name: name, Msg: "must be a mapping"}}
	}
	var errs LoadErrors
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, a := range allowed {
			ok = ok || a == k.Value
		}
		switch {
		case !ok:
			errs = append(errs, &LoadError{File: file, Line: k.Line, What: what, Name: name,
				Msg: fmt.Sprintf("unknown field %q (want one of %s)", k.Value, strings.Join(allowed, ", "))})
		case out[k.Value] != nil:
			errs = append(errs, &LoadError{File: file, Line: k.Line, What: what, Name: name, Msg: fmt.Sprintf("field %q repeated", k.Value)})
		default:
			out[k.Value] = v
		}
	}
	return out, errs
}

func scalar(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

func parseVariables(sp *spec, file string, data []byte) LoadErrors {
	root, lerr := parseDoc(file, data)
	if lerr != nil {
		return LoadErrors{lerr}
	}
	if root == nil {
		return nil
	}
	var errs LoadErrors
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, n := root.Content[i], root.Content[i+1]
		name := k.Value
		bad := func(line int, format string, args ...any) {
			errs = append(errs, &LoadError{File: file, Line: line, What: "variable", Name: name, Msg: fmt.Sprintf(format, args...)})
		}
		if !nameRE.MatchString(name) || reserved[name] || name == "role" {
			bad(k.Line, "bad name: use lower case letters, digits and _ and avoid reserved words")
			continue
		}
		if old := sp.vars[name]; old != nil {
			bad(k.Line, "declared twice (first at %s:%d)", old.File, old.Line)
			continue
		}
		f, ferrs := fields(file, "variable", name, n, "entity", "type", "period", "label", "reference",
			"unit", "values", "default", "min", "max", "formula", "formulas", "description")
		errs = append(errs, ferrs...)
		if f == nil {
			continue
		}
		v := &Variable{Name: name, File: file, Line: k.Line, Label: map[string]string{}}
		switch s, _ := scalar(f["entity"]); s {
		case "person":
			v.Entity = Person
		case "household":
			v.Entity = Household
		default:
			bad(k.Line, "entity %q is not person or household", s)
		}
		s, _ := scalar(f["type"])
		t, ok := parseType(s)
		if !ok {
			bad(k.Line, "type %q is not one of bool, int, float, money, date, enum", s)
		}
		v.Type = t
		s, _ = scalar(f["period"])
		pk, ok := parsePeriodKind(s)
		if !ok {
			bad(k.Line, "period %q is not month, year or eternity", s)
		}
		v.Period = pk
		if l := f["label"]; l != nil {
			if err := l.Decode(&v.Label); err != nil {
				bad(l.Line, "label: %v", err)
			}
		}
		v.Reference, _ = scalar(f["reference"])
		v.Unit, _ = scalar(f["unit"])
		if n := f["values"]; n != nil {
			if err := n.Decode(&v.Values); err != nil || len(v.Values) == 0 {
				bad(n.Line, "values must be a list of names")
			}
		}
		if (t == Enum) != (len(v.Values) > 0) {
			bad(k.Line, "an enum needs values and only an enum has them")
		}
		v.Default = zeroValue(v)
		if n := f["default"]; n != nil {
			var x any
			_ = n.Decode(&x)
			c := newColumn(t, 1)
			if err := v.set(c, 0, x); err != nil {
				bad(n.Line, "default: %v", strings.TrimPrefix(err.Error(), "variable "+name+": "))
			} else {
				v.Default = v.value(c, 0)
			}
		}
		parseRange(v, f, k.Line, bad)
		if n := f["formula"]; n != nil {
			if f["formulas"] != nil {
				bad(n.Line, "has both formula and formulas")
			}
			v.Formulas = append(v.Formulas, &Formula{From: math.MinInt32, Source: n.Value, File: file, Line: sourceLine(n)})
		}
		if n := f["formulas"]; n != nil {
			if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
				bad(n.Line, "formulas must be a list of {from, formula}")
			} else {
				for _, e := range n.Content {
					ff, ferrs := fields(file, "variable", name, e, "from", "formula")
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
					if m := len(v.Formulas); m > 0 && v.Formulas[m-1].From >= d {
						bad(e.Line, "formulas: from dates must increase")
					}
					v.Formulas = append(v.Formulas, &Formula{From: d, Source: src, File: file, Line: sourceLine(ff["formula"])})
				}
			}
		}
		sp.vars[name] = v
	}
	return errs
}

// parseRange reads a variable's min and max (see Variable.Min): numbers,
// whole for an int and in whole qəpik for money, min not above max, only
// on an int, float or money input, whose default they must allow. It runs
// before the formulas are read, so it tells an input by f.
func parseRange(v *Variable, f map[string]*yaml.Node, line int, bad func(line int, format string, args ...any)) {
	nmin, nmax := f["min"], f["max"]
	if nmin == nil && nmax == nil {
		return
	}
	if v.Type != Int && v.Type != Float && v.Type != Money {
		bad(line, "min and max are for int, float and money variables, not %s", v.Type)
		return
	}
	if f["formula"] != nil || f["formulas"] != nil {
		bad(line, "min and max bound the values of an input; a variable with a formula cannot have them")
		return
	}
	bound := func(key string, n *yaml.Node) *float64 {
		if n == nil {
			return nil
		}
		s, ok := scalar(n)
		x, err := strconv.ParseFloat(s, 64)
		switch {
		case !ok:
			bad(n.Line, "%s must be a number", key)
			return nil
		case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
			bad(n.Line, "%s %q is not a number", key, s)
			return nil
		case v.Type == Int && x != math.Trunc(x):
			bad(n.Line, "%s %v is not a whole number, as an int variable's values are", key, x)
			return nil
		case v.Type == Money && RoundMoney(x) != x:
			bad(n.Line, "%s %v is not in whole qəpik", key, x)
			return nil
		}
		return &x
	}
	lo, hi := bound("min", nmin), bound("max", nmax)
	if (nmin != nil && lo == nil) || (nmax != nil && hi == nil) {
		return
	}
	if lo != nil && hi != nil && *lo > *hi {
		bad(nmin.Line, "min %v is above max %v", *lo, *hi)
		return
	}
	v.Min, v.Max = lo, hi
	if !v.InRange(v.Default) {
		bad(line, "the default %v is not %s", v.Default, v.RangeString())
	}
}

// sourceLine returns the line of a scalar's first character: block scalars
// (| and >) start on the line after their indicator.
func sourceLine(n *yaml.Node) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

func zeroValue(v *Variable) any {
	return v.value(newColumn(v.Type, 1), 0)
}

func parseParameters(sp *spec, file, ns string, data []byte) LoadErrors {
	root, lerr := parseDoc(file, data)
	if lerr != nil {
		return LoadErrors{lerr}
	}
	if root == nil {
		return nil
	}
	return parseParamNode(sp, file, ns, root)
}

func parseParamNode(sp *spec, file, prefix string, n *yaml.Node) LoadErrors {
	var errs LoadErrors
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := k.Value
		if prefix != "" {
			p = prefix + "." + k.Value
		}
		bad := func(line int, format string, args ...any) {
			errs = append(errs, &LoadError{File: file, Line: line, What: "parameter", Name: p, Msg: fmt.Sprintf(format, args...)})
		}
		if !nameRE.MatchString(k.Value) {
			bad(k.Line, "bad name: use lower case letters, digits and _")
			continue
		}
		if v.Kind != yaml.MappingNode {
			bad(v.Line, "must be a mapping: a namespace or a parameter with values")
			continue
		}
		isLeaf := false
		for j := 0; j < len(v.Content); j += 2 {
			isLeaf = isLeaf || v.Content[j].Value == "values"
		}
		if !isLeaf {
			errs = append(errs, parseParamNode(sp, file, p, v)...)
			continue
		}
		f, ferrs := fields(file, "parameter", p, v, "values", "unit", "description", "reference", "type", "default")
		errs = append(errs, ferrs...)
		if f == nil {
			continue
		}
		if old := sp.params[p]; old != nil {
			bad(k.Line, "declared twice (first at %s:%d)", old.File, old.Line)
			continue
		}
		par := &Parameter{Path: p, File: file, Line: k.Line}
		par.Unit, _ = scalar(f["unit"])
		par.Description, _ = scalar(f["description"])
		par.Reference, _ = scalar(f["reference"])
		if t, ok := scalar(f["type"]); ok {
			if t != "int" && t != "float" {
				bad(f["type"].Line, "type %q is not int or float", t)
			}
			par.Int = t == "int"
		}
		if d := f["default"]; d != nil {
			x, err := strconv.ParseFloat(d.Value, 64)
			if err != nil {
				bad(d.Line, "default %q is not a number", d.Value)
			}
			par.Default = &x
		}
		vals := f["values"]
		if vals.Kind != yaml.MappingNode || len(vals.Content) == 0 {
			bad(vals.Line, "values must map start dates to values")
			continue
		}
		for j := 0; j+1 < len(vals.Content); j += 2 {
			dk, dv := vals.Content[j], vals.Content[j+1]
			d, err := ParseDate(dk.Value)
			if err != nil {
				bad(dk.Line, "values: %v", err)
				continue
			}
			pv := ParamValue{From: d}
			kind := Scalar
			if dv.Kind == yaml.MappingNode {
				// {value: 240, reference: …} or a table {I: 220, II: 180}.
				isValue := false
				for q := 0; q < len(dv.Content); q += 2 {
					isValue = isValue || dv.Content[q].Value == "value"
				}
				if isValue {
					vf, ferrs := fields(file, "parameter", p, dv, "value", "reference")
					errs = append(errs, ferrs...)
					if vf == nil {
						continue
					}
					pv.Reference, _ = scalar(vf["reference"])
					dv = vf["value"]
				}
			}
			switch dv.Kind {
			case yaml.ScalarNode:
				x, err := strconv.ParseFloat(dv.Value, 64)
				if err != nil {
					bad(dv.Line, "value %q on %s is not a number", dv.Value, d)
					continue
				}
				if par.Int && x != math.Trunc(x) {
					bad(dv.Line, "value %v on %s is not an integer", x, d)
				}
				pv.Value = x
			case yaml.MappingNode:
				kind = Table
				pv.Table = map[string]float64{}
				for q := 0; q+1 < len(dv.Content); q += 2 {
					x, err := strconv.ParseFloat(dv.Content[q+1].Value, 64)
					if err != nil {
						bad(dv.Content[q+1].Line, "table value %q is not a number", dv.Content[q+1].Value)
					}
					pv.Table[dv.Content[q].Value] = x
				}
			case yaml.SequenceNode:
				kind = Scale
				for _, b := range dv.Content {
					var br struct {
						Threshold *float64 `yaml:"threshold"`
						Amount    *float64 `yaml:"amount"`
					}
					if err := b.Decode(&br); err != nil || br.Threshold == nil || br.Amount == nil {
						bad(b.Line, "a bracket is {threshold: number, amount: number}")
						continue
					}
					if m := len(pv.Brackets); m > 0 && pv.Brackets[m-1].Threshold >= *br.Threshold {
						bad(b.Line, "bracket thresholds must increase")
					}
					pv.Brackets = append(pv.Brackets, Bracket{*br.Threshold, *br.Amount})
				}
			}
			if len(par.Values) == 0 {
				par.Kind = kind
			} else if par.Kind != kind {
				bad(dv.Line, "value on %s is a %s but earlier values are %ss", d, kind, par.Kind)
				continue
			} else if par.Values[len(par.Values)-1].From >= d {
				bad(dk.Line, "start dates must increase")
				continue
			}
			par.Values = append(par.Values, pv)
		}
		if par.Int && par.Kind != Scalar {
			bad(k.Line, "only a scalar can have type int")
		}
		if len(par.Values) > 0 {
			sp.params[p] = par
		}
	}
	return errs
}
