package payroll_test

import (
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// TestPrepare_ManualAwards pays the awards a case worker entered by hand
// for services without rules (programme "manual:<service>"): their amounts
// as entered, pro rata and with arrears like any monthly award, a one-off
// once; in the cycles of every programme only, never in one programme's.
func TestPrepare_ManualAwards(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db, 300, 100)
		var payee int64
		for _, w := range e.awards(t) {
			if w.PersonID != 0 && w.PersonID == w.PayeeID && e.person(t, w.PayeeID).IBAN != "" {
				payee = w.PayeeID
				break
			}
		}
		if payee == 0 {
			t.Fatal("no person with an account to pay")
		}
		insert := func(programme, kind string, amount int64, period string, start dost.Date) int64 {
			t.Helper()
			var id int64
			ok(t, e.db.WriterDB().QueryRowContext(ctx, `INSERT INTO awards (programme, service_code, person_id, household_id, payee_id, kind,
				amount, period, starts_on, status, decision_id, application_id, created_at, updated_at)
				SELECT $1, $2, $3, 0, $3, $4, $5, $6, $7, 'active', decision_id, application_id, created_at, updated_at
				FROM awards WHERE payee_id = $3 LIMIT 1 RETURNING id`,
				programme, programme[len(dost.ManualProgrammePrefix):], payee, kind, amount, period, start).Scan(&id))
			return id
		}
		monthly := insert("manual:05-02-02-00", "monthly", 12000, "2026-10", dost.MustDate("2026-10-16"))
		oneOff := insert("manual:05-02-09-00", "one_off", 7500, "2026-11", dost.MustDate("2026-11-03"))

		// One programme's cycle leaves them out.
		pc, err := e.svc.PrepareCycle(as(1), "old_age_pension", november)
		ok(t, err)
		if got := e.payments(t, dost.PaymentFilter{CycleID: pc.ID}); got[key(monthly, november)] != nil || got[key(oneOff, november)] != nil {
			t.Fatal("a manual award paid in the old-age pension's cycle")
		}

		c, err := e.svc.PrepareCycle(as(1), "", november)
		ok(t, err)
		pays := e.payments(t, dost.PaymentFilter{CycleID: c.ID})
		oct, nov, once := pays[key(monthly, november.Add(-1))], pays[key(monthly, november)], pays[key(oneOff, november)]
		if oct == nil || oct.Amount != prorate(12000, 16, 31) || oct.Programme != "manual:05-02-02-00" {
			t.Errorf("October from the 16th: %+v, want 16/31 of 120.00", oct)
		}
		if nov == nil || nov.Amount != 12000 || nov.PayeeID != payee {
			t.Errorf("November: %+v, want 120.00 to the payee", nov)
		}
		if once == nil || once.Amount != 7500 {
			t.Errorf("one-off: %+v, want 75.00", once)
		}

		d, err := e.svc.PrepareCycle(as(1), "", december)
		ok(t, err)
		dec := e.payments(t, dost.PaymentFilter{CycleID: d.ID})
		if p := dec[key(monthly, december)]; p == nil || p.Amount != 12000 {
			t.Errorf("December: %+v, want 120.00", p)
		}
		for _, p := range dec {
			if p.AwardID == oneOff || p.AwardID == monthly && p.Period != december {
				t.Errorf("December pays again: %+v", p)
			}
		}
	})
}
