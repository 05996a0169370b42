package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// freeSlots returns today's free slots of the fixture service starting
// from the clock's time on.
func (f *hallFixture) freeSlots(t *testing.T) []dost.Slot {
	t.Helper()
	today := dost.Today(f.clock)
	r := call(t, f.ts, nobody, "GET", "/api/v1/centres/"+f.centre.Code+"/slots?free=true&service_code="+f.svc.Code+
		"&from="+today.String()+"&until="+today.AddDate(0, 0, 1).String(), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("slots: %d %s", r.Status, r.Body)
	}
	var slots struct{ Items []dost.Slot }
	r.decode(t, &slots)
	return slices.DeleteFunc(slots.Items, func(s dost.Slot) bool { return !s.Start.After(f.clock.Now()) })
}

// book books start for the fixture service as role, with fin and phone.
func (f *hallFixture) book(t *testing.T, role dost.Role, start time.Time, fin, phone string) *result {
	t.Helper()
	return call(t, f.ts, role, "POST", "/api/v1/appointments", map[string]any{"centre_id": f.centre.ID, "service_code": f.svc.Code,
		"start": start.Format(time.RFC3339), "fin": fin, "phone": phone, "language": "en", "channel": "portal"})
}

// TestHallBadInputAPI covers the issue's bad input not covered by
// TestHallTicketsAPI and TestHallFeedbackAndCertificationsAPI: each is a
// clear error and changes nothing.
// 05-99-99-99 is well formed, of a known category, and in no catalogue.
func TestHallBadInputAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		op := ts.Fixtures.Users[dost.RoleOperator]
		c := strconv.FormatInt(f.centre.ID, 10)
		noTickets := func(t *testing.T, r *result) {
			g := call(t, ts, dost.RoleOperator, "GET", "/api/v1/tickets?centre_id="+c, nil)
			if !bytesContains(g.Body, `"total":0`) {
				t.Errorf("a refused issue left a ticket: %s", g.Body)
			}
		}
		run(t, ts, []apiCase{
			{name: "IssueUnknownService", role: nobody, method: "POST", path: "/api/v1/tickets",
				body:   map[string]any{"centre_id": f.centre.ID, "service_code": "05-99-99-99", "language": "en"},
				status: 400, field: "service_code", check: func(t *testing.T, r *result) {
					hasFieldCode("service_code", "service.not_offered")(t, r)
					noTickets(t, r)
				}},
			{name: "IssueUnknownCentre", role: nobody, method: "POST", path: "/api/v1/tickets",
				body:   map[string]any{"centre_id": 987654, "service_code": f.svc.Code, "language": "en"},
				status: 400, field: "centre_id", check: noTickets},
			{name: "CallNextUnknownCounter", role: dost.RoleOperator, method: "POST", path: "/api/v1/counters/987654/call-next",
				status: 404, check: hasFieldCode("counter_id", "counter.unknown")},
			{name: "CallUnknownCounter", role: dost.RoleOperator, method: "POST", path: "/api/v1/counters/987654/call",
				body: map[string]any{"number": "P-001"}, status: 404},
		})
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != http.StatusOK {
			t.Fatalf("sign in: %d %s", r.Status, r.Body)
		}
		f.certify(t, op)
		tk := f.issue(t, "")
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "call"), map[string]any{"ticket_id": tk.ID}); r.Status != http.StatusOK {
			t.Fatalf("call: %d %s", r.Status, r.Body)
		}
		stillCalled := func(t *testing.T, r *result) {
			g := call(t, ts, dost.RoleOperator, "GET", ticketPath(tk.ID), nil)
			if !bytesContains(g.Body, `"status":"called"`) || !bytesContains(g.Body, `"transfers":0`) {
				t.Errorf("a refused transfer changed the ticket: %s", g.Body)
			}
		}
		run(t, ts, []apiCase{
			{name: "TransferToUnknownCounter", role: dost.RoleOperator, method: "POST", path: ticketPath(tk.ID) + "/actions",
				body: map[string]any{"action": "transfer", "counter_id": 987654}, status: 400,
				check: func(t *testing.T, r *result) { hasFieldCode("counter_id", "counter.unknown")(t, r); stillCalled(t, r) }},
			{name: "TransferToOtherCentresCounter", role: dost.RoleOperator, method: "POST", path: ticketPath(tk.ID) + "/actions",
				body: map[string]any{"action": "transfer", "counter_id": f.foreign.ID}, status: 400,
				check: func(t *testing.T, r *result) { hasFieldCode("counter_id", "counter.unknown")(t, r); stillCalled(t, r) }},
			{name: "TransferToUnknownService", role: dost.RoleOperator, method: "POST", path: ticketPath(tk.ID) + "/actions",
				body: map[string]any{"action": "transfer", "service_code": "05-99-99-99"}, status: 400,
				check: func(t *testing.T, r *result) {
					hasFieldCode("service_code", "service.not_offered")(t, r)
					stillCalled(t, r)
				}},
		})
	})
}

// TestHallBookingLimitAPI: a person (by FIN) holds one future booking of
// a service; a second is refused, naming the first only to staff.
func TestHallBookingLimitAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		slots := f.freeSlots(t)
		if len(slots) < 2 {
			t.Fatalf("got %d free slots, want 2", len(slots))
		}
		if r := f.book(t, nobody, slots[0].Start, "5ABCDEF", ""); r.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", r.Status, r.Body)
		}
		r := f.book(t, nobody, slots[1].Start, "5ABCDEF", "")
		if r.Status != http.StatusConflict {
			t.Fatalf("second booking: got %d, want 409: %s", r.Status, r.Body)
		}
		hasFieldCode("start", "booking.limit_service")(t, r)
		// The API is public and takes any FIN: an anonymous caller is not
		// told which booking the FIN holds; staff are.
		at := slots[0].Start.In(dost.Baku).Format("15:04")
		if strings.Contains(string(r.Body), at) {
			t.Errorf("the error tells an anonymous caller the booking held at %s: %s", at, r.Body)
		}
		r = f.book(t, dost.RoleOperator, slots[1].Start, "5ABCDEF", "")
		if r.Status != http.StatusConflict || !strings.Contains(r.Problem.Detail, at) {
			t.Errorf("staff booking: got %d, want 409 naming the booking held at %s: %s", r.Status, at, r.Body)
		}
		g := call(t, ts, dost.RoleOperator, "GET", fmt.Sprintf("/api/v1/appointments?centre_id=%d&status=booked", f.centre.ID), nil)
		if !bytesContains(g.Body, `"total":1`) {
			t.Errorf("a refused booking was stored: %s", g.Body)
		}
	})
}

// TestHallCancelByCodeAPI cancels a booking with its code and phone,
// without signing in: a wrong phone is 404, twice 409, and the place is
// bookable again.
func TestHallCancelByCodeAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		slot := f.freeSlots(t)[0]
		var a dost.Appointment
		for range slot.Capacity {
			r := f.book(t, nobody, slot.Start, "", "+994 50 123 45 67")
			if r.Status != http.StatusCreated {
				t.Fatalf("book: %d %s", r.Status, r.Body)
			}
			r.decode(t, &a)
		}
		if r := f.book(t, nobody, slot.Start, "", ""); r.Status != http.StatusConflict {
			t.Fatalf("booking a full slot: got %d, want 409: %s", r.Status, r.Body)
		}
		path := "/api/v1/appointments/cancel"
		run(t, ts, []apiCase{
			{name: "NoSecondFactor", role: nobody, method: "POST", path: path, body: map[string]any{"code": a.Code}, status: 400,
				check: hasFieldCode("phone", "appointment.second_factor")},
			{name: "WrongPhone", role: nobody, method: "POST", path: path, body: map[string]any{"code": a.Code, "phone": "0507654321"}, status: 404,
				check: hasFieldCode("code", "appointment.unknown")},
			{name: "UnknownCode", role: nobody, method: "POST", path: path, body: map[string]any{"code": "NOSUCHCO", "phone": "0501234567"}, status: 404,
				check: hasFieldCode("code", "appointment.unknown")},
			{name: "UnknownField", role: nobody, method: "POST", path: path, body: `{"code":"X","phone":"1","name":"x"}`, status: 400, field: "name"},
			{name: "StillBooked", role: dost.RoleOperator, method: "GET", path: fmt.Sprintf("/api/v1/appointments/%d", a.ID), status: 200,
				contains: []string{`"status":"booked"`}},
			{name: "Cancel", role: nobody, method: "POST", path: path, body: map[string]any{"code": strings.ToLower(a.Code), "phone": "050 123 45 67"}, status: 200,
				contains: []string{`"status":"cancelled"`, `"code":"` + a.Code + `"`}, excludes: []string{`"phone"`, `"fin"`, `"name"`}},
			{name: "CancelTwice", role: nobody, method: "POST", path: path, body: map[string]any{"code": a.Code, "phone": "0501234567"}, status: 409,
				check: hasFieldCode("status", "appointment.not_booked")},
		})
		if r := f.book(t, nobody, slot.Start, "", ""); r.Status != http.StatusCreated {
			t.Fatalf("booking the freed place: got %d, want 201: %s", r.Status, r.Body)
		}
	})
}

// TestHallRatingSMS: a visit booked with a phone, finished, gets one SMS
// in the outbox with the rating link; the link's page works without
// signing in, once, and for no other visit.
func TestHallRatingSMS(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		if r := call(t, ts, dost.RoleOperator, "POST", counterPath(f.counter, "sign-in"), nil); r.Status != http.StatusOK {
			t.Fatalf("sign in: %d %s", r.Status, r.Body)
		}
		f.certify(t, ts.Fixtures.Users[dost.RoleOperator])
		slots := slices.DeleteFunc(f.freeSlots(t), func(s dost.Slot) bool { return s.Start.Before(f.clock.Now().Add(15 * time.Minute)) })
		slot := slots[0]
		f.clock.Set(slot.Start.Add(-10 * time.Minute))
		r := f.book(t, nobody, slot.Start, "", "+994 50 123 45 67")
		if r.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", r.Status, r.Body)
		}
		var a dost.Appointment
		r.decode(t, &a)
		r = call(t, ts, nobody, "POST", "/api/v1/appointments/check-in", map[string]any{"code": a.Code})
		if r.Status != http.StatusCreated {
			t.Fatalf("check in: %d %s", r.Status, r.Body)
		}
		var visit issuedTicket
		r.decode(t, &visit)
		other := f.issue(t, "")
		f.serve(t, visit.ID)
		f.serve(t, other.ID)

		ns, _, err := sqlstore.NewCaseStore(ts.DB).FindNotifications(t.Context(), dost.NotificationFilter{Topic: "visit.rating"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].To != a.Phone || ns[0].Channel != dost.NotifySMS {
			t.Fatalf("rating SMS: got %+v, want one to %s", ns, a.Phone)
		}
		i := strings.Index(ns[0].Body, "http://dost.test/feedback/")
		if i < 0 {
			t.Fatalf("the SMS has no rating link: %q", ns[0].Body)
		}
		link := strings.TrimPrefix(strings.Fields(ns[0].Body[i:])[0], "http://dost.test")
		u, err := url.Parse(link)
		if err != nil || u.Path != "/feedback/"+strconv.FormatInt(visit.ID, 10) || u.Query().Get("token") != visit.Token {
			t.Fatalf("rating link %q (%v), want visit %d with its token", link, err, visit.ID)
		}
		anon := ts.Client("")
		getPage(t, ts, anon, "GET", link+"&lang=en", nil).want(t, 200, "How were you served with ticket "+visit.Number)
		form := url.Values{"token": {visit.Token}, "channel": {"sms"}, "rating": {"5"}}
		// The link's token rates no other visit.
		getPage(t, ts, anon, "POST", "/feedback/"+strconv.FormatInt(other.ID, 10), form).want(t, 404)
		getPage(t, ts, anon, "POST", u.Path, form).want(t, http.StatusSeeOther)
		getPage(t, ts, anon, "POST", u.Path+"?lang=en", form).want(t, 409, "This visit has been rated already.")
		fb, _, err := ts.Hall.FindFeedback(t.Context(), dost.FeedbackFilter{CentreID: f.centre.ID})
		if err != nil || len(fb) != 1 || fb[0].TicketID != visit.ID || fb[0].Channel != "sms" || fb[0].Rating != 5 {
			t.Errorf("ratings: got %+v (%v), want visit %d rated 5 by SMS", fb, err, visit.ID)
		}
	})
}

// TestHallCancelPage cancels a booking on the public page.
func TestHallCancelPage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, ts *dosttest.TestServer) {
		f := newHallFixture(t, ts)
		slot := f.freeSlots(t)[0]
		r := f.book(t, nobody, slot.Start, "5ABCDEF", "")
		if r.Status != http.StatusCreated {
			t.Fatalf("book: %d %s", r.Status, r.Body)
		}
		var a dost.Appointment
		r.decode(t, &a)
		anon := ts.Client("")
		getPage(t, ts, anon, "GET", "/appointments/cancel?lang=en&code="+a.Code, nil).want(t, 200, "Cancel a booking", `value="`+a.Code+`"`)
		getPage(t, ts, anon, "POST", "/appointments/cancel?lang=en", url.Values{"code": {a.Code}}).
			want(t, 400, "Give the phone number or the FIN you booked with.")
		getPage(t, ts, anon, "POST", "/appointments/cancel?lang=en", url.Values{"code": {a.Code}, "fin": {"6ABCDEF"}}).
			want(t, 404, "No booking has this code with this phone number or FIN.")
		p := getPage(t, ts, anon, "POST", "/appointments/cancel?lang=en", url.Values{"code": {a.Code}, "fin": {"5abcdef"}})
		p.want(t, http.StatusSeeOther)
		getPage(t, ts, anon, "GET", p.Location+"&lang=en", nil).want(t, 200, "Your booking was cancelled.")
		getPage(t, ts, anon, "POST", "/appointments/cancel?lang=en", url.Values{"code": {a.Code}, "fin": {"5ABCDEF"}}).
			want(t, 409, "This booking can no longer be cancelled")
	})
}
