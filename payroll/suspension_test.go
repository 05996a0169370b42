package payroll_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// tssaAwards assigns targeted social assistance to n households the scan
// offered it to, starting in September, and returns the awards.
func tssaAwards(t *testing.T, e *env, n int) []*dost.Award {
	t.Helper()
	rows, err := e.db.WriterDB().QueryContext(ctx, `SELECT household_id FROM offers WHERE programme = 'tssa' AND household_id <> 0
		ORDER BY id LIMIT $1`, n)
	ok(t, err)
	var hh []int64
	for rows.Next() {
		var id int64
		ok(t, rows.Scan(&id))
		hh = append(hh, id)
	}
	ok(t, rows.Err())
	rows.Close()
	if len(hh) < n {
		t.Fatalf("%d households offered TSSA, want %d", len(hh), n)
	}
	var out []*dost.Award
	for _, h := range hh {
		w, _, err := e.work.AssignProactively(ctx, casework.ProactiveRequest{Programme: "tssa", HouseholdID: h, Period: november})
		ok(t, err)
		e.exec(t, `UPDATE awards SET period = '2026-09', starts_on = $1 WHERE id = $2`, dost.MustDate("2026-09-01"), w.ID)
		out = append(out, w)
	}
	return out
}

// tssaPayment returns the payment of an award's month (nil if none).
func tssaPayment(t *testing.T, e *env, awardID int64, m dost.Month) *dost.Payment {
	t.Helper()
	list, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{AwardID: awardID})
	ok(t, err)
	for _, p := range list {
		if p.Period == m {
			return p
		}
	}
	return nil
}

// paid marks a payment paid on a day: the bank's report, as a fixture.
func paid(t *testing.T, e *env, p *dost.Payment, on string) {
	t.Helper()
	e.exec(t, `UPDATE payments SET status = 'paid', paid_on = $1 WHERE id = $2`, dost.MustDate(on), p.ID)
}

// TestSuspendNotWithdrawn: targeted social assistance whose money is not
// withdrawn for 2 months is suspended by the daily job, once the feed
// runs; a withdrawal resumes it, and the next cycle pays the suspended
// months as arrears.
func TestSuspendNotWithdrawn(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 400, 1000)
		e.pro.SetWithdrawals(e.svc)
		aw := tssaAwards(t, e, 2)
		a, b := aw[0], aw[1]
		september := november.Add(-2)
		// Both paid at one bank: B's withdrawal puts it in the feed (the
		// feed's start is per bank).
		e.setIBAN(t, a.PayeeID, iban("AIIB", 7201))
		e.setIBAN(t, b.PayeeID, iban("AIIB", 7202))

		// September's cycle pays both; both paid, B's money withdrawn.
		_, err := e.svc.PrepareCycle(as(1), "tssa", september)
		ok(t, err)
		pa, pb := tssaPayment(t, e, a.ID, september), tssaPayment(t, e, b.ID, september)
		if pa == nil || pb == nil {
			t.Fatalf("September's payments %+v, %+v, want both", pa, pb)
		}
		paid(t, e, pa, "2026-09-08")
		paid(t, e, pb, "2026-09-05")

		// Before the feed has reported anything, nobody is judged.
		n, err := e.svc.SuspendNotWithdrawn(ctx, today)
		ok(t, err)
		if n != 0 {
			t.Fatalf("%d suspended before the feed runs, want 0", n)
		}

		// The feed: B's withdrawal, as an event (checked, then processed).
		ev, created, err := e.pro.ReceiveEvent(ctx, &dost.LifeEvent{ID: "w-1", Kind: dost.EventPaymentWithdrawn,
			Date: dost.MustDate("2026-09-06"), Withdrawal: &dost.WithdrawalFacts{Reference: " " + pb.Reference + " "}})
		ok(t, err)
		if !created || ev.Status != dost.EventProcessed || len(ev.Outcome) != 1 || ev.Outcome[0].AwardID != b.ID {
			t.Fatalf("withdrawal event %+v (created %v), want processed, recorded for award %d", ev, created, b.ID)
		}
		// The same event again changes nothing.
		if _, created, err := e.pro.ReceiveEvent(ctx, &dost.LifeEvent{ID: "w-1", Kind: dost.EventPaymentWithdrawn,
			Date: dost.MustDate("2026-09-06"), Withdrawal: &dost.WithdrawalFacts{Reference: pb.Reference}}); err != nil || created {
			t.Fatalf("repeat: created %v, %v; want the stored event", created, err)
		}

		// A's money has lain since 8 September: suspended on 16 November.
		n, err = e.svc.SuspendNotWithdrawn(ctx, today)
		ok(t, err)
		if n != 1 {
			t.Fatalf("%d suspended, want 1 (A)", n)
		}
		if got := award(t, e, a.ID); got.Status != dost.AwardSuspended || got.StatusReason != dost.ReasonNotWithdrawn {
			t.Fatalf("A is %s (%s), want suspended, not_withdrawn", got.Status, got.StatusReason)
		}
		if got := award(t, e, b.ID); got.Status != dost.AwardActive {
			t.Fatalf("B is %s, want active: its money was withdrawn", got.Status)
		}
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil || n != 0 {
			t.Fatalf("again: %d suspended, %v; want nothing", n, err)
		}
		sus, err := e.svc.FindAwardSuspensions(as(1), a.ID)
		ok(t, err)
		if len(sus) != 1 || sus[0].Reason != dost.ReasonNotWithdrawn || sus[0].Start != today || !sus[0].End.IsZero() {
			t.Fatalf("A's suspensions %+v, want one open from %s", sus, today)
		}

		// November's cycle pays B (October and November), nothing to A.
		_, err = e.svc.PrepareCycle(as(1), "tssa", november)
		ok(t, err)
		if p := tssaPayment(t, e, a.ID, november); p != nil {
			t.Fatalf("suspended A paid for November: %+v", p)
		}
		if tssaPayment(t, e, b.ID, november) == nil || tssaPayment(t, e, b.ID, november.Add(-1)) == nil {
			t.Fatalf("B not paid for October and November")
		}

		// Bad withdrawals: an unknown reference, a payment not paid out,
		// another person's FIN; nothing stored.
		for _, tc := range []struct {
			name, ref, field string
			fin              dost.FIN
		}{
			{"ErrUnknown", "DOST-999999-202609", "withdrawal.reference", ""},
			{"ErrNotSent", tssaPayment(t, e, b.ID, november).Reference, "withdrawal.reference", ""},
			{"ErrPayee", pa.Reference, "fin", e.person(t, b.PayeeID).FIN},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.pro.ReceiveEvent(ctx, &dost.LifeEvent{ID: "bad-" + tc.name, Kind: dost.EventPaymentWithdrawn, FIN: tc.fin,
					Date: today, Withdrawal: &dost.WithdrawalFacts{Reference: tc.ref}})
				wantCode(t, err, dost.EINVALID)
				if f := dost.ErrorFields(err); len(f) == 0 || f[0].Field != tc.field {
					t.Errorf("fields %+v, want %s", f, tc.field)
				}
				if _, err := e.pro.FindEventByID(ctx, "", "bad-"+tc.name); dost.ErrorCode(err) != dost.ENOTFOUND {
					t.Errorf("the bad event was stored: %v", err)
				}
			})
		}

		// A's Sept money is withdrawn after all: A resumes, once.
		w, err := e.svc.RecordWithdrawal(ctx, pa.Reference, e.person(t, a.PayeeID).FIN, today)
		ok(t, err)
		if !w.Recorded || w.Resumed == nil || w.Resumed.ID != a.ID {
			t.Fatalf("withdrawal %+v, want recorded, A resumed", w)
		}
		if got := award(t, e, a.ID); got.Status != dost.AwardActive || got.StatusReason != "" {
			t.Fatalf("A is %s (%s), want active", got.Status, got.StatusReason)
		}
		if w, err := e.svc.RecordWithdrawal(ctx, pa.Reference, "", today); err != nil || w.Recorded || w.Resumed != nil {
			t.Fatalf("repeat: %+v, %v; want nothing recorded or resumed", w, err)
		}
		sus, err = e.svc.FindAwardSuspensions(as(1), a.ID)
		ok(t, err)
		if len(sus) != 1 || sus[0].End != today || sus[0].ResumeReason == "" {
			t.Fatalf("A's suspensions %+v, want one ended %s with a reason", sus, today)
		}
		// Resumed on the money withdrawn: not suspended again for it.
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil || n != 0 {
			t.Fatalf("after the withdrawal: %d suspended, %v", n, err)
		}

		// With arrears: November prepared again pays A October and
		// November.
		c, err := e.svc.PrepareCycle(as(1), "tssa", november)
		ok(t, err)
		for _, m := range []dost.Month{november.Add(-1), november} {
			p := tssaPayment(t, e, a.ID, m)
			if p == nil || p.CycleID != c.ID || p.Amount <= 0 {
				t.Fatalf("A's %s after resuming: %+v, want paid by cycle %d", m, p, c.ID)
			}
		}
	})
}

// TestResumeAward: staff resume a suspended award with a reason; its
// suspension is stored.
func TestResumeAward(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 1000)
		w := e.awards(t)[0]

		_, err := e.svc.ResumeAward(as(1), w.ID, "Cleared.")
		wantCode(t, err, dost.ECONFLICT) // active
		e.exec(t, `UPDATE awards SET status = 'suspended', status_reason = 'manual' WHERE id = $1`, w.ID)
		_, err = e.svc.ResumeAward(as(1), w.ID, " ")
		wantCode(t, err, dost.EINVALID)
		_, err = e.svc.ResumeAward(as(9, dost.RoleOperator), w.ID, "Cleared.")
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.ResumeAward(as(1), 1<<40, "Cleared.")
		wantCode(t, err, dost.ENOTFOUND)

		got, err := e.svc.ResumeAward(as(4, dost.RoleCaseWorker), w.ID, "The account was reopened.")
		ok(t, err)
		if got.Status != dost.AwardActive || got.StatusReason != "" {
			t.Fatalf("resumed award %+v", got)
		}
		sus, err := e.svc.FindAwardSuspensions(as(1), w.ID)
		ok(t, err)
		// Suspended by a path that stored no suspension: one is recorded.
		if len(sus) != 1 || sus[0].Reason != "manual" || sus[0].End != today || sus[0].ResumedBy != 4 ||
			sus[0].ResumeReason != "The account was reopened." {
			t.Fatalf("suspensions %+v", sus)
		}
		_, err = e.svc.FindAwardSuspensions(as(5, dost.RoleCitizen), w.ID)
		wantCode(t, err, dost.EFORBIDDEN)
	})
}

// award reads an award.
func award(t *testing.T, e *env, id int64) *dost.Award {
	t.Helper()
	w, err := e.cases.FindAwardByID(ctx, id)
	ok(t, err)
	return w
}
