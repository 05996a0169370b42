package main_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/sqlstore"
)

// TestTokenAndUserAccess makes scoped tokens with `dost token create`,
// lists and revokes them, and revokes, disables and enables an account
// with `dost user`: what they end is refused afterwards.
func TestTokenAndUserAccess(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "dost.db")
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		logs.Reset()
		return main.Run(ctx, args, &out, &logs)
	}
	if err := run("migrate", "--database", db); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOST_USER_PASSWORD", "")
	if err := run("user", "add", "--database", db, "--username", "civil-registry", "--name", "Civil registry", "--role", "registry"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOST_USER_PASSWORD", "a-long-staff-password")
	if err := run("user", "add", "--database", db, "--username", "leyla", "--name", "Leyla", "--role", "operator"); err != nil {
		t.Fatal(err)
	}
	secretOf := func(t *testing.T) string {
		t.Helper()
		s := strings.TrimSpace(out.String())
		if !strings.HasPrefix(s, "dost_") || strings.Contains(s, "\n") {
			t.Fatalf("stdout: got %q, want the secret alone", s)
		}
		return s
	}
	tokenOf := func(t *testing.T, secret string) (*dost.APIToken, error) {
		t.Helper()
		d := openDB(t, db)
		return sqlstore.NewUserService(d).FindAPIToken(ctx, secret)
	}

	t.Run("Scoped", func(t *testing.T) {
		if err := run("token", "create", "--database", db, "--user", "civil-registry", "--scope", "events:write",
			"--scope", "persons:read", "--expires", "90d", "--name", "civil registry feed"); err != nil {
			t.Fatal(err)
		}
		tok, err := tokenOf(t, secretOf(t))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(tok.Scopes) != "[events:write persons:read]" || tok.Name != "civil registry feed" {
			t.Errorf("token: got %+v", tok)
		}
		if d := time.Until(tok.ExpiresAt); d < 89*24*time.Hour || d > 91*24*time.Hour {
			t.Errorf("expires in %v, want 90 days", d)
		}
		if !strings.Contains(logs.String(), "events:write persons:read") {
			t.Errorf("stderr: got %q, want the scopes", logs.String())
		}
	})
	t.Run("DefaultAll", func(t *testing.T) {
		if err := run("token", "create", "--database", db, "--user", "leyla", "--expires", time.Now().AddDate(0, 0, 3).Format(time.DateOnly)); err != nil {
			t.Fatal(err)
		}
		tok, err := tokenOf(t, secretOf(t))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(tok.Scopes) != "[*]" {
			t.Errorf("scopes: got %v, want [*]", tok.Scopes)
		}
		if d := time.Until(tok.ExpiresAt); d < 24*time.Hour || d > 3*24*time.Hour {
			t.Errorf("expires in %v, want up to 3 days", d)
		}
	})
	for _, tc := range []struct{ name, flag, value, want string }{
		{"ErrScopeForm", "--scope", "events", "known: *"},
		{"ErrScopeArea", "--scope", "nowhere:read", `no route has area "nowhere"`},
		{"ErrExpiresPast", "--expires", "2001-01-01", "expired already"},
		{"ErrExpiresForm", "--expires", "soon", "--expires"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run("token", "create", "--database", db, "--user", "leyla", tc.flag, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout: got %q, want nothing", out.String())
			}
		})
	}
	t.Run("ListAndRevoke", func(t *testing.T) {
		if err := run("token", "create", "--database", db, "--user", "leyla", "--scope", "*:read"); err != nil {
			t.Fatal(err)
		}
		secret := secretOf(t)
		tok, err := tokenOf(t, secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := run("token", "list", "--database", db, "--user", "leyla"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), tok.Prefix) || !strings.Contains(out.String(), "*:read") || strings.Contains(out.String(), secret) {
			t.Errorf("list: got %q, want the token's prefix and scope, never its secret", out.String())
		}
		if err := run("token", "revoke", "--database", db, "--id", fmt.Sprint(tok.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := tokenOf(t, secret); dost.ErrorCode(err) != dost.EUNAUTHORIZED {
			t.Errorf("revoked token: got %v, want unauthorized", err)
		}
		if err := run("token", "list", "--database", db, "--user", "leyla"); err != nil || !strings.Contains(out.String(), "revoked") {
			t.Errorf("list after revoking: %v %q", err, out.String())
		}
		if err := run("token", "revoke", "--database", db, "--id", "99999"); err == nil {
			t.Error("revoking an unknown token: no error")
		}
	})
	t.Run("UserRevoke", func(t *testing.T) {
		if err := run("token", "create", "--database", db, "--user", "leyla"); err != nil {
			t.Fatal(err)
		}
		secret := secretOf(t)
		d := openDB(t, db)
		_, session, err := sqlstore.NewUserService(d).SignIn(ctx, "leyla", "a-long-staff-password", dost.SignInMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := run("user", "revoke", "--database", db, "--user", "leyla"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "ended 1 sessions") {
			t.Errorf("stdout: got %q", out.String())
		}
		if _, err := tokenOf(t, secret); dost.ErrorCode(err) != dost.EUNAUTHORIZED {
			t.Errorf("token after revoke: got %v, want unauthorized", err)
		}
		if _, err := sqlstore.NewUserService(d).FindSessionByToken(ctx, session); dost.ErrorCode(err) != dost.EUNAUTHORIZED {
			t.Errorf("session after revoke: got %v, want unauthorized", err)
		}
	})
	t.Run("DisableEnable", func(t *testing.T) {
		d := openDB(t, db)
		users := sqlstore.NewUserService(d)
		_, session, err := users.SignIn(ctx, "leyla", "a-long-staff-password", dost.SignInMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := run("user", "disable", "--database", db, "--username", "leyla"); err != nil {
			t.Fatal(err)
		}
		if _, err := users.FindSessionByToken(ctx, session); dost.ErrorCode(err) != dost.EUNAUTHORIZED {
			t.Errorf("session of a disabled user: got %v, want unauthorized", err)
		}
		if _, _, err := users.SignIn(ctx, "leyla", "a-long-staff-password", dost.SignInMeta{}); dost.ErrorCode(err) != dost.EFORBIDDEN {
			t.Errorf("sign-in of a disabled user: got %v, want forbidden", err)
		}
		if err := run("user", "enable", "--database", db, "--username", "leyla"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := users.SignIn(ctx, "leyla", "a-long-staff-password", dost.SignInMeta{}); err != nil {
			t.Errorf("sign-in after enabling: %v", err)
		}
		if err := run("user", "revoke", "--database", db, "--username", "nobody"); err == nil || !strings.Contains(err.Error(), "nobody") {
			t.Errorf("unknown user: got %v", err)
		}
	})
}
