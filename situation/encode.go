package situation

import (
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/dost-az/dost/rules"
)

// ErrNotFinite is the error of a computed number that JSON cannot carry.
var ErrNotFinite = errors.New("is not a finite number (a division by zero in the rules?)")

// AppendJSON appends s, answered, to b as JSON: the request's shape
// with the nulls filled in, keys sorted, money as AZN with two decimals,
// as encoding/json would write it (without HTML escaping). A computed
// value that is not a finite number is an *Error naming it.
func (s *Situation) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"persons":{`...)
	for i, p := range s.persons {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p.id)
		b = append(b, ':', '{')
		for j := range p.vars {
			if j > 0 {
				b = append(b, ',')
			}
			if b, err = p.appendVar(b, j, "Person "); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	b = append(b, `},"households":{`...)
	first := true
	for _, h := range s.households {
		if h.lone {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, h.id)
		b = append(b, ':')
		if b, err = h.appendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, '}', '}'), nil
}

// appendJSON appends h as an object: its variables and its own fields
// (head, members and roles when any), keys sorted.
func (h *household) appendJSON(b []byte) ([]byte, error) {
	own := []string{"head", "members", "roles"}
	if len(h.roles) == 0 {
		own = own[:2]
	}
	b = append(b, '{')
	n := 0 // keys written
	for i := 0; i < len(h.vars) || len(own) > 0; n++ {
		if n > 0 {
			b = append(b, ',')
		}
		// The decoder takes head, members and roles as the household's
		// fields: no variable has their names.
		if len(own) > 0 && (i == len(h.vars) || own[0] < h.vars[i].v.Name) {
			b = h.appendField(b, own[0])
			own = own[1:]
			continue
		}
		var err error
		if b, err = h.appendVar(b, i, "Household "); err != nil {
			return nil, err
		}
		i++
	}
	return append(b, '}'), nil
}

// appendField appends the household's own field "head", "members" or
// "roles" as a key and its value.
func (h *household) appendField(b []byte, field string) []byte {
	b = appendJSONString(b, field)
	b = append(b, ':')
	switch field {
	case "head":
		return appendJSONString(b, h.head)
	case "members":
		b = append(b, '[')
		for i, m := range h.members {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m.id)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for i, r := range h.roles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, r.id)
		b = append(b, ':')
		b = appendJSONString(b, r.role)
	}
	return append(b, '}')
}

// appendVar appends ent's i-th variable as "name":{"period":value,…}.
// who prefixes ent's id in an error's message.
func (ent *entity) appendVar(b []byte, i int, who string) ([]byte, error) {
	sv := &ent.vars[i]
	b = appendJSONString(b, sv.v.Name)
	b = append(b, ':', '{')
	for j, val := range sv.vals {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, val.period)
		b = append(b, ':')
		var err error
		if b, err = appendJSONValue(b, sv.v, val.x); err != nil {
			return nil, &Error{Message: fmt.Sprintf("%s%s: %s for %s %v.", who, ent.id, sv.v.Name, val.period, err)}
		}
	}
	return append(b, '}'), nil
}

// appendJSONValue appends an engine value of v as encoding/json would
// write it, but money with two decimals; NaN and infinities are
// ErrNotFinite.
func appendJSONValue(b []byte, v *rules.Variable, x any) ([]byte, error) {
	switch y := x.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, y), nil
	case int64:
		return strconv.AppendInt(b, y, 10), nil
	case int:
		return strconv.AppendInt(b, int64(y), 10), nil
	case string:
		return appendJSONString(b, y), nil
	case float64:
		if math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, ErrNotFinite
		}
		if v != nil && v.Type == rules.Money {
			return strconv.AppendFloat(b, y, 'f', 2, 64), nil
		}
		return appendJSONFloat(b, y), nil
	}
	out, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

// appendJSONFloat appends f as encoding/json writes a float64: the
// shortest decimal, in exponent form below 1e-6 and from 1e21.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json quotes a string
// without HTML escaping: control characters, quote and backslash escaped,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// PersonIDs returns the ids of s's persons, sorted.
func (s *Situation) PersonIDs() []string {
	ids := make([]string, len(s.persons))
	for i, p := range s.persons {
		ids[i] = p.id
	}
	return ids
}

// HouseholdIDs returns the ids of the households s lists, sorted (not the
// households made up for persons listed in none).
func (s *Situation) HouseholdIDs() []string {
	ids := make([]string, 0, len(s.households))
	for _, h := range s.households {
		if !h.lone {
			ids = append(ids, h.id)
		}
	}
	return ids
}

// A Value is one value of a situation: of Variable, for the person or
// household ID (Entity says which), in Period as the situation writes it
// ("2026-11", "2026", EternityKey). X is a bool, an int64, a float64 or a
// string, or nil while it is not computed.
type Value struct {
	Entity   rules.Entity
	ID       string
	Variable *rules.Variable
	Period   string
	X        any
}

// Values returns the values of s: its persons' by id, then its
// households' (as HouseholdIDs), each by variable name and period.
func (s *Situation) Values() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		each := func(kind rules.Entity, ent *entity) bool {
			for _, sv := range ent.vars {
				for _, val := range sv.vals {
					if !yield(Value{kind, ent.id, sv.v, val.period, val.x}) {
						return false
					}
				}
			}
			return true
		}
		for _, p := range s.persons {
			if !each(rules.Person, p) {
				return
			}
		}
		for _, h := range s.households {
			if !h.lone && !each(rules.Household, &h.entity) {
				return
			}
		}
	}
}
