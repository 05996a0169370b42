package dost

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// fieldIndex names an element's field in a list, e.g. "members[2].role".
func fieldIndex(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// ValidText reports whether s is text dost stores: valid UTF-8 without
// control characters. Multi-line text (multiline set: addresses,
// descriptions, legal bases, steps) may also hold line breaks and tabs
// (\n, \r, \t); single-line text (names, codes, phones, labels) may not.
// NUL is never allowed: PostgreSQL cannot store it, and SQLite ends text
// at it.
func ValidText(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return false
		}
	}
	return true
}

// checkText adds a "text.invalid" error for field unless ValidText(s,
// multiline).
func (v *Validation) checkText(field, s string, multiline bool) {
	if !ValidText(s, multiline) {
		v.Add(field, "text.invalid", "The text contains characters that are not allowed.")
	}
}

// checkTexts is checkText for each language of t, naming the field
// "name.az", "name.en" and so on.
func (v *Validation) checkTexts(field string, t Text, multiline bool) {
	v.checkText(field+".az", t.AZ, multiline)
	v.checkText(field+".en", t.EN, multiline)
	v.checkText(field+".ru", t.RU, multiline)
}
