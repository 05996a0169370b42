package main

// A small decoder of OpenFisca-shaped situations for `dost calc`. The HTTP
// API has its own, fuller one (http/api_rules_situation.go, with
// problem+json field errors); this one follows the same shape and defaults
// so that both read the same files. TODO: merge the two into one exported
// decoder once the engine or a shared package offers it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/dost-az/dost/rules"
)

// eternityKey is the period key of eternity variables, as in OpenFisca.
const eternityKey = "ETERNITY"

// calcSituation is a decoded situation file:
//
//	{"persons":    {"p1": {"birth_date": {"ETERNITY": "1958-03-01"}, "old_age_pension": {"2026-11": null}}},
//	 "households": {"h1": {"members": ["p1", "p2"], "head": "p1", "roles": {"p2": "spouse"},
//	                       "tssa_amount": {"2026-11": null}}}}
//
// A household's head defaults to its first member and its other members'
// roles to "other"; a person listed in no household is calculated in a
// household of their own.
type calcSituation struct {
	persons    map[string]map[string]map[string]any // id → variable → period key → value (nil: compute)
	households map[string]*calcHousehold
}

type calcHousehold struct {
	members []string
	head    string
	roles   map[string]string
	vars    map[string]map[string]any
	lone    bool // made up for a person in no household
}

// decodeCalcSituation reads a situation and checks its names and periods
// against rs.
func decodeCalcSituation(data []byte, rs *rules.RuleSet) (*calcSituation, error) {
	var raw struct {
		Persons    map[string]map[string]json.RawMessage `json:"persons"`
		Households map[string]map[string]json.RawMessage `json:"households"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("situation: %w", err)
	}
	if len(raw.Persons) == 0 {
		return nil, fmt.Errorf("situation: no persons")
	}
	s := &calcSituation{persons: map[string]map[string]map[string]any{}, households: map[string]*calcHousehold{}}
	for id, vars := range raw.Persons {
		m, err := decodeVars("persons."+id, vars, rs, rules.Person)
		if err != nil {
			return nil, err
		}
		s.persons[id] = m
	}
	inHousehold := map[string]string{}
	for id, fields := range raw.Households {
		h := &calcHousehold{roles: map[string]string{}}
		vars := map[string]json.RawMessage{}
		for k, v := range fields {
			var err error
			switch k {
			case "members":
				err = json.Unmarshal(v, &h.members)
			case "head":
				err = json.Unmarshal(v, &h.head)
			case "roles":
				err = json.Unmarshal(v, &h.roles)
			default:
				vars[k] = v
			}
			if err != nil {
				return nil, fmt.Errorf("situation: households.%s.%s: %w", id, k, err)
			}
		}
		if len(h.members) == 0 {
			return nil, fmt.Errorf("situation: households.%s: no members", id)
		}
		for _, m := range h.members {
			if _, ok := s.persons[m]; !ok {
				return nil, fmt.Errorf("situation: households.%s.members: unknown person %q", id, m)
			}
			if other, ok := inHousehold[m]; ok {
				return nil, fmt.Errorf("situation: households.%s.members: person %q is already in household %q", id, m, other)
			}
			inHousehold[m] = id
		}
		if h.head == "" {
			h.head = h.members[0]
		}
		if !slices.Contains(h.members, h.head) {
			return nil, fmt.Errorf("situation: households.%s.head: %q is not a member", id, h.head)
		}
		for p, r := range h.roles {
			if !slices.Contains(h.members, p) {
				return nil, fmt.Errorf("situation: households.%s.roles: %q is not a member", id, p)
			}
			if rules.RoleIndex(r) < 0 {
				return nil, fmt.Errorf("situation: households.%s.roles.%s: role %q is not one of %v", id, p, r, rules.Roles)
			}
		}
		m, err := decodeVars("households."+id, vars, rs, rules.Household)
		if err != nil {
			return nil, err
		}
		h.vars = m
		s.households[id] = h
	}
	for id := range s.persons {
		if _, ok := inHousehold[id]; !ok {
			hid := "_" + id
			for s.households[hid] != nil {
				hid = "_" + hid
			}
			s.households[hid] = &calcHousehold{members: []string{id}, head: id, roles: map[string]string{}, vars: map[string]map[string]any{}, lone: true}
		}
	}
	return s, nil
}

// decodeVars decodes one entity's variables: name → {period key: value}.
func decodeVars(where string, vars map[string]json.RawMessage, rs *rules.RuleSet, e rules.Entity) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for name, rawPeriods := range vars {
		v, ok := rs.Variable(name)
		if !ok {
			return nil, fmt.Errorf("situation: %s.%s: unknown variable", where, name)
		}
		if v.Entity != e {
			return nil, fmt.Errorf("situation: %s.%s: a %s variable, given for a %s", where, name, v.Entity, e)
		}
		var periods map[string]json.RawMessage
		if err := json.Unmarshal(rawPeriods, &periods); err != nil {
			return nil, fmt.Errorf("situation: %s.%s: want {period: value}", where, name)
		}
		m := map[string]any{}
		for pk, rawV := range periods {
			p, err := parseSituationPeriod(pk)
			if err != nil {
				return nil, fmt.Errorf("situation: %s.%s.%s: %w", where, name, pk, err)
			}
			if p.Kind != v.Period {
				return nil, fmt.Errorf("situation: %s.%s.%s: %s has period %s", where, name, pk, name, v.Period)
			}
			var x any
			d := json.NewDecoder(bytes.NewReader(rawV))
			d.UseNumber()
			if err := d.Decode(&x); err != nil {
				return nil, fmt.Errorf("situation: %s.%s.%s: %w", where, name, pk, err)
			}
			if n, ok := x.(json.Number); ok {
				if i, err := n.Int64(); err == nil {
					x = i
				} else if f, err := n.Float64(); err == nil {
					x = f
				}
			}
			if x != nil && v.Type == rules.Int {
				if f, ok := x.(float64); ok {
					return nil, fmt.Errorf("situation: %s.%s.%s: %v is not an integer", where, name, pk, f)
				}
			}
			m[p.String()] = x
		}
		out[name] = m
	}
	return out, nil
}

func parseSituationPeriod(k string) (rules.Period, error) {
	if k == eternityKey {
		k = "eternity"
	}
	return rules.ParsePeriod(k)
}

// calcRequest is one Calculate call: a household in a period with the
// variables to compute.
type calcRequest struct {
	household string
	period    rules.Period
	vars      []string
}

// requests returns the Calculate calls the situation needs, in a stable
// order: one per household and period with null values among its members'
// or its own variables. An eternity or year variable asked for is computed
// in the first month of a calculation of its household when there is one,
// else in its own period.
func (s *calcSituation) requests(rs *rules.RuleSet) []calcRequest {
	type k struct {
		h string
		p string
	}
	want := map[k]map[string]bool{}
	add := func(h, name, pk string) {
		kk := k{h, pk}
		if want[kk] == nil {
			want[kk] = map[string]bool{}
		}
		want[kk][name] = true
	}
	for hid, h := range s.households {
		ents := []map[string]map[string]any{h.vars}
		for _, m := range h.members {
			ents = append(ents, s.persons[m])
		}
		for _, vars := range ents {
			for name, periods := range vars {
				for pk, x := range periods {
					if x == nil {
						add(hid, name, pk)
					}
				}
			}
		}
	}
	var out []calcRequest
	for kk, names := range want {
		p, _ := parseSituationPeriod(kk.p)
		if p.Kind == rules.Eternity {
			// Any period will do for an eternity variable; use a month.
			p, _ = rules.ParsePeriod("2000-01")
		}
		r := calcRequest{household: kk.h, period: p}
		for n := range names {
			r.vars = append(r.vars, n)
		}
		sort.Strings(r.vars)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].household != out[j].household {
			return out[i].household < out[j].household
		}
		return out[i].period.String() < out[j].period.String()
	})
	// Eternity variables join the household's first month calculation, so
	// that their trace shows a real period.
	merged := out[:0]
	for i, r := range out {
		if r.period.String() == "2000-01" && isEternityOnly(rs, r.vars) {
			if j := slices.IndexFunc(out[i+1:], func(o calcRequest) bool {
				return o.household == r.household && o.period.Kind == rules.Month
			}); j >= 0 {
				o := &out[i+1+j]
				o.vars = append(o.vars, r.vars...)
				sort.Strings(o.vars)
				continue
			}
		}
		merged = append(merged, r)
	}
	return merged
}

func isEternityOnly(rs *rules.RuleSet, names []string) bool {
	for _, n := range names {
		if v, ok := rs.Variable(n); !ok || v.Period != rules.Eternity {
			return false
		}
	}
	return true
}

// engineSituation builds the engine's one-household Situation.
func (s *calcSituation) engineSituation(hid string) *rules.Situation {
	h := s.households[hid]
	sit := &rules.Situation{ID: hid, Household: inputs(h.vars)}
	for _, m := range h.members {
		role := "other"
		if m == h.head {
			role = "head"
		} else if r, ok := h.roles[m]; ok {
			role = r
		}
		sit.Persons = append(sit.Persons, rules.SituationPerson{ID: m, Role: role, Inputs: inputs(s.persons[m])})
	}
	return sit
}

// inputs returns the non-null values of vars in the engine's form.
func inputs(vars map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for name, periods := range vars {
		m := map[string]any{}
		for pk, x := range periods {
			if x != nil {
				m[pk] = x
			}
		}
		if len(m) > 0 {
			out[name] = m
		}
	}
	return out
}

// set fills a computed value into the situation where it was asked for
// (a null); values of other entities are left out.
func (s *calcSituation) set(e rules.Entity, hid, id, name, pk string, x any) {
	vars := s.persons[id]
	if e == rules.Household {
		vars = s.households[hid].vars
	}
	if periods, ok := vars[name]; ok {
		if old, ok := periods[pk]; ok && old == nil {
			periods[pk] = x
		}
	}
}

// marshal writes the situation back as JSON, with money as a decimal
// number of AZN with two decimals and dates and enums as strings.
func (s *calcSituation) marshal(rs *rules.RuleSet) ([]byte, error) {
	ent := func(vars map[string]map[string]any) map[string]any {
		out := map[string]any{}
		for name, periods := range vars {
			v, _ := rs.Variable(name)
			m := map[string]any{}
			for pk, x := range periods {
				key := pk
				if pk == "eternity" {
					key = eternityKey
				}
				m[key] = jsonValue(v, x)
			}
			out[name] = m
		}
		return out
	}
	persons := map[string]any{}
	for id, vars := range s.persons {
		persons[id] = ent(vars)
	}
	households := map[string]any{}
	for id, h := range s.households {
		if h.lone {
			continue
		}
		m := ent(h.vars)
		m["members"] = h.members
		m["head"] = h.head
		if len(h.roles) > 0 {
			m["roles"] = h.roles
		}
		households[id] = m
	}
	out := map[string]any{"persons": persons}
	if len(households) > 0 {
		out["households"] = households
	}
	return json.MarshalIndent(out, "", "  ")
}

// jsonValue formats money with two decimals.
func jsonValue(v *rules.Variable, x any) any {
	if f, ok := x.(float64); ok && v != nil && v.Type == rules.Money {
		return json.Number(strconv.FormatFloat(f, 'f', 2, 64))
	}
	return x
}

// textValue formats a value for the text output.
func textValue(v *rules.Variable, x any) string {
	switch y := jsonValue(v, x).(type) {
	case json.Number:
		return string(y)
	case float64:
		return strconv.FormatFloat(y, 'f', -1, 64)
	case nil:
		return "null"
	default:
		return strings.TrimSpace(fmt.Sprint(y))
	}
}
