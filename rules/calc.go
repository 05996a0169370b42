package rules

import (
	"fmt"
)

// Situation is one household to calculate for: its members in order and
// the inputs of each. An input value is either a plain value, which holds
// for the calculation period (or for eternity), or a map from period
// ("2026-10", "2026", "eternity") to value. Values are bool, int, float64,
// a date as "YYYY-MM-DD" or an enum value's name.
type Situation struct {
	ID        string            `json:"id,omitempty" yaml:"id"`
	Household map[string]any    `json:"household,omitempty" yaml:"household"`
	Persons   []SituationPerson `json:"persons" yaml:"persons"`
}

// SituationPerson is one member of a Situation's household.
type SituationPerson struct {
	ID     string         `json:"id" yaml:"id"`
	Role   string         `json:"role" yaml:"role"`
	Inputs map[string]any `json:"inputs,omitempty" yaml:"inputs"`
}

// householdID is the entity ID of a Situation's household in results and
// traces when the Situation has none.
const householdID = "household"

// Result holds the requested variables of a Calculate: Values[variable][id]
// where id is a person's ID or the household's.
type Result struct {
	Period string                    `json:"period"`
	Values map[string]map[string]any `json:"values"`

	rs *RuleSet   // whose pool m goes back to on Release
	m  *resultMem // nil once Released
}

// Release gives the Result's memory (its maps and the boxed values in
// them) back to the rule set that computed it, for a later Calculate or
// CalculateValues to reuse. Call it once the values are read or copied:
// afterwards the Result, its maps and the values in them must not be used.
// Later calls do nothing. A Result that is never released stays valid and
// is garbage collected like any value; Release only saves the allocations.
func (r *Result) Release() {
	m := r.m
	if m == nil {
		return
	}
	r.m, r.Values = nil, nil
	for _, vals := range m.values {
		clear(vals) // keeps its memory
		m.free = append(m.free, vals)
	}
	clear(m.values)
	m.boxes.reset()
	r.rs.results.Put(m)
}

// resultMem is the memory of a Result: its maps, kept cleared for the
// next Result once it is released, and the slabs its values are boxed in.
type resultMem struct {
	values map[string]map[string]any
	free   []map[string]any // empty maps for a variable's values
	boxes  traceBoxes
}

// newResult returns an empty Result of rs for vars in period; ids are the
// entities' IDs.
func (rs *RuleSet) newResult(period Period, vars []string, ids [2][]string) *Result {
	m, _ := rs.results.Get().(*resultMem)
	if m == nil {
		m = &resultMem{values: make(map[string]map[string]any, len(vars))}
	}
	// One slab of each kind used holds every value: no variable has more
	// values than an entity has IDs.
	m.boxes.chunk = len(vars) * max(len(ids[Person]), len(ids[Household]))
	return &Result{Period: period.String(), Values: m.values, rs: rs, m: m}
}

// set stores the values of c, variable v's, by entity ID (ids) as name's.
func (r *Result) set(name string, v *Variable, c Column, ids []string) {
	m := r.m
	var vals map[string]any
	if k := len(m.free); k > 0 {
		vals, m.free = m.free[k-1], m.free[:k-1]
	} else {
		vals = make(map[string]any, len(ids))
	}
	for i, id := range ids {
		vals[id] = m.boxes.value(v, c, i)
	}
	r.Values[name] = vals
}

// Calculate computes vars for one household in period with the same
// compiled kernels a Simulation runs over a population, and explains them
// in a Trace. The Result and the Trace are the caller's, each with its own
// memory: a caller may Release either once done with it (optional), and
// the other stays valid. Safe for concurrent use. Errors: a bad situation
// (unknown variable, role or value) or a computation error.
func (rs *RuleSet) Calculate(sit *Situation, period Period, vars []string) (*Result, *Trace, error) {
	s := rs.getSim(true)
	defer rs.putSim(s)
	ids, err := s.loadSituation(sit, period)
	if err != nil {
		return nil, nil, err
	}
	res := rs.newResult(period, vars, ids)
	tr := &Trace{Period: res.Period, s: s, ids: ids, rs: rs, m: rs.getTraceMem()}
	m := tr.m
	m.roots = slabOf(m.roots, len(vars))
	for _, name := range vars {
		v, ok := rs.vars[name]
		if !ok {
			res.Release()
			tr.Release()
			return nil, nil, fmt.Errorf("calculate: unknown variable %q", name)
		}
		c, err := s.computeVar(v, period)
		if err != nil {
			res.Release()
			tr.Release()
			return nil, nil, fmt.Errorf("calculate: %w", err)
		}
		m.roots = append(m.roots, tr.node(v, period.As(v.Period), 0))
		res.set(name, v, c, ids[v.Entity])
	}
	m.record(&rs.thint)
	tr.Roots = m.roots[:len(m.roots):len(m.roots)]
	// The trace holds copies of every value: the simulation goes back
	// to the pool.
	tr.s, tr.ids = nil, [2][]string{}
	return res, tr, nil
}
