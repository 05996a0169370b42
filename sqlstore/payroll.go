package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
)

// PayrollStore is the storage of payroll cycles, payments and their
// history (tables payroll_cycles, payroll_shards, payments,
// payment_events, banks, status_imports): payroll.Store. It is safe for
// concurrent use, also by the nodes sharing one database.
type PayrollStore struct {
	db *DB
}

var _ payroll.Store = (*PayrollStore)(nil)

// NewPayrollStore returns a PayrollStore over db.
func NewPayrollStore(db *DB) *PayrollStore { return &PayrollStore{db: db} }

// cycleColumns are the columns scanCycle reads.
const cycleColumns = `id, programme, period, status, count, total, arrears_count, arrears_total, held, review,
	shards_total, shards_done, run, error, prepared_by, prepared_at, approved_by, approved_at, rejected_by, rejected_at,
	reject_reason, exported_at, updated_at FROM payroll_cycles`

func scanCycle(row interface{ Scan(...any) error }) (*dost.Cycle, error) {
	c := &dost.Cycle{}
	err := row.Scan(&c.ID, &c.Programme, &c.Period, &c.Status, &c.Count, &c.Total, &c.ArrearsCount, &c.ArrearsTotal,
		&c.Held, &c.Review, &c.ShardsTotal, &c.ShardsDone, &c.Run, &c.Error, &c.PreparedBy, scanTime(&c.PreparedAt),
		&c.ApprovedBy, scanNullTime(&c.ApprovedAt), &c.RejectedBy, scanNullTime(&c.RejectedAt), &c.RejectReason,
		scanNullTime(&c.ExportedAt), scanTime(&c.UpdatedAt))
	return c, err
}

// findCycle reads a cycle in tx. ENOTFOUND if there is none.
func findCycle(ctx context.Context, tx *Tx, id int64) (*dost.Cycle, error) {
	c, err := scanCycle(tx.QueryRowContext(ctx, `SELECT `+cycleColumns+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d not found.", id)
	}
	return c, err
}

// StartCycle implements payroll.Store.
func (s *PayrollStore) StartCycle(ctx context.Context, programme string, period dost.Month, actorID int64) (*dost.Cycle, error) {
	if !storable(programme) {
		return nil, dost.FieldErr("programme", "programme.unknown", "There is no such programme.")
	}
	var c *dost.Cycle
	err := s.db.update(ctx, func(tx *Tx) error {
		now := tx.ts(tx.now)
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO payroll_cycles (programme, period, status, prepared_by, prepared_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (programme, period) DO NOTHING RETURNING id`,
			programme, period, dost.CyclePreparing, actorID, now).Scan(&id)
		if err == nil {
			c, err = findCycle(ctx, tx, id)
			return err
		} else if !isNoRows(err) {
			return err
		}
		// It exists: restart it if its status allows. The status condition
		// serialises concurrent calls: on PostgreSQL the others wait for
		// the first's row lock, then find it preparing.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, run = run + 1, count = 0, total = 0,
			arrears_count = 0, arrears_total = 0, held = 0, review = 0, shards_total = 0, shards_done = 0, error = '',
			prepared_by = $2, prepared_at = $3, updated_at = $3
			WHERE programme = $4 AND period = $5 AND (status IN ('prepared', 'rejected') OR status = 'preparing' AND error <> '')`,
			dost.CyclePreparing, actorID, now, programme, period)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM payroll_cycles WHERE programme = $1 AND period = $2`,
			programme, period).Scan(&id); err != nil {
			return err
		}
		if c, err = findCycle(ctx, tx, id); err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			// A new run starts clean: the shards of earlier runs and the
			// payments they made (first attempts not yet sent; corrected
			// payments re-attached stay). A shard rewrites only its own
			// awards' payments, and an award may be in no shard of this
			// run (its household dissolved meanwhile): its payment must
			// not survive into the control sums unseen.
			if _, err := tx.ExecContext(ctx, `DELETE FROM payroll_shards WHERE cycle_id = $1 AND run <> $2`, id, c.Run); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM payments WHERE cycle_id = $1 AND attempts = 1 AND status IN ('pending', 'held')`, id)
			return err
		}
		if c.Status != dost.CyclePreparing {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: it cannot be prepared again.", id, c.Status)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start payroll cycle: %w", err)
	}
	return c, nil
}

// preparing returns ECONFLICT unless cycle id is preparing run; it reads
// the cycle.
func preparing(ctx context.Context, tx *Tx, id int64, run int) (*dost.Cycle, error) {
	c, err := findCycle(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != dost.CyclePreparing || c.Run != run {
		return nil, dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is not preparing run %d.", id, run)
	}
	return c, nil
}

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
		q := `SELECT a.id, a.programme, a.service_code, a.person_id, a.household_id, a.payee_id, a.kind, a.amount, a.period,
			a.starts_on, a.ends_on, a.status, a.status_reason, a.decision_id, a.application_id, a.created_at, a.updated_at,
			p.iban, p.death_date
			FROM awards a JOIN persons p ON p.id = a.payee_id
			WHERE (a.status = $2 OR a.status = 'ended' AND a.ends_on >= $1) AND ` + cond + ` ORDER BY a.id`
		err := each(ctx, tx, q, a, func(rows *sql.Rows) error {
			w := &dost.Award{}
			sa := &payroll.ShardAward{Award: w}
			if err := rows.Scan(&w.ID, &w.Programme, &w.ServiceCode, &w.PersonID, &w.HouseholdID, &w.PayeeID, &w.Kind,
				&w.Amount, &w.Period, &w.Start, &w.End, &w.Status, &w.StatusReason, &w.DecisionID, &w.ApplicationID,
				scanTime(&w.CreatedAt), scanTime(&w.UpdatedAt), &sa.PayeeIBAN, &sa.PayeeDeath); err != nil {
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

// WriteShard implements payroll.Store.
func (s *PayrollStore) WriteShard(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, payments []*dost.Payment, review int) (bool, error) {
	var finished bool
	err := s.db.update(ctx, func(tx *Tx) error {
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

		// What an earlier attempt of the shard wrote.
		// "+ 0" and "|| ''" keep the planner on the awards' payments
		// (payments_award_period) rather than all of the cycle's.
		a := args{c.ID}
		ids := shardAwardIDs(sh, c.Programme, &a)
		if _, err := tx.ExecContext(ctx, `DELETE FROM payments WHERE cycle_id + 0 = $1 AND attempts = 1 AND status || '' IN ('pending', 'held')
			AND award_id IN (`+ids+`)`, a...); err != nil {
			return err
		}
		if err := reattach(ctx, tx, cur, sh); err != nil {
			return err
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
// stays with it.
func reattach(ctx context.Context, tx *Tx, c *dost.Cycle, sh rulesrun.Shard) error {
	type corrected struct {
		id, award int64
		period    dost.Month
		attempts  int
	}
	var list []corrected
	a := args{c.Period}
	ids := shardAwardIDs(sh, c.Programme, &a)
	err := each(ctx, tx, `SELECT y.id, y.award_id, y.period, y.attempts FROM payments y
		WHERE y.status = 'corrected' AND y.period <= $1 AND y.award_id IN (`+ids+`) ORDER BY y.id`, a, func(rows *sql.Rows) error {
		var r corrected
		if err := rows.Scan(&r.id, &r.award, &r.period, &r.attempts); err != nil {
			return err
		}
		list = append(list, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range list {
		// Still corrected and as read: another cycle preparing the same
		// award at this moment (the programme's and the all-programmes
		// cycle) may have taken it first, and then it stays there.
		res, err := tx.ExecContext(ctx, `UPDATE payments SET cycle_id = $1, status = 'pending', attempts = $2, reference = $3,
			reason_code = '', reason = '', updated_at = $4 WHERE id = $5 AND status = 'corrected' AND attempts = $6`,
			c.ID, r.attempts+1, payroll.Reference(r.award, r.period, r.attempts+1), tx.ts(tx.now), r.id, r.attempts)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			continue
		}
		if err := insertPaymentEvent(ctx, tx, &dost.PaymentEvent{PaymentID: r.id, CycleID: c.ID, Status: dost.PaymentPending,
			ReasonCode: "corrected.reattached", Reason: "Corrected; paid by this cycle."}); err != nil {
			return err
		}
	}
	return nil
}

// paymentInsertColumns are the columns paymentWriter writes.
var paymentInsertColumns = []string{"cycle_id", "award_id", "programme", "period", "payee_id", "amount", "iban", "bank",
	"reference", "status", "reason_code", "reason", "attempts", "created_at", "updated_at"}

// paymentEventColumns are the columns of the first event of a payment
// paymentWriter writes.
const paymentEventColumns = 6

// paymentWriter inserts a shard's payments and their first events in its
// transaction, paymentInsertChunk per statement. The statements of a full
// chunk are prepared once per transaction (on its connection) and reused:
// parsing a statement of thousands of placeholders cost SQLite a fifth of
// the insert.
type paymentWriter struct {
	s  *PayrollStore
	tx *Tx
	// payments and events are the prepared statements of a full chunk,
	// nil until first needed.
	payments, events *sql.Stmt
	args             []any
}

// close closes the prepared statements.
func (w *paymentWriter) close() {
	for _, st := range []*sql.Stmt{w.payments, w.events} {
		if st != nil {
			st.Close()
		}
	}
}

// valuesSQL returns "(?, ?), (?, ?)…": rows rows of cols placeholders.
func (w *paymentWriter) valuesSQL(b *strings.Builder, rows, cols int) {
	n := 0
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
}

// paymentsSQL returns the insert of rows payments.
func (w *paymentWriter) paymentsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO payments (` + strings.Join(paymentInsertColumns, ", ") + `) VALUES `)
	w.valuesSQL(&b, rows, len(paymentInsertColumns))
	b.WriteString(` ON CONFLICT DO NOTHING RETURNING id, reference`)
	return b.String()
}

// eventsSQL returns the insert of rows first events.
func (w *paymentWriter) eventsSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO payment_events (payment_id, cycle_id, status, reason_code, reason, at) VALUES `)
	w.valuesSQL(&b, rows, paymentEventColumns)
	return b.String()
}

// stmt returns the prepared statement *st of a full chunk (preparing it
// with query on first use) when rows is a full chunk, else nil. It
// belongs to the transaction: used as it is (Tx.StmtContext would
// prepare it again on every call).
func (w *paymentWriter) stmt(ctx context.Context, st **sql.Stmt, rows int, query func(int) string) (*sql.Stmt, error) {
	if rows != paymentInsertChunk {
		return nil, nil
	}
	if *st == nil {
		p, err := w.tx.Tx.PrepareContext(ctx, query(rows))
		if err != nil {
			return nil, err
		}
		*st = p
	}
	return *st, nil
}

// insert inserts payments (at most paymentInsertChunk) with one
// statement, skipping those whose award and period (or reference) exist,
// sets the IDs of those inserted and records their first event.
func (w *paymentWriter) insert(ctx context.Context, payments []*dost.Payment) error {
	tx := w.tx
	a := w.args[:0]
	byRef := make(map[string]*dost.Payment, len(payments))
	for _, p := range payments {
		a = append(a, p.CycleID, p.AwardID, p.Programme, p.Period, p.PayeeID, int64(p.Amount), p.IBAN, p.Bank,
			p.Reference, string(p.Status), p.ReasonCode, p.Reason, p.Attempts, tx.ts(p.CreatedAt), tx.ts(p.UpdatedAt))
		byRef[p.Reference] = p
	}
	w.args = a
	st, err := w.stmt(ctx, &w.payments, len(payments), w.paymentsSQL)
	if err != nil {
		return err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.QueryContext(ctx, a...)
	} else {
		rows, err = tx.Tx.QueryContext(ctx, w.paymentsSQL(len(payments)), a...)
	}
	if err != nil {
		return err
	}
	inserted := payments[:0:0]
	for rows.Next() {
		var id int64
		var ref string
		if err := rows.Scan(&id, &ref); err != nil {
			rows.Close()
			return err
		}
		if p := byRef[ref]; p != nil {
			p.ID = id
			inserted = append(inserted, p)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil || len(inserted) == 0 {
		return err
	}
	a = a[:0]
	at := tx.ts(tx.now)
	for _, p := range inserted {
		a = append(a, p.ID, p.CycleID, string(p.Status), p.ReasonCode, p.Reason, at)
	}
	w.args = a
	if st, err = w.stmt(ctx, &w.events, len(inserted), w.eventsSQL); err != nil {
		return err
	}
	if st != nil {
		_, err = st.ExecContext(ctx, a...)
	} else {
		_, err = tx.Tx.ExecContext(ctx, w.eventsSQL(len(inserted)), a...)
	}
	return err
}

// insertPaymentEvent records e (At: the transaction's time).
func insertPaymentEvent(ctx context.Context, tx *Tx, e *dost.PaymentEvent) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, reason_code, reason, import_id, actor_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.PaymentID, e.CycleID, string(e.Status), e.ReasonCode, e.Reason, e.ImportID, e.ActorID, tx.ts(tx.now))
	return err
}

// sums are a cycle's control sums, computed from its payments.
type sums struct {
	count, arrearsCount, held int
	total, arrearsTotal       int64
}

// cycleSums computes a cycle's control sums from its payments: those not
// held (all, and of months before the cycle's), and the held ones.
func cycleSums(ctx context.Context, tx *Tx, id int64) (sums, error) {
	var s sums
	err := tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN y.status <> 'held' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN y.status <> 'held' THEN y.amount ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN y.status <> 'held' AND y.period < c.period THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN y.status <> 'held' AND y.period < c.period THEN y.amount ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN y.status = 'held' THEN 1 ELSE 0 END), 0)
		FROM payroll_cycles c LEFT JOIN payments y ON y.cycle_id = c.id WHERE c.id = $1`, id).
		Scan(&s.count, &s.total, &s.arrearsCount, &s.arrearsTotal, &s.held)
	return s, err
}

// finishCycle sets a preparing cycle's control sums from its payments and
// its status prepared.
func finishCycle(ctx context.Context, tx *Tx, id int64) error {
	s, err := cycleSums(ctx, tx, id)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, count = $2, total = $3, arrears_count = $4,
		arrears_total = $5, held = $6, prepared_at = $7, updated_at = $7 WHERE id = $8`,
		dost.CyclePrepared, s.count, s.total, s.arrearsCount, s.arrearsTotal, s.held, tx.ts(tx.now), id)
	return err
}

// FailCycle implements payroll.Store.
func (s *PayrollStore) FailCycle(ctx context.Context, cycleID int64, run int, reason string) error {
	reason = errorText(reason)
	if reason == "" {
		reason = "failed"
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET error = $1, updated_at = $2 WHERE id = $3 AND run = $4 AND status = 'preparing'`,
			reason, tx.ts(tx.now), cycleID, run)
		return err
	})
	if err != nil {
		return fmt.Errorf("fail payroll cycle %d: %w", cycleID, err)
	}
	return nil
}

// FindCycleByID implements payroll.Store.
func (s *PayrollStore) FindCycleByID(ctx context.Context, id int64) (*dost.Cycle, error) {
	var c *dost.Cycle
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		c, err = findCycle(ctx, tx, id)
		return err
	})
	return c, err
}

// FindCycles implements payroll.Store.
func (s *PayrollStore) FindCycles(ctx context.Context, f dost.CycleFilter) ([]*dost.Cycle, int, error) {
	out := []*dost.Cycle{}
	if !storable(strOf(f.Programme)) {
		return out, 0, nil
	}
	var a args
	var conds []string
	if f.Programme != nil {
		conds = append(conds, "programme = "+a.add(*f.Programme))
	}
	if !f.Period.IsZero() {
		conds = append(conds, "period = "+a.add(f.Period))
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = a.add(string(st))
		}
		conds = append(conds, "status IN ("+strings.Join(ph, ", ")+")")
	}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payroll_cycles`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+cycleColumns+where(conds)+` ORDER BY period DESC, id DESC`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				c, err := scanCycle(rows)
				if err != nil {
					return err
				}
				out = append(out, c)
				return nil
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find payroll cycles: %w", err)
	}
	return out, total, nil
}

// ApproveCycle implements payroll.Store.
func (s *PayrollStore) ApproveCycle(ctx context.Context, id, actorID int64) (*dost.Cycle, error) {
	var c *dost.Cycle
	err := s.db.update(ctx, func(tx *Tx) error {
		var err error
		if c, err = findCycle(ctx, tx, id); err != nil {
			return err
		}
		if c.Status != dost.CyclePrepared {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only a prepared cycle is approved.", id, c.Status)
		}
		if c.PreparedBy == actorID {
			return dost.Errorf(dost.EFORBIDDEN, "Payroll cycle %d was prepared by you: another person approves it.", id)
		}
		// Lock the cycle (PostgreSQL) before reading its payments, so that
		// no preparation changes them meanwhile.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, approved_by = $2, approved_at = $3, updated_at = $3
			WHERE id = $4 AND status = 'prepared' AND run = $5`, dost.CycleApproved, actorID, tx.ts(tx.now), id, c.Run)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d changed meanwhile.", id)
		}
		sm, err := cycleSums(ctx, tx, id)
		if err != nil {
			return err
		}
		if sm.count != c.Count || sm.total != int64(c.Total) || sm.arrearsCount != c.ArrearsCount ||
			sm.arrearsTotal != int64(c.ArrearsTotal) || sm.held != c.Held {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d: its control sums (%d payments, %s) are not its payments' (%d, %s); prepare it again.",
				id, c.Count, c.Total, sm.count, dost.Money(sm.total))
		}
		c, err = findCycle(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approve payroll cycle %d: %w", id, err)
	}
	return c, nil
}

// RejectCycle implements payroll.Store.
func (s *PayrollStore) RejectCycle(ctx context.Context, id, actorID int64, reason string) (*dost.Cycle, error) {
	var c *dost.Cycle
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, rejected_by = $2, rejected_at = $3, reject_reason = $4,
			updated_at = $3 WHERE id = $5 AND status = 'prepared'`, dost.CycleRejected, actorID, tx.ts(tx.now), reason, id)
		if err != nil {
			return err
		}
		if c, err = findCycle(ctx, tx, id); err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only a prepared cycle is rejected.", id, c.Status)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reject payroll cycle %d: %w", id, err)
	}
	return c, nil
}

// CompareCycle implements payroll.Store.
func (s *PayrollStore) CompareCycle(ctx context.Context, id int64) (*dost.CycleDifference, error) {
	d := &dost.CycleDifference{}
	err := s.db.view(ctx, func(tx *Tx) error {
		c, err := findCycle(ctx, tx, id)
		if err != nil {
			return err
		}
		var total int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(amount), 0) FROM payments WHERE cycle_id = $1 AND status <> 'held'`,
			id).Scan(&d.Count, &total); err != nil {
			return err
		}
		d.Total = dost.Money(total)
		err = tx.QueryRowContext(ctx, `SELECT id FROM payroll_cycles WHERE programme = $1 AND period = $2`,
			c.Programme, c.Period.Add(-1)).Scan(&d.Previous)
		if isNoRows(err) {
			d.Added = d.Count
			return tx.QueryRowContext(ctx, `SELECT count(DISTINCT award_id) FROM payments WHERE cycle_id = $1 AND status <> 'held'`,
				id).Scan(&d.Added)
		} else if err != nil {
			return err
		}
		const perAward = `SELECT award_id, SUM(amount) AS amount FROM payments WHERE cycle_id = %s AND status <> 'held' GROUP BY award_id`
		cur, prev := fmt.Sprintf(perAward, "$1"), fmt.Sprintf(perAward, "$2")
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+cur+`) n LEFT JOIN (`+prev+`) o ON o.award_id = n.award_id
			WHERE o.award_id IS NULL`, id, d.Previous).Scan(&d.Added); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+prev+`) o LEFT JOIN (`+cur+`) n ON n.award_id = o.award_id
			WHERE n.award_id IS NULL`, id, d.Previous).Scan(&d.Removed); err != nil {
			return err
		}
		var changed int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(n.amount - o.amount), 0) FROM (`+cur+`) n
			JOIN (`+prev+`) o ON o.award_id = n.award_id WHERE n.amount <> o.amount`, id, d.Previous).Scan(&d.Changed, &changed); err != nil {
			return err
		}
		d.ChangedTotal = dost.Money(changed)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compare payroll cycle %d: %w", id, err)
	}
	return d, nil
}

// paymentColumns are the columns scanPayment reads.
const paymentColumns = `id, cycle_id, award_id, programme, period, payee_id, amount, iban, bank, reference, status,
	reason_code, reason, attempts, paid_on, created_at, updated_at FROM payments`

func scanPayment(row interface{ Scan(...any) error }) (*dost.Payment, error) {
	p := &dost.Payment{}
	err := row.Scan(&p.ID, &p.CycleID, &p.AwardID, &p.Programme, &p.Period, &p.PayeeID, &p.Amount, &p.IBAN, &p.Bank,
		&p.Reference, &p.Status, &p.ReasonCode, &p.Reason, &p.Attempts, &p.PaidOn, scanTime(&p.CreatedAt), scanTime(&p.UpdatedAt))
	return p, err
}

// FindPaymentByID implements payroll.Store.
func (s *PayrollStore) FindPaymentByID(ctx context.Context, id int64) (*dost.Payment, error) {
	var p *dost.Payment
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		p, err = scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` WHERE id = $1`, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Payment not found.")
		}
		return err
	})
	return p, err
}

// FindPayments implements payroll.Store.
func (s *PayrollStore) FindPayments(ctx context.Context, f dost.PaymentFilter) ([]*dost.Payment, int, error) {
	out := []*dost.Payment{}
	if !storable(f.Bank) {
		return out, 0, nil
	}
	var a args
	var conds []string
	for _, c := range []struct {
		col string
		v   int64
	}{{"cycle_id", f.CycleID}, {"payee_id", f.PayeeID}, {"award_id", f.AwardID}} {
		if c.v != 0 {
			conds = append(conds, c.col+" = "+a.add(c.v))
		}
	}
	if f.Bank != "" {
		conds = append(conds, "bank = "+a.add(f.Bank))
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = a.add(string(st))
		}
		conds = append(conds, "status IN ("+strings.Join(ph, ", ")+")")
	}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payments`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+paymentColumns+where(conds)+` ORDER BY id`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				p, err := scanPayment(rows)
				if err != nil {
					return err
				}
				out = append(out, p)
				return nil
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find payments: %w", err)
	}
	return out, total, nil
}

// FindPaymentEvents implements payroll.Store.
func (s *PayrollStore) FindPaymentEvents(ctx context.Context, paymentID int64) ([]*dost.PaymentEvent, error) {
	out := []*dost.PaymentEvent{}
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return each(ctx, tx, `SELECT payment_id, cycle_id, status, reason_code, reason, import_id, actor_id, at
			FROM payment_events WHERE payment_id = $1 ORDER BY id`, []any{paymentID}, func(rows *sql.Rows) error {
			e := &dost.PaymentEvent{}
			if err := rows.Scan(&e.PaymentID, &e.CycleID, &e.Status, &e.ReasonCode, &e.Reason, &e.ImportID, &e.ActorID,
				scanTime(&e.At)); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find payment events: %w", err)
	}
	return out, nil
}

// CorrectPayment implements payroll.Store.
func (s *PayrollStore) CorrectPayment(ctx context.Context, id, actorID int64, reason, iban, bank string) (*dost.Payment, error) {
	var p *dost.Payment
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payments SET status = $1, iban = $2, bank = $3, reason_code = '', reason = $4, updated_at = $5
			WHERE id = $6 AND status IN ('held', 'failed', 'returned')`, dost.PaymentCorrected, iban, bank, reason, tx.ts(tx.now), id)
		if err != nil {
			return err
		}
		p, err = scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` WHERE id = $1`, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Payment not found.")
		} else if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ECONFLICT, "Payment %d is %s: only held, failed or returned payments are corrected.", id, p.Status)
		}
		return insertPaymentEvent(ctx, tx, &dost.PaymentEvent{PaymentID: id, CycleID: p.CycleID, Status: dost.PaymentCorrected,
			Reason: reason, ActorID: actorID})
	})
	if err != nil {
		return nil, fmt.Errorf("correct payment %d: %w", id, err)
	}
	return p, nil
}

// FindBanks implements payroll.Store.
func (s *PayrollStore) FindBanks(ctx context.Context) ([]*dost.Bank, error) {
	out := []*dost.Bank{}
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return each(ctx, tx, `SELECT code, name, bic FROM banks ORDER BY code`, nil, func(rows *sql.Rows) error {
			b := &dost.Bank{}
			if err := rows.Scan(&b.Code, &b.Name, &b.BIC); err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find banks: %w", err)
	}
	return out, nil
}

// exportStatuses are the statuses of a cycle's payments its bank files
// hold: every payment but the held ones and those moved on (corrected).
const exportStatuses = `('pending', 'sent', 'paid', 'failed', 'returned')`

// ExportGroups implements payroll.Store.
func (s *PayrollStore) ExportGroups(ctx context.Context, cycleID int64) ([]payroll.ExportGroup, error) {
	var out []payroll.ExportGroup
	err := s.db.view(ctx, func(tx *Tx) error {
		out = nil
		return each(ctx, tx, `SELECT bank, programme, count(*), SUM(amount) FROM payments WHERE cycle_id = $1 AND status IN `+
			exportStatuses+` GROUP BY bank, programme ORDER BY bank, programme`, []any{cycleID}, func(rows *sql.Rows) error {
			var g payroll.ExportGroup
			if err := rows.Scan(&g.Bank, &g.Programme, &g.Count, &g.Total); err != nil {
				return err
			}
			out = append(out, g)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("export groups of payroll cycle %d: %w", cycleID, err)
	}
	return out, nil
}

// ExportPayments implements payroll.Store.
func (s *PayrollStore) ExportPayments(ctx context.Context, cycleID int64, bank, programme string,
	fn func(p *dost.Payment, payeeName string) error) error {
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT y.id, y.award_id, y.programme, y.period, y.amount, y.iban, y.reference, p.first_name, p.last_name, p.patronymic
			FROM payments y JOIN persons p ON p.id = y.payee_id
			WHERE y.cycle_id = $1 AND y.bank = $2 AND y.programme = $3 AND y.status IN `+exportStatuses+` ORDER BY y.id`,
			[]any{cycleID, bank, programme}, func(rows *sql.Rows) error {
				y := &dost.Payment{CycleID: cycleID, Bank: bank}
				var first, last, patronymic string
				if err := rows.Scan(&y.ID, &y.AwardID, &y.Programme, &y.Period, &y.Amount, &y.IBAN, &y.Reference,
					&first, &last, &patronymic); err != nil {
					return err
				}
				return fn(y, strings.Join(strings.Fields(last+" "+first+" "+patronymic), " "))
			})
	})
	if err != nil {
		return fmt.Errorf("export payments of payroll cycle %d: %w", cycleID, err)
	}
	return nil
}

// sentChunk is how many payment IDs one statement of markSent covers.
const sentChunk = 20000

// cycleIDRange returns the least and greatest ID of a cycle's payments
// (ok false when it has none), from payments_cycle_bank alone. A cycle's
// payments are written together, so their IDs are (nearly) contiguous:
// reading the primary key's range, with the cycle as a filter, streams
// them in ID order where the cycle's index would need a sort or a read
// of the row of every entry.
func cycleIDRange(ctx context.Context, tx *Tx, cycleID int64) (lo, hi int64, ok bool, err error) {
	var l, h sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM payments WHERE cycle_id = $1`, cycleID).Scan(&l, &h); err != nil {
		return 0, 0, false, err
	}
	return l.Int64, h.Int64, l.Valid, nil
}

// markSent sets a cycle's pending payments sent, each with its event, a
// range of IDs per statement: one statement over a million payments would
// keep a statement journal (in memory, temp_store) of every page it
// changes, hundreds of megabytes on SQLite. Adding 0 to cycle_id and
// the empty string to status keeps the planner on the ID range (the
// primary key).
func markSent(ctx context.Context, tx *Tx, cycleID, actorID int64) error {
	now := tx.ts(tx.now)
	lo, hi, ok, err := cycleIDRange(ctx, tx, cycleID)
	if err != nil || !ok {
		return err
	}
	for from := lo; from <= hi; from += sentChunk {
		to := from + sentChunk
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, actor_id, at)
			SELECT id, cycle_id, 'sent', $1, $2 FROM payments WHERE id >= $3 AND id < $4 AND cycle_id + 0 = $5 AND status || '' = 'pending'`,
			actorID, now, from, to, cycleID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = 'sent', updated_at = $1
			WHERE id >= $2 AND id < $3 AND cycle_id + 0 = $4 AND status || '' = 'pending'`, now, from, to, cycleID); err != nil {
			return err
		}
	}
	return nil
}

// MarkExported implements payroll.Store.
func (s *PayrollStore) MarkExported(ctx context.Context, cycleID, actorID int64) (*dost.Cycle, error) {
	var c *dost.Cycle
	err := s.db.update(ctx, func(tx *Tx) error {
		now := tx.ts(tx.now)
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, exported_at = $2, updated_at = $2
			WHERE id = $3 AND status = 'approved'`, dost.CycleExported, now, cycleID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n > 0 {
			if err := markSent(ctx, tx, cycleID, actorID); err != nil {
				return err
			}
		}
		if c, err = findCycle(ctx, tx, cycleID); err != nil {
			return err
		}
		if n == 0 && c.Status != dost.CycleExported && c.Status != dost.CycleReconciled {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only an approved cycle is exported.", cycleID, c.Status)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark payroll cycle %d exported: %w", cycleID, err)
	}
	return c, nil
}

// ReportPayments implements payroll.ReportStore.
func (s *PayrollStore) ReportPayments(ctx context.Context, cycleID int64, fn func(p *dost.Payment) error) error {
	err := s.db.view(ctx, func(tx *Tx) error {
		// One string per distinct bank and programme, not per payment.
		names := map[string]string{}
		intern := func(v string) string {
			if w, ok := names[v]; ok {
				return w
			}
			names[v] = v
			return v
		}
		p := &dost.Payment{CycleID: cycleID}
		lo, hi, ok, err := cycleIDRange(ctx, tx, cycleID)
		if err != nil || !ok {
			return err
		}
		return each(ctx, tx, `SELECT id, reference, amount, status, bank, programme, paid_on FROM payments
			WHERE id >= $1 AND id <= $2 AND cycle_id + 0 = $3 ORDER BY id`,
			[]any{lo, hi, cycleID}, func(rows *sql.Rows) error {
				*p = dost.Payment{CycleID: cycleID}
				var status, bank, programme string
				if err := rows.Scan(&p.ID, &p.Reference, &p.Amount, &status, &bank, &programme, &p.PaidOn); err != nil {
					return err
				}
				p.Status, p.Bank, p.Programme = dost.PaymentStatus(intern(status)), intern(bank), intern(programme)
				return fn(p)
			})
	})
	if err != nil {
		return fmt.Errorf("read payments of payroll cycle %d: %w", cycleID, err)
	}
	return nil
}

// statusImportColumns are the columns scanStatusImport reads.
const statusImportColumns = `id, cycle_id, kind, message_id, sha256, entries, paid, failed, returned, pending, problems,
	actor_id, at FROM status_imports`

func scanStatusImport(row interface{ Scan(...any) error }) (*dost.StatusImport, error) {
	imp := &dost.StatusImport{}
	var problems sql.NullString
	if err := row.Scan(&imp.ID, &imp.CycleID, &imp.Kind, &imp.MessageID, &imp.SHA256, &imp.Entries, &imp.Paid, &imp.Failed,
		&imp.Returned, &imp.Pending, &problems, &imp.ActorID, scanTime(&imp.At)); err != nil {
		return nil, err
	}
	if problems.Valid && problems.String != "" {
		if err := json.Unmarshal([]byte(problems.String), &imp.Problems); err != nil {
			return nil, fmt.Errorf("status import %d: problems: %w", imp.ID, err)
		}
	}
	return imp, nil
}

// FindStatusImportBySHA256 implements payroll.ReportStore.
func (s *PayrollStore) FindStatusImportBySHA256(ctx context.Context, cycleID int64, sha256 string) (*dost.StatusImport, error) {
	if !storable(sha256) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Status import not found.")
	}
	var imp *dost.StatusImport
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		imp, err = findStatusImport(ctx, tx, cycleID, sha256)
		return err
	})
	return imp, err
}

// findStatusImport reads a cycle's import of a file in tx. ENOTFOUND if
// there is none.
func findStatusImport(ctx context.Context, tx *Tx, cycleID int64, sha256 string) (*dost.StatusImport, error) {
	imp, err := scanStatusImport(tx.QueryRowContext(ctx, `SELECT `+statusImportColumns+` WHERE cycle_id = $1 AND sha256 = $2`,
		cycleID, sha256))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Status import not found.")
	}
	return imp, err
}

// FindStatusImports implements payroll.ReportStore.
func (s *PayrollStore) FindStatusImports(ctx context.Context, cycleID int64) ([]*dost.StatusImport, error) {
	out := []*dost.StatusImport{}
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return each(ctx, tx, `SELECT `+statusImportColumns+` WHERE cycle_id = $1 ORDER BY id`, []any{cycleID},
			func(rows *sql.Rows) error {
				imp, err := scanStatusImport(rows)
				if err != nil {
					return err
				}
				out = append(out, imp)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find status imports of payroll cycle %d: %w", cycleID, err)
	}
	return out, nil
}

// statusChunk is how many payments one statement of ApplyStatusImport
// moves: far below both dialects' limits on bound parameters.
const statusChunk = 2000

// ApplyStatusImport implements payroll.ReportStore. Each move is applied
// a few thousand payments per statement, so that a million-entry report
// is a thousand statements or so.
func (s *PayrollStore) ApplyStatusImport(ctx context.Context, imp *dost.StatusImport, moves []*payroll.StatusMove) (*dost.StatusImport, error) {
	if !storable(string(imp.Kind), imp.MessageID, imp.SHA256) {
		return nil, dost.Errorf(dost.EINVALID, "The report's message ID cannot be stored.")
	}
	for _, m := range moves {
		if !storable(m.ReasonCode, m.Reason) {
			return nil, dost.Errorf(dost.EINVALID, "The report's reasons cannot be stored.")
		}
	}
	var out *dost.StatusImport
	err := s.db.update(ctx, func(tx *Tx) error {
		out = nil
		now := tx.ts(tx.now)
		// The cycle's row lock orders the imports of a cycle on PostgreSQL.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET updated_at = $1 WHERE id = $2 AND status IN ('exported', 'reconciled')`,
			now, imp.CycleID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			c, err := findCycle(ctx, tx, imp.CycleID)
			if err != nil {
				return err
			}
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: bank reports are read into exported cycles only.", c.ID, c.Status)
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO status_imports (cycle_id, kind, message_id, sha256, entries, paid, failed,
			returned, pending, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (cycle_id, sha256) DO NOTHING RETURNING id`,
			imp.CycleID, string(imp.Kind), imp.MessageID, imp.SHA256, imp.Entries, imp.Paid, imp.Failed, imp.Returned,
			imp.Pending, imp.ActorID, now).Scan(&id)
		if isNoRows(err) {
			out, err = findStatusImport(ctx, tx, imp.CycleID, imp.SHA256)
			return err
		} else if err != nil {
			return err
		}
		for _, m := range moves {
			ids := m.PaymentIDs
			for len(ids) > 0 {
				n := min(statusChunk, len(ids))
				if err := s.move(ctx, tx, imp, id, m.From, m.To, m.ReasonCode, m.Reason, m.PaidOn, ids[:n]); err != nil {
					return err
				}
				ids = ids[n:]
			}
		}
		// Read along the primary key: see cycleIDRange.
		var open int
		lo, hi, _, err := cycleIDRange(ctx, tx, imp.CycleID)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payments
			WHERE id >= $1 AND id <= $2 AND cycle_id + 0 = $3 AND status || '' IN ('pending', 'sent')`,
			lo, hi, imp.CycleID).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, updated_at = $2 WHERE id = $3`,
				dost.CycleReconciled, now, imp.CycleID); err != nil {
				return err
			}
		}
		out, err = findStatusImport(ctx, tx, imp.CycleID, imp.SHA256)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import status report into payroll cycle %d: %w", imp.CycleID, err)
	}
	return out, nil
}

// move moves the payments ids from one status to another for import id
// and records their events; ECONFLICT unless every one was in from.
func (s *PayrollStore) move(ctx context.Context, tx *Tx, imp *dost.StatusImport, id int64, from, to dost.PaymentStatus,
	code, reason string, paidOn dost.Date, ids []int64) error {
	a := args{string(to), code, reason, tx.ts(tx.now)}
	set := `status = $1, reason_code = $2, reason = $3, updated_at = $4`
	if to == dost.PaymentPaid {
		set += `, paid_on = ` + a.add(paidOn)
	}
	// "|| ''" and "+ 0" keep the planner on the IDs (the primary key)
	// rather than every payment of the cycle in that status, per chunk.
	cond := `status || '' = ` + a.add(string(from)) + ` AND cycle_id + 0 = ` + a.add(imp.CycleID)
	var in strings.Builder
	for i, pid := range ids {
		if i > 0 {
			in.WriteString(", ")
		}
		a = append(a, pid)
		in.WriteString(s.db.placeholder(len(a)))
	}
	res, err := tx.ExecContext(ctx, `UPDATE payments SET `+set+` WHERE `+cond+` AND id IN (`+in.String()+`)`, a...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if int(n) != len(ids) {
		return dost.Errorf(dost.ECONFLICT, "Payments of cycle %d changed while the report was read; import it again.", imp.CycleID)
	}
	// The events: the same IDs, renumbered after the six values.
	ev := args{imp.CycleID, string(to), code, reason, id, imp.ActorID, tx.ts(tx.now)}
	in.Reset()
	for i, pid := range ids {
		if i > 0 {
			in.WriteString(", ")
		}
		ev = append(ev, pid)
		in.WriteString(s.db.placeholder(len(ev)))
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, reason_code, reason, import_id, actor_id, at)
		SELECT id, $1, $2, $3, $4, $5, $6, $7 FROM payments WHERE id IN (`+in.String()+`)`, ev...)
	return err
}
