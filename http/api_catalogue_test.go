package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

func TestServiceAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		svc := ts.Fixtures.Service
		run(t, ts, []apiCase{
			{name: "ListPublic", role: nobody, method: "GET", path: "/api/v1/services",
				status: 200, contains: []string{`"items":[{`, `"limit":50`, `"code":"` + svc.Code + `"`}},
			{name: "ListCategory", role: nobody, method: "GET", path: "/api/v1/services?category=pensions_benefits&limit=500",
				status: 200, contains: []string{`"category":"pensions_benefits"`}, excludes: []string{`"category":"certificates"`}},
			{name: "ListChannelMode", role: nobody, method: "GET", path: "/api/v1/services?channel=online&mode=proactive", status: 200},
			{name: "ListCentre", role: nobody, method: "GET", path: "/api/v1/services?limit=500&centre=" + ts.Fixtures.Centre.Code,
				status: 200, contains: []string{`"code":"` + svc.Code + `"`}},
			{name: "ListOtherCentre", role: nobody, method: "GET", path: "/api/v1/services?limit=500&centre=" + ts.Fixtures.OtherCentre.Code,
				status: 200, contains: []string{`"items":[{`}, excludes: []string{`"code":"` + svc.Code + `"`}},
			{name: "ListQuery", role: dost.RoleCitizen, method: "GET", path: "/api/v1/services?q=" + svc.Code[:5],
				status: 200, contains: []string{`"code":"` + svc.Code + `"`}},
			{name: "ListBadCategory", role: nobody, method: "GET", path: "/api/v1/services?category=lottery",
				status: 400, field: "category"},
			{name: "ListBadChannel", role: nobody, method: "GET", path: "/api/v1/services?channel=pigeon",
				status: 400, field: "channel"},
			{name: "ListUnknownCentre", role: nobody, method: "GET", path: "/api/v1/services?centre=nowhere",
				status: 400, field: "centre"},
			{name: "GetOK", role: nobody, method: "GET", path: "/api/v1/services/" + svc.Code,
				status: 200, contains: []string{`"code":"` + svc.Code + `"`, `"name":{"az":`}},
			{name: "GetNotFound", role: nobody, method: "GET", path: "/api/v1/services/99-99-99-99",
				status: 404, code: dost.ENOTFOUND},
		})
	})
}

func TestCentreAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := ts.Fixtures
		centre := map[string]any{
			"code": "test-3", "name": map[string]string{"az": "Mərkəz 3", "en": "Centre 3", "ru": "Центр 3"},
			"region": "Baku", "district": "Sabail", "address": map[string]string{"az": "a", "en": "a", "ru": "a"},
			"timezone": "Asia/Baku", "hours": []map[string]any{{"weekday": 1, "opens": "09:00", "closes": "18:00"}},
			"counters": []map[string]any{{"number": 1, "label": "A"}}, "services": []string{ts.Fixtures.Service.Code},
		}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for k, v := range centre {
				m[k] = v
			}
			m[k] = v
			return m
		}
		run(t, ts, []apiCase{
			{name: "ListPublic", role: nobody, method: "GET", path: "/api/v1/centres",
				status: 200, contains: []string{`"code":"` + f.Centre.Code + `"`, `"code":"` + f.OtherCentre.Code + `"`}},
			{name: "ListByService", role: nobody, method: "GET", path: "/api/v1/centres?service=" + f.Service.Code,
				status: 200, contains: []string{`"code":"` + f.Centre.Code + `"`}, excludes: []string{`"code":"` + f.OtherCentre.Code + `"`}},
			{name: "ListPage", role: nobody, method: "GET", path: "/api/v1/centres?limit=1&offset=1",
				status: 200, contains: []string{`"limit":1`, `"offset":1`}},
			{name: "GetOK", role: nobody, method: "GET", path: "/api/v1/centres/" + f.Centre.Code,
				status: 200, contains: []string{`"timezone":"Asia/Baku"`, `"number":2`, `"code":"` + f.Centre.Code + `"`}},
			{name: "GetNotFound", role: nobody, method: "GET", path: "/api/v1/centres/nowhere", status: 404},

			{name: "CreateOK", role: dost.RoleAdmin, method: "POST", path: "/api/v1/centres", body: centre,
				status: 201, contains: []string{`"code":"test-3"`, `"label":"A"`},
				check: func(t *testing.T, r *result) {
					if _, err := ts.Centres.FindCentreByCode(context.Background(), "test-3"); err != nil {
						t.Errorf("stored centre: %v", err)
					}
				}},
			{name: "CreateDuplicate", role: dost.RoleAdmin, method: "POST", path: "/api/v1/centres", body: centre,
				status: 409, code: dost.ECONFLICT},
			{name: "CreateBadTimezone", role: dost.RoleAdmin, method: "POST", path: "/api/v1/centres", body: with("timezone", "Mars/Base"),
				status: 400, field: "timezone"},
			{name: "CreateCounterID", role: dost.RoleAdmin, method: "POST", path: "/api/v1/centres",
				body: with("counters", []map[string]any{{"number": 1, "id": 5}}), status: 400, field: "id"},
			{name: "CreateOperatorForbidden", role: dost.RoleOperator, method: "POST", path: "/api/v1/centres", body: with("code", "test-4"),
				status: 403},
			{name: "CreateNobody", role: nobody, method: "POST", path: "/api/v1/centres", body: with("code", "test-4"),
				status: 401},

			{name: "UpdateOK", role: dost.RoleAdmin, method: "PUT", path: "/api/v1/centres/test-3",
				body:   with("name", map[string]string{"az": "Yeni", "en": "New", "ru": "Новый"}),
				status: 200, contains: []string{`"en":"New"`}},
			{name: "UpdateWithoutCode", role: dost.RoleAdmin, method: "PUT", path: "/api/v1/centres/test-3",
				body: with("code", ""), status: 200, contains: []string{`"code":"test-3"`}},
			{name: "UpdateCodeChange", role: dost.RoleAdmin, method: "PUT", path: "/api/v1/centres/test-3", body: with("code", "test-9"),
				status: 400, field: "code"},
			{name: "UpdateNotFound", role: dost.RoleAdmin, method: "PUT", path: "/api/v1/centres/nowhere", body: centre,
				status: 404},
			{name: "UpdateSupervisorForbidden", role: dost.RoleSupervisor, method: "PUT", path: "/api/v1/centres/test-3", body: centre,
				status: 403},
		})
	})
}

// TestCentreAPIScope checks that an administrator scoped to centres may
// change only those: not another centre, and not add one.
func TestCentreAPIScope(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		f := ts.Fixtures
		admin := &dost.User{Username: "admin-baku-3", Name: "Baku 3 Administrator",
			Roles: []dost.Role{dost.RoleAdmin}, CentreIDs: []int64{f.Centre.ID}}
		if err := ts.Users.CreateUser(ctx, admin, "admin-baku-3-secret-pw"); err != nil {
			t.Fatal(err)
		}
		_, token, err := ts.Users.CreateAPIToken(ctx, admin.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{"Authorization": {"Bearer " + token}}
		body := func(c *dost.Centre, name string) map[string]any {
			return map[string]any{"name": map[string]string{"az": name, "en": name, "ru": name},
				"region": c.Region, "district": c.District, "address": c.Address, "timezone": c.Timezone}
		}

		t.Run("UpdateOtherCentreForbidden", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, hdr, "PUT", "/api/v1/centres/"+f.OtherCentre.Code, body(f.OtherCentre, "Hijacked"))
			if r.Status != http.StatusForbidden || r.Problem.Code != dost.EFORBIDDEN {
				t.Fatalf("got %d %s, want 403 forbidden", r.Status, r.Body)
			}
			c, err := ts.Centres.FindCentreByCode(ctx, f.OtherCentre.Code)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := c.Name, f.OtherCentre.Name; got != want {
				t.Errorf("stored name: got %v, want %v (unchanged)", got, want)
			}
		})
		t.Run("UpdateOwnCentre", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, hdr, "PUT", "/api/v1/centres/"+f.Centre.Code, body(f.Centre, "Renamed"))
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"en":"Renamed"`) {
				t.Fatalf("got %d %s, want 200 with the new name", r.Status, r.Body)
			}
		})
		t.Run("CreateForbidden", func(t *testing.T) {
			in := body(f.Centre, "New")
			in["code"] = "scoped-new"
			r := send(t, ts, http.DefaultClient, hdr, "POST", "/api/v1/centres", in)
			if r.Status != http.StatusForbidden || r.Problem.Code != dost.EFORBIDDEN {
				t.Fatalf("got %d %s, want 403 forbidden", r.Status, r.Body)
			}
			if _, err := ts.Centres.FindCentreByCode(ctx, "scoped-new"); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Errorf("stored centre: got err %v, want not found", err)
			}
		})
		t.Run("UnscopedAdminUpdatesAny", func(t *testing.T) {
			r := call(t, ts, dost.RoleAdmin, "PUT", "/api/v1/centres/"+f.OtherCentre.Code, body(f.OtherCentre, "Ganja"))
			if r.Status != http.StatusOK {
				t.Fatalf("got %d %s, want 200", r.Status, r.Body)
			}
		})
	})
}
