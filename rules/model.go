package rules

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Entity is the kind of row a variable has values for.
type Entity uint8

// The entities. Every person belongs to exactly one household.
const (
	Person Entity = iota
	Household
)

// String returns "person" or "household".
func (e Entity) String() string {
	if e == Household {
		return "household"
	}
	return "person"
}

// Roles are the values of the built-in person variable "role": the member's
// place in the household. Population.Roles holds their indexes.
var Roles = []string{"head", "spouse", "child", "parent", "other"}

// RoleIndex returns the index of role r in Roles, or -1.
func RoleIndex(r string) int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Variable is a named quantity with one value per entity row and period:
// an input (no formulas) or a computed variable (one formula per date
// range). Variables are immutable once loaded.
type Variable struct {
	Name      string
	Entity    Entity
	Type      Type
	Period    PeriodKind
	Label     map[string]string // by language: az, en, ru
	Reference string            // legal reference, e.g. "Law on Labour Pensions, art. 7"
	Unit      string
	Values    []string // the values of an Enum, in index order
	// Default is the value of every row when an input is not given or no
	// formula is in force for the period: false, 0, 1970-01-01 or the first
	// enum value unless the YAML says otherwise.
	Default any
	// Min and Max bound the values an int, float or money input may be
	// given, inclusive; nil when that side is unbounded. SetInput and
	// Calculate refuse a value outside them (see InRange), and so does the
	// situation decoder, with a problem naming the entity, variable and
	// period. Formulas are not checked against them.
	Min, Max *float64
	Formulas []*Formula // sorted by From; empty for an input

	File string // where the variable is declared
	Line int

	idx int32  // 1 + index in its rule set's order (0: role), see Simulation.lookup
	def Column // Default as a column of one row, set by build (fill)
}

// IsInput reports whether v has no formula.
func (v *Variable) IsInput() bool { return len(v.Formulas) == 0 }

// HasRange reports whether v bounds its input values (Min or Max set).
func (v *Variable) HasRange() bool { return v.Min != nil || v.Max != nil }

// InRange reports whether x, a value of v (int, int64 or float64 for a
// number), is within v's Min and Max. NaN is in no range that has a bound;
// values of other types, and every value of a variable without a range,
// are in range.
func (v *Variable) InRange(x any) bool {
	if !v.HasRange() {
		return true
	}
	var f float64
	switch n := x.(type) {
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case float64:
		f = n
	default:
		return true
	}
	return v.inRange(f)
}

// inRange is InRange of a number.
func (v *Variable) inRange(f float64) bool {
	return (v.Min == nil || f >= *v.Min) && (v.Max == nil || f <= *v.Max) && f == f
}

// RangeString says in English what v's values must be: "between 0 and 3",
// "at least 0" or "at most 24"; "" without a range. It completes "…
// must be ".
func (v *Variable) RangeString() string {
	num := func(f *float64) string { return strconv.FormatFloat(*f, 'f', -1, 64) }
	switch {
	case v.Min != nil && v.Max != nil:
		return "between " + num(v.Min) + " and " + num(v.Max)
	case v.Min != nil:
		return "at least " + num(v.Min)
	case v.Max != nil:
		return "at most " + num(v.Max)
	}
	return ""
}

// rowInRange reports whether row i of c, a column of v, is in v's range.
func (v *Variable) rowInRange(c Column, i int) bool {
	switch v.Type {
	case Int:
		return v.inRange(float64(c.Ints[i]))
	case Float, Money:
		return v.inRange(c.Floats[i])
	}
	return true
}

// RangeError is SetInput's error for a value outside its variable's
// published range (Min, Max): Row of the column, of v's entity. A caller
// that knows whose row it is (a registry's person) can say so.
type RangeError struct {
	Variable *Variable
	Row      int
	Value    any
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("set input %s: row %d value %v is not %s", e.Variable.Name, e.Row, e.Value, e.Variable.RangeString())
}

// checkRange returns the index of the first row of c outside v's range,
// or -1.
func (v *Variable) checkRange(c Column) int {
	if !v.HasRange() {
		return -1
	}
	switch v.Type {
	case Int:
		for i, n := range c.Ints {
			if !v.inRange(float64(n)) {
				return i
			}
		}
	case Float, Money:
		for i, f := range c.Floats {
			if !v.inRange(f) {
				return i
			}
		}
	}
	return -1
}

// formulaAt returns the formula in force on d, or nil.
func (v *Variable) formulaAt(d Date) *Formula {
	var f *Formula
	for _, x := range v.Formulas {
		if x.From <= d {
			f = x
		}
	}
	return f
}

// Formula is a CEL expression that computes a variable from a date on
// (until the next formula's From).
type Formula struct {
	From   Date
	Source string
	File   string
	Line   int // line of the first character of Source

	prog *program
	// What a trace shows of the formula, set by build: Source trimmed and
	// From as a string ("" for a formula in force from the beginning).
	traceSource, traceFrom string
}

// ParamKind says what a parameter's values are.
type ParamKind uint8

// The parameter kinds: a number; a table from a category (an enum value) to
// a number; a scale of brackets (threshold → number).
const (
	Scalar ParamKind = iota
	Table
	Scale
)

// String returns "scalar", "table" or "scale".
func (k ParamKind) String() string {
	return [...]string{"scalar", "table", "scale"}[k]
}

// Parameter is a time series of values set by law, addressed in formulas as
// params.<path>. Parameters are immutable once loaded.
type Parameter struct {
	Path        string
	Kind        ParamKind
	Int         bool // a scalar of CEL type int instead of double
	Unit        string
	Description string
	Reference   string
	// Default is the value of a table lookup whose key is missing on a date;
	// without it every key of the table's enum must be present on every date.
	Default *float64
	Values  []ParamValue // sorted by From

	File string
	Line int
}

// ParamValue is one value of a parameter, in force from From until the
// next value's From.
type ParamValue struct {
	From      Date
	Value     float64            // Scalar
	Table     map[string]float64 // Table
	Brackets  []Bracket          // Scale, sorted by Threshold
	Reference string             // overrides the parameter's reference when set
}

// Bracket is one step of a scale: from Threshold (inclusive) up, Amount.
type Bracket struct {
	Threshold float64
	Amount    float64
}

// At returns the value in force on d, or an error naming the parameter
// and the date when d is before its first value.
func (p *Parameter) At(d Date) (*ParamValue, error) {
	// Back from the last value: calculations are mostly for recent dates.
	i := len(p.Values)
	for i > 0 && p.Values[i-1].From > d {
		i--
	}
	if i == 0 {
		return nil, fmt.Errorf("parameter %s has no value on %s", p.Path, d)
	}
	return &p.Values[i-1], nil
}

// lookup returns the value of a scale for x: the Amount of the highest
// bracket whose Threshold is at most x, 0 below the first bracket.
func (v *ParamValue) lookup(x float64) float64 {
	r := 0.0
	for _, b := range v.Brackets {
		if x < b.Threshold {
			break
		}
		r = b.Amount
	}
	return r
}

// RuleSet is a loaded, checked and compiled set of variables, parameters
// and tests. It is immutable and safe for concurrent use; each Simulation
// built from it is not.
type RuleSet struct {
	vars    map[string]*Variable
	params  map[string]*Parameter
	order   []string  // variable names, sorted
	spec    *spec     // the parsed source, for reforms
	sims    sync.Pool // *Simulation of one household, for Calculate and CalculateValues
	traces  sync.Pool // *traceMem of released traces
	results sync.Pool // *resultMem of released results
	tstr    traceStrings
	thint   traceHint // the sizes of the last trace, to size the next one's slabs
}

// Variable returns the variable called name.
func (rs *RuleSet) Variable(name string) (*Variable, bool) {
	v, ok := rs.vars[name]
	return v, ok
}

// Variables returns all variables sorted by name.
func (rs *RuleSet) Variables() []*Variable {
	out := make([]*Variable, len(rs.order))
	for i, n := range rs.order {
		out[i] = rs.vars[n]
	}
	return out
}

// Parameter returns the parameter at path (without the "params." prefix).
func (rs *RuleSet) Parameter(path string) (*Parameter, bool) {
	p, ok := rs.params[strings.TrimPrefix(path, "params.")]
	return p, ok
}

// Parameters returns all parameters sorted by path.
func (rs *RuleSet) Parameters() []*Parameter {
	out := make([]*Parameter, 0, len(rs.params))
	for _, p := range rs.params {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// LoadError is one problem found while loading a rule set: where it is
// (file and line), which variable or parameter, and what is wrong.
type LoadError struct {
	File string
	Line int
	What string // "variable", "parameter" or "" when the problem is the file
	Name string // the variable or parameter
	Msg  string
}

// Error returns "file:line: variable name: msg".
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Name != "" {
		b.WriteString(e.What)
		b.WriteString(" ")
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadErrors is every problem Load found, in file order.
type LoadErrors []*LoadError

// Error returns the problems one per line.
func (es LoadErrors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}
