package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// eventBody is a birth event to the test server's Spouse.
func eventBody(ts *dosttest.TestServer, id, childFIN string) map[string]any {
	return map[string]any{"id": id, "kind": "birth_registered", "fin": childFIN, "date": "2026-11-14",
		"birth": map[string]any{"first_name": "Nuray", "last_name": "Aliyeva", "sex": "F", "mother_fin": string(ts.Fixtures.Spouse.FIN)}}
}

func TestEventAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		ctx := context.Background()
		// The unemployment benefit's passport requires documents on every
		// channel (casework), which an accepted offer's application on the
		// proactive channel does not have: make them optional here.
		svc, err := ts.Catalogue.FindServiceByCode(ctx, "04-01-02-00")
		if err != nil {
			t.Fatal(err)
		}
		for i := range svc.Documents {
			svc.Documents[i].Required = false
		}
		if err := ts.Catalogue.SaveService(ctx, svc); err != nil {
			t.Fatal(err)
		}
		head := ts.Fixtures.Head
		if err := ts.Records.CreateInsurancePeriod(ctx, &dost.InsurancePeriod{PersonID: head.ID, Employer: "Zavod",
			From: dost.MustDate("2000-01-01"), MonthlyWage: dost.AZN(1000)}); err != nil {
			t.Fatal(err)
		}
		var offerID int64
		run(t, ts, []apiCase{
			{name: "Birth", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: eventBody(ts, "civil-1", "4NEW001"),
				status: 201, contains: []string{`"status":"processed"`, `"kind":"person_added"`, `"kind":"award_made"`, `"source":"civil-registry"`},
				check: func(t *testing.T, r *result) {
					if got := r.Header.Get("Location"); got != "/api/v1/events/civil-1?source=civil-registry" {
						t.Errorf("Location: got %q", got)
					}
				}},
			{name: "BirthAllowance", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/4NEW001/awards", status: 200,
				contains: []string{`"programme":"birth_allowance"`, `"amount":"600.00"`, fmt.Sprintf(`"payee_id":%d`, ts.Fixtures.Spouse.ID)}},
			{name: "Repeat", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: eventBody(ts, "civil-1", "4NEW001"),
				status: 200, contains: []string{`"fin":"4NEW001"`, `"status":"processed"`}},
			{name: "ErrRepeatOtherContent", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: eventBody(ts, "civil-1", "4NEW002"),
				status: 409, code: dost.ECONFLICT, contains: []string{"The event civil-1 from civil-registry was already received with other content; a new event needs a new id."},
				excludes: []string{"4NEW001", "4NEW002"}},
			{name: "Get", role: dost.RoleRegistry, method: "GET", path: "/api/v1/events/civil-1", status: 200,
				contains: []string{`"id":"civil-1"`, `"outcome":[`}},
			{name: "GetAsAuditor", role: dost.RoleAuditor, method: "GET", path: "/api/v1/events/civil-1", status: 200},
			{name: "GetNotFound", role: dost.RoleRegistry, method: "GET", path: "/api/v1/events/nope", status: 404},
			{name: "AdminSends", role: dost.RoleAdmin, method: "POST", path: "/api/v1/events",
				body: map[string]any{"id": "tick-1", "kind": "date_changed", "date": "2026-11-16"}, status: 201,
				contains: []string{`"source":"admin"`}},
			{name: "ErrOperator", role: dost.RoleOperator, method: "POST", path: "/api/v1/events", body: eventBody(ts, "civil-2", "4NEW003"), status: 403},
			{name: "ErrRegistryReadsPersons", role: dost.RoleRegistry, method: "GET", path: "/api/v1/persons/" + string(head.FIN), status: 403},
			{name: "ErrUnknownFIN", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body:   map[string]any{"id": "civil-3", "kind": "death_registered", "fin": "9ZZZ999", "date": "2026-11-10"},
				status: 400, code: dost.EINVALID, field: "fin", contains: []string{"person.unknown"}},
			{name: "ErrKind", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body:   map[string]any{"id": "civil-4", "kind": "wedding", "fin": string(head.FIN), "date": "2026-11-10"},
				status: 400, field: "kind"},
			{name: "ErrFuture", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body:   map[string]any{"id": "civil-5", "kind": "death_registered", "fin": string(head.FIN), "date": "2026-12-10"},
				status: 400, field: "date", contains: []string{"date.future"}},
			{name: "ErrDate", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body:   map[string]any{"id": "civil-6", "kind": "death_registered", "fin": string(head.FIN), "date": "2026-02-30"},
				status: 400, field: "date"},
			{name: "ErrUnknownField", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body:   map[string]any{"id": "civil-7", "kind": "death_registered", "fin": string(head.FIN), "date": "2026-11-10", "status": "processed"},
				status: 400, field: "status"},
			{name: "ErrNoID", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: "{}", status: 400, field: "id"},
			{name: "Dismissal", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events",
				body: map[string]any{"id": "emp-1", "kind": "employment_ended", "fin": string(head.FIN), "date": "2026-11-13",
					"employment": map[string]any{"reason": "staff_cut", "employer_tin": "1234567890"}},
				status: 201, contains: []string{`"kind":"dismissal_recorded"`, `"kind":"offer_sent"`}},
			{name: "Offers", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/" + string(head.FIN) + "/offers", status: 200,
				contains: []string{`"programme":"unemployment_benefit"`, `"status":"sent"`}, check: func(t *testing.T, r *result) {
					var os []dost.Offer
					r.decode(t, &os)
					// The unemployment benefit, and TSSA if the
					// household, re-evaluated, is entitled to it.
					for _, o := range os {
						if o.Programme == "unemployment_benefit" {
							if offerID != 0 {
								t.Fatalf("got two unemployment offers: %+v", os)
							}
							offerID = o.ID
						}
					}
					if offerID == 0 {
						t.Fatalf("got %+v, want the unemployment benefit offered", os)
					}
				}},
			{name: "OffersUnknownPerson", role: dost.RoleOperator, method: "GET", path: "/api/v1/persons/9ZZZ999/offers", status: 404},
			{name: "ErrOffersCitizen", role: dost.RoleCitizen, method: "GET", path: "/api/v1/persons/" + string(head.FIN) + "/offers", status: 403},
		})
		offer := func(action string) string { return "/api/v1/offers/" + strconv.FormatInt(offerID, 10) + "/" + action }
		run(t, ts, []apiCase{
			{name: "ErrAuditorAccepts", role: dost.RoleAuditor, method: "POST", path: offer("accept"), status: 403},
			{name: "Accept", role: dost.RoleOperator, method: "POST", path: offer("accept"), status: 200,
				contains: []string{`"status":"accepted"`, `"application_id":`}, check: func(t *testing.T, r *result) {
					var o dost.Offer
					r.decode(t, &o)
					a, err := ts.Casework.FindApplicationByID(ctx, o.ApplicationID)
					if err != nil {
						t.Fatal(err)
					}
					if a.Channel != dost.ApplicationProactive || a.Status != dost.ApplicationSubmitted || a.PersonID != head.ID {
						t.Fatalf("application: got %+v, want submitted on the proactive channel", a)
					}
				}},
			{name: "ErrAnswered", role: dost.RoleOperator, method: "POST", path: offer("decline"), status: 409, code: dost.ECONFLICT},
			{name: "ErrUnknownOffer", role: dost.RoleOperator, method: "POST", path: "/api/v1/offers/999999/decline", status: 404},
			{name: "ErrBadID", role: dost.RoleOperator, method: "POST", path: "/api/v1/offers/abc/accept", status: 400, field: "id"},
		})
	})
}

// TestEventAPI_Sources checks that two registries' events with one id are
// two events, each read by its sender only (and by an auditor naming the
// source).
func TestEventAPI_Sources(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		labour := http.Header{"Authorization": {"Bearer " + ts.AddUser(&dost.User{Username: "labour-registry", Name: "Labour registry",
			Roles: []dost.Role{dost.RoleRegistry}})}}
		asLabour := func(method, path string, body any) *result {
			t.Helper()
			return send(t, ts, http.DefaultClient, labour, method, path, body)
		}
		run(t, ts, []apiCase{
			{name: "Civil", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: eventBody(ts, "ev-1", "4NEW001"), status: 201},
		})
		t.Run("LabourSameID", func(t *testing.T) {
			r := asLabour("POST", "/api/v1/events", eventBody(ts, "ev-1", "4NEW002"))
			if r.Status != 201 || !bytes.Contains(r.Body, []byte(`"fin":"4NEW002"`)) || !bytes.Contains(r.Body, []byte(`"source":"labour-registry"`)) {
				t.Fatalf("got %d %s, want labour's own event created", r.Status, r.Body)
			}
			if got := r.Header.Get("Location"); got != "/api/v1/events/ev-1?source=labour-registry" {
				t.Errorf("Location: got %q", got)
			}
		})
		t.Run("LabourReadsOwn", func(t *testing.T) {
			r := asLabour("GET", "/api/v1/events/ev-1", nil)
			if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"fin":"4NEW002"`)) || bytes.Contains(r.Body, []byte("4NEW001")) {
				t.Fatalf("got %d %s, want labour's event only", r.Status, r.Body)
			}
		})
		t.Run("ErrLabourReadsCivil", func(t *testing.T) {
			r := asLabour("GET", "/api/v1/events/ev-1?source=civil-registry", nil)
			wantProblem(t, r, 404, dost.ENOTFOUND, "")
			if bytes.Contains(r.Body, []byte("4NEW001")) {
				t.Fatalf("got civil's event: %s", r.Body)
			}
		})
		run(t, ts, []apiCase{
			{name: "CivilReadsOwn", role: dost.RoleRegistry, method: "GET", path: "/api/v1/events/ev-1", status: 200,
				contains: []string{`"fin":"4NEW001"`}, excludes: []string{"4NEW002"}},
			{name: "ErrCivilReadsLabour", role: dost.RoleRegistry, method: "GET", path: "/api/v1/events/ev-1?source=labour-registry",
				status: 404, excludes: []string{"4NEW002"}},
			{name: "ErrAuditorNoSource", role: dost.RoleAuditor, method: "GET", path: "/api/v1/events/ev-1", status: 400,
				code: dost.EINVALID, field: "source"},
			{name: "AuditorNamesSource", role: dost.RoleAuditor, method: "GET", path: "/api/v1/events/ev-1?source=labour-registry",
				status: 200, contains: []string{`"fin":"4NEW002"`}},
			{name: "SupervisorNamesSource", role: dost.RoleSupervisor, method: "GET", path: "/api/v1/events/ev-1?source=civil-registry",
				status: 200, contains: []string{`"fin":"4NEW001"`}},
			{name: "CivilRepeat", role: dost.RoleRegistry, method: "POST", path: "/api/v1/events", body: eventBody(ts, "ev-1", "4NEW001"),
				status: 200, contains: []string{`"fin":"4NEW001"`}},
		})
	})
}

// TestEventAPI_Request checks a birth event's body against openapi.json.
func TestEventAPI_Request(t *testing.T) {
	body, _ := json.Marshal(map[string]any{"id": "civil-1", "kind": "birth_registered", "fin": "4NEW001", "date": "2026-11-14",
		"birth": map[string]any{"first_name": "Nuray", "last_name": "Aliyeva", "sex": "F", "mother_fin": "2EF3GH4"}})
	req := httptest.NewRequest("POST", "http://dost.test/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	validateRequest(t, req)
}

// BenchmarkEventBirth measures "POST /api/v1/events" with a birth, end to
// end through the handler on SQLite: the child added to the registry and
// the mother's household, the rules run, the birth allowance's
// application, decision and award made and the SMS queued. Each birth is
// to a new mother (made outside the timing), so households do not grow.
// It reports the latency's p50, p90 and p99.
func BenchmarkEventBirth(b *testing.B) {
	ts := dosttest.NewServer(b, "sqlite")
	h, err := ts.Server.Handler()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	auth := "Bearer " + ts.Token(dost.RoleRegistry)
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		mother := &dost.Person{FIN: dost.FIN(fmt.Sprintf("M%06d", i)), FirstName: "Ana", LastName: "Testova", Sex: dost.SexFemale,
			BirthDate: dost.MustDate("1995-01-01"), Phone: "+994501234567"}
		if err := ts.Persons.CreatePerson(ctx, mother); err != nil {
			b.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("bench-%d", i), "kind": "birth_registered",
			"fin": fmt.Sprintf("C%06d", i), "date": "2026-11-14",
			"birth": map[string]any{"first_name": "Nuray", "last_name": "Testova", "sex": "F", "mother_fin": string(mother.FIN)}})
		req := httptest.NewRequest("POST", "/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		b.StartTimer()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		lat = append(lat, time.Since(t0))
		if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"award_made"`) {
			b.Fatalf("got %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*90/100].Microseconds())/1000, "p90-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
