package situation

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

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
	// of variables and values, cut by variables and values.
	vars []variable
	vals []value
}

// variables returns an empty slice of capacity n for a situation's
// variables, cut from a slab shared by the situation.
func (sc *scanner) variables(n int) []variable { return cut(&sc.vars, n) }

// values is variables for values.
func (sc *scanner) values(n int) []value { return cut(&sc.vals, n) }

// cut returns an empty slice of capacity n cut from the front of *slab,
// which it first replaces by a new one when it is too short.
func cut[T any](slab *[]T, n int) []T {
	if n > len(*slab) {
		*slab = make([]T, max(n, 32))
	}
	s := (*slab)[:0:n]
	*slab = (*slab)[n:]
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
