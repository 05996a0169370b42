package hall_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// serve calls ticket id to operator i's counter (signing them in), starts
// and finishes it.
func (f *hallFixture) serve(t testing.TB, i int, id int64) *dost.Ticket {
	t.Helper()
	_, err := f.svc.SignInCounter(as(f.ops[i]), f.counter(i))
	ok(t, err)
	_, err = f.svc.CallTicket(as(f.ops[i]), f.counter(i), id)
	ok(t, err)
	_, err = f.act(i, id, dost.TicketActionRequest{Action: dost.TicketStart})
	ok(t, err)
	done, err := f.act(i, id, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{pension}})
	ok(t, err)
	return done
}

func TestCloseDays(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 4)
		waiting, called, serving, parked, finished := f.issue(t, pension, ""), f.issue(t, pension, ""), f.issue(t, pension, ""),
			f.issue(t, pension, ""), f.issue(t, pension, "")
		f.serve(t, 0, finished.ID)
		for i, id := range []int64{called.ID, serving.ID, parked.ID} {
			_, err := f.svc.SignInCounter(as(f.ops[i+1]), f.counter(i+1))
			ok(t, err)
			_, err = f.svc.CallTicket(as(f.ops[i+1]), f.counter(i+1), id)
			ok(t, err)
		}
		_, err := f.act(2, serving.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		_, err = f.act(3, parked.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		_, err = f.act(3, parked.ID, dost.TicketActionRequest{Action: dost.TicketPark})
		ok(t, err)

		// The same day closes nothing.
		n, err := f.svc.CloseDays(ctx)
		ok(t, err)
		if n != 0 {
			t.Fatalf("closed on the day itself: got %d, want 0", n)
		}
		f.clock.Advance(24 * time.Hour)
		today := f.issue(t, pension, "")
		n, err = f.svc.CloseDays(ctx)
		ok(t, err)
		if n != 4 {
			t.Fatalf("closed: got %d, want 4", n)
		}
		for _, tk := range []*dost.Ticket{waiting, called, serving, parked} {
			got, err := f.svc.FindTicketByID(ctx, tk.ID)
			ok(t, err)
			if got.Status != dost.TicketCancelled || got.FinishedAt == nil || !got.FinishedAt.Equal(f.clock.Now()) {
				t.Errorf("ticket %s: got %s finished %v, want cancelled now", got.Number, got.Status, got.FinishedAt)
			}
			es, _, err := f.svc.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: tk.ID})
			ok(t, err)
			last := es[len(es)-1]
			if last.Kind != dost.QueueCancelled || last.Reason == nil || last.Reason.Code != dost.ReasonDayEnd || last.OperatorID != 0 {
				t.Errorf("ticket %s: last event %+v, want cancelled for the day's end", got.Number, last)
			} else if last.Reason.WaitedSeconds < 24*60*60 {
				t.Errorf("ticket %s: waited %d s, want a day or more", got.Number, last.Reason.WaitedSeconds)
			}
		}
		for tk, want := range map[*dost.Ticket]dost.TicketStatus{finished: dost.TicketFinished, today: dost.TicketWaiting} {
			got, err := f.svc.FindTicketByID(ctx, tk.ID)
			ok(t, err)
			if got.Status != want {
				t.Errorf("ticket %s: got %s, want it left %s", got.Number, got.Status, want)
			}
		}
		// The dashboard counts the closed tickets apart: not as cancelled
		// by their visitors, nor as missing the service level.
		data, err := f.store.FindKPIData(ctx, f.centre.ID, waiting.Day, waiting.Day)
		ok(t, err)
		k := hall.ComputeKPIs(dost.QueueKPIFilter{CentreID: f.centre.ID, From: waiting.Day, To: waiting.Day}, 15, data, f.clock.Now()).Total
		if k.ClosedAtDayEnd != 4 || k.Cancelled != 0 || k.MissedTarget != 0 {
			t.Errorf("KPIs: got closed at day end %d, cancelled %d, missed target %d; want 4 0 0", k.ClosedAtDayEnd, k.Cancelled, k.MissedTarget)
		}
		// The counters are free again, and a second run closes nothing.
		if _, err := f.svc.CallTicket(as(f.ops[1]), f.counter(1), today.ID); err != nil {
			t.Errorf("calling at a counter whose ticket was closed: %v", err)
		}
		n, err = f.svc.CloseDays(ctx)
		ok(t, err)
		if n != 0 {
			t.Errorf("a second run closed %d, want 0", n)
		}
	})
}

func TestBookingLimits(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 4) // two places per slot
		svc, err := hall.New(hall.Config{Store: f.store, Centres: sqlstore.NewCentreService(db), Catalogue: sqlstore.NewCatalogueService(db),
			Clock: f.clock, Limits: hall.BookingLimits{PerService: 1, Total: 2}})
		ok(t, err)
		if got := svc.Limits(); got != (hall.BookingLimits{PerService: 1, Total: 2}) {
			t.Fatalf("limits: got %+v", got)
		}
		if got, _ := hall.New(hall.Config{Store: f.store, Centres: sqlstore.NewCentreService(db), Catalogue: sqlstore.NewCatalogueService(db)}); got.Limits() != hall.DefaultBookingLimits {
			t.Errorf("default limits: got %+v, want %+v", got.Limits(), hall.DefaultBookingLimits)
		}
		now := f.clock.Now()
		book := func(fin dost.FIN, code string, start time.Time) (*dost.Appointment, error) {
			return svc.BookAppointment(ctx, &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: code, Start: start,
				FIN: fin, Language: "az", Channel: dost.ApplicationOnline})
		}
		first, err := book("5ABCDEF", pension, now.Add(time.Hour))
		ok(t, err)
		_, err = book("5ABCDEF", pension, now.Add(2*time.Hour))
		mustCode(t, err, dost.ECONFLICT, "booking.limit_service")
		// An anonymous caller is not told which booking the FIN holds
		// (anyone may give any FIN); staff are.
		if strings.Contains(err.Error(), pension) || strings.Contains(err.Error(), first.Start.In(dost.Baku).Format("15:04")) {
			t.Errorf("the error tells an anonymous caller the booking held: %v", err)
		}
		_, err = svc.BookAppointment(as(f.ops[0]), &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: pension,
			Start: now.Add(2 * time.Hour), FIN: "5ABCDEF", Language: "az", Channel: dost.ApplicationAtCentre})
		mustCode(t, err, dost.ECONFLICT, "booking.limit_service")
		if !strings.Contains(err.Error(), pension) || !strings.Contains(err.Error(), first.Start.In(dost.Baku).Format("15:04")) {
			t.Errorf("the error does not name the booking held to staff: %v", err)
		}
		// Another person, and a booking without a FIN, are not counted.
		_, err = book("6ABCDEF", pension, now.Add(2*time.Hour))
		ok(t, err)
		_, err = book("", pension, now.Add(2*time.Hour))
		ok(t, err)
		// Slots of the others' lengths (12 and 8 minutes) from 09:00.
		disabilityAt, allowanceAt := now.Add(3*time.Hour+6*time.Minute), now.Add(4*time.Hour+2*time.Minute)
		held, err := book("5ABCDEF", disability, disabilityAt)
		ok(t, err)
		_, err = book("5ABCDEF", allowance, allowanceAt)
		mustCode(t, err, dost.ECONFLICT, "booking.limit_total")
		// Cancelling one frees the limit.
		_, err = svc.CancelAppointment(ctx, first.ID)
		ok(t, err)
		_, err = book("5ABCDEF", pension, now.Add(5*time.Hour))
		ok(t, err)
		_, err = book("5ABCDEF", allowance, allowanceAt)
		mustCode(t, err, dost.ECONFLICT, "booking.limit_total")
		// A booking whose check-in window closed no longer counts.
		f.clock.Set(held.Start.Add(dost.CheckInLate + time.Second))
		_, err = book("5ABCDEF", allowance, allowanceAt)
		ok(t, err)

		// Many bookings of one person at once: the limit holds.
		f.clock.Set(now)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var booked, refused int
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Straight to the store, so that the bookings meet there.
				start := now.Add(time.Duration(i+1) * 5 * time.Minute)
				err := f.store.BookAppointment(ctx, &dost.Appointment{Code: fmt.Sprintf("SAME%04d", i), CentreID: f.centre.ID,
					ServiceCode: pension, Start: start, End: start.Add(5 * time.Minute), FIN: "7ABCDEF", Language: "az",
					Channel: dost.ApplicationOnline}, 2, svc.Limits())
				mu.Lock()
				defer mu.Unlock()
				switch dost.ErrorCode(err) {
				case "":
					booked++
				case dost.ECONFLICT:
					refused++
				default:
					t.Errorf("book: %v", err)
				}
			}()
		}
		wg.Wait()
		if booked != 1 || refused != 19 {
			t.Errorf("20 bookings of one person at once: got %d booked, %d refused; want 1 and 19", booked, refused)
		}
	})
}

func TestCancelAppointmentByCode(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 2) // one place per slot
		start := f.clock.Now().Add(time.Hour)
		book := func(fin dost.FIN, phone string) (*dost.Appointment, error) {
			return f.svc.BookAppointment(ctx, &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: pension, Start: start,
				FIN: fin, Phone: phone, Language: "az", Channel: dost.ApplicationOnline})
		}
		a, err := book("", "+994 50 123 45 67")
		ok(t, err)
		_, err = book("", "")
		mustCode(t, err, dost.ECONFLICT, "slot.full")

		cancel := func(code, phone string, fin dost.FIN) (*dost.Appointment, error) {
			return f.svc.CancelAppointmentByCode(ctx, &dost.CancelByCode{Code: code, Phone: phone, FIN: fin})
		}
		_, err = cancel(a.Code, "", "")
		mustCode(t, err, dost.EINVALID, "appointment.second_factor")
		_, err = cancel("", "0501234567", "")
		mustCode(t, err, dost.EINVALID, "required")
		_, err = cancel(a.Code, "0507654321", "")
		mustCode(t, err, dost.ENOTFOUND, "appointment.unknown")
		_, err = cancel("NOSUCHCO", "0501234567", "")
		mustCode(t, err, dost.ENOTFOUND, "appointment.unknown")
		_, err = cancel(a.Code, "", "5ABCDEF") // the booking gave no FIN
		mustCode(t, err, dost.ENOTFOUND, "appointment.unknown")
		if got, err := f.svc.FindAppointmentByID(ctx, a.ID); err != nil || got.Status != dost.AppointmentBooked {
			t.Fatalf("after refused cancellations: got %+v (%v), want booked", got, err)
		}

		got, err := cancel(" "+strings.ToLower(a.Code)+" ", "050-123-45-67", "")
		ok(t, err)
		if got.ID != a.ID || got.Status != dost.AppointmentCancelled {
			t.Fatalf("cancelled: got %+v", got)
		}
		_, err = cancel(a.Code, "0501234567", "")
		mustCode(t, err, dost.ECONFLICT, "appointment.not_booked")

		// The place is bookable again, here by FIN, cancelled by FIN.
		free, err := f.svc.FindSlots(ctx, dost.SlotFilter{CentreID: f.centre.ID, ServiceCode: pension, From: start, Until: start.Add(time.Minute), FreeOnly: true})
		ok(t, err)
		if len(free) != 1 {
			t.Fatalf("free slots after the cancellation: got %d, want 1", len(free))
		}
		b, err := book("5ABCDEF", "")
		ok(t, err)
		_, err = cancel(b.Code, "0501234567", "")
		mustCode(t, err, dost.ENOTFOUND, "appointment.unknown")
		_, err = cancel(b.Code, "", "5abcdef")
		ok(t, err)
	})
}

func TestRatingSMS(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 2)
		f.store.RatingSMS = f.svc.RatingSMS
		outbox := sqlstore.NewCaseStore(db)
		start := f.clock.Now().Add(20 * time.Minute)
		book := func(phone string) *dost.Appointment {
			a, err := f.svc.BookAppointment(ctx, &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: pension, Start: start,
				Phone: phone, Language: "en", Channel: dost.ApplicationOnline})
			ok(t, err)
			start = start.Add(5 * time.Minute)
			return a
		}
		withPhone, withoutPhone := book("+994 50 123 45 67"), book("")
		tk, err := f.svc.CheckInAppointment(ctx, withPhone.Code)
		ok(t, err)
		other, err := f.svc.CheckInAppointment(ctx, withoutPhone.Code)
		ok(t, err)
		walkIn := f.issue(t, pension, "")

		sms := func() []*dost.Notification {
			t.Helper()
			ns, _, err := outbox.FindNotifications(ctx, dost.NotificationFilter{Topic: "visit.rating"})
			ok(t, err)
			return ns
		}
		_, err = f.svc.SignInCounter(as(f.ops[0]), f.counter(0))
		ok(t, err)
		_, err = f.svc.CallTicket(as(f.ops[0]), f.counter(0), tk.ID)
		ok(t, err)
		_, err = f.act(0, tk.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		if n := len(sms()); n != 0 {
			t.Fatalf("SMS before the finish: got %d, want 0", n)
		}
		_, err = f.act(0, tk.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{pension}})
		ok(t, err)
		// Finished twice: refused, and still one SMS.
		_, err = f.act(0, tk.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{pension}})
		mustCode(t, err, dost.ECONFLICT, "ticket_action.not_allowed")
		f.serve(t, 0, other.ID)
		f.serve(t, 0, walkIn.ID)

		ns := sms()
		if len(ns) != 1 {
			t.Fatalf("rating SMS: got %d, want 1 (the visit whose booking gave a phone)", len(ns))
		}
		n := ns[0]
		link := "/feedback/" + strconv.FormatInt(tk.ID, 10) + "?token=" + f.svc.FeedbackToken(tk.ID) + "&channel=sms"
		if n.MessageID != hall.RatingMessageID(tk.ID) || n.Channel != dost.NotifySMS || n.To != withPhone.Phone ||
			n.Language != "en" || !strings.Contains(n.Body, tk.Number) || !strings.Contains(n.Body, link) {
			t.Errorf("rating SMS: got %+v, want to %s with the link %s", n, withPhone.Phone, link)
		}
		if f.svc.RatingPath(tk.ID) != link {
			t.Errorf("rating path: got %q, want %q", f.svc.RatingPath(tk.ID), link)
		}
		// The link's token rates this visit once, and no other.
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: other.ID, Token: f.svc.FeedbackToken(tk.ID), Rating: 2, Channel: "sms"})
		mustCode(t, err, dost.EFORBIDDEN, "feedback.token")
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: tk.ID, Token: f.svc.FeedbackToken(tk.ID), Rating: 5, Channel: "sms"})
		ok(t, err)
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: tk.ID, Token: f.svc.FeedbackToken(tk.ID), Rating: 1, Channel: "sms"})
		mustCode(t, err, dost.ECONFLICT, "feedback.exists")
		if _, total, err := f.svc.FindFeedback(ctx, dost.FeedbackFilter{CentreID: f.centre.ID}); err != nil || total != 1 {
			t.Errorf("ratings: got %d (%v), want 1", total, err)
		}
	})
}

func TestCertifiedAtCentre(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 3)
		today := dost.DateOf(f.clock.Now().In(dost.Baku))
		for i := range 2 {
			_, err := f.svc.SignInCounter(as(f.ops[i]), f.counter(i))
			ok(t, err)
		}
		// Operator 1's certification revoked today: signed in, certified
		// for nothing.
		certs, _, err := f.svc.FindCertifications(ctx, dost.CertificationFilter{OperatorID: f.ops[1].ID})
		ok(t, err)
		for _, c := range certs {
			ok(t, f.svc.RevokeCertification(f.admin, c.ID, today))
		}
		got, err := f.store.CertifiedAtCentre(ctx, f.centre.ID, today)
		ok(t, err)
		want := map[int64][]dost.Category{f.ops[0].ID: {dost.CategoryDisability, dost.CategoryPensionsBenefits}, f.ops[1].ID: {}}
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for op, cats := range want {
			one, err := f.store.CertifiedCategories(ctx, op, today)
			ok(t, err)
			if !slices.Equal(got[op], one) || len(got[op]) != len(cats) {
				t.Errorf("operator %d: got %v, want %v (as CertifiedCategories: %v)", op, got[op], cats, one)
			}
		}
		est, err := f.svc.Estimate(ctx, f.centre.ID)
		ok(t, err)
		if est == nil {
			t.Fatal("no estimate")
		}
	})
}

// BenchmarkEstimate measures the wait estimate of a centre with 30
// operators signed in and 20 tickets waiting, on each database: the
// counters' certifications are one read (CertifiedAtCentre), not one per
// counter.
func BenchmarkEstimate(b *testing.B) {
	for _, d := range dosttest.Dialects() {
		b.Run(d, func(b *testing.B) {
			f := newFixture(b, dosttest.OpenDB(b, d), 30)
			for i := range 30 {
				_, err := f.svc.SignInCounter(as(f.ops[i]), f.counter(i))
				ok(b, err)
			}
			for range 20 {
				f.issue(b, pension, "")
			}
			for b.Loop() {
				if _, err := f.svc.Estimate(ctx, f.centre.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBookingLimitsAnonymousPhone: anonymous bookings are counted per FIN
// and phone, so a stranger who books under a person's FIN (with their own
// phone) does not lock the person out, while one phone is still held to
// the limit; a signed-in citizen is told of a booking only if it is theirs.
func TestBookingLimitsAnonymousPhone(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 4)
		svc, err := hall.New(hall.Config{Store: f.store, Centres: sqlstore.NewCentreService(db), Catalogue: sqlstore.NewCatalogueService(db),
			Clock: f.clock, Limits: hall.BookingLimits{PerService: 1, Total: 3}})
		ok(t, err)
		now := f.clock.Now()
		book := func(ctx context.Context, phone string, start time.Time) (*dost.Appointment, error) {
			return svc.BookAppointment(ctx, &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: pension, Start: start,
				FIN: "5ABCDEF", Phone: phone, Language: "az", Channel: dost.ApplicationOnline})
		}
		// The stranger's booking under the FIN, with their phone.
		stranger, err := book(ctx, "+994 55 000 00 01", now.Add(time.Hour))
		ok(t, err)
		_, err = book(ctx, "055-000-00-01", now.Add(2*time.Hour)) // the same phone, written otherwise
		mustCode(t, err, dost.ECONFLICT, "booking.limit_service")
		// The person, with their own phone, still books.
		_, err = book(ctx, "+994 50 123 45 67", now.Add(2*time.Hour))
		ok(t, err)
		// A signed-in citizen of another person is not told of the
		// stranger's booking; staff are.
		person := int64(42)
		citizen := &dost.User{Username: "citizen", Roles: []dost.Role{dost.RoleCitizen}, PersonID: &person}
		_, err = book(as(citizen), "", now.Add(3*time.Hour))
		mustCode(t, err, dost.ECONFLICT, "booking.limit_service")
		if at := stranger.Start.In(dost.Baku).Format("15:04"); strings.Contains(err.Error(), at) {
			t.Errorf("a citizen is told of another's booking: %v", err)
		}
	})
}
