package http

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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

// sitEntity is one person or household of a situation: its variables
// sorted by name.
type sitEntity struct {
	id        string
	vars      []sitVar
	household string // a person's: the id of the household listing them
}

// sitVar is one variable of an entity: its values sorted by period.
type sitVar struct {
	v    *rules.Variable
	vals []sitValue
}

// sitValue is the value of a variable in one period ("YYYY-MM", "YYYY" or
// "ETERNITY"): a bool, an int64, a float64 or a string (a date or an enum
// value), or nil for a value to compute.
type sitValue struct {
	period string
	x      any
}

// sitHousehold is a household with its members in order. lone is set for
// the household made up for a person listed in none.
type sitHousehold struct {
	sitEntity
	members []*sitEntity
	head    string
	roles   []sitRole // sorted by member id; the head has none
	lone    bool
}

// sitRole is the role of a household member other than the head.
type sitRole struct {
	id, role string
}

// role returns the role of member id in h.
func (h *sitHousehold) role(id string) string {
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

// errNotSituation is the error of a body that is not a JSON object.
var errNotSituation = dost.Errorf(dost.EINVALID, "The request body must be a JSON object with persons and households.")

// decodeSituation reads and validates a situation against rs. Errors are
// EINVALID with one field error per problem (at most maxSituationErrors),
// each naming the path of the problem (persons.p1.birth_date.ETERNITY) and
// in its message the entity, the variable and the period.
//
// It walks the body with a small scanner (see objectMembers) instead of
// unmarshalling it into maps: the calculator's cost is mostly here. Keys
// are visited in order and a repeated key's last value wins, as
// json.Unmarshal into a map would do.
func decodeSituation(rs *rules.RuleSet, body []byte) (*situation, error) {
	if !validJSON(body) {
		return nil, errNotSituation
	}
	sc := scanners.Get().(*scanner)
	defer sc.release()
	top, ok := sc.objectMembers(body)
	if !ok {
		return nil, errNotSituation
	}
	var e situationError
	for _, m := range top {
		if m.key != "persons" && m.key != "households" {
			e.add(m.key, "entity.unknown", "Unknown entity %q: a situation has persons and households.", m.key)
		}
	}
	sit := &situation{}
	persons, ok := sc.objectMembers(member(top, "persons"))
	if !ok {
		e.add("persons", "type.invalid", "persons must be an object of persons by id.")
	} else if len(persons) == 0 {
		e.add("persons", "persons.missing", "A situation needs at least one person.")
	} else if len(persons) > maxSituationPersons {
		e.add("persons", "persons.too_many", "A situation may have at most %d persons.", maxSituationPersons)
	}
	sit.persons = make([]*sitEntity, len(persons))
	for i, m := range persons {
		p := &sitEntity{id: m.key}
		decodeEntity(rs, sc, &e, rules.Person, "persons", "Person ", m.raw, p, nil)
		sit.persons[i] = p
	}
	person := func(id string) *sitEntity {
		if i, ok := slices.BinarySearchFunc(sit.persons, id, func(p *sitEntity, id string) int { return strings.Compare(p.id, id) }); ok {
			return sit.persons[i]
		}
		return nil
	}

	var households []jsonMember
	if raw := member(top, "households"); raw != nil {
		if households, ok = sc.objectMembers(raw); !ok {
			e.add("households", "type.invalid", "households must be an object of households by id.")
		}
	}
	if len(households) > maxSituationPersons {
		e.add("households", "households.too_many", "A situation may have at most %d households.", maxSituationPersons)
	}
	for _, hm := range households {
		id := hm.key
		h := &sitHousehold{sitEntity: sitEntity{id: id}}
		// path and who name the household in errors, made only then.
		path := func() string { return "households." + id }
		who := func() string { return "Household " + id }
		var reserved householdFields
		decodeEntity(rs, sc, &e, rules.Household, "households", "Household ", hm.raw, &h.sitEntity, &reserved)
		if reserved.members == nil {
			e.add(path()+".members", "members.missing", "%s lists no members.", who())
		} else {
			ids, ok := sc.stringList(reserved.members)
			if !ok || len(ids) == 0 {
				e.add(path()+".members", "type.invalid", "%s: members must be a non-empty list of person ids.", who())
			}
			for i, pid := range ids {
				field := func() string { return path() + ".members." + strconv.Itoa(i) }
				switch p := person(pid); {
				case p == nil:
					e.add(field(), "member.unknown", "%s: member %q is not one of the persons.", who(), pid)
				case p.household == id:
					e.add(field(), "member.duplicate", "%s lists person %s twice.", who(), pid)
				case p.household != "":
					e.add(field(), "member.duplicate", "Person %s is a member of households %s and %s.", pid, p.household, id)
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
				e.add(path()+".head", "head.unknown", "%s: the head %s is not one of its members.", who(), raw)
			}
		} else if len(h.members) > 0 {
			h.head = h.members[0].id
		}
		if raw := reserved.roles; raw != nil {
			roles, ok := sc.objectMembers(raw)
			if !ok {
				e.add(path()+".roles", "type.invalid", "%s: roles must be an object from member id to role.", who())
			}
			for _, rm := range roles {
				pid := rm.key
				role, ok := sc.str(rm.raw)
				switch {
				case !isMember(pid):
					e.add(path()+".roles."+pid, "member.unknown", "%s: %s has a role but is not one of its members.", who(), pid)
				case !ok || role == "head" || rules.RoleIndex(role) < 0:
					e.add(path()+".roles."+pid, "role.invalid", "%s: the role of %s must be one of spouse, child, parent, other (name the head with head).", who(), pid)
				case pid == h.head:
					e.add(path()+".roles."+pid, "role.invalid", "%s: %s is the head and has no other role.", who(), pid)
				default:
					h.roles = append(h.roles, sitRole{pid, role})
				}
			}
		}
		sit.households = append(sit.households, h)
	}
	for _, p := range sit.persons {
		if p.household == "" {
			sit.households = append(sit.households, &sitHousehold{
				sitEntity: sitEntity{id: p.id},
				members:   []*sitEntity{p}, head: p.id, lone: true,
			})
		}
	}
	if err := e.err(); err != nil {
		return nil, err
	}
	calcs := 0
	for _, h := range sit.households {
		calcs += len(h.periods())
	}
	if calcs > maxSituationCalcs {
		return nil, dost.Errorf(dost.EINVALID, "The situation asks for %d calculations (households × periods); at most %d are allowed.", calcs, maxSituationCalcs)
	}
	return sit, nil
}

// householdFields holds the raw values of a household's own fields; nil
// when absent.
type householdFields struct {
	members, head, roles []byte
}

// decodeEntity decodes the variables of one person or household into ent.
// kind and whoPrefix make paths ("persons.p1") and names in messages
// ("Person p1"). When reserved is not nil, the keys members, head and
// roles go there (a household's own fields).
func decodeEntity(rs *rules.RuleSet, sc *scanner, e *situationError, entity rules.Entity, kind, whoPrefix string, raw []byte, ent *sitEntity, reserved *householdFields) {
	path := func() string { return kind + "." + ent.id }
	who := func() string { return whoPrefix + ent.id } // made only for errors
	fields, ok := sc.objectMembers(raw)
	if !ok {
		e.add(path(), "type.invalid", "%s must be an object of variables.", who())
		return
	}
	ent.vars = sc.sitVars(len(fields))
	for _, f := range fields {
		if e.full() {
			return
		}
		name := f.key
		vpath := func() string { return path() + "." + name }
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
			e.add(vpath(), "variable.unknown", "%s: there is no variable %s.", who(), name)
			continue
		}
		if v.Entity != entity {
			e.add(vpath(), "variable.entity", "%s: %s is a %s variable, not a %s one.", who(), name, v.Entity, entity)
			continue
		}
		byPeriod, ok := sc.objectMembers(f.raw)
		if !ok || len(byPeriod) == 0 {
			e.add(vpath(), "type.invalid", "%s: %s must be an object of values by period, e.g. {%q: …}.", who(), name, examplePeriod(v.Period))
			continue
		}
		sv := sitVar{v: v, vals: sc.sitValues(len(byPeriod))}
		for _, pm := range byPeriod {
			per := pm.key
			if !validPeriod(v.Period, per) {
				if v.Period == rules.Eternity {
					e.add(vpath()+"."+per, "period.invalid", "%s: %s has one value for all time; give it under ETERNITY, not %q.", who(), name, per)
				} else {
					e.add(vpath()+"."+per, "period.invalid", "%s: %s is a %s variable; %q is not a %s (%s).", who(), name, v.Period, per, v.Period, examplePeriod(v.Period))
				}
				continue
			}
			key := per
			if v.Period == rules.Eternity {
				key = eternityKey
			}
			x, msg := decodeValue(sc, v, pm.raw)
			if msg != "" {
				e.add(vpath()+"."+per, "value.invalid", "%s: %s for %s must be %s.", who(), name, per, msg)
				continue
			}
			// ETERNITY and eternity are one period: the later key wins.
			if n := len(sv.vals); n > 0 && sv.vals[n-1].period == key {
				sv.vals[n-1].x = x
				continue
			}
			sv.vals = append(sv.vals, sitValue{key, x})
		}
		ent.vars = append(ent.vars, sv)
	}
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
func decodeValue(sc *scanner, v *rules.Variable, raw []byte) (x any, msg string) {
	if string(raw) == "null" {
		return nil, ""
	}
	return sc.parseValue(v, raw)
}

// parseValue parses a JSON value (or, from a form, a bare string: quote
// it first) of v's type.
func parseValue(v *rules.Variable, raw []byte) (any, string) {
	return (*scanner)(nil).parseValue(v, raw)
}

// parseValue is parseValue interning strings in sc (when not nil).
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

// periods returns the periods h's members and h ask a value for, sorted.
func (h *sitHousehold) periods() []string {
	var pers []string
	visit := func(ent *sitEntity) {
		for _, sv := range ent.vars {
			for _, val := range sv.vals {
				if val.x == nil && !slices.Contains(pers, val.period) {
					pers = append(pers, val.period)
				}
			}
		}
	}
	visit(&h.sitEntity)
	for _, m := range h.members {
		visit(m)
	}
	slices.Sort(pers)
	return pers
}

// engineSituation returns h as the engine's Situation: members in order
// with their roles, inputs by period ("eternity" for ETERNITY).
func (h *sitHousehold) engineSituation() *rules.Situation {
	inputs := func(ent *sitEntity) map[string]any {
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
				if per == eternityKey {
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
		sit.Household = inputs(&h.sitEntity)
	}
	for i, m := range h.members {
		sit.Persons[i] = rules.SituationPerson{ID: m.id, Role: h.role(m.id), Inputs: inputs(m)}
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

// requests returns the variables h and its members ask for in per,
// sorted.
func (h *sitHousehold) requests(per string) []string {
	var names []string
	visit := func(ent *sitEntity) {
		for _, sv := range ent.vars {
			for _, val := range sv.vals {
				if val.period == per && val.x == nil {
					names = append(names, sv.v.Name)
				}
			}
		}
	}
	visit(&h.sitEntity)
	for _, m := range h.members {
		visit(m)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// fill sets ent's values to compute in per from the engine's values of
// each variable by entity id.
func (ent *sitEntity) fill(per string, values map[string]map[string]any) {
	for i := range ent.vars {
		sv := &ent.vars[i]
		for j := range sv.vals {
			if val := &sv.vals[j]; val.period == per && val.x == nil {
				val.x = values[sv.v.Name][ent.id]
			}
		}
	}
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

// scanner reads the members of JSON objects into one growing arena, so
// that a situation's objects cost few allocations. The slices it returns
// stay valid (appending never overwrites them).
type scanner struct {
	arena []jsonMember
	// strs interns the short strings of situations (ids, variable names,
	// periods, dates, enum values), which repeat from one request to the
	// next: at most maxInterned, of at most maxInternedLen bytes. They are
	// copies, never the body's bytes.
	strs map[string]string

	// vars and vals are the free parts of the current situation's slabs
	// of variables and values, cut by sitVars and sitValues.
	vars []sitVar
	vals []sitValue
}

// sitVars returns an empty slice of capacity n for a situation's
// variables, cut from a slab shared by the situation.
func (sc *scanner) sitVars(n int) []sitVar {
	if n > len(sc.vars) {
		sc.vars = make([]sitVar, max(n, 32))
	}
	s := sc.vars[:0:n]
	sc.vars = sc.vars[n:]
	return s
}

// sitValues is sitVars for values.
func (sc *scanner) sitValues(n int) []sitValue {
	if n > len(sc.vals) {
		sc.vals = make([]sitValue, max(n, 32))
	}
	s := sc.vals[:0:n]
	sc.vals = sc.vals[n:]
	return s
}

const (
	maxInterned    = 1024
	maxInternedLen = 64
)

// scanners are reused across situations.
var scanners = sync.Pool{New: func() any {
	return &scanner{arena: make([]jsonMember, 0, 64), strs: make(map[string]string, 64)}
}}

// str is jsonString, with short plain strings interned (when sc is not
// nil).
func (sc *scanner) str(raw []byte) (string, bool) {
	if sc != nil && len(raw) >= 2 && raw[0] == '"' && len(raw) <= maxInternedLen+2 {
		inner := raw[1 : len(raw)-1]
		if s, ok := sc.strs[string(inner)]; ok {
			return s, true
		}
		if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			s := string(inner)
			if len(sc.strs) >= maxInterned {
				clear(sc.strs)
			}
			sc.strs[s] = s
			return s, true
		}
	}
	return jsonString(raw)
}

// release forgets what sc read (so the pool keeps no body alive) and puts
// it back in scanners.
func (sc *scanner) release() {
	clear(sc.arena)
	sc.arena = sc.arena[:0]
	sc.vars, sc.vals = nil, nil // the situation's
	scanners.Put(sc)
}

// jsonMember is one member of a JSON object: its key and its value as
// written.
type jsonMember struct {
	key string
	raw []byte
}

// objectMembers returns the members of the JSON object raw sorted by key,
// the last of a repeated key's values winning (as json.Unmarshal into a
// map does); ok is false when raw is absent, null or not an object. raw
// must be valid JSON (see json.Valid): objectMembers does not check it.
func (sc *scanner) objectMembers(raw []byte) (members []jsonMember, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	first := len(sc.arena)
	sorted := true
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] == '"'; {
		end := scanString(raw, i)
		key, _ := sc.str(raw[i:end])
		i = skipSpace(raw, end) + 1 // past ':'
		start := skipSpace(raw, i)
		i = scanValue(raw, start)
		if n := len(sc.arena); n > first && sc.arena[n-1].key >= key {
			sorted = false
		}
		sc.arena = append(sc.arena, jsonMember{key, raw[start:i]})
		if i = skipSpace(raw, i); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	members = sc.arena[first:len(sc.arena):len(sc.arena)]
	if !sorted {
		slices.SortStableFunc(members, func(a, b jsonMember) int { return strings.Compare(a.key, b.key) })
		// Keep the last of each run of equal keys.
		out := members[:0]
		for j, m := range members {
			if j+1 < len(members) && members[j+1].key == m.key {
				continue
			}
			out = append(out, m)
		}
		members = out
	}
	return members, true
}

// member returns the value of key among members (sorted), nil when absent.
func member(members []jsonMember, key string) []byte {
	if i, ok := slices.BinarySearchFunc(members, key, func(m jsonMember, key string) int { return strings.Compare(m.key, key) }); ok {
		return members[i].raw
	}
	return nil
}

// skipSpace returns the index of the first byte of b from i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// scanString returns the index just past the JSON string starting at
// b[i].
func scanString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// scanValue returns the index just past the JSON value starting at b[i].
func scanValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return scanString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = scanString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}

// jsonString returns the string raw (valid JSON) holds, "" for null, as
// json.Unmarshal into a string would; ok is false for any other value.
func jsonString(raw []byte) (s string, ok bool) {
	if string(raw) == "null" {
		return "", true
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	return s, json.Unmarshal(raw, &s) == nil
}

// stringList returns the list of strings raw (valid JSON) holds, as
// json.Unmarshal into a []string would (null elements are ""); ok is
// false when raw is not such a list, and the list is then what
// json.Unmarshal made of it.
func (sc *scanner) stringList(raw []byte) (list []string, ok bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return list, json.Unmarshal(raw, &list) == nil
	}
	for i := skipSpace(raw, 1); i < len(raw) && raw[i] != ']'; {
		end := scanValue(raw, i)
		s, ok := sc.str(raw[i:end])
		if !ok {
			list = nil
			return list, json.Unmarshal(raw, &list) == nil
		}
		list = append(list, s)
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	if list == nil {
		list = []string{}
	}
	return list, true
}

// maxJSONDepth is encoding/json's nesting limit, which validJSON keeps.
const maxJSONDepth = 10000

// validJSON reports whether b is valid JSON, exactly as json.Valid does
// (white space around, strings not checked for UTF-8, nesting at most
// maxJSONDepth deep), in one pass without json's state machine: it is
// the situation decoder's syntax check, so that its scanner may assume
// valid JSON (FuzzDecodeSituation compares it with json.Valid).
func validJSON(b []byte) bool {
	var stackBuf [64]bool // true for an object, false for an array
	stack := stackBuf[:0]
	i := skipSpace(b, 0)
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return false
		}
		switch c := b[i]; c {
		case '{', '[':
			if len(stack) >= maxJSONDepth {
				return false
			}
			stack = append(stack, c == '{')
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '}' or ']': empty
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				if i = validKey(b, i); i < 0 {
					return false
				}
			}
			continue
		case '"':
			if i = validString(b, i); i < 0 {
				return false
			}
		case 't':
			if !bytes.HasPrefix(b[i:], []byte("true")) {
				return false
			}
			i += 4
		case 'f':
			if !bytes.HasPrefix(b[i:], []byte("false")) {
				return false
			}
			i += 5
		case 'n':
			if !bytes.HasPrefix(b[i:], []byte("null")) {
				return false
			}
			i += 4
		default:
			if i = validNumber(b, i); i < 0 {
				return false
			}
		}
		// A value ended before b[i]: close what it ends, or go to the next.
		for {
			i = skipSpace(b, i)
			if len(stack) == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			object := stack[len(stack)-1]
			switch c := b[i]; {
			case c == ',':
				i = skipSpace(b, i+1)
				if object {
					if i = validKey(b, i); i < 0 {
						return false
					}
				}
			case object && c == '}', !object && c == ']':
				stack = stack[:len(stack)-1]
				i++
				continue
			default:
				return false
			}
			break
		}
	}
}

// validKey checks the key and colon of an object member at b[i] and
// returns the index of its value, or -1.
func validKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = validString(b, i); i < 0 {
		return -1
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return -1
	}
	return skipSpace(b, i+1)
}

// validString returns the index past the JSON string at b[i] (a '"'), or
// -1 when it is not one.
func validString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			if i++; i >= len(b) {
				return -1
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return -1
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

// validNumber returns the index past the JSON number at b[i], or -1.
func validNumber(b []byte, i int) int {
	digits := func(i int) int {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}
