package http

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost/rules"
)

// renderRules renders a rules page in the request's language; data builds
// the view's data in that language.
func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, status int, view string, data func(lang string) any) {
	lang := s.requestLang(w, r)
	s.renderLang(w, r, lang, status, view, "layout", s.pageFor(r, lang, "rules", data(lang)))
}

// ruleWords translates the engine's words (entity, period kind, type,
// parameter kind) into lang.
func (s *Server) ruleWord(lang, kind, word string) string {
	return s.ui.msgs.text(lang, "rules."+kind+"."+word)
}

// ruleLabel returns v's label in lang, falling back to Azerbaijani, then
// the name.
func ruleLabel(label map[string]string, lang, name string) string {
	if l := label[lang]; l != "" {
		return l
	}
	if l := label["az"]; l != "" {
		return l
	}
	return name
}

// variableRow is one variable in the list.
type variableRow struct {
	Name, Label, Entity, Period, Type string
	Input                             bool
}

// handleRulesVariables handles "GET /rules/variables": every variable of
// the rule set with its label, entity, period and type.
func (s *Server) handleRulesVariables(w http.ResponseWriter, r *http.Request) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderRules(w, r, http.StatusOK, "rules_variables", func(lang string) any {
		var rows []variableRow
		for _, v := range rs.Variables() {
			rows = append(rows, variableRow{Name: v.Name, Label: ruleLabel(v.Label, lang, v.Name),
				Entity: s.ruleWord(lang, "entity", v.Entity.String()), Period: s.ruleWord(lang, "period", v.Period.String()),
				Type: s.ruleWord(lang, "type", v.Type.String()), Input: v.IsInput()})
		}
		return rows
	})
}

// variableView is the data of a variable's page.
type variableView struct {
	Name, Label, Entity, Period, Type, Unit, Default, Reference, Source string
	Range                                                               string // the values an input may be given, in the page's language; "" for any
	Values                                                              []string
	Input                                                               bool
	Formulas                                                            []formulaView
}

// formulaView is one formula with the names it reads, linked.
type formulaView struct {
	From       string // "" since always
	Source     string
	File       string
	Variables  []string
	Parameters []string
}

// paramRef and nameRef find the names a formula reads; only names the
// rule set knows are linked.
var (
	paramRef = regexp.MustCompile(`\bparams\.[A-Za-z_][A-Za-z0-9_.]*`)
	nameRef  = regexp.MustCompile(`\b[A-Za-z_][A-Za-z0-9_]*\b`)
)

// handleRulesVariable handles "GET /rules/variables/{name}": a variable's
// label, entity, period, type, legal reference and formulas by start
// date, linking the variables and parameters they read.
func (s *Server) handleRulesVariable(w http.ResponseWriter, r *http.Request) {
	rs, v, err := s.pathVariable(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderRules(w, r, http.StatusOK, "rules_variable", func(lang string) any {
		vv := variableView{Name: v.Name, Label: ruleLabel(v.Label, lang, v.Name),
			Entity: s.ruleWord(lang, "entity", v.Entity.String()), Period: s.ruleWord(lang, "period", v.Period.String()),
			Type: s.ruleWord(lang, "type", v.Type.String()), Unit: v.Unit, Default: displayValue(v, v.Default),
			Reference: v.Reference, Source: sourceOf(v.File, v.Line), Values: v.Values, Input: v.IsInput(),
			Range: s.rangeText(lang, v)}
		for _, f := range v.Formulas {
			fv := formulaView{Source: strings.TrimSpace(f.Source), File: sourceOf(f.File, f.Line)}
			if from := formulaFrom(f); from != "0001-01-01" {
				fv.From = from
			}
			for _, p := range paramRef.FindAllString(f.Source, -1) {
				if _, ok := rs.Parameter(p); ok && !slices.Contains(fv.Parameters, strings.TrimPrefix(p, "params.")) {
					fv.Parameters = append(fv.Parameters, strings.TrimPrefix(p, "params."))
				}
			}
			for _, n := range nameRef.FindAllString(paramRef.ReplaceAllString(f.Source, ""), -1) {
				if _, ok := rs.Variable(n); ok && n != v.Name && !slices.Contains(fv.Variables, n) {
					fv.Variables = append(fv.Variables, n)
				}
			}
			vv.Formulas = append(vv.Formulas, fv)
		}
		return vv
	})
}

// rangeText says in lang what v's input values must be ("between 0 and
// 3", "at least 0"); "" when v has no range.
func (s *Server) rangeText(lang string, v *rules.Variable) string {
	num := func(f *float64) string { return displayValue(v, *f) }
	switch {
	case v.Min != nil && v.Max != nil:
		return s.ui.msgs.text(lang, "rules.range.between", num(v.Min), num(v.Max))
	case v.Min != nil:
		return s.ui.msgs.text(lang, "rules.range.min", num(v.Min))
	case v.Max != nil:
		return s.ui.msgs.text(lang, "rules.range.max", num(v.Max))
	}
	return ""
}

// rangeAttr is a bound of an input's range as the value of a number
// field's min or max attribute; "" when unbounded.
func rangeAttr(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// displayValue formats an engine value for a page: money with two
// decimals.
func displayValue(v *rules.Variable, x any) string {
	switch y := x.(type) {
	case float64:
		if v != nil && v.Type == rules.Money {
			return strconv.FormatFloat(y, 'f', 2, 64)
		}
		return strconv.FormatFloat(y, 'f', -1, 64)
	case nil:
		return "—"
	}
	return fmt.Sprint(x)
}

// ruleValueLabel returns the catalogue's name in lang of value of the
// variable called name ("rules.value.<name>.<value>"); ok is false when
// the catalogue has none.
func (s *Server) ruleValueLabel(lang, name, value string) (label string, ok bool) {
	label, ok = s.ui.msgs[lang]["rules.value."+name+"."+value]
	return label, ok
}

// ruleValue returns value of v named in lang, or value itself when the
// catalogue does not name it.
func (s *Server) ruleValue(lang string, v *rules.Variable, value string) string {
	if l, ok := s.ruleValueLabel(lang, v.Name, value); ok {
		return l
	}
	return value
}

// displayValueIn is displayValue with the values the catalogue names
// (enum values, the disability degree) in lang.
func (s *Server) displayValueIn(lang string, v *rules.Variable, x any) string {
	switch y := x.(type) {
	case string:
		if v != nil && v.Type == rules.Enum {
			return s.ruleValue(lang, v, y)
		}
	case int64:
		if v != nil {
			if l, ok := s.ruleValueLabel(lang, v.Name, strconv.FormatInt(y, 10)); ok {
				return l
			}
		}
	}
	return displayValue(v, x)
}

// parameterRow is one parameter in the list.
type parameterRow struct {
	ID, Description, Kind, Unit string
}

// handleRulesParameters handles "GET /rules/parameters": every parameter
// with its description and kind.
func (s *Server) handleRulesParameters(w http.ResponseWriter, r *http.Request) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderRules(w, r, http.StatusOK, "rules_parameters", func(lang string) any {
		var rows []parameterRow
		for _, p := range rs.Parameters() {
			rows = append(rows, parameterRow{ID: p.Path, Description: p.Description, Kind: s.ruleWord(lang, "kind", p.Kind.String()), Unit: p.Unit})
		}
		return rows
	})
}

// parameterView is the data of a parameter's page.
type parameterView struct {
	ID, Description, Kind, Unit, Reference, Source string
	Values                                         []paramValueView
}

// paramValueView is one value of a parameter's history, formatted.
type paramValueView struct {
	From, Value, Reference string
}

// handleRulesParameter handles "GET /rules/parameters/{id}": the history
// of a parameter's values with their start dates and sources.
func (s *Server) handleRulesParameter(w http.ResponseWriter, r *http.Request) {
	_, p, err := s.pathParameter(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderRules(w, r, http.StatusOK, "rules_parameter", func(lang string) any {
		pv := parameterView{ID: p.Path, Description: p.Description, Kind: s.ruleWord(lang, "kind", p.Kind.String()),
			Unit: p.Unit, Reference: p.Reference, Source: sourceOf(p.File, p.Line)}
		for i := len(p.Values) - 1; i >= 0; i-- { // newest first
			x := p.Values[i]
			ref := x.Reference
			if ref == "" {
				ref = p.Reference
			}
			pv.Values = append(pv.Values, paramValueView{From: x.From.String(), Value: formatParamValue(p, x), Reference: ref})
		}
		return pv
	})
}

// formatParamValue writes a parameter value as text: a number, "key: n"
// pairs of a table or "from threshold: amount" steps of a scale.
func formatParamValue(p *rules.Parameter, x rules.ParamValue) string {
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch p.Kind {
	case rules.Table:
		var parts []string
		for _, k := range sortedKeys(x.Table) {
			parts = append(parts, k+": "+num(x.Table[k]))
		}
		return strings.Join(parts, "; ")
	case rules.Scale:
		var parts []string
		for _, b := range x.Brackets {
			parts = append(parts, "≥ "+num(b.Threshold)+": "+num(b.Amount))
		}
		return strings.Join(parts, "; ")
	}
	return num(x.Value)
}

// tryPersons is the number of person columns of the calculator's form.
const tryPersons = 4

// tryView is the calculator's form and, after a valid run, its results
// and the explanation of one variable.
type tryView struct {
	Period   string
	Explain  string
	Persons  []tryPerson
	House    []tryField // household inputs
	Outputs  []tryOption
	Errors   []string // translated messages
	PeriodOK bool

	Ran             bool
	PersonResults   []tryResult
	HouseResults    []tryResult
	ResultPersonIDs []string
	Trace           *traceView
}

// tryPerson is one person column of the form.
type tryPerson struct {
	N      int    // 1-based
	ID     string // p1…
	Role   string // "" when not part of the household (never for p1)
	Roles  []tryOption
	Fields []tryField
}

// tryField is one input of the form.
type tryField struct {
	ID, Name, Label, Kind, Value, Hint string // Kind: date, number, checkbox, select
	Step                               string
	Min, Max                           string // a number's range (the variable's Min and Max); "" when unbounded
	Options                            []tryOption
	Invalid                            bool
}

// tryOption is an option of a select.
type tryOption struct {
	Value, Label string
	Selected     bool
}

// tryResult is one computed variable's values: one per person or the
// household's.
type tryResult struct {
	Name, Label string
	Values      []string
}

// traceView is a node of the explanation, in the page's language.
type traceView struct {
	Anchor, Ref                                                  string // Ref: the Anchor of the node explaining this one
	Name, Label, Period, Source, Formula, FormulaFrom, Reference string
	Values                                                       []string
	Parameters                                                   []traceParamView
	Children                                                     []*traceView
}

// traceParamView is a parameter value in the explanation.
type traceParamView struct {
	Path, ID, Value, From, Unit, Reference string
}

// handleRulesTry handles "GET /rules/try": the staff calculator. The form
// (a GET: it changes nothing, and its URL can be shared) takes a household
// of up to tryPersons persons with the rule set's person and household
// inputs and a month; month inputs hold for that month and the 12 before
// (so averages over the last year see them). With run=1 it computes
// every variable with a formula and explains the one chosen.
func (s *Server) handleRulesTry(w http.ResponseWriter, r *http.Request) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := s.requestLang(w, r)
	tr := func(key string, args ...any) string { return s.ui.msgs.text(lang, key, args...) }
	q := r.URL.Query()
	v := &tryView{Period: strings.TrimSpace(q.Get("period")), Explain: q.Get("explain")}
	if v.Period == "" {
		v.Period = s.Clock.Now().Format("2006-01")
	}
	period, perr := rules.ParsePeriod(v.Period)
	if perr != nil || period.Kind != rules.Month {
		v.Errors = append(v.Errors, tr("rules.try.error.period"))
	}
	var personVars, houseVars, computed []*rules.Variable
	for _, x := range rs.Variables() {
		switch {
		case !x.IsInput():
			computed = append(computed, x)
		case x.Entity == rules.Person:
			personVars = append(personVars, x)
		default:
			houseVars = append(houseVars, x)
		}
	}
	if v.Explain == "" {
		for _, name := range []string{"old_age_pension", "tssa_amount"} {
			if _, ok := rs.Variable(name); ok {
				v.Explain = name
				break
			}
		}
	}
	for _, x := range computed {
		v.Outputs = append(v.Outputs, tryOption{Value: x.Name, Label: ruleLabel(x.Label, lang, x.Name) + " (" + x.Name + ")", Selected: x.Name == v.Explain})
	}

	sit := &rules.Situation{ID: "household", Household: map[string]any{}}
	// field builds the form field of x for prefix and parses its value
	// into inputs; a bad value adds an error naming who and what.
	field := func(prefix, who string, x *rules.Variable, inputs map[string]any) tryField {
		name := prefix + "." + x.Name
		f := tryField{ID: "try-" + strings.ReplaceAll(name, ".", "-"), Name: name, Label: ruleLabel(x.Label, lang, x.Name), Value: strings.TrimSpace(q.Get(name))}
		switch x.Type {
		case rules.DateType:
			f.Kind = "date"
		case rules.Bool:
			f.Kind = "checkbox"
		case rules.Enum:
			f.Kind = "select"
			f.Options = append(f.Options, tryOption{Value: "", Label: "—"})
			for _, o := range x.Values {
				f.Options = append(f.Options, tryOption{Value: o, Label: s.ruleValue(lang, x, o), Selected: o == f.Value})
			}
		case rules.Int:
			// A whole number whose values the catalogue names (the
			// disability degree) is a choice among them.
			if _, ok := s.ruleValueLabel(lang, x.Name, "0"); ok {
				f.Kind = "select"
				f.Options = append(f.Options, tryOption{Value: "", Label: "—"})
				for n := 0; ; n++ {
					o := strconv.Itoa(n)
					l, ok := s.ruleValueLabel(lang, x.Name, o)
					if !ok {
						break
					}
					f.Options = append(f.Options, tryOption{Value: o, Label: l, Selected: o == f.Value})
				}
				break
			}
			f.Kind, f.Step = "number", "1"
		default:
			f.Kind, f.Step = "number", "any"
			if x.Type == rules.Int {
				f.Step = "1"
			} else if x.Type == rules.Money {
				f.Step = "0.01"
			}
		}
		if f.Kind == "number" {
			f.Min, f.Max = rangeAttr(x.Min), rangeAttr(x.Max)
		}
		if x.Unit != "" {
			f.Hint = x.Unit
		}
		if f.Value == "" || inputs == nil {
			return f
		}
		raw := []byte(f.Value)
		switch x.Type {
		case rules.Bool:
			raw = []byte("true")
		case rules.DateType, rules.Enum:
			raw = strconv.AppendQuote(nil, f.Value)
		default:
			raw = []byte(strings.ReplaceAll(f.Value, ",", "."))
		}
		val, msg := parseValue(x, raw)
		if msg != "" {
			f.Invalid = true
			v.Errors = append(v.Errors, tr("rules.try.error.value", who, f.Label))
			return f
		}
		if !x.InRange(val) {
			f.Invalid = true
			v.Errors = append(v.Errors, tr("rules.try.error.range", who, f.Label, s.rangeText(lang, x)))
			return f
		}
		if perr == nil && x.Period == rules.Month {
			byPeriod := map[string]any{}
			for i := 0; i <= 12; i++ {
				byPeriod[period.Offset(-i).String()] = val
			}
			inputs[x.Name] = byPeriod
		} else {
			inputs[x.Name] = val
		}
		return f
	}
	for i := 1; i <= tryPersons; i++ {
		p := tryPerson{N: i, ID: "p" + strconv.Itoa(i), Role: "head"}
		if i > 1 {
			p.Role = q.Get(p.ID + ".role")
			if p.Role == "head" || (p.Role != "" && rules.RoleIndex(p.Role) < 0) {
				p.Role = ""
			}
			p.Roles = append(p.Roles, tryOption{Value: "", Label: tr("rules.try.not_member")})
			for _, role := range []string{"spouse", "child", "parent", "other"} {
				p.Roles = append(p.Roles, tryOption{Value: role, Label: tr("household.role." + role), Selected: role == p.Role})
			}
		}
		var inputs map[string]any
		if p.Role != "" {
			inputs = map[string]any{}
		}
		who := tr("rules.try.person", i)
		for _, x := range personVars {
			p.Fields = append(p.Fields, field(p.ID, who, x, inputs))
		}
		if inputs != nil {
			sit.Persons = append(sit.Persons, rules.SituationPerson{ID: p.ID, Role: p.Role, Inputs: inputs})
		}
		v.Persons = append(v.Persons, p)
	}
	for _, x := range houseVars {
		v.House = append(v.House, field("household", tr("rules.try.household"), x, sit.Household))
	}

	status := http.StatusOK
	if q.Get("run") != "" && len(v.Errors) == 0 {
		names := make([]string, len(computed))
		for i, x := range computed {
			names[i] = x.Name
		}
		res, err := rs.CalculateValues(sit, period, names)
		if err != nil {
			v.Errors = append(v.Errors, tr("rules.try.error.compute", err.Error()))
		} else {
			// The view may keep strings of the result and of the trace
			// until the page is rendered.
			defer res.Release()
			v.Ran = true
			for _, p := range sit.Persons {
				v.ResultPersonIDs = append(v.ResultPersonIDs, p.ID)
			}
			for _, x := range computed {
				row := tryResult{Name: x.Name, Label: ruleLabel(x.Label, lang, x.Name)}
				if x.Entity == rules.Household {
					row.Values = []string{s.displayValueIn(lang, x, res.Values[x.Name]["household"])}
					v.HouseResults = append(v.HouseResults, row)
					continue
				}
				for _, p := range sit.Persons {
					row.Values = append(row.Values, s.displayValueIn(lang, x, res.Values[x.Name][p.ID]))
				}
				v.PersonResults = append(v.PersonResults, row)
			}
			// The explained variable may have been met (and explained)
			// under another one: ask for it alone to have it at the root.
			if tres, trace, err := rs.Calculate(sit, period, []string{v.Explain}); err == nil {
				tres.Release()
				defer trace.Release()
				if len(trace.Roots) == 1 {
					v.Trace = s.traceView(rs, lang, trace.Roots[0])
				}
			}
		}
	}
	if len(v.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.renderLang(w, r, lang, status, "rules_try", "layout", s.pageFor(r, lang, "rules", v))
}

// traceView converts an engine trace node for the page.
func (s *Server) traceView(rs *rules.RuleSet, lang string, n *rules.TraceNode) *traceView {
	v, _ := rs.Variable(n.Variable)
	tv := &traceView{Name: n.Variable, Label: ruleLabel(n.Label, lang, n.Variable), Period: n.Period,
		Source:  s.ui.msgs.text(lang, "rules.source."+strings.ReplaceAll(n.Source, " ", "_")),
		Formula: n.Formula, FormulaFrom: n.FormulaFrom, Reference: n.Reference, Anchor: traceAnchor(n.ID)}
	if n.Ref != "" {
		tv.Ref = traceAnchor(n.Ref)
	}
	for _, x := range n.Values {
		tv.Values = append(tv.Values, x.ID+": "+displayValue(v, x.Value))
	}
	for _, p := range n.Parameters {
		pv := traceParamView{Path: p.Path, ID: strings.TrimPrefix(p.Path, "params."), From: p.From, Unit: p.Unit, Reference: p.Reference}
		if par, ok := rs.Parameter(p.Path); ok && p.Series == nil {
			if x, err := par.At(mustDate(p.From)); err == nil {
				pv.Value = formatParamValue(par, *x)
			}
		}
		if p.Series != nil {
			var parts []string
			for _, d := range sortedKeys(p.Series) {
				parts = append(parts, d+": "+strconv.FormatFloat(p.Series[d], 'f', -1, 64))
			}
			pv.Value = strings.Join(parts, "; ")
		}
		tv.Parameters = append(tv.Parameters, pv)
	}
	for _, c := range n.Children {
		tv.Children = append(tv.Children, s.traceView(rs, lang, c))
	}
	return tv
}

// mustDate parses a date the engine wrote; 0 if it cannot.
func mustDate(s string) rules.Date {
	d, _ := rules.ParseDate(s)
	return d
}

// traceAnchor turns a trace node's ID (name@period) into an HTML id.
func traceAnchor(id string) string {
	return "trace-" + strings.NewReplacer("@", "-", ".", "-").Replace(id)
}
