package dost

import (
	"database/sql/driver"
	"fmt"
	"strings"
)

// FIN is a personal identification code: the 7 characters printed on the
// national ID card, digits and upper-case Latin letters. A FIN value that
// came from ParseFIN is valid and upper-case.
type FIN string

// FINLength is the number of characters in a FIN.
const FINLength = 7

// ParseFIN trims spaces, upper-cases s and checks that it is a FIN. It
// returns an EINVALID *Error with field "fin" and code "fin.invalid".
func ParseFIN(s string) (FIN, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return "", finError("A FIN has only digits and Latin letters; %q is not allowed.", c)
		}
	}
	if len(s) != FINLength {
		return "", finError("A FIN has exactly 7 characters, got %d.", len(s))
	}
	return FIN(s), nil
}

func finError(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: EINVALID, Message: msg, Fields: []FieldError{{Field: "fin", Code: "fin.invalid", Message: msg}}}
}

// Valid reports whether f is a well-formed, normalised FIN.
func (f FIN) Valid() bool {
	g, err := ParseFIN(string(f))
	return err == nil && g == f
}

// Masked returns f with all but its first and last characters hidden, the
// only form of a FIN that may appear in logs.
func (f FIN) Masked() string {
	if len(f) < 2 {
		return "*******"
	}
	return string(f[0]) + strings.Repeat("*", len(f)-2) + string(f[len(f)-1])
}

// Value implements driver.Valuer.
func (f FIN) Value() (driver.Value, error) { return string(f), nil }
