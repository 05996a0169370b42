package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

// FuzzParseFIN checks that ParseFIN accepts only 7 digits and capital
// letters (after trimming and upper-casing) and returns a valid FIN.
func FuzzParseFIN(f *testing.F) {
	for _, s := range []string{"5ZR2K8T", " 5zr2k8t ", "ABC12", "ABCDEFGH", "ÄBC1234", "ABC-123", "", "ǅABCDEF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fin, err := dost.ParseFIN(s)
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID || len(dost.ErrorFields(err)) == 0 || dost.ErrorFields(err)[0].Field != "fin" {
				t.Fatalf("ParseFIN(%q): error %v, want invalid on field fin", s, err)
			}
			return
		}
		if !fin.Valid() || len(fin) != dost.FINLength {
			t.Fatalf("ParseFIN(%q) = %q, not valid", s, fin)
		}
		for _, c := range string(fin) {
			if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				t.Fatalf("ParseFIN(%q) = %q", s, fin)
			}
		}
		if again, err := dost.ParseFIN(string(fin)); err != nil || again != fin {
			t.Fatalf("ParseFIN(%q) = %q, %v; not idempotent", fin, again, err)
		}
	})
}

// FuzzParseMoney checks that a parsed amount formats and parses back to
// itself.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"320", "349.76", "12,5", "-0.01", "0.1.2", "1e3", "999999999999999.99", "-", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := dost.ParseMoney(s)
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID {
				t.Fatalf("ParseMoney(%q): error %v, want invalid", s, err)
			}
			return
		}
		back, err := dost.ParseMoney(m.String())
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q) = %v, which parses back as %v, %v", s, m, back, err)
		}
	})
}

// FuzzParseDate checks that a parsed date formats back to its input and
// that ParseDate rejects impossible dates.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-01", "2025-02-30", "2024-02-29", "2026-13-01", "26-1-1", "0000-01-01", "0001-01-01", "1799-12-31", "2026-11-01T00:00:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := dost.ParseDate(s)
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID {
				t.Fatalf("ParseDate(%q): error %v, want invalid", s, err)
			}
			return
		}
		if d.IsZero() || d.Year() < dost.MinYear {
			t.Fatalf("ParseDate(%q) = %v, want a date from %d on", s, d, dost.MinYear)
		}
		if got := d.String(); got != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, got)
		}
	})
}
