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
}

// Calculate computes vars for one household in period with the same
// compiled kernels a Simulation runs over a population, and explains them
// in a Trace. Errors: a bad situation (unknown variable, role or value) or
// a computation error.
func (rs *RuleSet) Calculate(sit *Situation, period Period, vars []string) (*Result, *Trace, error) {
	s := rs.getSim(true)
	defer rs.putSim(s)
	ids, err := s.loadSituation(sit, period)
	if err != nil {
		return nil, nil, err
	}
	res := &Result{Period: period.String(), Values: make(map[string]map[string]any, len(vars))}
	tr := &Trace{Period: res.Period, Roots: make([]*TraceNode, 0, len(vars)), s: s, ids: ids}
	tr.presize(&rs.thint)
	for _, name := range vars {
		v, ok := rs.vars[name]
		if !ok {
			return nil, nil, fmt.Errorf("calculate: unknown variable %q", name)
		}
		c, err := s.Compute(name, period)
		if err != nil {
			return nil, nil, fmt.Errorf("calculate: %w", err)
		}
		n := tr.node(v, period.As(v.Period), 0)
		tr.Roots = append(tr.Roots, n)
		if len(n.Values) == len(ids[v.Entity]) {
			// The root's values are c's, already boxed.
			m := make(map[string]any, len(n.Values))
			for _, x := range n.Values {
				m[x.ID] = x.Value
			}
			res.Values[name] = m
		} else {
			res.Values[name] = resultValues(v, c, ids[v.Entity])
		}
	}
	tr.record(&rs.thint)
	// The trace holds copies of every value: the simulation goes back
	// to the pool.
	tr.s, tr.ids, tr.nodes, tr.values, tr.kids, tr.periods, tr.params, tr.boxes = nil, [2][]string{}, nil, nil, nil, nil, nil, traceBoxes{}
	return res, tr, nil
}
