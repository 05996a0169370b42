package payroll_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// september is the month the TSSA fixtures' awards start.
var september = november.Add(-2)

// paidTSSA assigns targeted social assistance to n households with
// payees at the banks given (by turn), prepares September and marks each
// September payment paid on the 8th; it returns the awards and payments.
func paidTSSA(t *testing.T, e *env, n int, banks ...string) ([]*dost.Award, []*dost.Payment) {
	t.Helper()
	aw := tssaAwards(t, e, n)
	for i, w := range aw {
		e.setIBAN(t, w.PayeeID, iban(banks[i%len(banks)], 7000+i))
	}
	_, err := e.svc.PrepareCycle(as(1), "tssa", september)
	ok(t, err)
	var ps []*dost.Payment
	for i, w := range aw {
		p := tssaPayment(t, e, w.ID, september)
		if p == nil || p.Bank != banks[i%len(banks)] {
			t.Fatalf("September's payment of award %d: %+v, want one at %s", w.ID, p, banks[i%len(banks)])
		}
		paid(t, e, p, "2026-09-08")
		ps = append(ps, p)
	}
	return aw, ps
}

// TestSuspendWithdrawalRace: withdrawals reported while the daily
// suspension runs are never overridden by it: an award whose money was
// withdrawn ends active, with no open suspension.
func TestSuspendWithdrawalRace(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 1500, 1000)
		const n = 24
		aw, ps := paidTSSA(t, e, n+1, "AIIB")
		// The feed runs at the bank: the last award's money was withdrawn.
		_, err := e.svc.RecordWithdrawal(ctx, ps[n].Reference, "", dost.MustDate("2026-09-08"))
		ok(t, err)
		aw, ps = aw[:n], ps[:n]

		var wg sync.WaitGroup
		errs := make(chan error, 2*n+8)
		stop := make(chan struct{})
		wg.Add(1)
		go func() { // the job, again and again
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil {
					errs <- err
					return
				}
			}
		}()
		var reports sync.WaitGroup
		for i := range ps {
			reports.Add(1)
			go func() {
				defer reports.Done()
				if _, err := e.svc.RecordWithdrawal(ctx, ps[i].Reference, "", today); err != nil {
					errs <- fmt.Errorf("withdrawal %d: %w", i, err)
				}
			}()
		}
		reports.Wait()
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, w := range aw {
			if got := award(t, e, w.ID); got.Status != dost.AwardActive {
				t.Errorf("award %d is %s (%s) with its money withdrawn, want active", w.ID, got.Status, got.StatusReason)
			}
			sus, err := e.svc.FindAwardSuspensions(as(1), w.ID)
			ok(t, err)
			for _, u := range sus {
				if u.End.IsZero() {
					t.Errorf("award %d has an open suspension %+v", w.ID, u)
				}
			}
		}
	})
}

// changeAward reactivates or suspends an award as a case worker's
// decision does (an application's effects, casework.AwardChange).
func changeAward(t *testing.T, e *env, w *dost.Award, status dost.AwardStatus, reason string) {
	t.Helper()
	if w.ApplicationID == 0 {
		t.Fatalf("award %d has no application", w.ID)
	}
	var st dost.ApplicationStatus
	row := e.db.WriterDB().QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1`, w.ApplicationID)
	ok(t, row.Scan(&st))
	ok(t, e.cases.Transition(ctx, &dost.Transition{ApplicationID: w.ApplicationID, Action: "test", From: st, To: st, ActorID: 9},
		&casework.Effects{EndAwards: []casework.AwardChange{{AwardID: w.ID, Status: status, Reason: reason}}}))
}

// TestSuspensionAwardChange: a case worker's reactivation closes the
// award's open suspension and a suspension opens one, so that the daily
// job neither fails on a stale open row nor misses the history.
func TestSuspensionAwardChange(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 400, 1000)
		aw, ps := paidTSSA(t, e, 3, "AIIB")
		a, b := aw[0], aw[1]
		_, err := e.svc.RecordWithdrawal(ctx, ps[2].Reference, "", dost.MustDate("2026-09-08"))
		ok(t, err)
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil || n != 2 {
			t.Fatalf("%d suspended, %v; want A and B", n, err)
		}

		// A case worker reactivates A: its suspension ends today.
		changeAward(t, e, a, dost.AwardActive, "")
		sus, err := e.svc.FindAwardSuspensions(as(1), a.ID)
		ok(t, err)
		if len(sus) != 1 || sus[0].End != today {
			t.Fatalf("A's suspensions after reactivation %+v, want one ended %s", sus, today)
		}
		// The job runs on without failing; A is not judged again on the
		// money of before its reactivation.
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil || n != 0 {
			t.Fatalf("after the reactivation: %d suspended, %v; want none", n, err)
		}
		// A later day: A's money still lies (paid before it was reactivated): not judged.
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today.AddDate(0, 0, 3)); err != nil || n != 0 {
			t.Fatalf("three days on: %d suspended, %v; want none", n, err)
		}

		// B is resumed by staff and then suspended by a case worker: the
		// suspension is recorded, open.
		_, err = e.svc.ResumeAward(as(1), b.ID, "Account checked.")
		ok(t, err)
		changeAward(t, e, b, dost.AwardSuspended, "review")
		sus, err = e.svc.FindAwardSuspensions(as(1), b.ID)
		ok(t, err)
		if len(sus) != 2 || sus[1].Reason != "review" || !sus[1].End.IsZero() {
			t.Fatalf("B's suspensions %+v, want the second open for review", sus)
		}
	})
}

// TestWithdrawalBeforeUnwithdrawn: a withdrawal dated before the
// payment whose money lies unwithdrawn is recorded but does not lift the
// suspension; one on or after it does.
func TestWithdrawalBeforeUnwithdrawn(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 400, 1000)
		aw := tssaAwards(t, e, 2)
		a, b := aw[0], aw[1]
		august := september.Add(-1)
		for i, w := range aw {
			e.setIBAN(t, w.PayeeID, iban("AIIB", 7100+i))
			e.exec(t, `UPDATE awards SET period = $1, starts_on = $2 WHERE id = $3`, august.String(), august.First(), w.ID)
		}
		_, err := e.svc.PrepareCycle(as(1), "tssa", august)
		ok(t, err)
		aAug, bAug := tssaPayment(t, e, a.ID, august), tssaPayment(t, e, b.ID, august)
		if aAug == nil || bAug == nil {
			t.Fatal("August not paid")
		}
		paid(t, e, aAug, "2026-08-05")
		paid(t, e, bAug, "2026-08-05")
		_, err = e.svc.RecordWithdrawal(ctx, bAug.Reference, "", dost.MustDate("2026-08-06"))
		ok(t, err)
		_, err = e.svc.PrepareCycle(as(1), "tssa", september)
		ok(t, err)
		aSep := tssaPayment(t, e, a.ID, september)
		paid(t, e, aSep, "2026-09-08")

		// A's September money lies since 8 September: suspended.
		if n, err := e.svc.SuspendNotWithdrawn(ctx, today); err != nil || n != 1 {
			t.Fatalf("%d suspended, %v; want A", n, err)
		}
		// August's money, withdrawn on 20 August: recorded, A stays suspended.
		w, err := e.svc.RecordWithdrawal(ctx, aAug.Reference, "", dost.MustDate("2026-08-20"))
		ok(t, err)
		if !w.Recorded || w.Resumed != nil {
			t.Fatalf("August's withdrawal %+v, want recorded, nothing resumed", w)
		}
		if got := award(t, e, a.ID); got.Status != dost.AwardSuspended {
			t.Fatalf("A is %s, want still suspended", got.Status)
		}
		// September's money withdrawn: A resumes.
		w, err = e.svc.RecordWithdrawal(ctx, aSep.Reference, "", today)
		ok(t, err)
		if w.Resumed == nil || w.Resumed.ID != a.ID {
			t.Fatalf("September's withdrawal %+v, want A resumed", w)
		}
	})
}

// TestSuspendPerBankFeed: a bank that has not joined the withdrawal feed
// yet (none of its payments' withdrawals reported) has its payees not
// judged, though another bank's have.
func TestSuspendPerBankFeed(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 400, 1000)
		aw, ps := paidTSSA(t, e, 3, "IBAZ", "AIIB", "AIIB")
		// AIIB is in the feed (the third award's money withdrawn); IBAZ is not.
		_, err := e.svc.RecordWithdrawal(ctx, ps[2].Reference, "", dost.MustDate("2026-09-08"))
		ok(t, err)
		n, err := e.svc.SuspendNotWithdrawn(ctx, today)
		ok(t, err)
		if got := award(t, e, aw[0].ID); got.Status != dost.AwardActive {
			t.Errorf("the IBAZ payee's award is %s, want active: its bank is not in the feed", got.Status)
		}
		if got := award(t, e, aw[1].ID); got.Status != dost.AwardSuspended || n != 1 {
			t.Errorf("the AIIB payee's award is %s (%d suspended), want suspended alone", got.Status, n)
		}
	})
}

// TestReattachUnpayable: a corrected payment is not re-attached while its
// award is suspended or its payee died before its month; it stays
// corrected, counted for review, and is re-attached once the award
// resumes.
func TestReattachUnpayable(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		aw := e.awards(t)
		_, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		var ps []*dost.Payment
		for _, w := range aw[:2] {
			list, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{AwardID: w.ID})
			ok(t, err)
			if len(list) == 0 {
				t.Fatalf("award %d not paid in November", w.ID)
			}
			e.exec(t, `UPDATE payments SET status = 'corrected' WHERE id = $1`, list[0].ID)
			ps = append(ps, list[0])
		}
		e.exec(t, `UPDATE awards SET status = 'suspended', status_reason = 'manual' WHERE id = $1`, aw[0].ID)
		e.exec(t, `UPDATE persons SET status = 'deceased', death_date = $1 WHERE id = $2`,
			ps[1].Period.First().AddDate(0, 0, -3), ps[1].PayeeID)

		d1, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		for _, p := range ps {
			got, err := e.svc.FindPaymentByID(as(2), p.ID)
			ok(t, err)
			if got.Status != dost.PaymentCorrected || got.CycleID == d1.ID {
				t.Errorf("payment %d of a suspended award or a payee who died before: %s in cycle %d, want corrected, left",
					p.ID, got.Status, got.CycleID)
			}
		}

		e.exec(t, `UPDATE awards SET status = 'active', status_reason = '' WHERE id = $1`, aw[0].ID)
		d2, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		got, err := e.svc.FindPaymentByID(as(2), ps[0].ID)
		ok(t, err)
		if got.Status != dost.PaymentPending || got.CycleID != d2.ID {
			t.Errorf("the resumed award's payment: %s in cycle %d, want pending in %d", got.Status, got.CycleID, d2.ID)
		}
		if d1.Review != d2.Review+1 {
			t.Errorf("review %d then %d, want the payment left counted once more", d1.Review, d2.Review)
		}
	})
}

// TestApproveUnpayable: a cycle one of whose pending payments' award was
// suspended (or payee died) after its preparation is not approved
// (ECONFLICT: prepare it again); prepared again, it is.
func TestApproveUnpayable(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		aw := e.awards(t)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		e.exec(t, `UPDATE awards SET status = 'suspended', status_reason = 'manual' WHERE id = $1`, aw[0].ID)
		list, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{AwardID: aw[1].ID})
		ok(t, err)
		e.exec(t, `UPDATE persons SET status = 'deceased', death_date = $1 WHERE id = $2`,
			november.First().AddDate(0, 0, -1), list[0].PayeeID)
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		wantCode(t, err, dost.ECONFLICT)
		// The suspended award's payment, the deceased payee's (one or more).
		var count int
		if _, err := fmt.Sscanf(err.Error()[strings.Index(err.Error(), ": ")+2:], "dost error: code=conflict message=Payroll cycle %d: %d of its payments", new(int), &count); err != nil || count < 2 {
			t.Errorf("message %q (%v), want a count of at least 2", err.Error(), err)
		}
		if msg := err.Error(); !strings.Contains(msg, "prepare it again") {
			t.Errorf("message %q, want the count and to prepare again", msg)
		}
		c, err = e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		ok(t, err)
	})
}

// TestApproveControlSums: a cycle whose payments no longer add up to its
// control sums (a payment changed behind its back) is not approved, and the
// message sets both sums side by side, held payments included.
func TestApproveControlSums(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		aw := e.awards(t)
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		list, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{AwardID: aw[0].ID})
		ok(t, err)
		e.exec(t, `UPDATE payments SET status = 'held' WHERE id = $1`, list[0].ID)
		_, err = e.svc.ApproveCycle(as(2), c.ID, c.Run)
		wantCode(t, err, dost.ECONFLICT)
		want := fmt.Sprintf("its control sums (%d payments, %s; arrears %d, %s; %d held) are not its payments' (%d, ",
			c.Count, c.Total, c.ArrearsCount, c.ArrearsTotal, c.Held, c.Count-1)
		if msg := err.Error(); !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("; %d held); prepare it again", c.Held+1)) {
			t.Errorf("message %q, want %q and %d held", msg, want, c.Held+1)
		}
	})
}
