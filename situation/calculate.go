package situation

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dost-az/dost/rules"
)

// Calculate computes every value of s to compute, in place: one engine
// calculation per household and period asked for, in the order of
// households (the given ones by id, then lone persons'). It returns the
// engine's traces when withTrace is set, and otherwise uses its path that
// builds none. A value the rules cannot compute (a parameter without a
// value in the period) is an *Error naming the household and period.
func (s *Situation) Calculate(rs *rules.RuleSet, withTrace bool) ([]*rules.Trace, error) {
	var traces []*rules.Trace
	for _, h := range s.households {
		pers := h.periods()
		if len(pers) == 0 {
			continue
		}
		esit := h.engineSituation()
		for _, per := range pers {
			period, err := enginePeriod(per)
			if err != nil {
				return nil, &Error{Message: fmt.Sprintf("Period %q is not valid.", per)}
			}
			vars := h.requests(per)
			var res *rules.Result
			var tr *rules.Trace
			if withTrace {
				res, tr, err = rs.Calculate(esit, period, vars)
			} else {
				res, err = rs.CalculateValues(esit, period, vars)
			}
			if err != nil {
				msg := err.Error()
				for _, prefix := range []string{"calculate: ", "compute: "} {
					msg = strings.TrimPrefix(msg, prefix)
				}
				return nil, &Error{Message: fmt.Sprintf("The rules cannot compute %s for %s: %s", h.describe(), per, msg)}
			}
			if withTrace {
				traces = append(traces, tr)
			}
			if !h.lone {
				h.fill(per, res.Values)
			}
			for _, m := range h.members {
				m.fill(per, res.Values)
			}
		}
	}
	return traces, nil
}

// describe names h in messages: "household h1" or "person p1" for a lone
// person's.
func (h *household) describe() string {
	if h.lone {
		return "person " + h.id
	}
	return "household " + h.id
}

// periods returns the periods h's members and h ask a value for, sorted.
func (h *household) periods() []string {
	var pers []string
	visit := func(ent *entity) {
		for _, sv := range ent.vars {
			for _, val := range sv.vals {
				if val.x == nil && !slices.Contains(pers, val.period) {
					pers = append(pers, val.period)
				}
			}
		}
	}
	visit(&h.entity)
	for _, m := range h.members {
		visit(m)
	}
	slices.Sort(pers)
	return pers
}

// engineSituation returns h as the engine's Situation: members in order
// with their roles, inputs by period ("eternity" for EternityKey).
func (h *household) engineSituation() *rules.Situation {
	inputs := func(ent *entity) map[string]any {
		m := make(map[string]any, len(ent.vars))
		for _, sv := range ent.vars {
			if sv.v.Period == rules.Eternity && len(sv.vals) == 1 {
				// A plain value holds for eternity: no map to make.
				if x := sv.vals[0].x; x != nil {
					m[sv.v.Name] = x
				}
				continue
			}
			var in map[string]any
			for _, val := range sv.vals {
				if val.x == nil {
					continue
				}
				if in == nil {
					in = make(map[string]any, len(sv.vals))
				}
				per := val.period
				if per == EternityKey {
					per = "eternity"
				}
				in[per] = val.x
			}
			if in != nil {
				m[sv.v.Name] = in
			}
		}
		return m
	}
	sit := &rules.Situation{ID: h.id, Persons: make([]rules.SituationPerson, len(h.members))}
	if h.lone {
		sit.ID = ""
	} else {
		sit.Household = inputs(&h.entity)
	}
	for i, m := range h.members {
		sit.Persons[i] = rules.SituationPerson{ID: m.id, Role: h.role(m.id), Inputs: inputs(m)}
	}
	return sit
}

// enginePeriod parses a period key of a situation.
func enginePeriod(per string) (rules.Period, error) {
	if per == EternityKey {
		return rules.ParsePeriod("eternity")
	}
	return rules.ParsePeriod(per)
}

// requests returns the variables h and its members ask for in per,
// sorted.
func (h *household) requests(per string) []string {
	var names []string
	visit := func(ent *entity) {
		for _, sv := range ent.vars {
			for _, val := range sv.vals {
				if val.period == per && val.x == nil {
					names = append(names, sv.v.Name)
				}
			}
		}
	}
	visit(&h.entity)
	for _, m := range h.members {
		visit(m)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// fill sets ent's values to compute in per from the engine's values of
// each variable by entity id.
func (ent *entity) fill(per string, values map[string]map[string]any) {
	for i := range ent.vars {
		sv := &ent.vars[i]
		for j := range sv.vals {
			if val := &sv.vals[j]; val.period == per && val.x == nil {
				val.x = values[sv.v.Name][ent.id]
			}
		}
	}
}
