package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/sqlstore"
)

// stringsFlag is a flag that may be given more than once.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(v string) error { *f = append(*f, v); return nil }

// userAddUsage is the usage of "dost user add"; userLinkUsage of "dost
// user link".
const (
	userAddUsage  = "usage: dost user add --username NAME --name \"Full name\" --role registry|operator|caseworker|supervisor|admin|auditor|payroll [--centre CODE ...] [--fin FIN]"
	userLinkUsage = "usage: dost user link --username NAME --fin FIN"
)

// runUser handles "dost user add" and "dost user link".
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "add":
		return runUserAdd(ctx, args, stdout, stderr)
	case len(args) > 0 && args[0] == "link":
		return runUserLink(ctx, args, stdout, stderr)
	case len(args) > 0 && args[0] == "link-oidc":
		return runUserLinkOIDC(ctx, args, stdout, stderr) // oidc.go
	case len(args) > 0 && (args[0] == "revoke" || args[0] == "disable" || args[0] == "enable"):
		return runUserAccess(ctx, args, stdout, stderr) // users_access.go
	}
	return errors.New(userAddUsage + "\n" + userLinkUsage + "\n" + userAccessUsage)
}

// runUserAdd handles "dost user add": it creates a staff account, with the
// password from DOST_USER_PASSWORD, or a registry's system account, which
// has none and signs in only by API token (dost token create). --fin links
// a staff account to its person in the registry, which it needs to decide
// applications (casework refuses an unlinked decider).
func runUserAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost user add", stderr)
	c.bindDatabase(fs)
	username := fs.String("username", "", "login name of the account")
	name := fs.String("name", "", "full name of the person or system")
	role := fs.String("role", "", "registry (another registry's system account) or a staff role: operator, caseworker, supervisor, admin, auditor")
	var centres stringsFlag
	fs.Var(&centres, "centre", "code of a centre the account works for; repeat for more; none: every centre")
	fin := fs.String("fin", "", "FIN of the staff member's person in the registry (needed to decide applications)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*username) == "" || strings.TrimSpace(*name) == "" || *role == "" {
		return errors.New(userAddUsage)
	}
	r := dost.Role(*role)
	if r != dost.RoleRegistry && !slices.Contains(dost.StaffRoles, r) {
		return fmt.Errorf("unknown role %q: want registry, operator, caseworker, supervisor, admin or auditor", *role)
	}
	password := os.Getenv("DOST_USER_PASSWORD")
	switch {
	case r == dost.RoleRegistry && password != "":
		return errors.New("a registry account signs in by API token only: unset DOST_USER_PASSWORD")
	case r != dost.RoleRegistry && password == "":
		return fmt.Errorf("a %s account needs a password: set DOST_USER_PASSWORD (at least %d characters)", r, dost.MinPasswordLength)
	case r == dost.RoleRegistry && *fin != "":
		return errors.New("a registry account is a system, not a person: drop --fin")
	}

	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	u := &dost.User{Username: *username, Name: *name, Roles: []dost.Role{r}}
	for _, code := range centres {
		ce, err := sqlstore.NewCentreService(db).FindCentreByCode(ctx, code)
		if err != nil {
			return fmt.Errorf("centre %q: %s", code, dost.ErrorMessage(err))
		}
		u.CentreIDs = append(u.CentreIDs, ce.ID)
	}
	if *fin != "" {
		p, err := personByFIN(ctx, db, *fin)
		if err != nil {
			return err
		}
		u.PersonID = &p.ID
	}
	if err := sqlstore.NewUserService(db).CreateUser(ctx, u, password); err != nil {
		if dost.ErrorCode(err) == dost.ECONFLICT {
			return fmt.Errorf("user %q exists already", *username)
		}
		return fmt.Errorf("user %q: %s", *username, dost.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created user %s (%s)\n", u.Username, r)
	return nil
}

// runUserLink handles "dost user link": it links an existing account to
// its person in the registry, found by FIN, so that casework can check
// that its user never decides their own or a household member's
// application (an unlinked staff account may not decide).
func runUserLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := newFlagSet("dost user link", stderr)
	c.bindDatabase(fs)
	username := fs.String("username", "", "login name of the account")
	fin := fs.String("fin", "", "FIN of the account's person in the registry")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if strings.TrimSpace(*username) == "" || strings.TrimSpace(*fin) == "" {
		return errors.New(userLinkUsage)
	}
	db, err := c.openDB(ctx, c.logger(stderr), false)
	if err != nil {
		return err
	}
	defer db.Close()
	users := sqlstore.NewUserService(db)
	u, err := users.FindUserByUsername(ctx, *username)
	if err != nil {
		return fmt.Errorf("user %q: %s", *username, dost.ErrorMessage(err))
	}
	if u.HasRole(dost.RoleRegistry) {
		return fmt.Errorf("user %q is a registry's system account, not a person", *username)
	}
	p, err := personByFIN(ctx, db, *fin)
	if err != nil {
		return err
	}
	if _, err := users.UpdateUser(ctx, u.ID, dost.UserUpdate{PersonID: &p.ID}); err != nil {
		return fmt.Errorf("user %q: %s", *username, dost.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "linked user %s to person %s\n", u.Username, p.FIN.Masked())
	return nil
}

// personByFIN returns the registry's person with the FIN, or an error
// naming the FIN (masked) when it is not valid or nobody has it.
func personByFIN(ctx context.Context, db *sqlstore.DB, s string) (*dost.Person, error) {
	fin, err := dost.ParseFIN(s)
	if err != nil {
		return nil, fmt.Errorf("--fin: %s", dost.ErrorMessage(err))
	}
	p, err := sqlstore.NewPersonService(db).FindPersonByFIN(ctx, fin)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, fmt.Errorf("--fin: there is nobody with FIN %s in the registry", fin.Masked())
	} else if err != nil {
		return nil, fmt.Errorf("--fin: %w", err)
	}
	return p, nil
}
