package iso20022

import (
	"strings"
	"unicode/utf8"

	"github.com/dost-az/dost"
)

// maxAmount bounds an amount and a control sum in qəpik: the schemas'
// decimals have at most 18 digits in all.
const maxAmount dost.Money = 999_999_999_999_999_999

// cleanText returns s ready for an element of the schemas' MaxNText types:
// valid UTF-8, no character XML 1.0 cannot carry, tabs and line breaks as
// spaces, runs of spaces collapsed, trimmed, non-empty. A result longer than
// max characters is cut when cut is set and an error otherwise. what names
// the field in errors, e.g. `payment "E2E-1": creditor name`.
func cleanText(field, what, s string, max int, cut bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", dost.FieldErr(field, "iso20022.text_encoding", "%s is not valid UTF-8.", what)
	}
	clean := true // fast path: s needs no change
	prevSpace := true
	for _, r := range s {
		switch {
		case r == ' ':
			if prevSpace {
				clean = false
			}
			prevSpace = true
			continue
		case r == '\t' || r == '\n' || r == '\r':
			clean = false
			prevSpace = true
			continue
		case !xmlChar(r):
			return "", dost.FieldErr(field, "iso20022.text_character", "%s contains the character %U, which an XML file cannot carry.", what, r)
		}
		prevSpace = false
	}
	if prevSpace && s != "" {
		clean = false
	}
	if !clean {
		s = strings.Join(strings.Fields(s), " ")
	}
	if s == "" {
		return "", dost.FieldErr(field, "iso20022.text_required", "%s is empty.", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		if !cut {
			return "", dost.FieldErr(field, "iso20022.text_length", "%s has %d characters; the bank file takes at most %d.", what, n, max)
		}
		i, k := 0, 0
		for i = range s {
			if k == max {
				break
			}
			k++
		}
		s = strings.TrimRight(s[:i], " ")
	}
	return s, nil
}

// xmlChar reports whether r may appear in an XML 1.0 document, leaving out
// the C1 control characters, which no name or text of ours contains.
func xmlChar(r rune) bool {
	switch {
	case r < 0x20:
		return r == '\t' || r == '\n' || r == '\r'
	case r >= 0x7F && r <= 0x9F:
		return false
	case r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError:
		return false
	}
	return true
}

// checkID checks an identifier: 1–35 characters of the SWIFT Latin set
// without space.
func checkID(field, what, s string) error {
	if s == "" || len(s) > 35 {
		return dost.FieldErr(field, "iso20022.id", "%s %q must have 1 to 35 characters.", what, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("/-?:().,'+", c) >= 0) {
			return dost.FieldErr(field, "iso20022.id", "%s %q may only have letters A–Z, digits and / - ? : ( ) . , ' +.", what, s)
		}
	}
	return nil
}

// checkBIC checks a BIC against the schemas' BICFIDec2014Identifier
// pattern: 4 letters or digits, a 2-letter country, 2 letters or digits and
// an optional 3-character branch.
func checkBIC(field, what, s string) error {
	ok := len(s) == 8 || len(s) == 11
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		if i == 4 || i == 5 {
			ok = letter
		} else {
			ok = letter || c >= '0' && c <= '9'
		}
	}
	if !ok {
		return dost.FieldErr(field, "iso20022.bic", "%s %q is not a BIC (8 or 11 capital letters and digits).", what, s)
	}
	return nil
}

// appendEscaped appends s to b with &, < and > escaped. s has passed
// cleanText, so it holds no character that needs a character reference.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// appendMoney appends m as a decimal with two fraction digits; m ≥ 0.
func appendMoney(b []byte, m dost.Money) []byte {
	v := int64(m)
	b = appendInt(b, v/100)
	return append(b, '.', byte('0'+v%100/10), byte('0'+v%10))
}

func appendInt(b []byte, v int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
