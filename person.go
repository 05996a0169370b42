package dost

import (
	"context"
	"strings"
	"time"
)

// Sex is a person's sex as recorded in the registry.
type Sex string

// Sexes.
const (
	SexMale   Sex = "M"
	SexFemale Sex = "F"
)

// PersonStatus says whether a person is alive.
type PersonStatus string

// Person statuses.
const (
	PersonAlive    PersonStatus = "alive"
	PersonDeceased PersonStatus = "deceased"
)

// Person is someone in the registry, keyed by FIN.
type Person struct {
	ID         int64        `json:"id"`
	FIN        FIN          `json:"fin"`
	FirstName  string       `json:"first_name"`
	LastName   string       `json:"last_name"`
	Patronymic string       `json:"patronymic"`
	BirthDate  Date         `json:"birth_date"`
	Sex        Sex          `json:"sex"`
	Phone      string       `json:"phone"`
	Email      string       `json:"email"`
	Region     string       `json:"region"`   // e.g. "Baku", "Ganja-Dashkasan"
	District   string       `json:"district"` // e.g. "Nizami"
	Address    string       `json:"address"`  // street, house, flat
	Status     PersonStatus `json:"status"`
	DeathDate  Date         `json:"death_date,omitzero"`
	IBAN       string       `json:"iban"` // account for payments; "" if none
	Language   string       `json:"language"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// FullName returns "Last First Patronymic", the order of Azerbaijani documents.
func (p *Person) FullName() string {
	return strings.TrimSpace(strings.Join([]string{p.LastName, p.FirstName, p.Patronymic}, " "))
}

// Lang returns the language to write to p in: p.Language when dost speaks
// it, else the first of Languages (az).
func (p *Person) Lang() string {
	if ValidLanguage(p.Language) {
		return p.Language
	}
	return Languages[0]
}

// Normalize fills defaults (status alive, language az) and normalises case
// and spaces. Call it before Validate.
func (p *Person) Normalize() {
	if f, err := ParseFIN(string(p.FIN)); err == nil {
		p.FIN = f
	}
	p.FirstName = strings.TrimSpace(p.FirstName)
	p.LastName = strings.TrimSpace(p.LastName)
	p.Patronymic = strings.TrimSpace(p.Patronymic)
	p.Phone = strings.ReplaceAll(strings.TrimSpace(p.Phone), " ", "")
	p.Email = strings.TrimSpace(p.Email)
	p.IBAN = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(p.IBAN), " ", ""))
	if p.Status == "" {
		p.Status = PersonAlive
	}
	if p.Language == "" {
		p.Language = "az"
	}
}

// Validate checks a person record. It returns an EINVALID *Error naming
// every bad field; today is the date against which birth and death dates are
// checked. Texts must be ValidText, the address may span lines.
func (p *Person) Validate(today Date) error {
	var v Validation
	if !p.FIN.Valid() {
		if _, err := ParseFIN(string(p.FIN)); err != nil {
			v.Fields = append(v.Fields, ErrorFields(err)...)
		} else {
			v.Add("fin", "fin.invalid", "FIN is not normalised.")
		}
	}
	if p.FirstName == "" {
		v.Add("first_name", "required", "First name is required.")
	}
	if p.LastName == "" {
		v.Add("last_name", "required", "Last name is required.")
	}
	v.checkText("first_name", p.FirstName, false)
	v.checkText("last_name", p.LastName, false)
	v.checkText("patronymic", p.Patronymic, false)
	v.checkText("region", p.Region, false)
	v.checkText("district", p.District, false)
	v.checkText("address", p.Address, true)
	if p.BirthDate.IsZero() {
		v.Add("birth_date", "required", "Birth date is required.")
	} else if p.BirthDate.After(today) || p.BirthDate.Year() < 1890 {
		v.Add("birth_date", "date.out_of_range", "Birth date %s is not possible.", p.BirthDate)
	}
	if p.Sex != SexMale && p.Sex != SexFemale {
		v.Add("sex", "sex.invalid", "Sex must be M or F.")
	}
	switch p.Status {
	case PersonAlive:
		if !p.DeathDate.IsZero() {
			v.Add("death_date", "death_date.alive", "A living person has no death date.")
		}
	case PersonDeceased:
		if p.DeathDate.IsZero() {
			v.Add("death_date", "required", "Death date is required for a deceased person.")
		} else if p.DeathDate.Before(p.BirthDate) || p.DeathDate.After(today) {
			v.Add("death_date", "date.out_of_range", "Death date %s is not possible.", p.DeathDate)
		}
	default:
		v.Add("status", "status.invalid", "Status must be alive or deceased.")
	}
	if p.Phone != "" && !validPhone(p.Phone) {
		v.Add("phone", "phone.invalid", "Phone must be digits, optionally starting with +, 7 to 15 digits.")
	}
	if p.Email != "" && (!strings.Contains(p.Email, "@") || strings.ContainsAny(p.Email, " <>") || !ValidText(p.Email, false)) {
		v.Add("email", "email.invalid", "E-mail address is not valid.")
	}
	if p.IBAN != "" {
		if err := ValidateIBAN(p.IBAN); err != nil {
			v.Add("iban", "iban.invalid", "%s", ErrorMessage(err))
		}
	}
	if !ValidLanguage(p.Language) {
		v.Add("language", "language.invalid", "Language must be az, en or ru.")
	}
	return v.Err("The person record has errors.")
}

func validPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// PersonFilter selects persons. Nil fields do not filter. Name is split into
// words, each of which must match the start of the last, first or
// patronymic name, case-insensitively and in any order: "Abbasov Aqil" and
// "aqil abbasov" both find Aqil Abbasov.
type PersonFilter struct {
	ID          *int64
	FIN         *FIN
	FINPrefix   *string
	Name        *string
	BirthDate   *Date
	HouseholdID *int64

	Offset int
	Limit  int // 0 means the default page size, 50
}

// PersonUpdate changes a person; nil fields are left alone.
type PersonUpdate struct {
	FirstName  *string       `json:"first_name"`
	LastName   *string       `json:"last_name"`
	Patronymic *string       `json:"patronymic"`
	BirthDate  *Date         `json:"birth_date"`
	Sex        *Sex          `json:"sex"`
	Phone      *string       `json:"phone"`
	Email      *string       `json:"email"`
	Region     *string       `json:"region"`
	District   *string       `json:"district"`
	Address    *string       `json:"address"`
	Status     *PersonStatus `json:"status"`
	DeathDate  *Date         `json:"death_date"`
	IBAN       *string       `json:"iban"`
	Language   *string       `json:"language"`
}

// Apply copies the set fields of u onto p.
func (u PersonUpdate) Apply(p *Person) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.FirstName, u.FirstName)
	set(&p.LastName, u.LastName)
	set(&p.Patronymic, u.Patronymic)
	set(&p.Phone, u.Phone)
	set(&p.Email, u.Email)
	set(&p.Region, u.Region)
	set(&p.District, u.District)
	set(&p.Address, u.Address)
	set(&p.IBAN, u.IBAN)
	set(&p.Language, u.Language)
	if u.BirthDate != nil {
		p.BirthDate = *u.BirthDate
	}
	if u.Sex != nil {
		p.Sex = *u.Sex
	}
	if u.Status != nil {
		p.Status = *u.Status
	}
	if u.DeathDate != nil {
		p.DeathDate = *u.DeathDate
	}
}

// PersonService manages the registry of persons. Staff with registry access
// call it; the caller's permission is checked by the HTTP layer.
type PersonService interface {
	// FindPersonByID returns a person; ENOTFOUND if there is none.
	FindPersonByID(ctx context.Context, id int64) (*Person, error)

	// FindPersonByFIN returns a person; ENOTFOUND if there is none.
	FindPersonByFIN(ctx context.Context, fin FIN) (*Person, error)

	// FindPersons returns one page of matching persons ordered by last name,
	// first name and FIN, and the total count of matches.
	FindPersons(ctx context.Context, filter PersonFilter) ([]*Person, int, error)

	// CreatePerson normalises, validates and stores p, setting its ID and
	// timestamps. EINVALID on bad fields, ECONFLICT if the FIN is taken.
	CreatePerson(ctx context.Context, p *Person) error

	// UpdatePerson applies upd to the person with the FIN and returns the
	// result. ENOTFOUND, or EINVALID if the result would not validate.
	UpdatePerson(ctx context.Context, fin FIN, upd PersonUpdate) (*Person, error)
}
