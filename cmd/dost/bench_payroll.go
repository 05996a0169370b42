package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/nodeproc"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/synth"
)

// benchPayroll measures a payroll cycle end to end on a fresh SQLite
// database (or the PostgreSQL database of --database, with keep: the
// registry and awards stay there and are reused when it has awards): a registry of persons, awards inserted directly (the monthly
// awards the rules find for the registry, topped up with one-off awards
// to the number asked), then the cycle prepared (shards at once, as the
// jobs of one node), approved, exported (one pain.001 per bank) and
// reconciled with one camt.054 notification booking every payment. Each
// step prints its time and the process's peak resident memory during it
// (VmHWM, reset before the step through /proc/self/clear_refs).
//
// With keep, the database is keep/payroll.db and stays: a second run
// reuses its registry and awards (forgetting its cycles), and the run
// stops after the approval, so that the export and the reconciliation
// can be measured each in a process of its own (dost payroll export,
// reconcile under /usr/bin/time -v).
func benchPayroll(ctx context.Context, c Config, tmp string, persons, awards, workers int, keep string, stdout, stderr io.Writer) error {
	postgres := strings.Contains(c.Database, "://")
	if postgres && keep == "" {
		return errors.New("dost bench payroll: on PostgreSQL give --payroll-keep (the database is --database's and stays)")
	}
	reuse := false
	if keep != "" && !postgres {
		if err := os.MkdirAll(keep, 0o750); err != nil {
			return err
		}
		c.Database = filepath.Join(keep, "payroll.db")
		_, err := os.Stat(c.Database)
		reuse = err == nil
	}
	db, err := benchDB(ctx, c, tmp, "payroll", stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	if postgres { // the registry and awards of an earlier run stay
		var n int
		if err := db.WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM awards`).Scan(&n); err != nil {
			return err
		}
		reuse = n > 0
	}
	now := time.Now()
	period := dost.MonthOf(dost.DateOf(now.In(dost.Baku)))
	fmt.Fprintf(stdout, "payroll: %d persons, %d awards wanted, period %s, %d workers, load average %s\n", persons, awards, period,
		workers, nodeproc.LoadAverage())

	if reuse {
		// Forgetting the last run's million payments with the writer's
		// usual cache would set the process's peak memory before the
		// preparation measured: SQLite's cache memory is kept once grown.
		small := db.Dialect() == sqlstore.DialectSQLite
		if small {
			if _, err := db.WriterDB().ExecContext(ctx, `PRAGMA cache_size = -4096`); err != nil {
				return err
			}
		}
		for _, q := range []string{`DELETE FROM payment_events`, `DELETE FROM status_imports`, `DELETE FROM payment_withdrawals`, `DELETE FROM payroll_blocks`,
			`DELETE FROM payroll_files`, `DELETE FROM payments`,
			`DELETE FROM payroll_shards`, `DELETE FROM payroll_cycles`} {
			if _, err := db.WriterDB().ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if small {
			if _, err := db.WriterDB().ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "  registry and awards of %s reused, its cycles deleted\n", c.Database)
	} else {
		start := time.Now()
		if _, _, err := genIntoDB(ctx, sqlstore.NewRegistryImporter(db), synth.Options{Persons: persons, Seed: 6, Today: period.First()},
			func(int) {}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  registry: %d persons generated into the database in %s\n", persons, time.Since(start).Round(time.Millisecond))
		start = time.Now()
		monthly, oneOff, err := payrollFixture(ctx, db, period, awards, workers)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  awards: %d monthly (the rules' right for %s), %d one-off, inserted in %s\n", monthly, period, oneOff,
			time.Since(start).Round(time.Millisecond))
	}
	var start time.Time

	rs, err := az.RuleSet()
	if err != nil {
		return err
	}
	debtor := iso20022.Account{Name: defaultDebtorName, IBAN: defaultDebtorIBAN, BIC: defaultDebtorBIC}
	noop := func(context.Context, int64, int) error { return nil } // the bench runs the shards itself
	svc, err := payroll.New(payroll.Config{Store: sqlstore.NewPayrollStore(db), Persons: sqlstore.NewPersonService(db),
		Population: sqlstore.NewPopulationStore(db), RuleSet: rs, Programmes: az.Programmes(), Enqueue: noop, Debtor: debtor,
		Clock: db.Clock()})
	if err != nil {
		return err
	}

	// Prepare.
	freshPeak()
	start = time.Now()
	cy, err := svc.PrepareCycle(ctx, "", period)
	if err != nil {
		return err
	}
	shards, err := svc.PlanCycle(ctx, cy.ID, cy.Run)
	if err != nil {
		return err
	}
	if err := eachShard(ctx, shards, workers, func(sh rulesrun.Shard) error {
		_, err := svc.PrepareShard(ctx, cy.ID, cy.Run, sh)
		return err
	}); err != nil {
		return err
	}
	if cy, err = svc.FindCycleByID(ctx, cy.ID); err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(stdout, "  prepare: %d payments (%s AZN), %d held, %d for review, %d shards, in %s (%.0f payments/s); peak RSS %s\n",
		cy.Count, cy.Total, cy.Held, cy.Review, len(shards), el.Round(time.Millisecond), float64(cy.Count+cy.Held)/el.Seconds(), peakRSS())
	if cy.Status != dost.CyclePrepared {
		return fmt.Errorf("cycle %d is %s after preparing: %s", cy.ID, cy.Status, cy.Error)
	}
	staff := dost.NewContextWithUser(ctx, &dost.User{ID: 1, Username: "bench", Roles: []dost.Role{dost.RolePayroll}})
	if _, err := svc.ApproveCycle(staff, cy.ID, cy.Run); err != nil {
		return err
	}
	if keep != "" {
		report := filepath.Join(keep, "camt054.xml")
		n, err := writeNotification(ctx, db, cy.ID, report, debtor.IBAN, period.First())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  cycle %d approved, its camt.054 (%d entries) written; go on in processes of their own:\n"+
			"    /usr/bin/time -v dost payroll export --database %s --cycle %d --out %s/export\n"+
			"    /usr/bin/time -v dost payroll reconcile --database %s --cycle %d --file %s\n",
			cy.ID, n, c.Database, cy.ID, keep, c.Database, cy.ID, report)
		return nil
	}

	// Export.
	dir := filepath.Join(tmp, "export")
	freshPeak()
	start = time.Now()
	files, err := exportCycle(ctx, svc, cy.ID, "", dir)
	if err != nil {
		return err
	}
	el = time.Since(start)
	var size int64
	for _, f := range files {
		if st, err := os.Stat(filepath.Join(dir, f.MessageID+".xml")); err == nil {
			size += st.Size()
		}
	}
	fmt.Fprintf(stdout, "  export: %d pain.001 files, %d payments, %d MB, in %s (%.0f payments/s); peak RSS %s\n", len(files), cy.Count,
		size>>20, el.Round(time.Millisecond), float64(cy.Count)/el.Seconds(), peakRSS())

	// Reconcile: one camt.054 booking every payment of every file.
	report := filepath.Join(tmp, "camt054.xml")
	n, err := writeNotification(ctx, db, cy.ID, report, debtor.IBAN, period.First())
	if err != nil {
		return err
	}
	freshPeak()
	start = time.Now()
	imp, err := reconcileFile(staff, svc, cy.ID, report, "")
	if err != nil {
		return err
	}
	el = time.Since(start)
	if cy, err = svc.FindCycleByID(ctx, cy.ID); err != nil {
		return err
	}
	st, _ := os.Stat(report)
	fmt.Fprintf(stdout, "  reconcile: camt.054 of %d entries (%d MB): %d paid, cycle %s, in %s (%.0f entries/s); peak RSS %s\n", n,
		st.Size()>>20, imp.Paid, cy.Status, el.Round(time.Millisecond), float64(n)/el.Seconds(), peakRSS())
	return nil
}

// monthlyPersonProgrammes are the monthly programmes of one person whose
// rights the fixture asks the rules for.
var monthlyPersonProgrammes = []string{"old_age_pension", "disability_allowance", "disability_stipend", "unemployment_benefit"}

// payrollFixture inserts the awards of the benchmark: every monthly
// person award the rules give for period (like a first scan would), then
// one-off awards (birth_allowance, 500 AZN) of further persons until
// there are want awards.
func payrollFixture(ctx context.Context, db *sqlstore.DB, period dost.Month, want, workers int) (monthly, oneOff int, err error) {
	rs, err := az.RuleSet()
	if err != nil {
		return 0, 0, err
	}
	progs := map[string]dost.Programme{}
	var vars []string
	for _, p := range az.Programmes() {
		for _, code := range monthlyPersonProgrammes {
			if p.Code == code {
				progs[code] = p
				vars = append(vars, p.Amount)
				if p.Eligible != "" {
					vars = append(vars, p.Eligible)
				}
			}
		}
	}
	pop := sqlstore.NewPopulationStore(db)
	shards, err := pop.PlanShards(ctx, rulesrun.DefaultShardSize)
	if err != nil {
		return 0, 0, err
	}
	rp := rules.MonthOf(period.Year, period.Month)
	type right struct {
		person int64
		prog   string
		amount int64
	}
	var mu sync.Mutex
	var rights []right
	err = eachShard(ctx, shards, workers, func(sh rulesrun.Shard) error {
		data, err := pop.ReadShard(ctx, sh, rulesrun.WindowOf(rp))
		if err != nil {
			return err
		}
		res, err := rulesrun.Compute(rs, rp, vars, data)
		if err != nil {
			return err
		}
		eligible := map[string]map[int64]bool{}
		for _, r := range res.Results {
			if eligible[r.Variable] == nil {
				eligible[r.Variable] = map[int64]bool{}
			}
			eligible[r.Variable][r.PersonID] = true
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range res.Results {
			for code, p := range progs {
				if r.Variable == p.Amount && r.Value > 0 && (p.Eligible == "" || eligible[p.Eligible][r.PersonID]) {
					rights = append(rights, right{r.PersonID, code, r.Value})
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if len(rights) > want {
		rights = rights[:want]
	}
	conn, err := db.WriterDB().Conn(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	// The awards name no application or decision: a fixture, not casework.
	// (On PostgreSQL, replica mode skips the foreign keys' triggers: a
	// superuser's session.)
	off, on := `PRAGMA foreign_keys = OFF`, `PRAGMA foreign_keys = ON`
	if db.Dialect() == sqlstore.DialectPostgres {
		off, on = `SET session_replication_role = replica`, `SET session_replication_role = DEFAULT`
	}
	if _, err := conn.ExecContext(ctx, off); err != nil {
		return 0, 0, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), on)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback()
	ts := time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z")
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO awards (programme, service_code, person_id, household_id, payee_id, kind, amount,
		period, starts_on, status, decision_id, application_id, created_at, updated_at)
		VALUES ($1, $2, $3, 0, $3, 'monthly', $4, $5, $6, 'active', 0, 0, $7, $7)`)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range rights {
		if _, err := stmt.ExecContext(ctx, r.prog, progs[r.prog].ServiceCode, r.person, r.amount, period.String(),
			period.First().String(), ts); err != nil {
			return 0, 0, err
		}
	}
	monthly = len(rights)
	if rest := want - monthly; rest > 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO awards (programme, service_code, person_id, household_id, payee_id, kind, amount,
			period, starts_on, status, decision_id, application_id, created_at, updated_at)
			SELECT 'birth_allowance', '05-02-01-00', id, 0, id, 'one_off', 50000, $1, $2, 'active', 0, 0, $3, $3
			FROM persons WHERE death_date IS NULL AND iban <> '' ORDER BY id DESC LIMIT $4`, period.String(), period.First().String(), ts, rest)
		if err != nil {
			return 0, 0, err
		}
		n, _ := res.RowsAffected()
		oneOff = int(n)
	}
	return monthly, oneOff, tx.Commit()
}

// eachShard runs fn on every shard, workers at once; the first error
// stops it.
func eachShard(ctx context.Context, shards []rulesrun.Shard, workers int, fn func(rulesrun.Shard) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(shards))) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(shards) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				if err := fn(shards[i]); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// writeNotification writes a camt.054.001.08 notification of the debtor's
// account to path: one booked debit entry per payment of the cycle's bank
// files (read from the database), and returns the number of entries.
func writeNotification(ctx context.Context, db *sqlstore.DB, cycleID int64, path, debtorIBAN string, booked dost.Date) (int, error) {
	out, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	w := bufio.NewWriterSize(out, 1<<16)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>BENCH-NTF-1</MsgId><CreDtTm>%sT18:00:00+04:00</CreDtTm></GrpHdr>
<Ntfctn><Id>BENCH-NTF-1-1</Id><Acct><Id><IBAN>%s</IBAN></Id></Acct>
`, booked, debtorIBAN)
	rows, err := db.WriterDB().QueryContext(ctx, `SELECT reference, amount, bank FROM payments
		WHERE cycle_id = $1 AND status IN ('pending', 'sent') ORDER BY id`, cycleID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var ref, bank string
		var amount dost.Money
		if err := rows.Scan(&ref, &amount, &bank); err != nil {
			return 0, err
		}
		fmt.Fprintf(w, `<Ntry><Amt Ccy="AZN">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>%s</Dt></BookgDt><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs><MsgId>%s</MsgId><EndToEndId>%s</EndToEndId></Refs><Amt Ccy="AZN">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls></Ntry>
`, amount, booked, payroll.MessageID(cycleID, bank), ref, amount)
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	w.WriteString("</Ntfctn>\n</BkToCstmrDbtCdtNtfctn>\n</Document>\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return n, out.Close()
}

// freshPeak returns what it can of the Go heap to the system and resets
// the peak resident memory, so that the next step's peak is its own.
func freshPeak() {
	debug.FreeOSMemory()
	resetPeak()
}

// resetPeak resets the process's peak resident memory (VmHWM), where the
// kernel allows it.
func resetPeak() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak resident memory since resetPeak, or
// "?" where /proc has none.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if kb, err := strconv.Atoi(f[0]); err == nil {
				return fmt.Sprintf("%d MB", kb>>10)
			}
		}
	}
	return "?"
}
