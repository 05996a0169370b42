package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/queue"
	"github.com/dost-az/dost/sqlstore"
)

// callBatchFixture is a centre offering a pension and a disability
// service, n counters, and n operators certified for pensions (i%3 == 0),
// disability (1) or both (2), each signed in at their counter; and a
// queue of tickets of both services, some with priority, issued a second
// apart.
type callBatchFixture struct {
	hs       *sqlstore.HallStore
	c        *dost.Centre
	ops      []*dost.User
	cats     [][]dost.Category // ops[i]'s certifications
	stranger *dost.User        // certified, signed in nowhere
	issued   []*dost.Ticket
}

func newCallBatchFixture(t *testing.T, db *sqlstore.DB, n, queued int) *callBatchFixture {
	t.Helper()
	pension := service("05-04-02-00", "Old-age pension", dost.ModeProactive, dost.ChannelInPerson)
	disab := service("03-01-01-00", "Disability assessment", dost.ModeProactive, dost.ChannelInPerson)
	disab.QueueGroup = "D"
	for _, s := range []*dost.Service{pension, disab} {
		ok(t, sqlstore.NewCatalogueService(db).SaveService(ctx, s))
	}
	c := centre("batch", pension.Code, disab.Code)
	c.Counters = nil
	for i := range n {
		c.Counters = append(c.Counters, &dost.Counter{Number: i + 1, Label: fmt.Sprint(i + 1)})
	}
	ok(t, sqlstore.NewCentreService(db).CreateCentre(ctx, c))
	f := &callBatchFixture{hs: sqlstore.NewHallStore(db), c: c}
	users := sqlstore.NewUserService(db)
	today := dost.DateOf(db.Clock().Now().In(dost.Baku))
	certify := func(u *dost.User, cats []dost.Category) {
		for _, k := range cats {
			ok(t, f.hs.CreateCertification(ctx, &dost.Certification{OperatorID: u.ID, Category: k,
				ValidFrom: today, ValidUntil: today.AddDate(1, 0, 0)}))
		}
	}
	for i := range n {
		u := &dost.User{Username: fmt.Sprintf("bop%03d", i), Roles: []dost.Role{dost.RoleOperator}}
		ok(t, users.CreateUser(ctx, u, ""))
		cats := [][]dost.Category{{dost.CategoryPensionsBenefits}, {dost.CategoryDisability},
			{dost.CategoryPensionsBenefits, dost.CategoryDisability}}[i%3]
		certify(u, cats)
		_, err := f.hs.SignInCounter(ctx, c.Counters[i].ID, u.ID)
		ok(t, err)
		f.ops, f.cats = append(f.ops, u), append(f.cats, cats)
	}
	f.stranger = &dost.User{Username: "bstranger", Roles: []dost.Role{dost.RoleOperator}}
	ok(t, users.CreateUser(ctx, f.stranger, ""))
	certify(f.stranger, []dost.Category{dost.CategoryPensionsBenefits})
	clock := dosttest.ClockOf(t, db)
	for i := range queued {
		tk := &dost.Ticket{CentreID: c.ID, Group: "P", ServiceCode: pension.Code, Language: "az"}
		if i%2 == 1 {
			tk.Group, tk.ServiceCode = "D", disab.Code
		}
		if i%7 == 3 {
			tk.Priority = dost.PriorityDisability // a head start: called before older ones
		}
		ok(t, f.hs.IssueTicket(ctx, tk))
		f.issued = append(f.issued, tk)
		clock.Advance(time.Second)
	}
	return f
}

// TestHallStore_CallNextBatch gathers many operators' calls into one
// batch (on SQLite, where they are decided together in one pass over the
// queue and written with one UPDATE; on PostgreSQL each runs alone, FOR
// UPDATE SKIP LOCKED) with overlapping certifications, three failing
// callers among them (not signed in, an unknown counter, the same counter
// twice). Every other operator gets a ticket of a service they are
// certified for, no ticket goes to two, the failures change nothing, each
// call has its event with the reason, and the policy's order holds: no
// ticket still waiting is one the policy puts before the one an operator
// got.
func TestHallStore_CallNextBatch(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		const n, queued = 36, 60
		f := newCallBatchFixture(t, db, n, queued)
		hs, c := f.hs, f.c
		before := hs.GroupedCalls()

		type call struct {
			counter int64
			op      *dost.User
			got     *dost.Ticket
			why     *dost.CallReason
			err     error
		}
		var calls []*call
		for i := range n {
			calls = append(calls, &call{counter: c.Counters[i].ID, op: f.ops[i]})
		}
		stranger := &call{counter: c.Counters[0].ID, op: f.stranger}
		unknown := &call{counter: 1 << 40, op: f.ops[1]}
		twice := &call{counter: c.Counters[2].ID, op: f.ops[2]}
		calls = append(calls, stranger, unknown, twice)

		wait, release := hs.HoldWrites(ctx)
		var wg sync.WaitGroup
		for _, k := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k.got, k.why, k.err = hs.CallNext(ctx, k.counter, k.op.ID)
			}()
		}
		wait(len(calls))
		release()
		wg.Wait()

		mustCode(t, stranger.err, dost.EFORBIDDEN)
		mustCode(t, unknown.err, dost.ENOTFOUND)
		// Counter 2 was called at twice: one call got a ticket, the other
		// found the counter busy.
		first := calls[2]
		if twice.err == nil {
			first, twice = twice, first
		}
		mustCode(t, twice.err, dost.ECONFLICT)
		if first.err != nil {
			t.Fatalf("counter 2: both calls failed: %v", first.err)
		}

		by := map[int64]*call{} // ticket ID: who got it
		for i, k := range calls[:n] {
			if i == 2 {
				k = first
			}
			if k.err != nil {
				t.Fatalf("operator %d: %v", i, k.err)
			}
			if o, dup := by[k.got.ID]; dup {
				t.Errorf("ticket %s given to operators %s and %s", k.got.Number, o.op.Username, k.op.Username)
			}
			by[k.got.ID] = k
			if k.got.Status != dost.TicketCalled || k.got.CounterID != k.counter || k.got.OperatorID != k.op.ID {
				t.Errorf("operator %d: got %s %s at counter %d by %d", i, k.got.Number, k.got.Status, k.got.CounterID, k.got.OperatorID)
			}
			if cat := dost.CategoryOfCode(k.got.ServiceCode); !containsCat(f.cats[i], cat) {
				t.Errorf("operator %d, certified for %v, got %s of %s", i, f.cats[i], k.got.Number, cat)
			}
			if k.why == nil || k.why.Code == "" {
				t.Errorf("operator %d: no reason given for %s", i, k.got.Number)
			}
		}
		if len(by) != n {
			t.Fatalf("tickets called: got %d, want %d", len(by), n)
		}

		// The database agrees: exactly the tickets handed out are called,
		// each at its operator's counter, with one call event each.
		called, total, err := hs.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID, Statuses: []dost.TicketStatus{dost.TicketCalled}})
		ok(t, err)
		if total != n {
			t.Errorf("called tickets in the database: got %d, want %d", total, n)
		}
		for _, tk := range called {
			if k, ok := by[tk.ID]; !ok || k.counter != tk.CounterID {
				t.Errorf("ticket %s is called at counter %d, not as handed out", tk.Number, tk.CounterID)
			}
		}
		events, _, err := hs.FindQueueEvents(ctx, dost.QueueEventFilter{CentreID: c.ID, Kinds: []dost.QueueEventKind{dost.QueueCalled}})
		ok(t, err)
		if len(events) != n {
			t.Errorf("call events: got %d, want %d", len(events), n)
		}
		for _, e := range events {
			k, found := by[e.TicketID]
			switch {
			case !found:
				t.Errorf("event for ticket %s, which no operator got", e.Number)
			case e.CounterID != k.counter || e.OperatorID != k.op.ID || e.Reason == nil || *e.Reason != *k.why:
				t.Errorf("event of %s: counter %d operator %d reason %+v; want %d %d %+v", e.Number, e.CounterID, e.OperatorID,
					e.Reason, k.counter, k.op.ID, k.why)
			}
		}

		// The policy's order: among the tickets still waiting and the
		// operator's own, the policy picks the operator's.
		qs, err := hs.FindQueueSettings(ctx, c.ID)
		ok(t, err)
		policy := queue.PolicyFor(qs)
		var left []*dost.Ticket
		for _, tk := range f.issued {
			if _, ok := by[tk.ID]; !ok {
				w := *tk
				w.Status = dost.TicketWaiting
				left = append(left, &w)
			}
		}
		for i := range n {
			k := calls[i]
			if i == 2 {
				k = first
			}
			mine := *k.got
			mine.Status = dost.TicketWaiting
			op := queue.Operator{CounterID: k.counter, Categories: f.cats[i]}
			pick, _, _ := policy.Choose(append([]*dost.Ticket{&mine}, left...), op, time.Now())
			if pick == nil || pick.ID != mine.ID {
				t.Errorf("operator %d got %s, but %s waits and goes before it", i, k.got.Number, pick.Number)
			}
		}

		if db.Dialect() == sqlstore.DialectSQLite {
			if got := hs.GroupedCalls() - before; got != n {
				t.Errorf("calls decided together: got %d, want %d", got, n)
			}
		}
	})
}

func containsCat(cats []dost.Category, c dost.Category) bool {
	for _, k := range cats {
		if k == c {
			return true
		}
	}
	return false
}

// TestHallStore_CallNextBatchStale: a batch of calls whose kept queue
// went stale (a ticket directed to counter 0 behind the store's back)
// misses its guard, is rolled back and runs its calls one by one: the
// directed ticket goes to counter 0 only, and every call succeeds.
func TestHallStore_CallNextBatchStale(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 3)
		clock := dosttest.ClockOf(t, db)
		var issued []*dost.Ticket
		for range 4 {
			tk := newTicket(c)
			ok(t, hs.IssueTicket(ctx, tk))
			issued = append(issued, tk)
			clock.Advance(time.Second)
		}
		got, _, err := hs.CallNext(ctx, c.Counters[2].ID, ops[2].ID) // reads and keeps the queue
		ok(t, err)
		if got.ID != issued[0].ID {
			t.Fatalf("first call: got %s, want %s", got.Number, issued[0].Number)
		}
		ok(t, hs.DirectBehindKeptQueue(ctx, issued[1].ID, c.Counters[0].ID))
		before := hs.GroupedCalls()

		wait, release := hs.HoldWrites(ctx)
		res := make([]*dost.Ticket, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i], _, errs[i] = hs.CallNext(ctx, c.Counters[i].ID, ops[i].ID)
			}()
		}
		wait(2)
		release()
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("operator %d: %v", i, errs[i])
			}
		}
		if res[0].ID != issued[1].ID {
			t.Errorf("counter 0: got %s, want %s, directed to it", res[0].Number, issued[1].Number)
		}
		if res[1].ID != issued[2].ID {
			t.Errorf("counter 1: got %s, want %s", res[1].Number, issued[2].Number)
		}
		if got := hs.GroupedCalls() - before; got != 0 {
			t.Errorf("calls decided together from a stale queue: got %d, want 0 (run one by one)", got)
		}
	})
}
