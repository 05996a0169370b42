package pdf

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// crockford is Douglas Crockford's base32 alphabet: digits and upper-case
// letters without I, L, O and U, so that a code read aloud or typed from
// paper is not mistaken.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var codeEncoding = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

// letterCodeLength is the number of symbols in a letter code: 80 random
// bits.
const letterCodeLength = 16

// LetterCode returns a new random letter code: 16 symbols of Crockford's
// base32 (80 bits from crypto/rand, not guessable) in groups of four, e.g.
// "7K3M-Q9TX-2BHD-WF0E". It is what a decision letter prints and the
// public verification page asks for. Codes are unique with overwhelming
// probability; storage should still make them unique.
func LetterCode() string {
	var b [letterCodeLength * 5 / 8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return group(codeEncoding.EncodeToString(b[:]))
}

// group writes a code of 16 symbols as four groups of four joined by "-".
func group(s string) string {
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalizeLetterCode returns the canonical form of a letter code as a
// person typed it, and whether it is one: case, spaces and dashes do not
// matter, and the letters O, I and L are read as the digits 0, 1 and 1.
// The canonical form is what LetterCode returns; NormalizeLetterCode of it
// is itself.
func NormalizeLetterCode(s string) (string, bool) {
	if len(s) > 64 { // no code is that long; do not work on garbage
		return "", false
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 'Z' || !strings.ContainsRune(crockford, r) {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != letterCodeLength {
		return "", false
	}
	return group(b.String()), true
}
