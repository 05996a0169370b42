package sqlstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnstorableText proves that text PostgreSQL cannot store (invalid
// UTF-8, NUL) gets the same answer from both dialects: not found for a
// lookup, nothing for a search, EINVALID naming the field for a write;
// never an internal error.
func TestUnstorableText(t *testing.T) {
	bad := []string{"\xff", "A\x00b", "\x00", "05-04-02-00\x00", "baku-3\xc3"}
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		saveServices(t, db)
		ok(t, sqlstore.NewCentreService(db).CreateCentre(ctx, centre("baku-3", "05-04-02-00")))
		p := person("TXT0001", "Aqil", "Abbasov", "1970-03-03")
		createPersons(t, db, p)
		users := sqlstore.NewUserService(db)
		u := &dost.User{Username: "aqil", Roles: []dost.Role{dost.RoleOperator}}
		ok(t, users.CreateUser(ctx, u, password))
		households := sqlstore.NewHouseholdService(db)
		h := &dost.Household{Code: "HH00000001", Members: []*dost.HouseholdMember{{FIN: p.FIN, Role: dost.RoleHead}}}
		ok(t, households.CreateHousehold(ctx, h))

		for _, s := range bad {
			t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
				_, err := sqlstore.NewCatalogueService(db).FindServiceByCode(ctx, s)
				mustCode(t, err, dost.ENOTFOUND)
				_, err = sqlstore.NewCentreService(db).FindCentreByCode(ctx, s)
				mustCode(t, err, dost.ENOTFOUND)
				_, err = sqlstore.NewPersonService(db).FindPersonByFIN(ctx, dost.FIN(s))
				mustCode(t, err, dost.ENOTFOUND)
				_, err = users.FindUserByUsername(ctx, s)
				mustCode(t, err, dost.ENOTFOUND)
				_, _, err = users.SignIn(ctx, s, password, dost.SignInMeta{})
				mustCode(t, err, dost.EUNAUTHORIZED)

				empty := func(what string, n int, err error) {
					t.Helper()
					ok(t, err)
					if n != 0 {
						t.Errorf("%s: got %d matches, want 0", what, n)
					}
				}
				_, n, err := sqlstore.NewCatalogueService(db).FindServices(ctx, dost.ServiceFilter{Query: &s})
				empty("services by query", n, err)
				_, n, err = sqlstore.NewCatalogueService(db).FindServices(ctx, dost.ServiceFilter{Code: &s})
				empty("services by code", n, err)
				_, n, err = sqlstore.NewCentreService(db).FindCentres(ctx, dost.CentreFilter{ServiceCode: &s})
				empty("centres by service", n, err)
				_, n, err = sqlstore.NewPersonService(db).FindPersons(ctx, dost.PersonFilter{Name: &s})
				empty("persons by name", n, err)
				_, n, err = sqlstore.NewPersonService(db).FindPersons(ctx, dost.PersonFilter{FINPrefix: &s})
				empty("persons by FIN prefix", n, err)
				role := dost.Role(s)
				_, n, err = users.FindUsers(ctx, dost.UserFilter{Role: &role})
				empty("users by role", n, err)
				_, n, err = households.FindHouseholds(ctx, dost.HouseholdFilter{Code: &s})
				empty("households by code", n, err)

				// Writes are refused as invalid, naming the field.
				q := person("TXT0002", s, "Abbasov", "1970-03-03")
				mustField(t, sqlstore.NewPersonService(db).CreatePerson(ctx, q), "first_name")
				_, err = sqlstore.NewPersonService(db).UpdatePerson(ctx, p.FIN, dost.PersonUpdate{Region: &s})
				mustField(t, err, "region")
				mustField(t, users.CreateUser(ctx, &dost.User{Username: "user" + s, Roles: []dost.Role{dost.RoleAdmin}}, password), "username")
				_, _, err = users.CreateAPIToken(ctx, u.ID, s, time.Hour)
				mustField(t, err, "name")
				err = households.CreateHousehold(ctx, &dost.Household{Code: "HH" + s})
				mustField(t, err, "code")
				err = households.AddHouseholdMember(ctx, h.ID, &dost.HouseholdMember{FIN: dost.FIN(s), Role: dost.RoleChild})
				mustCode(t, err, dost.EINVALID)
			})
		}
		t.Run("SignInMeta", func(t *testing.T) {
			sess, _, err := users.SignIn(ctx, "aqil", password, dost.SignInMeta{IP: "10.0.0.1\x00", UserAgent: "Mozilla\xff\x00/5.0"})
			ok(t, err)
			if sess.UserAgent != "Mozilla/5.0" || sess.IP != "10.0.0.1" {
				t.Fatalf("session meta: got %q %q, want %q %q", sess.IP, sess.UserAgent, "10.0.0.1", "Mozilla/5.0")
			}
		})
		// The last line: a query that does reach PostgreSQL with such text
		// is EINVALID, not an internal error. SQLite just finds nothing.
		t.Run("LastLine", func(t *testing.T) {
			err := sqlstore.QueryText(ctx, db, "A\x00b")
			if db.Dialect() == sqlstore.DialectPostgres {
				mustCode(t, err, dost.EINVALID)
			} else {
				ok(t, err)
			}
		})
	})
}

// TestUnstorableTextError checks the mapping of PostgreSQL's text errors.
func TestUnstorableTextError(t *testing.T) {
	for _, code := range []string{"22021", "22P05"} {
		err := sqlstore.MapError(fmt.Errorf("find: %w", &pgconn.PgError{Code: code}))
		mustCode(t, err, dost.EINVALID)
		if got, want := dost.ErrorMessage(err), "The text contains characters that cannot be stored."; got != want {
			t.Errorf("%s: message: got %q, want %q", code, got, want)
		}
	}
	other := errors.New("boom")
	if err := sqlstore.MapError(other); err != other {
		t.Errorf("other error: got %v, want it unchanged", err)
	}
	if err := sqlstore.MapError(nil); err != nil {
		t.Errorf("nil: got %v, want nil", err)
	}
}

// mustField fails the test unless err is EINVALID naming field.
func mustField(t *testing.T, err error, field string) {
	t.Helper()
	mustCode(t, err, dost.EINVALID)
	for _, f := range dost.ErrorFields(err) {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("fields: got %+v, want one for %q", dost.ErrorFields(err), field)
}
