package http_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// auditEvents returns the events recorded so far, newest first.
func auditEvents(t *testing.T, ts *dosttest.TestServer) []*dost.AuditEvent {
	t.Helper()
	evs, _, err := ts.Audit.FindAuditEvents(context.Background(), dost.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// lastEvent returns the newest event, failing if there is none.
func lastEvent(t *testing.T, ts *dosttest.TestServer) *dost.AuditEvent {
	t.Helper()
	evs := auditEvents(t, ts)
	if len(evs) == 0 {
		t.Fatal("no audit event recorded")
	}
	return evs[0]
}

// TestAudit_Recording walks what the HTTP layer records: staff reads of a
// person, changes, refusals, sign-in, the reason asked of staff outside
// the person's centres, and what it leaves out (public hall routes).
func TestAudit_Recording(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			f := ts.Fixtures
			head, op := f.Head, f.Users[dost.RoleOperator]
			bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
			// A staff member of the other centre (Ganja): the fixtures live
			// in Nizami and have nothing at Ganja.
			ganja := &dost.User{Username: "ganja-op", Name: "Elvin Ganja", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.OtherCentre.ID}}
			ganjaToken := ts.AddUser(ganja)

			t.Run("ReadOfPerson", func(t *testing.T) {
				r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/persons/"+string(head.FIN), nil)
				if r.Status != http.StatusOK {
					t.Fatalf("got %d: %s", r.Status, r.Body)
				}
				e := lastEvent(t, ts)
				if e.Action != dost.AuditRead || e.PersonID != head.ID || e.ActorID != op.ID || e.ActorName != op.Name ||
					e.Route != "GET /api/v1/persons/{fin}" || e.RequestID != r.Header.Get("X-Request-ID") || e.IP != "127.0.0.1" ||
					e.ObjectKind != "person" || e.Reason != "" || len(e.ActorCentreIDs) != 1 {
					t.Fatalf("got %+v", e)
				}
				if strings.Contains(e.Detail+e.ObjectID, string(head.FIN)) {
					t.Errorf("the event holds the FIN: %+v", e)
				}
			})
			t.Run("Change", func(t *testing.T) {
				r := call(t, ts, dost.RoleOperator, "PATCH", "/api/v1/persons/"+string(head.FIN), map[string]any{"phone": "+994501112233"})
				if r.Status != http.StatusOK {
					t.Fatalf("got %d: %s", r.Status, r.Body)
				}
				e := lastEvent(t, ts)
				if e.Action != dost.AuditUpdate || e.PersonID != head.ID || e.Route != "PATCH /api/v1/persons/{fin}" {
					t.Fatalf("got %+v", e)
				}
				n := len(auditEvents(t, ts))
				// A change that failed is not recorded.
				r = call(t, ts, dost.RoleOperator, "PATCH", "/api/v1/persons/"+string(head.FIN), map[string]any{"phone": 12})
				if r.Status != http.StatusBadRequest || len(auditEvents(t, ts)) != n {
					t.Fatalf("bad change: got %d and %d events, want 400 and %d", r.Status, len(auditEvents(t, ts)), n)
				}
			})
			t.Run("Denied", func(t *testing.T) {
				r := call(t, ts, dost.RoleCitizen, "GET", "/api/v1/persons/"+string(head.FIN), nil)
				if r.Status != http.StatusForbidden {
					t.Fatalf("got %d", r.Status)
				}
				e := lastEvent(t, ts)
				if e.Action != dost.AuditDenied || e.PersonID != head.ID || e.ActorID != f.Users[dost.RoleCitizen].ID {
					t.Fatalf("got %+v", e)
				}
				r = call(t, ts, dost.RoleOperator, "GET", "/api/v1/audit", nil)
				if e := lastEvent(t, ts); r.Status != http.StatusForbidden || e.Action != dost.AuditDenied || e.Route != "GET /api/v1/audit" {
					t.Fatalf("operator reading the audit trail: got %d, %+v", r.Status, e)
				}
			})
			t.Run("ReasonRequired", func(t *testing.T) {
				n := len(auditEvents(t, ts))
				r := send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/api/v1/persons/"+string(head.FIN), nil)
				if r.Status != http.StatusForbidden || r.Problem.Code != "audit.reason_required" || strings.Contains(string(r.Body), head.LastName) {
					t.Fatalf("no reason: got %d %q: %s", r.Status, r.Problem.Code, r.Body)
				}
				if e := lastEvent(t, ts); e.Action != dost.AuditDenied || e.PersonID != head.ID || len(auditEvents(t, ts)) != n+1 {
					t.Fatalf("no reason: got %+v", e)
				}
				h := bearer(ganjaToken)
				h.Set("X-Dost-Reason", "The citizen came to the Ganja centre")
				r = send(t, ts, http.DefaultClient, h, "GET", "/api/v1/persons/"+string(head.FIN), nil)
				if r.Status != http.StatusOK {
					t.Fatalf("with a reason: got %d: %s", r.Status, r.Body)
				}
				if e := lastEvent(t, ts); e.Action != dost.AuditRead || e.Reason != "The citizen came to the Ganja centre" || e.ActorID != ganja.ID {
					t.Fatalf("with a reason: got %+v", e)
				}
				// The reason covers the record's other routes for a while.
				r = send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/api/v1/persons/"+string(head.FIN)+"/awards", nil)
				if e := lastEvent(t, ts); r.Status != http.StatusOK || e.Reason != "The citizen came to the Ganja centre" {
					t.Fatalf("awards after the reason: got %d, %+v", r.Status, e)
				}
				// … but not another person's.
				r = send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/api/v1/persons/"+string(f.Spouse.FIN)+"?reason=", nil)
				if r.Status != http.StatusForbidden || r.Problem.Code != "audit.reason_required" {
					t.Fatalf("spouse: got %d %q", r.Status, r.Problem.Code)
				}
				// The query parameter does as the header.
				r = send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/api/v1/persons/"+string(f.Spouse.FIN)+"?reason=Phone+request", nil)
				if e := lastEvent(t, ts); r.Status != http.StatusOK || e.Reason != "Phone request" || e.PersonID != f.Spouse.ID {
					t.Fatalf("reason in the query: got %d, %+v", r.Status, e)
				}
				// The page asks in a form, then shows the record.
				r = send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/persons/"+string(f.Child.FIN)+"?lang=en", nil)
				if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `id="audit-reason"`) || strings.Contains(string(r.Body), f.Child.LastName) {
					t.Fatalf("page without reason: got %d: %.300s", r.Status, r.Body)
				}
				r = send(t, ts, http.DefaultClient, bearer(ganjaToken), "GET", "/persons/"+string(f.Child.FIN)+"?lang=en&reason=Walk-in", nil)
				if e := lastEvent(t, ts); r.Status != http.StatusOK || !strings.Contains(string(r.Body), f.Child.LastName) ||
					e.Reason != "Walk-in" || e.Route != "GET /persons/{fin}" || e.PersonID != f.Child.ID {
					t.Fatalf("page with reason: got %d, %+v", r.Status, e)
				}
				// Staff of every centre need none.
				r = call(t, ts, dost.RoleAuditor, "GET", "/api/v1/persons/"+string(f.Child.FIN), nil)
				if e := lastEvent(t, ts); r.Status != http.StatusOK || e.Reason != "" || e.Action != dost.AuditRead {
					t.Fatalf("auditor: got %d, %+v", r.Status, e)
				}
			})
			t.Run("SignIn", func(t *testing.T) {
				ts.Client(dost.RoleSupervisor) // signs in by POST /api/v1/session
				e := lastEvent(t, ts)
				if e.Action != dost.AuditSignIn || e.ActorID != f.Users[dost.RoleSupervisor].ID || e.Route != "POST /api/v1/session" {
					t.Fatalf("got %+v", e)
				}
			})
			t.Run("NotRecorded", func(t *testing.T) {
				n := len(auditEvents(t, ts))
				// (A search's results are reads of each person shown:
				// TestAudit_PersonsShown.)
				for _, p := range []string{"/api/v1/centres/" + f.Centre.Code + "/board", "/api/v1/services"} {
					if r := call(t, ts, dost.RoleOperator, "GET", p, nil); r.Status != http.StatusOK {
						t.Fatalf("%s: got %d", p, r.Status)
					}
				}
				if r := call(t, ts, nobody, "GET", "/api/v1/centres/"+f.Centre.Code+"/board", nil); r.Status != http.StatusOK {
					t.Fatalf("board: got %d", r.Status)
				}
				if got := len(auditEvents(t, ts)); got != n {
					t.Fatalf("got %d events, want %d: %+v", got, n, auditEvents(t, ts)[0])
				}
			})
			t.Run("AuditorList", func(t *testing.T) {
				var pg struct {
					Items []dost.AuditEvent `json:"items"`
					Total int               `json:"total"`
				}
				r := call(t, ts, dost.RoleAuditor, "GET", "/api/v1/audit?fin="+string(head.FIN)+"&action=read&limit=2", nil)
				if r.Status != http.StatusOK {
					t.Fatalf("got %d: %s", r.Status, r.Body)
				}
				r.decode(t, &pg)
				if pg.Total != 3 || len(pg.Items) != 2 || pg.Items[0].PersonID != head.ID {
					t.Fatalf("reads of the head: got %d (%d items)", pg.Total, len(pg.Items))
				}
				r = call(t, ts, dost.RoleAdmin, "GET", "/api/v1/audit?actor=ganja-op&from=2000-01-01&to=2100-01-01", nil)
				r.decode(t, &pg)
				if r.Status != http.StatusOK || pg.Total != 7 {
					t.Fatalf("by actor: got %d, %d events", r.Status, pg.Total)
				}
				r = call(t, ts, dost.RoleAdmin, "GET", "/api/v1/audit?actor=nobody-at-all", nil)
				r.decode(t, &pg)
				if pg.Total != 0 {
					t.Fatalf("unknown actor: got %d", pg.Total)
				}
				for _, q := range []string{"fin=12", "action=peek", "from=yesterday", "limit=0"} {
					if r := call(t, ts, dost.RoleAuditor, "GET", "/api/v1/audit?"+q, nil); r.Status != http.StatusBadRequest || r.Problem.Code != dost.EINVALID {
						t.Errorf("%s: got %d %q", q, r.Status, r.Problem.Code)
					}
				}
			})
			t.Run("MyViews", func(t *testing.T) {
				var pg struct {
					Items []map[string]any `json:"items"`
					Total int              `json:"total"`
				}
				r := call(t, ts, dost.RoleCitizen, "GET", "/api/v1/me/views", nil)
				if r.Status != http.StatusOK {
					t.Fatalf("got %d: %s", r.Status, r.Body)
				}
				r.decode(t, &pg)
				// The child (the citizen) was read by the Ganja operator's page
				// and by the auditor.
				if pg.Total != 2 || pg.Items[1]["staff_name"] != "Elvin Ganja" || pg.Items[1]["reason"] != "Walk-in" {
					t.Fatalf("got %s", r.Body)
				}
				for _, leak := range []string{"127.0.0.1", "request_id", "hash", "\"ip\""} {
					if strings.Contains(string(r.Body), leak) {
						t.Errorf("the citizen's list shows %q: %s", leak, r.Body)
					}
				}
				if r := call(t, ts, dost.RoleOperator, "GET", "/api/v1/me/views", nil); r.Status != http.StatusForbidden {
					t.Errorf("operator: got %d", r.Status)
				}
			})
			t.Run("ChainHolds", func(t *testing.T) {
				c, err := ts.Audit.Verify(context.Background())
				if err != nil || !c.OK() || c.Count != 14 {
					t.Fatalf("verify: got %+v, %v", c, err)
				}
			})
		})
	}
}

// TestAudit_Off checks that a server without AuditService records nothing
// and asks for no reason.
func TestAudit_Off(t *testing.T) {
	ts := dosttest.NewServer(t, "sqlite")
	ganja := &dost.User{Username: "ganja-op", Name: "Elvin Ganja", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{ts.Fixtures.OtherCentre.ID}}
	token := ts.AddUser(ganja)
	r := send(t, ts, http.DefaultClient, http.Header{"Authorization": {"Bearer " + token}}, "GET", "/api/v1/persons/"+string(ts.Fixtures.Head.FIN), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("got %d", r.Status)
	}
	if evs := auditEvents(t, ts); len(evs) != 0 {
		t.Fatalf("got %d events, want none", len(evs))
	}
	if r := call(t, ts, dost.RoleAuditor, "GET", "/api/v1/audit", nil); r.Status != http.StatusNotFound {
		t.Fatalf("audit list: got %d, want 404", r.Status)
	}
}

// BenchmarkAuditedRead measures what recording adds to a staff read of a
// person (GET /api/v1/persons/{fin}, in-process, SQLite): the scope query
// and one append.
func BenchmarkAuditedRead(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		var opts []dosttest.ServerOption
		if on {
			name, opts = "on", []dosttest.ServerOption{dosttest.WithAudit}
		}
		b.Run(name, func(b *testing.B) {
			ts := dosttest.NewServer(b, "sqlite", opts...)
			h, err := ts.Server.Handler()
			if err != nil {
				b.Fatal(err)
			}
			path := "/api/v1/persons/" + string(ts.Fixtures.Head.FIN)
			auth := "Bearer " + ts.Token(dost.RoleOperator)
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", auth)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("got %d", rec.Code)
				}
			}
		})
	}
}

// TestAudit_CertificateIssueIsARead checks that issuing a certificate at
// the window, a POST that answers with the person's record, asks staff
// outside the person's centres for a reason as a GET does, and is recorded
// as a read of the person besides the create, so the citizen sees it.
func TestAudit_CertificateIssueIsARead(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			f := ts.Fixtures
			child := f.Child // the citizen's person
			ganja := &dost.User{Username: "ganja-op", Name: "Elvin Ganja", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.OtherCentre.ID}}
			h := http.Header{"Authorization": {"Bearer " + ts.AddUser(ganja)}}
			path := "/api/v1/persons/" + string(child.FIN) + "/certificates"

			r := send(t, ts, http.DefaultClient, h, "POST", path, map[string]string{"kind": "registration"})
			if r.Status != http.StatusForbidden || r.Problem.Code != "audit.reason_required" || strings.Contains(string(r.Body), child.LastName) {
				t.Fatalf("no reason: got %d %q: %s", r.Status, r.Problem.Code, r.Body)
			}
			if e := lastEvent(t, ts); e.Action != dost.AuditDenied || e.PersonID != child.ID {
				t.Fatalf("no reason: got %+v", e)
			}
			if n, _ := certificatesAbout(t, ts, child.ID); n != 0 {
				t.Fatalf("%d certificates issued without a reason", n)
			}

			h.Set("X-Dost-Reason", "Came to Ganja for a bank")
			r = send(t, ts, http.DefaultClient, h, "POST", path, map[string]string{"kind": "registration"})
			if r.Status != http.StatusCreated {
				t.Fatalf("with a reason: got %d: %s", r.Status, r.Body)
			}
			evs := auditEvents(t, ts)
			actions := map[dost.AuditAction]bool{}
			for _, e := range evs[:2] {
				if e.PersonID != child.ID || e.ActorID != ganja.ID || e.Reason != "Came to Ganja for a bank" || e.Route != "POST /api/v1/persons/{fin}/certificates" {
					t.Errorf("event %+v, want the Ganja operator's on the child with the reason", e)
				}
				actions[e.Action] = true
			}
			if !actions[dost.AuditCreate] || !actions[dost.AuditRead] {
				t.Fatalf("events %+v %+v, want a create and a read", evs[0], evs[1])
			}

			// The operator of the child's centre needs no reason; the read
			// is recorded all the same.
			if r := call(t, ts, dost.RoleOperator, "POST", path, map[string]string{"kind": "pension"}); r.Status != http.StatusCreated {
				t.Fatalf("own centre: got %d: %s", r.Status, r.Body)
			}
			if e := auditEvents(t, ts); e[0].Action == e[1].Action || e[0].PersonID != child.ID || e[1].PersonID != child.ID {
				t.Fatalf("own centre: got %+v and %+v, want a create and a read", e[0], e[1])
			}

			// The citizen sees both in "who viewed my data".
			r = call(t, ts, dost.RoleCitizen, "GET", "/api/v1/me/views", nil)
			var pg struct {
				Items []map[string]any `json:"items"`
				Total int              `json:"total"`
			}
			r.decode(t, &pg)
			if r.Status != http.StatusOK || pg.Total != 2 || !strings.Contains(string(r.Body), "Elvin Ganja") {
				t.Fatalf("my views: got %d: %s", r.Status, r.Body)
			}
		})
	}
}

// certificatesAbout returns how many certificates are about the person.
func certificatesAbout(t *testing.T, ts *dosttest.TestServer, personID int64) (int, error) {
	t.Helper()
	ctx := dost.NewContextWithUser(context.Background(), &dost.User{ID: 1, Roles: []dost.Role{dost.RoleAuditor}})
	_, n, err := ts.Server.Certificates.FindCertificates(ctx, dost.CertificateFilter{PersonID: personID})
	if err != nil {
		t.Fatal(err)
	}
	return n, nil
}

// TestAudit_ProbeLeavesTrace checks that a citizen asking for another
// person's record by id on their own routes, answered 404 as an unknown
// id is, is recorded as denied ("not found"), on pages and in the API.
func TestAudit_ProbeLeavesTrace(t *testing.T) {
	for _, d := range dosttest.Dialects() {
		t.Run(d, func(t *testing.T) {
			ts := dosttest.NewServer(t, d, dosttest.WithAudit)
			citizen := ts.Fixtures.Users[dost.RoleCitizen]
			for _, tt := range []struct{ path, route string }{
				{"/my/applications/999999", "GET /my/applications/{id}"},
				{"/api/v1/me/certificates/424242", "GET /api/v1/me/certificates/{id}"},
			} {
				r := call(t, ts, dost.RoleCitizen, "GET", tt.path, nil)
				if r.Status != http.StatusNotFound {
					t.Fatalf("%s: got %d, want 404", tt.path, r.Status)
				}
				e := lastEvent(t, ts)
				if e.Action != dost.AuditDenied || e.ActorID != citizen.ID || e.Route != tt.route || !strings.Contains(e.Detail, "not found") {
					t.Errorf("%s: got %+v, want a denied event of the citizen", tt.path, e)
				}
			}
			// A 404 elsewhere (an unknown page) is not recorded.
			n := len(auditEvents(t, ts))
			if r := call(t, ts, dost.RoleCitizen, "GET", "/no/such/page", nil); r.Status != http.StatusNotFound {
				t.Fatalf("unknown page: got %d", r.Status)
			}
			if got := len(auditEvents(t, ts)); got != n {
				t.Errorf("an unknown page recorded %d events", got-n)
			}
		})
	}
}
