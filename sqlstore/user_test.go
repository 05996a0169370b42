package sqlstore_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

const password = "correct horse battery"

func TestUserService(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		clock := dosttest.ClockOf(t, db)
		c := centre("baku-3")
		ok(t, sqlstore.NewCentreService(db).CreateCentre(ctx, c))
		op := &dost.User{Username: "aysel", Name: "Aysel Məmmədova", Email: "aysel@dost.gov.az",
			Roles: []dost.Role{dost.RoleOperator, dost.RoleCaseWorker}, CentreIDs: []int64{c.ID}}
		admin := &dost.User{Username: "admin", Roles: []dost.Role{dost.RoleAdmin}}

		t.Run("OK", func(t *testing.T) {
			ok(t, s.CreateUser(ctx, op, password))
			ok(t, s.CreateUser(ctx, admin, password))
			got, err := s.FindUserByID(ctx, op.ID)
			ok(t, err)
			if got.Username != "aysel" || got.Name != op.Name || len(got.Roles) != 2 || !got.HasRole(dost.RoleCaseWorker) ||
				len(got.CentreIDs) != 1 || got.CentreIDs[0] != c.ID || got.Disabled || got.LockedUntil != nil || got.PersonID != nil {
				t.Fatalf("found: got %+v, want %+v", got, op)
			}
			got, err = s.FindUserByUsername(ctx, "admin")
			ok(t, err)
			if got.ID != admin.ID || len(got.CentreIDs) != 0 {
				t.Fatalf("by username: got %+v", got)
			}
		})
		t.Run("Citizen", func(t *testing.T) {
			p := person("CIT0001", "Vüsal", "Nəbiyev", "1988-08-08")
			createPersons(t, db, p)
			u := &dost.User{Username: "fin:CIT0001", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &p.ID}
			ok(t, s.CreateUser(ctx, u, ""))
			got, err := s.FindUserByID(ctx, u.ID)
			ok(t, err)
			if got.PersonID == nil || *got.PersonID != p.ID {
				t.Fatalf("person: got %v, want %d", got.PersonID, p.ID)
			}
			// No password: cannot sign in by password.
			_, _, err = s.SignIn(ctx, "fin:CIT0001", "", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
		})
		t.Run("ErrInvalid", func(t *testing.T) {
			mustCode(t, s.CreateUser(ctx, &dost.User{Username: "x", Roles: []dost.Role{dost.RoleAdmin}}, password), dost.EINVALID)
			mustCode(t, s.CreateUser(ctx, &dost.User{Username: "shorty", Roles: []dost.Role{dost.RoleAdmin}}, "short"), dost.EINVALID)
			mustCode(t, s.CreateUser(ctx, &dost.User{Username: "nocentre", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{4242}}, password), dost.EINVALID)
			_, err := s.FindUserByUsername(ctx, "nocentre")
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("ErrConflict", func(t *testing.T) {
			mustCode(t, s.CreateUser(ctx, &dost.User{Username: "aysel", Roles: []dost.Role{dost.RoleAdmin}}, password), dost.ECONFLICT)
		})
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindUserByID(ctx, 4242)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.FindUserByUsername(ctx, "nobody")
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, s.SetPassword(ctx, 4242, password), dost.ENOTFOUND)
			mustCode(t, s.RevokeAPIToken(ctx, 4242), dost.ENOTFOUND)
			_, _, err = s.CreateAPIToken(ctx, 4242, "ci", time.Hour)
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("Find", func(t *testing.T) {
			role := dost.RoleOperator
			us, n, err := s.FindUsers(ctx, dost.UserFilter{Role: &role})
			ok(t, err)
			if n != 1 || us[0].Username != "aysel" {
				t.Fatalf("by role: got %d %v", n, us)
			}
			us, n, err = s.FindUsers(ctx, dost.UserFilter{CentreID: &c.ID})
			ok(t, err)
			if n != 1 || us[0].Username != "aysel" {
				t.Fatalf("by centre: got %d %v", n, us)
			}
			us, n, err = s.FindUsers(ctx, dost.UserFilter{Limit: 1})
			ok(t, err)
			if n != 3 || len(us) != 1 || us[0].Username != "admin" {
				t.Fatalf("page: got %d of %d, want admin of 3", len(us), n)
			}
		})

		t.Run("SignIn", func(t *testing.T) {
			sess, token, err := s.SignIn(ctx, "aysel", password, dost.SignInMeta{IP: "10.0.0.1", UserAgent: "test"})
			ok(t, err)
			if token == "" || sess.ID == 0 || sess.User == nil || sess.User.ID != op.ID || sess.IP != "10.0.0.1" ||
				!sess.ExpiresAt.Equal(clock.Now().Add(dost.SessionIdleTimeout)) {
				t.Fatalf("session: got %+v", sess)
			}
			got, err := s.FindSessionByToken(ctx, token)
			ok(t, err)
			if got.ID != sess.ID || got.User.Username != "aysel" {
				t.Fatalf("by token: got %+v", got)
			}
			_, err = s.FindSessionByToken(ctx, token+"x")
			mustCode(t, err, dost.EUNAUTHORIZED)
			ok(t, s.SignOut(ctx, token))
			_, err = s.FindSessionByToken(ctx, token)
			mustCode(t, err, dost.EUNAUTHORIZED)
			ok(t, s.SignOut(ctx, "unknown"))
		})
		t.Run("ErrSignIn", func(t *testing.T) {
			_, _, err := s.SignIn(ctx, "aysel", "wrong password", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, _, err2 := s.SignIn(ctx, "nobody", password, dost.SignInMeta{})
			mustCode(t, err2, dost.EUNAUTHORIZED)
			if dost.ErrorMessage(err) != dost.ErrorMessage(err2) {
				t.Fatalf("messages: got %q and %q, want one message for both", dost.ErrorMessage(err), dost.ErrorMessage(err2))
			}
			// A success resets the count started above.
			_, _, err = s.SignIn(ctx, "aysel", password, dost.SignInMeta{})
			ok(t, err)
		})
		t.Run("ErrDisabled", func(t *testing.T) {
			ok(t, s.CreateUser(ctx, &dost.User{Username: "gone", Roles: []dost.Role{dost.RoleAuditor}, Disabled: true}, password))
			_, _, err := s.SignIn(ctx, "gone", "wrong password", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, _, err = s.SignIn(ctx, "gone", password, dost.SignInMeta{})
			mustCode(t, err, dost.EFORBIDDEN)
		})
		t.Run("Lockout", func(t *testing.T) {
			for i := range dost.MaxFailedSignIns {
				_, _, err := s.SignIn(ctx, "admin", "wrong password", dost.SignInMeta{})
				if got := dost.ErrorCode(err); got != dost.EUNAUTHORIZED {
					t.Fatalf("failure %d: got %q, want %q", i+1, got, dost.EUNAUTHORIZED)
				}
			}
			_, _, err := s.SignIn(ctx, "admin", password, dost.SignInMeta{})
			mustCode(t, err, dost.EFORBIDDEN)
			u, err := s.FindUserByID(ctx, admin.ID)
			ok(t, err)
			if u.LockedUntil == nil || !u.LockedUntil.Equal(clock.Now().Add(dost.LockoutDuration)) {
				t.Fatalf("locked until: got %v, want %v", u.LockedUntil, clock.Now().Add(dost.LockoutDuration))
			}
			clock.Advance(dost.LockoutDuration - time.Second)
			_, _, err = s.SignIn(ctx, "admin", password, dost.SignInMeta{})
			mustCode(t, err, dost.EFORBIDDEN)
			clock.Advance(time.Second)
			_, _, err = s.SignIn(ctx, "admin", password, dost.SignInMeta{})
			ok(t, err)
			u, err = s.FindUserByID(ctx, admin.ID)
			ok(t, err)
			if u.LockedUntil != nil {
				t.Fatalf("locked until: got %v, want nil", u.LockedUntil)
			}
		})
		t.Run("SessionExpiry", func(t *testing.T) {
			_, token, err := s.SignIn(ctx, "aysel", password, dost.SignInMeta{})
			ok(t, err)
			// Used every 90 minutes, it lives until the maximum age.
			for range 7 {
				clock.Advance(90 * time.Minute)
				_, err := s.FindSessionByToken(ctx, token)
				ok(t, err)
			}
			clock.Advance(90 * time.Minute) // 12 h after sign-in
			_, err = s.FindSessionByToken(ctx, token)
			mustCode(t, err, dost.EUNAUTHORIZED)

			_, token, err = s.SignIn(ctx, "aysel", password, dost.SignInMeta{})
			ok(t, err)
			clock.Advance(dost.SessionIdleTimeout)
			_, err = s.FindSessionByToken(ctx, token)
			mustCode(t, err, dost.EUNAUTHORIZED)
		})
		t.Run("SetPassword", func(t *testing.T) {
			_, token, err := s.SignIn(ctx, "aysel", password, dost.SignInMeta{})
			ok(t, err)
			mustCode(t, s.SetPassword(ctx, op.ID, "short"), dost.EINVALID)
			ok(t, s.SetPassword(ctx, op.ID, "a brand new password"))
			_, err = s.FindSessionByToken(ctx, token)
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, _, err = s.SignIn(ctx, "aysel", password, dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, _, err = s.SignIn(ctx, "aysel", "a brand new password", dost.SignInMeta{})
			ok(t, err)
		})
		t.Run("APIToken", func(t *testing.T) {
			tok, secret, err := s.CreateAPIToken(ctx, admin.ID, "ci", 24*time.Hour)
			ok(t, err)
			if !strings.HasPrefix(secret, "dost_") || len(secret) < 30 || !strings.HasPrefix(secret, tok.Prefix) || tok.ID == 0 {
				t.Fatalf("token: got %+v %q", tok, secret)
			}
			u, err := s.FindUserByAPIToken(ctx, secret)
			ok(t, err)
			if u.ID != admin.ID {
				t.Fatalf("user: got %d, want %d", u.ID, admin.ID)
			}
			_, err = s.FindUserByAPIToken(ctx, secret[:len(secret)-1])
			mustCode(t, err, dost.EUNAUTHORIZED)

			clock.Advance(24 * time.Hour)
			_, err = s.FindUserByAPIToken(ctx, secret)
			mustCode(t, err, dost.EUNAUTHORIZED)

			_, secret, err = s.CreateAPIToken(ctx, admin.ID, "ci2", time.Hour)
			ok(t, err)
			_, err = s.FindUserByAPIToken(ctx, secret)
			ok(t, err)
			ok(t, s.RevokeAPIToken(ctx, tok.ID+1))
			ok(t, s.RevokeAPIToken(ctx, tok.ID+1)) // again: no change
			_, err = s.FindUserByAPIToken(ctx, secret)
			mustCode(t, err, dost.EUNAUTHORIZED)

			_, _, err = s.CreateAPIToken(ctx, admin.ID, "ci3", 0)
			mustCode(t, err, dost.EINVALID)
		})
	})
}

// TestUserService_ParallelGuesses sends many wrong passwords at once: only
// dost.MaxFailedSignIns of them are compared (EUNAUTHORIZED) before the
// account locks, the rest are refused uncompared (EFORBIDDEN), and the
// right password right after is refused too.
func TestUserService_ParallelGuesses(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		u := &dost.User{Username: "target", Roles: []dost.Role{dost.RoleAdmin}}
		ok(t, s.CreateUser(ctx, u, password))

		const guesses = 20
		start := make(chan struct{})
		codes := make(chan string, guesses)
		var wg sync.WaitGroup
		for i := range guesses {
			wg.Go(func() {
				<-start
				_, _, err := s.SignIn(ctx, "target", fmt.Sprintf("wrong password %d", i), dost.SignInMeta{})
				codes <- dost.ErrorCode(err)
			})
		}
		close(start)
		wg.Wait()
		close(codes)
		count := map[string]int{}
		for c := range codes {
			count[c]++
		}
		if count[dost.EUNAUTHORIZED] != dost.MaxFailedSignIns || count[dost.EFORBIDDEN] != guesses-dost.MaxFailedSignIns {
			t.Fatalf("answers: got %v, want %d %s and %d %s", count, dost.MaxFailedSignIns, dost.EUNAUTHORIZED,
				guesses-dost.MaxFailedSignIns, dost.EFORBIDDEN)
		}
		got, err := s.FindUserByID(ctx, u.ID)
		ok(t, err)
		if got.LockedUntil == nil {
			t.Fatal("locked until: got nil, want the account locked")
		}
		_, _, err = s.SignIn(ctx, "target", password, dost.SignInMeta{})
		mustCode(t, err, dost.EFORBIDDEN)
	})
}

// TestUserService_LockLiftedBySuccess: the attempt that reaches the limit
// locks the account before its password is compared; if it is the right
// password, the success lifts the lock.
func TestUserService_LockLiftedBySuccess(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		u := &dost.User{Username: "almost", Roles: []dost.Role{dost.RoleAdmin}}
		ok(t, s.CreateUser(ctx, u, password))
		for range dost.MaxFailedSignIns - 1 {
			_, _, err := s.SignIn(ctx, "almost", "wrong password", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
		}
		_, _, err := s.SignIn(ctx, "almost", password, dost.SignInMeta{})
		ok(t, err)
		got, err := s.FindUserByID(ctx, u.ID)
		ok(t, err)
		if got.LockedUntil != nil {
			t.Fatalf("locked until: got %v, want nil", got.LockedUntil)
		}
		// The count was reset: another MaxFailedSignIns-1 failures do not lock.
		for range dost.MaxFailedSignIns - 1 {
			_, _, err := s.SignIn(ctx, "almost", "wrong password", dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
		}
		_, _, err = s.SignIn(ctx, "almost", password, dost.SignInMeta{})
		ok(t, err)
	})
}

// TestUserService_UpdateUser links an account to its person, unlinks it,
// and refuses an unknown person or user, changing nothing.
func TestUserService_UpdateUser(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		p := &dost.Person{FIN: "5UPD6US", FirstName: "Aysel", LastName: "Məmmədova", BirthDate: dost.MustDate("1985-04-01"), Sex: dost.SexFemale}
		ok(t, sqlstore.NewPersonService(db).CreatePerson(ctx, p))
		u := &dost.User{Username: "aysel", Name: "Aysel Məmmədova", Roles: []dost.Role{dost.RoleCaseWorker}}
		ok(t, s.CreateUser(ctx, u, password))

		t.Run("OK", func(t *testing.T) {
			got, err := s.UpdateUser(ctx, u.ID, dost.UserUpdate{PersonID: &p.ID})
			ok(t, err)
			if got.PersonID == nil || *got.PersonID != p.ID || !got.HasRole(dost.RoleCaseWorker) {
				t.Errorf("got %+v, want linked to %d", got, p.ID)
			}
			if again, err := s.FindUserByID(ctx, u.ID); err != nil || again.PersonID == nil || *again.PersonID != p.ID {
				t.Errorf("stored %+v, %v", again, err)
			}
			if same, err := s.UpdateUser(ctx, u.ID, dost.UserUpdate{}); err != nil || same.PersonID == nil || *same.PersonID != p.ID {
				t.Errorf("empty update: %+v, %v; want it unchanged", same, err)
			}
		})

		t.Run("ErrUnknownPerson", func(t *testing.T) {
			bad := p.ID + 1000
			_, err := s.UpdateUser(ctx, u.ID, dost.UserUpdate{PersonID: &bad})
			if dost.ErrorCode(err) != dost.EINVALID || len(dost.ErrorFields(err)) != 1 || dost.ErrorFields(err)[0].Code != "person.unknown" {
				t.Errorf("got %v, want invalid person.unknown", err)
			}
			if got, err := s.FindUserByID(ctx, u.ID); err != nil || got.PersonID == nil || *got.PersonID != p.ID {
				t.Errorf("after the refusal %+v, %v; want still linked to %d", got, err, p.ID)
			}
		})

		t.Run("ErrUnknownUser", func(t *testing.T) {
			if _, err := s.UpdateUser(ctx, u.ID+1000, dost.UserUpdate{PersonID: &p.ID}); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Errorf("got %v, want not found", err)
			}
		})

		t.Run("OKUnlink", func(t *testing.T) {
			zero := int64(0)
			got, err := s.UpdateUser(ctx, u.ID, dost.UserUpdate{PersonID: &zero})
			if err != nil || got.PersonID != nil {
				t.Errorf("got %+v, %v; want unlinked", got, err)
			}
		})
	})
}
