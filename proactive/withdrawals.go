package proactive

import (
	"context"
	"fmt"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/payroll"
)

// Withdrawals is the payroll's side of the withdrawal feed (events of kind
// payment_withdrawn); payroll.Service implements it.
type Withdrawals interface {
	// CheckWithdrawal checks a withdrawal report without recording it:
	// EINVALID naming "withdrawal.reference", "fin" or "date".
	CheckWithdrawal(ctx context.Context, reference string, fin dost.FIN, on dost.Date) error
	// RecordWithdrawal records it, once per payment, and resumes the
	// payment's award when the feed's silence suspended it.
	RecordWithdrawal(ctx context.Context, reference string, fin dost.FIN, on dost.Date) (*payroll.Withdrawal, error)
}

// Effects of a withdrawal report.
const (
	// EffectWithdrawalRecorded: the payment's money is recorded as
	// withdrawn (AwardID names its award).
	EffectWithdrawalRecorded = "withdrawal_recorded"
	// EffectAwardResumed: the award, suspended because its money was not
	// withdrawn, resumed; its next cycle pays the suspended months.
	EffectAwardResumed = "award_resumed"
)

// SetWithdrawals gives the service the payroll's withdrawal feed, so that
// it accepts payment_withdrawn events (without, they are EINVALID). Call
// it once, before the service receives events: the payroll service is
// made after this one.
func (s *Service) SetWithdrawals(w Withdrawals) { s.withdrawals = w }

// checkWithdrawalFacts checks a withdrawal's facts (the reference trimmed
// in w): payroll.CheckReference.
func checkWithdrawalFacts(v *dost.Validation, w *dost.WithdrawalFacts) {
	if _, err := payroll.CheckReference(w.Reference); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
}

// checkWithdrawal checks a withdrawal report against the payments.
func (s *Service) checkWithdrawal(ctx context.Context, e *dost.LifeEvent) error {
	if s.withdrawals == nil {
		return dost.FieldErr("kind", "event_kind.unsupported", "This server does not take the withdrawal feed.")
	}
	return s.withdrawals.CheckWithdrawal(ctx, e.Withdrawal.Reference, e.FIN, e.Date)
}

// processWithdrawal records a withdrawal report: the payment's money
// withdrawn, and its award resumed if it was suspended for that.
func (s *Service) processWithdrawal(ctx context.Context, e *dost.LifeEvent, fx *effects) error {
	if s.withdrawals == nil {
		return dost.Errorf(dost.EINVALID, "This server does not take the withdrawal feed.")
	}
	w, err := s.withdrawals.RecordWithdrawal(ctx, e.Withdrawal.Reference, e.FIN, e.Date)
	if err != nil {
		return fmt.Errorf("record withdrawal: %w", err)
	}
	fx.add(dost.LifeEventEffect{Kind: EffectWithdrawalRecorded, AwardID: w.AwardID})
	if w.Resumed != nil {
		fx.add(dost.LifeEventEffect{Kind: EffectAwardResumed, AwardID: w.Resumed.ID, PersonID: w.Resumed.PersonID,
			HouseholdID: w.Resumed.HouseholdID, Programme: w.Resumed.Programme})
	}
	return nil
}
