package payroll

import (
	"context"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// Targeted social assistance is suspended when its money is not
// withdrawn: "payment is suspended when it is not withdrawn for 2 months
// in a row" (../shared/reference/az-programmes.md, Targeted State Social
// Assistance, sources [S41] sosial.gov.az and [S44] dost.gov.az).
// NotWithdrawnProgramme is the programme this applies to (programmes/az's
// code of TSSA) and NotWithdrawnMonths how long the money may lie.
const (
	NotWithdrawnProgramme = "tssa"
	NotWithdrawnMonths    = 2
)

// MaxReferenceLen is the longest payment reference (an ISO 20022
// end-to-end ID): 35 characters.
const MaxReferenceLen = 35

// SuspensionStore is the storage of award suspensions and of the
// withdrawal feed; sqlstore.PayrollStore implements it with Store.
type SuspensionStore interface {
	// PaymentByReference returns the payment whose current reference is
	// reference (an earlier attempt's money never arrived), with its
	// payee's FIN. ENOTFOUND if there is none.
	PaymentByReference(ctx context.Context, reference string) (*dost.Payment, dost.FIN, error)
	// RecordWithdrawal records, once per payment, that the money of
	// payment p was withdrawn on day on; a second report of the payment
	// changes nothing (recorded false). In the same transaction, when p's
	// award is suspended for dost.ReasonNotWithdrawn, it resumes it
	// (active, its open suspension ended today with resumeReason, by
	// dost) and returns it, provided the withdrawal (the first report's
	// day) is on or after the oldest payment of the award judged
	// unwithdrawn (none of its other withdrawals on or after it, no
	// suspension ended on or after it, paid on or after its bank's first
	// reported withdrawal): an older withdrawal is recorded and the award
	// stays suspended. resumed is nil otherwise. The award is locked
	// before its status is read, so that a concurrent SuspendNotWithdrawn
	// never suspends an award whose withdrawal it did not see.
	RecordWithdrawal(ctx context.Context, p *dost.Payment, on dost.Date, resumeReason string) (recorded bool, resumed *dost.Award, err error)
	// SuspendNotWithdrawn suspends (candidates read in a read
	// transaction, suspended in chunks with their condition repeated)
	// every active award of programme with a paid payment paid on or
	// before cutoff (and on or after the first withdrawal the feed
	// reported for a payment of the same bank, so that nothing is judged
	// before its bank joined the feed) whose money nobody withdrew since: no
	// withdrawal of any payment of the award on or after that payment's
	// day, and no suspension of the award ended on or after it (a resumed
	// award is judged on what was paid since). Each gets status suspended,
	// reason dost.ReasonNotWithdrawn and an open suspension from today, by
	// dost (one left open by another path stays). It returns the awards
	// suspended.
	SuspendNotWithdrawn(ctx context.Context, programme string, cutoff, today dost.Date) ([]int64, error)
	// ResumeAward resumes a suspended award by actorID (0: dost) with
	// reason: status active, no status reason, its open suspension ended
	// today (one is recorded from the award's last change when none is
	// open: a suspension from before they were stored). ECONFLICT for an
	// award not suspended; ENOTFOUND.
	ResumeAward(ctx context.Context, awardID, actorID int64, reason string, today dost.Date) (*dost.Award, error)
	// FindAwardSuspensions returns an award's suspensions, oldest first.
	FindAwardSuspensions(ctx context.Context, awardID int64) ([]*dost.AwardSuspension, error)
}

// Withdrawal is what recording a withdrawal did.
type Withdrawal struct {
	PaymentID int64
	AwardID   int64
	// Recorded is false for a payment whose withdrawal was recorded
	// before (a repeat changes nothing).
	Recorded bool
	// Resumed is the award resumed by the withdrawal (it was suspended
	// for dost.ReasonNotWithdrawn), or nil.
	Resumed *dost.Award
}

// CheckReference validates a payment reference as a sender gives it and
// returns it trimmed: at most MaxReferenceLen Latin letters, digits and
// hyphens. EINVALID naming "withdrawal.reference" otherwise.
func CheckReference(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	switch {
	case ref == "":
		return "", dost.FieldErr("withdrawal.reference", "required", "The payment's reference is required.")
	case len(ref) > MaxReferenceLen:
		return "", dost.FieldErr("withdrawal.reference", "reference.too_long", "A payment reference has at most %d characters.", MaxReferenceLen)
	}
	for _, c := range ref {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "", dost.FieldErr("withdrawal.reference", "reference.invalid", "A payment reference has only Latin letters, digits and hyphens.")
		}
	}
	return ref, nil
}

// withdrawnPayment finds and checks the payment of a withdrawal report:
// EINVALID naming "withdrawal.reference" for an unknown reference
// (reference.unknown) or a payment whose money was never sent
// (payment.not_sent), "fin" for a FIN given that is not the payee's
// (withdrawal.payee_mismatch), "date" for a day before the payment was
// paid (date.before_payment).
func (s *Service) withdrawnPayment(ctx context.Context, reference string, fin dost.FIN, on dost.Date) (*dost.Payment, error) {
	ref, err := CheckReference(reference)
	if err != nil {
		return nil, err
	}
	p, payee, err := s.store.PaymentByReference(ctx, ref)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, dost.FieldErr("withdrawal.reference", "reference.unknown", "No payment has the reference %s.", ref)
	} else if err != nil {
		return nil, fmt.Errorf("find payment %s: %w", ref, err)
	}
	var v dost.Validation
	switch p.Status {
	case dost.PaymentSent, dost.PaymentPaid:
	default:
		v.Add("withdrawal.reference", "payment.not_sent", "Payment %s is %s: its money was not paid out.", ref, p.Status)
	}
	if fin != "" && fin != payee {
		v.Add("fin", "withdrawal.payee_mismatch", "Payment %s is not paid to %s.", ref, fin.Masked())
	}
	if !p.PaidOn.IsZero() && on.Before(p.PaidOn) {
		v.Add("date", "date.before_payment", "The withdrawal (%s) is before the payment was paid (%s).", on, p.PaidOn)
	}
	if err := v.Err("The withdrawal does not match the payment."); err != nil {
		return nil, err
	}
	return p, nil
}

// CheckWithdrawal checks a withdrawal report (the payment_withdrawn
// event) without recording it: see RecordWithdrawal for its errors.
func (s *Service) CheckWithdrawal(ctx context.Context, reference string, fin dost.FIN, on dost.Date) error {
	_, err := s.withdrawnPayment(ctx, reference, fin, on)
	return err
}

// RecordWithdrawal records that the money of the payment with reference
// (sent or paid; to the payee with FIN fin when fin is given) was
// withdrawn on day on, and resumes its award if it was suspended because
// its money was not withdrawn: the award's next cycle pays the suspended
// months as arrears, within the programme's back-pay limit. Idempotent:
// a payment's withdrawal is recorded once, a repeat changes nothing.
//
// Errors: EINVALID naming "withdrawal.reference" (missing, malformed,
// unknown, or a payment not sent), "fin" (not the payee) or "date"
// (before the payment was paid), with nothing recorded.
func (s *Service) RecordWithdrawal(ctx context.Context, reference string, fin dost.FIN, on dost.Date) (*Withdrawal, error) {
	p, err := s.withdrawnPayment(ctx, reference, fin, on)
	if err != nil {
		return nil, err
	}
	reason := fmt.Sprintf("The money of payment %s was withdrawn on %s.", p.Reference, on)
	recorded, resumed, err := s.store.RecordWithdrawal(ctx, p, on, reason)
	if err != nil {
		return nil, fmt.Errorf("record withdrawal of payment %d: %w", p.ID, err)
	}
	if resumed != nil {
		s.log.Info("payroll: award resumed by a withdrawal", "award", resumed.ID, "payment", p.ID)
	}
	return &Withdrawal{PaymentID: p.ID, AwardID: p.AwardID, Recorded: recorded, Resumed: resumed}, nil
}

// SuspendNotWithdrawn suspends the targeted social assistance awards
// whose money was not withdrawn for NotWithdrawnMonths (see
// SuspensionStore.SuspendNotWithdrawn) as of today, with reason
// dost.ReasonNotWithdrawn, and returns how many: the daily
// payroll_withdrawals job. Running it twice a day changes nothing the
// second time.
func (s *Service) SuspendNotWithdrawn(ctx context.Context, today dost.Date) (int, error) {
	if s.programmes[NotWithdrawnProgramme] == nil {
		return 0, nil
	}
	cutoff := today.AddDate(0, -NotWithdrawnMonths, 0)
	ids, err := s.store.SuspendNotWithdrawn(ctx, NotWithdrawnProgramme, cutoff, today)
	if err != nil {
		return 0, fmt.Errorf("suspend awards not withdrawn: %w", err)
	}
	if len(ids) > 0 {
		s.log.Info("payroll: awards suspended, money not withdrawn", "count", len(ids), "cutoff", cutoff.String())
	}
	return len(ids), nil
}

// ResumeAward resumes a suspended award with a reason (what cleared the
// suspension): its next cycle pays the suspended months as arrears,
// within the programme's back-pay limit. Payroll staff and case workers
// (or dost itself) may. EINVALID without a reason; ECONFLICT for an award
// not suspended; ENOTFOUND; EFORBIDDEN for others.
func (s *Service) ResumeAward(ctx context.Context, awardID int64, reason string) (*dost.Award, error) {
	actorID, u := actor(ctx)
	if u != nil && !u.HasRole(dost.RolePayroll) && !u.HasRole(dost.RoleCaseWorker) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Only payroll staff and case workers resume awards.")
	}
	reason, err := checkReason(reason)
	if err != nil {
		return nil, err
	}
	return s.store.ResumeAward(ctx, awardID, actorID, reason, dost.Today(s.clock))
}

// FindAwardSuspensions returns an award's suspensions, oldest first; for
// staff (EFORBIDDEN for citizens).
func (s *Service) FindAwardSuspensions(ctx context.Context, awardID int64) ([]*dost.AwardSuspension, error) {
	if err := mayReadCycles(ctx); err != nil {
		return nil, err
	}
	return s.store.FindAwardSuspensions(ctx, awardID)
}
