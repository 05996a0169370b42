package http

import (
	"context"
	"strings"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
)

// This file holds the decision screen's manual award: approving an
// application of a benefit service that dost has no rules for with an
// award the case worker enters (casework.DecideManual), or overturning
// the refusal of one on appeal with such an award.

// manualDecider is the part of the application service that decides with
// a manual award; casework.Service implements it.
type manualDecider interface {
	// NoRules reports whether svc is a benefit service without rules.
	NoRules(svc *dost.Service) bool
	// DecideManual approves with the award entered.
	DecideManual(ctx context.Context, id int64, r dost.TransitionRequest, m casework.ManualAward) (*dost.Decision, error)
}

// manualOf returns the server's manual decider, nil when its application
// service has none.
func (s *Server) manualOf() manualDecider {
	m, _ := s.ApplicationService.(manualDecider)
	return m
}

// noRules reports whether svc is a benefit service dost has no rules for.
func (s *Server) noRules(svc *dost.Service) bool {
	m := s.manualOf()
	return m != nil && m.NoRules(svc)
}

// manualInput is the manual award of the approve or overturn form as
// typed: no kind for an approval without an award.
type manualInput struct {
	Kind, Amount, Start, End string
}

// manualInputOf reads a decision form's manual award fields.
func manualInputOf(get func(string) string) manualInput {
	return manualInput{Kind: strings.TrimSpace(get("manual_kind")), Amount: strings.TrimSpace(get("manual_amount")),
		Start: strings.TrimSpace(get("manual_start")), End: strings.TrimSpace(get("manual_end"))}
}

// award parses in; errs holds the message keys of the fields that do not
// parse ("manual.amount", "manual.start", "manual.end"). The service
// checks the values.
func (in manualInput) award() (m casework.ManualAward, errs map[string]string) {
	errs = map[string]string{}
	m.Kind = dost.AwardKind(in.Kind)
	var err error
	if in.Amount == "" {
		errs["manual.amount"] = "form.error.required"
	} else if m.Amount, err = dost.ParseMoney(in.Amount); err != nil {
		errs["manual.amount"] = "form.error.manual.amount"
	}
	if in.Start == "" {
		errs["manual.start"] = "form.error.required"
	} else if m.Start, err = dost.ParseDate(in.Start); err != nil {
		errs["manual.start"] = "form.error.date"
	}
	if in.End != "" {
		if m.End, err = dost.ParseDate(in.End); err != nil {
			errs["manual.end"] = "form.error.date"
		}
	}
	return m, errs
}

// manualFields is the manual award fieldset of one decision form: the
// approve form's, or the overturn form's when the appeal is of a refusal.
// ID starts its elements' ids ("manual" on the approve form,
// "overturn-manual" on the overturn form: unique on the page); In and
// Errors are the figures typed and their errors, when that form was sent.
type manualFields struct {
	ID     string
	In     manualInput
	Errors map[string]string
}

// ManualFields returns the manual award fieldset of the decision form of
// action, "approve" or "overturn".
func (v *decidePage) ManualFields(action string) manualFields {
	f := manualFields{ID: "manual", Errors: map[string]string{}}
	if action != string(dost.ActionApprove) {
		f.ID = action + "-manual"
	}
	if string(v.Form.Action) == action {
		f.In, f.Errors = v.Form.Manual, v.Form.Errors
	}
	return f
}

// manualPanel returns the figures of decision d if it is manual.
func manualPanel(d *dost.Decision) *casework.ManualAward {
	m, _ := casework.ManualOf(d)
	return m
}
