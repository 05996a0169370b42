package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// This file is the storage of award suspensions (award_suspensions) and
// of the withdrawal feed (payment_withdrawals), migration 00016:
// payroll.SuspensionStore.

// PaymentByReference implements payroll.SuspensionStore.
func (s *PayrollStore) PaymentByReference(ctx context.Context, reference string) (*dost.Payment, dost.FIN, error) {
	if !storable(reference) {
		return nil, "", dost.Errorf(dost.ENOTFOUND, "Payment not found.")
	}
	var p *dost.Payment
	var fin dost.FIN
	err := s.db.view(ctx, func(tx *Tx) error {
		var err error
		p, err = scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` WHERE reference = $1`, reference))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Payment not found.")
		} else if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT fin FROM persons WHERE id = $1`, p.PayeeID).Scan(&fin)
	})
	if err != nil {
		return nil, "", err
	}
	return p, fin, nil
}

// RecordWithdrawal implements payroll.SuspensionStore. The award's row
// is locked first (FOR UPDATE on PostgreSQL; SQLite's writer is
// serialised), so that the daily suspension, which locks it too before
// it suspends, either sees this withdrawal or has suspended the award
// before its status is read here.
func (s *PayrollStore) RecordWithdrawal(ctx context.Context, p *dost.Payment, on dost.Date, resumeReason string) (bool, *dost.Award, error) {
	var recorded bool
	var resumed *dost.Award
	err := s.db.update(ctx, func(tx *Tx) error {
		recorded, resumed = false, nil
		var status dost.AwardStatus
		var reason string
		if err := tx.QueryRowContext(ctx, `SELECT status, status_reason FROM awards WHERE id = $1`+tx.forUpdate(""),
			p.AwardID).Scan(&status, &reason); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO payment_withdrawals (payment_id, award_id, withdrawn_on, at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (payment_id) DO NOTHING`, p.ID, p.AwardID, on, tx.ts(tx.now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		recorded = n > 0
		// Resume the award if the feed's silence suspended it; also on a
		// repeat, so that a first report whose resumption failed is made
		// good.
		if status != dost.AwardSuspended || reason != dost.ReasonNotWithdrawn {
			return nil
		}
		// The first report's day counts (a repeat keeps it).
		if err := tx.QueryRowContext(ctx, `SELECT withdrawn_on FROM payment_withdrawals WHERE payment_id = $1`, p.ID).Scan(&on); err != nil {
			return err
		}
		// Only a withdrawal on or after the oldest payment whose money
		// lies unwithdrawn (by the other withdrawals of the award, not
		// judged already by an ended suspension, and judged at all: paid
		// on or after its bank's first reported withdrawal) clears the
		// suspension: an older one is recorded and the award stays
		// suspended. The banks' first withdrawals (a scan of the feed)
		// are read only when the withdrawal is older than the newest
		// such payment of any bank.
		const unwithdrawn = ` FROM payments y WHERE y.award_id = $1 AND y.status = 'paid'
			AND NOT EXISTS (SELECT 1 FROM payment_withdrawals w WHERE w.award_id = $1 AND w.payment_id <> $2 AND w.withdrawn_on >= y.paid_on)
			AND NOT EXISTS (SELECT 1 FROM award_suspensions u WHERE u.award_id = $1 AND u.ends_on >= y.paid_on)`
		var since dost.Date // zero: none
		if err := tx.QueryRowContext(ctx, `SELECT MAX(y.paid_on)`+unwithdrawn, p.AwardID, p.ID).Scan(&since); err != nil {
			return err
		}
		if on.Before(since) {
			if err := tx.QueryRowContext(ctx, `SELECT MIN(y.paid_on)`+unwithdrawn+` AND y.paid_on >= (SELECT MIN(f.withdrawn_on)
				FROM payment_withdrawals f JOIN payments g ON g.id = f.payment_id WHERE g.bank = y.bank)`,
				p.AwardID, p.ID).Scan(&since); err != nil {
				return err
			}
			if on.Before(since) {
				return nil
			}
		}
		resumed, err = resumeAward(ctx, tx, p.AwardID, 0, resumeReason, dost.DateOf(tx.now.In(dost.Baku)))
		return err
	})
	if err != nil {
		return false, nil, fmt.Errorf("record withdrawal: %w", err)
	}
	return recorded, resumed, nil
}

// suspendChunk is how many awards SuspendNotWithdrawn suspends per
// write transaction.
const suspendChunk = 500

// SuspendNotWithdrawn implements payroll.SuspensionStore. The candidates
// are read in a read transaction: the banks' first reported withdrawals
// (the feed's start, per bank), then the awards of the programme with a
// paid payment judged and not withdrawn, each with its newest such
// payment's day. They are suspended suspendChunk per write transaction,
// each award locked first (FOR UPDATE on PostgreSQL) and its condition
// repeated (still active, no withdrawal and no ended suspension on or
// after that day: which clears every older payment too), so that a
// withdrawal recorded meanwhile is never overridden.
func (s *PayrollStore) SuspendNotWithdrawn(ctx context.Context, programme string, cutoff, today dost.Date) ([]int64, error) {
	if !storable(programme) {
		return nil, nil
	}
	type candidate struct {
		id    int64
		since dost.Date
	}
	var list []candidate
	err := s.db.view(ctx, func(tx *Tx) error {
		list = nil
		// Payments paid before their bank's first reported withdrawal
		// are not judged: the bank was not in the feed yet.
		var gates []string
		a := args{programme, cutoff}
		err := each(ctx, tx, `SELECT p.bank, MIN(w.withdrawn_on) FROM payment_withdrawals w JOIN payments p ON p.id = w.payment_id
			GROUP BY p.bank ORDER BY p.bank`, nil, func(rows *sql.Rows) error {
			var bank string
			var first dost.Date
			if err := rows.Scan(&bank, &first); err != nil {
				return err
			}
			gates = append(gates, `(y.bank = `+a.add(bank)+` AND y.paid_on >= `+a.add(first)+`)`)
			return nil
		})
		if err != nil || len(gates) == 0 {
			return err
		}
		return each(ctx, tx, `SELECT a.id, MAX(y.paid_on) FROM awards a JOIN payments y ON y.award_id = a.id
			WHERE a.programme = $1 AND a.status = 'active' AND y.status = 'paid' AND y.paid_on <= $2
			AND (`+strings.Join(gates, ` OR `)+`)
			AND NOT EXISTS (SELECT 1 FROM payment_withdrawals w WHERE w.award_id = a.id AND w.withdrawn_on >= y.paid_on)
			AND NOT EXISTS (SELECT 1 FROM award_suspensions u WHERE u.award_id = a.id AND u.ends_on >= y.paid_on)
			GROUP BY a.id ORDER BY a.id`, a, func(rows *sql.Rows) error {
			var c candidate
			if err := rows.Scan(&c.id, &c.since); err != nil {
				return err
			}
			list = append(list, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("suspend awards not withdrawn: %w", err)
	}
	var out []int64
	for rest := list; len(rest) > 0; {
		chunk := rest[:min(suspendChunk, len(rest))]
		rest = rest[len(chunk):]
		var done []int64
		err := s.db.update(ctx, func(tx *Tx) error {
			done = done[:0]
			now := tx.ts(tx.now)
			for _, c := range chunk {
				if lock := tx.forUpdate(""); lock != "" {
					// Waits for a withdrawal being recorded, so that the
					// next statement (a new snapshot) sees it.
					if err := tx.QueryRowContext(ctx, `SELECT 1 FROM awards WHERE id = $1`+lock, c.id).Scan(new(int)); err != nil {
						return err
					}
				}
				res, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'suspended', status_reason = $1, updated_at = $2
					WHERE id = $3 AND status = 'active'
					AND NOT EXISTS (SELECT 1 FROM payment_withdrawals w WHERE w.award_id = $3 AND w.withdrawn_on >= $4)
					AND NOT EXISTS (SELECT 1 FROM award_suspensions u WHERE u.award_id = $3 AND u.ends_on >= $4)`,
					dost.ReasonNotWithdrawn, now, c.id, c.since)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil {
					return err
				} else if n == 0 {
					continue
				}
				// An open suspension left by another path stays the one.
				if _, err := tx.ExecContext(ctx, `INSERT INTO award_suspensions (award_id, reason, starts_on, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, c.id, dost.ReasonNotWithdrawn, today, now); err != nil {
					return err
				}
				done = append(done, c.id)
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("suspend awards not withdrawn: %w", err)
		}
		out = append(out, done...)
	}
	return out, nil
}

// ResumeAward implements payroll.SuspensionStore.
func (s *PayrollStore) ResumeAward(ctx context.Context, awardID, actorID int64, reason string, today dost.Date) (*dost.Award, error) {
	if !storable(reason) {
		return nil, dost.FieldErr("reason", "text.invalid", "The reason contains characters that cannot be stored.")
	}
	var w *dost.Award
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		w, err = resumeAward(ctx, tx, awardID, actorID, reason, today)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resume award %d: %w", awardID, err)
	}
	return w, nil
}

// resumeAward sets a suspended award active and ends its open suspension
// today (recording one from its last change when none is open).
// ECONFLICT for an award not suspended; ENOTFOUND.
func resumeAward(ctx context.Context, tx *Tx, awardID, actorID int64, reason string, today dost.Date) (*dost.Award, error) {
	w, err := scanAward(tx.QueryRowContext(ctx, `SELECT `+awardColumns+` WHERE id = $1`, awardID))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Award %d not found.", awardID)
	} else if err != nil {
		return nil, err
	}
	now := tx.ts(tx.now)
	res, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'active', status_reason = '', updated_at = $1
		WHERE id = $2 AND status = 'suspended'`, now, awardID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		return nil, dost.Errorf(dost.ECONFLICT, "Award %d is %s: only a suspended award resumes.", awardID, w.Status)
	}
	res, err = tx.ExecContext(ctx, `UPDATE award_suspensions SET ends_on = $1, resumed_by = $2, resume_reason = $3, updated_at = $4
		WHERE award_id = $5 AND ends_on IS NULL`, today, actorID, reason, now, awardID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		// Suspended before suspensions were stored (or by a path that
		// does not store them): record it from the award's last change.
		from := dost.DateOf(w.UpdatedAt.In(dost.Baku))
		if today.Before(from) {
			from = today
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO award_suspensions (award_id, reason, starts_on, ends_on, resumed_by,
			resume_reason, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			awardID, w.StatusReason, from, today, actorID, reason, now); err != nil {
			return nil, err
		}
	}
	w.Status, w.StatusReason, w.UpdatedAt = dost.AwardActive, "", tx.now
	return w, nil
}

// FindAwardSuspensions implements payroll.SuspensionStore.
func (s *PayrollStore) FindAwardSuspensions(ctx context.Context, awardID int64) ([]*dost.AwardSuspension, error) {
	out := []*dost.AwardSuspension{}
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return each(ctx, tx, `SELECT id, award_id, reason, starts_on, ends_on, suspended_by, resumed_by, resume_reason,
			created_at, updated_at FROM award_suspensions WHERE award_id = $1 ORDER BY starts_on, id`, []any{awardID},
			func(rows *sql.Rows) error {
				u := &dost.AwardSuspension{}
				if err := rows.Scan(&u.ID, &u.AwardID, &u.Reason, &u.Start, &u.End, &u.SuspendedBy, &u.ResumedBy,
					&u.ResumeReason, scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt)); err != nil {
					return err
				}
				out = append(out, u)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find suspensions of award %d: %w", awardID, err)
	}
	return out, nil
}
