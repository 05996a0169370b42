package dost_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
)

func TestParseFIN(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for in, want := range map[string]dost.FIN{"5ZK1R2A": "5ZK1R2A", " 5zk1r2a ": "5ZK1R2A", "0000000": "0000000"} {
			got, err := dost.ParseFIN(in)
			if err != nil || got != want {
				t.Errorf("ParseFIN(%q) = %q, %v; want %q", in, got, err, want)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, in := range []string{"", "5ZK1R2", "5ZK1R2AB", "5ZK-R2A", "5ZK1RƏA", "5ZK 1R2"} {
			_, err := dost.ParseFIN(in)
			if dost.ErrorCode(err) != dost.EINVALID {
				t.Errorf("ParseFIN(%q) error code = %q, want invalid", in, dost.ErrorCode(err))
			}
			if f := dost.ErrorFields(err); len(f) != 1 || f[0].Field != "fin" || f[0].Code != "fin.invalid" {
				t.Errorf("ParseFIN(%q) fields = %+v, want one fin.invalid", in, f)
			}
		}
	})
	t.Run("Masked", func(t *testing.T) {
		if got := dost.FIN("5ZK1R2A").Masked(); got != "5*****A" {
			t.Errorf("Masked() = %q, want 5*****A", got)
		}
	})
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]dost.Money{"320": 32000, "349.76": 34976, "12,5": 1250, "0.05": 5, "-3.10": -310} {
		got, err := dost.ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
		if back, _ := dost.ParseMoney(got.String()); back != got {
			t.Errorf("round trip of %q: got %d, want %d", in, back, got)
		}
	}
	for _, in := range []string{"", "1.234", "abc", "1.", ".5", "1e3", "--1"} {
		if _, err := dost.ParseMoney(in); dost.ErrorCode(err) != dost.EINVALID {
			t.Errorf("ParseMoney(%q) error = %v, want invalid", in, err)
		}
	}
	if got := dost.AZN(320).String(); got != "320.00" {
		t.Errorf("AZN(320) = %s, want 320.00", got)
	}
}

func TestDate(t *testing.T) {
	if _, err := dost.ParseDate("2025-02-30"); dost.ErrorCode(err) != dost.EINVALID {
		t.Errorf("ParseDate(2025-02-30) error = %v, want invalid", err)
	}
	born := dost.MustDate("1961-07-15")
	for on, want := range map[string]int{"2026-07-14": 64, "2026-07-15": 65, "2027-01-01": 65} {
		if got := born.AgeOn(dost.MustDate(on)); got != want {
			t.Errorf("AgeOn(%s) = %d, want %d", on, got, want)
		}
	}
	var d dost.Date
	if err := d.Scan(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)); err != nil || d.String() != "2026-11-26" {
		t.Errorf("Scan(time) = %s, %v; want 2026-11-26", d, err)
	}
	m, _ := dost.ParseMonth("2026-11")
	if got := m.Add(2).String(); got != "2027-01" {
		t.Errorf("2026-11 + 2 = %s, want 2027-01", got)
	}
}

func TestValidateIBAN(t *testing.T) {
	// A valid Azerbaijani IBAN (check digits computed by ISO 13616 mod 97).
	if err := dost.ValidateIBAN("AZ21NABZ00000000137010001944"); err != nil {
		t.Errorf("valid IBAN rejected: %v", err)
	}
	for _, in := range []string{"AZ22NABZ00000000137010001944", "AZ21NABZ0000000013701000194", "az21NABZ00000000137010001944", "GB82WEST1234569876543"} {
		if err := dost.ValidateIBAN(in); err == nil {
			t.Errorf("ValidateIBAN(%q) = nil, want an error", in)
		}
	}
	if got := dost.BankCode("AZ21NABZ00000000137010001944"); got != "NABZ" {
		t.Errorf("BankCode = %q, want NABZ", got)
	}
}

func validPerson() *dost.Person {
	return &dost.Person{FIN: "5zk1r2a", FirstName: " Aysel ", LastName: "Məmmədova", Patronymic: "Rəşad qızı",
		BirthDate: dost.MustDate("1990-03-08"), Sex: dost.SexFemale, Phone: "+994 50 123 45 67"}
}

func TestPersonValidate(t *testing.T) {
	today := dost.MustDate("2026-11-26")
	t.Run("OK", func(t *testing.T) {
		p := validPerson()
		p.Normalize()
		if err := p.Validate(today); err != nil {
			t.Fatal(err)
		}
		if p.FIN != "5ZK1R2A" || p.FirstName != "Aysel" || p.Phone != "+994501234567" || p.Status != dost.PersonAlive || p.Language != "az" {
			t.Errorf("Normalize gave %+v", p)
		}
		if got := p.FullName(); got != "Məmmədova Aysel Rəşad qızı" {
			t.Errorf("FullName() = %q", got)
		}
	})
	t.Run("ErrFields", func(t *testing.T) {
		p := &dost.Person{FIN: "12", BirthDate: dost.MustDate("2030-01-01"), Sex: "X", Status: dost.PersonDeceased, Language: "de", IBAN: "AZ00"}
		err := p.Validate(today)
		var e *dost.Error
		if !errors.As(err, &e) || e.Code != dost.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
		got := map[string]bool{}
		for _, f := range e.Fields {
			got[f.Field] = true
		}
		for _, want := range []string{"fin", "first_name", "last_name", "birth_date", "sex", "death_date", "language", "iban"} {
			if !got[want] {
				t.Errorf("no field error for %s in %v", want, e.Fields)
			}
		}
	})
}

func TestHouseholdValidate(t *testing.T) {
	h := &dost.Household{Code: "HH1", Members: []*dost.HouseholdMember{{FIN: "AAAAAA1", Role: dost.RoleHead}, {FIN: "AAAAAA1", Role: dost.RoleHead}, {FIN: "AAAAAA2", Role: "cousin"}}}
	err := h.Validate()
	msg := err.Error()
	for _, want := range []string{"exactly one head", "listed twice", "Unknown role"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	h.Members = h.Members[:1]
	if err := h.Validate(); err != nil {
		t.Errorf("one head: %v", err)
	}
}

func TestCategoryOfCode(t *testing.T) {
	for code, want := range map[string]dost.Category{"05-04-02-00": dost.CategoryPensionsBenefits, "10-01-01-00": dost.CategorySupportingServices, "01-01-01-01": dost.CategoryCertificates, "11-01-01-00": "", "5-04-02-00": ""} {
		if got := dost.CategoryOfCode(code); got != want {
			t.Errorf("CategoryOfCode(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestRoleAccess(t *testing.T) {
	u := &dost.User{Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{3}}
	if !u.HasRole(dost.RoleOperator) || u.HasRole(dost.RoleAdmin) {
		t.Error("HasRole wrong")
	}
	if !u.InCentre(3) || u.InCentre(1) {
		t.Error("InCentre wrong")
	}
	if !(&dost.User{}).InCentre(1) {
		t.Error("an unscoped user is in every centre")
	}
}

func TestErrorCode(t *testing.T) {
	if got := dost.ErrorCode(errors.New("boom")); got != dost.EINTERNAL {
		t.Errorf("ErrorCode(plain) = %q, want internal", got)
	}
	if got := dost.ErrorMessage(errors.New("secret detail")); strings.Contains(got, "secret") {
		t.Errorf("internal message leaked: %q", got)
	}
	wrapped := errors.Join(errors.New("ctx"), dost.Errorf(dost.ENOTFOUND, "no such person"))
	if dost.ErrorCode(wrapped) != dost.ENOTFOUND {
		t.Errorf("wrapped code lost")
	}
}

func TestValidText(t *testing.T) {
	for _, tc := range []struct {
		s         string
		multiline bool
		want      bool
	}{
		{"Məmmədova Aysel", false, true},
		{"", false, true},
		{"Qara Qarayev 12\nm. 5", true, true},
		{"Qara Qarayev 12\r\n\tm. 5", true, true},
		{"Qara Qarayev 12\nm. 5", false, false},
		{"A\tb", false, false},
		{"A\x00b", true, false},
		{"\xff", true, false},
		{"Ab\xc3", false, false},
		{"A\x7fb", false, false},
		{"A\u0085b", true, false}, // C1 control
	} {
		if got := dost.ValidText(tc.s, tc.multiline); got != tc.want {
			t.Errorf("ValidText(%q, %v) = %v, want %v", tc.s, tc.multiline, got, tc.want)
		}
	}
}

// TestValidateText checks that every Validate names a field holding text
// that cannot be stored, with code "text.invalid".
func TestValidateText(t *testing.T) {
	today := dost.MustDate("2026-11-16")
	hasField := func(t *testing.T, err error, field string) {
		t.Helper()
		if dost.ErrorCode(err) != dost.EINVALID {
			t.Fatalf("error: got %v, want invalid", err)
		}
		for _, f := range dost.ErrorFields(err) {
			if f.Field == field && f.Code == "text.invalid" {
				return
			}
		}
		t.Fatalf("fields: got %+v, want %s text.invalid", dost.ErrorFields(err), field)
	}
	person := func() *dost.Person {
		return &dost.Person{FIN: "5ZK1R2A", FirstName: "Aysel", LastName: "Məmmədova", BirthDate: dost.MustDate("1990-01-01"),
			Sex: dost.SexFemale, Address: "Qara Qarayev 12\nm. 5"}
	}
	t.Run("Person", func(t *testing.T) {
		p := person()
		p.Normalize()
		if err := p.Validate(today); err != nil {
			t.Fatalf("multi-line address: got %v, want nil", err)
		}
		for field, set := range map[string]func(p *dost.Person){
			"first_name": func(p *dost.Person) { p.FirstName = "A\x00b" },
			"last_name":  func(p *dost.Person) { p.LastName = "\xff" },
			"patronymic": func(p *dost.Person) { p.Patronymic = "a\nb" },
			"region":     func(p *dost.Person) { p.Region = "Baku\x00" },
			"district":   func(p *dost.Person) { p.District = "\xc3" },
			"address":    func(p *dost.Person) { p.Address = "a\x00" },
		} {
			p := person()
			set(p)
			p.Normalize()
			hasField(t, p.Validate(today), field)
		}
	})
	t.Run("Household", func(t *testing.T) {
		h := &dost.Household{Code: "HH1\x00", Address: "a\nb"}
		hasField(t, h.Validate(), "code")
		h = &dost.Household{Code: "HH1", Members: []*dost.HouseholdMember{{FIN: "\xff", Role: dost.RoleHead}}}
		hasField(t, h.Validate(), "members[0].fin")
	})
	t.Run("User", func(t *testing.T) {
		u := &dost.User{Username: "aysel\xff", Roles: []dost.Role{dost.RoleAdmin}}
		hasField(t, u.Validate(), "username")
		u = &dost.User{Username: "aysel", Name: "A\x00", Roles: []dost.Role{dost.RoleAdmin}}
		hasField(t, u.Validate(), "name")
	})
	t.Run("Centre", func(t *testing.T) {
		c := &dost.Centre{Code: "baku-3", Name: dost.Text{AZ: "a", EN: "b\x00", RU: "c"}, Timezone: "Asia/Baku",
			Address: dost.Text{AZ: "a\nb", EN: "a", RU: "a"}, Counters: []*dost.Counter{{Number: 1, Label: "\xff"}}}
		hasField(t, c.Validate(), "name.en")
		hasField(t, c.Validate(), "counters[0].label")
		for _, f := range dost.ErrorFields(c.Validate()) {
			if f.Field == "address.az" {
				t.Fatalf("multi-line address: got %+v, want no error", f)
			}
		}
	})
	t.Run("Service", func(t *testing.T) {
		tx := func(s string) dost.Text { return dost.Text{AZ: s, EN: s, RU: s} }
		s := &dost.Service{Code: "05-04-02-00", Category: dost.CategoryPensionsBenefits, Name: tx("Pension\x00"),
			Description: tx("line one\nline two"), PerformingUnit: tx("unit"), LegalBasis: tx("law"),
			RequestChannels: []dost.Channel{dost.ChannelInPerson}, ElectronicDelivery: dost.DegreeFull,
			Automation: dost.DegreeFull, AssignmentMode: dost.ModeNone, QueueGroup: "P", Users: []string{"citizens\xff"}}
		err := s.Validate()
		hasField(t, err, "name.az")
		hasField(t, err, "users[0]")
		for _, f := range dost.ErrorFields(err) {
			if f.Field == "description.az" {
				t.Fatalf("multi-line description: got %+v, want no error", f)
			}
		}
	})
	t.Run("InsurancePeriod", func(t *testing.T) {
		p := &dost.InsurancePeriod{PersonID: 1, Employer: "Azərsu\x00", From: dost.MustDate("2020-01-01")}
		hasField(t, p.Validate(), "employer")
	})
}
