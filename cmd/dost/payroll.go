package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dost-az/dost"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// This file wires the payroll service into `dost serve` and `dost worker`
// (its preparation runs as payroll_prepare and payroll_shard jobs) and
// implements `dost payroll`, the operations scripts' way to prepare,
// approve, export, reconcile and show cycles.

// Demo defaults of the paying agency's account, the debtor of the bank
// files: a valid IBAN at the Central Bank (treasury) code.
const (
	defaultDebtorName = "DOST Agentliyi"
	defaultDebtorIBAN = "AZ39CTRE00000000000000000001"
	defaultDebtorBIC  = "CTREAZ22"
)

// debtorFlags is the paying agency's account, from --payroll-debtor-*
// or DOST_PAYROLL_DEBTOR_{NAME,IBAN,BIC}.
type debtorFlags struct {
	name, iban, bic string
}

// bindFlags adds the --payroll-debtor-* flags.
func (d *debtorFlags) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&d.name, "payroll-debtor-name", envOr("DOST_PAYROLL_DEBTOR_NAME", defaultDebtorName), "name of the paying agency in the payroll's bank files (DOST_PAYROLL_DEBTOR_NAME)")
	fs.StringVar(&d.iban, "payroll-debtor-iban", envOr("DOST_PAYROLL_DEBTOR_IBAN", defaultDebtorIBAN), "IBAN the payroll is paid from (DOST_PAYROLL_DEBTOR_IBAN)")
	fs.StringVar(&d.bic, "payroll-debtor-bic", envOr("DOST_PAYROLL_DEBTOR_BIC", defaultDebtorBIC), "BIC of the paying agency's bank (DOST_PAYROLL_DEBTOR_BIC)")
}

// account returns the debtor account, or an error naming what is wrong.
func (d *debtorFlags) account() (iso20022.Account, error) {
	if d.name == "" && d.iban == "" && d.bic == "" {
		*d = debtorFlags{defaultDebtorName, defaultDebtorIBAN, defaultDebtorBIC}
	}
	if err := dost.ValidateIBAN(d.iban); err != nil {
		return iso20022.Account{}, fmt.Errorf("--payroll-debtor-iban %q: %s", d.iban, dost.ErrorMessage(err))
	}
	if d.name == "" || len(d.bic) != 8 && len(d.bic) != 11 {
		return iso20022.Account{}, fmt.Errorf("--payroll-debtor-name must be set and --payroll-debtor-bic have 8 or 11 characters")
	}
	return iso20022.Account{Name: d.name, IBAN: d.iban, BIC: d.bic}, nil
}

// bindMaxReport adds --payroll-max-report-mb: the largest bank report the
// server's import reads from an upload, in MiB (0: the default, 4 GiB).
func bindMaxReport(fs *flag.FlagSet, mb *int64) {
	def, _ := strconv.ParseInt(envOr("DOST_PAYROLL_MAX_REPORT_MB", "0"), 10, 64)
	fs.Int64Var(mb, "payroll-max-report-mb", def,
		"largest bank report (pain.002, camt.054) an upload may be, in MiB; 0: 4096 (DOST_PAYROLL_MAX_REPORT_MB)")
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// newPayroll returns the payroll service over db. enqueue nil prepares
// cycles in-process.
func newPayroll(db *sqlstore.DB, s *dosthttp.Server, debtor iso20022.Account,
	enqueue func(ctx context.Context, cycleID int64, run int) error, logger *slog.Logger) (*payroll.Service, error) {
	rs := s.RuleSet
	if rs == nil {
		var err error
		if rs, err = az.RuleSet(); err != nil {
			return nil, fmt.Errorf("load rules: %w", err)
		}
	}
	cfg := payroll.Config{
		Store: sqlstore.NewPayrollStore(db), Persons: sqlstore.NewPersonService(db), Population: sqlstore.NewPopulationStore(db),
		RuleSet: rs, Programmes: az.Programmes(), Enqueue: enqueue, Debtor: debtor, Clock: db.Clock(), Logger: logger,
		ShardSize: envInt("DOST_PAYROLL_SHARD_SIZE", 0), // persons per shard of the cycles this process plans; 0: payroll.DefaultShardSize
	}
	return payroll.New(cfg)
}

// wirePayroll gives s the payroll service (m.Payroll), whose preparation
// the job runner started later runs (startJobs sets jobs.Config.Payroll):
// the service enqueues through the runner and the runner's jobs call the
// service.
func (m *Main) wirePayroll(s *dosthttp.Server) error {
	debtor, err := m.payrollDebtor.account()
	if err != nil {
		return err
	}
	enqueue := func(ctx context.Context, cycleID int64, run int) error {
		r := m.jobs.runner
		if r == nil {
			return errors.New("the job runner is not started")
		}
		return r.EnqueuePayroll(ctx, cycleID, run)
	}
	svc, err := newPayroll(m.DB, s, debtor, enqueue, m.logger)
	if err != nil {
		return err
	}
	m.Payroll = svc
	s.Payroll = svc
	if m.payrollMaxReportMB < 0 {
		return fmt.Errorf("--payroll-max-report-mb %d: want 0 (the default) or more", m.payrollMaxReportMB)
	}
	s.MaxStatusFileBytes = m.payrollMaxReportMB << 20
	if m.Proactive != nil {
		m.Proactive.SetWithdrawals(svc) // the withdrawal feed: payment_withdrawn events
	}
	return nil
}

const payrollUsage = `usage:
  dost payroll prepare --programme P --period 2026-11 [--wait | --local] --as USER
  dost payroll approve --cycle N --run R --as USER   (R: the run "dost payroll show" printed)
  dost payroll reject --cycle N --as USER --reason TEXT
  dost payroll export --cycle N --out DIR [--bank CODE] [--as USER]
  dost payroll reconcile --cycle N --file F [--kind pain.002|camt.054] [--as USER]
  dost payroll show --cycle N`

// runPayroll handles "dost payroll".
func runPayroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(payrollUsage)
	}
	cmd := args[0]
	c := DefaultConfig()
	fs := newFlagSet("dost payroll "+cmd, stderr)
	c.bindDatabase(fs)
	var debtor debtorFlags
	debtor.bindFlags(fs)
	var (
		programme, period, as, out, file, kind, reason string
		bank                                           string
		cycleID                                        int64
		run                                            int
		wait, local, quiet                             bool
	)
	var cpuProfile string // reconcile
	fs.StringVar(&as, "as", "", "username of the payroll staff member acting (prepare, approve, reject: required; else: dost itself)")
	fs.Int64Var(&cycleID, "cycle", 0, "ID of the payroll cycle")
	switch cmd {
	case "prepare":
		fs.StringVar(&programme, "programme", "", "programme code; empty: every programme")
		fs.StringVar(&period, "period", "", "month to pay, YYYY-MM")
		fs.BoolVar(&wait, "wait", false, "wait until the nodes working jobs have prepared the cycle")
		fs.BoolVar(&local, "local", false, "prepare in this process, without the job queue")
		fs.BoolVar(&quiet, "quiet", false, "no progress output")
	case "reject":
		fs.StringVar(&reason, "reason", "", "why the cycle is returned for correction")
	case "export":
		fs.StringVar(&out, "out", "", "directory to write the bank files to")
		fs.StringVar(&bank, "bank", "", "export only this bank's file (4-letter code); only its payments are marked sent")
	case "reconcile":
		fs.StringVar(&file, "file", "", "the bank's report: a pain.002 or camt.054 file")
		fs.StringVar(&kind, "kind", "", "pain.002 or camt.054 (default: told by the file's root element)")
		fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the import to this file")
	case "approve":
		fs.IntVar(&run, "run", 0, "the cycle's run (preparation) you reviewed, as dost payroll show prints it")
	case "show":
	default:
		return fmt.Errorf("dost payroll: unknown command %q\n%s", cmd, payrollUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dost payroll %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	if cmd != "prepare" && cycleID <= 0 {
		return fmt.Errorf("dost payroll %s: --cycle is required", cmd)
	}
	// Four eyes need the preparer's name: a cycle prepared by nobody in
	// particular could be approved by the person who prepared it.
	if cmd == "prepare" && as == "" {
		return errors.New("dost payroll prepare: --as is required: the payroll officer who prepares the cycle (another one approves it)")
	}
	acct, err := debtor.account()
	if err != nil {
		return fmt.Errorf("dost payroll %s: %w", cmd, err)
	}
	logger := c.logger(stderr)
	db, err := c.openDB(ctx, logger, false)
	if err != nil {
		return err
	}
	defer db.Close()
	var enqueue func(context.Context, int64, int) error
	if cmd == "prepare" && !local {
		r, err := jobs.New(ctx, jobs.Config{DB: db.WriterDB(), Dialect: db.Dialect(), Clock: db.Clock(), Logger: logger, InsertOnly: true})
		if err != nil {
			return err
		}
		enqueue = r.EnqueuePayroll
	}
	svc, err := newPayroll(db, dosthttp.NewServer(), acct, enqueue, logger)
	if err != nil {
		return err
	}
	if as != "" {
		u, err := sqlstore.NewUserService(db).FindUserByUsername(ctx, as)
		if err != nil {
			return fmt.Errorf("dost payroll %s: --as %q: %s", cmd, as, dost.ErrorMessage(err))
		}
		ctx = dost.NewContextWithUser(ctx, u)
	}
	fail := func(err error) error { return payrollError(cmd, err, stderr) }

	switch cmd {
	case "prepare":
		p, err := dost.ParseMonth(period)
		if err != nil {
			return fmt.Errorf("dost payroll prepare: --period %q is not a month YYYY-MM", period)
		}
		if wait && local {
			return errors.New("dost payroll prepare: --wait is for the job queue; --local always waits")
		}
		start := time.Now()
		cy, err := svc.PrepareCycle(ctx, programme, p)
		if err != nil {
			return fail(err)
		}
		if !local && cy.Status == dost.CyclePreparing {
			fmt.Fprintf(stdout, "payroll cycle %d (%s) is preparing, run %d, by the nodes that work jobs\n", cy.ID, cy.Period, cy.Run)
			if !wait {
				return nil
			}
			if cy, err = waitCycle(ctx, svc, cy.ID, stderr, quiet); err != nil {
				return err
			}
		}
		printCycle(stdout, cy)
		fmt.Fprintf(stdout, "time %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	case "approve":
		if as == "" {
			return errors.New("dost payroll approve: --as USER is required: a cycle is approved by a person with the payroll role who did not prepare it")
		}
		if run <= 0 {
			return errors.New("dost payroll approve: --run R is required: the run of the cycle you reviewed (dost payroll show --cycle N prints it)")
		}
		cy, err := svc.ApproveCycle(ctx, cycleID, run)
		if err != nil {
			return fail(err)
		}
		printCycle(stdout, cy)
		return nil
	case "reject":
		cy, err := svc.RejectCycle(ctx, cycleID, reason)
		if err != nil {
			return fail(err)
		}
		printCycle(stdout, cy)
		return nil
	case "export":
		if out == "" {
			return errors.New("dost payroll export: --out DIR is required")
		}
		files, err := exportCycle(ctx, svc, cycleID, strings.ToUpper(bank), out)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "bank\tfile\tpayments\ttotal (AZN)")
		for _, f := range files {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", f.Bank.Code, filepath.Join(out, f.MessageID+".xml"), f.Count, f.Total)
		}
		return tw.Flush()
	case "reconcile":
		if file == "" {
			return errors.New("dost payroll reconcile: --file F is required")
		}
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		imp, err := reconcileFile(ctx, svc, cycleID, file, dost.StatusImportKind(kind))
		stop()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "import %d of %s %s (message %s) into cycle %d: %d entries — %d paid, %d failed, %d returned, %d pending, %d repeated, %d of other cycles\n",
			imp.ID, imp.Kind, filepath.Base(file), imp.MessageID, imp.CycleID, imp.Entries, imp.Paid, imp.Failed, imp.Returned, imp.Pending,
			imp.Repeated, imp.OtherCycles)
		const notes = 20
		for _, p := range imp.Problems[:min(notes, len(imp.Problems))] {
			fmt.Fprintf(stdout, "  %s %s: %s\n", p.Code, p.Reference, p.Message)
		}
		if n := len(imp.Problems) - notes; n > 0 {
			fmt.Fprintf(stdout, "  … and %d more notes (dost payroll show, or the cycle's page)\n", n)
		}
		cy, err := svc.FindCycleByID(ctx, cycleID)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "cycle %d is %s\n", cy.ID, cy.Status)
		return nil
	case "show":
		cy, err := svc.FindCycleByID(ctx, cycleID)
		if err != nil {
			return fail(err)
		}
		printCycle(stdout, cy)
		imports, err := svc.FindStatusImports(ctx, cycleID)
		if err != nil {
			return fail(err)
		}
		if len(imports) > 0 {
			fmt.Fprintln(stdout)
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "import\tkind\tmessage\tentries\tpaid\tfailed\treturned\tpending\trepeated\tother cycles\tat")
			for _, imp := range imports {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", imp.ID, imp.Kind, imp.MessageID, imp.Entries, imp.Paid,
					imp.Failed, imp.Returned, imp.Pending, imp.Repeated, imp.OtherCycles, imp.At.Format(time.RFC3339))
			}
			tw.Flush()
		}
		for _, st := range []dost.PaymentStatus{dost.PaymentHeld, dost.PaymentFailed, dost.PaymentReturned} {
			_, n, err := svc.FindPayments(ctx, dost.PaymentFilter{CycleID: cycleID, Statuses: []dost.PaymentStatus{st}, Limit: 1})
			if err != nil {
				return fail(err)
			}
			if n > 0 {
				fmt.Fprintf(stdout, "%d payments %s (correction list)\n", n, st)
			}
		}
		return nil
	}
	return nil
}

// payrollError turns a service error into the command's error: the
// message of a dost error (with its problems or field errors listed on
// stderr), or the error itself.
func payrollError(cmd string, err error, stderr io.Writer) error {
	var ie *payroll.ImportError
	if errors.As(err, &ie) {
		for _, p := range ie.Problems {
			if p.Reference != "" {
				fmt.Fprintf(stderr, "  %s: %s (%s)\n", p.Reference, p.Message, p.Code)
			} else {
				fmt.Fprintf(stderr, "  %s (%s)\n", p.Message, p.Code)
			}
		}
	} else {
		for _, f := range dost.ErrorFields(err) {
			fmt.Fprintf(stderr, "  %s: %s\n", f.Field, f.Message)
		}
	}
	if dost.ErrorCode(err) == dost.EINTERNAL {
		return fmt.Errorf("dost payroll %s: %w", cmd, err)
	}
	return fmt.Errorf("dost payroll %s: %s (%s)", cmd, dost.ErrorMessage(err), dost.ErrorCode(err))
}

// waitCycle follows a cycle until its preparation ends.
func waitCycle(ctx context.Context, svc *payroll.Service, id int64, stderr io.Writer, quiet bool) (*dost.Cycle, error) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	waited, hinted, last := time.Now(), false, -1
	for {
		cy, err := svc.FindCycleByID(ctx, id)
		if err != nil {
			return nil, err
		}
		switch {
		case cy.Status != dost.CyclePreparing:
			return cy, nil
		case cy.Error != "":
			return nil, fmt.Errorf("preparing payroll cycle %d failed: %s (prepare it again to retry)", id, cy.Error)
		}
		if !quiet && cy.ShardsDone != last && cy.ShardsTotal > 0 {
			fmt.Fprintf(stderr, "cycle %d: %d of %d shards prepared\n", id, cy.ShardsDone, cy.ShardsTotal)
			last = cy.ShardsDone
		}
		if !hinted && cy.ShardsTotal == 0 && time.Since(waited) > 10*time.Second {
			fmt.Fprintln(stderr, "no node has started the preparation yet: is one working jobs (dost serve, dost worker)?")
			hinted = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

// exportCycle writes a cycle's bank files into dir, one per bank named
// after its message ID. Each is written to a temporary file in dir and
// renamed only when every file is complete and the export recorded: an
// export that fails leaves no file behind.
func exportCycle(ctx context.Context, svc *payroll.Service, id int64, bank, dir string) ([]*dost.ExportFile, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var temps []*os.File
	names := map[*os.File]string{}
	defer func() {
		for _, f := range temps {
			os.Remove(f.Name()) // a no-op once renamed
		}
	}()
	open := func(b *dost.Bank) (io.WriteCloser, error) {
		f, err := os.CreateTemp(dir, ".export-*.tmp")
		if err != nil {
			return nil, err
		}
		temps = append(temps, f)
		names[f] = filepath.Join(dir, payroll.MessageID(id, b.Code)+".xml")
		return &syncFile{File: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
	}
	var files []*dost.ExportFile
	if bank != "" {
		// The file is flushed and synced (closed) before its payments are
		// marked sent.
		f, err := svc.ExportBankFileTo(ctx, id, bank, open)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	} else {
		var err error
		if files, err = svc.ExportCycle(ctx, id, open); err != nil {
			return nil, err
		}
	}
	for _, f := range temps {
		if err := os.Rename(f.Name(), names[f]); err != nil {
			return nil, fmt.Errorf("export cycle %d: %w", id, err)
		}
	}
	return files, nil
}

// syncFile is a buffered file flushed and synced to disk on Close.
type syncFile struct {
	*os.File
	w *bufio.Writer
}

func (f *syncFile) Write(p []byte) (int, error) { return f.w.Write(p) }

func (f *syncFile) Close() error {
	return errors.Join(f.w.Flush(), f.File.Sync(), f.File.Close())
}

// reconcileFile imports the bank report in path into a cycle; kind ""
// is told from the file's first bytes.
func reconcileFile(ctx context.Context, svc *payroll.Service, id int64, path string, kind dost.StatusImportKind) (*dost.StatusImport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if kind == "" {
		head, _ := br.Peek(4096)
		var ok bool
		if kind, ok = payroll.GuessKind(head); !ok {
			return nil, dost.FieldErr("kind", "kind.unknown", "%s is neither a pain.002 nor a camt.054 report; give --kind.", path)
		}
	}
	return svc.ImportStatus(ctx, id, kind, br)
}

// printCycle prints a cycle's status and control sums.
func printCycle(w io.Writer, c *dost.Cycle) {
	programme := c.Programme
	if programme == "" {
		programme = "every programme"
	}
	fmt.Fprintf(w, "payroll cycle %d: %s, %s — %s (run %d)\n", c.ID, programme, c.Period, c.Status, c.Run)
	fmt.Fprintf(w, "  %d payments, %s AZN (arrears: %d, %s AZN); held %d; for review %d\n", c.Count, c.Total,
		c.ArrearsCount, c.ArrearsTotal, c.Held, c.Review)
	if c.BeyondBackPay > 0 {
		fmt.Fprintf(w, "  %d months owed before the back-pay limit, of %d awards: not paid (for review)\n", c.BeyondBackPay, c.BeyondBackPayAwards)
	}
	if c.PreparedBy != 0 {
		fmt.Fprintf(w, "  prepared by user %d\n", c.PreparedBy)
	}
	if c.ApprovedAt != nil {
		fmt.Fprintf(w, "  approved by user %d at %s\n", c.ApprovedBy, c.ApprovedAt.Format(time.RFC3339))
	}
	if c.RejectedAt != nil {
		fmt.Fprintf(w, "  rejected by user %d at %s: %s\n", c.RejectedBy, c.RejectedAt.Format(time.RFC3339), c.RejectReason)
	}
	if c.ExportedAt != nil {
		fmt.Fprintf(w, "  exported at %s\n", c.ExportedAt.Format(time.RFC3339))
	}
	if c.Error != "" {
		fmt.Fprintf(w, "  preparation failed: %s\n", c.Error)
	}
}
