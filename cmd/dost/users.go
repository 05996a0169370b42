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

// userAddUsage is the usage of "dost user add".
const userAddUsage = "usage: dost user add --username NAME --name \"Full name\" --role registry|operator|caseworker|supervisor|admin|auditor [--centre CODE ...]"

// runUser handles "dost user add": it creates a staff account, with the
// password from DOST_USER_PASSWORD, or a registry's system account, which
// has none and signs in only by API token (dost token create).
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New(userAddUsage)
	}
	c := DefaultConfig()
	fs := newFlagSet("dost user add", stderr)
	c.bindDatabase(fs)
	username := fs.String("username", "", "login name of the account")
	name := fs.String("name", "", "full name of the person or system")
	role := fs.String("role", "", "registry (another registry's system account) or a staff role: operator, caseworker, supervisor, admin, auditor")
	var centres stringsFlag
	fs.Var(&centres, "centre", "code of a centre the account works for; repeat for more; none: every centre")
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
	if err := sqlstore.NewUserService(db).CreateUser(ctx, u, password); err != nil {
		if dost.ErrorCode(err) == dost.ECONFLICT {
			return fmt.Errorf("user %q exists already", *username)
		}
		return fmt.Errorf("user %q: %s", *username, dost.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created user %s (%s)\n", u.Username, r)
	return nil
}
