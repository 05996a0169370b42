package sqlstore_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestPortalStore checks the citizen's profile update on both databases:
// all of it or nothing, the account's e-mail with the person's, and the
// household's awards when there are none.
func TestPortalStore(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewPortalStore(db)
		users := sqlstore.NewUserService(db)
		p := person("PRT0001", "Aygün", "Məmmədova", "1990-05-05")
		createPersons(t, db, p)
		u := &dost.User{Username: "fin:PRT0001", Name: "Aygün Məmmədova", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &p.ID}
		ok(t, users.CreateUser(ctx, u, "portal-store-pw"))
		str := func(s string) *string { return &s }

		t.Run("OK", func(t *testing.T) {
			got, err := s.UpdateProfile(ctx, u.ID, p.ID, dost.ProfileUpdate{Phone: str(" +994 50 111 22 33 "), Email: str("Aygun@Example.AZ"), Language: str("EN")})
			ok(t, err)
			if got.Email != "aygun@example.az" || got.Language != "en" || got.Phone == "" {
				t.Fatalf("got %q %q %q", got.Phone, got.Email, got.Language)
			}
			back, err := users.FindUserByID(ctx, u.ID)
			ok(t, err)
			if back.Email != "aygun@example.az" {
				t.Errorf("user e-mail: got %q, want aygun@example.az", back.Email)
			}
		})
		t.Run("GroupedPhone", func(t *testing.T) {
			// Hyphens and brackets group the digits on the form; the
			// registry stores the digits.
			for in, want := range map[string]string{"050-123-45-67": "0501234567", "+994 (50) 123-45-67": "+994501234567"} {
				got, err := s.UpdateProfile(ctx, u.ID, p.ID, dost.ProfileUpdate{Phone: str(in)})
				ok(t, err)
				if got.Phone != want {
					t.Errorf("phone %q stored as %q, want %q", in, got.Phone, want)
				}
				back, err := sqlstore.NewPersonService(db).FindPersonByID(ctx, p.ID)
				ok(t, err)
				if back.Phone != want {
					t.Errorf("phone %q read back as %q, want %q", in, back.Phone, want)
				}
			}
		})
		t.Run("OnlyNamedFields", func(t *testing.T) {
			got, err := s.UpdateProfile(ctx, u.ID, p.ID, dost.ProfileUpdate{Language: str("ru")})
			ok(t, err)
			if got.Email != "aygun@example.az" || got.Language != "ru" {
				t.Fatalf("got %q %q", got.Email, got.Language)
			}
		})
		t.Run("ErrInvalidChangesNothing", func(t *testing.T) {
			_, err := s.UpdateProfile(ctx, u.ID, p.ID, dost.ProfileUpdate{Phone: str("+994 55 999 88 77"), Email: str("no-at-sign"), Language: str("az")})
			mustCode(t, err, dost.EINVALID)
			if fe := dost.ErrorFields(err); len(fe) != 1 || fe[0].Field != "email" {
				t.Errorf("field errors: got %+v, want email", fe)
			}
			back, err := sqlstore.NewPersonService(db).FindPersonByID(ctx, p.ID)
			ok(t, err)
			if back.Language != "ru" || back.Email != "aygun@example.az" {
				t.Errorf("after a refused update: %q %q", back.Language, back.Email)
			}
		})
		t.Run("ErrUnknownUser", func(t *testing.T) {
			_, err := s.UpdateProfile(ctx, 999999, p.ID, dost.ProfileUpdate{Email: str("x@example.az")})
			mustCode(t, err, dost.ENOTFOUND)
			back, err := sqlstore.NewPersonService(db).FindPersonByID(ctx, p.ID)
			ok(t, err)
			if back.Email != "aygun@example.az" {
				t.Errorf("the person changed although the user is unknown: %q", back.Email)
			}
		})
		t.Run("ErrUnknownPerson", func(t *testing.T) {
			_, err := s.UpdateProfile(ctx, u.ID, 999999, dost.ProfileUpdate{Language: str("az")})
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("NoAwards", func(t *testing.T) {
			awards, n, err := s.FindHouseholdAwards(ctx, p.ID, 0, 10)
			ok(t, err)
			if n != 0 || len(awards) != 0 {
				t.Errorf("got %d awards (%d), want none", n, len(awards))
			}
		})
	})
}

// TestPortalStore_HouseholdAwardsScope checks whose awards a citizen sees:
// their household's (members' and the household's own) and those paid to
// them, but not an outsider's award paid to another member.
func TestPortalStore_HouseholdAwardsScope(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCertFixture(t, db) // Aysel and Tural's household: her pension, his allowance, its TSSA
		s := sqlstore.NewPortalStore(db)
		grandchild := person("PRT0009", "Nərgiz", "Əliyeva", "2015-03-03")
		cousin := person("PRT0010", "Samir", "Əliyev", "2012-04-04")
		createPersons(t, db, grandchild, cousin)
		period := dost.MonthOf(today).Add(-2)
		toTural := f.approval(grandchild, "child_allowance", period)
		toTural.Awards[0].PayeeID, toTural.Awards[0].Amount = f.tural.ID, dost.AZN(111)
		f.submit(t, application(grandchild, pensionService, "scope-1", today), nil, toTural)
		toAysel := f.approval(cousin, "child_allowance", period)
		toAysel.Awards[0].PayeeID, toAysel.Awards[0].Amount = f.aysel.ID, dost.AZN(222)
		f.submit(t, application(cousin, pensionService, "scope-2", today), nil, toAysel)

		seen := func(personID int64) map[int64]bool {
			awards, n, err := s.FindHouseholdAwards(ctx, personID, 0, 100)
			ok(t, err)
			if n != len(awards) {
				t.Errorf("count %d, listed %d", n, len(awards))
			}
			got := map[int64]bool{}
			for _, a := range awards {
				got[a.PersonID] = true
			}
			return got
		}
		aysel := seen(f.aysel.ID)
		if !aysel[f.aysel.ID] || !aysel[f.tural.ID] || !aysel[0] || !aysel[cousin.ID] {
			t.Errorf("Aysel sees awards of %v, want hers, Tural's, the household's and the one paid to her", aysel)
		}
		if aysel[grandchild.ID] {
			t.Error("Aysel sees an outsider's award paid to Tural")
		}
		tural := seen(f.tural.ID)
		if !tural[grandchild.ID] || tural[cousin.ID] {
			t.Errorf("Tural sees awards of %v, want the one paid to him and not the one paid to Aysel", tural)
		}
	})
}
