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
		{"ErrUnknownFIN", "a-long-staff-password", []string{"--username", "x8", "--name", "X", "--role", "caseworker", "--fin", "9ZZ9ZZ9"}, "nobody with FIN"},
		{"ErrBadFIN", "a-long-staff-password", []string{"--username", "x9", "--name", "X", "--role", "caseworker", "--fin", "12"}, "--fin"},
		{"ErrRegistryFIN", "", []string{"--username", "x10", "--name", "X", "--role", "registry", "--fin", "1AB2CD3"}, "--fin"},
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
	for _, name := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"} {
		if _, err := users.FindUserByUsername(ctx, name); dost.ErrorCode(err) != dost.ENOTFOUND {
			t.Errorf("refused account %s: got %v, want not found", name, err)
		}
	}
}

// TestUserLink links accounts to their persons with `dost user add --fin`
// and `dost user link`, and checks the refusals.
func TestUserLink(t *testing.T) {
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
	if err := run("demo", "--database", db, "--persons", "-1"); err != nil {
		t.Fatalf("demo: %v\n%s", err, logs.String())
	}
	persons := sqlstore.NewPersonService(openDB(t, db))
	var ids []int64
	for _, fin := range []string{"1AB2CD3", "2EF3GH4"} {
		p := &dost.Person{FIN: dost.FIN(fin), FirstName: "Rashad", LastName: "Aliyev", BirthDate: dost.MustDate("1980-01-01"), Sex: dost.SexMale}
		if err := persons.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	t.Setenv("DOST_USER_PASSWORD", "a-long-staff-password")

	t.Run("OK/Add", func(t *testing.T) {
		if err := run("user", "add", "--database", db, "--username", "aliyev", "--name", "Rashad Aliyev",
			"--role", "caseworker", "--fin", "1ab2cd3"); err != nil {
			t.Fatal(err)
		}
		if u := findUser(t, db, "aliyev"); u.PersonID == nil || *u.PersonID != ids[0] {
			t.Errorf("aliyev linked to %v, want person %d", u.PersonID, ids[0])
		}
	})

	t.Run("OK/Link", func(t *testing.T) {
		if u := findUser(t, db, "caseworker"); u.PersonID != nil {
			t.Fatalf("the demo case worker is linked to %d already", *u.PersonID)
		}
		if err := run("user", "link", "--database", db, "--username", "caseworker", "--fin", "2EF3GH4"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "linked user caseworker") || strings.Contains(out.String(), "2EF3GH4") {
			t.Errorf("output %q, want the link reported with the FIN masked", out.String())
		}
		if u := findUser(t, db, "caseworker"); u.PersonID == nil || *u.PersonID != ids[1] {
			t.Errorf("caseworker linked to %v, want person %d", u.PersonID, ids[1])
		}
	})

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrUnknownFIN", []string{"--username", "operator", "--fin", "9ZZ9ZZ9"}, "nobody with FIN"},
		{"ErrBadFIN", []string{"--username", "operator", "--fin", "1AB-CD3"}, "--fin"},
		{"ErrUnknownUser", []string{"--username", "nobody", "--fin", "1AB2CD3"}, `"nobody"`},
		{"ErrNoFIN", []string{"--username", "operator"}, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(append([]string{"user", "link", "--database", db}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if u := findUser(t, db, "operator"); u.PersonID != nil {
		t.Errorf("operator linked to %d after refused links", *u.PersonID)
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
