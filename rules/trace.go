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

	// Memory handed out to the nodes in chunks, so a trace allocates a
	// few slabs instead of every node, value list and child list apart.
	nodes   []TraceNode
	values  []TraceValue
	kids    []*TraceNode
	periods []periodString
	params  []TraceParameter
	boxes   traceBoxes
	n       traceSizes // how much of each the trace took
}

type periodString struct {
	k int64 // vkey's packed period
	s string
}

// traceStrings are the strings a trace repeats, built once per rule set:
// each parameter's "params."+path, the series of a parameter looked up per
// row (at()) and each value's start date. The trace shares them (like
// labels and tables): they must not be modified.
type traceStrings struct {
	path   map[*Parameter]string
	series map[*Parameter]map[string]float64
	from   map[*ParamValue]string
}

func newTraceStrings(params map[string]*Parameter) traceStrings {
	ts := traceStrings{path: map[*Parameter]string{}, series: map[*Parameter]map[string]float64{}, from: map[*ParamValue]string{}}
	for _, p := range params {
		ts.path[p] = "params." + p.Path
		series := make(map[string]float64, len(p.Values))
		for i := range p.Values {
			pv := &p.Values[i]
			ts.from[pv] = pv.From.String()
			series[ts.from[pv]] = pv.Value
		}
		if p.Kind == Scalar {
			ts.series[p] = series
		}
	}
	return ts
}

func (t *Trace) newNode() *TraceNode {
	t.n.nodes++
	if len(t.nodes) == cap(t.nodes) {
		t.nodes = make([]TraceNode, 0, 32)
	}
	t.nodes = t.nodes[:len(t.nodes)+1]
	return &t.nodes[len(t.nodes)-1]
}

func (t *Trace) newValues(n int) []TraceValue {
	t.n.values += n
	if len(t.values)+n > cap(t.values) {
		t.values = make([]TraceValue, 0, max(128, n))
	}
	t.values = t.values[:len(t.values)+n]
	return t.values[len(t.values)-n : len(t.values) : len(t.values)]
}

func (t *Trace) newKids(n int) []*TraceNode {
	t.n.kids += n
	if len(t.kids)+n > cap(t.kids) {
		t.kids = make([]*TraceNode, 0, max(64, n))
	}
	t.kids = t.kids[:len(t.kids)+n]
	return t.kids[len(t.kids)-n : len(t.kids)-n : len(t.kids)]
}

func (t *Trace) newParams(n int) []TraceParameter {
	t.n.params += n
	if len(t.params)+n > cap(t.params) {
		t.params = make([]TraceParameter, 0, max(32, n))
	}
	t.params = t.params[:len(t.params)+n]
	return t.params[len(t.params)-n : len(t.params)-n : len(t.params)]
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

// presize gives t's slabs the sizes of rs's last trace.
func (t *Trace) presize(h *traceHint) {
	z := h.p.Load()
	if z == nil {
		return
	}
	t.nodes = make([]TraceNode, 0, z.nodes)
	t.values = make([]TraceValue, 0, z.values)
	t.kids = make([]*TraceNode, 0, z.kids)
	t.params = make([]TraceParameter, 0, z.params)
	b := &t.boxes
	b.floats = make([]float64, 0, z.floats)
	b.ints = make([]int64, 0, z.ints)
	b.strings = make([]string, 0, z.strings)
	b.bytes = make([]byte, 0, z.bytes)
}

// record keeps t's sizes in h for the next trace.
func (t *Trace) record(h *traceHint) {
	z := t.n
	b := &t.boxes
	z.floats, z.ints, z.strings, z.bytes = b.nFloats, b.nInts, b.nStrings, b.nBytes
	if old := h.p.Load(); old == nil || *old != z {
		h.p.Store(&z)
	}
}

// periodString returns p.String(), once per period and trace.
func (t *Trace) periodString(k vkey) string {
	for _, ps := range t.periods {
		if ps.k == k.p {
			return ps.s
		}
	}
	s := t.boxes.period(k.period())
	if t.periods == nil {
		t.periods = make([]periodString, 0, 16)
	}
	t.periods = append(t.periods, periodString{k.p, s})
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

func (t *Trace) node(v *Variable, p Period, depth int) *TraceNode {
	k := mkey(v, p)
	e := t.s.lookup(k)
	ps := t.periodString(k)
	n := t.newNode()
	// n is zero (fresh from the slab): set field by field, which costs a
	// write barrier per pointer set rather than one over the whole node.
	n.Variable, n.Label, n.Entity, n.Period = v.Name, v.Label, v.Entity.String(), ps
	if v.Reference != "" {
		n.Reference = v.Reference
	}
	if e == nil {
		n.ID = t.boxes.join(v.Name, "@", ps)
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
	n.ID = t.boxes.join(v.Name, "@", ps)
	ids := t.ids[v.Entity]
	n.Values = t.newValues(len(ids))
	for i, id := range ids {
		n.Values[i] = TraceValue{ID: id, Value: t.boxes.value(v, e.col, i)}
	}
	e.tnode = n
	if e.src == fromFormula {
		n.Formula = strings.TrimSpace(e.formula.Source)
		if e.formula.From > -1<<30 {
			n.FormulaFrom = t.boxes.date(e.formula.From)
		}
	}
params:
	for i, r := range e.params {
		for _, q := range e.params[:i] {
			if q.p == r.p {
				continue params
			}
		}
		ts := &t.s.rs.tstr
		tp := TraceParameter{Path: ts.path[r.p], Unit: r.p.Unit, Reference: r.p.Reference}
		if tp.Path == "" {
			tp.Path = t.boxes.join("params.", "", r.p.Path)
		}
		if r.v == nil {
			if tp.Series = ts.series[r.p]; tp.Series == nil {
				tp.Series = make(map[string]float64, len(r.p.Values))
				for _, pv := range r.p.Values {
					tp.Series[pv.From.String()] = pv.Value
				}
			}
		} else {
			if tp.From = ts.from[r.v]; tp.From == "" {
				tp.From = t.boxes.date(r.v.From)
			}
			if r.v.Reference != "" {
				tp.Reference = r.v.Reference
			}
			switch r.p.Kind {
			case Scalar:
				tp.Value = t.boxes.float(r.v.Value)
			case Table:
				tp.Value = r.v.Table
			case Scale:
				tp.Value = r.v.Brackets
			}
		}
		if n.Parameters == nil {
			n.Parameters = t.newParams(len(e.params) - i)
		}
		n.Parameters = append(n.Parameters, tp)
	}
	if depth >= maxTraceDepth {
		return n
	}
	if len(e.deps) > 0 {
		n.Children = t.newKids(len(e.deps))
	}
deps:
	for i, d := range e.deps {
		for _, q := range e.deps[:i] {
			if q == d {
				continue deps
			}
		}
		n.Children = append(n.Children, t.node(d.v, d.period(), depth+1))
	}
	return n
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
