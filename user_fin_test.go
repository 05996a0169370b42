package dost_test

import (
	"errors"
	"testing"

	"github.com/dost-az/dost"
)

// TestUserValidateFINPrefix checks that the username prefix "fin:" of the
// accounts made at sign-in through OpenID Connect is reserved for
// citizen-only accounts: a staff account named so would be signed in as
// by a FIN claim alone.
func TestUserValidateFINPrefix(t *testing.T) {
	for _, roles := range [][]dost.Role{{dost.RoleOperator}, {dost.RoleCitizen, dost.RoleAdmin}, {dost.RoleRegistry}} {
		u := &dost.User{Username: "fin:ABC1234", Roles: roles}
		var e *dost.Error
		if err := u.Validate(); !errors.As(err, &e) || e.Code != dost.EINVALID || len(e.Fields) == 0 || e.Fields[0].Code != "username.reserved" {
			t.Errorf("%v: got %v, want username.reserved", roles, err)
		}
	}
	for _, u := range []*dost.User{
		{Username: "fin:ABC1234", Roles: []dost.Role{dost.RoleCitizen}},
		{Username: "finance", Roles: []dost.Role{dost.RoleAdmin}},
	} {
		if err := u.Validate(); err != nil {
			t.Errorf("%s %v: %v", u.Username, u.Roles, err)
		}
	}
}
