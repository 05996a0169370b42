package rules

import (
	"fmt"
	"slices"
	"strings"
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
	s, ids, err := rs.situationSim(sit, period)
	if err != nil {
		return nil, nil, err
	}
	res := &Result{Period: period.String(), Values: map[string]map[string]any{}}
	tr := &Trace{Period: period.String(), s: s, ids: ids}
	for _, name := range vars {
		v, ok := rs.vars[name]
		if !ok {
			return nil, nil, fmt.Errorf("calculate: unknown variable %q", name)
		}
		c, err := s.Compute(name, period)
		if err != nil {
			return nil, nil, fmt.Errorf("calculate: %w", err)
		}
		m := map[string]any{}
		for i, id := range ids[v.Entity] {
			m[id] = v.value(c, i)
		}
		res.Values[name] = m
		tr.Roots = append(tr.Roots, tr.node(v, period.As(v.Period), 0))
	}
	return res, tr, nil
}

// situationSim builds a one-household Simulation from sit.
func (rs *RuleSet) situationSim(sit *Situation, period Period) (*Simulation, [2][]string, error) {
	var ids [2][]string
	n := len(sit.Persons)
	hh := make([]int32, n)
	roles := make([]int64, n)
	for i, p := range sit.Persons {
		r := RoleIndex(p.Role)
		if p.Role == "" {
			r = 0
		}
		if r < 0 {
			return nil, ids, fmt.Errorf("situation: person %q has role %q, not one of %v", p.ID, p.Role, Roles)
		}
		roles[i] = int64(r)
		id := p.ID
		if id == "" {
			id = fmt.Sprintf("person%d", i+1)
		}
		ids[Person] = append(ids[Person], id)
	}
	hid := sit.ID
	if hid == "" {
		hid = householdID
	}
	ids[Household] = []string{hid}
	pop, err := NewPopulation(1, hh, roles)
	if err != nil {
		return nil, ids, fmt.Errorf("situation: %w", err)
	}
	s := rs.NewSimulation(pop)
	cols := map[key]Column{}
	set := func(name string, row, rows int, x any) error {
		v, ok := rs.vars[name]
		if !ok {
			return fmt.Errorf("situation: unknown variable %q", name)
		}
		byPeriod, ok := x.(map[string]any)
		if !ok {
			byPeriod = map[string]any{period.As(v.Period).String(): x}
		}
		for ps, val := range byPeriod {
			p, err := ParsePeriod(ps)
			if err != nil {
				return fmt.Errorf("situation: %s: %w", name, err)
			}
			if p.Kind != v.Period {
				return fmt.Errorf("situation: %s is a %s variable, given for %s", name, v.Period, ps)
			}
			k := key{name, p}
			c, ok := cols[k]
			if !ok {
				c = newColumn(v.Type, rows)
				if err := fill(v, c); err != nil {
					return err
				}
				cols[k] = c
			}
			if err := v.set(c, row, val); err != nil {
				return fmt.Errorf("situation: %w", err)
			}
		}
		return nil
	}
	for i, p := range sit.Persons {
		for name, x := range p.Inputs {
			if v := rs.vars[name]; v != nil && v.Entity != Person {
				return nil, ids, fmt.Errorf("situation: %s is a household variable, given for person %q", name, ids[Person][i])
			}
			if err := set(name, i, n, x); err != nil {
				return nil, ids, err
			}
		}
	}
	for name, x := range sit.Household {
		if v := rs.vars[name]; v != nil && v.Entity != Household {
			return nil, ids, fmt.Errorf("situation: %s is a person variable, given for the household", name)
		}
		if err := set(name, 0, 1, x); err != nil {
			return nil, ids, err
		}
	}
	keys := make([]key, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(a.name, b.name) })
	for _, k := range keys {
		if err := s.SetInput(k.name, k.period, cols[k]); err != nil {
			return nil, ids, fmt.Errorf("situation: %w", err)
		}
	}
	return s, ids, nil
}
