package http

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
)

// A situation is the body of "POST /api/v1/calculate" and "POST
// /api/v1/trace", shaped like OpenFisca's:
//
//	{"persons":    {"p1": {"birth_date": {"ETERNITY": "1958-03-01"}, "old_age_pension": {"2026-11": null}}},
//	 "households": {"h1": {"members": ["p1", "p2"], "head": "p1", "roles": {"p2": "spouse"},
//	                       "tssa_amount": {"2026-11": null}}}}
//
// Every variable maps periods to values: "YYYY-MM" for a month variable,
// "YYYY" for a year variable, "ETERNITY" for an eternity one. A null value
// asks for the variable to be computed. A household's head defaults to its
// first member and its other members' roles to "other". A person listed in
// no household is calculated in a household of their own (OpenFisca would
// refuse the situation; a single person's case is common enough here).
//
// Situation limits: at most maxSituationPersons persons, as many
// households, and maxSituationCalcs (household, period) calculations.
const (
	maxSituationPersons = 100
	maxSituationCalcs   = 200
	maxSituationErrors  = 20
	// eternityKey is the period key of eternity variables, as in OpenFisca.
	eternityKey = "ETERNITY"
)

// situation is a decoded and validated situation.
type situation struct {
	persons    []*sitEntity    // sorted by id
	households []*sitHousehold // the given households sorted by id, then one per lone person
}

// sitEntity is one person or household of a situation: its variables by
// name and period. A value is a bool, an int64, a float64 or a string (a
// date or an enum value), or nil for a value to compute.
type sitEntity struct {
	id   string
	vars map[string]map[string]any
}

// sitHousehold is a household with its members in order. lone is set for
// the household made up for a person listed in none.
type sitHousehold struct {
	sitEntity
	members []*sitEntity
	head    string
	roles   map[string]string // member id → role (not head)
	lone    bool
}

// situationError collects the problems of a situation as field errors.
type situationError struct {
	v dost.Validation
}

func (e *situationError) add(field, code, format string, args ...any) {
	if len(e.v.Fields) < maxSituationErrors {
		e.v.Add(field, code, format, args...)
	}
}

func (e *situationError) full() bool { return len(e.v.Fields) >= maxSituationErrors }

func (e *situationError) err() error {
	return e.v.Err("The situation is not valid; see errors for each field.")
}

// decodeSituation reads and validates a situation against rs. Errors are
// EINVALID with one field error per problem (at most maxSituationErrors),
// each naming the path of the problem (persons.p1.birth_date.ETERNITY) and
// in its message the entity, the variable and the period.
func decodeSituation(rs *rules.RuleSet, body []byte) (*situation, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, dost.Errorf(dost.EINVALID, "The request body must be a JSON object with persons and households.")
	}
	var e situationError
	for _, k := range sortedKeys(top) {
		if k != "persons" && k != "households" {
			e.add(k, "entity.unknown", "Unknown entity %q: a situation has persons and households.", k)
		}
	}
	sit := &situation{}
	var persons map[string]json.RawMessage
	if !decodeObject(top["persons"], &persons) {
		e.add("persons", "type.invalid", "persons must be an object of persons by id.")
	} else if len(persons) == 0 {
		e.add("persons", "persons.missing", "A situation needs at least one person.")
	} else if len(persons) > maxSituationPersons {
		e.add("persons", "persons.too_many", "A situation may have at most %d persons.", maxSituationPersons)
	}
	byID := map[string]*sitEntity{}
	for _, id := range sortedKeys(persons) {
		p := &sitEntity{id: id}
		decodeEntity(rs, &e, rules.Person, "persons."+id, "Person "+id, persons[id], p, nil)
		sit.persons = append(sit.persons, p)
		byID[id] = p
	}

	var households map[string]json.RawMessage
	if raw, ok := top["households"]; ok && !decodeObject(raw, &households) {
		e.add("households", "type.invalid", "households must be an object of households by id.")
	} else if len(households) > maxSituationPersons {
		e.add("households", "households.too_many", "A situation may have at most %d households.", maxSituationPersons)
	}
	memberOf := map[string]string{} // person id → household id
	for _, id := range sortedKeys(households) {
		h := &sitHousehold{sitEntity: sitEntity{id: id}, roles: map[string]string{}}
		path, who := "households."+id, "Household "+id
		reserved := map[string]json.RawMessage{}
		decodeEntity(rs, &e, rules.Household, path, who, households[id], &h.sitEntity, reserved)
		if raw, ok := reserved["members"]; !ok {
			e.add(path+".members", "members.missing", "%s lists no members.", who)
		} else {
			var ids []string
			if json.Unmarshal(raw, &ids) != nil || len(ids) == 0 {
				e.add(path+".members", "type.invalid", "%s: members must be a non-empty list of person ids.", who)
			}
			for i, pid := range ids {
				field := path + ".members." + strconv.Itoa(i)
				switch p, other := byID[pid], memberOf[pid]; {
				case p == nil:
					e.add(field, "member.unknown", "%s: member %q is not one of the persons.", who, pid)
				case other == id:
					e.add(field, "member.duplicate", "%s lists person %s twice.", who, pid)
				case other != "":
					e.add(field, "member.duplicate", "Person %s is a member of households %s and %s.", pid, other, id)
				default:
					memberOf[pid] = id
					h.members = append(h.members, p)
				}
			}
		}
		if raw, ok := reserved["head"]; ok {
			if json.Unmarshal(raw, &h.head) != nil || memberOf[h.head] != id {
				e.add(path+".head", "head.unknown", "%s: the head %s is not one of its members.", who, bytes.TrimSpace(raw))
			}
		} else if len(h.members) > 0 {
			h.head = h.members[0].id
		}
		if raw, ok := reserved["roles"]; ok {
			var roles map[string]json.RawMessage
			if !decodeObject(raw, &roles) {
				e.add(path+".roles", "type.invalid", "%s: roles must be an object from member id to role.", who)
			}
			for _, pid := range sortedKeys(roles) {
				var role string
				field := path + ".roles." + pid
				switch {
				case memberOf[pid] != id:
					e.add(field, "member.unknown", "%s: %s has a role but is not one of its members.", who, pid)
				case json.Unmarshal(roles[pid], &role) != nil || role == "head" || rules.RoleIndex(role) < 0:
					e.add(field, "role.invalid", "%s: the role of %s must be one of spouse, child, parent, other (name the head with head).", who, pid)
				case pid == h.head:
					e.add(field, "role.invalid", "%s: %s is the head and has no other role.", who, pid)
				default:
					h.roles[pid] = role
				}
			}
		}
		sit.households = append(sit.households, h)
	}
	for _, p := range sit.persons {
		if memberOf[p.id] == "" {
			sit.households = append(sit.households, &sitHousehold{
				sitEntity: sitEntity{id: p.id, vars: map[string]map[string]any{}},
				members:   []*sitEntity{p}, head: p.id, lone: true,
			})
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	calcs := 0
	for _, h := range sit.households {
		calcs += len(h.periods(rs))
	}
	if calcs > maxSituationCalcs {
		return nil, dost.Errorf(dost.EINVALID, "The situation asks for %d calculations (households × periods); at most %d are allowed.", calcs, maxSituationCalcs)
	}
	return sit, nil
}

// decodeEntity decodes the variables of one person or household into ent.
// Keys that are not variables go to reserved when it is not nil and the
// key is members, head or roles (a household's own fields).
func decodeEntity(rs *rules.RuleSet, e *situationError, entity rules.Entity, path, who string, raw json.RawMessage, ent *sitEntity, reserved map[string]json.RawMessage) {
	ent.vars = map[string]map[string]any{}
	var fields map[string]json.RawMessage
	if !decodeObject(raw, &fields) {
		e.add(path, "type.invalid", "%s must be an object of variables.", who)
		return
	}
	for _, name := range sortedKeys(fields) {
		if e.full() {
			return
		}
		vpath := path + "." + name
		if reserved != nil && (name == "members" || name == "head" || name == "roles") {
			reserved[name] = fields[name]
			continue
		}
		v, ok := rs.Variable(name)
		if !ok {
			e.add(vpath, "variable.unknown", "%s: there is no variable %s.", who, name)
			continue
		}
		if v.Entity != entity {
			e.add(vpath, "variable.entity", "%s: %s is a %s variable, not a %s one.", who, name, v.Entity, entity)
			continue
		}
		var byPeriod map[string]json.RawMessage
		if !decodeObject(fields[name], &byPeriod) || len(byPeriod) == 0 {
			e.add(vpath, "type.invalid", "%s: %s must be an object of values by period, e.g. {%q: …}.", who, name, examplePeriod(v.Period))
			continue
		}
		vals := map[string]any{}
		for _, per := range sortedKeys(byPeriod) {
			field := vpath + "." + per
			if !validPeriod(v.Period, per) {
				if v.Period == rules.Eternity {
					e.add(field, "period.invalid", "%s: %s has one value for all time; give it under ETERNITY, not %q.", who, name, per)
				} else {
					e.add(field, "period.invalid", "%s: %s is a %s variable; %q is not a %s (%s).", who, name, v.Period, per, v.Period, examplePeriod(v.Period))
				}
				continue
			}
			key := per
			if v.Period == rules.Eternity {
				key = eternityKey
			}
			x, msg := decodeValue(v, byPeriod[per])
			if msg != "" {
				e.add(field, "value.invalid", "%s: %s for %s must be %s.", who, name, per, msg)
				continue
			}
			vals[key] = x
		}
		ent.vars[name] = vals
	}
}

// decodeObject unmarshals raw into an object; false when raw is missing,
// null or not an object.
func decodeObject(raw json.RawMessage, v *map[string]json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	return json.Unmarshal(raw, v) == nil && *v != nil
}

// validPeriod reports whether s names a period of kind k.
func validPeriod(k rules.PeriodKind, s string) bool {
	if k == rules.Eternity {
		return s == eternityKey || s == "eternity"
	}
	p, err := rules.ParsePeriod(s)
	return err == nil && p.Kind == k
}

// examplePeriod shows the form of a period of kind k.
func examplePeriod(k rules.PeriodKind) string {
	switch k {
	case rules.Month:
		return "YYYY-MM"
	case rules.Year:
		return "YYYY"
	}
	return eternityKey
}

// maxNumber bounds numbers in a situation: beyond it float64 loses whole
// units (and qəpik long before).
const maxNumber = 1e15

// decodeValue decodes one value of v: nil for null (to compute), else a
// value of v's type. msg says what the value must be when it is not one.
func decodeValue(v *rules.Variable, raw json.RawMessage) (x any, msg string) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, ""
	}
	return parseValue(v, raw)
}

// parseValue parses a JSON value (or, from a form, a bare string: quote
// it first) of v's type.
func parseValue(v *rules.Variable, raw []byte) (any, string) {
	var s string
	isString := len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil
	switch v.Type {
	case rules.Bool:
		switch string(raw) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, "true or false"
	case rules.Int:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(raw), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > maxNumber {
				return nil, "a whole number"
			}
			n = int64(f)
		}
		if n > maxNumber || n < -maxNumber {
			return nil, "a whole number"
		}
		return n, ""
	case rules.Float, rules.Money:
		if isString || len(raw) == 0 {
			return nil, numberKind(v)
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > maxNumber {
			return nil, numberKind(v)
		}
		if v.Type == rules.Money && math.Abs(f*100-math.Round(f*100)) > 1e-6 {
			return nil, numberKind(v)
		}
		return f, ""
	case rules.DateType:
		if isString {
			if _, err := rules.ParseDate(s); err == nil && s == strings.TrimSpace(s) {
				return s, ""
			}
		}
		return nil, "a date YYYY-MM-DD"
	case rules.Enum:
		if isString && slices.Contains(v.Values, s) {
			return s, ""
		}
		return nil, "one of " + strings.Join(v.Values, ", ")
	}
	return nil, "a value of type " + v.Type.String()
}

func numberKind(v *rules.Variable) string {
	if v.Type == rules.Money {
		return "an amount in AZN with at most two decimals"
	}
	return "a number"
}

// periods returns the periods h's members and h ask a value for, sorted.
func (h *sitHousehold) periods(rs *rules.RuleSet) []string {
	seen := map[string]bool{}
	visit := func(ent *sitEntity) {
		for _, byPeriod := range ent.vars {
			for per, x := range byPeriod {
				if x == nil {
					seen[per] = true
				}
			}
		}
	}
	visit(&h.sitEntity)
	for _, m := range h.members {
		visit(m)
	}
	return sortedKeys(seen)
}

// engineSituation returns h as the engine's Situation: members in order
// with their roles, inputs by period ("eternity" for ETERNITY).
func (h *sitHousehold) engineSituation() *rules.Situation {
	inputs := func(ent *sitEntity) map[string]any {
		m := map[string]any{}
		for name, byPeriod := range ent.vars {
			var in map[string]any
			for per, x := range byPeriod {
				if x == nil {
					continue
				}
				if in == nil {
					in = map[string]any{}
				}
				if per == eternityKey {
					per = "eternity"
				}
				in[per] = x
			}
			if in != nil {
				m[name] = in
			}
		}
		return m
	}
	sit := &rules.Situation{ID: h.id, Persons: make([]rules.SituationPerson, len(h.members))}
	if h.lone {
		sit.ID = ""
	} else {
		sit.Household = inputs(&h.sitEntity)
	}
	for i, m := range h.members {
		role := "other"
		if r, ok := h.roles[m.id]; ok {
			role = r
		}
		if m.id == h.head {
			role = "head"
		}
		sit.Persons[i] = rules.SituationPerson{ID: m.id, Role: role, Inputs: inputs(m)}
	}
	return sit
}

// enginePeriod parses a period key of a situation.
func enginePeriod(per string) (rules.Period, error) {
	if per == eternityKey {
		return rules.ParsePeriod("eternity")
	}
	return rules.ParsePeriod(per)
}

// requests returns the variables h and its members ask for in per.
func (h *sitHousehold) requests(per string) []string {
	seen := map[string]bool{}
	visit := func(ent *sitEntity) {
		for name, byPeriod := range ent.vars {
			if x, ok := byPeriod[per]; ok && x == nil {
				seen[name] = true
			}
		}
	}
	visit(&h.sitEntity)
	for _, m := range h.members {
		visit(m)
	}
	return sortedKeys(seen)
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
