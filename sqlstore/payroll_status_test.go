package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// TestPayrollStore_ApplyStatusImport moves a sent cycle's payments by ID
// range (runs of consecutive IDs) and by ID list, derives each one's bank
// step from the import, writes that step out when a return replaces it,
// and stores nothing when one payment of a range moved meanwhile.
func TestPayrollStore_ApplyStatusImport(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		november := dost.MonthOf(today)
		app := f.submit(t, application(f.aysel, pensionService, "k1", today), nil, nil)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(f.aysel, "old_age_pension", november))
		s := sqlstore.NewPayrollStore(db)
		shards := []rulesrun.Shard{{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 1000, Persons: 2}}
		c, err := s.StartCycle(ctx, "", november, 5)
		ok(t, err)
		_, err = s.PlanCycle(ctx, c.ID, c.Run, shards)
		ok(t, err)
		const months = 300
		awards, err := s.ShardAwards(ctx, c, shards[0], november.Add(-months))
		ok(t, err)
		w := awards[0].Award
		var payments []*dost.Payment
		for i := range months {
			m := november.Add(-i)
			payments = append(payments, &dost.Payment{CycleID: c.ID, AwardID: w.ID, Programme: w.Programme, Period: m,
				PayeeID: w.PayeeID, Amount: 10000, IBAN: f.aysel.IBAN, Bank: dost.BankCode(f.aysel.IBAN),
				Reference: payroll.Reference(w.ID, m, 1), Status: dost.PaymentPending, Attempts: 1,
				CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()})
		}
		_, err = s.WriteShard(ctx, c, shards[0], payments, 0)
		ok(t, err)
		// The export's outcome, as a fixture: the cycle exported, its
		// payments sent.
		for _, q := range []string{`UPDATE payroll_cycles SET status = 'exported'`, `UPDATE payments SET status = 'sent'`} {
			if _, err := db.WriterDB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		stored, _, err := s.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Limit: 1000})
		ok(t, err)
		var ids []int64
		for _, p := range stored {
			ids = append(ids, p.ID)
		}
		if len(ids) != months || ids[months-1]-ids[0] != months-1 {
			t.Fatalf("%d payments, IDs %d…%d: want %d consecutive", len(ids), ids[0], ids[len(ids)-1], months)
		}
		events := countRows(t, db, "payment_events")

		// Paid: a run of 200 (a range), two short runs and a single ID (a
		// list); one payment left sent.
		paid := append(append(append([]int64{}, ids[:200]...), ids[201:230]...), ids[240:260]...)
		paid = append(paid, ids[299])
		imp, err := s.ApplyStatusImport(ctx, &dost.StatusImport{CycleID: c.ID, Kind: dost.ImportCamt054, MessageID: "N-1",
			SHA256: strings.Repeat("1", 64), Entries: len(paid), Paid: len(paid), Repeated: 1, ActorID: 7,
			Problems: []dost.ImportProblem{{Reference: "DOST-1", Code: "entry.repeated", Message: "Again."}}},
			[]*payroll.StatusMove{{From: dost.PaymentSent, To: dost.PaymentPaid, PaidOn: today, PaymentIDs: paid}})
		ok(t, err)
		if imp.Repeated != 1 || len(imp.Problems) != 1 || imp.Problems[0].Code != "entry.repeated" || imp.ActorID != 7 {
			t.Errorf("import %+v: want its repeated count and notes stored", imp)
		}
		_, n, err := s.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentPaid}})
		ok(t, err)
		if n != len(paid) {
			t.Fatalf("%d paid, want %d", n, len(paid))
		}
		if got := countRows(t, db, "payment_events"); got != events {
			t.Errorf("%d payment events, want %d: an import writes none per payment", got, events)
		}
		last := func(id int64) *dost.PaymentEvent {
			t.Helper()
			h, err := s.FindPaymentEvents(ctx, id)
			ok(t, err)
			if len(h) == 0 {
				t.Fatalf("payment %d has no history", id)
			}
			return h[len(h)-1]
		}
		if e := last(ids[150]); e.Status != dost.PaymentPaid || e.ImportID != imp.ID || e.ActorID != 7 || e.CycleID != c.ID {
			t.Errorf("paid payment's last step %+v", e)
		}
		if e := last(ids[200]); e.Status == dost.PaymentPaid {
			t.Errorf("the payment left sent has the step %+v", e)
		}

		// A range of which one payment is no longer sent: nothing stored.
		before := countRows(t, db, "status_imports")
		_, err = s.ApplyStatusImport(ctx, &dost.StatusImport{CycleID: c.ID, Kind: dost.ImportPain002, MessageID: "S-STALE",
			SHA256: strings.Repeat("2", 64)}, []*payroll.StatusMove{
			{From: dost.PaymentSent, To: dost.PaymentFailed, ReasonCode: "AC01", PaymentIDs: ids[190:270]}})
		if dost.ErrorCode(err) != dost.ECONFLICT {
			t.Fatalf("got %v, want ECONFLICT", err)
		}
		if countRows(t, db, "status_imports") != before || last(ids[200]).Status == dost.PaymentFailed {
			t.Fatalf("a stale import stored something")
		}

		// Returned: the paid step of each is written out, then the return
		// is the last step.
		returned := ids[100:180]
		ret, err := s.ApplyStatusImport(ctx, &dost.StatusImport{CycleID: c.ID, Kind: dost.ImportCamt054, MessageID: "N-2",
			SHA256: strings.Repeat("3", 64), Entries: len(returned), Returned: len(returned), ActorID: 8},
			[]*payroll.StatusMove{{From: dost.PaymentPaid, To: dost.PaymentReturned, ReasonCode: "AC04", Reason: "Closed account number.",
				PaymentIDs: returned}})
		ok(t, err)
		if got := countRows(t, db, "payment_events"); got != events+len(returned) {
			t.Errorf("%d payment events, want %d: the returned payments' paid steps written out", got, events+len(returned))
		}
		h, err := s.FindPaymentEvents(ctx, ids[120])
		ok(t, err)
		if len(h) < 2 {
			t.Fatalf("history %+v", h)
		}
		if p, r := h[len(h)-2], h[len(h)-1]; p.Status != dost.PaymentPaid || p.ImportID != imp.ID || p.ActorID != 7 ||
			r.Status != dost.PaymentReturned || r.ImportID != ret.ID || r.ActorID != 8 || r.ReasonCode != "AC04" {
			t.Errorf("history ends %+v, %+v; want paid by import %d, then returned by %d", p, r, imp.ID, ret.ID)
		}
	})
}
