package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
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
	reject_reason, exported_at, updated_at, beyond_back_pay, beyond_back_pay_awards FROM payroll_cycles`

func scanCycle(row interface{ Scan(...any) error }) (*dost.Cycle, error) {
	c := &dost.Cycle{}
	err := row.Scan(&c.ID, &c.Programme, &c.Period, &c.Status, &c.Count, &c.Total, &c.ArrearsCount, &c.ArrearsTotal,
		&c.Held, &c.Review, &c.ShardsTotal, &c.ShardsDone, &c.Run, &c.Error, &c.PreparedBy, scanTime(&c.PreparedAt),
		&c.ApprovedBy, scanNullTime(&c.ApprovedAt), &c.RejectedBy, scanNullTime(&c.RejectedAt), &c.RejectReason,
		scanNullTime(&c.ExportedAt), scanTime(&c.UpdatedAt), &c.BeyondBackPay, &c.BeyondBackPayAwards)
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
	if err != nil {
		return err
	}
	return sumBeyondBackPay(ctx, tx, id)
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
		err := each(ctx, tx, `SELECT payment_id, cycle_id, status, reason_code, reason, import_id, actor_id, at, iban, message_id, reference
			FROM payment_events WHERE payment_id = $1 ORDER BY id`, []any{paymentID}, func(rows *sql.Rows) error {
			e := &dost.PaymentEvent{}
			if err := rows.Scan(&e.PaymentID, &e.CycleID, &e.Status, &e.ReasonCode, &e.Reason, &e.ImportID, &e.ActorID,
				scanTime(&e.At), &e.IBAN, &e.MessageID, &e.Reference); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
		if err != nil {
			return err
		}
		// The creation of a payment created pending (payroll_prepare.go)
		// and the "sent" steps (sqlstore/payroll_export.go).
		if out, err = createdStep(ctx, tx, paymentID, out); err != nil {
			return err
		}
		if out, err = paymentHistory(ctx, tx, paymentID, out); err != nil {
			return err
		}
		// The bank's latest step (sqlstore/payroll_status.go).
		out, err = withBankStep(ctx, tx, paymentID, out)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find payment events: %w", err)
	}
	return out, nil
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
