// Package payroll pays the awards: monthly payroll cycles prepared from
// the active awards with the amounts the rules give for the month, four
// eyes on approval, the correction list and the payments' history. It
// implements dost.PayrollService over a Store (sqlstore.PayrollStore).
//
// # Preparing a cycle
//
// A cycle is one programme ("" for all) and one month. Preparing it is
// sharded like the proactive scan: the registry is split into rulesrun's
// shards (household-ID ranges, then persons in no household), and each
// shard is prepared on its own (PrepareShard), as one River job per shard
// on every node (package jobs: payroll_prepare plans, payroll_shard
// prepares) or one after the other in-process (Prepare). A shard reads
// its awards (Store.ShardAwards) and its registry records
// (rulesrun.Store.ReadShard), computes every programme's Amount (and
// Eligible) variable with the rules for the month, and writes its
// payments in one transaction (Store.WriteShard) with multi-row inserts:
// a shard job that died half-way wrote nothing and is run again, and of
// two nodes preparing one shard the second finds it done, so every
// payment is made once (the unique (award, period) is the last line). The shard that completes the cycle computes its control
// sums from the payments and sets it prepared.
//
// What a shard pays, per award:
//
//   - A monthly award is paid for every month from the later of its first
//     month and the cycle's month less the programme's BackPayMonths (no
//     limit when negative) to the cycle's month, in which it is in force
//     (an ended award up to its end) and which has no payment yet: the
//     cycle's month, and arrears for the months before (a first cycle, a
//     month the award was not in any cycle). The amount is the rules' for
//     that month, computed over the whole shard once per month needed;
//     in a month the award starts or ends inside, pro rata by days in
//     force: amount × days ÷ days in the month, rounded half up to the
//     qəpik.
//   - A one-off award is paid once, for its Period, its own Amount (not
//     recomputed), when that month is within the same window.
//   - Nothing is paid for a suspended award; nor for a month at whose
//     start the beneficiary (or every member of a beneficiary household)
//     or the payee was not alive; nor when the rules now find no right or
//     a zero amount for an active award. Such awards are counted in the
//     cycle's Review (once per award and preparation), for a case worker,
//     rather than held: there is no amount dost could stand behind.
//   - A payee with no IBAN, an IBAN that fails its check digits or one of
//     a bank not in the banks table is paid nothing yet: the payment is
//     held (reason codes no_iban, iban.invalid, bank.unknown), counted in
//     the cycle's Held and put on the correction list.
//   - Corrected payments of earlier months (CorrectPayment) join the next
//     cycle prepared: same payment, status pending, one more attempt, a
//     new reference, counted in arrears.
//
// A payment's reference (its end-to-end ID in bank files) is
// "DOST-<award>-<YYYYMM>", with "-A<n>" appended for its n-th attempt.
//
// # Bank files
//
// ExportCycle writes an approved cycle's pain.001.001.09 files, one per
// bank (message ID "DOST-<cycle>-<bank>"), ExportBankFile one of them,
// streamed from the store through package iso20022. The files are fixed
// at the cycle's first export (ExportStore): each bank's message ID,
// creation time (the approval), totals and payment information blocks
// ("<message ID>-<n>", one programme each), so that a bank's status for a
// block names the same programme and payments however the cycle changes
// after, and exporting a file again writes the same bytes (its SHA-256 is
// kept and checked). A file's first export marks its bank's payments
// sent in bulk, no event per payment: the file is their "sent" step,
// which a payment's history derives from it (the account, reference and
// file the money went out with). Correcting a failed payment writes that
// step out before the payment takes its new account; the corrected
// payment is paid by the next cycle prepared, never added to a file.
// The banks' reports (pain.002 status reports, camt.054 notifications)
// are read back by ImportStatus: checked whole first, applied all at once
// or not at all (see ImportStatus).
//
// # Approval
//
// ApproveCycle names the run (preparation) the approver reviewed: a cycle
// prepared again since is not approved (ECONFLICT), so nobody approves
// totals they have not seen.
//
// # Months beyond the back-pay window
//
// What an award is owed before its programme's back-pay window is not
// paid, but counted on the cycle (BeyondBackPay, BeyondBackPayAwards; see
// beyondBackPay) and shown on its review, so that nobody is forgotten
// unnoticed.
//
// # Who may do what
//
// The acting user comes from the context (dost.UserFromContext); nil is
// dost itself (a schedule, the command line). Preparing, rejecting and
// correcting need the payroll role (or no user); approving needs a user
// with the payroll role other than the one who prepared the cycle
// (EFORBIDDEN otherwise). Staff read cycles and payments; a citizen reads
// only payments to themselves (others are ENOTFOUND) and no cycle
// (EFORBIDDEN).
package payroll

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// DefaultShardSize is about how many persons a payroll shard holds when
// Config.ShardSize is 0: smaller than a rules run's (rulesrun.
// DefaultShardSize), because a shard's awards, months and payments are in
// memory while it is prepared, two or more at once. Measured on a million
// payments: 20,000 prepares in 20.6 s at a 159 MB peak, 50,000 in 22 s at
// 255–261 MB (BENCHMARKS.md).
const DefaultShardSize = 20_000

// Config is what a Service needs. Store, Persons, Population, RuleSet
// and Programmes are required.
type Config struct {
	Store   Store
	Persons dost.PersonService
	// Population reads the registry for the rules (sqlstore.PopulationStore).
	Population rulesrun.Store
	// RuleSet computes the amounts (az.RuleSet()); Programmes are the
	// benefits paid (az.Programmes()).
	RuleSet    *rules.RuleSet
	Programmes []dost.Programme
	// Enqueue starts the background preparation of run of a cycle
	// (jobs.Runner.EnqueuePayroll); it must be idempotent per cycle and
	// run. Nil: PrepareCycle prepares every shard itself before it
	// returns.
	Enqueue func(ctx context.Context, cycleID int64, run int) error
	// Debtor is the paying agency's account, the debtor of the bank files
	// (needed by ExportCycle only).
	Debtor iso20022.Account
	// ShardSize is about how many persons a shard holds (0:
	// DefaultShardSize).
	ShardSize int
	// Clock tells the time (nil: the system clock); months are Baku's.
	Clock  dost.Clock
	Logger *slog.Logger
}

// Service is dost.PayrollService. It is safe for concurrent use; create it
// with New.
type Service struct {
	store      Store
	persons    dost.PersonService
	population rulesrun.Store
	rs         *rules.RuleSet
	programmes map[string]*dost.Programme
	order      []*dost.Programme
	enqueue    func(ctx context.Context, cycleID int64, run int) error
	shardSize  int
	debtor     iso20022.Account
	clock      dost.Clock
	log        *slog.Logger
}

var _ dost.PayrollService = (*Service)(nil)

// New returns a Service, or an error naming what the configuration lacks.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, fmt.Errorf("payroll: no store")
	case cfg.Persons == nil:
		return nil, fmt.Errorf("payroll: no person service")
	case cfg.Population == nil:
		return nil, fmt.Errorf("payroll: no population store")
	case cfg.RuleSet == nil:
		return nil, fmt.Errorf("payroll: no rule set")
	case len(cfg.Programmes) == 0:
		return nil, fmt.Errorf("payroll: no programmes")
	}
	s := &Service{store: cfg.Store, persons: cfg.Persons, population: cfg.Population, rs: cfg.RuleSet,
		programmes: map[string]*dost.Programme{}, enqueue: cfg.Enqueue, shardSize: cfg.ShardSize, debtor: cfg.Debtor,
		clock: cfg.Clock, log: cfg.Logger}
	for i := range cfg.Programmes {
		p := &cfg.Programmes[i]
		if _, ok := s.rs.Variable(p.Amount); !ok && p.Kind == dost.AwardMonthly {
			return nil, fmt.Errorf("payroll: programme %s: the rule set has no variable %q", p.Code, p.Amount)
		}
		if p.Eligible != "" {
			if _, ok := s.rs.Variable(p.Eligible); !ok {
				return nil, fmt.Errorf("payroll: programme %s: the rule set has no variable %q", p.Code, p.Eligible)
			}
		}
		s.programmes[p.Code] = p
		s.order = append(s.order, p)
	}
	if s.shardSize <= 0 {
		s.shardSize = DefaultShardSize
	}
	if s.clock == nil {
		s.clock = dost.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// actor returns the acting user's ID (0 for dost itself) and the user.
func actor(ctx context.Context) (int64, *dost.User) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return 0, nil
	}
	return u.ID, u
}

// mayPay checks that the acting user may change cycles and payments: dost
// itself or the payroll role.
func mayPay(ctx context.Context) (int64, error) {
	id, u := actor(ctx)
	if u != nil && !u.HasRole(dost.RolePayroll) {
		return 0, dost.Errorf(dost.EFORBIDDEN, "Only payroll staff may do this.")
	}
	return id, nil
}

// mayReadCycles checks that the acting user may read cycles: anyone but a
// citizen.
func mayReadCycles(ctx context.Context) error {
	if _, u := actor(ctx); u.CitizenOnly() {
		return dost.Errorf(dost.EFORBIDDEN, "Citizens see their own payments only.")
	}
	return nil
}

// month returns today's month in Baku.
func (s *Service) month() dost.Month { return dost.MonthOf(dost.Today(s.clock)) }

// PrepareCycle implements dost.PayrollService. The period may be at most
// next month; programme must be one of Config.Programmes or "". With
// Config.Enqueue it returns the cycle preparing (its jobs enqueued, also
// again for a cycle already preparing, which the queue makes once);
// without, it prepares the cycle before it returns.
func (s *Service) PrepareCycle(ctx context.Context, programme string, period dost.Month) (*dost.Cycle, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	var v dost.Validation
	if programme != "" && s.programmes[programme] == nil {
		v.Add("programme", "programme.unknown", "There is no programme %q.", programme)
	}
	if period.IsZero() || period.Month < 1 || period.Month > 12 {
		v.Add("period", "required", "The period is required.")
	} else if next := s.month().Add(1); period.Year > next.Year || period.Year == next.Year && period.Month > next.Month {
		v.Add("period", "period.future", "A cycle is prepared at most for next month (%s).", next)
	}
	if err := v.Err("The cycle cannot be prepared."); err != nil {
		return nil, err
	}
	c, err := s.store.StartCycle(ctx, programme, period, actorID)
	if err != nil {
		return nil, err
	}
	if c.Status != dost.CyclePreparing {
		return c, nil
	}
	if s.enqueue != nil {
		if err := s.enqueue(ctx, c.ID, c.Run); err != nil {
			return nil, fmt.Errorf("prepare cycle %d: %w", c.ID, err)
		}
		return c, nil
	}
	if err := s.Prepare(ctx, c.ID, c.Run); err != nil {
		return nil, err
	}
	return s.store.FindCycleByID(ctx, c.ID)
}

// ApproveCycle implements dost.PayrollService: it needs a user with the
// payroll role who did not prepare the cycle, and the run they reviewed
// (EINVALID, field "run", when it is not positive).
func (s *Service) ApproveCycle(ctx context.Context, id int64, run int) (*dost.Cycle, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if actorID == 0 {
		return nil, dost.Errorf(dost.EFORBIDDEN, "A cycle is approved by a person.")
	}
	if run <= 0 {
		return nil, dost.FieldErr("run", "required", "Name the preparation (run) of the cycle you reviewed.")
	}
	return s.store.ApproveCycle(ctx, id, actorID, run)
}

// maxReason is the longest reason kept, in characters.
const maxReason = 1000

// checkReason validates a required reason.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", dost.FieldErr("reason", "required", "A reason is required.")
	case !dost.ValidText(reason, true):
		return "", dost.FieldErr("reason", "text.invalid", "The reason contains characters that are not allowed.")
	case utf8.RuneCountInString(reason) > maxReason:
		return "", dost.FieldErr("reason", "text.too_long", "The reason has at most %d characters.", maxReason)
	}
	return reason, nil
}

// RejectCycle implements dost.PayrollService.
func (s *Service) RejectCycle(ctx context.Context, id int64, reason string) (*dost.Cycle, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if reason, err = checkReason(reason); err != nil {
		return nil, err
	}
	return s.store.RejectCycle(ctx, id, actorID, reason)
}

// FindCycleByID implements dost.PayrollService.
func (s *Service) FindCycleByID(ctx context.Context, id int64) (*dost.Cycle, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, err
	}
	return s.store.FindCycleByID(ctx, id)
}

// FindCycles implements dost.PayrollService.
func (s *Service) FindCycles(ctx context.Context, f dost.CycleFilter) ([]*dost.Cycle, int, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, 0, err
	}
	return s.store.FindCycles(ctx, f)
}

// CompareCycle implements dost.PayrollService.
func (s *Service) CompareCycle(ctx context.Context, id int64) (*dost.CycleDifference, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, err
	}
	return s.store.CompareCycle(ctx, id)
}

// CycleFiles implements dost.PayrollService.
func (s *Service) CycleFiles(ctx context.Context, id int64) ([]*dost.ExportFile, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, err
	}
	if _, err := s.store.FindCycleByID(ctx, id); err != nil {
		return nil, err
	}
	files, err := s.store.ExportFiles(ctx, id)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	banks, err := s.store.FindBanks(ctx)
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]*dost.Bank, len(banks))
	for _, b := range banks {
		byCode[b.Code] = b
	}
	out := make([]*dost.ExportFile, len(files))
	for i, f := range files {
		ef := f.ExportFile
		if b := byCode[ef.Bank.Code]; b != nil {
			ef.Bank = *b
		}
		out[i] = &ef
	}
	return out, nil
}

// citizen returns the person a citizen-only user is (-1 if not linked),
// or 0 for anyone else.
func citizen(ctx context.Context) int64 {
	_, u := actor(ctx)
	if !u.CitizenOnly() {
		return 0
	}
	if u.PersonID == nil || *u.PersonID == 0 {
		return -1
	}
	return *u.PersonID
}

// FindPaymentByID implements dost.PayrollService.
func (s *Service) FindPaymentByID(ctx context.Context, id int64) (*dost.Payment, error) {
	p, err := s.store.FindPaymentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c := citizen(ctx); c != 0 && p.PayeeID != c {
		return nil, dost.Errorf(dost.ENOTFOUND, "Payment not found.")
	}
	return p, nil
}

// FindPayments implements dost.PayrollService.
func (s *Service) FindPayments(ctx context.Context, f dost.PaymentFilter) ([]*dost.Payment, int, error) {
	if c := citizen(ctx); c != 0 {
		if f.PayeeID != 0 && f.PayeeID != c || c < 0 {
			return []*dost.Payment{}, 0, nil
		}
		f.PayeeID = c
	}
	return s.store.FindPayments(ctx, f)
}

// FindPaymentEvents implements dost.PayrollService.
func (s *Service) FindPaymentEvents(ctx context.Context, paymentID int64) ([]*dost.PaymentEvent, error) {
	if _, err := s.FindPaymentByID(ctx, paymentID); err != nil {
		return nil, err
	}
	return s.store.FindPaymentEvents(ctx, paymentID)
}

// CorrectPayment implements dost.PayrollService. The account is the
// payee's IBAN in the registry now: EINVALID (field "iban") when there is
// none (iban.missing), it fails its check (iban.invalid), its bank is not
// known (bank.unknown), or, for a failed or returned payment, it is the
// account that failed and sameAccount is false (iban.same). ECONFLICT for
// a payment not held, failed or returned.
func (s *Service) CorrectPayment(ctx context.Context, id int64, reason string, sameAccount bool) (*dost.Payment, error) {
	actorID, err := mayPay(ctx)
	if err != nil {
		return nil, err
	}
	if reason, err = checkReason(reason); err != nil {
		return nil, err
	}
	p, err := s.store.FindPaymentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	switch p.Status {
	case dost.PaymentHeld, dost.PaymentFailed, dost.PaymentReturned:
	default:
		return nil, dost.Errorf(dost.ECONFLICT, "Payment %d is %s: only held, failed or returned payments are corrected.", id, p.Status)
	}
	payee, err := s.persons.FindPersonByID(ctx, p.PayeeID)
	if err != nil {
		return nil, fmt.Errorf("correct payment %d: find payee: %w", id, err)
	}
	banks, err := s.banks(ctx)
	if err != nil {
		return nil, err
	}
	iban := payee.IBAN
	if code, msg := holdReason(iban, banks); code != "" {
		if code == reasonNoIBAN {
			code = "iban.missing"
		}
		return nil, dost.FieldErr("iban", code, "%s Record the payee's account in the registry first.", msg)
	}
	if iban == p.IBAN && p.Status != dost.PaymentHeld && !sameAccount {
		return nil, dost.FieldErr("iban", "iban.same", "The payee's account is the one the bank refused; confirm it to pay it again.")
	}
	return s.store.CorrectPayment(ctx, id, actorID, reason, iban, dost.BankCode(iban))
}

// FindBanks implements dost.PayrollService.
func (s *Service) FindBanks(ctx context.Context) ([]*dost.Bank, error) {
	return s.store.FindBanks(ctx)
}

// banks returns the set of known bank codes.
func (s *Service) banks(ctx context.Context) (map[string]bool, error) {
	list, err := s.store.FindBanks(ctx)
	if err != nil {
		return nil, fmt.Errorf("find banks: %w", err)
	}
	out := make(map[string]bool, len(list))
	for _, b := range list {
		out[b.Code] = true
	}
	return out, nil
}

// Reason codes of held payments.
const (
	reasonNoIBAN      = "no_iban"
	reasonIBANInvalid = "iban.invalid"
	reasonBankUnknown = "bank.unknown"
)

// holdReason returns why a payment to iban cannot be sent (a reason code
// and message), or "" when it can.
func holdReason(iban string, banks map[string]bool) (code, msg string) {
	switch {
	case iban == "":
		return reasonNoIBAN, "The payee has no IBAN."
	case dost.ValidateIBAN(iban) != nil:
		return reasonIBANInvalid, "The payee's IBAN is not valid: " + dost.ErrorMessage(dost.ValidateIBAN(iban))
	case !banks[dost.BankCode(iban)]:
		return reasonBankUnknown, fmt.Sprintf("The payee's bank %q is not one dost pays through.", dost.BankCode(iban))
	}
	return "", ""
}

// beyondBackPay counts what a shard's awards are owed before their
// programme's back-pay window (BackPayMonths; none when unlimited): the
// months an award is in force before the window that have no payment (a
// one-off award's month counts once), and the awards with any. Those
// months are not paid; the cycle counts them for review.
//
// An award owes such months only when it comes to the payroll late (a
// decision back-dated beyond the window): they are counted by the first
// cycle that pays it. An award with a payment kept from an earlier cycle
// (in the window, or before it: Store.PaidBefore) had every month that
// has since left the window inside an earlier cycle's window, where the
// rules paid it or found nothing owed; counting those months again would
// count months the rules gave nothing for (a disability assessed from a
// later month) as forgotten. Only awards with no payment in the window
// are looked up, so that a cycle of awards paid month after month reads
// nothing more.
func (s *Service) beyondBackPay(ctx context.Context, c *dost.Cycle, awards []*ShardAward) (months, count int, err error) {
	owedBefore := map[int64]int{}
	byFrom := map[dost.Month][]int64{}
	for _, aw := range awards {
		w := aw.Award
		p := s.programmes[w.Programme]
		if p == nil || c.Programme != "" && p.Code != c.Programme || p.BackPayMonths < 0 || w.Status == dost.AwardSuspended {
			continue
		}
		from := c.Period.Add(-p.BackPayMonths)
		n := 0
		if w.Kind == dost.AwardOneOff || p.Kind == dost.AwardOneOff {
			if compareMonths(w.Period, from) < 0 {
				n = 1
			}
		} else if len(aw.Paid) == 0 {
			first := dost.MonthOf(w.Start)
			if !w.Period.IsZero() && compareMonths(w.Period, first) > 0 {
				first = w.Period
			}
			for m := first; compareMonths(m, from) < 0; m = m.Add(1) {
				start, end := m.First(), lastDay(m)
				if w.Start.After(start) {
					start = w.Start
				}
				if !w.End.IsZero() && w.End.Before(end) {
					end = w.End
				}
				if days(start, end) > 0 {
					n++
				}
			}
		}
		if n > 0 {
			owedBefore[w.ID] = n
			byFrom[from] = append(byFrom[from], w.ID)
		}
	}
	for from, ids := range byFrom {
		paid, err := s.store.PaidBefore(ctx, ids, from)
		if err != nil {
			return 0, 0, err
		}
		for _, id := range ids {
			if n := owedBefore[id]; n > 0 && paid[id] == 0 {
				months += n
				count++
			}
		}
	}
	return months, count, nil
}
