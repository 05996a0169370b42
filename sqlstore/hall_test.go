package sqlstore_test

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// hallSetup makes a centre offering the pension service with n counters
// and n operators certified for pensions, each signed in at their counter.
func hallSetup(tb testing.TB, db *sqlstore.DB, n int) (*sqlstore.HallStore, *dost.Centre, []*dost.User) {
	tb.Helper()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	svc := service("05-04-02-00", "Old-age pension", dost.ModeProactive, dost.ChannelInPerson)
	must(sqlstore.NewCatalogueService(db).SaveService(ctx, svc))
	c := centre("hall", svc.Code)
	c.Counters = nil
	for i := range n {
		c.Counters = append(c.Counters, &dost.Counter{Number: i + 1, Label: fmt.Sprint(i + 1)})
	}
	must(sqlstore.NewCentreService(db).CreateCentre(ctx, c))
	hs := sqlstore.NewHallStore(db)
	users := sqlstore.NewUserService(db)
	today := dost.DateOf(db.Clock().Now().In(dost.Baku))
	var ops []*dost.User
	for i := range n {
		u := &dost.User{Username: fmt.Sprintf("op%03d", i), Roles: []dost.Role{dost.RoleOperator}}
		must(users.CreateUser(ctx, u, ""))
		must(hs.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: dost.CategoryPensionsBenefits,
			ValidFrom: today, ValidUntil: today.AddDate(1, 0, 0)}))
		_, err := hs.SignInCounter(ctx, c.Counters[i].ID, u.ID)
		must(err)
		ops = append(ops, u)
	}
	return hs, c, ops
}

func newTicket(c *dost.Centre) *dost.Ticket {
	return &dost.Ticket{CentreID: c.ID, Group: "P", ServiceCode: c.Services[0], Language: "az"}
}

// TestHallStore_Constraints checks the schema's last line of defence
// directly: a number drawn twice, a counter with two tickets in hand, an
// event rewritten.
func TestHallStore_Constraints(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 1)
		a, b := newTicket(c), newTicket(c)
		ok(t, hs.IssueTicket(ctx, a))
		ok(t, hs.IssueTicket(ctx, b))
		if a.Number != "P-001" || b.Number != "P-002" {
			t.Fatalf("numbers: got %s %s, want P-001 P-002", a.Number, b.Number)
		}
		w := db.WriterDB()
		if _, err := w.ExecContext(ctx, `UPDATE tickets SET sequence = 1 WHERE id = $1`, b.ID); err == nil {
			t.Error("a second P-001 of the day: got nil, want a unique violation")
		}
		k := c.Counters[0].ID
		called, _, err := hs.CallNext(ctx, k, ops[0].ID)
		ok(t, err)
		if called.ID != a.ID {
			t.Fatalf("call next: got %s, want P-001", called.Number)
		}
		if _, err := w.ExecContext(ctx, `UPDATE tickets SET status = 'called', counter_id = $1 WHERE id = $2`, k, b.ID); err == nil {
			t.Error("a second ticket in hand at one counter: got nil, want a unique violation")
		}
		if _, err := w.ExecContext(ctx, `UPDATE queue_events SET kind = 'finished' WHERE ticket_id = $1`, a.ID); err == nil {
			t.Error("an event rewritten: got nil, want the append-only trigger's refusal")
		}
		if _, err := w.ExecContext(ctx, `DELETE FROM queue_events WHERE ticket_id = $1`, a.ID); err == nil {
			t.Error("an event deleted: got nil, want the append-only trigger's refusal")
		}
		es, n, err := hs.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: a.ID})
		ok(t, err)
		if n != 2 || es[1].Kind != dost.QueueCalled || es[1].Reason == nil || es[1].Reason.Code != dost.ReasonLongestWait {
			t.Errorf("events of P-001: got %d, %+v", n, es)
		}
		// The numbers start again the next day.
		dosttest.ClockOf(t, db).Advance(24 * time.Hour)
		next := newTicket(c)
		ok(t, hs.IssueTicket(ctx, next))
		if next.Number != "P-001" || next.Day != a.Day.AddDate(0, 0, 1) {
			t.Errorf("next day: got %s on %s, want P-001 on the next day", next.Number, next.Day)
		}
		// Yesterday's waiting ticket is not called today.
		_, err = hs.ActOnTicket(ctx, a.ID, ops[0].ID, dost.TicketActionRequest{Action: dost.TicketMarkNoShow})
		ok(t, err)
		got, _, err := hs.CallNext(ctx, k, ops[0].ID)
		ok(t, err)
		if got.ID != next.ID {
			t.Errorf("call next the next day: got %s of %s, want today's P-001", got.Number, got.Day)
		}
		_, _, err = hs.CallNext(ctx, k, ops[0].ID)
		mustCode(t, err, dost.ECONFLICT)
		if !slices.ContainsFunc(dost.ErrorFields(err), func(f dost.FieldError) bool { return f.Code == "counter.busy" }) {
			t.Errorf("got %v, want counter.busy", err)
		}
	})
}

// BenchmarkCallNext measures call-next on SQLite with 100 operators
// calling at once over a queue kept at about 500 waiting tickets: each
// operator calls, then (untimed) marks the ticket a no-show and issues a
// new one. It reports the latency's p50 and p99 per call.
func BenchmarkCallNext(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("operators=%d", n), func(b *testing.B) { benchmarkCallNext(b, n) })
	}
}

func benchmarkCallNext(b *testing.B, operators int) {
	const queued = 500
	db := dosttest.OpenDB(b, sqlstore.DialectSQLite)
	hs, c, ops := hallSetup(b, db, operators)
	for range queued {
		if err := hs.IssueTicket(ctx, newTicket(c)); err != nil {
			b.Fatal(err)
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	next := make(chan struct{})
	go func() {
		defer close(next)
		for range b.N {
			next <- struct{}{}
		}
	}()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range operators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := c.Counters[i].ID
			var mine []time.Duration
			for range next {
				start := time.Now()
				t, _, err := hs.CallNext(ctx, k, ops[i].ID)
				mine = append(mine, time.Since(start))
				if err != nil {
					b.Error(err)
					return
				}
				if _, err := hs.ActOnTicket(ctx, t.ID, ops[i].ID, dost.TicketActionRequest{Action: dost.TicketMarkNoShow}); err != nil {
					b.Error(err)
					return
				}
				if err := hs.IssueTicket(ctx, newTicket(c)); err != nil {
					b.Error(err)
					return
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// TestHallStore_FailedWriteChangesNothing issues good and bad tickets at
// once (an unknown service fails after the number was drawn): the bad
// ones are refused and leave no trace, so the good ones' numbers have no
// gaps. On SQLite the writes share transactions, each in a savepoint.
func TestHallStore_FailedWriteChangesNothing(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, _ := hallSetup(t, db, 1)
		const n = 40
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk := newTicket(c)
				if i%2 == 1 {
					tk.ServiceCode = "09-09-09-09"
				}
				errs[i] = hs.IssueTicket(ctx, tk)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i%2 == 0 && err != nil {
				t.Errorf("good ticket %d: %v", i, err)
			} else if i%2 == 1 && dost.ErrorCode(err) != dost.EINVALID {
				t.Errorf("bad ticket %d: got %v, want EINVALID", i, err)
			}
		}
		all, total, err := hs.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID})
		ok(t, err)
		var numbers []string
		for _, tk := range all {
			numbers = append(numbers, tk.Number)
		}
		slices.Sort(numbers)
		var want []string
		for i := range n / 2 {
			want = append(want, dost.TicketNumber("P", i+1))
		}
		if total != n/2 || !slices.Equal(numbers, want) {
			t.Errorf("numbers: got %v, want %v", numbers, want)
		}
		_, events, err := hs.FindQueueEvents(ctx, dost.QueueEventFilter{CentreID: c.ID})
		ok(t, err)
		if events != n/2 {
			t.Errorf("events: got %d, want %d", events, n/2)
		}
	})
}
