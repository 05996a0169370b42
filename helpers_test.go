package dost_test

import (
	"testing"

	"github.com/dost-az/dost"
)

func TestUser_CitizenOnly(t *testing.T) {
	citizen := &dost.User{Roles: []dost.Role{dost.RoleCitizen}}
	staff := &dost.User{Roles: []dost.Role{dost.RoleCitizen, dost.RoleCaseWorker}}
	worker := &dost.User{Roles: []dost.Role{dost.RoleCaseWorker}}
	var none *dost.User
	for name, tt := range map[string]struct {
		u    *dost.User
		want bool
	}{"Citizen": {citizen, true}, "CitizenAndStaff": {staff, false}, "Staff": {worker, false}, "Nil": {none, false}} {
		if got := tt.u.CitizenOnly(); got != tt.want {
			t.Errorf("%s: got %v, want %v", name, got, tt.want)
		}
	}
}

func TestFieldErr(t *testing.T) {
	err := dost.FieldErr("service_code", "service.unknown", "There is no service %q.", "x")
	if got, want := dost.ErrorCode(err), dost.EINVALID; got != want {
		t.Errorf("code: got %s, want %s", got, want)
	}
	if got, want := dost.ErrorMessage(err), `There is no service "x".`; got != want {
		t.Errorf("message: got %s, want %s", got, want)
	}
	fs := dost.ErrorFields(err)
	if len(fs) != 1 || fs[0].Field != "service_code" || fs[0].Code != "service.unknown" || fs[0].Message != `There is no service "x".` {
		t.Errorf("fields: got %+v", fs)
	}
}

func TestPerson_Lang(t *testing.T) {
	for in, want := range map[string]string{"ru": "ru", "en": "en", "az": "az", "fr": "az", "": "az"} {
		if got := (&dost.Person{Language: in}).Lang(); got != want {
			t.Errorf("Lang(%q): got %s, want %s", in, got, want)
		}
	}
}
