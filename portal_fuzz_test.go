package dost_test

import (
	"strings"
	"testing"

	"github.com/dost-az/dost"
)

// FuzzProfileUpdate feeds the portal's profile form and PATCH body (what a
// citizen types) through Normalize and Validate: no panic, and what
// passes is what the store may keep (a phone of 7 to 15 digits, an e-mail
// of one @ and a dotted domain, a language dost speaks).
func FuzzProfileUpdate(f *testing.F) {
	for _, s := range [][3]string{
		{"+994 50 123 45 67", "name@example.az", "az"},
		{"", "", "en"},
		{"12", "no-at", "de"},
		{"(050) 123-45-67", "A@B.C", "RU"},
		{"+", "a@@b.c", ""},
		{"1234567890123456", "a@b..c", "ru"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, phone, email, lang string) {
		u := dost.ProfileUpdate{Phone: &phone, Email: &email, Language: &lang}
		u.Normalize()
		err := u.Validate()
		if err != nil {
			if dost.ErrorCode(err) != dost.EINVALID || len(dost.ErrorFields(err)) == 0 {
				t.Fatalf("got %v, want EINVALID with fields", err)
			}
			return
		}
		if *u.Phone != "" {
			digits := 0
			for _, r := range *u.Phone {
				if r >= '0' && r <= '9' {
					digits++
				}
			}
			if digits < 7 || digits > 15 || len(*u.Phone) > 32 {
				t.Fatalf("phone %q passed", *u.Phone)
			}
			// What passes is in the registry's form: an optional + and
			// digits only (Person.Validate refuses anything else).
			if rest := strings.TrimPrefix(*u.Phone, "+"); len(rest) != digits {
				t.Fatalf("phone %q passed but is not canonical", *u.Phone)
			}
			p := dost.Person{Phone: *u.Phone}
			for _, fe := range dost.ErrorFields(p.Validate(dost.MustDate("2026-11-27"))) {
				if fe.Field == "phone" {
					t.Fatalf("phone %q passed the profile but not the registry", *u.Phone)
				}
			}
		}
		if *u.Email != "" && (strings.Count(*u.Email, "@") != 1 || len(*u.Email) > 254 || !dost.ValidText(*u.Email, false)) {
			t.Fatalf("e-mail %q passed", *u.Email)
		}
		if !dost.ValidLanguage(*u.Language) {
			t.Fatalf("language %q passed", *u.Language)
		}
	})
}

// TestProfileUpdate checks the profile's rules on a few cases.
func TestProfileUpdate(t *testing.T) {
	s := func(v string) *string { return &v }
	for _, tc := range []struct {
		name   string
		u      dost.ProfileUpdate
		fields []string
	}{
		{"OK", dost.ProfileUpdate{Phone: s("+994 50 123 45 67"), Email: s(" Name@Example.AZ "), Language: s("RU")}, nil},
		{"OKNothing", dost.ProfileUpdate{}, nil},
		{"OKRemove", dost.ProfileUpdate{Phone: s(""), Email: s("")}, nil},
		{"ErrPhoneShort", dost.ProfileUpdate{Phone: s("123456")}, []string{"phone"}},
		{"ErrPhoneLetters", dost.ProfileUpdate{Phone: s("+994 50 ABC 45 67")}, []string{"phone"}},
		{"ErrEmail", dost.ProfileUpdate{Email: s("name@example")}, []string{"email"}},
		{"ErrEmailTwoAts", dost.ProfileUpdate{Email: s("a@b@example.az")}, []string{"email"}},
		{"ErrLanguage", dost.ProfileUpdate{Language: s("")}, []string{"language"}},
		{"ErrAll", dost.ProfileUpdate{Phone: s("1"), Email: s("x"), Language: s("de")}, []string{"phone", "email", "language"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.u.Normalize()
			err := tc.u.Validate()
			var got []string
			for _, f := range dost.ErrorFields(err) {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("got field errors %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}
