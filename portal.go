package dost

import (
	"context"
	"strings"
)

// ProfileUpdate is what a citizen changes about themself on the portal:
// the phone and e-mail dost reaches them at, and the language dost writes
// to them in (pages and notifications). Nil fields do not change; an empty
// phone or e-mail removes it.
type ProfileUpdate struct {
	Phone    *string `json:"phone"`
	Email    *string `json:"email"`
	Language *string `json:"language"`
}

// Normalize trims spaces, lower-cases the e-mail and language, and puts a
// valid phone in its canonical form (CanonicalPhone), the one the registry
// stores: "+994 (50) 123-45-67" becomes "+994501234567".
func (u *ProfileUpdate) Normalize() {
	for _, p := range []*string{u.Phone, u.Email, u.Language} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	if u.Phone != nil && ValidPhone(*u.Phone) {
		*u.Phone = CanonicalPhone(*u.Phone)
	}
	if u.Email != nil {
		*u.Email = strings.ToLower(*u.Email)
	}
	if u.Language != nil {
		*u.Language = strings.ToLower(*u.Language)
	}
}

// Validate checks the update: a phone of 7 to 15 digits with an optional
// leading "+" (spaces, hyphens and brackets may group them), an e-mail
// address of the shape local@domain.tld of at most 254 bytes, a language
// of Languages. Field codes: phone.invalid, email.invalid,
// language.invalid.
func (u *ProfileUpdate) Validate() error {
	var v Validation
	if u.Phone != nil && *u.Phone != "" && !ValidPhone(*u.Phone) {
		v.Add("phone", "phone.invalid", "A phone number has 7 to 15 digits, optionally after a +.")
	}
	if u.Email != nil && *u.Email != "" && !ValidEmail(*u.Email) {
		v.Add("email", "email.invalid", "The e-mail address is not valid.")
	}
	if u.Language != nil && !ValidLanguage(*u.Language) {
		v.Add("language", "language.invalid", "The language is one of %s.", strings.Join(Languages, ", "))
	}
	return v.Err("The profile has errors.")
}

// ValidPhone reports whether p looks like a phone number: an optional
// leading "+", then 7 to 15 digits, which spaces, hyphens and brackets may
// group; at most 32 bytes.
func ValidPhone(p string) bool {
	if len(p) > 32 {
		return false
	}
	p = strings.TrimPrefix(p, "+")
	n := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return n >= 7 && n <= 15
}

// CanonicalPhone returns p with the spaces, hyphens and brackets that
// group its digits removed: an optional leading "+" and digits, as
// Person.Validate accepts. p should be ValidPhone.
func CanonicalPhone(p string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, p)
}

// ValidEmail reports whether e has the shape of an e-mail address:
// local@domain with a dot in the domain, no spaces or control characters,
// at most 254 bytes.
func ValidEmail(e string) bool {
	if len(e) > 254 || !ValidText(e, false) || strings.ContainsAny(e, " \t<>,;\"") {
		return false
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}

// PortalService serves what the citizen's account (the portal, /my and
// /api/v1/me) needs beyond the other services. The HTTP layer passes the
// signed-in citizen's own user and person IDs, never IDs from a URL.
type PortalService interface {
	// UpdateProfile validates upd and applies it in one transaction: the
	// phone, e-mail and language to the person personID, the e-mail to
	// the user account userID too. It returns the person updated.
	// EINVALID with field errors (nothing changed), ENOTFOUND for an
	// unknown person or user.
	UpdateProfile(ctx context.Context, userID, personID int64, upd ProfileUpdate) (*Person, error)

	// FindHouseholdAwards returns, newest first, the awards whose
	// beneficiary is personID or a member of personID's household, the
	// household's own awards, and the awards paid to personID (as payee),
	// with the total count. An award of someone outside the household
	// paid to another member is not listed: it is that member's and the
	// outsider's business.
	FindHouseholdAwards(ctx context.Context, personID int64, offset, limit int) ([]*Award, int, error)
}
