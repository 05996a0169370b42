package pdf_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dost-az/dost/pdf"
)

var canonicalCode = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)

func TestLetterCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := pdf.LetterCode()
		if !canonicalCode.MatchString(c) {
			t.Fatalf("LetterCode() = %q, want 4 groups of 4 Crockford base32 symbols", c)
		}
		if n, ok := pdf.NormalizeLetterCode(c); !ok || n != c {
			t.Fatalf("NormalizeLetterCode(%q) = %q, %v, want itself", c, n, ok)
		}
		if seen[c] {
			t.Fatalf("LetterCode() repeated %q", c)
		}
		seen[c] = true
	}
}

func TestNormalizeLetterCode(t *testing.T) {
	const want = "0123-4567-89AB-CDEF"
	for _, in := range []string{
		want, "0123456789abcdef", " 0123 4567 89ab cdef ", "o123-4567-89ab-cdef", "O123-4567-89AB-CDEF",
		"0i23-4567-89ab-cdef", "0L23-4567-89AB-CDEF", "0l23--4567-89ab-cdef", "0123-4567-89AB-CDEF\t",
	} {
		if got, ok := pdf.NormalizeLetterCode(in); !ok || got != want {
			t.Errorf("NormalizeLetterCode(%q) = %q, %v, want %q, true", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "0123-4567-89AB-CDE", "0123-4567-89AB-CDEF0", "0123-4567-89AB-CDEU", "0123_4567_89AB_CDEF",
		"0123-4567-89AB-CDÉF", "0123-4567-89AB-ĆDEF", "0123-4567-89AB-CD\x00F", strings.Repeat("0", 100),
	} {
		if got, ok := pdf.NormalizeLetterCode(in); ok || got != "" {
			t.Errorf("NormalizeLetterCode(%q) = %q, %v, want \"\", false", in, got, ok)
		}
	}
}

// FuzzNormalizeLetterCode checks that whatever is accepted comes out
// canonical, is accepted again unchanged, and that case does not matter.
func FuzzNormalizeLetterCode(f *testing.F) {
	for _, s := range []string{"0123-4567-89AB-CDEF", "o123456789abcdef", "ILIL-OOOO-ZZZZ-YYYY", "", "-", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := pdf.NormalizeLetterCode(s)
		if !ok {
			if got != "" {
				t.Fatalf("NormalizeLetterCode(%q) = %q, false, want \"\"", s, got)
			}
			return
		}
		if !canonicalCode.MatchString(got) {
			t.Fatalf("NormalizeLetterCode(%q) = %q, not canonical", s, got)
		}
		if again, ok := pdf.NormalizeLetterCode(got); !ok || again != got {
			t.Fatalf("NormalizeLetterCode(%q) = %q, %v, want itself", got, again, ok)
		}
		for _, variant := range []string{strings.ToLower(s), strings.ToUpper(s), strings.ReplaceAll(s, "-", "")} {
			if v, ok := pdf.NormalizeLetterCode(variant); !ok || v != got {
				t.Fatalf("NormalizeLetterCode(%q) = %q, %v, want %q as for %q", variant, v, ok, got, s)
			}
		}
	})
}
