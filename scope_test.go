package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

func TestParseScope(t *testing.T) {
	for in, want := range map[string]dost.Scope{
		"*": "*", "*:read": "*:read", " Persons:Read ": "persons:read", "payroll:write": "payroll:write",
		"hall-kiosk:read": "hall-kiosk:read", "a_b9:write": "a_b9:write",
	} {
		got, err := dost.ParseScope(in)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "persons", "persons:", ":read", "*:write", "persons:delete", "9a:read",
		"per sons:read", "persons:read:x", "é:read", "abcdefghijklmnopqrstuvwxyzabcdefg:read"} {
		if _, err := dost.ParseScope(in); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("ParseScope(%q): got %v, want invalid", in, err)
		}
	}
}

func TestScopeCovers(t *testing.T) {
	for _, tc := range []struct {
		have, need dost.Scope
		want       bool
	}{
		{"*", "payroll:write", true},
		{"*:read", "payroll:read", true},
		{"*:read", "payroll:write", false},
		{"payroll:write", "payroll:read", true},
		{"payroll:write", "payroll:write", true},
		{"payroll:read", "payroll:write", false},
		{"payroll:write", "persons:read", false},
		{"persons:read", "persons:read", true},
	} {
		if got := tc.have.Covers(tc.need); got != tc.want {
			t.Errorf("%s covers %s: got %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	if !dost.ScopesCover([]dost.Scope{"events:write", "persons:read"}, "persons:read") ||
		dost.ScopesCover([]dost.Scope{"events:write"}, "persons:read") || dost.ScopesCover(nil, "persons:read") {
		t.Error("ScopesCover")
	}
}

// FuzzParseScope checks that whatever ParseScope accepts is in its
// canonical form (parsing it again changes nothing) and of the documented
// shape, and that it never panics.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"*", "*:read", "persons:read", "x:write", "", ":", "a:b:c", "ü:read"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := dost.ParseScope(s)
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID {
				t.Fatalf("%q: got %v, want invalid", s, err)
			}
			return
		}
		again, err := dost.ParseScope(string(sc))
		if err != nil || again != sc {
			t.Fatalf("%q → %q → %q, %v", s, sc, again, err)
		}
		if sc != dost.ScopeAll && sc.Access() != dost.AccessRead && sc.Access() != dost.AccessWrite {
			t.Fatalf("%q: access %q", s, sc.Access())
		}
	})
}
