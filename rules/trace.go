package rules

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync/atomic"
)

// Trace explains the values a Calculate computed: for each requested
// variable a tree of the variables it read (with their periods and values),
// the inputs and the parameter values (with their start dates and legal
// references). It renders as JSON, text and HTML.
//
// A variable in a period is explained once per trace: the first time it is
// met (depth first, in the order of Roots) its node has the formula,
// parameters and children; every later node for it has the same ID and
// values, Ref set to that ID and nothing below it. Shared parts of the law
// (an income read by twelve months of an average, an age read by several
// programmes) are so written once, and a trace stays linear in the number
// of variables and periods it touches.
type Trace struct {
	Period string       `json:"period"`
	Roots  []*TraceNode `json:"variables"`

	// The expanded node of each variable and period is found from its
	// cache entry in s (entry.tnode), not from a map of the trace's own.
	s   *Simulation
	ids [2][]string
	rs  *RuleSet  // whose pool m goes back to on Release
	m   *traceMem // nil once Released
}

// Release gives the trace's memory back to its rule set, for the next
// Calculate to reuse. Call it once the trace is rendered (JSON, WriteText,
// WriteHTML) or copied: afterwards the trace and everything read from it
// (nodes, value lists, strings, boxed values) must not be used. Later calls
// do nothing. A trace that is never released stays valid and is garbage
// collected like any value; Release only saves the allocations.
func (t *Trace) Release() {
	m := t.m
	if m == nil {
		return
	}
	t.m, t.Roots = nil, nil
	m.reset()
	t.rs.traces.Put(m)
}

// traceMem is the memory a trace's nodes, value lists, child lists,
// parameter lists, strings and boxed values are cut from: a few slabs
// instead of an allocation for each. A released trace's traceMem is pooled
// by its rule set.
type traceMem struct {
	roots   []*TraceNode
	nodes   []TraceNode
	values  []TraceValue
	kids    []*TraceNode
	periods []periodString
	params  []TraceParameter
	boxes   traceBoxes
	n       traceSizes // how much of each the trace took
}

// getTraceMem returns an empty traceMem, pooled or new, whose slabs have
// at least the sizes of rs's last trace.
func (rs *RuleSet) getTraceMem() *traceMem {
	m, _ := rs.traces.Get().(*traceMem)
	if m == nil {
		m = &traceMem{}
	}
	m.presize(&rs.thint)
	return m
}

// reset empties m for reuse: the nodes are cleared (node expects them
// zero), every other slab is overwritten before it is read.
func (m *traceMem) reset() {
	clear(m.nodes)
	m.roots, m.nodes, m.values, m.kids, m.periods, m.params = m.roots[:0], m.nodes[:0], m.values[:0], m.kids[:0], m.periods[:0], m.params[:0]
	m.boxes.reset()
	m.n = traceSizes{}
}

type periodString struct {
	k int64 // vkey's packed period
	s string
}

// traceStrings are what a trace repeats of the parameters, built once per
// rule set: each parameter's "params."+path, the series of a parameter
// looked up per row (at()), each value's start date and each scalar value
// boxed. The trace shares them (like labels and tables): they must not be
// modified.
type traceStrings struct {
	params map[*Parameter]*paramStrings
}

type paramStrings struct {
	path   string
	series map[string]float64 // scalars only
	from   []string           // by index in Values
	value  []any              // by index in Values, scalars only
}

func newTraceStrings(params map[string]*Parameter) traceStrings {
	ts := traceStrings{params: make(map[*Parameter]*paramStrings, len(params))}
	for _, p := range params {
		ps := &paramStrings{path: "params." + p.Path, from: make([]string, len(p.Values))}
		series := make(map[string]float64, len(p.Values))
		for i, pv := range p.Values {
			ps.from[i] = pv.From.String()
			series[ps.from[i]] = pv.Value
		}
		if p.Kind == Scalar {
			ps.series = series
			ps.value = make([]any, len(p.Values))
			for i, pv := range p.Values {
				ps.value[i] = pv.Value
			}
		}
		ts.params[p] = ps
	}
	return ts
}

// noParamStrings stands for the strings of a parameter a rule set has not
// built: the trace builds them itself.
var noParamStrings paramStrings

// valueIndex returns the index of v in p.Values, or -1.
func valueIndex(p *Parameter, v *ParamValue) int {
	for i := range p.Values {
		if &p.Values[i] == v {
			return i
		}
	}
	return -1
}

func (m *traceMem) newNode() *TraceNode {
	m.n.nodes++
	if len(m.nodes) == cap(m.nodes) {
		m.nodes = make([]TraceNode, 0, 32)
	}
	m.nodes = m.nodes[:len(m.nodes)+1]
	return &m.nodes[len(m.nodes)-1]
}

func (m *traceMem) newValues(n int) []TraceValue {
	m.n.values += n
	if len(m.values)+n > cap(m.values) {
		m.values = make([]TraceValue, 0, max(128, n))
	}
	m.values = m.values[:len(m.values)+n]
	return m.values[len(m.values)-n : len(m.values) : len(m.values)]
}

func (m *traceMem) newKids(n int) []*TraceNode {
	m.n.kids += n
	if len(m.kids)+n > cap(m.kids) {
		m.kids = make([]*TraceNode, 0, max(64, n))
	}
	m.kids = m.kids[:len(m.kids)+n]
	return m.kids[len(m.kids)-n : len(m.kids)-n : len(m.kids)]
}

func (m *traceMem) newParams(n int) []TraceParameter {
	m.n.params += n
	if len(m.params)+n > cap(m.params) {
		m.params = make([]TraceParameter, 0, max(32, n))
	}
	m.params = m.params[:len(m.params)+n]
	return m.params[len(m.params)-n : len(m.params)-n : len(m.params)]
}

// traceSizes count the nodes, values, child pointers and parameters of a
// trace and what it boxed.
type traceSizes struct {
	nodes, values, kids, params, floats, ints, strings, bytes int
}

// traceHint keeps the sizes of a rule set's last trace: the next trace
// allocates its slabs at those sizes, so a run of similar households takes
// one slab of each instead of a chain of chunks with unused tails.
type traceHint struct {
	p atomic.Pointer[traceSizes]
}

// presize gives m's slabs at least the sizes of the last trace recorded
// in h.
func (m *traceMem) presize(h *traceHint) {
	z := h.p.Load()
	if z == nil {
		return
	}
	m.nodes = slabOf(m.nodes, z.nodes)
	m.values = slabOf(m.values, z.values)
	m.kids = slabOf(m.kids, z.kids)
	m.params = slabOf(m.params, z.params)
	b := &m.boxes
	b.floats = slabOf(b.floats, z.floats)
	b.ints = slabOf(b.ints, z.ints)
	b.strings = slabOf(b.strings, z.strings)
	b.bytes = slabOf(b.bytes, z.bytes)
}

// slabOf returns s emptied when it can hold n elements, else a new slab of
// n: an empty slab too small is replaced rather than chained.
func slabOf[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:0]
	}
	return make([]T, 0, n)
}

// record keeps m's sizes in h for the next trace.
func (m *traceMem) record(h *traceHint) {
	z := m.n
	b := &m.boxes
	z.floats, z.ints, z.strings, z.bytes = b.nFloats, b.nInts, b.nStrings, b.nBytes
	if old := h.p.Load(); old == nil || *old != z {
		nz := new(traceSizes) // only when the sizes change: z stays on the stack
		*nz = z
		h.p.Store(nz)
	}
}

// periodString returns p.String(), once per period and trace.
func (m *traceMem) periodString(k vkey) string {
	for _, ps := range m.periods {
		if ps.k == k.p {
			return ps.s
		}
	}
	s := m.boxes.period(k.period())
	if m.periods == nil {
		m.periods = make([]periodString, 0, 16)
	}
	m.periods = append(m.periods, periodString{k.p, s})
	return s
}

// TraceNode is one variable in one period in a Trace.
type TraceNode struct {
	// ID names the variable in its period, "name@period"; it is unique
	// among the expanded nodes of a trace.
	ID string `json:"id"`
	// Ref is set (to ID) on a node whose explanation is given by the
	// expanded node with that ID earlier in the trace.
	Ref         string            `json:"ref,omitempty"`
	Variable    string            `json:"variable"`
	Label       map[string]string `json:"label,omitempty"`
	Entity      string            `json:"entity"`
	Period      string            `json:"period"`
	Source      string            `json:"source"` // "formula", "input" or "default"
	Formula     string            `json:"formula,omitempty"`
	FormulaFrom string            `json:"formula_from,omitempty"`
	Reference   string            `json:"reference,omitempty"`
	Values      []TraceValue      `json:"values"`
	Parameters  []TraceParameter  `json:"parameters,omitempty"`
	Children    []*TraceNode      `json:"children,omitempty"`
}

// TraceValue is the value of a variable for one person or household.
type TraceValue struct {
	ID    string `json:"id"`
	Value any    `json:"value"`
}

// TraceParameter is a parameter value a formula read: the value in force on
// the period's start (From is its start date), or, when a formula looked it
// up per row on dates (at()), the whole series in Series.
type TraceParameter struct {
	Path      string             `json:"path"`
	Value     any                `json:"value,omitempty"`
	From      string             `json:"from,omitempty"`
	Unit      string             `json:"unit,omitempty"`
	Reference string             `json:"reference,omitempty"`
	Series    map[string]float64 `json:"series,omitempty"`
}

// maxTraceDepth bounds a trace's tree; deeper reads are cut off.
const maxTraceDepth = 64

// node returns the node of v in p, with the nodes of what it read below it
// unless they were explained before (or depth is too deep).
func (t *Trace) node(v *Variable, p Period, depth int) *TraceNode {
	m := t.m
	k := mkey(v, p)
	e := t.s.lookup(k)
	ps := m.periodString(k)
	n := m.newNode()
	// n is zero (fresh from the slab, or cleared when its trace was
	// released): set field by field, which costs a write barrier per
	// pointer set rather than one over the whole node.
	n.Variable, n.Label, n.Entity, n.Period = v.Name, v.Label, v.Entity.String(), ps
	if v.Reference != "" {
		n.Reference = v.Reference
	}
	if e == nil {
		n.ID = m.boxes.join(v.Name, "@", ps)
		n.Source = "not computed"
		return n
	}
	switch e.src {
	case fromInput:
		n.Source = "input"
	case fromDefault:
		n.Source = "default"
	case fromFormula:
		n.Source = "formula"
	}
	if x := e.tnode; x != nil {
		// Explained above: the same ID and values (shared, not copied).
		n.ID, n.Ref, n.Values = x.ID, x.ID, x.Values
		return n
	}
	n.ID = m.boxes.join(v.Name, "@", ps)
	ids := t.ids[v.Entity]
	vals := m.newValues(len(ids))
	for i, id := range ids {
		vals[i] = TraceValue{ID: id, Value: m.boxes.value(v, e.col, i)}
	}
	n.Values = vals
	e.tnode = n
	if e.src == fromFormula {
		n.Formula, n.FormulaFrom = e.formula.traceSource, e.formula.traceFrom
	}
	if len(e.params) > 0 {
		n.Parameters = t.params(e.params)
	}
	if depth >= maxTraceDepth || len(e.deps) == 0 {
		return n
	}
	kids := m.newKids(len(e.deps))
deps:
	for i, d := range e.deps {
		for _, q := range e.deps[:i] {
			if q == d {
				continue deps
			}
		}
		kids = append(kids, t.node(d.v, d.period(), depth+1))
	}
	n.Children = kids
	return n
}

// params returns the trace of the parameters a formula read (reads), each
// parameter once.
func (t *Trace) params(reads []paramRead) []TraceParameter {
	m := t.m
	out := m.newParams(len(reads))
params:
	for i, r := range reads {
		for _, q := range reads[:i] {
			if q.p == r.p {
				continue params
			}
		}
		ps := r.ts
		if ps == nil {
			ps = &noParamStrings
		}
		tp := TraceParameter{Path: ps.path, Unit: r.p.Unit, Reference: r.p.Reference}
		if tp.Path == "" {
			tp.Path = m.boxes.join("params.", "", r.p.Path)
		}
		if r.v == nil {
			if tp.Series = ps.series; tp.Series == nil {
				tp.Series = make(map[string]float64, len(r.p.Values))
				for _, pv := range r.p.Values {
					tp.Series[pv.From.String()] = pv.Value
				}
			}
		} else {
			k := valueIndex(r.p, r.v)
			if k >= 0 && k < len(ps.from) {
				tp.From = ps.from[k]
			} else {
				tp.From = m.boxes.date(r.v.From)
			}
			if r.v.Reference != "" {
				tp.Reference = r.v.Reference
			}
			switch r.p.Kind {
			case Scalar:
				if k >= 0 && k < len(ps.value) {
					tp.Value = ps.value[k]
				} else {
					tp.Value = m.boxes.float(r.v.Value)
				}
			case Table:
				tp.Value = r.v.Table
			case Scale:
				tp.Value = r.v.Brackets
			}
		}
		out = append(out, tp)
	}
	return out
}

// JSON returns the trace as indented JSON.
func (t *Trace) JSON() ([]byte, error) {
	return json.MarshalIndent(t, "", "  ")
}

// WriteText writes the trace as an indented tree, one variable per line
// with its parameters below it.
func (t *Trace) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "period %s\n", t.Period)
	var walk func(n *TraceNode, ind string)
	walk = func(n *TraceNode, ind string) {
		vals := make([]string, len(n.Values))
		for i, v := range n.Values {
			vals[i] = fmt.Sprintf("%s=%v", v.ID, v.Value)
		}
		fmt.Fprintf(&b, "%s%s[%s] (%s) = %s", ind, n.Variable, n.Period, n.Source, strings.Join(vals, ", "))
		if n.Ref != "" {
			b.WriteString("   (explained above)\n")
			return
		}
		if n.Formula != "" {
			fmt.Fprintf(&b, "   ← %s", strings.Join(strings.Fields(n.Formula), " "))
			if n.FormulaFrom != "" {
				fmt.Fprintf(&b, " (from %s)", n.FormulaFrom)
			}
		}
		b.WriteString("\n")
		for _, p := range n.Parameters {
			if p.Series != nil {
				fmt.Fprintf(&b, "%s  %s by date %v", ind, p.Path, p.Series)
			} else {
				fmt.Fprintf(&b, "%s  %s = %v since %s", ind, p.Path, p.Value, p.From)
			}
			if p.Reference != "" {
				fmt.Fprintf(&b, " [%s]", p.Reference)
			}
			b.WriteString("\n")
		}
		for _, c := range n.Children {
			walk(c, ind+"  ")
		}
	}
	for _, n := range t.Roots {
		walk(n, "")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var traceHTML = template.Must(template.New("trace").Funcs(template.FuncMap{
	"join": func(s string) string { return strings.Join(strings.Fields(s), " ") },
	"lang": func() string { return "az" },
	// anchor turns an ID into an HTML id of letters, digits, _ and -
	// (variable names have no -, so it stays unique).
	"anchor": func(id string) string { return strings.Replace(id, "@", "-", 1) },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font-family:sans-serif}details,.ref{margin-left:1.2em}code{background:#f4f4f4}.src{color:#555;font-size:90%}</style>
</head><body><h1>{{.Title}}</h1>
{{define "node"}}{{if .Ref}}<p class="ref"><strong>{{with index .Label lang}}{{.}}{{else}}{{.Variable}}{{end}}</strong>
<code>{{.Variable}}</code> [{{.Period}}] = {{range $i, $v := .Values}}{{if $i}}, {{end}}{{$v.ID}}: <b>{{$v.Value}}</b>{{end}}
<a href="#{{anchor .Ref}}">(explained above)</a></p>{{else}}<details open id="{{anchor .ID}}"><summary><strong>{{with index .Label lang}}{{.}}{{else}}{{.Variable}}{{end}}</strong>
<code>{{.Variable}}</code> [{{.Period}}] = {{range $i, $v := .Values}}{{if $i}}, {{end}}{{$v.ID}}: <b>{{$v.Value}}</b>{{end}}
<span class="src">({{.Source}}{{if .FormulaFrom}}, formula from {{.FormulaFrom}}{{end}})</span></summary>
{{if .Formula}}<p><code>{{join .Formula}}</code>{{if .Reference}} — {{.Reference}}{{end}}</p>{{end}}
{{if .Parameters}}<ul>{{range .Parameters}}<li><code>{{.Path}}</code> = {{if .Series}}{{.Series}}{{else}}{{.Value}} since {{.From}}{{end}}{{if .Unit}} {{.Unit}}{{end}}{{if .Reference}} — {{.Reference}}{{end}}</li>{{end}}</ul>{{end}}
{{range .Children}}{{template "node" .}}{{end}}</details>{{end}}{{end}}
{{range .Roots}}{{template "node" .}}{{end}}
</body></html>
`))

// WriteHTML writes the trace as a standalone HTML page whose labels are in
// lang (az, en or ru; the variable name when a label is missing). Every
// value is escaped by html/template.
func (t *Trace) WriteHTML(w io.Writer, lang string) error {
	tmpl, err := traceHTML.Clone()
	if err != nil {
		return err
	}
	tmpl.Funcs(template.FuncMap{"lang": func() string { return lang }})
	return tmpl.Execute(w, struct {
		Lang, Title string
		Roots       []*TraceNode
	}{lang, "Explanation for " + t.Period, t.Roots})
}
