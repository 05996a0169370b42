package dost

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount of Azerbaijani manat (AZN) in qəpik, its minor unit
// (1 AZN = 100 qəpik). It is never a float.
type Money int64

// Currency is the ISO 4217 code of Money.
const Currency = "AZN"

// AZN returns whole manat as Money.
func AZN(manat int64) Money { return Money(manat * 100) }

// String formats m as manat with two decimals, e.g. "349.76".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// ParseMoney parses a manat amount with at most two decimals ("320",
// "349.76", "12,5"). It returns an EINVALID *Error on anything else.
func ParseMoney(s string) (Money, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (frac == "" || len(frac) > 2)) || len(whole) > 15 {
		return 0, Errorf(EINVALID, "%q is not an amount of money.", s)
	}
	w, err := strconv.ParseUint(whole, 10, 63)
	if err != nil {
		return 0, Errorf(EINVALID, "%q is not an amount of money.", s)
	}
	var f uint64
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		if f, err = strconv.ParseUint(frac, 10, 8); err != nil {
			return 0, Errorf(EINVALID, "%q is not an amount of money.", s)
		}
	}
	m := Money(w*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}

// MarshalText formats m as manat, so JSON carries "349.76".
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses manat.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseMoney(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
