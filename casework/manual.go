package casework

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// This file holds manual awards: approving an application for a benefit
// service that dost has no rules programme for (NoRules) with an award
// whose figures the case worker enters. Decide's decide calls manualAward.

// ManualProgrammePrefix starts the programme code of a manual award,
// "manual:<service code>": the store's uniqueness rules then allow one
// award per applicant, service and period, and one open monthly award per
// applicant and service, as for a programme.
const ManualProgrammePrefix = dost.ManualProgrammePrefix

// ManualVariable is the Variable of a manual decision's amount, in place
// of a rule variable.
const ManualVariable = "manual"

// MaxManualAmount is the largest amount a manual award may have.
var MaxManualAmount = dost.AZN(100_000)

// ManualAward is an award a case worker enters when approving an
// application for a benefit service without rules: its amount per month
// (Kind monthly, from Start, until End or open-ended) or once (one-off,
// due in Start's month; no End).
type ManualAward struct {
	Kind   dost.AwardKind `json:"kind"`
	Amount dost.Money     `json:"amount"`
	Start  dost.Date      `json:"start"`
	End    dost.Date      `json:"end,omitzero"`
}

// manualTrace is the trace of a manual decision: the figures entered and
// why, in place of the rules' explanation.
type manualTrace struct {
	Manual struct {
		ManualAward
		Reason    string `json:"reason"`
		EnteredBy int64  `json:"entered_by"`
	} `json:"manual"`
}

// NoRules reports whether svc is a benefit service (its passport assigns
// a benefit: proactively or on application) for which dost has no rules
// programme. Approving such an application runs no rules and makes an
// award only if the case worker enters one (DecideManual).
func (s *Service) NoRules(svc *dost.Service) bool {
	return svc.AssignmentMode != "" && svc.AssignmentMode != dost.ModeNone && s.byService[svc.Code] == nil
}

// ManualOf returns the figures of a manual decision (one made by
// DecideManual), and false for any other decision.
func ManualOf(d *dost.Decision) (*ManualAward, bool) {
	if d == nil || d.RuleSetVersion != "" || len(d.Trace) == 0 {
		return nil, false
	}
	var t manualTrace
	if err := json.Unmarshal(d.Trace, &t); err != nil || t.Manual.Kind == "" {
		return nil, false
	}
	return &t.Manual.ManualAward, true
}

// openOneOff returns a one-off award of the manual programme p for w's
// beneficiary that is not ended (active or suspended), nil if there is
// none or w is monthly. The store allows one award per period only, so
// without this check two one-off manual awards of one service, due in
// different months, would pay the applicant twice; an ended one (its
// approval overturned) does not count.
func (s *Service) openOneOff(ctx context.Context, p *dost.Programme, w *dost.Award) (*dost.Award, error) {
	if w.Kind != dost.AwardOneOff {
		return nil, nil
	}
	f := dost.AwardFilter{Programme: p.Code, PersonID: w.PersonID, Statuses: []dost.AwardStatus{dost.AwardActive, dost.AwardSuspended}, Limit: 1000}
	awards, _, err := s.store.FindAwards(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("find awards: %w", err)
	}
	for _, o := range awards {
		if o.Kind == dost.AwardOneOff && o.PersonID == w.PersonID && o.HouseholdID == 0 {
			return o, nil
		}
	}
	return nil, nil
}

// DecideManual approves application id (action approve, or overturn of a
// refusal) of a benefit service without rules (NoRules) with the award m,
// as Decide does otherwise: in one transaction with the transition, the
// award, the decision and the notifications. The decision is marked
// manual: no rule-set version, its amount the one entered (Variable
// ManualVariable) and its trace the figures entered with the reason and
// who entered them (ManualOf). The award is the applicant's, paid to
// them, of programme ManualProgrammePrefix+service code. The reason is
// required.
//
// Errors, as Decide's and: EINVALID with the field "manual" when the
// service has rules (manual.has_rules) or assigns no benefit
// (manual.not_benefit), or the action does not approve
// (manual.not_approval); "manual.kind", "manual.amount", "manual.start",
// "manual.end" for bad figures; "reason" required. ECONFLICT when the
// applicant has this service's award for the period already, or an open
// or overlapping monthly one (field "manual", code manual.overlap), or,
// for a one-off award, a one-off one of the service that is not ended
// (manual.one_off_exists: it would pay twice).
func (s *Service) DecideManual(ctx context.Context, id int64, r dost.TransitionRequest, m ManualAward) (*dost.Decision, error) {
	return s.decide(ctx, id, r, &m)
}

// manualAward checks DecideManual's figures m and turns decision d of
// application a into a manual one, adding the award to eff, and returns
// the award the applicant is told of. p is the service's programme (nil
// without rules).
func (s *Service) manualAward(ctx context.Context, m *ManualAward, svc *dost.Service, a *dost.Application, p *dost.Programme, d *dost.Decision,
	eff *Effects, now time.Time) (*dost.Award, error) {
	switch {
	case p != nil:
		return nil, dost.FieldErr("manual", "manual.has_rules", "dost has rules for the service %s: its amount is computed, not entered.", svc.Code)
	case !s.NoRules(svc):
		return nil, dost.FieldErr("manual", "manual.not_benefit", "The service %s assigns no benefit.", svc.Code)
	case d.Outcome != dost.DecisionApproved:
		return nil, dost.FieldErr("manual", "manual.not_approval", "A manual award is entered only to approve an application.")
	}
	today := dost.DateOf(now.In(dost.Baku))
	var v dost.Validation
	if strings.TrimSpace(d.Reason) == "" {
		v.Add("reason", "required", "Say why the award is entered by hand: the reason is required.")
	}
	switch m.Kind {
	case dost.AwardMonthly, dost.AwardOneOff:
	default:
		v.Add("manual.kind", "manual.kind", "The award is paid monthly or once (monthly or one_off).")
	}
	if m.Amount <= 0 || m.Amount > MaxManualAmount {
		v.Add("manual.amount", "manual.amount", "The amount is more than 0 and at most %s AZN.", MaxManualAmount)
	}
	earliest, latest := today.AddDate(0, -FutureMonths, 0), today.AddDate(0, FutureMonths, 0)
	if m.Start.IsZero() || m.Start.Before(earliest) || m.Start.After(latest) {
		v.Add("manual.start", "manual.start", "The start is a day from %s to %s.", earliest, latest)
	}
	switch {
	case m.End.IsZero():
	case m.Kind == dost.AwardOneOff:
		v.Add("manual.end", "manual.end", "A one-off award has no end.")
	case !m.Start.IsZero() && m.End.Before(m.Start):
		v.Add("manual.end", "manual.end", "The end is on or after the start.")
	}
	if err := v.Err("The manual award has errors."); err != nil {
		return nil, err
	}

	prog := &dost.Programme{Code: ManualProgrammePrefix + svc.Code, ServiceCode: svc.Code, Name: svc.Name, Entity: "person", Kind: m.Kind}
	w := &dost.Award{Programme: prog.Code, ServiceCode: svc.Code, PersonID: a.PersonID, PayeeID: a.PersonID, Kind: m.Kind,
		Amount: m.Amount, Period: dost.MonthOf(m.Start), Start: m.Start, End: m.End, Status: dost.AwardActive,
		ApplicationID: a.ID, CreatedAt: now, UpdatedAt: now}
	if o, err := s.overlapping(ctx, prog, w); err != nil {
		return nil, err
	} else if o != nil {
		msg := fmt.Sprintf("The award %d of the service %s (from %s%s, %s) covers days from %s already: refuse with a reason, or enter a later start.",
			o.ID, svc.Code, o.Start, endText(o), o.Status, w.Start)
		return nil, &dost.Error{Code: dost.ECONFLICT, Message: msg, Fields: []dost.FieldError{{Field: "manual", Code: "manual.overlap", Message: msg}}}
	}
	if o, err := s.openOneOff(ctx, prog, w); err != nil {
		return nil, err
	} else if o != nil {
		msg := fmt.Sprintf("The applicant has the one-off award %d of the service %s (due in %s, %s) already: a second one-off award of the service would pay it twice. Refuse with a reason (that award ends only if its approval is overturned on appeal).",
			o.ID, svc.Code, o.Period, o.Status)
		return nil, &dost.Error{Code: dost.ECONFLICT, Message: msg, Fields: []dost.FieldError{{Field: "manual", Code: "manual.one_off_exists", Message: msg}}}
	}
	var t manualTrace
	t.Manual.ManualAward, t.Manual.Reason, t.Manual.EnteredBy = *m, d.Reason, d.DecidedBy
	trace, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("manual trace: %w", err)
	}
	d.RuleSetVersion, d.Trace = "", trace
	d.Amounts = []dost.DecisionAmount{{Programme: prog.Code, Variable: ManualVariable, PersonID: a.PersonID, Eligible: true, Amount: m.Amount}}
	eff.Awards = []*dost.Award{w}
	s.log.Info("casework: a manual award is entered", "application", a.ID, "service", svc.Code, "kind", m.Kind,
		"amount", m.Amount.String(), "start", m.Start.String(), "decided_by", d.DecidedBy)
	return w, nil
}
