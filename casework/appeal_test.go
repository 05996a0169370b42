package casework_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// appealed returns an application of person for service refused by the
// case worker and appealed by the applicant.
func (e *env) appealed(t *testing.T, person, service string) *dost.Application {
	t.Helper()
	a := e.review(t, person, service)
	if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "not_eligible"}); err != nil {
		t.Fatalf("refuse: %v", err)
	}
	return e.act(t, "caseworker", a.ID, dost.ActionAppeal, "The applicant disagrees.")
}

// TestUpholdImpartial: upholding an appeal decides it, so nobody upholds
// the refusal of their own or a household member's application, nor a
// staff account linked to no person, nor a citizen; another case worker
// does.
func TestUpholdImpartial(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		e.addUser(t, "unlinked", dost.RoleCaseWorker, "")
		a := e.appealed(t, "Ali", "05-01-01-00")
		uphold := dost.TransitionRequest{Action: dost.ActionUphold, Reason: "The refusal was right."}
		for _, user := range []string{"ali", "leyla", "unlinked", "citizen"} {
			t.Run(user, func(t *testing.T) {
				_, err := e.svc.Act(e.as(user), a.ID, uphold)
				errCode(t, err, dost.EFORBIDDEN)
			})
		}
		got, err := e.svc.FindApplicationByID(context.Background(), a.ID)
		if err != nil || got.Status != dost.ApplicationAppealed {
			t.Fatalf("after the refused upholds: %+v, %v; want appealed", got, err)
		}
		if ns := e.notifications(t, "Ali", "appeal.upheld"); len(ns) != 0 {
			t.Errorf("%d notifications of an upheld appeal, want none", len(ns))
		}
		if got, err := e.svc.Act(e.as("caseworker"), a.ID, uphold); err != nil || got.Status != dost.ApplicationUpheld {
			t.Errorf("an unrelated case worker upholds: %+v, %v", got, err)
		}
	})
}

// TestUpholdDecision: an upheld appeal is a decision of its own: outcome
// upheld, who, why, the appealed decision, and a letter with its
// verification code, which the applicant is sent.
func TestUpholdDecision(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.appealed(t, "Rauf", "05-01-01-00")
		refusal := a.DecisionID
		_, err := e.svc.Act(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionUphold})
		errCode(t, err, dost.EINVALID)
		if got, _ := e.store.FindApplicationByID(ctx, a.ID); got.Status != dost.ApplicationAppealed || got.DecisionID != refusal {
			t.Fatalf("after an uphold without a reason: %+v", got)
		}

		a = e.act(t, "caseworker", a.ID, dost.ActionUphold, "The income record was checked again.")
		if a.Status != dost.ApplicationUpheld || a.DecisionID == 0 || a.DecisionID == refusal {
			t.Fatalf("upheld: status %s, decision %d (the refusal is %d)", a.Status, a.DecisionID, refusal)
		}
		d, err := e.svc.FindDecisionByID(ctx, a.DecisionID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != dost.DecisionUpheld || d.DecidedBy != e.u["caseworker"].ID || d.Reason != "The income record was checked again." ||
			d.AppealOf != refusal || d.LetterCode == "" || d.Language != "en" || !d.NotifyBy.IsZero() || len(d.Amounts) != 0 {
			t.Errorf("decision %+v", d)
		}
		if got, err := e.svc.FindDecisionByLetterCode(ctx, d.LetterCode); err != nil || got.ID != d.ID {
			t.Errorf("by its letter code: %+v, %v", got, err)
		}
		if got, err := e.svc.FindDecisionByID(ctx, refusal); err != nil || got.Outcome != dost.DecisionRefused || got.AppealOf != 0 {
			t.Errorf("the refusal: %+v, %v; want it as it was", got, err)
		}

		l, err := e.svc.Letter(ctx, d.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if l.Outcome != dost.DecisionUpheld || l.AppealedOutcome != dost.DecisionRefused || l.AppealedDate != dost.MustDate("2026-11-16") ||
			l.Reason != d.Reason || l.DecidedBy != "Kamran Testov" || l.VerifyURL != "https://dost.example.az/verify/"+d.LetterCode {
			t.Errorf("letter %+v", l)
		}
		var b bytes.Buffer
		if err := e.svc.WriteLetter(ctx, d.ID, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
			t.Errorf("WriteLetter: %v, %d bytes", err, b.Len())
		}
		ns := e.notifications(t, "Rauf", "appeal.upheld")
		if len(ns) != 2 {
			t.Fatalf("%d notifications of the upheld appeal, want sms and email", len(ns))
		}
		for _, n := range ns {
			if !strings.Contains(n.Body, "checked again") || !strings.Contains(n.Body, "https://dost.example.az/verify/"+d.LetterCode) {
				t.Errorf("%s body %q, want the reason and the letter's link", n.Channel, n.Body)
			}
		}
		if got := e.act(t, "caseworker", a.ID, dost.ActionClose, "Nothing more to do."); got.DecisionID != d.ID {
			t.Errorf("closed: decision %d, want %d", got.DecisionID, d.ID)
		}
	})
}
