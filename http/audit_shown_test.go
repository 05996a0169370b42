package http_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// TestAudit_PersonsShown: the records an answer shows besides the one its
// route names — a search's results, a household's members — are recorded as
// staff reads of each person, once per request, and appear on the citizen's
// "who viewed my data"; a citizen's own reading records nothing.
func TestAudit_PersonsShown(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			f := ts.Fixtures
			op := f.Users[dost.RoleOperator]
			readsOf := func(t *testing.T, route string) map[int64]int {
				t.Helper()
				out := map[int64]int{}
				for _, e := range auditEvents(t, ts) {
					if e.Action == dost.AuditRead && e.Route == route && e.ActorID == op.ID {
						out[e.PersonID]++
					}
				}
				return out
			}
			for _, tc := range []struct {
				name, path, route string
				want              []*dost.Person
			}{
				{"Search", "/api/v1/persons?q=" + string(f.Head.FIN[:3]), "GET /api/v1/persons", []*dost.Person{f.Head}},
				{"SearchPage", "/persons?fin=" + string(f.Spouse.FIN), "GET /persons", []*dost.Person{f.Spouse}},
				{"Household", fmt.Sprintf("/api/v1/households/%d", f.Household.ID), "GET /api/v1/households/{id}", []*dost.Person{f.Head, f.Spouse}},
				{"Households", "/api/v1/households?fin=" + string(f.Head.FIN), "GET /api/v1/households", []*dost.Person{f.Head, f.Spouse}},
				{"PersonPage", "/persons/" + string(f.Head.FIN), "GET /persons/{fin}", []*dost.Person{f.Head, f.Spouse}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					r := call(t, ts, dost.RoleOperator, "GET", tc.path, nil)
					if r.Status != http.StatusOK {
						t.Fatalf("got %d: %s", r.Status, r.Body)
					}
					got := readsOf(t, tc.route)
					for _, p := range tc.want {
						if got[p.ID] != 1 {
							t.Errorf("reads of %s (%d) by %s: %d, want 1 (all: %v)", p.FirstName, p.ID, tc.route, got[p.ID], got)
						}
					}
				})
			}
			// The spouse sees the operator among who viewed her data.
			spouse := &dost.User{Username: "fin:" + string(f.Spouse.FIN), Name: "Spouse", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &f.Spouse.ID}
			token := ts.AddUser(spouse)
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + token}}, "GET", "/api/v1/me/views", nil)
			if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(op.Name)) {
				t.Errorf("who viewed the spouse's data: %d %s, want %s", r.Status, r.Body, op.Name)
			}
		})
	}
}
