package dost

import (
	"slices"
	"strings"
)

// Scope is something an API token may do: "*" (whatever its user's roles
// allow), "*:read" (every read), or an area and an access, "persons:read"
// or "payroll:write". Write includes read: "payroll:write" also allows
// "payroll:read". The area of a route is derived from its path (see
// http.RouteScope); sessions (browsers) are never scoped.
type Scope string

// Scopes every token may carry whatever the route table holds.
const (
	ScopeAll     Scope = "*"
	ScopeReadAll Scope = "*:read"
)

// Accesses of a scope.
const (
	AccessRead  = "read"
	AccessWrite = "write"
)

// NewScope returns the scope of an area and an access ("read" or "write").
func NewScope(area, access string) Scope { return Scope(area + ":" + access) }

// Area returns the scope's area ("*" for ScopeAll and ScopeReadAll).
func (s Scope) Area() string {
	area, _, _ := strings.Cut(string(s), ":")
	return area
}

// Access returns the scope's access: "read", "write", or "" for ScopeAll.
func (s Scope) Access() string {
	_, access, _ := strings.Cut(string(s), ":")
	return access
}

// ParseScope checks a scope's form: "*", "*:read", or a lower-case area
// (letters, digits, "-" and "_", starting with a letter, at most 32
// characters) with ":read" or ":write". EINVALID (code "scope.invalid")
// otherwise. It does not check that the area exists; the route table
// knows the areas (http.Scopes).
func ParseScope(s string) (Scope, error) {
	sc := Scope(strings.ToLower(strings.TrimSpace(s)))
	if sc == ScopeAll || sc == ScopeReadAll {
		return sc, nil
	}
	area, access, ok := strings.Cut(string(sc), ":")
	if ok && validArea(area) && (access == AccessRead || access == AccessWrite) {
		return sc, nil
	}
	return "", &Error{Code: EINVALID, Message: "A scope is \"*\", \"*:read\" or an area with \":read\" or \":write\".",
		Fields: []FieldError{{Field: "scopes", Code: "scope.invalid", Message: "Unknown scope form " + quoteShort(s) + "."}}}
}

func validArea(a string) bool {
	if a == "" || len(a) > 32 || a[0] < 'a' || a[0] > 'z' {
		return false
	}
	for _, c := range a {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// quoteShort quotes s cut to 40 bytes, for messages about client input.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return `"` + strings.ToValidUTF8(s, "") + `"`
}

// Covers reports whether s allows what need names (an area scope).
func (s Scope) Covers(need Scope) bool {
	switch {
	case s == ScopeAll || s == need:
		return true
	case s == ScopeReadAll:
		return need.Access() == AccessRead
	case s.Access() == AccessWrite && need.Access() == AccessRead:
		return s.Area() == need.Area()
	}
	return false
}

// ScopesCover reports whether any of scopes covers need.
func ScopesCover(scopes []Scope, need Scope) bool {
	return slices.ContainsFunc(scopes, func(s Scope) bool { return s.Covers(need) })
}
