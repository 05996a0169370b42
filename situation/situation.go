// Package situation decodes OpenFisca-shaped situations into the rules
// engine's Situations and encodes the answers: the calculator of "POST
// /api/v1/calculate" and of `dost calc`.
//
// A situation is shaped like OpenFisca's:
//
//	{"persons":    {"p1": {"birth_date": {"ETERNITY": "1958-03-01"}, "old_age_pension": {"2026-11": null}}},
//	 "households": {"h1": {"members": ["p1", "p2"], "head": "p1", "roles": {"p2": "spouse"},
//	                       "tssa_amount": {"2026-11": null}}}}
//
// Every variable maps periods to values: "YYYY-MM" for a month variable,
// "YYYY" for a year variable, "ETERNITY" for an eternity one. A null value
// asks for the variable to be computed. Money is a decimal number of AZN
// with at most two decimals, and is answered with exactly two. A
// household's head defaults to its first member and its other members'
// roles to "other". A person listed in no household is calculated in a
// household of their own (OpenFisca would refuse the situation; a single
// person's case is common enough here).
//
// A situation has at most MaxPersons persons, as many households, and asks
// for at most MaxCalculations (household, period) calculations.
package situation

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dost-az/dost/rules"
)

// Limits of a situation.
const (
	MaxPersons      = 100 // persons, and households
	MaxCalculations = 200 // (household, period) engine calculations
	MaxProblems     = 20  // problems reported by Decode
)

// EternityKey is the period key of eternity variables, as in OpenFisca.
// Decode also accepts "eternity".
const EternityKey = "ETERNITY"

// Situation is a decoded and validated situation. Calculate fills in its
// values to compute; AppendJSON writes it back. It is not safe for
// concurrent use.
type Situation struct {
	persons    []*entity    // sorted by id
	households []*household // the given households sorted by id, then one per lone person
}

// entity is one person or household of a situation: its variables sorted
// by name.
type entity struct {
	id        string
	vars      []variable
	household string // a person's: the id of the household listing them
}

// variable is one variable of an entity: its values sorted by period.
type variable struct {
	v    *rules.Variable
	vals []value
}

// value is the value of a variable in one period ("YYYY-MM", "YYYY" or
// EternityKey): a bool, an int64, a float64 or a string (a date or an enum
// value), or nil for a value to compute.
type value struct {
	period string
	x      any
}

// household is a household with its members in order. lone is set for
// the household made up for a person listed in none; it has the person's
// id.
type household struct {
	entity
	members []*entity
	head    string
	roles   []role // sorted by member id; the head has none
	lone    bool
}

// role is the role of a household member other than the head.
type role struct {
	id, role string
}

// role returns the role of member id in h.
func (h *household) role(id string) string {
	if id == h.head {
		return "head"
	}
	for _, r := range h.roles {
		if r.id == id {
			return r.role
		}
	}
	return "other"
}

// Error is the error of a situation that cannot be decoded or calculated.
// Problems locate each problem of a malformed situation (at most
// MaxProblems); without any, the situation is wrong as a whole (not a JSON
// object, too many calculations, a value the rules cannot compute) and
// Message says why.
type Error struct {
	Message  string
	Problems []Problem
}

// Error returns the message, then each problem as "field: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// A Problem is one problem of a situation and where it is. Field is the
// path of keys to it (persons.p1.birth_date.ETERNITY,
// households.h1.members.1); Entity ("person" or "household"), ID,
// Variable (a variable, or a household's members, head or roles) and
// Period locate it as far as they apply. Code is a message-catalogue key
// (variable.unknown, value.invalid, value.range for a number outside the
// variable's Min and Max, …); Message is a sentence naming the entity, the
// variable and the period.
type Problem struct {
	Field    string `json:"field"`
	Entity   string `json:"entity,omitempty"`
	ID       string `json:"id,omitempty"`
	Variable string `json:"variable,omitempty"`
	Period   string `json:"period,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// String returns "field: message".
func (p Problem) String() string { return p.Field + ": " + p.Message }

// ErrNotObject is the error of a situation that is not a JSON object.
var ErrNotObject = &Error{Message: "A situation must be a JSON object with persons and households."}

// problems collects the problems of a situation, at most MaxProblems.
type problems []Problem

// add records the problem at where with a message.
func (ps *problems) add(where Problem, code, format string, args ...any) {
	if len(*ps) < MaxProblems {
		where.Code, where.Message = code, fmt.Sprintf(format, args...)
		*ps = append(*ps, where)
	}
}

func (ps problems) full() bool { return len(ps) >= MaxProblems }

// at returns the location of a problem at field.
func at(field string) Problem { return Problem{Field: field} }

// Decode reads and validates a situation against rs. A malformed situation
// is an *Error: ErrNotObject for a body that is not a JSON object, else one
// Problem per problem (at most MaxProblems), or a Message when it asks for
// more than MaxCalculations calculations. Decode copies what it keeps of
// body.
//
// It walks the body with a small scanner (see objectMembers) instead of
// unmarshalling it into maps: the calculator's cost is mostly here. Keys
// are visited in order and a repeated key's last value wins, as
// json.Unmarshal into a map would do.
func Decode(rs *rules.RuleSet, body []byte) (*Situation, error) {
	if !validJSON(body) {
		return nil, ErrNotObject
	}
	sc := scanners.Get().(*scanner)
	defer sc.release()
	top, ok := sc.objectMembers(body)
	if !ok {
		return nil, ErrNotObject
	}
	var e problems
	for _, m := range top {
		if m.key != "persons" && m.key != "households" {
			e.add(at(m.key), "entity.unknown", "Unknown entity %q: a situation has persons and households.", m.key)
		}
	}
	sit := &Situation{}
	persons, ok := sc.objectMembers(member(top, "persons"))
	if !ok {
		e.add(at("persons"), "type.invalid", "persons must be an object of persons by id.")
	} else if len(persons) == 0 {
		e.add(at("persons"), "persons.missing", "A situation needs at least one person.")
	} else if len(persons) > MaxPersons {
		e.add(at("persons"), "persons.too_many", "A situation may have at most %d persons.", MaxPersons)
	}
	sit.persons = make([]*entity, len(persons))
	for i, m := range persons {
		p := &entity{id: m.key}
		decodeEntity(rs, sc, &e, rules.Person, m.raw, p, nil)
		sit.persons[i] = p
	}
	person := func(id string) *entity {
		if i, ok := slices.BinarySearchFunc(sit.persons, id, func(p *entity, id string) int { return strings.Compare(p.id, id) }); ok {
			return sit.persons[i]
		}
		return nil
	}

	var households []jsonMember
	if raw := member(top, "households"); raw != nil {
		if households, ok = sc.objectMembers(raw); !ok {
			e.add(at("households"), "type.invalid", "households must be an object of households by id.")
		}
	}
	if len(households) > MaxPersons {
		e.add(at("households"), "households.too_many", "A situation may have at most %d households.", MaxPersons)
	}
	for _, hm := range households {
		id := hm.key
		h := &household{entity: entity{id: id}}
		// field and who locate the household in problems, made only then.
		field := func(name string) Problem {
			return Problem{Field: "households." + id + "." + name, Entity: "household", ID: id, Variable: name}
		}
		who := func() string { return "Household " + id }
		var reserved householdFields
		decodeEntity(rs, sc, &e, rules.Household, hm.raw, &h.entity, &reserved)
		if reserved.members == nil {
			e.add(field("members"), "members.missing", "%s lists no members.", who())
		} else {
			ids, ok := sc.stringList(reserved.members)
			if !ok || len(ids) == 0 {
				e.add(field("members"), "type.invalid", "%s: members must be a non-empty list of person ids.", who())
			}
			for i, pid := range ids {
				where := func() Problem { p := field("members"); p.Field += "." + strconv.Itoa(i); return p }
				switch p := person(pid); {
				case p == nil:
					e.add(where(), "member.unknown", "%s: member %q is not one of the persons.", who(), pid)
				case p.household == id:
					e.add(where(), "member.duplicate", "%s lists person %s twice.", who(), pid)
				case p.household != "":
					e.add(where(), "member.duplicate", "Person %s is a member of households %s and %s.", pid, p.household, id)
				default:
					p.household = id
					h.members = append(h.members, p)
				}
			}
		}
		isMember := func(pid string) bool { p := person(pid); return p != nil && p.household == id }
		if raw := reserved.head; raw != nil {
			head, ok := sc.str(raw)
			if h.head = head; !ok || !isMember(head) {
				e.add(field("head"), "head.unknown", "%s: the head %s is not one of its members.", who(), raw)
			}
		} else if len(h.members) > 0 {
			h.head = h.members[0].id
		}
		if raw := reserved.roles; raw != nil {
			roles, ok := sc.objectMembers(raw)
			if !ok {
				e.add(field("roles"), "type.invalid", "%s: roles must be an object from member id to role.", who())
			}
			for _, rm := range roles {
				pid := rm.key
				where := func() Problem { p := field("roles"); p.Field += "." + pid; return p }
				r, ok := sc.str(rm.raw)
				switch {
				case !isMember(pid):
					e.add(where(), "member.unknown", "%s: %s has a role but is not one of its members.", who(), pid)
				case !ok || r == "head" || rules.RoleIndex(r) < 0:
					e.add(where(), "role.invalid", "%s: the role of %s must be one of spouse, child, parent, other (name the head with head).", who(), pid)
				case pid == h.head:
					e.add(where(), "role.invalid", "%s: %s is the head and has no other role.", who(), pid)
				default:
					h.roles = append(h.roles, role{pid, r})
				}
			}
		}
		sit.households = append(sit.households, h)
	}
	for _, p := range sit.persons {
		if p.household == "" {
			sit.households = append(sit.households, &household{
				entity:  entity{id: p.id},
				members: []*entity{p}, head: p.id, lone: true,
			})
		}
	}
	if len(e) > 0 {
		return nil, &Error{Message: "The situation is not valid.", Problems: e}
	}
	calcs := 0
	for _, h := range sit.households {
		calcs += len(h.periods())
	}
	if calcs > MaxCalculations {
		return nil, &Error{Message: fmt.Sprintf("The situation asks for %d calculations (households × periods); at most %d are allowed.", calcs, MaxCalculations)}
	}
	return sit, nil
}

// householdFields holds the raw values of a household's own fields; nil
// when absent.
type householdFields struct {
	members, head, roles []byte
}

// decodeEntity decodes the variables of one person or household into ent.
// When reserved is not nil, the keys members, head and roles go there (a
// household's own fields).
func decodeEntity(rs *rules.RuleSet, sc *scanner, e *problems, kind rules.Entity, raw []byte, ent *entity, reserved *householdFields) {
	// The locations of problems in ent ("persons.p1", its variable name,
	// its value in per) and its name in their messages ("Person p1"),
	// made only for problems.
	entityAt := func() Problem {
		return Problem{Field: plural(kind) + "." + ent.id, Entity: kind.String(), ID: ent.id}
	}
	variableAt := func(name string) Problem {
		p := entityAt()
		p.Field, p.Variable = p.Field+"."+name, name
		return p
	}
	valueAt := func(name, per string) Problem {
		p := variableAt(name)
		p.Field, p.Period = p.Field+"."+per, per
		return p
	}
	who := func() string {
		if kind == rules.Household {
			return "Household " + ent.id
		}
		return "Person " + ent.id
	}
	fields, ok := sc.objectMembers(raw)
	if !ok {
		e.add(entityAt(), "type.invalid", "%s must be an object of variables.", who())
		return
	}
	ent.vars = sc.variables(len(fields))
	for _, f := range fields {
		if e.full() {
			return
		}
		name := f.key
		if reserved != nil {
			switch name {
			case "members":
				reserved.members = f.raw
				continue
			case "head":
				reserved.head = f.raw
				continue
			case "roles":
				reserved.roles = f.raw
				continue
			}
		}
		v, ok := rs.Variable(name)
		if !ok {
			e.add(variableAt(name), "variable.unknown", "%s: there is no variable %s.", who(), name)
			continue
		}
		if v.Entity != kind {
			e.add(variableAt(name), "variable.entity", "%s: %s is a %s variable, not a %s one.", who(), name, v.Entity, kind)
			continue
		}
		byPeriod, ok := sc.objectMembers(f.raw)
		if !ok || len(byPeriod) == 0 {
			e.add(variableAt(name), "type.invalid", "%s: %s must be an object of values by period, e.g. {%q: …}.", who(), name, examplePeriod(v.Period))
			continue
		}
		sv := variable{v: v, vals: sc.values(len(byPeriod))}
		for _, pm := range byPeriod {
			per := pm.key
			if !validPeriod(v.Period, per) {
				if v.Period == rules.Eternity {
					e.add(valueAt(name, per), "period.invalid", "%s: %s has one value for all time; give it under ETERNITY, not %q.", who(), name, per)
				} else {
					e.add(valueAt(name, per), "period.invalid", "%s: %s is a %s variable; %q is not a %s (%s).", who(), name, v.Period, per, v.Period, examplePeriod(v.Period))
				}
				continue
			}
			key := per
			if v.Period == rules.Eternity {
				key = EternityKey
			}
			var x any
			if string(pm.raw) != "null" { // null: to compute
				var msg string
				if x, msg = sc.parseValue(v, pm.raw); msg != "" {
					e.add(valueAt(name, per), "value.invalid", "%s: %s for %s must be %s.", who(), name, per, msg)
					continue
				}
				if !v.InRange(x) {
					e.add(valueAt(name, per), "value.range", "%s: %s for %s must be %s.", who(), name, per, v.RangeString())
					continue
				}
			}
			// ETERNITY and eternity are one period: the later key wins.
			if n := len(sv.vals); n > 0 && sv.vals[n-1].period == key {
				sv.vals[n-1].x = x
				continue
			}
			sv.vals = append(sv.vals, value{key, x})
		}
		ent.vars = append(ent.vars, sv)
	}
}

// plural names the entities of kind in a situation's keys.
func plural(kind rules.Entity) string {
	if kind == rules.Household {
		return "households"
	}
	return "persons"
}

// validPeriod reports whether s names a period of kind k.
func validPeriod(k rules.PeriodKind, s string) bool {
	if k == rules.Eternity {
		return s == EternityKey || s == "eternity"
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
	return EternityKey
}

// maxNumber bounds numbers in a situation: beyond it float64 loses whole
// units (and qəpik long before).
const maxNumber = 1e15

// ParseValue parses raw, a JSON value other than null (a bare string, from
// a form, must be quoted first), as a value of v: a bool, an int64, a
// float64 (money with at most two decimals) or a string (a date or an enum
// value). When raw is not one, msg says what it must be ("a whole
// number", "one of male, female").
func ParseValue(v *rules.Variable, raw []byte) (x any, msg string) {
	return (*scanner)(nil).parseValue(v, raw)
}

// parseValue is ParseValue interning strings in sc (when not nil).
func (sc *scanner) parseValue(v *rules.Variable, raw []byte) (any, string) {
	s, isString := "", len(raw) > 0 && raw[0] == '"'
	if isString {
		s, isString = sc.str(raw)
	}
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
