package sqlstore_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// kpiDay is the day busyDay's tickets are issued on.
var kpiDay = dost.MustDate("2026-11-24")

// busyDay runs n tickets through a centre of 20 counters on kpiDay, one
// issued every 30 s from 08:00: ticket j waits j%15 minutes, then every
// tenth is a no-show and the others are served for 3 + j%7 minutes; every
// third served visit is rated j%5 + 1. It returns the store, the centre
// and the operators.
func busyDay(tb testing.TB, db *sqlstore.DB, n int) (*sqlstore.HallStore, *dost.Centre, []*dost.User) {
	tb.Helper()
	clock := dosttest.ClockOf(tb, db)
	start := time.Date(kpiDay.Year(), kpiDay.Month(), kpiDay.Day(), 8, 0, 0, 0, dost.Baku)
	clock.Set(start)
	hs, c, ops := hallSetup(tb, db, 20)
	ok := func(tb testing.TB, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	for j := range n {
		issued := start.Add(time.Duration(j) * 30 * time.Second)
		clock.Set(issued)
		t := newTicket(c)
		t.QuotedWaitSeconds = 1 + (j%10)*60
		ok(tb, hs.IssueTicket(ctx, t))
		clock.Set(issued.Add(time.Duration(j%15) * time.Minute))
		k, op := c.Counters[j%20].ID, ops[j%20].ID
		got, _, err := hs.CallNext(ctx, k, op)
		ok(tb, err)
		if got.ID != t.ID {
			tb.Fatalf("call next: got %s, want %s", got.Number, t.Number)
		}
		if j%10 == 9 {
			_, err = hs.ActOnTicket(ctx, t.ID, op, dost.TicketActionRequest{Action: dost.TicketMarkNoShow})
			ok(tb, err)
			continue
		}
		clock.Advance(time.Minute)
		_, err = hs.ActOnTicket(ctx, t.ID, op, dost.TicketActionRequest{Action: dost.TicketStart})
		ok(tb, err)
		clock.Advance(time.Duration(3+j%7) * time.Minute)
		_, err = hs.ActOnTicket(ctx, t.ID, op, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{t.ServiceCode}})
		ok(tb, err)
		if j%3 == 0 {
			ok(tb, hs.SubmitFeedback(ctx, &dost.Feedback{TicketID: t.ID, Rating: j%5 + 1, Channel: "tablet"}))
		}
	}
	return hs, c, ops
}

// TestHallStore_FindKPIData checks what the KPIs read: the events of the
// range's tickets in order, their ratings, the operators' names and the
// open counters; tickets of other days and centres stay out.
func TestHallStore_FindKPIData(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		const n = 12
		hs, c, ops := busyDay(t, db, n)
		// A ticket the next day, and one of another centre, stay out.
		clock := dosttest.ClockOf(t, db)
		clock.Set(clock.Now().Add(24 * time.Hour))
		ok(t, hs.IssueTicket(ctx, newTicket(c)))

		data, err := hs.FindKPIData(ctx, c.ID, kpiDay, kpiDay)
		ok(t, err)
		// 12 tickets: 1 no-show (issued, called, no_show) and 11 served
		// (issued, called, started, finished).
		if want := 3 + 11*4; len(data.Events) != want {
			t.Fatalf("events: got %d, want %d", len(data.Events), want)
		}
		kinds := []dost.QueueEventKind{dost.QueueIssued, dost.QueueCalled, dost.QueueStarted, dost.QueueFinished}
		for i, k := range kinds {
			e := data.Events[i]
			if e.Kind != k || e.Day != kpiDay || e.ServiceCode != c.Services[0] || e.AppointmentAt != nil {
				t.Errorf("event %d: got %+v, want %s", i, e, k)
			}
		}
		if e := data.Events[0]; e.QuotedWaitSeconds != 1 || e.OperatorID != 0 {
			t.Errorf("issued event: got %+v, want a quote of 1 s and no operator", e)
		}
		if e := data.Events[1]; e.OperatorID != ops[0].ID || !e.At.Equal(time.Date(2026, 11, 24, 8, 0, 0, 0, dost.Baku)) {
			t.Errorf("called event: got %+v, want ops[0] at 08:00", e)
		}
		for i := 1; i < len(data.Events); i++ {
			if data.Events[i].TicketID < data.Events[i-1].TicketID {
				t.Fatalf("events not ordered by ticket at %d", i)
			}
		}
		if len(data.Ratings) != 3 || data.Ratings[0].Rating != 1 || data.Ratings[0].OperatorID != ops[0].ID || data.Ratings[0].Day != kpiDay {
			t.Errorf("ratings: got %+v, want 3, the first 1 by ops[0]", data.Ratings)
		}
		if len(data.Operators) != n || data.Operators[ops[3].ID] != "op003" {
			t.Errorf("operators: got %v, want %d named by username", data.Operators, n)
		}
		if data.OpenCounters != 20 {
			t.Errorf("open counters: got %d, want 20", data.OpenCounters)
		}
		next, err := hs.FindKPIData(ctx, c.ID, kpiDay.AddDate(0, 0, 1), kpiDay.AddDate(0, 0, 7))
		ok(t, err)
		if len(next.Events) != 1 || len(next.Ratings) != 0 || len(next.Operators) != 0 {
			t.Errorf("next week: got %d events, %d ratings, want 1 and 0", len(next.Events), len(next.Ratings))
		}
		_, err = hs.FindKPIData(ctx, 999999, kpiDay, kpiDay)
		mustCode(t, err, dost.ENOTFOUND)

		// The whole path: 12 waits of 0..11 minutes, 11 services.
		kpis, err := hall.NewKPIService(hs, clock)
		ok(t, err)
		k, err := kpis.QueueKPIs(dost.NewContextWithUser(ctx, &dost.User{ID: 1, Roles: []dost.Role{dost.RoleAdmin}}),
			dost.QueueKPIFilter{CentreID: c.ID, From: kpiDay, To: kpiDay})
		ok(t, err)
		if k.Total.Issued != n || k.Total.Called != n || k.Total.NoShows != 1 || k.Total.Served != 11 ||
			k.Total.WaitAvgSeconds == nil || *k.Total.WaitAvgSeconds != 330 || k.Total.WithinTarget != n {
			t.Errorf("total: got %+v", k.Total)
		}
	})
}

// BenchmarkQueueKPIs_BusyDay computes a busy day's KPIs (1,000 tickets
// at one centre, 20 operators) on SQLite: the read of the log and the
// computation, as the dashboard's API does on each refresh.
func BenchmarkQueueKPIs_BusyDay(b *testing.B) {
	db := dosttest.OpenDB(b, "sqlite")
	hs, c, _ := busyDay(b, db, 1000)
	kpis, err := hall.NewKPIService(hs, dosttest.ClockOf(b, db))
	if err != nil {
		b.Fatal(err)
	}
	as := dost.NewContextWithUser(ctx, &dost.User{ID: 1, Roles: []dost.Role{dost.RoleAdmin}})
	f := dost.QueueKPIFilter{CentreID: c.ID, From: kpiDay, To: kpiDay}
	b.ResetTimer()
	for b.Loop() {
		k, err := kpis.QueueKPIs(as, f)
		if err != nil || k.Total.Issued != 1000 {
			b.Fatalf("kpis: %v, issued %d", err, k.Total.Issued)
		}
	}
}

// TestHallStore_SeedQueueHistory stores the demo's hall history once and
// reads it back as KPIs: every ticket, rating and no-show is there.
func TestHallStore_SeedQueueHistory(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 1)
		svc, err := sqlstore.NewCatalogueService(db).FindServiceByCode(ctx, c.Services[0])
		ok(t, err)
		today := dost.Today(db.Clock())
		tickets, ratings := demo.HallHistory(c, []*dost.Service{svc}, ops[0].ID, today, 1)
		var rated, noShows int
		for i, tk := range tickets {
			if ratings[i] > 0 {
				rated++
			}
			if tk.Status == dost.TicketNoShow {
				noShows++
			}
		}
		if len(tickets) < 200 || rated == 0 || noShows == 0 {
			t.Fatalf("history: %d tickets, %d rated, %d no-shows; want 200 or more, some rated, some no-shows", len(tickets), rated, noShows)
		}
		n, err := hs.SeedQueueHistory(ctx, tickets, ratings)
		ok(t, err)
		if n != len(tickets) {
			t.Errorf("stored %d, want %d", n, len(tickets))
		}
		again, _ := demo.HallHistory(c, []*dost.Service{svc}, ops[0].ID, today, 1)
		if n, err := hs.SeedQueueHistory(ctx, again, make([]int, len(again))); err != nil || n != 0 {
			t.Errorf("seeded twice: stored %d (%v), want 0", n, err)
		}
		kpis, err := hall.NewKPIService(hs, db.Clock())
		ok(t, err)
		k, err := kpis.QueueKPIs(dost.NewContextWithUser(ctx, &dost.User{ID: 1, Roles: []dost.Role{dost.RoleAdmin}}),
			dost.QueueKPIFilter{CentreID: c.ID, From: today.AddDate(0, 0, -demo.HallHistoryDays), To: today, By: dost.KPIByWeek})
		ok(t, err)
		if k.Total.Issued != len(tickets) || k.Total.Ratings != rated || k.Total.NoShows != noShows ||
			k.Total.Quotes == 0 || k.Total.ServiceAvgSeconds == nil || len(k.Operators) != 1 {
			t.Errorf("kpis: got %+v", k.Total)
		}
		// The next ticket of a seeded day takes the next number.
		tk := newTicket(c)
		ok(t, hs.IssueTicket(ctx, tk))
		if tk.Sequence != 1 {
			t.Errorf("today's first ticket: got sequence %d, want 1", tk.Sequence)
		}
	})
}
