package http_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
)

// hallFixture is the test server's centre (baku-3) ready for its hall: a
// counter serving the fixture service's queue group and, once certify
// ran, the seeded operator certified for the service's category.
type hallFixture struct {
	ts      *dosttest.TestServer
	centre  *dost.Centre
	counter *dost.Counter // serves svc's queue group
	other   *dost.Counter // another counter of the centre serving it
	foreign *dost.Counter // a counter of OtherCentre
	svc     *dost.Service
	clock   *dosttest.FixedClock
}

// newHallFixture finds the counters of the test server's centres.
func newHallFixture(t testing.TB, ts *dosttest.TestServer) *hallFixture {
	t.Helper()
	f := &hallFixture{ts: ts, centre: ts.Fixtures.Centre, svc: ts.Fixtures.Service, clock: dosttest.ClockOf(t, ts.DB)}
	for _, k := range f.centre.Counters {
		if slices.Contains(k.Groups, f.svc.QueueGroup) || len(k.Groups) == 0 {
			if f.counter == nil {
				f.counter = k
			} else if f.other == nil {
				f.other = k
			}
		}
	}
	f.foreign = ts.Fixtures.OtherCentre.Counters[0]
	if f.counter == nil || f.other == nil {
		t.Fatalf("centre %s has fewer than two counters for queue group %s", f.centre.Code, f.svc.QueueGroup)
	}
	return f
}

// certify certifies operator for the fixture service's category through
// the API, from a month ago for a year.
func (f *hallFixture) certify(t testing.TB, operator *dost.User) {
	t.Helper()
	today := dost.Today(f.clock)
	r := call(t, f.ts, dost.RoleAdmin, "POST", "/api/v1/certifications", map[string]any{
		"operator_id": operator.ID, "category": f.svc.Category,
		"valid_from": today.AddDate(0, 0, -30).String(), "valid_until": today.AddDate(1, 0, 0).String(), "course": "Front office " + string(f.svc.Category)})
	if r.Status != http.StatusCreated {
		t.Fatalf("certify: got %d: %s", r.Status, r.Body)
	}
}

// issue issues a ticket for the fixture service at the kiosk.
func (f *hallFixture) issue(t testing.TB, priority dost.PriorityGroup) issuedTicket {
	t.Helper()
	r := call(t, f.ts, nobody, "POST", "/api/v1/tickets", map[string]any{"centre_id": f.centre.ID, "service_code": f.svc.Code, "priority": priority, "language": "en"})
	if r.Status != http.StatusCreated {
		t.Fatalf("issue: got %d: %s", r.Status, r.Body)
	}
	var it issuedTicket
	r.decode(t, &it)
	return it
}

// issuedTicket is the answer of POST /api/v1/tickets.
type issuedTicket struct {
	dost.Ticket
	Token     string `json:"token"`
	StatusURL string `json:"status_url"`
}

func counterPath(k *dost.Counter, op string) string {
	return "/api/v1/counters/" + strconv.FormatInt(k.ID, 10) + "/" + op
}

func ticketPath(id int64) string { return "/api/v1/tickets/" + strconv.FormatInt(id, 10) }

// hasFieldCode checks that the problem names field with code.
func hasFieldCode(field, code string) func(t *testing.T, r *result) {
	return func(t *testing.T, r *result) {
		t.Helper()
		for _, e := range r.Problem.Errors {
			if e.Field == field && e.Code == code {
				return
			}
		}
		t.Errorf("problem lacks field %q with code %q: %s", field, code, r.Body)
	}
}

func TestHallTicketsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		op := ts.Fixtures.Users[dost.RoleOperator]
		first := f.issue(t, dost.PriorityNone)
		if first.Number == "" || first.Status != dost.TicketWaiting || first.Token == "" {
			t.Fatalf("issued %+v", first)
		}
		f.clock.Advance(time.Minute)
		second := f.issue(t, dost.PriorityDisability)
		var called struct {
			Ticket dost.Ticket     `json:"ticket"`
			Reason dost.CallReason `json:"reason"`
		}
		c := strconv.FormatInt(f.centre.ID, 10)
		run(t, ts, []apiCase{
			{name: "IssueUnknownCentre", role: nobody, method: "POST", path: "/api/v1/tickets",
				body:   map[string]any{"centre_id": 987654, "service_code": f.svc.Code, "language": "en"},
				status: 400, code: dost.EINVALID, field: "centre_id", check: hasFieldCode("centre_id", "centre.unknown")},
			{name: "IssueServiceNotOffered", role: nobody, method: "POST", path: "/api/v1/tickets",
				body:   map[string]any{"centre_id": ts.Fixtures.OtherCentre.ID, "service_code": f.svc.Code, "language": "en"},
				status: 400, field: "service_code", check: hasFieldCode("service_code", "service.not_offered")},
			{name: "IssueBadInput", role: nobody, method: "POST", path: "/api/v1/tickets",
				body:   map[string]any{"centre_id": f.centre.ID, "service_code": "pension", "priority": "vip", "language": "fr"},
				status: 400, check: func(t *testing.T, r *result) {
					hasFieldCode("service_code", "service_code.invalid")(t, r)
					hasFieldCode("priority", "priority_group.invalid")(t, r)
					hasFieldCode("language", "language.invalid")(t, r)
				}},
			{name: "IssueUnknownField", role: nobody, method: "POST", path: "/api/v1/tickets",
				body: `{"centre_id":1,"service_code":"x","language":"en","vip":true}`, status: 400, field: "vip"},
			{name: "GetWithoutToken", role: nobody, method: "GET", path: ticketPath(first.ID), status: 404},
			{name: "GetWrongToken", role: nobody, method: "GET", path: ticketPath(first.ID) + "?token=" + second.Token, status: 404},
			{name: "GetWithToken", role: nobody, method: "GET", path: ticketPath(first.ID) + "?token=" + first.Token, status: 200,
				contains: []string{`"number":"` + first.Number + `"`, `"ahead":`}},
			{name: "GetAsStaff", role: dost.RoleOperator, method: "GET", path: ticketPath(second.ID), status: 200, contains: []string{`"priority":"disability"`}},
			{name: "ListAsOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/tickets?centre_id=" + c + "&status=waiting", status: 200,
				contains: []string{`"total":2`}},
			{name: "ListBadStatus", role: dost.RoleOperator, method: "GET", path: "/api/v1/tickets?centre_id=" + c + "&status=gone", status: 400, field: "status"},
			{name: "ListNeedsCentre", role: dost.RoleOperator, method: "GET", path: "/api/v1/tickets", status: 400, field: "centre_id"},
			{name: "ListOtherCentre", role: dost.RoleOperator, method: "GET", path: "/api/v1/tickets?centre_id=" + strconv.FormatInt(ts.Fixtures.OtherCentre.ID, 10), status: 403},
			{name: "ListAsCitizen", role: dost.RoleCitizen, method: "GET", path: "/api/v1/tickets?centre_id=" + c, status: 403},
			{name: "ListAsNobody", role: nobody, method: "GET", path: "/api/v1/tickets?centre_id=" + c, status: 401},

			{name: "SignInAsCaseWorker", role: dost.RoleCaseWorker, method: "POST", path: counterPath(f.counter, "sign-in"), status: 403},
			{name: "SignInUnknownCounter", role: dost.RoleOperator, method: "POST", path: "/api/v1/counters/987654/sign-in", status: 404,
				check: hasFieldCode("counter_id", "counter.unknown")},
			{name: "SignInOtherCentre", role: dost.RoleOperator, method: "POST", path: counterPath(f.foreign, "sign-in"), status: 403},
			{name: "CallBeforeSignIn", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 403,
				check: hasFieldCode("counter_id", "counter.not_signed_in")},
			{name: "SignIn", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "sign-in"), status: 200,
				contains: []string{fmt.Sprintf(`"operator_id":%d`, op.ID)}},
			{name: "CallNotCertified", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 403,
				check: hasFieldCode("operator_id", "certification.missing")},
			{name: "Certify", role: dost.RoleAdmin, method: "POST", path: "/api/v1/certifications", status: 201,
				body: map[string]any{"operator_id": op.ID, "category": f.svc.Category, "valid_from": dost.Today(f.clock).String(), "valid_until": dost.Today(f.clock).AddDate(1, 0, 0).String()}},
			{name: "CallNext", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 200,
				check: func(t *testing.T, r *result) {
					r.decode(t, &called)
					// The disability ticket's head start puts it first.
					if called.Ticket.ID != second.ID || called.Reason.Code != dost.ReasonPriority || called.Ticket.Status != dost.TicketCalled {
						t.Errorf("called %+v for %+v, want ticket %d for its priority", called.Ticket, called.Reason, second.ID)
					}
				}},
			{name: "CallNextBusy", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call-next"), status: 409,
				check: hasFieldCode("counter_id", "counter.busy")},
			{name: "RecallTooSoon", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "recall"}, status: 409, check: func(t *testing.T, r *result) {
					hasFieldCode("action", "ticket.recall_too_soon")(t, r)
					f.clock.Advance(31 * time.Second)
				}},
			{name: "Recall", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "recall"}, status: 200, contains: []string{`"recalls":1`}},
			{name: "FinishBeforeStart", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "finish", "services_done": []string{f.svc.Code}}, status: 409, check: hasFieldCode("action", "ticket_action.not_allowed")},
			{name: "ActAsOtherRole", role: dost.RoleSupervisor, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "start"}, status: 403},
			{name: "Start", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "start"}, status: 200, contains: []string{`"status":"serving"`}},
			{name: "FinishWithoutServices", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "finish"}, status: 400, field: "services_done"},
			{name: "TransferUnknownService", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "transfer", "service_code": "99-99-99-99"}, status: 400, field: "service_code"},
			{name: "Finish", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "finish", "services_done": []string{f.svc.Code}}, status: 200, contains: []string{`"status":"finished"`}},
			{name: "FinishTwice", role: dost.RoleOperator, method: "POST", path: ticketPath(second.ID) + "/actions",
				body: map[string]any{"action": "finish", "services_done": []string{f.svc.Code}}, status: 409, check: hasFieldCode("action", "ticket_action.not_allowed")},
			{name: "CallByUnknownNumber", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call"),
				body: map[string]any{"number": "Z-999"}, status: 400, field: "number", check: hasFieldCode("number", "ticket.unknown_number")},
			{name: "CallByNumberAndID", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call"),
				body: map[string]any{"number": first.Number, "ticket_id": first.ID}, status: 400, field: "number"},
			{name: "CallByNumber", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "call"),
				body: map[string]any{"number": first.Number}, status: 200, contains: []string{`"number":"` + first.Number + `"`, `"status":"called"`}},
			{name: "TransferToCounter", role: dost.RoleOperator, method: "POST", path: ticketPath(first.ID) + "/actions",
				body: map[string]any{"action": "transfer", "counter_id": f.other.ID}, status: 200,
				contains: []string{`"status":"waiting"`, fmt.Sprintf(`"directed_counter_id":%d`, f.other.ID)}},
			{name: "CancelAsCaseWorker", role: dost.RoleCaseWorker, method: "POST", path: ticketPath(first.ID) + "/actions",
				body: map[string]any{"action": "cancel"}, status: 200, contains: []string{`"status":"cancelled"`}},
			{name: "BoardSnapshot", role: nobody, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/board", status: 200,
				contains: []string{`"number":"` + second.Number + `"`, `"kind":"recalled"`, `"counter":` + strconv.Itoa(f.counter.Number)}},
			{name: "BoardEventsNeedAccept", role: nobody, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/board/events", status: 400, field: "accept"},
			{name: "BoardUnknownCentre", role: nobody, method: "GET", path: "/api/v1/centres/nowhere/board", status: 404},
			{name: "Estimate", role: nobody, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/estimate", status: 200,
				contains: []string{`"centre_id":` + c, `"services":[`}},
			{name: "SignOut", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "sign-out"), status: 204},
			{name: "SignOutTwice", role: dost.RoleOperator, method: "POST", path: counterPath(f.counter, "sign-out"), status: 404},
		})
	})
}

// serve calls, starts and finishes ticket id at the counter as the
// operator (signed in and certified).
func (f *hallFixture) serve(t *testing.T, id int64) {
	t.Helper()
	r := call(t, f.ts, dost.RoleOperator, "POST", counterPath(f.counter, "call"), map[string]any{"ticket_id": id})
	if r.Status != http.StatusOK {
		t.Fatalf("call %d: got %d: %s", id, r.Status, r.Body)
	}
	for _, body := range []map[string]any{{"action": "start"}, {"action": "finish", "services_done": []string{f.svc.Code}}} {
		if r := call(t, f.ts, dost.RoleOperator, "POST", ticketPath(id)+"/actions", body); r.Status != http.StatusOK {
			t.Fatalf("%v %d: got %d: %s", body["action"], id, r.Status, r.Body)
		}
	}
}

func TestHallFeedbackAndCertificationsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		op := ts.Fixtures.Users[dost.RoleOperator]
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != http.StatusOK {
			t.Fatalf("sign in: %d %s", r.Status, r.Body)
		}
		f.certify(t, op)
		visit, other, waiting := f.issue(t, ""), f.issue(t, ""), f.issue(t, "")
		f.serve(t, visit.ID)
		f.serve(t, other.ID)

		// A second operator of the centre, certified for nothing.
		newcomer := &dost.User{Username: "newcomer", Name: "New Operator", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.centre.ID}}
		newToken := ts.AddUser(newcomer)
		asNewcomer := http.Header{"Authorization": {"Bearer " + newToken}}
		if r := send(t, ts, http.DefaultClient, asNewcomer, "POST", counterPath(f.other, "sign-in"), nil); r.Status != http.StatusOK {
			t.Fatalf("newcomer sign in: %d %s", r.Status, r.Body)
		}
		t.Run("CallNotCertified", func(t *testing.T) {
			r := send(t, ts, http.DefaultClient, asNewcomer, "POST", counterPath(f.other, "call"), map[string]any{"number": waiting.Number})
			if r.Status != http.StatusForbidden {
				t.Fatalf("got %d, want 403: %s", r.Status, r.Body)
			}
			hasFieldCode("operator_id", "certification.missing")(t, r)
			// State unchanged: the ticket still waits.
			g := call(t, ts, dost.RoleOperator, "GET", ticketPath(waiting.ID), nil)
			if !bytesContains(g.Body, `"status":"waiting"`) {
				t.Errorf("after the refused call: %s", g.Body)
			}
		})

		today := dost.Today(f.clock)
		var cert dost.Certification
		run(t, ts, []apiCase{
			{name: "RateNotFinished", role: nobody, method: "POST", path: "/api/v1/feedback",
				body: map[string]any{"ticket_id": waiting.ID, "token": waiting.Token, "rating": 4, "channel": "sms"}, status: 409,
				check: hasFieldCode("ticket_id", "feedback.not_finished")},
			{name: "RateOtherVisit", role: nobody, method: "POST", path: "/api/v1/feedback",
				body: map[string]any{"ticket_id": other.ID, "token": visit.Token, "rating": 1, "channel": "sms"}, status: 403,
				check: hasFieldCode("token", "feedback.token")},
			{name: "RateOutOfRange", role: nobody, method: "POST", path: "/api/v1/feedback",
				body: map[string]any{"ticket_id": visit.ID, "token": visit.Token, "rating": 7, "channel": "pigeon"}, status: 400,
				check: func(t *testing.T, r *result) {
					hasFieldCode("rating", "rating.range")(t, r)
					hasFieldCode("channel", "channel.invalid")(t, r)
				}},
			{name: "Rate", role: nobody, method: "POST", path: "/api/v1/feedback",
				body: map[string]any{"ticket_id": visit.ID, "token": visit.Token, "rating": 5, "comment": "Quick and kind.", "channel": "sms"}, status: 201,
				contains: []string{`"rating":5`, fmt.Sprintf(`"operator_id":%d`, op.ID)}},
			{name: "RateTwice", role: nobody, method: "POST", path: "/api/v1/feedback",
				body: map[string]any{"ticket_id": visit.ID, "token": visit.Token, "rating": 1, "channel": "tablet"}, status: 409,
				check: hasFieldCode("ticket_id", "feedback.exists")},

			{name: "ListCertificationsAsSupervisor", role: dost.RoleSupervisor, method: "GET",
				path: fmt.Sprintf("/api/v1/certifications?operator_id=%d&valid_on=%s", op.ID, today), status: 200,
				contains: []string{`"total":1`, `"category":"` + string(f.svc.Category) + `"`},
				check: func(t *testing.T, r *result) {
					var p struct{ Items []dost.Certification }
					r.decode(t, &p)
					cert = p.Items[0]
				}},
			{name: "ListCertificationsBadCategory", role: dost.RoleAdmin, method: "GET", path: "/api/v1/certifications?category=juggling", status: 400, field: "category"},
			{name: "ListCertificationsAsOperator", role: dost.RoleOperator, method: "GET", path: "/api/v1/certifications", status: 403},
			{name: "CreateAsSupervisor", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/certifications",
				body: map[string]any{"operator_id": op.ID, "category": "disability", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}, status: 403},
			{name: "CreateForNonOperator", role: dost.RoleAdmin, method: "POST", path: "/api/v1/certifications",
				body:   map[string]any{"operator_id": ts.Fixtures.Users[dost.RoleCaseWorker].ID, "category": f.svc.Category, "valid_from": "2026-01-01", "valid_until": "2026-12-31"},
				status: 400, field: "operator_id", check: hasFieldCode("operator_id", "operator.unknown")},
			{name: "CreateOverlapping", role: dost.RoleAdmin, method: "POST", path: "/api/v1/certifications",
				body: map[string]any{"operator_id": op.ID, "category": f.svc.Category, "valid_from": "2026-01-01", "valid_until": "2026-12-31"}, status: 409},
			{name: "CreateBadPeriod", role: dost.RoleAdmin, method: "POST", path: "/api/v1/certifications",
				body: map[string]any{"operator_id": op.ID, "category": f.svc.Category, "valid_from": "2026-12-31", "valid_until": "2026-01-01"}, status: 400, field: "valid_until"},
			{name: "RevokeUnknown", role: dost.RoleAdmin, method: "POST", path: "/api/v1/certifications/987654/revoke", body: map[string]any{}, status: 404},
			{name: "RevokeAsSupervisor", role: dost.RoleSupervisor, method: "POST", path: "/api/v1/certifications/1/revoke", body: map[string]any{}, status: 403},
		})
		t.Run("Revoke", func(t *testing.T) {
			if r := call(t, ts, dost.RoleAdmin, "POST", fmt.Sprintf("/api/v1/certifications/%d/revoke", cert.ID), map[string]any{}); r.Status != http.StatusNoContent {
				t.Fatalf("revoke: got %d: %s", r.Status, r.Body)
			}
			// Revoked today, the operator is offered nothing.
			r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call-next"), nil)
			if r.Status != http.StatusForbidden {
				t.Fatalf("call-next after revoking: got %d, want 403: %s", r.Status, r.Body)
			}
			hasFieldCode("operator_id", "certification.missing")(t, r)
		})
	})
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }

func TestHallAppointmentsAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		// Today's slots: the bearer tokens last a day, so the clock
		// stays within it.
		today := dost.Today(f.clock)
		slotsPath := "/api/v1/centres/" + f.centre.Code + "/slots?free=true&service_code=" + f.svc.Code + "&from=" + today.String() + "&until=" + today.AddDate(0, 0, 1).String()
		var slots struct{ Items []dost.Slot }
		r := call(t, ts, nobody, "GET", slotsPath, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("slots: %d %s", r.Status, r.Body)
		}
		r.decode(t, &slots)
		// Slots far enough ahead that checking in now is too early.
		slots.Items = slices.DeleteFunc(slots.Items, func(s dost.Slot) bool { return s.Start.Before(f.clock.Now().Add(time.Hour)) })
		if len(slots.Items) < 4 {
			t.Fatalf("got %d free slots today, want several", len(slots.Items))
		}
		first, later, third := slots.Items[0], slots.Items[2], slots.Items[3]
		book := func(start time.Time, channel string) map[string]any {
			return map[string]any{"centre_id": f.centre.ID, "service_code": f.svc.Code, "start": start.Format(time.RFC3339), "name": "Aysel Mammadova", "phone": "+994 50 123 45 67", "language": "az", "channel": channel}
		}
		var early, late, mine dost.Appointment
		var ticket issuedTicket
		run(t, ts, []apiCase{
			{name: "SlotsNeedService", role: nobody, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/slots", status: 400, field: "service_code"},
			{name: "SlotsUnknownCentre", role: nobody, method: "GET", path: "/api/v1/centres/nowhere/slots?service_code=" + f.svc.Code, status: 404},
			{name: "SlotsNotOffered", role: nobody, method: "GET", path: "/api/v1/centres/" + ts.Fixtures.OtherCentre.Code + "/slots?service_code=" + f.svc.Code, status: 400, field: "service_code"},
			{name: "SlotsBadDay", role: nobody, method: "GET", path: "/api/v1/centres/" + f.centre.Code + "/slots?service_code=" + f.svc.Code + "&from=tomorrow", status: 400, field: "from"},
			{name: "BookByCitizenOnline", role: nobody, method: "POST", path: "/api/v1/appointments", body: book(first.Start, "centre"), status: 201,
				contains: []string{`"channel":"portal"`, `"status":"booked"`}, check: func(t *testing.T, r *result) { r.decode(t, &early) }},
			{name: "BookByCallCentre", role: dost.RoleOperator, method: "POST", path: "/api/v1/appointments", body: book(later.Start, "call_centre"), status: 201,
				contains: []string{`"channel":"call_centre"`}, check: func(t *testing.T, r *result) { r.decode(t, &late) }},
			{name: "BookSignedInCitizen", role: dost.RoleCitizen, method: "POST", path: "/api/v1/appointments", body: book(third.Start, "portal"), status: 201,
				contains: []string{fmt.Sprintf(`"person_id":%d`, ts.Fixtures.Child.ID)}, check: func(t *testing.T, r *result) { r.decode(t, &mine) }},
			{name: "BookNoSlot", role: nobody, method: "POST", path: "/api/v1/appointments", body: book(first.Start.Add(7*time.Minute), "portal"), status: 400, field: "start"},
			{name: "BookPast", role: nobody, method: "POST", path: "/api/v1/appointments", body: book(first.Start.AddDate(0, 0, -7), "portal"), status: 400, field: "start"},
			{name: "BookUnknownCentre", role: nobody, method: "POST", path: "/api/v1/appointments",
				body: map[string]any{"centre_id": 987654, "service_code": f.svc.Code, "start": first.Start.Format(time.RFC3339), "language": "az"}, status: 400, field: "centre_id"},
			{name: "ListAsCitizen", role: dost.RoleCitizen, method: "GET", path: "/api/v1/appointments", status: 200, contains: []string{`"total":1`}},
			{name: "ListAsOperator", role: dost.RoleOperator, method: "GET", path: fmt.Sprintf("/api/v1/appointments?centre_id=%d&status=booked", f.centre.ID), status: 200, contains: []string{`"total":3`}},
			{name: "ListBadStatus", role: dost.RoleOperator, method: "GET", path: "/api/v1/appointments?status=gone", status: 400, field: "status"},
			{name: "ListAsNobody", role: nobody, method: "GET", path: "/api/v1/appointments", status: 401},
			{name: "CheckInUnknownCode", role: nobody, method: "POST", path: "/api/v1/appointments/check-in", body: map[string]any{"code": "NOSUCHCODE"}, status: 404},
		})
		t.Run("CheckIn", func(t *testing.T) {
			r := call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": early.Code})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("a day early: got %d, want 400: %s", r.Status, r.Body)
			}
			hasFieldCode("code", "check_in.too_early")(t, r)
			f.clock.Set(early.Start.Add(-20 * time.Minute))
			r = call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": " " + early.Code + " "})
			if r.Status != http.StatusCreated {
				t.Fatalf("in the window: got %d: %s", r.Status, r.Body)
			}
			r.decode(t, &ticket)
			if ticket.AppointmentID != early.ID || ticket.Token == "" {
				t.Errorf("got ticket %+v", ticket)
			}
			r = call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": early.Code})
			if r.Status != http.StatusConflict {
				t.Fatalf("again: got %d, want 409: %s", r.Status, r.Body)
			}
			f.clock.Set(late.Start.Add(11 * time.Minute))
			r = call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": late.Code})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("too late: got %d, want 400: %s", r.Status, r.Body)
			}
			hasFieldCode("code", "check_in.too_late")(t, r)
			g := call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("/api/v1/appointments/%d", late.ID), nil)
			if !bytesContains(g.Body, `"status":"booked"`) {
				t.Errorf("a refused check-in changed the appointment: %s", g.Body)
			}
		})
		run(t, ts, []apiCase{
			{name: "GetOthersAsCitizen", role: dost.RoleCitizen, method: "GET", path: fmt.Sprintf("/api/v1/appointments/%d", late.ID), status: 404},
			{name: "GetOwnAsCitizen", role: dost.RoleCitizen, method: "GET", path: fmt.Sprintf("/api/v1/appointments/%d", mine.ID), status: 200},
			{name: "CancelOthersAsCitizen", role: dost.RoleCitizen, method: "POST", path: fmt.Sprintf("/api/v1/appointments/%d/cancel", late.ID), status: 404},
			{name: "CancelAsNobody", role: nobody, method: "POST", path: fmt.Sprintf("/api/v1/appointments/%d/cancel", mine.ID), status: 401},
			{name: "CancelOwn", role: dost.RoleCitizen, method: "POST", path: fmt.Sprintf("/api/v1/appointments/%d/cancel", mine.ID), status: 200, contains: []string{`"status":"cancelled"`}},
			{name: "CancelTwice", role: dost.RoleOperator, method: "POST", path: fmt.Sprintf("/api/v1/appointments/%d/cancel", mine.ID), status: 409},
			{name: "CheckedInTicket", role: nobody, method: "GET", path: ticketPath(ticket.ID) + "?token=" + ticket.Token, status: 200,
				contains: []string{`"appointment_id":`}},
		})
	})
}
