package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
)

// This file holds the bank reports' import of PayrollStore
// (payroll.ReportStore): the first reading of a cycle's payments, the
// imports recorded and the moves they apply.

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
const statusImportColumns = `id, cycle_id, kind, message_id, sha256, entries, paid, failed, returned, pending, repeated,
	other_cycles, problems, actor_id, at FROM status_imports`

func scanStatusImport(row interface{ Scan(...any) error }) (*dost.StatusImport, error) {
	imp := &dost.StatusImport{}
	var problems sql.NullString
	if err := row.Scan(&imp.ID, &imp.CycleID, &imp.Kind, &imp.MessageID, &imp.SHA256, &imp.Entries, &imp.Paid, &imp.Failed,
		&imp.Returned, &imp.Pending, &imp.Repeated, &imp.OtherCycles, &problems, &imp.ActorID, scanTime(&imp.At)); err != nil {
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
	var problems sql.NullString
	if len(imp.Problems) > 0 {
		b, err := json.Marshal(imp.Problems)
		if err != nil {
			return nil, fmt.Errorf("status import problems: %w", err)
		}
		if !storable(string(b)) {
			return nil, dost.Errorf(dost.EINVALID, "The report's references cannot be stored.")
		}
		problems = sql.NullString{String: string(b), Valid: true}
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
			returned, pending, repeated, other_cycles, problems, actor_id, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (cycle_id, sha256) DO NOTHING RETURNING id`,
			imp.CycleID, string(imp.Kind), imp.MessageID, imp.SHA256, imp.Entries, imp.Paid, imp.Failed, imp.Returned,
			imp.Pending, imp.Repeated, imp.OtherCycles, problems, imp.ActorID, now).Scan(&id)
		if isNoRows(err) {
			out, err = findStatusImport(ctx, tx, imp.CycleID, imp.SHA256)
			return err
		} else if err != nil {
			return err
		}
		for _, m := range moves {
			if err := s.move(ctx, tx, imp, id, m); err != nil {
				return err
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

// statusRange is the most payments one statement of ApplyStatusImport
// moves by an ID range: one statement over a million payments would keep
// a statement journal of every page it changes (see markSent).
const statusRange = 20000

// minRange is the shortest run of consecutive IDs moved by a range rather
// than in an ID list.
const minRange = 64

// move applies move m of import id: its payments go from m.From to m.To,
// with the reason (and the date paid), and name the import
// (payments.import_id), which is their bank step in the payment's history
// (bankStep): no event row is written per payment. A payment whose
// current status is an import's step already (paid, then returned) has
// that step written out as an event first. Runs of consecutive IDs (a
// report about a whole file) move by ID range, up to statusRange per
// statement, the rest in lists of statusChunk IDs. ECONFLICT unless every
// payment was in m.From.
func (s *PayrollStore) move(ctx context.Context, tx *Tx, imp *dost.StatusImport, id int64, m *payroll.StatusMove) error {
	a := args{string(m.To), m.ReasonCode, m.Reason, tx.ts(tx.now), id}
	set := `status = $1, reason_code = $2, reason = $3, updated_at = $4, import_id = $5`
	if m.To == dost.PaymentPaid {
		set += `, paid_on = ` + a.add(m.PaidOn)
	}
	// "|| ''" and "+ 0" keep the planner on the IDs (the primary key)
	// rather than every payment of the cycle in that status, per chunk.
	where := `status || '' = ` + a.add(string(m.From)) + ` AND cycle_id + 0 = ` + a.add(imp.CycleID)
	update := `UPDATE payments SET ` + set + ` WHERE ` + where
	keep := m.From != dost.PaymentSent && m.From != dost.PaymentPending
	exec := func(cond string, want int, extra ...any) error {
		if keep {
			if err := keepBankSteps(ctx, tx, cond, extra); err != nil {
				return err
			}
		}
		args := append(a[:len(a):len(a)], extra...)
		res, err := tx.ExecContext(ctx, update+` AND `+renumber(s.db, cond, len(a)), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if int(n) != want {
			return dost.Errorf(dost.ECONFLICT, "Payments of cycle %d changed while the report was read; import it again.", imp.CycleID)
		}
		if m.To == dost.PaymentPaid { // webhooks: payment.paid, in bulk (webhook.go)
			if err := enqueuePaymentsPaid(ctx, tx, id, m.PaidOn, cond, extra); err != nil {
				return err
			}
		}
		return nil
	}
	var list []any
	flush := func() error {
		if len(list) == 0 {
			return nil
		}
		var in strings.Builder
		for i := range list {
			if i > 0 {
				in.WriteString(", ")
			}
			in.WriteString(s.db.placeholder(i + 1))
		}
		err := exec(`id IN (`+in.String()+`)`, len(list), list...)
		list = list[:0]
		return err
	}
	ids := m.PaymentIDs
	for len(ids) > 0 {
		// The run of consecutive IDs at the start (the IDs are ascending).
		run := 1
		for run < len(ids) && run < statusRange && ids[run] == ids[run-1]+1 {
			run++
		}
		if run >= minRange {
			if err := exec(`id BETWEEN `+s.db.placeholder(1)+` AND `+s.db.placeholder(2), run, ids[0], ids[run-1]); err != nil {
				return err
			}
		} else {
			for _, pid := range ids[:run] {
				list = append(list, pid)
				if len(list) == statusChunk {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		ids = ids[run:]
	}
	return flush()
}

// renumber shifts the placeholders $1… of cond (written from 1) by n, for
// the dialect.
func renumber(db *DB, cond string, n int) string {
	if n == 0 {
		return cond
	}
	var b strings.Builder
	for i := 0; i < len(cond); i++ {
		if c := cond[i]; c != '$' && c != '?' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(cond) && cond[j] >= '0' && cond[j] <= '9' {
			j++
		}
		k, _ := strconv.Atoi(cond[i+1 : j])
		b.WriteString(db.placeholder(k + n))
		i = j - 1
	}
	return b.String()
}

// keepBankSteps writes out, as events, the bank steps (bankStep) of the
// payments of cond (its placeholders from $1 with args) before a later
// step replaces them.
func keepBankSteps(ctx context.Context, tx *Tx, cond string, args []any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, reason_code, reason, import_id, actor_id, at)
		SELECT y.id, i.cycle_id, y.status, y.reason_code, y.reason, i.id, i.actor_id, i.at
		FROM payments y JOIN status_imports i ON i.id = y.import_id
		WHERE y.`+cond+` AND y.import_id <> 0 AND y.status IN ('paid', 'failed', 'returned')`, args...)
	return err
}

// bankStep returns the step of payment id's history that the import
// which moved it last says (paid, failed or returned, with the reason,
// the import's cycle, actor and time), or nil when its status is not an
// import's step. ApplyStatusImport writes no event row per payment: the
// import and the payment's row are the step until a later step replaces
// it (keepBankSteps, keepBankStep).
func bankStep(ctx context.Context, tx *Tx, id int64) (*dost.PaymentEvent, error) {
	e := &dost.PaymentEvent{PaymentID: id}
	err := tx.QueryRowContext(ctx, `SELECT i.cycle_id, y.status, y.reason_code, y.reason, i.id, i.actor_id, i.at
		FROM payments y JOIN status_imports i ON i.id = y.import_id
		WHERE y.id = $1 AND y.import_id <> 0 AND y.status IN ('paid', 'failed', 'returned')`, id).
		Scan(&e.CycleID, &e.Status, &e.ReasonCode, &e.Reason, &e.ImportID, &e.ActorID, scanTime(&e.At))
	if isNoRows(err) {
		return nil, nil
	}
	return e, err
}

// withBankStep appends payment id's bank step (bankStep), if it has one,
// to its history: it is the latest step.
func withBankStep(ctx context.Context, tx *Tx, id int64, events []*dost.PaymentEvent) ([]*dost.PaymentEvent, error) {
	e, err := bankStep(ctx, tx, id)
	if err != nil || e == nil {
		return events, err
	}
	return append(events, e), nil
}

// keepBankStep writes out payment id's bank step (bankStep), if it has
// one, before a correction replaces it.
func keepBankStep(ctx context.Context, tx *Tx, id int64) error {
	return keepBankSteps(ctx, tx, `id = $1`, []any{id})
}

// EarlierAttempts implements payroll.ReportStore. The "sent" steps are
// found through the cycle's files (the partial index
// payment_events_message); the bank step of an attempt is the payment's
// last paid, failed or returned event of the cycle (keepBankStep).
func (s *PayrollStore) EarlierAttempts(ctx context.Context, cycleID int64, fn func(a *payroll.EarlierAttempt) error) error {
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT e.payment_id, e.reference, e.message_id,
			COALESCE((SELECT b.status FROM payment_events b WHERE b.payment_id = e.payment_id AND b.cycle_id = f.cycle_id
				AND b.status IN ('paid', 'failed', 'returned') ORDER BY b.id DESC LIMIT 1), ''),
			COALESCE((SELECT b.reason_code FROM payment_events b WHERE b.payment_id = e.payment_id AND b.cycle_id = f.cycle_id
				AND b.status IN ('paid', 'failed', 'returned') ORDER BY b.id DESC LIMIT 1), ''),
			y.cycle_id, y.reference, y.status, y.amount, y.attempts
			FROM payroll_files f JOIN payment_events e ON e.message_id = f.message_id AND e.message_id <> ''
			JOIN payments y ON y.id = e.payment_id
			WHERE f.cycle_id = $1 AND e.status = 'sent' AND e.reference <> ''
			AND NOT (y.cycle_id = f.cycle_id AND y.reference = e.reference AND y.status IN ('sent', 'paid', 'failed', 'returned'))
			ORDER BY e.id`, []any{cycleID}, func(rows *sql.Rows) error {
			a := &payroll.EarlierAttempt{Now: &dost.Payment{}}
			var step, status string
			if err := rows.Scan(&a.PaymentID, &a.Reference, &a.MessageID, &step, &a.ReasonCode, &a.Now.CycleID, &a.Now.Reference,
				&status, &a.Now.Amount, &a.Now.Attempts); err != nil {
				return err
			}
			a.Now.ID, a.Step, a.Now.Status = a.PaymentID, dost.PaymentStatus(step), dost.PaymentStatus(status)
			return fn(a)
		})
	})
	if err != nil {
		return fmt.Errorf("read earlier attempts of payroll cycle %d: %w", cycleID, err)
	}
	return nil
}
