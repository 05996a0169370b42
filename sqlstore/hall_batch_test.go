package sqlstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestHallStore_BatchCancelled gathers calls into one batch (SQLite), one
// of whose callers goes away while its write runs and one before its
// turn: the driver would interrupt the shared writer connection and so
// roll back the whole batch; instead the first completes, the second is
// answered with its context's error, and every other caller gets a ticket.
func TestHallStore_BatchCancelled(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		if db.Dialect() != sqlstore.DialectSQLite {
			t.Skip("writes are batched on SQLite only")
		}
		const n = 12
		hs, c, ops := hallSetup(t, db, n)
		clock := dosttest.ClockOf(t, db)
		for range n + 2 {
			ok(t, hs.IssueTicket(ctx, newTicket(c)))
			clock.Advance(time.Second)
		}
		wait, release := hs.HoldWrites(ctx)
		errs := make([]error, n)
		midway, before := n/3, 2*n/3
		beforeCtx, cancelBefore := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch i {
				case midway:
					cctx, cancel := context.WithCancel(ctx)
					defer cancel()
					errs[i] = hs.CallNextThenCancel(cctx, cancel, c.Counters[i].ID, ops[i].ID)
				case before:
					_, _, errs[i] = hs.CallNext(beforeCtx, c.Counters[i].ID, ops[i].ID)
				default:
					_, _, errs[i] = hs.CallNext(ctx, c.Counters[i].ID, ops[i].ID)
				}
			}()
		}
		wait(n)
		cancelBefore()
		release()
		wg.Wait()
		for i, err := range errs {
			switch {
			case i == before:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("caller gone before its turn: got %v, want context.Canceled", err)
				}
			case err != nil:
				t.Errorf("operator %d: %v", i, err)
			}
		}
		_, total, err := hs.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID, Statuses: []dost.TicketStatus{dost.TicketCalled}})
		ok(t, err)
		if total != n-1 {
			t.Errorf("called tickets: got %d, want %d", total, n-1)
		}
	})
}

// TestHallStore_BatchPanic has a write panic in a batch: its caller gets
// an error, and the store keeps writing (the batch hands off rather than
// leaving every later write waiting).
func TestHallStore_BatchPanic(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 2)
		ok(t, hs.IssueTicket(ctx, newTicket(c)))
		wait, release := hs.HoldWrites(ctx)
		var wg sync.WaitGroup
		var panicErr, callErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer func() {
				if v := recover(); v != nil {
					panicErr = errors.New("panic reached the caller")
				}
			}()
			panicErr = hs.PanicInWrite(ctx, "boom")
		}()
		go func() { defer wg.Done(); _, _, callErr = hs.CallNext(ctx, c.Counters[0].ID, ops[0].ID) }()
		wait(2)
		release()
		wg.Wait()
		if panicErr == nil {
			t.Error("panicking write: got no error")
		}
		_ = callErr // in the panicking batch (SQLite) it fails with it; alone (PostgreSQL) it succeeds
		// The store still writes.
		ok(t, hs.IssueTicket(ctx, newTicket(c)))
		if _, _, err := hs.CallNext(ctx, c.Counters[1].ID, ops[1].ID); err != nil {
			t.Fatalf("call after the panic: %v", err)
		}
	})
}

// TestHallStore_CallNextStaleKeptQueue: a ticket directed to counter 0 by
// a write that left the kept queue stale is not called at counter 1: the
// call's guard checks what the policy chose by, and the queue is read
// again.
func TestHallStore_CallNextStaleKeptQueue(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 2)
		clock := dosttest.ClockOf(t, db)
		first, second := newTicket(c), newTicket(c)
		ok(t, hs.IssueTicket(ctx, first))
		clock.Advance(time.Second)
		ok(t, hs.IssueTicket(ctx, second))
		got, _, err := hs.CallNext(ctx, c.Counters[0].ID, ops[0].ID) // reads and keeps the queue
		ok(t, err)
		if got.ID != first.ID {
			t.Fatalf("first call: got %s, want %s", got.Number, first.Number)
		}
		ok(t, hs.DirectBehindKeptQueue(ctx, second.ID, c.Counters[0].ID))
		got, _, err = hs.CallNext(ctx, c.Counters[1].ID, ops[1].ID)
		if err == nil {
			t.Fatalf("counter 1 called %s, directed to counter 0", got.Number)
		}
		if dost.ErrorCode(err) != dost.ENOTFOUND {
			t.Fatalf("call at counter 1: got %v, want the queue empty", err)
		}
	})
}
