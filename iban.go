package dost

import "strings"

// ValidateIBAN checks an IBAN's shape and ISO 13616 check digits (mod 97).
// Azerbaijani IBANs have 28 characters: AZ, 2 check digits, a 4-letter bank
// code and 20 account characters. It returns an EINVALID *Error.
func ValidateIBAN(iban string) error {
	if len(iban) < 15 || len(iban) > 34 {
		return Errorf(EINVALID, "An IBAN has 15 to 34 characters.")
	}
	for i, c := range iban {
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return Errorf(EINVALID, "An IBAN starts with a country code.")
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return Errorf(EINVALID, "An IBAN has check digits after the country code.")
		case !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'):
			return Errorf(EINVALID, "An IBAN has only digits and capital letters.")
		}
	}
	if strings.HasPrefix(iban, "AZ") && len(iban) != 28 {
		return Errorf(EINVALID, "An Azerbaijani IBAN has 28 characters.")
	}
	rem := 0
	for _, c := range iban[4:] + iban[:4] {
		if c >= 'A' {
			n := int(c-'A') + 10
			rem = (rem*100 + n) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	if rem != 1 {
		return Errorf(EINVALID, "The IBAN's check digits are wrong.")
	}
	return nil
}

// BankCode returns the 4-letter bank code of an Azerbaijani IBAN, or "".
func BankCode(iban string) string {
	if len(iban) != 28 || !strings.HasPrefix(iban, "AZ") {
		return ""
	}
	return iban[4:8]
}
