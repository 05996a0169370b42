package hall_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

var ctx = context.Background()

const (
	pension    = "05-04-02-00" // queue group P
	allowance  = "05-01-01-00" // P
	disability = "03-01-01-00" // D
	notOffered = "01-01-01-00"
)

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustCode fails unless err carries the dost error code and, if fcode is
// not empty, a field error with that code.
func mustCode(t testing.TB, err error, code, fcode string) {
	t.Helper()
	if got := dost.ErrorCode(err); got != code {
		t.Fatalf("error code: got %q (%v), want %q", got, err, code)
	}
	if fcode != "" && !slices.ContainsFunc(dost.ErrorFields(err), func(f dost.FieldError) bool { return f.Code == fcode }) {
		t.Fatalf("field error: got %v, want code %q", err, fcode)
	}
}

// hallFixture is a centre with counters, services and certified operators.
type hallFixture struct {
	db       *sqlstore.DB
	clock    *dosttest.FixedClock
	store    *sqlstore.HallStore
	svc      *hall.Service
	centre   *dost.Centre
	ops      []*dost.User // ops[i] is certified for pensions (and disability if i is even)
	admin    context.Context
	centre2  *dost.Centre
	outsider *dost.User // an operator of centre2 only
}

// as returns ctx carrying u.
func as(u *dost.User) context.Context { return dost.NewContextWithUser(ctx, u) }

func service(code, group string, minutes int) *dost.Service {
	tx := func(s string) dost.Text { return dost.Text{AZ: s + " az", EN: s, RU: s + " ru"} }
	return &dost.Service{Code: code, Category: dost.CategoryOfCode(code), Name: tx("service " + code),
		Description: tx("d"), PerformingUnit: tx("u"), LegalBasis: tx("l"),
		RequestChannels: []dost.Channel{dost.ChannelInPerson}, TotalMinutes: minutes, FrontOfficeMinutes: minutes,
		ElectronicDelivery: dost.DegreeFull, Automation: dost.DegreePartial, AssignmentMode: dost.ModeNone,
		QueueGroup: group, Active: true}
}

func newCentre(code string, counters int, services ...string) *dost.Centre {
	c := &dost.Centre{Code: code, Name: dost.Text{AZ: code, EN: code, RU: code}, Timezone: "Asia/Baku",
		Address: dost.Text{AZ: "a", EN: "a", RU: "a"}, Services: services,
		Hours: []dost.OpeningHours{{Weekday: time.Monday, Opens: "09:00", Closes: "18:00"}}}
	for i := range counters {
		c.Counters = append(c.Counters, &dost.Counter{Number: i + 1, Label: fmt.Sprint(i + 1)})
	}
	return c
}

// newFixture makes a centre with n counters and n operators.
func newFixture(t testing.TB, db *sqlstore.DB, n int) *hallFixture {
	t.Helper()
	f := &hallFixture{db: db, clock: dosttest.ClockOf(t, db), store: sqlstore.NewHallStore(db)}
	cat := sqlstore.NewCatalogueService(db)
	for _, s := range []*dost.Service{service(pension, "P", 5), service(allowance, "P", 8), service(disability, "D", 12), service(notOffered, "C", 5)} {
		ok(t, cat.SaveService(ctx, s))
	}
	centres := sqlstore.NewCentreService(db)
	f.centre = newCentre("hall-1", n, pension, allowance, disability)
	ok(t, centres.CreateCentre(ctx, f.centre))
	f.centre2 = newCentre("hall-2", 1, pension)
	ok(t, centres.CreateCentre(ctx, f.centre2))
	var err error
	f.svc, err = hall.New(hall.Config{Store: f.store, Centres: centres, Catalogue: cat, Clock: f.clock, FeedbackKey: []byte("test key")})
	ok(t, err)

	users := sqlstore.NewUserService(db)
	adm := &dost.User{Username: "admin", Roles: []dost.Role{dost.RoleAdmin}}
	ok(t, users.CreateUser(ctx, adm, ""))
	f.admin = as(adm)
	today := dost.DateOf(f.clock.Now().In(dost.Baku))
	for i := range n {
		u := &dost.User{Username: fmt.Sprintf("op%03d", i), Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.centre.ID}}
		ok(t, users.CreateUser(ctx, u, ""))
		f.ops = append(f.ops, u)
		cats := []dost.Category{dost.CategoryPensionsBenefits}
		if i%2 == 0 {
			cats = append(cats, dost.CategoryDisability)
		}
		for _, c := range cats {
			ok(t, f.svc.CreateCertification(f.admin, &dost.Certification{OperatorID: u.ID, Category: c,
				ValidFrom: today.AddDate(0, -1, 0), ValidUntil: today.AddDate(1, 0, 0), Course: "Hall basics"}))
		}
	}
	f.outsider = &dost.User{Username: "outsider", Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{f.centre2.ID}}
	ok(t, users.CreateUser(ctx, f.outsider, ""))
	return f
}

func (f *hallFixture) issue(t testing.TB, code string, p dost.PriorityGroup) *dost.Ticket {
	t.Helper()
	tk, err := f.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: f.centre.ID, ServiceCode: code, Priority: p, Language: "az"})
	ok(t, err)
	return tk
}

func (f *hallFixture) counter(i int) int64 { return f.centre.Counters[i].ID }

// act applies an action as operator i and returns the ticket or error.
func (f *hallFixture) act(i int, id int64, r dost.TicketActionRequest) (*dost.Ticket, error) {
	return f.svc.ActOnTicket(as(f.ops[i]), id, r)
}

// eventKinds returns the kinds of a ticket's events in order.
func (f *hallFixture) eventKinds(t testing.TB, id int64) []dost.QueueEventKind {
	t.Helper()
	es, _, err := f.svc.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: id})
	ok(t, err)
	var out []dost.QueueEventKind
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func TestQueue_Lifecycle(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 3)
		p1 := f.issue(t, pension, "")
		f.clock.Advance(time.Minute)
		p2 := f.issue(t, allowance, "")
		f.clock.Advance(time.Minute)
		d1 := f.issue(t, disability, dost.PriorityAged65)
		if p1.Number != "P-001" || p2.Number != "P-002" || d1.Number != "D-001" {
			t.Fatalf("numbers: got %s %s %s, want P-001 P-002 D-001", p1.Number, p2.Number, d1.Number)
		}
		if p1.Status != dost.TicketWaiting || p1.Day != dost.MustDate("2026-11-16") {
			t.Fatalf("issued: got %s on %s, want waiting on 2026-11-16", p1.Status, p1.Day)
		}

		// Operator 1 is certified for pensions only: P-001, the longest wait.
		op1 := as(f.ops[1])
		_, _, err := f.svc.CallNext(op1, f.counter(1))
		mustCode(t, err, dost.EFORBIDDEN, "counter.not_signed_in")
		_, err = f.svc.SignInCounter(op1, f.counter(1))
		ok(t, err)
		_, err = f.svc.SignInCounter(as(f.ops[0]), f.counter(1))
		mustCode(t, err, dost.ECONFLICT, "counter.taken")
		got, why, err := f.svc.CallNext(op1, f.counter(1))
		ok(t, err)
		if got.ID != p1.ID || got.Status != dost.TicketCalled || got.CounterID != f.counter(1) || got.OperatorID != f.ops[1].ID {
			t.Fatalf("call next: got %+v, want P-001 called to counter 1 by op 1", got)
		}
		if why.Code != dost.ReasonLongestWait || why.Waiting != 2 || why.Services != 2 {
			t.Errorf("reason: got %+v, want longest wait among 2 tickets of 2 services", why)
		}
		// The counter holds a ticket: no second call.
		_, _, err = f.svc.CallNext(op1, f.counter(1))
		mustCode(t, err, dost.ECONFLICT, "counter.busy")

		// Recall: too soon, then allowed, then over the limit.
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketRecall})
		mustCode(t, err, dost.ECONFLICT, "ticket.recall_too_soon")
		for range dost.DefaultMaxRecalls {
			f.clock.Advance(31 * time.Second)
			_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketRecall})
			ok(t, err)
		}
		f.clock.Advance(31 * time.Second)
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketRecall})
		mustCode(t, err, dost.ECONFLICT, "ticket.recall_limit")

		// Another operator may not act on it.
		_, err = f.svc.SignInCounter(as(f.ops[0]), f.counter(0))
		ok(t, err)
		_, err = f.act(0, p1.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		mustCode(t, err, dost.EFORBIDDEN, "ticket.other_counter")

		// Start, park, call back by number, start, finish.
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketPark})
		ok(t, err)
		back, err := f.svc.CallTicket(op1, f.counter(1), p1.ID)
		ok(t, err)
		if back.Status != dost.TicketCalled {
			t.Fatalf("called back: got %s, want called", back.Status)
		}
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{notOffered}})
		mustCode(t, err, dost.EINVALID, "service.not_offered")
		done, err := f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{pension, allowance}})
		ok(t, err)
		if done.Status != dost.TicketFinished || done.FinishedAt == nil || !slices.Equal(done.ServicesDone, []string{pension, allowance}) {
			t.Fatalf("finished: got %+v", done)
		}
		// Finished twice: a conflict, nothing changed.
		_, err = f.act(1, p1.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{pension}})
		mustCode(t, err, dost.ECONFLICT, "ticket_action.not_allowed")
		after, err := f.svc.FindTicketByID(ctx, p1.ID)
		ok(t, err)
		if after.UpdatedAt != done.UpdatedAt || !slices.Equal(after.ServicesDone, done.ServicesDone) {
			t.Errorf("after a refused finish: got %+v, want %+v", after, done)
		}
		want := []dost.QueueEventKind{dost.QueueIssued, dost.QueueCalled, dost.QueueRecalled, dost.QueueRecalled, dost.QueueRecalled,
			dost.QueueStarted, dost.QueueParked, dost.QueueCalled, dost.QueueStarted, dost.QueueFinished}
		if got := f.eventKinds(t, p1.ID); !slices.Equal(got, want) {
			t.Errorf("events: got %v, want %v", got, want)
		}

		// Operator 0 (pensions and disability): the aged-65 D-001 with its
		// head start goes before P-002, issued earlier.
		f.clock.Advance(time.Minute)
		got, why, err = f.svc.CallNext(as(f.ops[0]), f.counter(0))
		ok(t, err)
		if got.ID != d1.ID || why.Code != dost.ReasonPriority || why.Passed != 1 {
			t.Fatalf("call next: got %s (%+v), want D-001 by priority ahead of 1", got.Number, why)
		}
		// Transfer to pensions at counter 2: it waits again with its issue time.
		_, err = f.act(0, d1.ID, dost.TicketActionRequest{Action: dost.TicketTransfer, ServiceCode: notOffered})
		mustCode(t, err, dost.EINVALID, "service.not_offered")
		_, err = f.act(0, d1.ID, dost.TicketActionRequest{Action: dost.TicketTransfer, ServiceCode: pension, CounterID: f.centre2.Counters[0].ID})
		mustCode(t, err, dost.EINVALID, "counter.unknown")
		moved, err := f.act(0, d1.ID, dost.TicketActionRequest{Action: dost.TicketTransfer, ServiceCode: pension, CounterID: f.counter(2)})
		ok(t, err)
		if moved.Status != dost.TicketWaiting || !moved.IssuedAt.Equal(d1.IssuedAt) || moved.Group != "P" || moved.Number != "D-001" || moved.Transfers != 1 {
			t.Fatalf("transferred: got %+v", moved)
		}
		// Counter 0 may not call it (directed to counter 2): it gets P-002.
		got, _, err = f.svc.CallNext(as(f.ops[0]), f.counter(0))
		ok(t, err)
		if got.ID != p2.ID {
			t.Fatalf("call next at counter 0: got %s, want P-002", got.Number)
		}
		_, err = f.act(0, p2.ID, dost.TicketActionRequest{Action: dost.TicketMarkNoShow})
		ok(t, err)
		_, err = f.svc.SignInCounter(as(f.ops[2]), f.counter(2))
		ok(t, err)
		got, _, err = f.svc.CallNext(as(f.ops[2]), f.counter(2))
		ok(t, err)
		if got.ID != d1.ID {
			t.Fatalf("call next at counter 2: got %s, want D-001", got.Number)
		}
		es, _, err := f.svc.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: d1.ID, Kinds: []dost.QueueEventKind{dost.QueueTransferred}})
		ok(t, err)
		if len(es) != 1 || es[0].FromServiceCode != disability || es[0].ServiceCode != pension {
			t.Errorf("transfer event: got %+v", es)
		}
		_, _, err = f.svc.CallNext(as(f.ops[0]), f.counter(0))
		mustCode(t, err, dost.ENOTFOUND, "queue.empty")

		// The quote: counters 0 and 1 are free, counter 2 serves D-001;
		// three tickets ahead of it take every counter's first 5 minutes.
		var last *dost.Ticket
		for range 4 {
			last = f.issue(t, pension, "")
		}
		if last.QuotedWaitSeconds < 4*60 || last.QuotedWaitSeconds > 5*60 {
			t.Errorf("quoted wait of the 4th new ticket: got %d s, want about 5 min", last.QuotedWaitSeconds)
		}
		es, _, err = f.svc.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: last.ID})
		ok(t, err)
		if len(es) != 1 || es[0].Kind != dost.QueueIssued || es[0].QuotedWaitSeconds != last.QuotedWaitSeconds {
			t.Errorf("issued event: got %+v, want the quote %d s", es, last.QuotedWaitSeconds)
		}
	})
}

func TestQueue_BadInput(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 2)
		_, err := f.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: 999, ServiceCode: pension, Language: "az"})
		mustCode(t, err, dost.EINVALID, "centre.unknown")
		_, err = f.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: f.centre.ID, ServiceCode: notOffered, Language: "az"})
		mustCode(t, err, dost.EINVALID, "service.not_offered")
		ok(t, f.svc.SaveQueueSettings(f.admin, &dost.QueueSettings{CentreID: f.centre.ID, PriorityGroups: []dost.PriorityGroup{dost.PriorityDisability},
			HeadStartMinutes: 5, MaxRecalls: 1, RecallIntervalSeconds: 10, ServiceLevelMinutes: 15}))
		_, err = f.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: f.centre.ID, ServiceCode: pension, Priority: dost.PriorityPregnant, Language: "az"})
		mustCode(t, err, dost.EINVALID, "priority_group.not_offered")
		err = f.svc.SaveQueueSettings(as(f.ops[0]), dost.DefaultQueueSettings(f.centre.ID))
		mustCode(t, err, dost.EFORBIDDEN, "")
		_, err = f.svc.SignInCounter(as(f.ops[0]), 999)
		mustCode(t, err, dost.ENOTFOUND, "counter.unknown")
		_, err = f.svc.SignInCounter(as(f.outsider), f.counter(0))
		mustCode(t, err, dost.EFORBIDDEN, "")

		// Operator 1 is not certified for disability: not offered D, and
		// not allowed to call it by number.
		d := f.issue(t, disability, "")
		_, err = f.svc.SignInCounter(as(f.ops[1]), f.counter(1))
		ok(t, err)
		_, _, err = f.svc.CallNext(as(f.ops[1]), f.counter(1))
		mustCode(t, err, dost.ENOTFOUND, "queue.empty")
		_, err = f.svc.CallTicket(as(f.ops[1]), f.counter(1), d.ID)
		mustCode(t, err, dost.EFORBIDDEN, "certification.missing")
		// Revoked today: certified for nothing.
		cs, _, err := f.svc.FindCertifications(ctx, dost.CertificationFilter{OperatorID: f.ops[1].ID})
		ok(t, err)
		today := dost.DateOf(f.clock.Now().In(dost.Baku))
		ok(t, f.svc.RevokeCertification(f.admin, cs[0].ID, today))
		_, _, err = f.svc.CallNext(as(f.ops[1]), f.counter(1))
		mustCode(t, err, dost.EFORBIDDEN, "certification.missing")
		err = f.svc.CreateCertification(f.admin, &dost.Certification{OperatorID: f.ops[0].ID, Category: dost.CategoryDisability,
			ValidFrom: today, ValidUntil: today})
		mustCode(t, err, dost.ECONFLICT, "certification.overlap")
		err = f.svc.CreateCertification(as(f.ops[0]), &dost.Certification{OperatorID: f.ops[0].ID, Category: dost.CategoryEmployment,
			ValidFrom: today, ValidUntil: today})
		mustCode(t, err, dost.EFORBIDDEN, "")

		// The waiting ticket cannot be started, finished or recalled.
		for _, a := range []dost.TicketAction{dost.TicketStart, dost.TicketRecall, dost.TicketMarkNoShow} {
			_, err = f.act(1, d.ID, dost.TicketActionRequest{Action: a})
			mustCode(t, err, dost.ECONFLICT, "ticket_action.not_allowed")
		}
		_, err = f.act(1, d.ID, dost.TicketActionRequest{Action: dost.TicketCall})
		mustCode(t, err, dost.EINVALID, "ticket_action.use_call")
		still, err := f.svc.FindTicketByID(ctx, d.ID)
		ok(t, err)
		if still.Status != dost.TicketWaiting || len(f.eventKinds(t, d.ID)) != 1 {
			t.Errorf("after refused actions: got %s with events %v, want waiting with one", still.Status, f.eventKinds(t, d.ID))
		}

		// Feedback: only for a finished visit, with its token, once.
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: d.ID, Token: f.svc.FeedbackToken(d.ID), Rating: 5, Channel: "tablet"})
		mustCode(t, err, dost.ECONFLICT, "feedback.not_finished")
		_, err = f.svc.SignInCounter(as(f.ops[0]), f.counter(0))
		ok(t, err)
		_, _, err = f.svc.CallNext(as(f.ops[0]), f.counter(0))
		ok(t, err)
		_, err = f.act(0, d.ID, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(t, err)
		_, err = f.act(0, d.ID, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{disability}})
		ok(t, err)
		other := f.issue(t, pension, "")
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: d.ID, Token: f.svc.FeedbackToken(other.ID), Rating: 5, Channel: "sms"})
		mustCode(t, err, dost.EFORBIDDEN, "feedback.token")
		fb, err := f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: d.ID, Token: f.svc.FeedbackToken(d.ID), Rating: 4, Comment: "Tez.", Channel: "sms"})
		ok(t, err)
		if fb.OperatorID != f.ops[0].ID || fb.CentreID != f.centre.ID || fb.ServiceCode != disability {
			t.Errorf("feedback: got %+v", fb)
		}
		_, err = f.svc.SubmitFeedback(ctx, &dost.NewFeedback{TicketID: d.ID, Token: f.svc.FeedbackToken(d.ID), Rating: 1, Channel: "sms"})
		mustCode(t, err, dost.ECONFLICT, "feedback.exists")
		all, n, err := f.svc.FindFeedback(ctx, dost.FeedbackFilter{CentreID: f.centre.ID})
		ok(t, err)
		if n != 1 || all[0].Rating != 4 {
			t.Errorf("feedback stored: got %d, %+v; want one rating 4", n, all)
		}
	})
}

func TestAppointments(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newFixture(t, db, 2) // 2 counters serve P: one place per slot
		now := f.clock.Now()
		slots, err := f.svc.FindSlots(ctx, dost.SlotFilter{CentreID: f.centre.ID, ServiceCode: pension, From: now, Until: now.Add(2 * time.Hour)})
		ok(t, err)
		if len(slots) != 24 || slots[0].Capacity != 1 || !slots[0].Start.Equal(now) {
			t.Fatalf("slots: got %d starting %v capacity %d, want 24 five-minute slots from now, capacity 1", len(slots), slots[0].Start, slots[0].Capacity)
		}
		_, err = f.svc.FindSlots(ctx, dost.SlotFilter{CentreID: f.centre.ID, ServiceCode: notOffered, From: now, Until: now.Add(time.Hour)})
		mustCode(t, err, dost.EINVALID, "service.not_offered")
		book := func(start time.Time) (*dost.Appointment, error) {
			return f.svc.BookAppointment(ctx, &dost.NewAppointment{CentreID: f.centre.ID, ServiceCode: pension, Start: start,
				Name: "Aysel", Language: "az", Channel: dost.ApplicationOnline})
		}
		_, err = book(now.Add(61 * time.Second))
		mustCode(t, err, dost.EINVALID, "slot.unknown")
		_, err = book(now)
		mustCode(t, err, dost.EINVALID, "slot.past")

		// The last free place, booked by many at once, goes to exactly one.
		last := now.Add(time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []*dost.Appointment
		var full int
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := book(last)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won = append(won, a)
				case dost.ErrorCode(err) == dost.ECONFLICT:
					full++
				default:
					t.Errorf("book: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(won) != 1 || full != 49 {
			t.Fatalf("50 booking the last place: got %d booked, %d full; want 1 and 49", len(won), full)
		}
		a := won[0]
		free, err := f.svc.FindSlots(ctx, dost.SlotFilter{CentreID: f.centre.ID, ServiceCode: pension, From: last, Until: last.Add(10 * time.Minute), FreeOnly: true})
		ok(t, err)
		if len(free) != 1 || !free[0].Start.Equal(last.Add(5*time.Minute)) {
			t.Errorf("free slots from the booked one: got %d starting %v, want only the next", len(free), free)
		}

		// Check-in: too early, then in the window; twice is a conflict.
		_, err = f.svc.CheckInAppointment(ctx, a.Code)
		mustCode(t, err, dost.EINVALID, "check_in.too_early")
		_, err = f.svc.CheckInAppointment(ctx, "NOSUCHCODE")
		mustCode(t, err, dost.ENOTFOUND, "appointment.unknown")
		f.clock.Advance(40 * time.Minute)
		tk, err := f.svc.CheckInAppointment(ctx, a.Code)
		ok(t, err)
		if tk.AppointmentID != a.ID || tk.AppointmentAt == nil || !tk.AppointmentAt.Equal(last) || tk.Number != "P-001" {
			t.Fatalf("check-in ticket: got %+v", tk)
		}
		_, err = f.svc.CheckInAppointment(ctx, a.Code)
		mustCode(t, err, dost.ECONFLICT, "appointment.not_booked")

		// Another booking lapses when its window closes; a cancelled one frees its place.
		b, err := book(last.Add(5 * time.Minute))
		ok(t, err)
		c, err := book(last.Add(10 * time.Minute))
		ok(t, err)
		_, err = f.svc.CancelAppointment(ctx, c.ID)
		ok(t, err)
		_, err = f.svc.CancelAppointment(ctx, c.ID)
		mustCode(t, err, dost.ECONFLICT, "appointment.not_booked")
		_, err = book(last.Add(10 * time.Minute))
		ok(t, err)
		f.clock.Advance(time.Hour)
		_, err = f.svc.CheckInAppointment(ctx, b.Code)
		mustCode(t, err, dost.EINVALID, "check_in.too_late")
		n, err := f.svc.LapseAppointments(ctx, f.clock.Now())
		ok(t, err)
		if n != 2 {
			t.Errorf("lapsed: got %d, want 2", n)
		}
	})
}

// TestCallNext_Concurrent runs 60 operators calling and serving at once
// while the kiosk issues more tickets: every ticket is called exactly
// once, by one operator, and every number is unique.
func TestCallNext_Concurrent(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		const operators, before, during = 60, 200, 100
		f := newFixture(t, db, operators)
		codes := []string{pension, allowance, disability}
		for i := range before {
			f.issue(t, codes[i%3], "")
		}
		for i := range operators {
			_, err := f.svc.SignInCounter(as(f.ops[i]), f.counter(i))
			ok(t, err)
		}
		var issuing sync.WaitGroup
		issuing.Add(1)
		go func() {
			defer issuing.Done()
			var wg sync.WaitGroup
			for i := range during {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := f.svc.IssueTicket(ctx, &dost.NewTicket{CentreID: f.centre.ID, ServiceCode: codes[i%3], Language: "en"}); err != nil {
						t.Errorf("issue: %v", err)
					}
				}()
			}
			wg.Wait()
		}()
		done := make(chan struct{})
		go func() { issuing.Wait(); close(done) }()

		var mu sync.Mutex
		calledBy := map[int64]int{}
		var wg sync.WaitGroup
		for i := range operators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := as(f.ops[i])
				for {
					tk, _, err := f.svc.CallNext(c, f.counter(i))
					if dost.ErrorCode(err) == dost.ENOTFOUND {
						select {
						case <-done:
							// One more try: tickets issued just before done.
							if tk, _, err = f.svc.CallNext(c, f.counter(i)); dost.ErrorCode(err) == dost.ENOTFOUND {
								return
							}
						default:
							time.Sleep(time.Millisecond)
							continue
						}
					}
					if err != nil {
						t.Errorf("operator %d: call next: %v", i, err)
						return
					}
					mu.Lock()
					calledBy[tk.ID]++
					mu.Unlock()
					for _, a := range []dost.TicketActionRequest{{Action: dost.TicketStart}, {Action: dost.TicketFinish, ServicesDone: []string{tk.ServiceCode}}} {
						if _, err := f.act(i, tk.ID, a); err != nil {
							t.Errorf("operator %d: %s %s: %v", i, a.Action, tk.Number, err)
							return
						}
					}
				}
			}()
		}
		wg.Wait()

		all, total, err := f.svc.FindTickets(ctx, dost.TicketFilter{CentreID: f.centre.ID})
		ok(t, err)
		if total != before+during {
			t.Fatalf("tickets: got %d, want %d", total, before+during)
		}
		numbers := map[string]bool{}
		for _, tk := range all {
			if numbers[tk.Number] {
				t.Errorf("number %s issued twice", tk.Number)
			}
			numbers[tk.Number] = true
			if tk.Status != dost.TicketFinished || calledBy[tk.ID] != 1 {
				t.Errorf("ticket %s: %s, called %d times; want finished, called once", tk.Number, tk.Status, calledBy[tk.ID])
			}
		}
		calls, _, err := f.svc.FindQueueEvents(ctx, dost.QueueEventFilter{CentreID: f.centre.ID, Kinds: []dost.QueueEventKind{dost.QueueCalled}})
		ok(t, err)
		if len(calls) != before+during {
			t.Errorf("called events: got %d, want %d", len(calls), before+during)
		}
	})
}
