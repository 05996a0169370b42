package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

func TestIdentityService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewIdentityService(db)
		users := sqlstore.NewUserService(db)
		const iss = "https://login.example.gov.az"
		staff := &dost.User{Username: "aysel", Name: "Aysel", Roles: []dost.Role{dost.RoleOperator}}
		other := &dost.User{Username: "kamran", Name: "Kamran", Roles: []dost.Role{dost.RoleCaseWorker}}
		ok(t, users.CreateUser(ctx, staff, password))
		ok(t, users.CreateUser(ctx, other, password))

		t.Run("Link", func(t *testing.T) {
			id, err := s.LinkIdentity(ctx, staff.ID, iss, "sub-aysel")
			ok(t, err)
			if id.ID == 0 || id.UserID != staff.ID || id.CreatedAt.IsZero() {
				t.Fatalf("link: got %+v", id)
			}
			again, err := s.LinkIdentity(ctx, staff.ID, iss, " sub-aysel ")
			ok(t, err)
			if again.ID != id.ID {
				t.Errorf("linking again: got id %d, want %d", again.ID, id.ID)
			}
			u, err := s.FindUserByIdentity(ctx, iss, "sub-aysel")
			ok(t, err)
			if u.ID != staff.ID || !u.HasRole(dost.RoleOperator) {
				t.Errorf("found %+v, want aysel", u)
			}
			// Another issuer's same subject is another identity.
			_, err = s.FindUserByIdentity(ctx, iss+"/other", "sub-aysel")
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("ErrLinkTaken", func(t *testing.T) {
			_, err := s.LinkIdentity(ctx, other.ID, iss, "sub-aysel")
			mustCode(t, err, dost.ECONFLICT)
		})
		t.Run("ErrLinkInvalid", func(t *testing.T) {
			_, err := s.LinkIdentity(ctx, staff.ID, "", "x")
			mustCode(t, err, dost.EINVALID)
			_, err = s.LinkIdentity(ctx, staff.ID, iss, "a\x00b")
			mustCode(t, err, dost.EINVALID)
			_, err = s.LinkIdentity(ctx, 424242, iss, "nobody")
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.FindUserByIdentity(ctx, iss, "a\x00b")
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("CitizenAccount", func(t *testing.T) {
			p := person("OID0001", "Vüsal", "Nəbiyev", "1988-08-08")
			createPersons(t, db, p)
			// Many sign-ins at once make one account.
			const n = 12
			ids := make([]int64, n)
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					u, err := s.CitizenAccount(ctx, p.ID)
					errs[i] = err
					if err == nil {
						ids[i] = u.ID
					}
				})
			}
			wg.Wait()
			for i := range n {
				ok(t, errs[i])
				if ids[i] != ids[0] {
					t.Fatalf("account %d: got id %d, want %d", i, ids[i], ids[0])
				}
			}
			u, err := users.FindUserByUsername(ctx, "fin:OID0001")
			ok(t, err)
			if u.ID != ids[0] || !u.CitizenOnly() || u.PersonID == nil || *u.PersonID != p.ID || u.Name != p.FullName() {
				t.Errorf("account: got %+v", u)
			}
			// No password: it cannot sign in by password.
			_, _, err = users.SignIn(ctx, "fin:OID0001", "", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
		})
		t.Run("ErrCitizenAccount", func(t *testing.T) {
			_, err := s.CitizenAccount(ctx, 987654)
			mustCode(t, err, dost.ENOTFOUND)
			// An account with the FIN's username, linked to nobody, is
			// not taken over.
			p := person("OID0002", "Aynur", "Quliyeva", "1990-01-01")
			createPersons(t, db, p)
			ok(t, users.CreateUser(ctx, &dost.User{Username: "fin:OID0002", Roles: []dost.Role{dost.RoleCitizen}}, ""))
			_, err = s.CitizenAccount(ctx, p.ID)
			mustCode(t, err, dost.ECONFLICT)
		})
		t.Run("CitizenAccountNotStaff", func(t *testing.T) {
			// A staff account linked to the person is not their citizen
			// account: a citizen-only one is made beside it.
			p := person("OID0003", "Kamal", "Əliyev", "1980-03-03")
			createPersons(t, db, p)
			op := &dost.User{Username: "kamal", Name: "Kamal", Roles: []dost.Role{dost.RoleOperator}, PersonID: &p.ID}
			ok(t, users.CreateUser(ctx, op, password))
			u, err := s.CitizenAccount(ctx, p.ID)
			ok(t, err)
			if u.ID == op.ID || !u.CitizenOnly() || u.Username != "fin:OID0003" {
				t.Fatalf("citizen account of a staff member: got %+v", u)
			}
			// An existing citizen-only account of the person is found by
			// the link, whatever its username.
			p2 := person("OID0004", "Leyla", "Həsənova", "1985-04-04")
			createPersons(t, db, p2)
			own := &dost.User{Username: "leyla", Name: "Leyla", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &p2.ID}
			ok(t, users.CreateUser(ctx, own, ""))
			u, err = s.CitizenAccount(ctx, p2.ID)
			ok(t, err)
			if u.ID != own.ID {
				t.Errorf("got account %d (%s), want the person's citizen account %d", u.ID, u.Username, own.ID)
			}
			// The fin: account has been given a staff role: a sign-in by
			// the FIN claim does not get it.
			p3 := person("OID0005", "Rəşad", "Məmmədov", "1975-05-05")
			createPersons(t, db, p3)
			acc, err := s.CitizenAccount(ctx, p3.ID)
			ok(t, err)
			ok(t, dbExec(db, fmt.Sprintf(`INSERT INTO user_roles (user_id, role) VALUES (%d, 'admin')`, acc.ID)))
			_, err = s.CitizenAccount(ctx, p3.ID)
			mustCode(t, err, dost.ECONFLICT)
			// And such an account cannot be made.
			err = users.CreateUser(ctx, &dost.User{Username: "fin:OID0006", Roles: []dost.Role{dost.RoleCitizen, dost.RoleAdmin}}, password)
			mustCode(t, err, dost.EINVALID)
		})
		t.Run("CreateSession", func(t *testing.T) {
			sess, token, err := s.CreateSession(ctx, staff.ID, dost.SignInMeta{IP: "127.0.0.1", UserAgent: "test\x01agent"})
			ok(t, err)
			if token == "" || sess.UserID != staff.ID || sess.UserAgent != "testagent" || !sess.ExpiresAt.After(sess.CreatedAt) {
				t.Fatalf("session: got %+v", sess)
			}
			found, err := users.FindSessionByToken(ctx, token)
			ok(t, err)
			if found.ID != sess.ID || found.User.ID != staff.ID {
				t.Errorf("found session %+v, want %d", found, sess.ID)
			}
			_, _, err = s.CreateSession(ctx, 424242, dost.SignInMeta{})
			mustCode(t, err, dost.ENOTFOUND)
		})
	})
}
