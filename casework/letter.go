package casework

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/pdf"
)

// Letter returns what the letter of decision id says, ready for
// pdf.DecisionLetter: the applicant, the application, the outcome with
// the amounts awarded (their programmes' names) or the refusal's reason
// (the passport's text, then the free text), or for an upheld appeal the
// appealed decision that stands and the reason, the centre (when the
// Service has Centres), who decided and the verification link
// BaseURL/verify/<code>. The texts are in lang, or in the letter's own
// language (the applicant's, kept on the decision) when lang is "".
//
// It reads without the acting user's restrictions: who may see a letter
// is the caller's decision (staff who may see the application; on the
// public verification page, whoever holds the letter's code). An approval
// of a service that opens no programme has no amounts: its letter says
// the service is approved. ENOTFOUND for an unknown decision.
func (s *Service) Letter(ctx context.Context, decisionID int64, lang string) (*pdf.Letter, error) {
	d, err := s.store.FindDecisionByID(ctx, decisionID)
	if err != nil {
		return nil, err
	}
	a, err := s.store.FindApplicationByID(ctx, d.ApplicationID)
	if err != nil {
		return nil, fmt.Errorf("find the decision's application: %w", err)
	}
	p, err := s.persons.FindPersonByID(ctx, a.PersonID)
	if err != nil {
		return nil, fmt.Errorf("find applicant: %w", err)
	}
	svc, err := s.service(ctx, a.ServiceCode)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = d.Language
	}
	if !dost.ValidLanguage(lang) {
		lang = dost.Languages[0]
	}
	l := &pdf.Letter{
		Language: lang, Name: p.FullName(), FIN: p.FIN,
		ApplicationNumber: a.Number, ApplicationDate: dost.DateOf(a.SubmittedAt.In(dost.Baku)),
		Service: svc.Name.In(lang), Outcome: d.Outcome, DecisionDate: dost.DateOf(d.DecidedAt.In(dost.Baku)),
		Code: d.LetterCode, VerifyURL: s.verifyURL(d.LetterCode),
	}
	if a.CentreID != 0 && s.centres != nil {
		c, err := s.centres.FindCentreByID(ctx, a.CentreID)
		if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
			return nil, fmt.Errorf("find centre: %w", err)
		} else if err == nil {
			l.Centre = c.Name.In(lang)
		}
	}
	if d.DecidedBy != 0 {
		u, err := s.users.FindUserByID(ctx, d.DecidedBy)
		if err != nil && dost.ErrorCode(err) != dost.ENOTFOUND {
			return nil, fmt.Errorf("find who decided: %w", err)
		} else if err == nil {
			l.DecidedBy = u.Name
		}
	}
	switch d.Outcome {
	case dost.DecisionApproved:
		for _, x := range d.Amounts {
			if !x.Eligible {
				continue
			}
			// A programme no longer configured keeps its code as its
			// name; amounts are monthly unless the programme says not.
			amt := pdf.Amount{Programme: x.Programme, Amount: x.Amount, Kind: dost.AwardMonthly, From: d.Period}
			if prog := s.programmes[x.Programme]; prog != nil {
				amt.Programme, amt.Kind = prog.Name.In(lang), prog.Kind
			} else if m, ok := ManualOf(d); ok { // entered by hand: the service's name, kind and start
				amt.Programme, amt.Kind, amt.From = svc.Name.In(lang), m.Kind, dost.MonthOf(m.Start)
			}
			l.Amounts = append(l.Amounts, amt)
		}
	case dost.DecisionUpheld:
		prev, err := s.store.FindDecisionByID(ctx, d.AppealOf)
		if err != nil {
			return nil, fmt.Errorf("find the decision appealed: %w", err)
		}
		l.Reason, l.AppealedDate, l.AppealedOutcome = d.Reason, dost.DateOf(prev.DecidedAt.In(dost.Baku)), prev.Outcome
	case dost.DecisionRefused:
		l.Reason = d.Reason
		if i := slices.IndexFunc(svc.RefusalReasons, func(r dost.RefusalReason) bool { return r.Code == d.ReasonCode }); i >= 0 {
			l.Reason = svc.RefusalReasons[i].Text.In(lang)
			if d.Reason != "" {
				l.Reason = sentence(l.Reason) + " " + d.Reason
			}
		}
	}
	return l, nil
}

// WriteLetter writes the PDF of decision id's letter (see Letter) to w in
// the applicant's language, with the QR code that leads to its
// verification. Every decision has one, an approval without amounts (a
// service that opens no programme) too. Nothing is written on an error.
// ENOTFOUND for an unknown decision.
func (s *Service) WriteLetter(ctx context.Context, decisionID int64, w io.Writer) error {
	l, err := s.Letter(ctx, decisionID, "")
	if err != nil {
		return err
	}
	if err := pdf.DecisionLetter(w, *l); err != nil {
		if dost.ErrorCode(err) == dost.EINVALID {
			// The stored decision lacks what a letter needs: our fault,
			// not the caller's.
			return fmt.Errorf("decision letter %d: %s", decisionID, dost.ErrorMessage(err))
		}
		return fmt.Errorf("decision letter %d: %w", decisionID, err)
	}
	return nil
}
