package main_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	main "github.com/dost-az/dost/cmd/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/sqlstore"
)

// TestUserAdd creates a registry account and a staff account with
// `dost user add`, gives the registry a token, and checks the refusals.
func TestUserAdd(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "dost.db")
	var out, logs bytes.Buffer
	run := func(args ...string) error {
		out.Reset()
		return main.Run(ctx, args, &out, &logs)
	}
	if err := run("migrate", "--database", db); err != nil {
		t.Fatal(err)
	}
	// The demo centres, no population.
	if err := run("demo", "--database", db, "--persons", "-1"); err != nil {
		t.Fatalf("demo: %v\n%s", err, logs.String())
	}

	t.Run("OK/Registry", func(t *testing.T) {
		t.Setenv("DOST_USER_PASSWORD", "")
		if err := run("user", "add", "--database", db, "--username", "civil-registry", "--name", "Civil registry", "--role", "registry"); err != nil {
			t.Fatal(err)
		}
		if err := run("token", "create", "--database", db, "--user", "civil-registry"); err != nil {
			t.Fatal(err)
		}
		u := findUser(t, db, "civil-registry")
		if !u.HasRole(dost.RoleRegistry) || u.Name != "Civil registry" || len(u.CentreIDs) != 0 {
			t.Errorf("got %+v, want a registry account of every centre", u)
		}
	})

	t.Run("OK/Staff", func(t *testing.T) {
		t.Setenv("DOST_USER_PASSWORD", "a-long-staff-password")
		if err := run("user", "add", "--database", db, "--username", "aliyev", "--name", "Rashad Aliyev",
			"--role", "caseworker", "--centre", demo.CentreBaku1, "--centre", demo.CentreGanja); err != nil {
			t.Fatal(err)
		}
		u := findUser(t, db, "aliyev")
		if !u.HasRole(dost.RoleCaseWorker) || len(u.CentreIDs) != 2 {
			t.Errorf("got %+v, want a case worker of two centres", u)
		}
		d := openDB(t, db)
		if _, _, err := sqlstore.NewUserService(d).SignIn(ctx, "aliyev", "a-long-staff-password", dost.SignInMeta{}); err != nil {
			t.Errorf("sign in with DOST_USER_PASSWORD: %v", err)
		}
	})

	for _, tt := range []struct {
		name, password string
		args           []string
		want           string
	}{
		{"ErrExists", "", []string{"--username", "civil-registry", "--name", "Again", "--role", "registry"}, "exists"},
		{"ErrUnknownRole", "a-long-staff-password", []string{"--username", "x1", "--name", "X", "--role", "king"}, "unknown role"},
		{"ErrCitizenRole", "a-long-staff-password", []string{"--username", "x2", "--name", "X", "--role", "citizen"}, "unknown role"},
		{"ErrUnknownCentre", "a-long-staff-password", []string{"--username", "x3", "--name", "X", "--role", "operator", "--centre", "nowhere"}, `"nowhere"`},
		{"ErrStaffWithoutPassword", "", []string{"--username", "x4", "--name", "X", "--role", "admin"}, "DOST_USER_PASSWORD"},
		{"ErrRegistryWithPassword", "a-long-staff-password", []string{"--username", "x5", "--name", "X", "--role", "registry"}, "DOST_USER_PASSWORD"},
		{"ErrShortPassword", "short", []string{"--username", "x6", "--name", "X", "--role", "admin"}, "x6"},
		{"ErrNoRole", "", []string{"--username", "x7", "--name", "X"}, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DOST_USER_PASSWORD", tt.password)
			err := run(append([]string{"user", "add", "--database", db}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	users := sqlstore.NewUserService(openDB(t, db))
	for _, name := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7"} {
		if _, err := users.FindUserByUsername(ctx, name); dost.ErrorCode(err) != dost.ENOTFOUND {
			t.Errorf("refused account %s: got %v, want not found", name, err)
		}
	}
}

func openDB(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	d, err := sqlstore.Open(context.Background(), path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func findUser(t *testing.T, path, username string) *dost.User {
	t.Helper()
	u, err := sqlstore.NewUserService(openDB(t, path)).FindUserByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("find %s: %v", username, err)
	}
	return u
}
