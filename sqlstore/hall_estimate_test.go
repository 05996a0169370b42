package sqlstore_test

import (
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestHallStore_RecentServiceTimes checks the estimate's samples: the last
// services finished that day, oldest first, no more than asked, and only
// finished ones.
func TestHallStore_RecentServiceTimes(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		hs, c, ops := hallSetup(t, db, 1)
		clock := dosttest.ClockOf(t, db)
		k, op := c.Counters[0].ID, ops[0].ID
		for i := range 4 {
			tk := newTicket(c)
			ok(t, hs.IssueTicket(ctx, tk))
			_, _, err := hs.CallNext(ctx, k, op)
			ok(t, err)
			_, err = hs.ActOnTicket(ctx, tk.ID, op, dost.TicketActionRequest{Action: dost.TicketStart})
			ok(t, err)
			clock.Advance(time.Duration(i+1) * time.Minute)
			_, err = hs.ActOnTicket(ctx, tk.ID, op, dost.TicketActionRequest{Action: dost.TicketFinish, ServicesDone: []string{tk.ServiceCode}})
			ok(t, err)
		}
		waiting := newTicket(c) // not finished: not a sample
		ok(t, hs.IssueTicket(ctx, waiting))

		today := dost.DateOf(clock.Now().In(dost.Baku))
		got, err := hs.RecentServiceTimes(ctx, c.ID, today, 3)
		ok(t, err)
		want := []time.Duration{2 * time.Minute, 3 * time.Minute, 4 * time.Minute}
		if len(got) != len(want) {
			t.Fatalf("got %d samples, want %d: %+v", len(got), len(want), got)
		}
		for i, st := range got {
			if st.Duration != want[i] || st.ServiceCode != c.Services[0] {
				t.Errorf("sample %d: got %s %s, want %s %s", i, st.ServiceCode, st.Duration, c.Services[0], want[i])
			}
		}
		none, err := hs.RecentServiceTimes(ctx, c.ID, today.AddDate(0, 0, -1), 10)
		ok(t, err)
		if len(none) != 0 {
			t.Errorf("yesterday: got %d samples, want none", len(none))
		}
	})
}
