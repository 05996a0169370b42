package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/situation"
)

// MaxSituationBytes is the largest situation "POST /api/v1/calculate" and
// "POST /api/v1/trace" read.
const MaxSituationBytes = 256 << 10

// rulesAPIRoutes returns the rows of the route table for the rules
// engine's API, shaped like OpenFisca's Web API. All are public: the
// calculator reads no one's record, only the situation it is given.
func (s *Server) rulesAPIRoutes() []Route {
	return []Route{
		{Pattern: "POST /api/v1/calculate", Access: Public, Handler: s.handleCalculate},
		{Pattern: "POST /api/v1/trace", Access: Public, Handler: s.handleTrace},
		{Pattern: "GET /api/v1/variables", Access: Public, Handler: s.handleVariableList},
		{Pattern: "GET /api/v1/variables/{name}", Access: Public, Handler: s.handleVariableGet},
		{Pattern: "GET /api/v1/parameters", Access: Public, Handler: s.handleParameterList},
		{Pattern: "GET /api/v1/parameters/{id}", Access: Public, Handler: s.handleParameterGet},
		{Pattern: "GET /api/v1/entities", Access: Public, Handler: s.handleEntities},
	}
}

// errNoRuleSet is the answer of the rules routes on a server without a
// rule set.
var errNoRuleSet = dost.Errorf(dost.ENOTFOUND, "No rule set is loaded on this server.")

// ruleSet returns s.RuleSet, or ENOTFOUND when there is none.
func (s *Server) ruleSet() (*rules.RuleSet, error) {
	if s.RuleSet == nil {
		return nil, errNoRuleSet
	}
	return s.RuleSet, nil
}

// pathVariable returns the rule set and the variable named by the path's
// {name}: errNoRuleSet, or ENOTFOUND for an unknown name.
func (s *Server) pathVariable(r *http.Request) (*rules.RuleSet, *rules.Variable, error) {
	rs, err := s.ruleSet()
	if err != nil {
		return nil, nil, err
	}
	v, ok := rs.Variable(r.PathValue("name"))
	if !ok {
		return nil, nil, dost.Errorf(dost.ENOTFOUND, "There is no variable %q.", r.PathValue("name"))
	}
	return rs, v, nil
}

// pathParameter returns the rule set and the parameter named by the
// path's {id}: errNoRuleSet, or ENOTFOUND for an unknown id.
func (s *Server) pathParameter(r *http.Request) (*rules.RuleSet, *rules.Parameter, error) {
	rs, err := s.ruleSet()
	if err != nil {
		return nil, nil, err
	}
	p, ok := rs.Parameter(r.PathValue("id"))
	if !ok {
		return nil, nil, dost.Errorf(dost.ENOTFOUND, "There is no parameter %q.", r.PathValue("id"))
	}
	return rs, p, nil
}

// handleCalculate handles "POST /api/v1/calculate": the situation with
// every null filled in. 400 for a malformed situation (field errors name
// the path, e.g. persons.p1.birth_date.ETERNITY) or one the rules cannot
// compute (a parameter without a value in the period).
func (s *Server) handleCalculate(w http.ResponseWriter, r *http.Request) {
	rs, sit, ok := s.readSituation(w, r)
	if !ok {
		return
	}
	if _, err := sit.Calculate(rs, false); err != nil {
		s.Error(w, r, situationError(err))
		return
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	out, err := sit.AppendJSON(buf.AvailableBuffer())
	if err != nil {
		s.Error(w, r, situationError(err))
		return
	}
	writeJSONBytes(w, append(out, '\n'))
}

// traceResponse is the answer of "POST /api/v1/trace", like OpenFisca's:
// the requested calculations as "variable<period>", the ids of each
// entity, and the trace of every value computed on the way, keyed the same
// way; plus the answered situation.
type traceResponse struct {
	RequestedCalculations []string               `json:"requested_calculations"`
	EntitiesDescription   map[string][]string    `json:"entities_description"`
	Trace                 map[string]*traceEntry `json:"trace"`
	Situation             json.RawMessage        `json:"situation"`
}

// traceEntry explains one variable in one period: its value for each
// person or household, where it came from (formula, input or default),
// the formula in force and its start date, the variables it read (as
// trace keys) and the parameter values it read with their start dates and
// legal references.
type traceEntry struct {
	Variable     string            `json:"variable"`
	Period       string            `json:"period"`
	Entity       string            `json:"entity"`
	Label        map[string]string `json:"label,omitempty"`
	Source       string            `json:"source"`
	Formula      string            `json:"formula,omitempty"`
	FormulaFrom  string            `json:"formula_from,omitempty"`
	Reference    string            `json:"reference,omitempty"`
	Value        map[string]any    `json:"value"`
	Dependencies []string          `json:"dependencies"`
	Parameters   []traceParam      `json:"parameters"`

	ref bool // made from a node with Ref: values only so far
}

// traceParam is a parameter value a formula read.
type traceParam struct {
	Path      string         `json:"path"`
	Value     any            `json:"value,omitempty"`
	From      string         `json:"from,omitempty"`
	Unit      string         `json:"unit,omitempty"`
	Reference string         `json:"reference,omitempty"`
	Series    map[string]any `json:"series,omitempty"`
}

// handleTrace handles "POST /api/v1/trace": the answer of
// "POST /api/v1/calculate" with the explanation of every value. Errors as
// for calculate.
func (s *Server) handleTrace(w http.ResponseWriter, r *http.Request) {
	rs, sit, ok := s.readSituation(w, r)
	if !ok {
		return
	}
	traces, err := sit.Calculate(rs, true)
	if err != nil {
		s.Error(w, r, situationError(err))
		return
	}
	// The traces' memory goes back to the rule set once the answer is written.
	defer func() {
		for _, tr := range traces {
			tr.Release()
		}
	}()
	out := &traceResponse{
		RequestedCalculations: []string{},
		EntitiesDescription:   map[string][]string{"persons": sit.PersonIDs(), "households": sit.HouseholdIDs()},
		Trace:                 map[string]*traceEntry{},
	}
	requested := map[string]bool{}
	for _, tr := range traces {
		for _, n := range tr.Roots {
			requested[traceKey(n.Variable, n.Period)] = true
			if err := addTrace(rs, out.Trace, n); err != nil {
				s.Error(w, r, err)
				return
			}
		}
	}
	out.RequestedCalculations = sortedKeys(requested)
	if out.Situation, err = sit.AppendJSON(nil); err != nil {
		s.Error(w, r, situationError(err))
		return
	}
	writeRulesJSON(w, out)
}

// readSituation reads and decodes the request's situation, answering the
// request itself when it cannot.
func (s *Server) readSituation(w http.ResponseWriter, r *http.Request) (*rules.RuleSet, *situation.Situation, bool) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(buf)
	body, err := readJSONBody(w, r, MaxSituationBytes, buf)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, false
	}
	// The situation copies what it keeps of body: buf can be reused.
	sit, err := situation.Decode(rs, body)
	if err != nil {
		s.Error(w, r, situationError(err))
		return nil, nil, false
	}
	return rs, sit, true
}

// errNotSituation is the error of a body that is not a JSON object.
var errNotSituation = dost.Errorf(dost.EINVALID, "The request body must be a JSON object with persons and households.")

// situationError returns err, an error of package situation, as an
// EINVALID *dost.Error with one field error per problem, each naming the
// path of the problem (persons.p1.birth_date.ETERNITY) and in its message
// the entity, the variable and the period.
func situationError(err error) error {
	var se *situation.Error
	switch {
	case err == situation.ErrNotObject:
		return errNotSituation
	case !errors.As(err, &se):
		return err
	case len(se.Problems) == 0:
		return &dost.Error{Code: dost.EINVALID, Message: se.Message}
	}
	e := &dost.Error{Code: dost.EINVALID, Message: "The situation is not valid; see errors for each field.",
		Fields: make([]dost.FieldError, len(se.Problems))}
	for i, p := range se.Problems {
		e.Fields[i] = dost.FieldError{Field: p.Field, Code: p.Code, Message: p.Message}
	}
	return e
}

// parseValue parses a value of v from a form: see situation.ParseValue.
func parseValue(v *rules.Variable, raw []byte) (any, string) {
	return situation.ParseValue(v, raw)
}

// sortedKeys returns m's keys in order, so errors and results come out the
// same way every time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// buffers are the request and response buffers of the calculator, reused
// across requests (a Get may return one still holding old bytes: reset it
// or write from its AvailableBuffer).
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readJSONBody reads a JSON request body of at most limit bytes into buf
// (reset first) and returns it; it is valid until buf is reused. Errors
// are EINVALID.
func readJSONBody(w http.ResponseWriter, r *http.Request, limit int64, buf *bytes.Buffer) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, dost.Errorf(dost.EINVALID, "The request body must be JSON (Content-Type: application/json).")
		}
	}
	buf.Reset()
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, dost.Errorf(dost.EINVALID, "The request body is larger than %d bytes.", limit)
		}
		return nil, dost.Errorf(dost.EINVALID, "The request body could not be read.")
	}
	body := buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, dost.Errorf(dost.EINVALID, "The request body is empty; a JSON object is expected.")
	}
	return body, nil
}

// money is an amount in AZN that marshals with two decimals.
type money float64

// MarshalJSON writes m with exactly two decimals.
func (m money) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m), 'f', 2, 64), nil
}

// jsonValue converts an engine value of v for JSON: money with two
// decimals; NaN and infinities are situation.ErrNotFinite. v may be nil (the
// built-in role).
func jsonValue(v *rules.Variable, x any) (any, error) {
	f, ok := x.(float64)
	if !ok {
		return x, nil
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, situation.ErrNotFinite
	}
	if v != nil && v.Type == rules.Money {
		return money(f), nil
	}
	return f, nil
}

// traceKey is OpenFisca's name of a value in a trace: "variable<period>".
func traceKey(name, period string) string {
	if period == "eternity" {
		period = situation.EternityKey
	}
	return name + "<" + period + ">"
}

// addTrace flattens the tree under n into entries keyed by traceKey,
// merging the values of several households.
func addTrace(rs *rules.RuleSet, entries map[string]*traceEntry, n *rules.TraceNode) error {
	key := traceKey(n.Variable, n.Period)
	v, _ := rs.Variable(n.Variable)
	e := entries[key]
	// A node with Ref repeats a variable explained earlier in the same
	// trace: only its values are new (another household's).
	if e == nil || (e.ref && n.Ref == "") {
		per := n.Period
		if per == "eternity" {
			per = situation.EternityKey
		}
		e = &traceEntry{Variable: n.Variable, Period: per, Entity: n.Entity, Label: n.Label, Source: n.Source,
			Formula: n.Formula, FormulaFrom: n.FormulaFrom, Reference: n.Reference,
			Value: map[string]any{}, Dependencies: []string{}, Parameters: []traceParam{}, ref: n.Ref != ""}
		if old := entries[key]; old != nil {
			e.Value = old.Value
		}
		for _, c := range n.Children {
			e.Dependencies = append(e.Dependencies, traceKey(c.Variable, c.Period))
		}
		for _, p := range n.Parameters {
			e.Parameters = append(e.Parameters, traceParamOf(p))
		}
		entries[key] = e
	}
	for _, tv := range n.Values {
		if _, ok := e.Value[tv.ID]; ok {
			continue
		}
		x, err := jsonValue(v, tv.Value)
		if err != nil {
			return dost.Errorf(dost.EINVALID, "%s of %s %v.", key, tv.ID, err)
		}
		e.Value[tv.ID] = x
	}
	for _, c := range n.Children {
		if err := addTrace(rs, entries, c); err != nil {
			return err
		}
	}
	return nil
}

// traceParamOf converts the engine's trace of a parameter value; scale
// brackets become {threshold, amount} objects.
func traceParamOf(p rules.TraceParameter) traceParam {
	tp := traceParam{Path: p.Path, From: p.From, Unit: p.Unit, Reference: p.Reference}
	switch x := p.Value.(type) {
	case []rules.Bracket:
		tp.Value = bracketsJSON(x)
	default:
		tp.Value = x
	}
	if p.Series != nil {
		tp.Series = make(map[string]any, len(p.Series))
		for d, x := range p.Series {
			tp.Series[d] = x
		}
	}
	return tp
}

// bracketJSON is one bracket of a scale parameter.
type bracketJSON struct {
	Threshold float64 `json:"threshold"`
	Amount    float64 `json:"amount"`
}

func bracketsJSON(bs []rules.Bracket) []bracketJSON {
	out := make([]bracketJSON, len(bs))
	for i, b := range bs {
		out[i] = bracketJSON{b.Threshold, b.Amount}
	}
	return out
}

// variableSummary is one entry of "GET /api/v1/variables".
type variableSummary struct {
	Description      string            `json:"description"`
	Label            map[string]string `json:"label"`
	Entity           string            `json:"entity"`
	DefinitionPeriod string            `json:"definition_period"`
	ValueType        string            `json:"value_type"`
	Href             string            `json:"href"`
}

// handleVariableList handles "GET /api/v1/variables": every variable by
// name with its label and a link to its description.
func (s *Server) handleVariableList(w http.ResponseWriter, r *http.Request) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := map[string]variableSummary{}
	for _, v := range rs.Variables() {
		out[v.Name] = variableSummary{Description: describe(v.Label, v.Name), Label: labels(v.Label), Entity: v.Entity.String(),
			DefinitionPeriod: v.Period.String(), ValueType: v.Type.String(), Href: "/api/v1/variables/" + v.Name}
	}
	writeRulesJSON(w, out)
}

// variableJSON is the answer of "GET /api/v1/variables/{name}".
type variableJSON struct {
	ID               string                 `json:"id"`
	Description      string                 `json:"description"`
	Label            map[string]string      `json:"label"`
	Entity           string                 `json:"entity"`
	DefinitionPeriod string                 `json:"definition_period"`
	ValueType        string                 `json:"value_type"`
	Unit             string                 `json:"unit,omitempty"`
	DefaultValue     any                    `json:"default_value"`
	PossibleValues   []string               `json:"possible_values,omitempty"`
	Min              *float64               `json:"min,omitempty"` // the inputs' published range, inclusive
	Max              *float64               `json:"max,omitempty"`
	Reference        string                 `json:"reference,omitempty"`
	IsInput          bool                   `json:"is_input"`
	Formulas         map[string]formulaJSON `json:"formulas"`
	Source           string                 `json:"source"`
}

// formulaJSON is a formula in force from its key's date.
type formulaJSON struct {
	Content string `json:"content"`
	Source  string `json:"source"` // file:line
}

// handleVariableGet handles "GET /api/v1/variables/{name}": a variable's
// entity, period, type, labels, legal reference, formulas by start date
// with their source, possible values, range (min and max of an input's
// values) and default. 404 for an unknown name.
func (s *Server) handleVariableGet(w http.ResponseWriter, r *http.Request) {
	_, v, err := s.pathVariable(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	def, _ := jsonValue(v, v.Default)
	out := variableJSON{ID: v.Name, Description: describe(v.Label, v.Name), Label: labels(v.Label), Entity: v.Entity.String(),
		DefinitionPeriod: v.Period.String(), ValueType: v.Type.String(), Unit: v.Unit, DefaultValue: def,
		PossibleValues: v.Values, Min: v.Min, Max: v.Max, Reference: v.Reference, IsInput: v.IsInput(),
		Formulas: map[string]formulaJSON{}, Source: sourceOf(v.File, v.Line)}
	for _, f := range v.Formulas {
		out.Formulas[formulaFrom(f)] = formulaJSON{Content: strings.TrimSpace(f.Source), Source: sourceOf(f.File, f.Line)}
	}
	writeRulesJSON(w, out)
}

// formulaFrom is the start date of f; "0001-01-01" for a formula in force
// since always, as OpenFisca writes it.
func formulaFrom(f *rules.Formula) string {
	if f.From < rules.DateOf(1, 1, 1) {
		return "0001-01-01"
	}
	return f.From.String()
}

// describe returns the English label, or another, or the name.
func describe(label map[string]string, name string) string {
	for _, l := range []string{"en", "az", "ru"} {
		if s := label[l]; s != "" {
			return s
		}
	}
	return name
}

// labels returns label, never nil.
func labels(label map[string]string) map[string]string {
	if label == nil {
		return map[string]string{}
	}
	return label
}

// sourceOf returns "file:line".
func sourceOf(file string, line int) string {
	if line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}

// parameterSummary is one entry of "GET /api/v1/parameters".
type parameterSummary struct {
	Description string `json:"description"`
	Href        string `json:"href"`
}

// handleParameterList handles "GET /api/v1/parameters": every parameter by
// id (its path in formulas without "params.") with its description.
func (s *Server) handleParameterList(w http.ResponseWriter, r *http.Request) {
	rs, err := s.ruleSet()
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := map[string]parameterSummary{}
	for _, p := range rs.Parameters() {
		out[p.Path] = parameterSummary{Description: p.Description, Href: "/api/v1/parameters/" + p.Path}
	}
	writeRulesJSON(w, out)
}

// parameterJSON is the answer of "GET /api/v1/parameters/{id}".
type parameterJSON struct {
	ID          string           `json:"id"`
	Description string           `json:"description"`
	Kind        string           `json:"kind"`
	ValueType   string           `json:"value_type"`
	Unit        string           `json:"unit,omitempty"`
	Reference   string           `json:"reference,omitempty"`
	Default     *float64         `json:"default,omitempty"`
	Values      []paramValueJSON `json:"values"`
	Source      string           `json:"source"`
}

// paramValueJSON is one value of a parameter's history: in force from
// From until the next one. Exactly one of Value, Table and Brackets is
// set, as the parameter's kind says.
type paramValueJSON struct {
	From      string             `json:"from"`
	Value     *float64           `json:"value,omitempty"`
	Table     map[string]float64 `json:"table,omitempty"`
	Brackets  []bracketJSON      `json:"brackets,omitempty"`
	Reference string             `json:"reference,omitempty"`
}

// handleParameterGet handles "GET /api/v1/parameters/{id}": the history of
// a parameter's values with their start dates and legal references, its
// unit and kind (scalar, table or scale). 404 for an unknown id.
func (s *Server) handleParameterGet(w http.ResponseWriter, r *http.Request) {
	_, p, err := s.pathParameter(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeRulesJSON(w, parameterOf(p))
}

// parameterOf returns p as JSON.
func parameterOf(p *rules.Parameter) *parameterJSON {
	out := &parameterJSON{ID: p.Path, Description: p.Description, Kind: p.Kind.String(), ValueType: "float",
		Unit: p.Unit, Reference: p.Reference, Default: p.Default, Values: []paramValueJSON{}, Source: sourceOf(p.File, p.Line)}
	if p.Int {
		out.ValueType = "int"
	}
	for _, pv := range p.Values {
		o := paramValueJSON{From: pv.From.String(), Reference: pv.Reference}
		switch p.Kind {
		case rules.Scalar:
			x := pv.Value
			o.Value = &x
		case rules.Table:
			o.Table = pv.Table
		case rules.Scale:
			o.Brackets = bracketsJSON(pv.Brackets)
		}
		out.Values = append(out.Values, o)
	}
	return out
}

// entityJSON describes an entity of "GET /api/v1/entities".
type entityJSON struct {
	Plural      string              `json:"plural"`
	Description string              `json:"description"`
	Roles       map[string]roleJSON `json:"roles,omitempty"`
}

// roleJSON is a role of a household member.
type roleJSON struct {
	Description string `json:"description"`
	Max         int    `json:"max,omitempty"`
}

// entities is the answer of "GET /api/v1/entities"; it does not depend on
// the rule set.
var entities = map[string]entityJSON{
	"person": {Plural: "persons", Description: "A person. In a situation, persons are keyed by an id of the caller's choosing."},
	"household": {Plural: "households", Description: "A household: its members (a list of person ids), its head (a member; the first by default) and the roles of the others (roles: {id: role}; other by default). A person in no household forms one alone.",
		Roles: map[string]roleJSON{
			"head":   {Description: "The head of the household.", Max: 1},
			"spouse": {Description: "The head's spouse."},
			"child":  {Description: "A child."},
			"parent": {Description: "A parent of the head or spouse."},
			"other":  {Description: "Another member."},
		}},
}

// handleEntities handles "GET /api/v1/entities": person and household
// with the roles of household members.
func (s *Server) handleEntities(w http.ResponseWriter, r *http.Request) {
	if _, err := s.ruleSet(); err != nil {
		s.Error(w, r, err)
		return
	}
	writeRulesJSON(w, entities)
}

// writeRulesJSON writes v as a 200 JSON response without HTML escaping,
// so trace keys read "age<2026-11>" and formulas keep their && and <.
func writeRulesJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	writeJSONBytes(w, buf.Bytes())
}

// writeJSONBytes writes body, a JSON document, as a 200 response.
func writeJSONBytes(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
