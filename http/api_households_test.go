package http_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestHouseholdAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := ts.Fixtures
		hh := "/api/v1/households/" + strconv.FormatInt(f.Household.ID, 10)
		ctx := context.Background()
		run(t, ts, []apiCase{
			{name: "GetOK", role: dost.RoleOperator, method: "GET", path: hh,
				status: 200, contains: []string{`"code":"HH0000001"`, `"fin":"1AB2CD3"`, `"role":"head"`, `"fin":"2EF3GH4"`, `"first_name":"Leyla"`}},
			{name: "GetBadID", role: dost.RoleOperator, method: "GET", path: "/api/v1/households/abc",
				status: 400, field: "id"},
			{name: "GetNotFound", role: dost.RoleOperator, method: "GET", path: "/api/v1/households/999999",
				status: 404, code: dost.ENOTFOUND},
			{name: "GetCitizenForbidden", role: dost.RoleCitizen, method: "GET", path: hh, status: 403},
			{name: "ListByFIN", role: dost.RoleAuditor, method: "GET", path: "/api/v1/households?fin=2ef3gh4",
				status: 200, contains: []string{`"total":1`, "HH0000001"}},
			{name: "ListByFINNoHousehold", role: dost.RoleAuditor, method: "GET", path: "/api/v1/households?fin=" + string(f.Child.FIN),
				status: 200, contains: []string{`"total":0`, `"items":[]`}},
			{name: "ListByBadFIN", role: dost.RoleAuditor, method: "GET", path: "/api/v1/households?fin=x",
				status: 400, field: "fin"},

			{name: "AddMemberOK", role: dost.RoleOperator, method: "POST", path: hh + "/members",
				body:   map[string]any{"fin": string(f.Child.FIN), "role": "child"},
				status: 201, contains: []string{`"fin":"3JK4LM5"`, `"role":"child"`},
				check: func(t *testing.T, r *result) {
					h, err := ts.Households.FindHouseholdByID(ctx, f.Household.ID)
					if err != nil || len(h.Members) != 3 {
						t.Errorf("members after add: got %v, %v; want 3", h, err)
					}
				}},
			{name: "AddMemberTwice", role: dost.RoleOperator, method: "POST", path: hh + "/members",
				body: map[string]any{"fin": string(f.Child.FIN), "role": "child"}, status: 409, code: dost.ECONFLICT},
			{name: "AddMemberUnknownPerson", role: dost.RoleOperator, method: "POST", path: hh + "/members",
				body: map[string]any{"fin": "9ZZ9ZZ9", "role": "child"}, status: 400, field: "fin"},
			{name: "AddMemberBadRole", role: dost.RoleOperator, method: "POST", path: hh + "/members",
				body: map[string]any{"fin": "9ZZ9ZZ9", "role": "cousin"}, status: 400, field: "role"},
			{name: "AddMemberUnknownHousehold", role: dost.RoleOperator, method: "POST", path: "/api/v1/households/999999/members",
				body: map[string]any{"fin": string(f.Child.FIN), "role": "child"}, status: 404},
			{name: "AddMemberSupervisorForbidden", role: dost.RoleSupervisor, method: "POST", path: hh + "/members",
				body: map[string]any{"fin": string(f.Child.FIN), "role": "child"}, status: 403},

			{name: "RemoveMemberOK", role: dost.RoleCaseWorker, method: "DELETE", path: hh + "/members/" + string(f.Child.FIN),
				status: 204, check: func(t *testing.T, r *result) {
					h, err := ts.Households.FindHouseholdByID(ctx, f.Household.ID)
					if err != nil || len(h.Members) != 2 {
						t.Errorf("members after remove: got %v, %v; want 2", h, err)
					}
				}},
			{name: "RemoveMemberAgain", role: dost.RoleCaseWorker, method: "DELETE", path: hh + "/members/" + string(f.Child.FIN),
				status: 404},
			{name: "RemoveMemberBadFIN", role: dost.RoleCaseWorker, method: "DELETE", path: hh + "/members/x",
				status: 400, field: "fin"},

			{name: "CreateOK", role: dost.RoleOperator, method: "POST", path: "/api/v1/households",
				body: map[string]any{"code": "HH0000002", "region": "Baku", "district": "Nasimi", "address": "Street 2",
					"members": []map[string]any{{"fin": "3jk4lm5", "role": "head"}}},
				status: 201, contains: []string{`"code":"HH0000002"`, `"fin":"3JK4LM5"`, `"first_name":"Murad"`}},
			{name: "CreateMemberElsewhere", role: dost.RoleOperator, method: "POST", path: "/api/v1/households",
				body:   map[string]any{"code": "HH0000003", "members": []map[string]any{{"fin": string(f.Head.FIN), "role": "head"}}},
				status: 409, code: dost.ECONFLICT},
			{name: "CreateDuplicateCode", role: dost.RoleOperator, method: "POST", path: "/api/v1/households",
				body: map[string]any{"code": "HH0000001"}, status: 409},
			{name: "CreateTwoHeads", role: dost.RoleOperator, method: "POST", path: "/api/v1/households",
				body: map[string]any{"code": "HH0000004", "members": []map[string]any{
					{"fin": string(f.Head.FIN), "role": "head"}, {"fin": string(f.Spouse.FIN), "role": "head"}}},
				status: 400, field: "members"},
			{name: "CreateUnknownField", role: dost.RoleOperator, method: "POST", path: "/api/v1/households",
				body: map[string]any{"code": "HH0000005", "id": 7}, status: 400, field: "id"},
			{name: "CreateAuditorForbidden", role: dost.RoleAuditor, method: "POST", path: "/api/v1/households",
				body: map[string]any{"code": "HH0000006"}, status: 403},
		})
	})
}
