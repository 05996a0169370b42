package payroll_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// prorate is the package's rule, restated: amount × days ÷ of, half up.
func prorate(amount dost.Money, days, of int) dost.Money {
	return dost.Money((int64(amount)*int64(days)*2 + int64(of)) / (2 * int64(of)))
}

// fixtures picks awards of distinct persons, each its own payee, and
// turns them into the cases TestPrepare checks.
type fixtures struct {
	suspended, noIBAN, unknownBank, badIBAN, arrears, ended, longAgo, dead, lateStart, plain *dost.Award
	// oneOff is the one-off award's ID; deadHousehold the household of
	// the dead beneficiary.
	oneOff, deadHousehold int64
}

func makeFixtures(t *testing.T, e *env) *fixtures {
	t.Helper()
	var picked []*dost.Award
	seen := map[int64]bool{}
	for _, w := range e.awards(t) {
		if w.PersonID == 0 || w.PersonID != w.PayeeID || seen[w.PayeeID] || w.Start != november.First() {
			continue
		}
		seen[w.PayeeID] = true
		picked = append(picked, w)
	}
	if len(picked) < 10 {
		t.Fatalf("%d awards of distinct persons starting on %s, want 10", len(picked), november.First())
	}
	f := &fixtures{suspended: picked[0], noIBAN: picked[1], unknownBank: picked[2], badIBAN: picked[3], arrears: picked[4],
		ended: picked[5], longAgo: picked[6], dead: picked[7], lateStart: picked[8], plain: picked[9]}
	e.exec(t, `UPDATE awards SET status = 'suspended', status_reason = 'test' WHERE id = $1`, f.suspended.ID)
	e.setIBAN(t, f.noIBAN.PayeeID, "")
	e.setIBAN(t, f.unknownBank.PayeeID, iban("ZZZZ", 1))
	// The registry refuses a bad IBAN; one stored before its check still
	// must not be paid.
	e.exec(t, `UPDATE persons SET iban = 'AZ00AIIB00000000000000000001' WHERE id = $1`, f.badIBAN.PayeeID)
	e.exec(t, `UPDATE awards SET starts_on = $1, period = '2026-09' WHERE id = $2`, dost.MustDate("2026-09-16"), f.arrears.ID)
	e.exec(t, `UPDATE awards SET status = 'ended', status_reason = 'end_date', ends_on = $1 WHERE id = $2`, dost.MustDate("2026-11-10"), f.ended.ID)
	e.exec(t, `UPDATE awards SET starts_on = $1, period = '2020-01' WHERE id = $2`, dost.MustDate("2020-01-01"), f.longAgo.ID)
	e.exec(t, `UPDATE awards SET starts_on = $1 WHERE id = $2`, dost.MustDate("2026-11-11"), f.lateStart.ID)
	p := e.person(t, f.dead.PersonID)
	st, died := dost.PersonDeceased, dost.MustDate("2026-10-20")
	_, err := e.persons.UpdatePerson(ctx, p.FIN, dost.PersonUpdate{Status: &st, DeathDate: &died})
	ok(t, err)
	f.deadHousehold, err = e.cases.HouseholdOf(ctx, f.dead.PersonID)
	ok(t, err)
	// A one-off birth allowance due in October, on the plain award's
	// decision and application.
	var id int64
	ok(t, e.db.WriterDB().QueryRowContext(ctx, `INSERT INTO awards (programme, service_code, person_id, household_id, payee_id, kind,
		amount, period, starts_on, status, decision_id, application_id, created_at, updated_at)
		SELECT 'birth_allowance', '05-02-01-00', person_id, 0, payee_id, 'one_off', 50000, '2026-10', $1, 'active',
		decision_id, application_id, created_at, updated_at FROM awards WHERE id = $2 RETURNING id`,
		dost.MustDate("2026-10-05"), f.plain.ID).Scan(&id))
	f.oneOff = id
	return f
}

// TestPrepare prepares November and December over a seeded registry with
// awards in every situation: the amounts are the rules', pro rata where an
// award starts or ends in the month, arrears within the back-pay limit, a
// one-off paid once, nothing for the suspended and the dead, held
// payments for accounts dost cannot pay to.
func TestPrepare(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 400, 60)
		all := e.awards(t)
		f := makeFixtures(t, e)

		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		if c.Status != dost.CyclePrepared || c.Run != 1 || c.ShardsTotal < 2 || c.ShardsDone != c.ShardsTotal || c.PreparedBy != 1 {
			t.Fatalf("cycle %+v, want prepared in 2 or more shards by 1", c)
		}
		pays := e.payments(t, dost.PaymentFilter{CycleID: c.ID})

		// Control sums: the cycle's are its payments'.
		var count, arrears, held int
		var total, arrearsTotal dost.Money
		for _, p := range pays {
			if p.Status == dost.PaymentHeld {
				held++
				continue
			}
			count++
			total += p.Amount
			if p.Period != november {
				arrears++
				arrearsTotal += p.Amount
			}
		}
		if c.Count != count || c.Total != total || c.ArrearsCount != arrears || c.ArrearsTotal != arrearsTotal || c.Held != held {
			t.Errorf("cycle sums %d %s, arrears %d %s, held %d; payments %d %s, arrears %d %s, held %d",
				c.Count, c.Total, c.ArrearsCount, c.ArrearsTotal, c.Held, count, total, arrears, arrearsTotal, held)
		}

		fixture, payees := map[int64]bool{}, map[int64]bool{}
		for _, w := range []*dost.Award{f.suspended, f.noIBAN, f.unknownBank, f.badIBAN, f.arrears, f.ended, f.longAgo, f.dead, f.lateStart} {
			fixture[w.ID], payees[w.PayeeID] = true, true
		}
		checked := 0
		for _, w := range all {
			if fixture[w.ID] || payees[w.PayeeID] || w.HouseholdID != 0 && w.HouseholdID == f.deadHousehold {
				continue
			}
			if hh, _ := e.cases.HouseholdOf(ctx, w.PersonID); w.PersonID != 0 && hh != 0 && hh == f.deadHousehold {
				continue
			}
			p := pays[key(w.ID, november)]
			if p == nil {
				t.Errorf("award %d (%s) not paid", w.ID, w.Programme)
				continue
			}
			want := w.Amount
			if d := w.Start.Day(); dost.MonthOf(w.Start) == november && d > 1 {
				want = prorate(w.Amount, 30-d+1, 30)
			}
			// Some synthetic persons (children) have no account.
			status := dost.PaymentPending
			if e.person(t, w.PayeeID).IBAN == "" {
				status = dost.PaymentHeld
			}
			if p.Amount != want || p.PayeeID != w.PayeeID || p.Status != status || p.Attempts != 1 ||
				p.Reference != "DOST-"+itoa(w.ID)+"-202611" || p.Bank != dost.BankCode(p.IBAN) {
				t.Errorf("award %d (%s, %s from %s): payment %+v, want %s", w.ID, w.Programme, w.Amount, w.Start, p, want)
			}
			checked++
		}
		if checked < 10 {
			t.Fatalf("%d plain awards checked, want more", checked)
		}

		if p := pays[key(f.suspended.ID, november)]; p != nil {
			t.Errorf("suspended award paid: %+v", p)
		}
		if p := pays[key(f.dead.ID, november)]; p != nil {
			t.Errorf("award of the dead paid: %+v", p)
		}
		if c.Review < 1 {
			t.Errorf("review %d, want the dead beneficiary's award counted", c.Review)
		}
		for w, code := range map[*dost.Award]string{f.noIBAN: "no_iban", f.unknownBank: "bank.unknown", f.badIBAN: "iban.invalid"} {
			if p := pays[key(w.ID, november)]; p == nil || p.Status != dost.PaymentHeld || p.ReasonCode != code || p.Amount != w.Amount {
				t.Errorf("award %d: payment %+v, want held %s", w.ID, p, code)
			}
		}
		// Arrears from the 16th of September: 15 of 30 days, then October.
		sep, oct := pays[key(f.arrears.ID, november.Add(-2))], pays[key(f.arrears.ID, november.Add(-1))]
		if sep == nil || oct == nil || pays[key(f.arrears.ID, november)] == nil || pays[key(f.arrears.ID, november.Add(-3))] != nil {
			t.Fatalf("award from 2026-09-16: September %+v, October %+v; want both and November", sep, oct)
		}
		if sep.Amount != prorate(oct.Amount, 15, 30) {
			t.Errorf("September %s, want 15/30 of October's %s", sep.Amount, oct.Amount)
		}
		if p := pays[key(f.ended.ID, november)]; p == nil || p.Amount != prorate(f.ended.Amount, 10, 30) {
			t.Errorf("award ended on 2026-11-10: %+v, want 10/30 of %s", p, f.ended.Amount)
		}
		if p := pays[key(f.lateStart.ID, november)]; p == nil || p.Amount != prorate(f.lateStart.Amount, 20, 30) {
			t.Errorf("award from 2026-11-11: %+v, want 20/30 of %s", p, f.lateStart.Amount)
		}
		// Back pay of at most 36 months: none before 2023-11.
		long, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{AwardID: f.longAgo.ID})
		ok(t, err)
		if len(long) < 2 || len(long) > 37 {
			t.Errorf("award from 2020: %d payments, want 2 to 37", len(long))
		}
		for _, p := range long {
			if p.Period.Year < 2023 || p.Period.Year == 2023 && p.Period.Month < 11 {
				t.Errorf("award from 2020 paid for %s, beyond the back-pay limit", p.Period)
			}
		}
		if p := pays[key(f.oneOff, november.Add(-1))]; p == nil || p.Amount != 50000 || p.Programme != "birth_allowance" {
			t.Errorf("one-off award: %+v, want 500.00 for 2026-10", p)
		}

		// December: the one-off is not paid again, nor any month twice;
		// the ended award gets nothing.
		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		decPays := e.payments(t, dost.PaymentFilter{CycleID: d.ID})
		for _, p := range decPays {
			if p.Period != december {
				t.Errorf("December pays %s for award %d: %+v", p.Period, p.AwardID, p)
			}
		}
		if decPays[key(f.ended.ID, december)] != nil || decPays[key(f.plain.ID, december)] == nil {
			t.Error("December: the ended award paid or the plain one not")
		}
		diff, err := e.svc.CompareCycle(as(2), d.ID)
		ok(t, err)
		if diff.Previous != c.ID || diff.Count != d.Count || diff.Removed < 2 || diff.Total != d.Total {
			t.Errorf("December against November: %+v, want the ended award and the one-off removed", diff)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPrepare_Concurrent prepares one cycle from many goroutines at once,
// then again: every payment is made once, and the sums stay.
func TestPrepare_Concurrent(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 50)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				_, err := e.svc.PrepareCycle(as(int64(1+i%2)), "", november)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, err)
		}
		cycles, n, err := e.svc.FindCycles(as(1), dost.CycleFilter{})
		ok(t, err)
		if n != 1 || cycles[0].Status != dost.CyclePrepared {
			t.Fatalf("%d cycles %+v, want one prepared", n, cycles)
		}
		first := cycles[0]
		pays := e.payments(t, dost.PaymentFilter{})
		if len(pays) != first.Count+first.Held || len(pays) == 0 {
			t.Fatalf("%d payments, cycle counts %d + %d held", len(pays), first.Count, first.Held)
		}

		// Prepared again, at once, from many goroutines: the same payments.
		for range 8 {
			wg.Go(func() {
				_, err := e.svc.PrepareCycle(as(1), "", november)
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		again, err := e.svc.FindCycleByID(as(1), first.ID)
		ok(t, err)
		pays2 := e.payments(t, dost.PaymentFilter{})
		if again.Status != dost.CyclePrepared || again.Run < 2 || again.Count != first.Count || again.Total != first.Total ||
			len(pays2) != len(pays) {
			t.Fatalf("prepared again: %+v and %d payments, want run 2+ with %d %s and %d payments", again, len(pays2),
				first.Count, first.Total, len(pays))
		}
		for k, p := range pays {
			if q := pays2[k]; q == nil || q.Amount != p.Amount || q.Status != p.Status {
				t.Errorf("payment %s: %+v, then %+v", k, p, q)
			}
		}

		// A programme's own cycle of the month pays nothing the cycle of
		// every programme pays already.
		pc, err := e.svc.PrepareCycle(as(1), "old_age_pension", november)
		ok(t, err)
		if pc.Status != dost.CyclePrepared || pc.Count != 0 || pc.ID == first.ID {
			t.Errorf("old-age pension cycle %+v, want prepared with no payment", pc)
		}
	})
}

// TestFourEyes: the one who prepared a cycle cannot approve it; approval
// freezes it; rejection needs a reason and allows preparing again.
func TestFourEyes(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		c, err := e.svc.PrepareCycle(as(7), "", november)
		ok(t, err)

		_, err = e.svc.ApproveCycle(as(7), c.ID, c.Run)
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.ApproveCycle(ctx, c.ID, c.Run) // dost itself
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.ApproveCycle(as(8, dost.RoleSupervisor), c.ID, c.Run)
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.PrepareCycle(as(8, dost.RoleCaseWorker), "", november)
		wantCode(t, err, dost.EFORBIDDEN)
		_, err = e.svc.FindCycleByID(as(9, dost.RoleCitizen), c.ID)
		wantCode(t, err, dost.EFORBIDDEN)

		_, err = e.svc.RejectCycle(as(8), c.ID, "  ")
		wantCode(t, err, dost.EINVALID)
		r, err := e.svc.RejectCycle(as(8), c.ID, "Check the TSSA amounts.")
		ok(t, err)
		if r.Status != dost.CycleRejected || r.RejectedBy != 8 || r.RejectReason != "Check the TSSA amounts." || r.RejectedAt == nil {
			t.Fatalf("rejected: %+v", r)
		}
		_, err = e.svc.ApproveCycle(as(8), c.ID, c.Run)
		wantCode(t, err, dost.ECONFLICT)

		// Prepared again by 8: now 7 approves, 8 may not.
		p, err := e.svc.PrepareCycle(as(8), "", november)
		ok(t, err)
		if p.Status != dost.CyclePrepared || p.Run != 2 || p.PreparedBy != 8 || p.Count != c.Count || p.Total != c.Total {
			t.Fatalf("prepared again: %+v, want run 2 by 8 with the same sums as %+v", p, c)
		}
		_, err = e.svc.ApproveCycle(as(8), c.ID, p.Run)
		wantCode(t, err, dost.EFORBIDDEN)

		// Control sums: a payment changed behind the cycle's back stops
		// the approval.
		pays, _, err := e.store.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Statuses: []dost.PaymentStatus{dost.PaymentPending}, Limit: 1})
		ok(t, err)
		e.exec(t, `UPDATE payments SET amount = amount + 1 WHERE id = $1`, pays[0].ID)
		_, err = e.svc.ApproveCycle(as(7), c.ID, p.Run)
		wantCode(t, err, dost.ECONFLICT)
		e.exec(t, `UPDATE payments SET amount = amount - 1 WHERE id = $1`, pays[0].ID)

		a, err := e.svc.ApproveCycle(as(7), c.ID, p.Run)
		ok(t, err)
		if a.Status != dost.CycleApproved || a.ApprovedBy != 7 || a.ApprovedAt == nil {
			t.Fatalf("approved: %+v", a)
		}
		_, err = e.svc.PrepareCycle(as(8), "", november)
		wantCode(t, err, dost.ECONFLICT)
		_, err = e.svc.RejectCycle(as(8), c.ID, "late")
		wantCode(t, err, dost.ECONFLICT)
		_, err = e.svc.ApproveCycle(as(9), c.ID, p.Run)
		wantCode(t, err, dost.ECONFLICT)
	})
}

// TestCorrection: a held payment is corrected once the payee has an
// account, and the next cycle pays it, as arrears, with its history.
func TestCorrection(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 200, 100)
		w := e.awards(t)[0]
		e.setIBAN(t, w.PayeeID, "")
		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		held, _, err := e.svc.FindPayments(as(2), dost.PaymentFilter{Statuses: []dost.PaymentStatus{dost.PaymentHeld}})
		ok(t, err)
		if len(held) == 0 || c.Held != len(held) {
			t.Fatalf("%d held payments, cycle says %d", len(held), c.Held)
		}
		p := held[0]
		_, err = e.svc.CorrectPayment(as(2), p.ID, "Account recorded.", false)
		wantCode(t, err, dost.EINVALID)
		_, err = e.svc.CorrectPayment(as(2, dost.RoleAuditor), p.ID, "Account recorded.", false)
		wantCode(t, err, dost.EFORBIDDEN)
		account := iban("AIIB", 424242)
		e.setIBAN(t, p.PayeeID, account)
		fixed, err := e.svc.CorrectPayment(as(2), p.ID, "Account recorded.", false)
		ok(t, err)
		if fixed.Status != dost.PaymentCorrected || fixed.IBAN != account || fixed.Bank != "AIIB" {
			t.Fatalf("corrected: %+v", fixed)
		}
		_, err = e.svc.CorrectPayment(as(2), p.ID, "Again.", false)
		wantCode(t, err, dost.ECONFLICT)

		// A citizen sees their own payments only.
		me := p.PayeeID
		citizen := dost.NewContextWithUser(ctx, &dost.User{ID: 50, Roles: []dost.Role{dost.RoleCitizen}, PersonID: &me})
		mine, _, err := e.svc.FindPayments(citizen, dost.PaymentFilter{})
		ok(t, err)
		for _, q := range mine {
			if q.PayeeID != me {
				t.Fatalf("a citizen sees payment %+v", q)
			}
		}
		if len(mine) == 0 {
			t.Fatal("a citizen sees none of their payments")
		}
		other, _, err := e.svc.FindPayments(ctx, dost.PaymentFilter{Limit: 100})
		ok(t, err)
		for _, q := range other {
			if q.PayeeID != me {
				_, err := e.svc.FindPaymentByID(citizen, q.ID)
				wantCode(t, err, dost.ENOTFOUND)
				break
			}
		}

		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		got, err := e.svc.FindPaymentByID(as(2), p.ID)
		ok(t, err)
		if got.CycleID != d.ID || got.Status != dost.PaymentPending || got.Attempts != 2 || got.Period != november ||
			got.Reference != p.Reference+"-A2" || got.IBAN != account {
			t.Fatalf("in December's cycle: %+v", got)
		}
		if d.ArrearsCount < 1 || d.ArrearsTotal < got.Amount {
			t.Errorf("December: arrears %d %s, want the corrected payment counted", d.ArrearsCount, d.ArrearsTotal)
		}
		events, err := e.svc.FindPaymentEvents(as(2), p.ID)
		ok(t, err)
		var steps []string
		for _, ev := range events {
			steps = append(steps, string(ev.Status))
		}
		if strings.Join(steps, ",") != "held,corrected,pending" || events[1].ActorID != 2 || events[2].CycleID != d.ID {
			t.Errorf("history %v (%+v), want held, corrected by 2, pending in December", steps, events)
		}
		// Prepared again, December keeps it.
		_, err = e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		again, err := e.svc.FindPaymentByID(as(2), p.ID)
		ok(t, err)
		if again.CycleID != d.ID || again.Status != dost.PaymentPending || again.Attempts != 2 {
			t.Errorf("December prepared again: %+v", again)
		}
	})
}
