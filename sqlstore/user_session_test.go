package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestUserService_Sessions lists, revokes and ends sessions: one, all
// others, all of a user (with their tokens), on disabling and on a
// password change; a revoked session is refused at once.
func TestUserService_Sessions(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		clock := dosttest.ClockOf(t, db)
		u := &dost.User{Username: "leyla", Name: "Leyla Quliyeva", Roles: []dost.Role{dost.RoleOperator}}
		other := &dost.User{Username: "other", Roles: []dost.Role{dost.RoleOperator}}
		ok(t, s.CreateUser(ctx, u, password))
		ok(t, s.CreateUser(ctx, other, password))
		signIn := func(t *testing.T, name, ua string) (*dost.Session, string) {
			t.Helper()
			sess, token, err := s.SignIn(ctx, name, password, dost.SignInMeta{IP: "10.0.0.1", UserAgent: ua})
			ok(t, err)
			clock.Advance(time.Second)
			return sess, token
		}
		live := func(t *testing.T, token string) bool {
			t.Helper()
			_, err := s.FindSessionByToken(ctx, token)
			if err != nil && dost.ErrorCode(err) != dost.EUNAUTHORIZED {
				t.Fatal(err)
			}
			return err == nil
		}

		t.Run("List", func(t *testing.T) {
			a, _ := signIn(t, "leyla", "Firefox")
			b, tb := signIn(t, "leyla", "Chromium")
			signIn(t, "other", "Other")
			clock.Advance(2 * time.Minute)
			live(t, tb) // b is used last
			got, err := s.FindSessions(ctx, u.ID)
			ok(t, err)
			if len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID || got[0].UserAgent != "Chromium" || got[0].IP != "10.0.0.1" {
				t.Fatalf("sessions: got %+v, want b then a", got)
			}
			if !got[0].LastSeenAt.After(got[1].LastSeenAt) {
				t.Errorf("last seen: got %v and %v, want the first later", got[0].LastSeenAt, got[1].LastSeenAt)
			}
			n, err := s.RevokeOtherSessions(ctx, u.ID, 0)
			ok(t, err)
			if n != 2 {
				t.Fatalf("revoked: got %d, want 2", n)
			}
		})
		t.Run("RevokeOne", func(t *testing.T) {
			a, ta := signIn(t, "leyla", "A")
			_, tb := signIn(t, "leyla", "B")
			osess, to := signIn(t, "other", "O")
			// Another user's session is not found and stays.
			mustCode(t, s.RevokeSession(ctx, u.ID, osess.ID), dost.ENOTFOUND)
			if !live(t, to) {
				t.Fatal("the other user's session ended")
			}
			ok(t, s.RevokeSession(ctx, u.ID, a.ID))
			mustCode(t, s.RevokeSession(ctx, u.ID, a.ID), dost.ENOTFOUND)
			if live(t, ta) || !live(t, tb) {
				t.Fatalf("after revoking a: a live %v, b live %v; want false, true", live(t, ta), live(t, tb))
			}
		})
		t.Run("RevokeOthers", func(t *testing.T) {
			keep, tk := signIn(t, "leyla", "keep")
			_, t1 := signIn(t, "leyla", "1")
			_, to := signIn(t, "other", "O")
			n, err := s.RevokeOtherSessions(ctx, u.ID, keep.ID)
			ok(t, err)
			if n < 2 { // 1 and b of RevokeOne
				t.Errorf("revoked: got %d, want at least 2", n)
			}
			if !live(t, tk) || live(t, t1) || !live(t, to) {
				t.Fatalf("live: keep %v, 1 %v, other %v; want true, false, true", live(t, tk), live(t, t1), live(t, to))
			}
			got, err := s.FindSessions(ctx, u.ID)
			ok(t, err)
			if len(got) != 1 || got[0].ID != keep.ID {
				t.Fatalf("sessions left: got %+v, want only %d", got, keep.ID)
			}
		})
		t.Run("ExpiredNotListed", func(t *testing.T) {
			_, _ = s.RevokeOtherSessions(ctx, u.ID, 0)
			signIn(t, "leyla", "old")
			clock.Advance(dost.SessionIdleTimeout)
			got, err := s.FindSessions(ctx, u.ID)
			ok(t, err)
			if len(got) != 0 {
				t.Fatalf("sessions: got %d, want the expired one not listed", len(got))
			}
		})
		t.Run("RevokeUser", func(t *testing.T) {
			_, err := s.RevokeOtherSessions(ctx, u.ID, 0)
			ok(t, err)
			_, ts := signIn(t, "leyla", "s")
			_, secret, err := s.CreateAPIToken(ctx, u.ID, "t1", time.Hour)
			ok(t, err)
			_, secret2, err := s.CreateAPIToken(ctx, u.ID, "t2", time.Hour, "persons:read")
			ok(t, err)
			_, osecret, err := s.CreateAPIToken(ctx, other.ID, "o", time.Hour)
			ok(t, err)
			rv, err := s.RevokeUser(ctx, u.ID)
			ok(t, err)
			if rv.Sessions != 1 || rv.Tokens != 2 {
				t.Errorf("revocation: got %+v, want 1 session and 2 tokens", rv)
			}
			if live(t, ts) {
				t.Error("the session lives on")
			}
			for _, sec := range []string{secret, secret2} {
				_, err := s.FindAPIToken(ctx, sec)
				mustCode(t, err, dost.EUNAUTHORIZED)
			}
			_, err = s.FindAPIToken(ctx, osecret)
			ok(t, err)
			_, err = s.RevokeUser(ctx, 4242)
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("Disable", func(t *testing.T) {
			_, ts := signIn(t, "leyla", "s")
			_, secret, err := s.CreateAPIToken(ctx, u.ID, "t", time.Hour)
			ok(t, err)
			yes, no := true, false
			got, err := s.UpdateUser(ctx, u.ID, dost.UserUpdate{Disabled: &yes})
			ok(t, err)
			if !got.Disabled {
				t.Fatal("not disabled")
			}
			if live(t, ts) {
				t.Error("the session lives on")
			}
			_, err = s.FindAPIToken(ctx, secret)
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, err = s.UpdateUser(ctx, u.ID, dost.UserUpdate{Disabled: &no})
			ok(t, err)
			if live(t, ts) {
				t.Error("enabling brought the session back")
			}
			_, err = s.FindAPIToken(ctx, secret)
			ok(t, err)
			_, err = s.UpdateUser(ctx, 4242, dost.UserUpdate{Disabled: &yes})
			mustCode(t, err, dost.ENOTFOUND)
		})
		t.Run("ChangePassword", func(t *testing.T) {
			keep, tk := signIn(t, "leyla", "keep")
			_, t1 := signIn(t, "leyla", "1")
			err := s.ChangePassword(ctx, u.ID, "wrong password!", "another long password", keep.ID)
			mustCode(t, err, dost.EINVALID)
			if e, _ := err.(*dost.Error); e == nil || len(e.Fields) != 1 || e.Fields[0].Code != "password.wrong" {
				t.Errorf("wrong current: got %v, want field code password.wrong", err)
			}
			mustCode(t, s.ChangePassword(ctx, u.ID, password, "short", keep.ID), dost.EINVALID)
			if !live(t, t1) {
				t.Fatal("a failed change ended a session")
			}
			ok(t, s.ChangePassword(ctx, u.ID, password, "another long password", keep.ID))
			if !live(t, tk) || live(t, t1) {
				t.Fatalf("live: keep %v, other %v; want true, false", live(t, tk), live(t, t1))
			}
			_, _, err = s.SignIn(ctx, "leyla", password, dost.SignInMeta{})
			mustCode(t, err, dost.EUNAUTHORIZED)
			_, _, err = s.SignIn(ctx, "leyla", "another long password", dost.SignInMeta{})
			ok(t, err)
			mustCode(t, s.ChangePassword(ctx, 4242, "x", "another long password", 0), dost.ENOTFOUND)
		})
		t.Run("ChangePasswordLocks", func(t *testing.T) {
			for i := range dost.MaxFailedSignIns {
				err := s.ChangePassword(ctx, other.ID, fmt.Sprintf("guess number %d", i), "another long password", 0)
				mustCode(t, err, dost.EINVALID)
			}
			mustCode(t, s.ChangePassword(ctx, other.ID, password, "another long password", 0), dost.EFORBIDDEN)
			clock.Advance(dost.LockoutDuration)
			ok(t, s.ChangePassword(ctx, other.ID, password, "another long password", 0))
		})
		t.Run("ParallelRevoke", func(t *testing.T) {
			_, err := s.RevokeOtherSessions(ctx, u.ID, 0)
			ok(t, err)
			var tokens []string
			for range 8 {
				_, tk, err := s.SignIn(ctx, "leyla", "another long password", dost.SignInMeta{})
				ok(t, err)
				tokens = append(tokens, tk)
			}
			var wg sync.WaitGroup
			total := make([]int, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := s.RevokeOtherSessions(ctx, u.ID, 0)
					if err != nil {
						t.Error(err)
					}
					total[i] = n
				}()
			}
			wg.Wait()
			sum := 0
			for _, n := range total {
				sum += n
			}
			if sum != 8 {
				t.Errorf("revoked in all: got %d, want each session once", sum)
			}
			for _, tk := range tokens {
				if live(t, tk) {
					t.Fatal("a session lives on")
				}
			}
		})
	})
}

// TestUserService_Scopes stores a token's scopes, refuses ones of the
// wrong form and reads tokens made before scopes existed as "*".
func TestUserService_Scopes(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewUserService(db)
		u := &dost.User{Username: "registry", Roles: []dost.Role{dost.RoleRegistry}}
		ok(t, s.CreateUser(ctx, u, ""))

		tok, secret, err := s.CreateAPIToken(ctx, u.ID, "civil registry", time.Hour, "events:write", "EVENTS:write", "*:read")
		ok(t, err)
		got, err := s.FindAPIToken(ctx, secret)
		ok(t, err)
		if fmt.Sprint(got.Scopes) != "[events:write *:read]" || fmt.Sprint(tok.Scopes) != fmt.Sprint(got.Scopes) ||
			got.User == nil || got.User.ID != u.ID || got.Name != "civil registry" {
			t.Fatalf("token: got %+v, want scopes [events:write *:read] of user %d", got, u.ID)
		}
		_, secret, err = s.CreateAPIToken(ctx, u.ID, "all", time.Hour)
		ok(t, err)
		got, err = s.FindAPIToken(ctx, secret)
		ok(t, err)
		if fmt.Sprint(got.Scopes) != "[*]" {
			t.Errorf("no scopes: got %v, want [*]", got.Scopes)
		}
		for _, bad := range []dost.Scope{"events", "events:delete", ":read", "1x:read", "*:write", "a b:read", ""} {
			_, _, err := s.CreateAPIToken(ctx, u.ID, "bad", time.Hour, bad)
			mustCode(t, err, dost.EINVALID)
		}
		// A token stored before migration 00020 has the column's default.
		_, err = db.WriterDB().ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at)
			SELECT user_id, 'old', 'dost_old', 'x', created_at, expires_at FROM api_tokens WHERE id = $1`, tok.ID)
		ok(t, err)
		ts, err := s.FindAPITokens(ctx, u.ID)
		ok(t, err)
		if len(ts) != 3 || ts[0].Name != "old" || fmt.Sprint(ts[0].Scopes) != "[*]" {
			t.Fatalf("tokens: got %d, first %+v; want the old one first with [*]", len(ts), ts[0])
		}
	})
}
