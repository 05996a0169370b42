package http_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// kpiDay runs a short day at the fixture's centre through the API: two
// tickets, the first served (waited 4 min, served 6 min) and rated 4, the
// second a no-show (waited 10 min), and a third still waiting. It returns the path of the
// centre's KPI route.
func kpiDay(t *testing.T, ts *dosttest.TestServer, f *hallFixture) string {
	t.Helper()
	f.certify(t, ts.Fixtures.Users[dost.RoleOperator])
	if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("sign in: got %d: %s", r.Status, r.Body)
	}
	act := func(id int64, body map[string]any) {
		t.Helper()
		if r := call(t, ts, dost.RoleOperator, "POST", ticketPath(id)+"/actions", body); r.Status != http.StatusOK {
			t.Fatalf("%v: got %d: %s", body, r.Status, r.Body)
		}
	}
	callNext := func() {
		t.Helper()
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil); r.Status != http.StatusOK {
			t.Fatalf("call next: got %d: %s", r.Status, r.Body)
		}
	}
	first := f.issue(t, dost.PriorityNone)
	second := f.issue(t, dost.PriorityNone)
	f.clock.Advance(4 * time.Minute)
	callNext()
	act(first.ID, map[string]any{"action": "start"})
	f.clock.Advance(6 * time.Minute)
	act(first.ID, map[string]any{"action": "finish", "services_done": []string{f.svc.Code}})
	callNext()
	act(second.ID, map[string]any{"action": "no_show"})
	if _, err := ts.Hall.SubmitFeedback(t.Context(), &dost.NewFeedback{TicketID: first.ID, Token: first.Token, Rating: 4, Channel: "tablet"}); err != nil {
		t.Fatal(err)
	}
	f.issue(t, dost.PriorityNone)
	f.clock.Advance(time.Minute)
	return "/api/v1/centres/" + f.centre.Code + "/kpis"
}

func TestHallKPIsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		path := kpiDay(t, ts, f)
		today := dost.Today(f.clock).String()
		other := ts.AddUser(&dost.User{Username: "sup-ganja", Name: "Ganja Supervisor", Roles: []dost.Role{dost.RoleSupervisor},
			CentreIDs: []int64{ts.Fixtures.OtherCentre.ID}})

		run(t, ts, []apiCase{
			{name: "Supervisor", role: dost.RoleSupervisor, method: "GET", path: path, status: 200,
				contains: []string{`"issued":3`, `"served":1`, `"no_shows":1`, `"wait_avg_seconds":420`, `"service_avg_seconds":360`,
					`"rating_avg":4`, `"service_level_minutes":15`, `"waiting":1`, `"longest_wait_seconds":60`, `"label":"` + today + `"`,
					`"name":"` + f.svc.Name.EN + `"`, `"name":"Demo Operator"`},
				check: func(t *testing.T, r *result) {
					var k dost.QueueKPIs
					r.decode(t, &k)
					if len(k.Periods) != 7 || k.By != dost.KPIByDay || k.Live == nil || k.Total.Called != 2 || k.Total.Quotes != 2 {
						t.Errorf("got %d periods by %s, live %v, called %d, quotes %d; want 7 by day, live, 2, 2",
							len(k.Periods), k.By, k.Live, k.Total.Called, k.Total.Quotes)
					}
				}},
			{name: "ByWeek", role: dost.RoleAdmin, method: "GET", path: path + "?by=week&from=" + dost.Today(f.clock).AddDate(0, 0, -13).String(), status: 200,
				contains: []string{`"by":"week"`, `-W`}},
			{name: "Operator", role: dost.RoleOperator, method: "GET", path: path, status: 403},
			{name: "Nobody", role: nobody, method: "GET", path: path, status: 401},
			{name: "BadDate", role: dost.RoleSupervisor, method: "GET", path: path + "?from=2026-13-01", status: 400,
				code: dost.EINVALID, field: "from", check: hasFieldCode("from", "date.invalid")},
			{name: "ToBeforeFrom", role: dost.RoleSupervisor, method: "GET", path: path + "?from=2026-11-20&to=2026-11-10", status: 400,
				code: dost.EINVALID, field: "to", check: hasFieldCode("to", "kpi.range")},
			{name: "TooLong", role: dost.RoleSupervisor, method: "GET", path: path + "?from=2024-01-01&to=2026-01-01", status: 400,
				check: hasFieldCode("to", "kpi.range_too_long")},
			{name: "BadBy", role: dost.RoleSupervisor, method: "GET", path: path + "?by=month", status: 400, check: hasFieldCode("by", "kpi.by")},
			{name: "BadFormat", role: dost.RoleSupervisor, method: "GET", path: path + "?format=pdf", status: 400, check: hasFieldCode("format", "format.invalid")},
			{name: "UnknownCentre", role: dost.RoleAdmin, method: "GET", path: "/api/v1/centres/nowhere/kpis", status: 404},
			{name: "AdminOtherCentre", role: dost.RoleAdmin, method: "GET", path: "/api/v1/centres/" + ts.Fixtures.OtherCentre.Code + "/kpis",
				status: 200, contains: []string{`"issued":0`}},
		})
		t.Run("OtherCentresSupervisor", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + other}}, "GET", path, nil)
			if r.Status != http.StatusForbidden {
				t.Errorf("got %d, want 403: %s", r.Status, r.Body)
			}
		})
		t.Run("CSV", func(t *testing.T) {
			r := call(t, ts, dost.RoleSupervisor, "GET", path+"?format=csv", nil)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
				!strings.Contains(r.Header.Get("Content-Disposition"), "kpis-"+f.centre.Code) {
				t.Fatalf("got %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
			}
			rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			// header, total, 7 days, 1 service, 1 operator
			if len(rows) != 11 || rows[0][5] != "issued" || rows[1][0] != "total" || rows[1][5] != "3" || rows[1][10] != "420" ||
				rows[9][0] != "service" || rows[10][0] != "operator" || rows[10][2] != "Demo Operator" {
				t.Errorf("csv: got %q", rows)
			}
			if rows[2][10] != "" {
				t.Errorf("a day without waits: got wait %q, want empty", rows[2][10])
			}
		})
		t.Run("XLSXByAccept", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + ts.Token(dost.RoleSupervisor)},
				"Accept": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}, "GET", path, nil)
			if r.Status != 200 {
				t.Fatalf("got %d: %s", r.Status, r.Body)
			}
			x, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			rows, err := x.GetRows("KPIs")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 11 || rows[1][0] != "total" || rows[1][5] != "3" {
				t.Errorf("xlsx: got %q", rows)
			}
			typ, err := x.GetCellType("KPIs", "F2")
			if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("issued cell: got type %v (%v), want a number", typ, err)
			}
		})
	})
}

// TestHallKPIsCSVInjection checks that exported text cannot start a
// formula in a spreadsheet.
func TestHallKPIsCSVInjection(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	f := newHallFixture(t, ts)
	op := ts.Fixtures.Users[dost.RoleOperator]
	if _, err := ts.DB.WriterDB().ExecContext(t.Context(), `UPDATE users SET name = '=HYPERLINK("x")' WHERE id = $1`, op.ID); err != nil {
		t.Fatal(err)
	}
	path := kpiDay(t, ts, f)
	r := call(t, ts, dost.RoleSupervisor, "GET", path+"?format=csv", nil)
	if !strings.Contains(string(r.Body), `'=HYPERLINK`) || strings.Contains(string(r.Body), `,"=HYPERLINK`) {
		t.Errorf("csv: the operator's name is not defused: %s", r.Body)
	}
}

// TestHallDashboardPages walks the dashboard's pages over HTTP.
func TestHallDashboardPages(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	f := newHallFixture(t, ts)
	kpiDay(t, ts, f)
	sup := ts.Client(dost.RoleSupervisor)
	page := "/centres/" + f.centre.Code + "/dashboard"
	p := getPage(t, ts, sup, "GET", "/dashboard?lang=en", nil)
	p.want(t, http.StatusSeeOther)
	if p.Location != page {
		t.Errorf("/dashboard: redirected to %q, want %q", p.Location, page)
	}
	getPage(t, ts, sup, "GET", "/dashboard?centre="+f.centre.Code+"&from=2026-11-01&by=week", nil).want(t, http.StatusSeeOther)
	getPage(t, ts, sup, "GET", "/dashboard?centre="+ts.Fixtures.OtherCentre.Code, nil).want(t, http.StatusNotFound)
	p = getPage(t, ts, sup, "GET", page+"?lang=en", nil)
	p.want(t, 200, "Dashboard", `href="/dashboard" aria-current="page"`, `id="total-issued">3<`, `id="live-waiting">1<`,
		"Demo Operator", f.svc.Name.EN, "format=csv", "format=xlsx", "hall_dashboard.js", "uPlot.iife.min.js", `id="total-wait-avg">7:00<`,
		`id="total-service-level">100%<`)
	getPage(t, ts, sup, "GET", page+"?lang=ru&by=week", nil).want(t, 200, "Панель показателей", "По неделям")
	getPage(t, ts, sup, "GET", page+"?lang=en&from=yesterday", nil).want(t, http.StatusBadRequest, "Enter a date as YYYY-MM-DD.", `aria-invalid="true"`)
	getPage(t, ts, sup, "GET", page+"?lang=en&from=2026-11-20&to=2026-11-01", nil).want(t, http.StatusBadRequest, "The last day is before the first.")
	getPage(t, ts, sup, "GET", "/centres/"+ts.Fixtures.OtherCentre.Code+"/dashboard", nil).want(t, http.StatusForbidden)
	getPage(t, ts, ts.Client(dost.RoleOperator), "GET", page, nil).want(t, http.StatusForbidden)
	getPage(t, ts, ts.Client(dost.RoleAdmin), "GET", "/centres/"+ts.Fixtures.OtherCentre.Code+"/dashboard?lang=en", nil).want(t, 200, "No tickets in these days.")
	if strings.Contains(getPage(t, ts, ts.Client(dost.RoleOperator), "GET", "/hall?lang=en", nil).Body, `href="/dashboard"`) {
		t.Error("operators see the dashboard in the navigation")
	}
}
