package sqlstore_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// TestPayrollStore_Banks: every bank code of the synthetic population's
// IBANs is one dost pays through.
func TestPayrollStore_Banks(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		banks, err := sqlstore.NewPayrollStore(db).FindBanks(ctx)
		ok(t, err)
		var codes []string
		for _, b := range banks {
			if len(b.Code) != 4 || len(b.BIC) != 8 || b.BIC[:4] != b.Code || b.BIC[4:6] != "AZ" || b.Name == "" {
				t.Errorf("bank %+v", b)
			}
			codes = append(codes, b.Code)
		}
		for _, c := range []string{"AIIB", "IBAZ", "PAHA", "UBAZ", "BRES", "ACAB", "AZER", "CAPN", "RZBA", "YLBA"} {
			if !slices.Contains(codes, c) {
				t.Errorf("bank %s missing", c)
			}
		}
	})
}

// TestPayrollStore runs a cycle through the store: one cycle however many
// start it at once, planned once, a shard written once however many write
// it at once, a payment once per award and month across cycles, a stale
// run refused.
func TestPayrollStore(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		november := dost.MonthOf(today)
		app := f.submit(t, application(f.aysel, pensionService, "k1", today), nil, nil)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(f.aysel, "old_age_pension", november))
		s := sqlstore.NewPayrollStore(db)

		// Many start the cycle at once: one cycle, run 1.
		var wg sync.WaitGroup
		ids := make([]int64, 12)
		for i := range ids {
			wg.Go(func() {
				c, err := s.StartCycle(ctx, "", november, 5)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = c.ID
				if c.Run != 1 || c.Status != dost.CyclePreparing {
					t.Errorf("started: %+v", c)
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("cycles %v, want one", ids)
			}
		}
		c, err := s.FindCycleByID(ctx, ids[0])
		ok(t, err)

		shards := []rulesrun.Shard{{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 1000, Persons: 2}}
		got, err := s.PlanCycle(ctx, c.ID, 1, shards)
		ok(t, err)
		again, err := s.PlanCycle(ctx, c.ID, 1, []rulesrun.Shard{{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 5, Persons: 1}})
		ok(t, err)
		if !slices.Equal(got, shards) || !slices.Equal(again, shards) {
			t.Fatalf("planned %v, then %v; want %v both times", got, again, shards)
		}
		_, err = s.PlanCycle(ctx, c.ID, 2, shards)
		mustCode(t, err, dost.ECONFLICT)

		awards, err := s.ShardAwards(ctx, c, shards[0], november.Add(-36))
		ok(t, err)
		if len(awards) != 1 || awards[0].Award.PersonID != f.aysel.ID || awards[0].PayeeIBAN != f.aysel.IBAN || len(awards[0].Paid) != 0 {
			t.Fatalf("shard awards %+v, want Aysel's pension", awards)
		}
		w := awards[0].Award
		payment := func(cycle int64, m dost.Month) *dost.Payment {
			return &dost.Payment{CycleID: cycle, AwardID: w.ID, Programme: w.Programme, Period: m, PayeeID: w.PayeeID,
				Amount: dost.AZN(320), IBAN: f.aysel.IBAN, Bank: dost.BankCode(f.aysel.IBAN), Reference: payroll.Reference(w.ID, m, 1),
				Status: dost.PaymentPending, Attempts: 1, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
		}

		// Many write the shard at once: written once, the cycle prepared by
		// exactly one of them.
		var finished sync.Map
		for i := range 8 {
			wg.Go(func() {
				done, err := s.WriteShard(ctx, c, shards[0], []*dost.Payment{payment(c.ID, november), payment(c.ID, november.Add(-1))}, 1)
				if err != nil {
					t.Error(err)
				}
				finished.Store(i, done)
			})
		}
		wg.Wait()
		n := 0
		finished.Range(func(_, v any) bool {
			if v.(bool) {
				n++
			}
			return true
		})
		c, err = s.FindCycleByID(ctx, c.ID)
		ok(t, err)
		if n != 1 || c.Status != dost.CyclePrepared || c.Count != 2 || c.Total != dost.AZN(640) || c.ArrearsCount != 1 ||
			c.ArrearsTotal != dost.AZN(320) || c.Review != 1 || c.ShardsDone != 1 {
			t.Fatalf("%d finished; cycle %+v; want one, prepared with 2 payments, one of arrears", n, c)
		}
		if rows := countRows(t, db, "payments"); rows != 2 {
			t.Fatalf("%d payments, want 2", rows)
		}
		// A payment created pending has no event row: its creation is the
		// payment itself (FindPaymentEvents shows it).
		if rows := countRows(t, db, "payment_events"); rows != 0 {
			t.Fatalf("%d payment events, want none", rows)
		}

		// The pension's own cycle of the month: its payment exists, so the
		// shard writes nothing; and the paid months show in ShardAwards.
		pc, err := s.StartCycle(ctx, "old_age_pension", november, 5)
		ok(t, err)
		_, err = s.PlanCycle(ctx, pc.ID, 1, shards)
		ok(t, err)
		awards, err = s.ShardAwards(ctx, pc, shards[0], november.Add(-36))
		ok(t, err)
		if len(awards) != 1 || len(awards[0].Paid) != 2 {
			t.Fatalf("shard awards %+v, want the pension with 2 months paid", awards[0])
		}
		_, err = s.WriteShard(ctx, pc, shards[0], []*dost.Payment{payment(pc.ID, november)}, 0)
		ok(t, err)
		if pc, err = s.FindCycleByID(ctx, pc.ID); err != nil || pc.Count != 0 || countRows(t, db, "payments") != 2 {
			t.Fatalf("second cycle %+v (%v), want no payment", pc, err)
		}

		// Prepared again: run 2; run 1's shard is refused.
		r2, err := s.StartCycle(ctx, "", november, 6)
		ok(t, err)
		if r2.Run != 2 || r2.Status != dost.CyclePreparing || r2.Count != 0 || r2.PreparedBy != 6 {
			t.Fatalf("restarted: %+v", r2)
		}
		if rows := countRows(t, db, "payments"); rows != 0 {
			t.Fatalf("restarted: %d payments of run 1 left, want none", rows)
		}
		_, err = s.WriteShard(ctx, c, shards[0], nil, 0)
		mustCode(t, err, dost.ECONFLICT)
		ok(t, s.FailCycle(ctx, r2.ID, 2, "shard died"))
		failed, err := s.FindCycleByID(ctx, r2.ID)
		ok(t, err)
		if failed.Error != "shard died" || failed.Status != dost.CyclePreparing {
			t.Fatalf("failed: %+v", failed)
		}
		// A failed run is started again.
		r3, err := s.StartCycle(ctx, "", november, 6)
		ok(t, err)
		if r3.Run != 3 || r3.Error != "" {
			t.Fatalf("restarted after failure: %+v", r3)
		}
		list, total, err := s.FindCycles(ctx, dost.CycleFilter{Statuses: []dost.CycleStatus{dost.CyclePreparing}})
		ok(t, err)
		if total != 1 || len(list) != 1 || list[0].ID != c.ID {
			t.Fatalf("preparing cycles %d %+v", total, list)
		}
	})
}

// TestPayrollStore_WriteShardChunks: a shard of more payments than one
// statement inserts (full chunks through a prepared statement, then the
// rest) writes each award's month once, with one event each, skips a
// duplicate inside a full chunk, and is written alike when prepared again.
func TestPayrollStore_WriteShardChunks(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		november := dost.MonthOf(today)
		app := f.submit(t, application(f.aysel, pensionService, "k1", today), nil, nil)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(f.aysel, "old_age_pension", november))
		s := sqlstore.NewPayrollStore(db)
		shards := []rulesrun.Shard{{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 1000, Persons: 2}}

		const months = 1234 // two full chunks of 500 and a rest
		for run := 1; run <= 2; run++ {
			c, err := s.StartCycle(ctx, "", november, 5)
			ok(t, err)
			if c.Run != run {
				t.Fatalf("run %d, want %d", c.Run, run)
			}
			_, err = s.PlanCycle(ctx, c.ID, run, shards)
			ok(t, err)
			awards, err := s.ShardAwards(ctx, c, shards[0], november.Add(-months))
			ok(t, err)
			if len(awards) != 1 {
				t.Fatalf("shard awards %+v, want Aysel's pension", awards)
			}
			w := awards[0].Award
			var payments []*dost.Payment
			var total dost.Money
			for i := range months {
				m := november.Add(-i)
				amount := dost.Money(10000 + i)
				total += amount
				payments = append(payments, &dost.Payment{CycleID: c.ID, AwardID: w.ID, Programme: w.Programme, Period: m,
					PayeeID: w.PayeeID, Amount: amount, IBAN: f.aysel.IBAN, Bank: dost.BankCode(f.aysel.IBAN),
					Reference: payroll.Reference(w.ID, m, 1), Status: dost.PaymentPending, Attempts: 1,
					CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()})
				if i == 700 { // the month of payment 600 again, in the second full chunk
					dup := *payments[600]
					payments = append(payments, &dup)
				}
			}
			done, err := s.WriteShard(ctx, c, shards[0], payments, 0)
			ok(t, err)
			c, err = s.FindCycleByID(ctx, c.ID)
			ok(t, err)
			if !done || c.Status != dost.CyclePrepared || c.Count != months || c.Total != total {
				t.Fatalf("run %d: finished %v, cycle %+v; want prepared with %d payments, %s", run, done, c, months, total)
			}
			if n := countRows(t, db, "payments"); n != months {
				t.Fatalf("run %d: %d payments, want %d", run, n, months)
			}
			if n := countRows(t, db, "payment_events"); n != 0 {
				t.Fatalf("run %d: %d payment events, want none (a pending payment's creation is its row)", run, n)
			}
			// The duplicate of payment 600 was skipped (counted above);
			// every other payment is stored under its reference.
			stored, _, err := s.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Limit: 2 * months})
			ok(t, err)
			byRef := map[string]int64{}
			for _, p := range stored {
				byRef[p.Reference] = p.ID
			}
			payments = slices.Delete(payments, 701, 702)
			for _, p := range payments {
				if p.ID = byRef[p.Reference]; p.ID == 0 {
					t.Fatalf("run %d: payment %s not stored", run, p.Reference)
				}
			}
			for _, i := range []int{0, 499, 500, 600, 999, 1000, months - 1} {
				p := payments[i]
				got, err := s.FindPaymentByID(ctx, p.ID)
				ok(t, err)
				if got.Reference != p.Reference || got.Amount != p.Amount || got.Period != p.Period || got.Status != dost.PaymentPending {
					t.Fatalf("run %d: payment %d is %+v, want %+v", run, i, got, p)
				}
				events, err := s.FindPaymentEvents(ctx, p.ID)
				ok(t, err)
				if len(events) != 1 || events[0].Status != dost.PaymentPending || events[0].CycleID != c.ID {
					t.Fatalf("run %d: events of payment %d: %+v", run, i, events)
				}
			}
		}
	})
}
