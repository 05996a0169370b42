package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
)

// PlanCycle implements payroll.Store.
func (s *PayrollStore) PlanCycle(ctx context.Context, cycleID int64, run int, shards []rulesrun.Shard) ([]rulesrun.Shard, error) {
	var out []rulesrun.Shard
	err := s.db.update(ctx, func(tx *Tx) error {
		out = nil
		// The update takes the cycle's row lock: coordinators plan one
		// after the other, and the second finds the first's shards.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET updated_at = $1 WHERE id = $2 AND status = 'preparing' AND run = $3`,
			tx.ts(tx.now), cycleID, run)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			_, err := preparing(ctx, tx, cycleID, run)
			return err
		}
		err = each(ctx, tx, `SELECT kind, lo, hi, persons FROM payroll_shards WHERE cycle_id = $1 AND run = $2 ORDER BY kind, lo`,
			[]any{cycleID, run}, func(rows *sql.Rows) error {
				var sh rulesrun.Shard
				if err := rows.Scan(&sh.Kind, &sh.Lo, &sh.Hi, &sh.Persons); err != nil {
					return err
				}
				out = append(out, sh)
				return nil
			})
		if err != nil || len(out) > 0 {
			return err
		}
		for _, sh := range shards {
			if _, err := tx.ExecContext(ctx, `INSERT INTO payroll_shards (cycle_id, run, kind, lo, hi, persons) VALUES ($1, $2, $3, $4, $5, $6)`,
				cycleID, run, string(sh.Kind), sh.Lo, sh.Hi, sh.Persons); err != nil {
				return err
			}
		}
		out = append(out, shards...)
		if _, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET shards_total = $1 WHERE id = $2`, len(shards), cycleID); err != nil {
			return err
		}
		if len(shards) == 0 {
			return finishCycle(ctx, tx, cycleID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("plan payroll cycle %d: %w", cycleID, err)
	}
	return out, nil
}

// shardAwards returns the condition selecting the awards (alias a) of
// shard sh and, unless programme is "", of programme, with its
// arguments appended to args: see shardAwardIDs.
func shardAwards(sh rulesrun.Shard, programme string, args *args) string {
	return `a.id IN (` + shardAwardIDs(sh, programme, args) + `)`
}

// shardAwardIDs returns a query of the IDs of the awards of shard sh and,
// unless programme is "", of programme, with its arguments appended to
// args: a household's award, or a person's whose person is a member of a
// household of a households shard; a person in no household's in a
// loners shard. Each part reads an index (awards_household,
// awards_person, household_members), never the whole awards table: a
// cycle has a few dozen shards and a million awards. The redundant "<> 0"
// terms let SQLite use those partial indexes.
func shardAwardIDs(sh rulesrun.Shard, programme string, args *args) string {
	lo, hi := args.add(sh.Lo), args.add(sh.Hi)
	prog := ""
	if programme != "" {
		prog = ` AND x.programme = ` + args.add(programme)
	}
	if sh.Kind == rulesrun.ShardHouseholds {
		return `SELECT x.id FROM awards x WHERE x.household_id <> 0 AND x.household_id >= ` + lo + ` AND x.household_id < ` + hi + prog + `
			UNION ALL SELECT x.id FROM household_members m JOIN awards x ON x.person_id = m.person_id
			WHERE x.person_id <> 0 AND x.household_id = 0 AND m.household_id >= ` + lo + ` AND m.household_id < ` + hi + prog
	}
	return `SELECT x.id FROM awards x WHERE x.person_id <> 0 AND x.household_id = 0 AND x.person_id >= ` + lo + ` AND x.person_id < ` + hi + prog + `
		AND NOT EXISTS (SELECT 1 FROM household_members m WHERE m.person_id = x.person_id)`
}

// ShardAwards implements payroll.Store.
func (s *PayrollStore) ShardAwards(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, from dost.Month) ([]*payroll.ShardAward, error) {
	var out []*payroll.ShardAward
	err := s.db.view(ctx, func(tx *Tx) error {
		out = nil
		byID := map[int64]*payroll.ShardAward{}
		a := args{from.First(), dost.AwardActive}
		cond := shardAwards(sh, c.Programme, &a)
		// Only the columns a preparation reads (see payroll.ShardAward).
		q := `SELECT a.id, a.programme, a.person_id, a.household_id, a.payee_id, a.kind, a.amount, a.period,
			a.starts_on, a.ends_on, a.status, p.iban, p.death_date
			FROM awards a JOIN persons p ON p.id = a.payee_id
			WHERE (a.status = $2 OR a.status = 'ended' AND a.ends_on >= $1) AND ` + cond + ` ORDER BY a.id`
		err := each(ctx, tx, q, a, func(rows *sql.Rows) error {
			w := &dost.Award{}
			sa := &payroll.ShardAward{Award: w}
			if err := rows.Scan(&w.ID, &w.Programme, &w.PersonID, &w.HouseholdID, &w.PayeeID, &w.Kind,
				&w.Amount, &w.Period, &w.Start, &w.End, &w.Status, &sa.PayeeIBAN, &sa.PayeeDeath); err != nil {
				return err
			}
			out = append(out, sa)
			byID[w.ID] = sa
			return nil
		})
		if err != nil || len(out) == 0 {
			return err
		}
		b := args{from, c.ID}
		ids := shardAwardIDs(sh, c.Programme, &b)
		return each(ctx, tx, `SELECT y.award_id, y.period FROM payments y
			WHERE y.period >= $1 AND NOT (y.cycle_id = $2 AND y.attempts = 1 AND y.status IN ('pending', 'held')) AND y.award_id IN (`+ids+`)`,
			b, func(rows *sql.Rows) error {
				var id int64
				var m dost.Month
				if err := rows.Scan(&id, &m); err != nil {
					return err
				}
				if sa := byID[id]; sa != nil {
					sa.Paid = append(sa.Paid, m)
				}
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("read awards of shard %s: %w", sh, err)
	}
	return out, nil
}

// paymentInsertChunk is how many payments one INSERT writes.
const paymentInsertChunk = 500

// WriteShard implements payroll.Store. The shard's transaction holds
// SQLite's one writer, so it does no more than it must: the claim, the
// corrected payments to re-attach (read through payments_open), the
// multi-row inserts of the payments and the cycle's count. There is no
// earlier attempt of the shard to delete: an attempt that committed
// finished the shard (a later one stops at the claim), one that did not
// wrote nothing, and StartCycle deleted an earlier run's payments. A
// payment an overlapping shard wrote first (an award seen by two shards
// while a household changed) stays: the unique (award, period) skips
// the second.
func (s *PayrollStore) WriteShard(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, payments []*dost.Payment, review int) (bool, error) {
	var finished bool
	err := s.withBulkCache(ctx, func(tx *Tx) error {
		finished = false
		for _, p := range payments {
			p.ID = 0
		}
		now := tx.ts(tx.now)
		// Claim the shard: on PostgreSQL a second writer of the same shard
		// waits for this row lock, then finds it done.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_shards SET finished_at = $1, review = $2
			WHERE cycle_id = $3 AND run = $4 AND kind = $5 AND lo = $6 AND finished_at IS NULL`,
			now, review, c.ID, c.Run, string(sh.Kind), sh.Lo)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM payroll_shards WHERE cycle_id = $1 AND run = $2 AND kind = $3 AND lo = $4`,
				c.ID, c.Run, string(sh.Kind), sh.Lo).Scan(&one)
			if isNoRows(err) {
				// An earlier run's (its shards are forgotten), or not planned.
				if _, err := preparing(ctx, tx, c.ID, c.Run); err != nil {
					return err
				}
				return dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d has no shard %s.", c.ID, sh)
			}
			return err // done already
		}
		cur, err := preparing(ctx, tx, c.ID, c.Run)
		if err != nil {
			return err
		}
		skipped, err := reattach(ctx, tx, cur, sh)
		if err != nil {
			return err
		}
		if skipped > 0 {
			// Corrected payments left for the award's or payee's status:
			// counted for review with the shard's.
			review += skipped
			if _, err := tx.ExecContext(ctx, `UPDATE payroll_shards SET review = $1
				WHERE cycle_id = $2 AND run = $3 AND kind = $4 AND lo = $5`, review, c.ID, c.Run, string(sh.Kind), sh.Lo); err != nil {
				return err
			}
		}
		w := &paymentWriter{s: s, tx: tx}
		defer w.close()
		for rest := payments; len(rest) > 0; {
			n := min(paymentInsertChunk, len(rest))
			if err := w.insert(ctx, rest[:n]); err != nil {
				return err
			}
			rest = rest[n:]
		}

		// On PostgreSQL, shards finishing at once wait here for each
		// other's row lock: exactly one of them sees the count complete.
		var done, total int
		if err := tx.QueryRowContext(ctx, `UPDATE payroll_cycles SET shards_done = shards_done + 1, review = review + $1, updated_at = $2
			WHERE id = $3 RETURNING shards_done, shards_total`, review, now, c.ID).Scan(&done, &total); err != nil {
			return err
		}
		if done < total {
			return nil
		}
		finished = true
		return finishCycle(ctx, tx, c.ID)
	})
	if err != nil {
		return false, fmt.Errorf("write shard %s of payroll cycle %d: %w", sh, c.ID, err)
	}
	return finished, nil
}

// reattach attaches the corrected payments of shard sh's awards, of
// periods up to cycle c's, to c; one that another cycle attached first
// stays with it. The corrected payments are few: they are read through
// payments_open (its condition repeated so that SQLite uses it), and the
// shard's award IDs are listed once, only when there is one. A payment
// whose award no longer pays its month (suspended, or ended before it)
// or whose payee died before it stays corrected and is counted in the
// returned number, for the cycle's review: it is re-attached by a later
// cycle once the award is resumed.
func reattach(ctx context.Context, tx *Tx, c *dost.Cycle, sh rulesrun.Shard) (int, error) {
	type corrected struct {
		id, award int64
		period    dost.Month
		attempts  int
	}
	var list []corrected
	skipped := 0
	a := args{c.Period}
	ids := shardAwardIDs(sh, c.Programme, &a)
	err := each(ctx, tx, `SELECT y.id, y.award_id, y.period, y.attempts, w.status, w.ends_on, p.status, p.death_date FROM payments y
		JOIN awards w ON w.id = y.award_id JOIN persons p ON p.id = y.payee_id
		WHERE y.status IN ('held', 'failed', 'returned', 'corrected') AND y.status = 'corrected' AND y.period <= $1
		AND y.award_id + 0 IN (`+ids+`) ORDER BY y.id`, a, func(rows *sql.Rows) error {
		var r corrected
		var award dost.AwardStatus
		var person dost.PersonStatus
		var end, died dost.Date
		if err := rows.Scan(&r.id, &r.award, &r.period, &r.attempts, &award, &end, &person, &died); err != nil {
			return err
		}
		if !payable(r.period, award, end, person, died) {
			skipped++
			return nil
		}
		list = append(list, r)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, r := range list {
		// Still corrected and as read: another cycle preparing the same
		// award at this moment (the programme's and the all-programmes
		// cycle) may have taken it first, and then it stays there.
		res, err := tx.ExecContext(ctx, `UPDATE payments SET cycle_id = $1, status = 'pending', attempts = $2, reference = $3,
			reason_code = '', reason = '', updated_at = $4 WHERE id = $5 AND status = 'corrected' AND attempts = $6`,
			c.ID, r.attempts+1, payroll.Reference(r.award, r.period, r.attempts+1), tx.ts(tx.now), r.id, r.attempts)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, err
		} else if n == 0 {
			continue
		}
		if err := insertPaymentEvent(ctx, tx, &dost.PaymentEvent{PaymentID: r.id, CycleID: c.ID, Status: dost.PaymentPending,
			ReasonCode: "corrected.reattached", Reason: "Corrected; paid by this cycle."}); err != nil {
			return 0, err
		}
	}
	return skipped, nil
}

// payable reports whether a payment of period may go to the bank given
// its award's status and end and its payee's status and death: not for
// a suspended award, an award ended before the period (or without an
// end), nor a payee who died before it (or deceased without a date).
func payable(period dost.Month, award dost.AwardStatus, end dost.Date, person dost.PersonStatus, died dost.Date) bool {
	first := period.First()
	switch award {
	case dost.AwardActive:
	case dost.AwardEnded:
		if end.IsZero() || end.Before(first) {
			return false
		}
	default:
		return false
	}
	if person == dost.PersonDeceased && (died.IsZero() || died.Before(first)) {
		return false
	}
	return true
}

// paymentInsertColumns are the columns paymentWriter writes.
var paymentInsertColumns = []string{"cycle_id", "award_id", "programme", "period", "payee_id", "amount", "iban", "bank",
	"reference", "status", "reason_code", "reason", "attempts", "created_at", "updated_at"}

// paymentWriter inserts a shard's payments in its transaction,
// paymentInsertChunk per statement. The statement of a full chunk is
// prepared once per transaction (on its connection) and reused: parsing
// a statement of thousands of placeholders cost SQLite a fifth of the
// insert.
//
// A payment created pending has no event row: its creation is the
// payment row itself (FindPaymentEvents shows it first, from the row's
// first cycle and created_at), which halves the rows a cycle writes. A
// payment created held gets its event (the reason it was held), with
// its ID read back by reference: held ones are few.
type paymentWriter struct {
	s  *PayrollStore
	tx *Tx
	// payments is the prepared statement of a full chunk, nil until
	// first needed.
	payments *sql.Stmt
	args     []any
	// ts caches the stored form of the last timestamp written: a
	// shard's payments share one.
	tsOf  time.Time
	tsVal any
}

// close closes the prepared statement.
func (w *paymentWriter) close() {
	if w.payments != nil {
		w.payments.Close()
	}
}

// ts returns t as stored.
func (w *paymentWriter) ts(t time.Time) any {
	if w.tsVal == nil || !t.Equal(w.tsOf) {
		w.tsOf, w.tsVal = t, w.tx.ts(t)
	}
	return w.tsVal
}

// paymentsSQL returns the insert of rows payments.
func (w *paymentWriter) paymentsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO payments (` + strings.Join(paymentInsertColumns, ", ") + `) VALUES `)
	n, cols := 0, len(paymentInsertColumns)
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(w.s.db.placeholder(n))
		}
		b.WriteString(")")
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	return b.String()
}

// insert inserts payments (at most paymentInsertChunk) with one
// statement, skipping those whose award and period (or reference) exist,
// and records the first event of those created held. Only held payments
// get their ID set.
func (w *paymentWriter) insert(ctx context.Context, payments []*dost.Payment) error {
	tx := w.tx
	a := w.args[:0]
	var held []*dost.Payment
	for _, p := range payments {
		a = append(a, p.CycleID, p.AwardID, p.Programme, p.Period, p.PayeeID, int64(p.Amount), p.IBAN, p.Bank,
			p.Reference, string(p.Status), p.ReasonCode, p.Reason, p.Attempts, w.ts(p.CreatedAt), w.ts(p.UpdatedAt))
		if p.Status != dost.PaymentPending {
			held = append(held, p)
		}
	}
	w.args = a
	var err error
	if len(payments) == paymentInsertChunk {
		if w.payments == nil {
			if w.payments, err = tx.Tx.PrepareContext(ctx, w.paymentsSQL(paymentInsertChunk)); err != nil {
				return err
			}
		}
		_, err = w.payments.ExecContext(ctx, a...)
	} else {
		_, err = tx.Tx.ExecContext(ctx, w.paymentsSQL(len(payments)), a...)
	}
	if err != nil {
		return err
	}
	for _, p := range held {
		// This one, unless the insert skipped it: then another payment
		// has the reference or the award and period, and no event.
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM payments WHERE reference = $1 AND cycle_id = $2 AND award_id = $3 AND period = $4
			AND status = $5 AND created_at = $6`, p.Reference, p.CycleID, p.AwardID, p.Period, string(p.Status), w.ts(p.CreatedAt)).Scan(&id)
		if isNoRows(err) {
			continue
		} else if err != nil {
			return err
		}
		p.ID = id
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, reason_code, reason, at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, p.CycleID, string(p.Status), p.ReasonCode, p.Reason, w.ts(p.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// createdStep puts the creation of a payment first in its stored events
// (by ID) when it is not among them: paymentWriter stores no event for a
// payment created pending (see there). It is the payment's first step:
// pending, in the cycle of its first stored event (the payment's own
// while it has none), at its created_at. A payment created held, or one
// created pending before this was so, has its creation stored: a first
// event held, or pending with no reason code (a corrected payment's
// re-attachment has one).
func createdStep(ctx context.Context, tx *Tx, id int64, events []*dost.PaymentEvent) ([]*dost.PaymentEvent, error) {
	if len(events) > 0 {
		if f := events[0]; f.Status == dost.PaymentHeld || f.Status == dost.PaymentPending && f.ReasonCode == "" {
			return events, nil
		}
	}
	e := &dost.PaymentEvent{PaymentID: id, Status: dost.PaymentPending}
	err := tx.QueryRowContext(ctx, `SELECT cycle_id, created_at FROM payments WHERE id = $1`, id).Scan(&e.CycleID, scanTime(&e.At))
	if isNoRows(err) {
		return events, nil
	} else if err != nil {
		return nil, err
	}
	if len(events) > 0 {
		e.CycleID = events[0].CycleID
	}
	return append([]*dost.PaymentEvent{e}, events...), nil
}
