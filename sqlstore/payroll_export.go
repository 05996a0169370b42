package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
)

// This file holds the approval, the bank files' export and the
// correction of payments of PayrollStore.

// ApproveCycle implements payroll.Store.
func (s *PayrollStore) ApproveCycle(ctx context.Context, id, actorID int64, run int) (*dost.Cycle, error) {
	var c *dost.Cycle
	err := s.db.update(ctx, func(tx *Tx) error {
		var err error
		if c, err = findCycle(ctx, tx, id); err != nil {
			return err
		}
		if c.Status != dost.CyclePrepared {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only a prepared cycle is approved.", id, c.Status)
		}
		if c.Run != run {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d was prepared again since the preparation you reviewed (run %d; now run %d: %d payments, %s AZN): review it again.",
				id, run, c.Run, c.Count, c.Total)
		}
		if c.PreparedBy == actorID {
			return dost.Errorf(dost.EFORBIDDEN, "Payroll cycle %d was prepared by you: another person approves it.", id)
		}
		// Lock the cycle (PostgreSQL) before reading its payments, so that
		// no preparation changes them meanwhile.
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, approved_by = $2, approved_at = $3, updated_at = $3
			WHERE id = $4 AND status = 'prepared' AND run = $5`, dost.CycleApproved, actorID, tx.ts(tx.now), id, run)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d changed meanwhile.", id)
		}
		if err := checkPayable(ctx, tx, id); err != nil {
			return err
		}
		sm, err := cycleSums(ctx, tx, id)
		if err != nil {
			return err
		}
		if sm.count != c.Count || sm.total != int64(c.Total) || sm.arrearsCount != c.ArrearsCount ||
			sm.arrearsTotal != int64(c.ArrearsTotal) || sm.held != c.Held {
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d: its control sums (%d payments, %s; arrears %d, %s; %d held) are not its payments' (%d, %s; arrears %d, %s; %d held); prepare it again.",
				id, c.Count, c.Total, c.ArrearsCount, c.ArrearsTotal, c.Held,
				sm.count, dost.Money(sm.total), sm.arrearsCount, dost.Money(sm.arrearsTotal), sm.held)
		}
		c, err = findCycle(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("approve payroll cycle %d: %w", id, err)
	}
	return c, nil
}

// checkPayable refuses (ECONFLICT, with the count) the approval of cycle
// id while any of its pending payments may no longer be paid
// (sqlstore/payroll_prepare.go payable): its award was suspended or
// ended, or its payee died, after the cycle was prepared. Preparing the
// cycle again leaves them out; the files stay those of what was approved.
func checkPayable(ctx context.Context, tx *Tx, id int64) error {
	n := 0
	err := each(ctx, tx, `SELECT y.period, w.status, w.ends_on, p.status, p.death_date FROM payments y
		JOIN awards w ON w.id = y.award_id JOIN persons p ON p.id = y.payee_id
		WHERE y.cycle_id = $1 AND y.status = 'pending' AND (w.status <> 'active' OR p.status = 'deceased')`, []any{id},
		func(rows *sql.Rows) error {
			var period dost.Month
			var award dost.AwardStatus
			var person dost.PersonStatus
			var end, died dost.Date
			if err := rows.Scan(&period, &award, &end, &person, &died); err != nil {
				return err
			}
			if !payable(period, award, end, person, died) {
				n++
			}
			return nil
		})
	if err != nil {
		return err
	}
	if n > 0 {
		return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d: %d of its payments may no longer be paid (the award was suspended or ended, or the payee died, since it was prepared): prepare it again.", id, n)
	}
	return nil
}

// CorrectPayment implements payroll.Store.
func (s *PayrollStore) CorrectPayment(ctx context.Context, id, actorID int64, reason, iban, bank string) (*dost.Payment, error) {
	var p *dost.Payment
	err := s.db.update(ctx, func(tx *Tx) error {
		// The attempt that failed keeps its account in the history: its
		// "sent" step, derived from its file until now, is written out.
		if err := keepSentStep(ctx, tx, id); err != nil {
			return err
		}
		if err := keepBankStep(ctx, tx, id); err != nil { // sqlstore/payroll_status.go
			return err
		}
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
		_, err = tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, reason, actor_id, iban, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, p.CycleID, string(dost.PaymentCorrected), reason, actorID, iban, tx.ts(tx.now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("correct payment %d: %w", id, err)
	}
	return p, nil
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

// fileColumns are the columns scanFile reads.
const fileColumns = `id, cycle_id, bank, message_id, created_at, count, total, sha256, actor_id, exported_at, names_seq
	FROM payroll_files`

func scanFile(row interface{ Scan(...any) error }) (*payroll.File, error) {
	f := &payroll.File{}
	err := row.Scan(&f.ID, &f.CycleID, &f.Bank.Code, &f.MessageID, scanTime(&f.CreatedAt), &f.Count, &f.Total, &f.SHA256,
		&f.ExportedBy, scanNullTime(&f.ExportedAt), &f.NamesSeq)
	return f, err
}

// readFiles reads the files matching cond (on payroll_files), by bank,
// with their blocks.
func readFiles(ctx context.Context, tx *Tx, cond string, a ...any) ([]*payroll.File, error) {
	var out []*payroll.File
	byID := map[int64]*payroll.File{}
	err := each(ctx, tx, `SELECT `+fileColumns+` WHERE `+cond+` ORDER BY bank`, a, func(rows *sql.Rows) error {
		f, err := scanFile(rows)
		if err != nil {
			return err
		}
		out = append(out, f)
		byID[f.ID] = f
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	err = each(ctx, tx, `SELECT b.file_id, b.seq, b.pmt_inf_id, b.programme, b.count, b.total FROM payroll_blocks b
		WHERE b.file_id IN (SELECT id FROM payroll_files WHERE `+cond+`) ORDER BY b.file_id, b.seq`, a, func(rows *sql.Rows) error {
		var id int64
		b := &payroll.Block{}
		if err := rows.Scan(&id, &b.Seq, &b.ID, &b.Programme, &b.Count, &b.Total); err != nil {
			return err
		}
		if f := byID[id]; f != nil {
			f.Blocks = append(f.Blocks, b)
		}
		return nil
	})
	return out, err
}

// ExportFiles implements payroll.ExportStore.
func (s *PayrollStore) ExportFiles(ctx context.Context, cycleID int64) ([]*payroll.File, error) {
	var out []*payroll.File
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		out, err = readFiles(ctx, tx, `cycle_id = $1`, cycleID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find bank files of payroll cycle %d: %w", cycleID, err)
	}
	return out, nil
}

// RecordExport implements payroll.ExportStore.
func (s *PayrollStore) RecordExport(ctx context.Context, cycleID int64, files []*payroll.File, exportedAt *time.Time) ([]*payroll.File, error) {
	for _, f := range files {
		if !storable(f.Bank.Code, f.MessageID) {
			return nil, dost.Errorf(dost.EINVALID, "The bank file of payroll cycle %d for bank %q (message ID %q) cannot be stored: "+
				"the bank's code or the message ID has characters the database does not keep.", cycleID, f.Bank.Code, f.MessageID)
		}
		for _, b := range f.Blocks {
			if !storable(b.ID, b.Programme) {
				return nil, dost.Errorf(dost.EINVALID, "The bank file of payroll cycle %d for bank %q cannot be stored: its block for programme %q "+
					"(%q) has characters the database does not keep.", cycleID, f.Bank.Code, b.Programme, b.ID)
			}
		}
	}
	var out []*payroll.File
	err := s.db.update(ctx, func(tx *Tx) error {
		out = nil
		// The cycle's row lock orders concurrent first exports (PostgreSQL).
		res, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET updated_at = updated_at
			WHERE id = $1 AND status IN ('approved', 'exported', 'reconciled')`, cycleID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			c, err := findCycle(ctx, tx, cycleID)
			if err != nil {
				return err
			}
			return dost.Errorf(dost.ECONFLICT, "Payroll cycle %d is %s: only an approved cycle is exported.", cycleID, c.Status)
		}
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payroll_files WHERE cycle_id = $1`, cycleID).Scan(&have); err != nil {
			return err
		}
		if have == 0 {
			for _, f := range files {
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO payroll_files (cycle_id, bank, message_id, created_at, count, total, exported_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, cycleID, f.Bank.Code, f.MessageID, tx.ts(f.CreatedAt), f.Count,
					int64(f.Total), tx.nts(exportedAt)).Scan(&id); err != nil {
					return err
				}
				for _, b := range f.Blocks {
					if _, err := tx.ExecContext(ctx, `INSERT INTO payroll_blocks (file_id, seq, pmt_inf_id, programme, count, total)
						VALUES ($1, $2, $3, $4, $5, $6)`, id, b.Seq, b.ID, b.Programme, b.Count, int64(b.Total)); err != nil {
						return err
					}
				}
			}
		}
		out, err = readFiles(ctx, tx, `cycle_id = $1`, cycleID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record bank files of payroll cycle %d: %w", cycleID, err)
	}
	return out, nil
}

// payeeName is a payee's full name as the bank files carry it: last,
// first and patronymic, runs of spaces as one.
func payeeName(first, last, patronymic string) string {
	name := last + " " + first + " " + patronymic
	prev := ' '
	for _, r := range name {
		if unicode.IsSpace(r) && (r != ' ' || prev == ' ') {
			return strings.Join(strings.Fields(name), " ")
		}
		prev = r
	}
	if prev == ' ' {
		return strings.Join(strings.Fields(name), " ")
	}
	return name
}

// NameChangesSeq implements payroll.ExportStore.
func (s *PayrollStore) NameChangesSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM person_name_changes`).Scan(&seq)
	})
	if err != nil {
		return 0, fmt.Errorf("last name change: %w", err)
	}
	return seq, nil
}

// namesBefore returns the full name, as bank files carry it, that each
// person renamed after change seq had before: the name the first of those
// changes replaced (none when nobody was renamed since).
func namesBefore(ctx context.Context, tx *Tx, seq int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := each(ctx, tx, `SELECT c.person_id, c.first_name, c.last_name, c.patronymic FROM person_name_changes c
		WHERE c.id = (SELECT MIN(d.id) FROM person_name_changes d WHERE d.person_id = c.person_id AND d.id > $1)`, []any{seq},
		func(rows *sql.Rows) error {
			var id int64
			var first, last, patronymic string
			if err := rows.Scan(&id, &first, &last, &patronymic); err != nil {
				return err
			}
			out[id] = payeeName(first, last, patronymic)
			return nil
		})
	return out, err
}

// FilePayments implements payroll.ExportStore.
func (s *PayrollStore) FilePayments(ctx context.Context, f *payroll.File, b *payroll.Block,
	fn func(p *dost.Payment, payeeName string) error) error {
	type gone struct {
		p    *dost.Payment
		name string
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		renamed, err := namesBefore(ctx, tx, f.NamesSeq)
		if err != nil {
			return err
		}
		name := func(payee int64, first, last, patronymic string) string {
			if n, ok := renamed[payee]; ok {
				return n
			}
			return payeeName(first, last, patronymic)
		}
		// The payments corrected since the file was written: few, read
		// first, then merged by ID into the file's stream. "<> ''" lets
		// the planner use the partial index payment_events_message.
		var moved []gone
		err = each(ctx, tx, `SELECT e.payment_id, e.iban, e.reference, y.award_id, y.period, y.amount, y.payee_id, p.first_name, p.last_name, p.patronymic
			FROM payment_events e JOIN payments y ON y.id = e.payment_id JOIN persons p ON p.id = y.payee_id
			WHERE e.message_id = $1 AND e.message_id <> '' AND e.status = 'sent' AND y.programme = $2 ORDER BY e.payment_id`,
			[]any{f.MessageID, b.Programme}, func(rows *sql.Rows) error {
				y := &dost.Payment{CycleID: f.CycleID, Bank: f.Bank.Code, Programme: b.Programme}
				var first, last, patronymic string
				if err := rows.Scan(&y.ID, &y.IBAN, &y.Reference, &y.AwardID, &y.Period, &y.Amount, &y.PayeeID, &first, &last, &patronymic); err != nil {
					return err
				}
				moved = append(moved, gone{y, name(y.PayeeID, first, last, patronymic)})
				return nil
			})
		if err != nil {
			return err
		}
		// The file's own: read as the driver returns the values (eachRow),
		// the month parsed once per distinct text.
		y := &dost.Payment{CycleID: f.CycleID, Bank: f.Bank.Code, Programme: b.Programme}
		var monthText string
		err = eachRow(ctx, tx, `SELECT y.id, y.award_id, y.period, y.amount, y.iban, y.reference, p.first_name, p.last_name, p.patronymic,
			y.payee_id FROM payments y JOIN persons p ON p.id = y.payee_id
			WHERE y.cycle_id = $1 AND y.bank = $2 AND y.programme = $3 AND y.status IN `+exportStatuses+` ORDER BY y.id`,
			[]any{f.CycleID, f.Bank.Code, b.Programme}, 10, func(v []any) error {
				var err error
				var amount int64
				var period, first, last, patronymic string
				if y.ID, err = intValue(v[0]); err != nil {
					return err
				}
				if y.AwardID, err = intValue(v[1]); err != nil {
					return err
				}
				if period, err = textValue(v[2]); err != nil {
					return err
				}
				if period != monthText {
					if err := y.Period.Scan(period); err != nil {
						return err
					}
					monthText = period
				}
				if amount, err = intValue(v[3]); err != nil {
					return err
				}
				y.Amount = dost.Money(amount)
				if y.IBAN, err = textValue(v[4]); err != nil {
					return err
				}
				if y.Reference, err = textValue(v[5]); err != nil {
					return err
				}
				if first, err = textValue(v[6]); err != nil {
					return err
				}
				if last, err = textValue(v[7]); err != nil {
					return err
				}
				if patronymic, err = textValue(v[8]); err != nil {
					return err
				}
				if len(renamed) > 0 {
					if y.PayeeID, err = intValue(v[9]); err != nil {
						return err
					}
				}
				for len(moved) > 0 && moved[0].p.ID <= y.ID {
					g := moved[0]
					moved = moved[1:]
					if err := fn(g.p, g.name); err != nil {
						return err
					}
					if g.p.ID == y.ID {
						return nil // its sent step is the file's
					}
				}
				if len(renamed) > 0 {
					return fn(y, name(y.PayeeID, first, last, patronymic))
				}
				return fn(y, payeeName(first, last, patronymic))
			})
		if err != nil {
			return err
		}
		for _, g := range moved {
			if err := fn(g.p, g.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read payments of file %s: %w", f.MessageID, err)
	}
	return nil
}

// sentChunk is how many payment IDs one statement of MarkFilesExported
// covers: one statement over a million payments would keep a statement
// journal (in memory, temp_store) of every page it changes, hundreds of
// megabytes on SQLite.
const sentChunk = 50000

// bulkCacheKiB is the writer's page cache on SQLite, in KiB, while a
// transaction writes a cycle's payments in bulk (MarkFilesExported,
// WriteShard); it is writerCacheKiB otherwise. The dirty pages of the
// payments spill sooner, which keeps preparing or exporting a million
// payments near 100 MB less than with the usual cache, at no cost in time
// measured (BENCHMARKS.md).
const bulkCacheKiB = 16 << 10

// withBulkCache runs fn in a write transaction with the writer's cache at
// bulkCacheKiB on SQLite, and gives the writer its usual cache back after
// (waiting for the writer connection, as the importer's reset does).
func (s *PayrollStore) withBulkCache(ctx context.Context, fn func(tx *Tx) error) error {
	if s.db.dialect != DialectSQLite {
		return s.db.update(ctx, fn)
	}
	defer s.db.write.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = "+strconv.Itoa(-writerCacheKiB))
	return s.db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = "+strconv.Itoa(-bulkCacheKiB)); err != nil {
			return err
		}
		return fn(tx)
	})
}

// MarkFilesExported implements payroll.ExportStore. No event is written
// per payment: the file is their "sent" step (see paymentHistory). When
// the files complete the cycle's export (the usual case: every bank's at
// once), the cycle's pending payments are set sent along the primary
// key, a range of IDs per statement (the "+ 0" and "|| ”" keep the
// planner there), so that each page of payments is written once; else
// each file's payments along payments_cycle_bank (cycle, bank, programme,
// id), a block and a range per statement.
func (s *PayrollStore) MarkFilesExported(ctx context.Context, cycleID int64, marks []payroll.FileMark, actorID int64) ([]*payroll.File, error) {
	for _, m := range marks {
		if !storable(m.SHA256) {
			return nil, dost.Errorf(dost.EINVALID, "The file's digest cannot be stored.")
		}
	}
	var out []*payroll.File
	// A cycle's payments are set sent in one transaction, each page written
	// once, with the bulk cache: an export of a million payments stays
	// under 200 MB.
	err := s.withBulkCache(ctx, func(tx *Tx) error {
		out = nil
		now := tx.ts(tx.now)
		fresh := map[int64]bool{}
		for _, m := range marks {
			res, err := tx.ExecContext(ctx, `UPDATE payroll_files SET exported_at = $1, sha256 = $2, actor_id = $3, names_seq = $4
				WHERE id = $5 AND cycle_id = $6 AND exported_at IS NULL`, now, m.SHA256, actorID, m.NamesSeq, m.ID, cycleID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				fresh[m.ID] = true
			}
		}
		files, err := readFiles(ctx, tx, `cycle_id = $1`, cycleID)
		if err != nil {
			return err
		}
		var want, sent int64
		rest := 0
		for _, f := range files {
			if fresh[f.ID] {
				want += int64(f.Count)
			} else if f.ExportedAt == nil {
				rest++
			}
			if slices.ContainsFunc(marks, func(m payroll.FileMark) bool { return m.ID == f.ID }) {
				out = append(out, f)
			}
		}
		if len(out) != len(marks) {
			return dost.Errorf(dost.ENOTFOUND, "Payroll cycle %d has no such bank file.", cycleID)
		}
		if len(fresh) == 0 {
			return nil // exported already
		}
		// mark runs one chunk's update and counts what it set sent.
		mark := func(q string, a ...any) error {
			res, err := tx.ExecContext(ctx, q, a...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			sent += n
			return err
		}
		if rest == 0 {
			lo, hi, ok, err := cycleIDRange(ctx, tx, cycleID)
			if err != nil {
				return err
			}
			for from := lo; ok && from <= hi; from += sentChunk {
				if err := mark(`UPDATE payments SET status = 'sent', updated_at = $1
					WHERE id >= $2 AND id < $3 AND cycle_id + 0 = $4 AND status || '' = 'pending'`, now, from, from+sentChunk, cycleID); err != nil {
					return err
				}
			}
		} else {
			for _, f := range files {
				if !fresh[f.ID] {
					continue
				}
				for _, b := range f.Blocks {
					var lo, hi sql.NullInt64
					if err := tx.QueryRowContext(ctx, `SELECT MIN(id), MAX(id) FROM payments WHERE cycle_id = $1 AND bank = $2 AND programme = $3`,
						cycleID, f.Bank.Code, b.Programme).Scan(&lo, &hi); err != nil {
						return err
					}
					for from := lo.Int64; lo.Valid && from <= hi.Int64; from += sentChunk {
						if err := mark(`UPDATE payments SET status = 'sent', updated_at = $1
							WHERE cycle_id = $2 AND bank = $3 AND programme = $4 AND id >= $5 AND id < $6 AND status = 'pending'`,
							now, cycleID, f.Bank.Code, b.Programme, from, from+sentChunk); err != nil {
							return err
						}
					}
				}
			}
		}
		if sent != want {
			return dost.Errorf(dost.ECONFLICT, "The files hold %d payments, but %d of those banks' payments were pending: the cycle changed; nothing was marked sent.",
				want, sent)
		}
		_, err = tx.ExecContext(ctx, `UPDATE payroll_cycles SET status = $1, exported_at = $2, updated_at = $2 WHERE id = $3 AND status = 'approved'`,
			dost.CycleExported, now, cycleID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mark bank files of payroll cycle %d exported: %w", cycleID, err)
	}
	return out, nil
}

// PaymentsOfBlock implements payroll.ExportStore.
func (s *PayrollStore) PaymentsOfBlock(ctx context.Context, messageID, pmtInfID string) (*payroll.File, *payroll.Block, []int64, error) {
	if !storable(messageID, pmtInfID) {
		return nil, nil, nil, dost.Errorf(dost.ENOTFOUND, "Bank file %q not found.", messageID)
	}
	var f *payroll.File
	var b *payroll.Block
	var ids []int64
	err := s.db.view(ctx, func(tx *Tx) error {
		f, b, ids = nil, nil, nil
		files, err := readFiles(ctx, tx, `message_id = $1`, messageID)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Bank file %q not found.", messageID)
		}
		f = files[0]
		for _, x := range f.Blocks {
			if x.ID == pmtInfID {
				b = x
			}
		}
		if b == nil {
			return dost.Errorf(dost.ENOTFOUND, "Bank file %s has no payment information block %q.", messageID, pmtInfID)
		}
		return each(ctx, tx, `SELECT id FROM payments WHERE cycle_id = $1 AND bank = $2 AND programme = $3
			AND status IN ('sent', 'paid', 'failed', 'returned') ORDER BY id`, []any{f.CycleID, f.Bank.Code, b.Programme},
			func(rows *sql.Rows) error {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
				return nil
			})
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("payments of block %s: %w", pmtInfID, err)
	}
	return f, b, ids, nil
}

// sentStep returns payment id's "sent" step of its current attempt,
// derived from its bank file, or nil when it has none (not sent, or its
// step is stored: written out on correction, or from before migration
// 00014 when every payment had its own).
func sentStep(ctx context.Context, tx *Tx, id int64) (*dost.PaymentEvent, error) {
	e := &dost.PaymentEvent{PaymentID: id, Status: dost.PaymentSent}
	err := tx.QueryRowContext(ctx, `SELECT y.cycle_id, y.iban, y.reference, f.message_id, f.actor_id, f.exported_at
		FROM payments y JOIN payroll_files f ON f.cycle_id = y.cycle_id AND f.bank = y.bank
		WHERE y.id = $1 AND f.exported_at IS NOT NULL AND y.status IN ('sent', 'paid', 'failed', 'returned')`, id).
		Scan(&e.CycleID, &e.IBAN, &e.Reference, &e.MessageID, &e.ActorID, scanTime(&e.At))
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var stored int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payment_events WHERE payment_id = $1 AND status = 'sent'
		AND id > COALESCE((SELECT MAX(id) FROM payment_events WHERE payment_id = $1 AND status = 'pending'), 0)`, id).Scan(&stored); err != nil {
		return nil, err
	}
	if stored > 0 {
		return nil, nil
	}
	return e, nil
}

// keepSentStep writes out payment id's derived "sent" step (sentStep), if
// it has one, before a correction changes its account, cycle or status.
func keepSentStep(ctx context.Context, tx *Tx, id int64) error {
	e, err := sentStep(ctx, tx, id)
	if err != nil || e == nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO payment_events (payment_id, cycle_id, status, actor_id, iban, reference, message_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, e.CycleID, string(e.Status), e.ActorID, e.IBAN, e.Reference, e.MessageID, tx.ts(e.At))
	return err
}

// paymentHistory completes a payment's stored events (by ID) into its
// history: its "sent" steps stand right after the "pending" step of their
// attempt. The current attempt's is derived from its bank file
// (sentStep); an earlier attempt's was written out, on correction, after
// the bank's "failed" or "returned" step.
func paymentHistory(ctx context.Context, tx *Tx, id int64, events []*dost.PaymentEvent) ([]*dost.PaymentEvent, error) {
	out := make([]*dost.PaymentEvent, 0, len(events)+1)
	lastPending := -1
	for _, e := range events {
		if e.Status == dost.PaymentSent && e.MessageID != "" && lastPending >= 0 && lastPending+1 < len(out) {
			out = append(out[:lastPending+1], append([]*dost.PaymentEvent{e}, out[lastPending+1:]...)...)
			continue
		}
		if e.Status == dost.PaymentPending {
			lastPending = len(out)
		}
		out = append(out, e)
	}
	e, err := sentStep(ctx, tx, id)
	if err != nil || e == nil {
		return out, err
	}
	i := lastPending + 1
	return append(out[:i], append([]*dost.PaymentEvent{e}, out[i:]...)...), nil
}

// PaidBefore implements payroll.ExportStore.
func (s *PayrollStore) PaidBefore(ctx context.Context, awardIDs []int64, from dost.Month) (map[int64]int, error) {
	out := map[int64]int{}
	err := s.db.view(ctx, func(tx *Tx) error {
		clear(out)
		for rest := awardIDs; len(rest) > 0; {
			n := min(500, len(rest))
			a := args{from}
			var in strings.Builder
			for i, id := range rest[:n] {
				if i > 0 {
					in.WriteString(", ")
				}
				in.WriteString(a.add(id))
			}
			rest = rest[n:]
			err := each(ctx, tx, `SELECT award_id, count(*) FROM payments WHERE award_id IN (`+in.String()+`) AND period < $1
				GROUP BY award_id`, a, func(rows *sql.Rows) error {
				var id int64
				var k int
				if err := rows.Scan(&id, &k); err != nil {
					return err
				}
				out[id] = k
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("payments before %s: %w", from, err)
	}
	return out, nil
}

// SetShardBeyondBackPay implements payroll.ExportStore.
func (s *PayrollStore) SetShardBeyondBackPay(ctx context.Context, c *dost.Cycle, sh rulesrun.Shard, months, awards int) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE payroll_shards SET beyond_back_pay = $1, beyond_back_pay_awards = $2
			WHERE cycle_id = $3 AND run = $4 AND kind = $5 AND lo = $6 AND finished_at IS NULL`,
			months, awards, c.ID, c.Run, string(sh.Kind), sh.Lo)
		return err
	})
	if err != nil {
		return fmt.Errorf("record months beyond back pay of shard %s: %w", sh, err)
	}
	return nil
}

// sumBeyondBackPay sets a cycle's months beyond the back-pay window to the
// sums of its run's shards.
func sumBeyondBackPay(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE payroll_cycles SET
		beyond_back_pay = (SELECT COALESCE(SUM(s.beyond_back_pay), 0) FROM payroll_shards s
			WHERE s.cycle_id = payroll_cycles.id AND s.run = payroll_cycles.run),
		beyond_back_pay_awards = (SELECT COALESCE(SUM(s.beyond_back_pay_awards), 0) FROM payroll_shards s
			WHERE s.cycle_id = payroll_cycles.id AND s.run = payroll_cycles.run)
		WHERE id = $1`, id)
	return err
}
