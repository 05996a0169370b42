package casework_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// carer is a benefit service (on application) without a rules programme.
const carer = "05-02-04-00"

// TestDecideManual approves an application of a benefit service without
// rules with an award the case worker enters: bad figures change nothing,
// the decision is marked manual, the award is made once.
func TestDecideManual(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		cw := e.as("caseworker")
		svcOf := func(code string) *dost.Service {
			s, err := e.catalogue.FindServiceByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		if !e.svc.NoRules(svcOf(carer)) || e.svc.NoRules(svcOf("05-01-01-00")) || e.svc.NoRules(svcOf("01-01-01-00")) {
			t.Fatal("NoRules: want true for the carer's allowance only (not the pension, not a certificate)")
		}
		awards := func() []*dost.Award {
			t.Helper()
			list, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Vuqar"].ID})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		a := e.submit(t, "Vuqar", carer)
		e.act(t, "caseworker", a.ID, dost.ActionReview, "")
		approve := dost.TransitionRequest{Action: dost.ActionApprove, Reason: "Carer's certificate checked; 150 AZN by the law."}
		start := dost.MustDate("2026-12-01")

		t.Run("ErrFigures", func(t *testing.T) {
			for _, c := range []struct {
				name   string
				r      dost.TransitionRequest
				m      casework.ManualAward
				fields []string
			}{
				{"Empty", dost.TransitionRequest{Action: dost.ActionApprove}, casework.ManualAward{},
					[]string{"reason:required", "manual.kind:manual.kind", "manual.amount:manual.amount", "manual.start:manual.start"}},
				{"OneOffWithEnd", approve, casework.ManualAward{Kind: dost.AwardOneOff, Amount: dost.AZN(100), Start: start, End: start.AddDate(0, 1, 0)},
					[]string{"manual.end:manual.end"}},
				{"EndBeforeStart", approve, casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(100), Start: start, End: start.AddDate(0, 0, -1)},
					[]string{"manual.end:manual.end"}},
				{"TooMuch", approve, casework.ManualAward{Kind: dost.AwardMonthly, Amount: casework.MaxManualAmount + 1, Start: start},
					[]string{"manual.amount:manual.amount"}},
				{"StartFarAway", approve, casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(100), Start: dost.MustDate("2030-01-01")},
					[]string{"manual.start:manual.start"}},
				{"Refuse", dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "employed"}, casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(100), Start: start},
					[]string{"manual:manual.not_approval"}},
			} {
				_, err := e.svc.DecideManual(cw, a.ID, c.r, c.m)
				errCode(t, err, dost.EINVALID)
				for _, f := range c.fields {
					field, code, _ := strings.Cut(f, ":")
					if !hasField(err, field, code) {
						t.Errorf("%s: %v lacks %s", c.name, err, f)
					}
				}
			}
			// A service with rules computes its amount.
			p := e.submit(t, "Vuqar", "05-01-01-00")
			e.act(t, "caseworker", p.ID, dost.ActionReview, "")
			_, err := e.svc.DecideManual(cw, p.ID, approve, casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(100), Start: start})
			if !hasField(err, "manual", "manual.has_rules") {
				t.Errorf("manual award for the pension: %v", err)
			}
			if got, _ := e.svc.FindApplicationByID(ctx, a.ID); got.Status != dost.ApplicationInReview || len(awards()) != 0 {
				t.Fatalf("refused manual decisions changed something: %s, %d awards", got.Status, len(awards()))
			}
		})

		t.Run("Approve", func(t *testing.T) {
			m := casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(150), Start: start}
			d, err := e.svc.DecideManual(cw, a.ID, approve, m)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != dost.DecisionApproved || d.RuleSetVersion != "" || len(d.Amounts) != 1 || d.Amounts[0].Amount != dost.AZN(150) ||
				d.Amounts[0].Variable != casework.ManualVariable {
				t.Errorf("decision: %+v", d)
			}
			stored, err := e.svc.FindDecisionByID(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := casework.ManualOf(stored); !ok || *got != m {
				t.Errorf("ManualOf the stored decision: %+v, %v; want %+v", got, ok, m)
			}
			list := awards()
			if len(list) != 1 {
				t.Fatalf("awards: %d, want 1", len(list))
			}
			w := list[0]
			if w.Programme != casework.ManualProgrammePrefix+carer || w.ServiceCode != carer || w.Kind != dost.AwardMonthly || w.Amount != dost.AZN(150) ||
				w.Start != start || !w.End.IsZero() || w.DecisionID != d.ID || w.ApplicationID != a.ID || w.PayeeID != e.p["Vuqar"].ID || w.Status != dost.AwardActive {
				t.Errorf("award: %+v", w)
			}
			if ns := e.notifications(t, "Vuqar", "decision.approved"); len(ns) == 0 || !strings.Contains(ns[0].Body, "150.00") {
				t.Errorf("approval notifications: %+v", ns)
			}
			// The letter names the service, monthly from the start's month.
			l, err := e.svc.Letter(ctx, d.ID, "en")
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Amounts) != 1 || l.Amounts[0].Programme != svcOf(carer).Name.In("en") || l.Amounts[0].Kind != dost.AwardMonthly ||
				l.Amounts[0].From != dost.MonthOf(start) || l.Amounts[0].Amount != dost.AZN(150) {
				t.Errorf("letter amounts: %+v, want the carer's allowance, 150.00 a month from %s", l.Amounts, dost.MonthOf(start))
			}
			// A rules decision is not manual.
			if _, ok := casework.ManualOf(&dost.Decision{RuleSetVersion: "v1", Trace: []byte(`{"roots":[]}`)}); ok {
				t.Error("ManualOf a rules decision: true")
			}
		})

		t.Run("ErrSecondAward", func(t *testing.T) {
			b := e.submit(t, "Vuqar", carer)
			e.act(t, "caseworker", b.ID, dost.ActionReview, "")
			_, err := e.svc.DecideManual(cw, b.ID, approve, casework.ManualAward{Kind: dost.AwardMonthly, Amount: dost.AZN(90), Start: start.AddDate(0, 2, 0)})
			errCode(t, err, dost.ECONFLICT)
			if !hasField(err, "manual", "manual.overlap") {
				t.Errorf("a second monthly award: %v lacks manual:manual.overlap", err)
			}
			if n := len(awards()); n != 1 {
				t.Errorf("awards after a second manual approval: %d, want 1", n)
			}
		})

		// Overturning the refusal of such an application approves it with
		// the award entered, as approving does.
		t.Run("Overturn", func(t *testing.T) {
			b := e.appealed(t, "Leyla", carer)
			refusal := b.DecisionID
			overturn := dost.TransitionRequest{Action: dost.ActionOverturn, Reason: "The applicant is not employed: the record was wrong."}
			m := casework.ManualAward{Kind: dost.AwardOneOff, Amount: dost.AZN(300), Start: start}
			if _, err := e.svc.DecideManual(cw, b.ID, dost.TransitionRequest{Action: dost.ActionOverturn}, m); !hasField(err, "reason", "required") {
				t.Errorf("overturn without a reason: %v", err)
			}
			d, err := e.svc.DecideManual(cw, b.ID, overturn, m)
			if err != nil {
				t.Fatal(err)
			}
			if d.Outcome != dost.DecisionApproved || d.AppealOf != refusal || d.Amounts[0].Variable != casework.ManualVariable {
				t.Errorf("decision: %+v", d)
			}
			if got, ok := casework.ManualOf(d); !ok || *got != m {
				t.Errorf("ManualOf the overturn: %+v, %v; want %+v", got, ok, m)
			}
			list, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Leyla"].ID})
			if err != nil || len(list) != 1 {
				t.Fatalf("awards: %d, %v; want 1", len(list), err)
			}
			if w := list[0]; w.Kind != dost.AwardOneOff || w.Amount != dost.AZN(300) || w.Start != start || w.DecisionID != d.ID || w.Status != dost.AwardActive {
				t.Errorf("award: %+v", w)
			}
		})

		// A one-off award of the service pays once: a second one, due in
		// another month (a period of its own, which the store allows), is
		// refused while the first is not ended.
		t.Run("ErrSecondOneOff", func(t *testing.T) {
			c := e.submit(t, "Leyla", carer)
			e.act(t, "caseworker", c.ID, dost.ActionReview, "")
			_, err := e.svc.DecideManual(cw, c.ID, approve, casework.ManualAward{Kind: dost.AwardOneOff, Amount: dost.AZN(300), Start: start.AddDate(0, 3, 0)})
			errCode(t, err, dost.ECONFLICT)
			if !hasField(err, "manual", "manual.one_off_exists") || !strings.Contains(err.Error(), "one-off award") {
				t.Errorf("a second one-off award: %v", err)
			}
			list, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Leyla"].ID})
			if got, _ := e.svc.FindApplicationByID(ctx, c.ID); err != nil || len(list) != 1 || got.Status != dost.ApplicationInReview {
				t.Errorf("after the refused one-off award: %d awards (%v), %s", len(list), err, got.Status)
			}
		})
	})
}
