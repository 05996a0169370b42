package casework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

func TestNew(t *testing.T) {
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ErrMissing", func(t *testing.T) {
		_, err := casework.New(casework.Config{RuleSet: rs})
		if err == nil || !strings.Contains(err.Error(), "Store") || !strings.Contains(err.Error(), "RuleSetVersion") {
			t.Errorf("got %v, want the missing fields named", err)
		}
	})
	db := dosttest.OpenDB(t, sqlstore.DialectSQLite)
	cfg := func(p dost.Programme) casework.Config {
		return casework.Config{Store: sqlstore.NewCaseStore(db), Persons: sqlstore.NewPersonService(db),
			Households: sqlstore.NewHouseholdService(db), Catalogue: sqlstore.NewCatalogueService(db),
			Users: sqlstore.NewUserService(db), Population: sqlstore.NewPopulationStore(db), RuleSet: rs,
			RuleSetVersion: az.Version(), Programmes: []dost.Programme{p}, Files: nopFiles{}}
	}
	good := az.Programmes()[0]
	if _, err := casework.New(cfg(good)); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, change := range map[string]func(p *dost.Programme){
		"ErrUnknownVariable": func(p *dost.Programme) { p.Amount = "no_such_variable" },
		"ErrAmountNotMoney":  func(p *dost.Programme) { p.Amount = "old_age_pension_eligible" },
		"ErrWrongEntity":     func(p *dost.Programme) { p.Entity = "household" },
		"ErrEligibleNotBool": func(p *dost.Programme) { p.Eligible = "old_age_pension" },
		"ErrKind":            func(p *dost.Programme) { p.Kind = "weekly" },
	} {
		t.Run(name, func(t *testing.T) {
			p := good
			change(&p)
			if _, err := casework.New(cfg(p)); err == nil {
				t.Error("got no error")
			}
		})
	}
}

// nopFiles is a FileStore that stores nothing.
type nopFiles struct{ dost.FileStore }

func TestSubmit(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := e.as("operator")
		pension := func() *dost.NewApplication {
			return &dost.NewApplication{FIN: e.p["Ali"].FIN, ServiceCode: "05-01-01-00", Channel: dost.ApplicationAtCentre, CentreID: e.centreID}
		}
		invalid := func(t *testing.T, n *dost.NewApplication, field, code string) {
			t.Helper()
			_, _, err := e.svc.SubmitApplication(ctx, n)
			errCode(t, err, dost.EINVALID)
			if !hasField(err, field, code) {
				t.Errorf("fields %+v, want %s %s", dost.ErrorFields(err), field, code)
			}
		}
		t.Run("ErrMissingDocuments", func(t *testing.T) {
			n := pension()
			n.ServiceCode = "06-01-01-00"
			n.FIN = e.p["Rauf"].FIN
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}}
			_, _, err := e.svc.SubmitApplication(ctx, n)
			errCode(t, err, dost.EINVALID)
			for _, code := range []string{"family_composition", "income_statement", "bank_details"} {
				if !hasField(err, "documents."+code, "document.missing") {
					t.Errorf("fields %+v, want documents.%s missing", dost.ErrorFields(err), code)
				}
			}
			if hasField(err, "documents.birth_certificate", "document.missing") || hasField(err, "documents.id_card", "document.missing") {
				t.Errorf("fields %+v name a document that is optional or given", dost.ErrorFields(err))
			}
		})
		t.Run("ErrBadFile", func(t *testing.T) {
			n := pension()
			n.Documents = []dost.NewDocument{{Code: "id_card", FileName: "id.pdf", Content: []byte("MZ\x90\x00 not a PDF at all")}}
			invalid(t, n, "documents[0].file", "file.type_not_allowed")
			if keys := e.files(t); len(keys) != 0 {
				t.Errorf("files stored: %v", keys)
			}
		})
		t.Run("ErrFileTypeMismatch", func(t *testing.T) {
			// A PNG that says it is a PDF, by its name or its declared
			// type: both allowed types, but not what it claims.
			png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
			for _, d := range []dost.NewDocument{
				{Code: "id_card", FileName: "id.pdf", Content: png},
				{Code: "id_card", FileName: "id", ContentType: "application/pdf", Content: png},
			} {
				n := pension()
				n.Documents = []dost.NewDocument{d}
				invalid(t, n, "documents[0].file", "file.type_mismatch")
			}
			if keys := e.files(t); len(keys) != 0 {
				t.Errorf("files stored: %v", keys)
			}
		})
		t.Run("ErrPresentedOnline", func(t *testing.T) {
			n := pension()
			n.Channel = dost.ApplicationOnline
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}}
			invalid(t, n, "documents[0].presented", "document.presented_not_at_centre")
		})
		t.Run("ErrUnknownDocument", func(t *testing.T) {
			n := pension()
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}, {Code: "passport", Presented: true}}
			invalid(t, n, "documents[1].code", "document.unknown")
		})
		t.Run("ErrUnknownPerson", func(t *testing.T) {
			n := pension()
			n.FIN = "9ZZZ999"
			invalid(t, n, "fin", "person.unknown")
		})
		t.Run("ErrUnknownService", func(t *testing.T) {
			n := pension()
			n.ServiceCode = "05-99-99-99"
			invalid(t, n, "service_code", "service.unknown")
		})
		t.Run("ErrPresentedProactive", func(t *testing.T) {
			n := pension()
			n.Channel = dost.ApplicationProactive
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}}
			invalid(t, n, "documents[0].presented", "document.presented_not_at_centre")
		})
		t.Run("ErrChannelNotOffered", func(t *testing.T) {
			n := pension()
			n.Channel = dost.ApplicationByCallCentre
			invalid(t, n, "channel", "channel.not_offered")
		})
		t.Run("ErrPeriod", func(t *testing.T) {
			n := pension()
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}}
			n.Period = november.Add(-40)
			invalid(t, n, "period", "period.out_of_range")
		})
		t.Run("ErrOtherCentre", func(t *testing.T) {
			n := pension()
			n.Documents = []dost.NewDocument{{Code: "id_card", Presented: true}}
			n.CentreID = e.centreID + 1000
			_, _, err := e.svc.SubmitApplication(ctx, n)
			errCode(t, err, dost.EFORBIDDEN)
		})
		if n, _, _ := e.store.FindApplications(context.Background(), dost.ApplicationFilter{}); len(n) != 0 {
			t.Fatalf("after the errors %d applications are stored, want none", len(n))
		}

		// An accepted offer's application carries no documents, though
		// the passport requires some (TSSA: family composition, income
		// statement, bank details): the registries' records replace them.
		t.Run("OKProactiveWithoutDocuments", func(t *testing.T) {
			svc, err := e.catalogue.FindServiceByCode(context.Background(), "06-01-01-00")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(svc.Documents, func(d dost.Document) bool { return d.Required }) {
				t.Fatal("the TSSA passport requires no document; the test proves nothing")
			}
			n := &dost.NewApplication{FIN: e.p["Sevda"].FIN, ServiceCode: svc.Code, Channel: dost.ApplicationProactive,
				IdempotencyKey: "offer:1"}
			a, created, err := e.svc.SubmitApplication(ctx, n)
			if err != nil || !created {
				t.Fatalf("submit: %v, created %v", err, created)
			}
			if a.Channel != dost.ApplicationProactive || a.Status != dost.ApplicationSubmitted || len(a.Documents) != 0 {
				t.Errorf("got channel %s, status %s, %d documents; want proactive, submitted, none", a.Channel, a.Status, len(a.Documents))
			}
			// The same service at a window still needs its documents.
			n = &dost.NewApplication{FIN: e.p["Sevda"].FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: e.centreID}
			invalid(t, n, "documents.family_composition", "document.missing")
		})

		t.Run("OKIdempotent", func(t *testing.T) {
			n := pension()
			n.IdempotencyKey = "window-3-ticket-P042"
			n.Documents = []dost.NewDocument{{Code: "id_card", FileName: "id.pdf", Content: pdfFile}, {Code: "labour_book", Presented: true}}
			a, created, err := e.svc.SubmitApplication(ctx, n)
			if err != nil || !created {
				t.Fatalf("submit: %v, created %v", err, created)
			}
			if a.Status != dost.ApplicationSubmitted || a.HouseholdID != e.hh["Ali"] || a.Period != november || a.SubmittedBy != e.u["operator"].ID ||
				a.Deadline != dost.MustDate("2026-11-26") || !strings.HasPrefix(a.Number, "A-2026-") || a.CentreID != e.centreID {
				t.Errorf("got %+v", a)
			}
			if len(a.Transitions) != 1 || a.Transitions[0].Action != casework.ActionSubmit || a.Transitions[0].To != dost.ApplicationSubmitted ||
				a.Transitions[0].ActorID != e.u["operator"].ID {
				t.Errorf("transitions %+v", a.Transitions)
			}
			if len(a.Documents) != 2 || a.Documents[0].ContentType != "application/pdf" || !a.Documents[1].Presented {
				t.Fatalf("documents %+v", a.Documents)
			}
			keys := e.files(t)
			if len(keys) != 1 || !strings.HasPrefix(keys[0], "applications/2026/") {
				t.Fatalf("files %v, want one under applications/2026/", keys)
			}

			again, created, err := e.svc.SubmitApplication(ctx, n)
			if err != nil || created || again.ID != a.ID {
				t.Fatalf("repeat: id %v, created %v, err %v; want id %d, false, nil", again, created, err, a.ID)
			}
			if got := e.files(t); len(got) != 1 || got[0] != keys[0] {
				t.Errorf("after the repeat files are %v, want %v", got, keys)
			}
			// The key again, for another submission: a conflict, nothing
			// stored. The same submission in another order, with the note
			// spaced otherwise, is the same.
			other := *n
			other.Documents = []dost.NewDocument{{Code: "id_card", FileName: "id.pdf", Content: append(slices.Clone(pdfFile), '\n')}, {Code: "labour_book", Presented: true}}
			for name, change := range map[string]func(*dost.NewApplication){
				"file":   func(m *dost.NewApplication) {},
				"note":   func(m *dost.NewApplication) { m.Documents, m.Note = n.Documents, "another" },
				"person": func(m *dost.NewApplication) { m.Documents, m.FIN = n.Documents, e.p["Leyla"].FIN },
			} {
				m := other
				change(&m)
				_, _, err := e.svc.SubmitApplication(ctx, &m)
				errCode(t, err, dost.ECONFLICT)
				if !hasField(err, "idempotency_key", "idempotency.mismatch") {
					t.Errorf("another %s: fields %+v, want idempotency_key idempotency.mismatch", name, dost.ErrorFields(err))
				}
			}
			if got := e.files(t); len(got) != 1 || got[0] != keys[0] {
				t.Errorf("after the conflicts files are %v, want %v", got, keys)
			}
			if _, total, _ := e.store.FindApplications(context.Background(), dost.ApplicationFilter{PersonID: e.p["Ali"].ID}); total != 1 {
				t.Errorf("%d applications of Ali, want 1", total)
			}
			same := *n
			same.Documents = []dost.NewDocument{n.Documents[1], n.Documents[0]}
			same.Note = "  " + n.Note + " "
			if again, created, err := e.svc.SubmitApplication(ctx, &same); err != nil || created || again.ID != a.ID {
				t.Errorf("the same, reordered: %v, created %v, %v; want %d", again, created, err, a.ID)
			}
			d, content, err := e.svc.OpenDocument(ctx, a.ID, a.Documents[0].ID)
			if err != nil || !bytes.Equal(content, pdfFile) || d.Code != "id_card" {
				t.Errorf("open document: %v, %d bytes", err, len(content))
			}

			t.Run("AddDocument", func(t *testing.T) {
				d, err := e.svc.AddDocument(ctx, a.ID, dost.NewDocument{Code: "bank_details", FileName: "bank.pdf", Content: pdfFile})
				if err != nil || d.ID == 0 {
					t.Fatalf("add: %v", err)
				}
				_, err = e.svc.AddDocument(ctx, a.ID, dost.NewDocument{Code: "bank_details", Content: []byte("text")})
				errCode(t, err, dost.EINVALID)
				if got := len(e.files(t)); got != 2 {
					t.Errorf("%d files, want 2", got)
				}
			})
			t.Run("Citizen", func(t *testing.T) {
				if _, err := e.svc.FindApplicationByID(e.as("citizen"), a.ID); err != nil {
					t.Errorf("the applicant reads it: %v", err)
				}
				rauf := dost.NewContextWithUser(context.Background(), &dost.User{ID: 999, Roles: []dost.Role{dost.RoleCitizen}, PersonID: &e.p["Rauf"].ID})
				_, err := e.svc.FindApplicationByID(rauf, a.ID)
				errCode(t, err, dost.ENOTFOUND)
				as, n, err := e.svc.FindApplications(rauf, dost.ApplicationFilter{})
				if err != nil || n != 0 || len(as) != 0 {
					t.Errorf("another citizen finds %d applications, err %v", n, err)
				}
			})
		})
	})
}

// TestLife walks one application through its whole life: submitted,
// reviewed, information requested and provided, approved with an award
// and notifications, appealed, and the approval overturned, which ends the
// award.
func TestLife(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		cw := "caseworker"
		a := e.submit(t, "Ali", "05-01-01-00")
		e.act(t, cw, a.ID, dost.ActionReview, "")

		_, err := e.svc.Act(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionRequestInformation})
		errCode(t, err, dost.EINVALID)
		if !hasField(err, "reason", "required") {
			t.Errorf("fields %+v, want reason required", dost.ErrorFields(err))
		}
		a = e.act(t, cw, a.ID, dost.ActionRequestInformation, "Bring your labour book.")
		if a.Status != dost.ApplicationInformationRequested {
			t.Fatalf("status %s", a.Status)
		}
		if ns := e.notifications(t, "Ali", "application.information_requested"); len(ns) != 2 || !strings.Contains(ns[0].Body, "Bring your labour book.") {
			t.Errorf("information notifications %+v", ns)
		}
		_, err = e.svc.Act(e.as("citizen"), a.ID, dost.TransitionRequest{Action: dost.ActionReview})
		errCode(t, err, dost.EFORBIDDEN)
		a = e.act(t, "citizen", a.ID, dost.ActionProvideInformation, "")
		if a.Status != dost.ApplicationInReview {
			t.Fatalf("status %s", a.Status)
		}

		_, err = e.svc.Act(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
		errCode(t, err, dost.EINVALID)
		_, err = e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionReview})
		errCode(t, err, dost.EINVALID)

		as, err := e.svc.Assess(e.as(cw), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := e.calculate(t, "old_age_pension", e.hh["Ali"], "Ali", november)
		if want != 34976 {
			t.Errorf("Calculate: old-age pension %s, want the minimum pension 349.76", want)
		}
		if !as.Eligible || len(as.Amounts) != 1 || as.Amounts[0].Amount != want || as.Amounts[0].PersonID != e.p["Ali"].ID || as.RuleSetVersion != az.Version() {
			t.Errorf("assessment %+v, want eligible, %s", as, want)
		}
		// Insured since 1985: service before 2006 becomes capital, whose
		// amount depends on T, which the sources lack.
		if !as.NeedsReview {
			t.Error("assessment: want the amount flagged for review (old_age_pension_needs_review)")
		}

		d, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 || d.Outcome != dost.DecisionApproved || d.RuleSetVersion != az.Version() || d.Period != november ||
			d.DecidedBy != e.u[cw].ID || d.LetterCode == "" || d.Language != "en" || !d.NotifyBy.IsZero() {
			t.Errorf("decision %+v", d)
		}
		if len(d.Amounts) != 1 || d.Amounts[0].Amount != want || !d.Amounts[0].Eligible || d.Amounts[0].Variable != "old_age_pension" {
			t.Errorf("amounts %+v, want %s", d.Amounts, want)
		}
		typed := strings.ToLower(strings.ReplaceAll(d.LetterCode, "-", " "))
		stored, err := e.svc.FindDecisionByLetterCode(context.Background(), typed)
		if err != nil || stored.ID != d.ID || len(stored.Amounts) != 1 || stored.Amounts[0].Amount != want {
			t.Fatalf("by letter code %q: %+v, %v", typed, stored, err)
		}
		_, err = e.svc.FindDecisionByLetterCode(context.Background(), "not a code")
		errCode(t, err, dost.ENOTFOUND)
		var trace struct {
			Period    string `json:"period"`
			Variables []struct {
				Name string `json:"name"`
			} `json:"variables"`
		}
		if err := json.Unmarshal(stored.Trace, &trace); err != nil || trace.Period != "2026-11" || len(trace.Variables) == 0 {
			t.Errorf("trace %s: %v", stored.Trace, err)
		}

		awards, _, err := e.svc.FindAwards(context.Background(), dost.AwardFilter{PersonID: e.p["Ali"].ID})
		if err != nil || len(awards) != 1 {
			t.Fatalf("awards %v, %v", awards, err)
		}
		w := awards[0]
		if w.Programme != "old_age_pension" || w.Amount != want || w.Kind != dost.AwardMonthly || w.Status != dost.AwardActive ||
			w.Start != dost.MustDate("2026-11-01") || !w.End.IsZero() || w.PayeeID != e.p["Ali"].ID || w.DecisionID != d.ID ||
			w.ApplicationID != a.ID || w.HouseholdID != 0 {
			t.Errorf("award %+v", w)
		}
		ns := e.notifications(t, "Ali", "decision.approved")
		if len(ns) != 2 {
			t.Fatalf("%d approval notifications, want sms and email", len(ns))
		}
		wantBody := "Your application " + a.Number + " for Old-age labour pension was approved: 349.76 AZN per month from 2026-11."
		for _, n := range ns {
			if !strings.HasPrefix(n.Body, wantBody) || !strings.Contains(n.Body, "https://dost.example.az/verify/"+d.LetterCode) {
				t.Errorf("%s body %q", n.Channel, n.Body)
			}
		}

		// Appeal, then overturn: the approval is replaced by a refusal
		// and the award ends.
		e.clock.Advance(3 * 24 * time.Hour)
		e.act(t, "citizen", a.ID, dost.ActionAppeal, "My insurance record is complete.")
		_, err = e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionOverturn})
		errCode(t, err, dost.EINVALID)
		d2, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionOverturn, Reason: "The insurance record was forged."})
		if err != nil {
			t.Fatal(err)
		}
		if d2.Outcome != dost.DecisionRefused || d2.NotifyBy != dost.MustDate("2026-11-24") {
			t.Errorf("overturn decision %+v", d2)
		}
		w, err = e.svc.FindAwardByID(context.Background(), w.ID)
		if err != nil || w.Status != dost.AwardEnded || w.StatusReason != "appeal_overturned" || w.End != dost.MustDate("2026-11-19") {
			t.Errorf("award after overturn %+v, %v", w, err)
		}
		a, err = e.svc.FindApplicationByID(context.Background(), a.ID)
		if err != nil || a.Status != dost.ApplicationOverturned || a.DecisionID != d2.ID {
			t.Fatalf("application %+v, %v", a, err)
		}
		var actions []string
		for _, tr := range a.Transitions {
			actions = append(actions, string(tr.Action))
		}
		if got := strings.Join(actions, " "); got != "submit review request_information provide_information approve appeal overturn" {
			t.Errorf("transitions %s", got)
		}
		if ns := e.notifications(t, "Ali", "decision.refused"); len(ns) != 2 || !strings.Contains(ns[0].Body, "forged") {
			t.Errorf("refusal notifications %+v", ns)
		}
		e.act(t, cw, a.ID, dost.ActionClose, "Nothing more to do.")
		_, err = e.svc.Act(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionAppeal})
		errCode(t, err, dost.ECONFLICT)
	})
}

func TestRefuse(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		cw := "caseworker"
		a := e.submit(t, "Rauf", "06-01-01-00")
		e.act(t, cw, a.ID, dost.ActionReview, "")

		t.Run("ErrNoReason", func(t *testing.T) {
			_, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, Reason: "No."})
			errCode(t, err, dost.EINVALID)
			if !hasField(err, "reason_code", "required") {
				t.Errorf("fields %+v", dost.ErrorFields(err))
			}
		})
		t.Run("ErrUnknownReason", func(t *testing.T) {
			_, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "too_rich"})
			errCode(t, err, dost.EINVALID)
			if !hasField(err, "reason_code", "refusal_reason.unknown") {
				t.Errorf("fields %+v", dost.ErrorFields(err))
			}
		})
		if got, _ := e.svc.FindApplicationByID(context.Background(), a.ID); got.Status != dost.ApplicationInReview || got.DecisionID != 0 {
			t.Fatalf("after the errors: %+v", got)
		}

		d, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "vehicle_owned", Reason: "A car is registered to the family."})
		if err != nil {
			t.Fatal(err)
		}
		if d.Outcome != dost.DecisionRefused || d.ReasonCode != "vehicle_owned" || d.NotifyBy != dost.MustDate("2026-11-23") || len(d.Amounts) != 1 || len(d.Trace) == 0 {
			t.Errorf("decision %+v", d)
		}
		if ns := e.notifications(t, "Rauf", "decision.refused"); len(ns) != 2 || !strings.Contains(ns[0].Body, "car") || !strings.Contains(ns[0].Body, "appeal within 30 days") {
			t.Errorf("notifications %+v", ns)
		}
		if awards, n, _ := e.svc.FindAwards(context.Background(), dost.AwardFilter{HouseholdID: e.hh["Rauf"]}); n != 0 {
			t.Errorf("awards after a refusal: %+v", awards)
		}

		t.Run("ErrAppealTooLate", func(t *testing.T) {
			e.clock.Advance(31 * 24 * time.Hour)
			_, err := e.svc.Act(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionAppeal, Reason: "The car was sold."})
			errCode(t, err, dost.EINVALID)
			if !hasField(err, "action", "appeal.too_late") {
				t.Errorf("fields %+v", dost.ErrorFields(err))
			}
			e.clock.Advance(-31 * 24 * time.Hour)
		})

		// Overturning the refusal approves: the household's TSSA award.
		e.act(t, cw, a.ID, dost.ActionAppeal, "The applicant says the car was sold.")
		d2, err := e.svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionOverturn, Reason: "The car was sold in 2025."})
		if err != nil {
			t.Fatal(err)
		}
		want := e.calculate(t, "tssa_amount", e.hh["Rauf"], "", november)
		if want != 130000 {
			t.Errorf("Calculate: TSSA %s, want 1300.00", want)
		}
		if d2.Outcome != dost.DecisionApproved || len(d2.Amounts) != 1 || d2.Amounts[0].Amount != want || d2.Amounts[0].HouseholdID != e.hh["Rauf"] {
			t.Errorf("decision %+v", d2)
		}
		awards, _, err := e.svc.FindAwards(context.Background(), dost.AwardFilter{HouseholdID: e.hh["Rauf"]})
		if err != nil || len(awards) != 1 {
			t.Fatalf("awards %v, %v", awards, err)
		}
		if w := awards[0]; w.Programme != "tssa" || w.Amount != want || w.PersonID != 0 || w.PayeeID != e.p["Rauf"].ID ||
			w.Start != dost.MustDate("2026-11-01") || w.End != dost.MustDate("2027-10-31") {
			t.Errorf("award %+v", w)
		}
	})
}

// TestDecideImpartial: nobody decides their own application or one of a
// member of their household, and a citizen decides nothing.
func TestDecideImpartial(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		a := e.submit(t, "Ali", "05-01-01-00")
		e.act(t, "caseworker", a.ID, dost.ActionReview, "")
		for _, user := range []string{"ali", "leyla", "citizen"} {
			t.Run(user, func(t *testing.T) {
				_, err := e.svc.Decide(e.as(user), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
				errCode(t, err, dost.EFORBIDDEN)
			})
		}
		if got, _ := e.svc.FindApplicationByID(context.Background(), a.ID); got.Status != dost.ApplicationInReview {
			t.Errorf("status %s, want in_review", got.Status)
		}
		if _, n, _ := e.svc.FindAwards(context.Background(), dost.AwardFilter{PersonID: e.p["Ali"].ID}); n != 0 {
			t.Errorf("%d awards, want none", n)
		}
		if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
			t.Errorf("an unrelated case worker: %v", err)
		}
	})
}

// TestApproveNoRight: approving what the rules find no right to is
// refused, and Assess says so.
func TestApproveNoRight(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		a := e.submit(t, "Rauf", "05-01-01-00")
		e.act(t, "caseworker", a.ID, dost.ActionReview, "")
		as, err := e.svc.Assess(e.as("caseworker"), a.ID)
		if err != nil || as.Eligible || as.NeedsReview || len(as.Amounts) != 1 || as.Amounts[0].Amount != 0 || len(as.Trace) == 0 {
			t.Errorf("assessment %+v, %v", as, err)
		}
		_, err = e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
		errCode(t, err, dost.EINVALID)
		if !hasField(err, "action", "rules.no_right") {
			t.Errorf("fields %+v", dost.ErrorFields(err))
		}
		if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "not_eligible"}); err != nil {
			t.Errorf("refuse: %v", err)
		}

		// A service that opens no programme is approved without rules.
		c := e.submit(t, "Rauf", "01-01-01-00")
		e.act(t, "caseworker", c.ID, dost.ActionReview, "")
		d, err := e.svc.Decide(e.as("caseworker"), c.ID, dost.TransitionRequest{Action: dost.ActionApprove})
		if err != nil || d.RuleSetVersion != "" || len(d.Amounts) != 0 || len(d.Trace) != 0 {
			t.Errorf("certificate decision %+v, %v", d, err)
		}
		if c.Deadline != dost.MustDate("2026-11-16") {
			t.Errorf("certificate deadline %s, want the day of submission", c.Deadline)
		}
	})
}

func TestAssignProactively(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		req := casework.ProactiveRequest{Programme: "old_age_pension", PersonID: e.p["Vuqar"].ID, Period: november, Start: dost.MustDate("2026-11-05")}
		w, created, err := e.svc.AssignProactively(ctx, req)
		if err != nil || !created || w == nil {
			t.Fatalf("assign: %v, %v, %v", w, created, err)
		}
		want := e.calculate(t, "old_age_pension", 0, "Vuqar", november)
		if w.ID == 0 || w.Amount != want || w.PersonID != e.p["Vuqar"].ID || w.PayeeID != e.p["Vuqar"].ID || w.Start != req.Start || w.Period != november {
			t.Errorf("award %+v, want %s", w, want)
		}
		a, err := e.svc.FindApplicationByID(ctx, w.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, tr := range a.Transitions {
			if tr.ActorID != 0 {
				t.Errorf("transition %s by %d, want dost itself", tr.Action, tr.ActorID)
			}
			steps = append(steps, string(tr.From)+">"+string(tr.To))
		}
		if a.Channel != dost.ApplicationProactive || a.Status != dost.ApplicationApproved || strings.Join(steps, " ") != ">submitted submitted>in_review in_review>approved" {
			t.Errorf("application %+v, steps %v", a, steps)
		}
		d, err := e.svc.FindDecisionByID(ctx, w.DecisionID)
		if err != nil || d.Amounts[0].Amount != want || len(d.Trace) == 0 || d.Language != "az" {
			t.Errorf("decision %+v, %v", d, err)
		}
		ns := e.notifications(t, "Vuqar", "award.made")
		if len(ns) != 2 || ns[0].Language != "az" || !strings.Contains(ns[0].Body, "349.76 AZN") {
			t.Errorf("notifications %+v", ns)
		}

		t.Run("Repeat", func(t *testing.T) {
			again, created, err := e.svc.AssignProactively(ctx, req)
			if err != nil || created || again == nil || again.ID != w.ID {
				t.Errorf("got %v, %v, %v; want award %d, false", again, created, err, w.ID)
			}
			// Next month the open monthly award is the award.
			next := req
			next.Period, next.Start = november.Add(1), dost.Date{}
			again, created, err = e.svc.AssignProactively(ctx, next)
			if err != nil || created || again == nil || again.ID != w.ID {
				t.Errorf("next month: got %v, %v, %v; want award %d, false", again, created, err, w.ID)
			}
		})
		t.Run("NotEntitled", func(t *testing.T) {
			w, created, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "old_age_pension", PersonID: e.p["Rauf"].ID, Period: november})
			if w != nil || created || err != nil {
				t.Errorf("got %v, %v, %v; want nil, false, nil", w, created, err)
			}
		})
		t.Run("ErrBeneficiary", func(t *testing.T) {
			_, _, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "tssa", PersonID: e.p["Rauf"].ID, Period: november})
			errCode(t, err, dost.EINVALID)
			_, _, err = e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "no_such", PersonID: 1, Period: november})
			errCode(t, err, dost.EINVALID)
		})
		t.Run("BirthAllowance", func(t *testing.T) {
			w, created, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "birth_allowance",
				PersonID: e.p["Nuray"].ID, PayeeID: e.p["Sevda"].ID, Period: november, Start: dost.MustDate("2026-11-03")})
			if err != nil || !created {
				t.Fatalf("got %v, %v", created, err)
			}
			if w.Kind != dost.AwardOneOff || w.Amount != dost.AZN(600) || w.PersonID != e.p["Nuray"].ID || w.PayeeID != e.p["Sevda"].ID {
				t.Errorf("award %+v", w)
			}
			if ns := e.notifications(t, "Sevda", "award.made"); len(ns) != 2 {
				t.Errorf("%d notifications to the mother, want 2", len(ns))
			}
		})
		t.Run("Concurrent", func(t *testing.T) {
			// 20 requests for TSSA of one household, for two periods:
			// one award, whoever wins.
			var wg sync.WaitGroup
			var mu sync.Mutex // mu guards ids and made
			ids := map[int64]int{}
			made := 0
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := casework.ProactiveRequest{Programme: "tssa", HouseholdID: e.hh["Rauf"], Period: november.Add(i % 2)}
					w, created, err := e.svc.AssignProactively(ctx, r)
					mu.Lock()
					defer mu.Unlock()
					if err != nil || w == nil {
						t.Errorf("request %d: %v, %v", i, w, err)
						return
					}
					ids[w.ID]++
					if created {
						made++
					}
				}()
			}
			wg.Wait()
			if made != 1 || len(ids) != 1 {
				t.Errorf("%d awards made, %d distinct returned (%v); want 1 and 1", made, len(ids), ids)
			}
			awards, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{HouseholdID: e.hh["Rauf"]})
			if err != nil || len(awards) != 1 || awards[0].PayeeID != e.p["Rauf"].ID || awards[0].End.IsZero() {
				t.Errorf("awards %+v, %v", awards, err)
			}
			apps, _, err := e.svc.FindApplications(ctx, dost.ApplicationFilter{ServiceCode: "06-01-01-00"})
			if err != nil || len(apps) != 1 {
				t.Errorf("%d applications, want 1 (%v)", len(apps), err)
			}
		})
	})
}

func TestMarkLate(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		decided := e.submit(t, "Ali", "05-01-01-00")
		late := e.submit(t, "Rauf", "06-01-01-00")
		online, _, err := e.svc.SubmitApplication(e.as(""), &dost.NewApplication{FIN: e.p["Kamran"].FIN, ServiceCode: "03-03-01-00",
			Channel: dost.ApplicationOnline, Documents: []dost.NewDocument{{Code: "disability_certificate", FileName: "c.pdf", Content: pdfFile}}})
		if err != nil {
			t.Fatal(err)
		}
		e.act(t, "caseworker", decided.ID, dost.ActionReview, "")
		if _, err := e.svc.Decide(e.as("caseworker"), decided.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
			t.Fatal(err)
		}

		if n, err := e.svc.MarkLate(ctx); err != nil || n != 0 {
			t.Fatalf("on the day: marked %d, %v; want 0", n, err)
		}
		e.clock.Set(time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC)) // 27 November in Baku
		if n, err := e.svc.MarkLate(ctx); err != nil || n != 2 {
			t.Fatalf("marked %d, %v; want 2", n, err)
		}
		if n, err := e.svc.MarkLate(ctx); err != nil || n != 0 {
			t.Errorf("again: marked %d, %v; want 0", n, err)
		}
		yes := true
		lates, _, err := e.svc.FindApplications(ctx, dost.ApplicationFilter{Late: &yes})
		if err != nil || len(lates) != 2 {
			t.Fatalf("late applications %v, %v", lates, err)
		}
		ns, _, err := e.store.FindNotifications(ctx, dost.NotificationFilter{Topic: "application.late"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, n := range ns {
			got[n.To] = n.UserID
			if n.Channel != dost.NotifyEmail || !strings.Contains(n.Subject, "A-2026-") {
				t.Errorf("notification %+v", n)
			}
		}
		want := map[string]int64{"supervisor@example.az": e.u["supervisor"].ID, "network@example.az": e.u["network"].ID}
		if len(ns) != 2 || len(got) != 2 || got["supervisor@example.az"] != want["supervisor@example.az"] || got["network@example.az"] != want["network@example.az"] {
			t.Errorf("late notifications to %v, want the centre's supervisor (centre application) and the network's (online, no centre)", got)
		}
		for _, n := range ns {
			if n.To == "supervisor@example.az" && !strings.Contains(n.Body, late.Number) || n.To == "network@example.az" && !strings.Contains(n.Body, online.Number) {
				t.Errorf("%s: body %q", n.To, n.Body)
			}
		}

		counts, err := e.svc.DeadlineCounts(ctx, []int64{e.centreID}, dost.MustDate("2026-11-01"), dost.MustDate("2026-11-30"))
		if err != nil {
			t.Fatal(err)
		}
		byService := map[string]dost.DeadlineCounts{}
		for _, c := range counts {
			byService[c.ServiceCode] = c
		}
		if c := byService["05-01-01-00"]; c.OnTime != 1 || c.Late != 0 || c.OpenOnTime != 0 || c.OpenLate != 0 {
			t.Errorf("pension counts %+v", c)
		}
		if c := byService["06-01-01-00"]; c.OpenLate != 1 || c.OnTime+c.Late+c.OpenOnTime != 0 {
			t.Errorf("TSSA counts %+v", c)
		}
		if _, ok := byService["03-03-01-00"]; ok {
			t.Errorf("the online application of no centre is counted for the centre: %+v", counts)
		}
	})
}

// TestDeadline counts deadlines in working days across a holiday, a
// weekend and the new year, and in calendar days.
func TestDeadline(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		svc, err := e.catalogue.FindServiceByCode(ctx, "01-01-01-00")
		if err != nil {
			t.Fatal(err)
		}
		svc.Code, svc.DeadlineDays, svc.WorkingDays = "01-01-99-00", 5, true
		if err := e.catalogue.SaveService(ctx, svc); err != nil {
			t.Fatal(err)
		}
		if err := e.store.SetHoliday(ctx, dost.Holiday{Date: dost.MustDate("2026-11-19"), Name: dost.Text{AZ: "Sınaq", EN: "Test", RU: "Тест"}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			now     time.Time
			service string
			want    string
		}{
			// Monday 16th: 17, 18, (19 holiday), 20, (21, 22 weekend), 23, 24.
			{dosttest.DefaultNow, "01-01-99-00", "2026-11-24"},
			// Ten calendar days.
			{dosttest.DefaultNow, "05-01-01-00", "2026-11-26"},
			// Ten calendar days ending on Saturday 28 November move to Monday.
			{time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC), "05-01-01-00", "2026-11-30"},
			// Monday 28 December: 29, 30, (31, 1 January holidays, 2, 3
			// weekend), 4, 5, 6 January 2027.
			{time.Date(2026, 12, 28, 10, 0, 0, 0, time.UTC), "01-01-99-00", "2027-01-06"},
		} {
			e.clock.Set(c.now)
			a := e.submit(t, "Kamran", c.service)
			if a.Deadline != dost.MustDate(c.want) {
				t.Errorf("%s submitted %s: deadline %s, want %s", c.service, c.now.Format(time.DateOnly), a.Deadline, c.want)
			}
		}
	})
}

// A birth is paid once, however many ways it is claimed: the proactive
// award for the child, then the mother's application, then the father's.
func TestBirthAllowanceOnce(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		child := e.p["Nuray"].ID
		w, created, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "birth_allowance",
			PersonID: child, PayeeID: e.p["Sevda"].ID, Period: november, Start: dost.MustDate("2026-11-03")})
		if err != nil || !created {
			t.Fatalf("assign: %v, %v", created, err)
		}
		for _, parent := range []string{"Sevda", "Rauf"} {
			a := e.submit(t, parent, "05-02-01-00")
			e.act(t, "caseworker", a.ID, dost.ActionReview, "")
			_, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
			errCode(t, err, dost.ECONFLICT)
			if err != nil && !strings.Contains(err.Error(), "award "+strconv.FormatInt(w.ID, 10)+" ") {
				t.Errorf("%s: got %q, want the existing award %d named", parent, err, w.ID)
			}
		}
		awards, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{Programme: "birth_allowance"})
		if err != nil || len(awards) != 1 || awards[0].ID != w.ID {
			t.Errorf("got %d awards (%v), want 1: %d", len(awards), err, w.ID)
		}
	})
}

// An application for a one-off programme is awarded to the member the
// amount is for (the child), paid to the applicant; the other parent's
// application then finds it.
func TestBirthAllowanceApplication(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		a := e.submit(t, "Sevda", "05-02-01-00")
		e.act(t, "caseworker", a.ID, dost.ActionReview, "")
		if _, err := e.svc.Decide(e.as("caseworker"), a.ID, dost.TransitionRequest{Action: dost.ActionApprove}); err != nil {
			t.Fatal(err)
		}
		b := e.submit(t, "Rauf", "05-02-01-00")
		e.act(t, "caseworker", b.ID, dost.ActionReview, "")
		_, err := e.svc.Decide(e.as("caseworker"), b.ID, dost.TransitionRequest{Action: dost.ActionApprove})
		errCode(t, err, dost.ECONFLICT)
		w, created, err := e.svc.AssignProactively(ctx, casework.ProactiveRequest{Programme: "birth_allowance",
			PersonID: e.p["Nuray"].ID, PayeeID: e.p["Sevda"].ID, Period: november})
		if err != nil || created {
			t.Errorf("assign: got %v, %v; want the application's award", created, err)
		}
		awards, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{Programme: "birth_allowance"})
		if err != nil || len(awards) != 1 {
			t.Fatalf("got %d awards (%v), want 1", len(awards), err)
		}
		if got := awards[0]; got.PersonID != e.p["Nuray"].ID || got.PayeeID != e.p["Sevda"].ID || got.Amount != dost.AZN(600) ||
			got.ApplicationID != a.ID || w == nil || w.ID != got.ID {
			t.Errorf("award %+v, want Nuray's 600 AZN paid to Sevda", got)
		}
	})
}

// A deceased person applies for a service about a death only.
func TestSubmitApplication_Deceased(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		died, deceased := dost.MustDate("2026-11-10"), dost.PersonDeceased
		if _, err := e.persons.UpdatePerson(context.Background(), e.p["Vuqar"].FIN, dost.PersonUpdate{Status: &deceased, DeathDate: &died}); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.svc.SubmitApplication(e.as("operator"), &dost.NewApplication{FIN: e.p["Vuqar"].FIN, ServiceCode: "05-01-01-00",
			Channel: dost.ApplicationAtCentre, CentreID: e.centreID})
		if !hasField(err, "fin", "person.deceased") {
			t.Errorf("old-age pension: got %v, want fin person.deceased", err)
		}
		for _, service := range []string{"05-02-03-00", casework.SurvivorPensionService} {
			_, _, err := e.svc.SubmitApplication(e.as("operator"), &dost.NewApplication{FIN: e.p["Vuqar"].FIN, ServiceCode: service,
				Channel: dost.ApplicationAtCentre, CentreID: e.centreID})
			if hasField(err, "fin", "person.deceased") {
				t.Errorf("%s: got %v, want a service about a death accepted", service, err)
			}
		}
	})
}

// TestSubmitCentre checks that an application submitted without a centre
// still reaches a centre's queue.
func TestSubmitCentre(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		cfg := e.cfg
		cfg.Centres = sqlstore.NewCentreService(db)
		svc, err := casework.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ganja := demo.Centres()[2]
		if err := sqlstore.NewCentreService(db).CreateCentre(context.Background(), ganja); err != nil {
			t.Fatal(err)
		}
		person := func(t *testing.T, fin, region, district string) *dost.Person {
			t.Helper()
			p := &dost.Person{FIN: dost.FIN(fin), FirstName: "Zaur", LastName: "Testov", BirthDate: dost.MustDate("1950-01-01"),
				Sex: dost.SexMale, Language: "en", Region: region, District: district}
			if err := e.persons.CreatePerson(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		submit := func(t *testing.T, ctx context.Context, p *dost.Person) *dost.Application {
			t.Helper()
			a, _, err := svc.SubmitApplication(ctx, &dost.NewApplication{FIN: p.FIN, ServiceCode: "05-01-01-00",
				Channel: dost.ApplicationProactive, IdempotencyKey: "centre:" + string(p.FIN)})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		t.Run("StaffCentre", func(t *testing.T) {
			a := submit(t, e.as("operator"), person(t, "2ZAU001", "Ganja-Dashkasan", "Ganja"))
			if a.CentreID != e.centreID {
				t.Errorf("got centre %d, want the operator's %d", a.CentreID, e.centreID)
			}
		})
		t.Run("District", func(t *testing.T) {
			a := submit(t, context.Background(), person(t, "2ZAU002", "Ganja-Dashkasan", "Ganja"))
			if a.CentreID != ganja.ID {
				t.Errorf("got centre %d, want Ganja's %d", a.CentreID, ganja.ID)
			}
		})
		t.Run("ErrUnknownCentre", func(t *testing.T) {
			// Staff of no centre may name any centre, but it must exist.
			p := person(t, "2ZAU004", "", "")
			_, _, err := svc.SubmitApplication(e.as("network"), &dost.NewApplication{FIN: p.FIN, ServiceCode: "05-01-01-00",
				Channel: dost.ApplicationAtCentre, CentreID: 999999, IdempotencyKey: "centre:unknown",
				Documents: []dost.NewDocument{{Code: "id_card", Presented: true}}})
			errCode(t, err, dost.EINVALID)
			if !hasField(err, "centre_id", "centre.unknown") {
				t.Errorf("fields %+v, want centre_id centre.unknown", dost.ErrorFields(err))
			}
			if _, n, err := e.store.FindApplications(context.Background(), dost.ApplicationFilter{PersonID: p.ID}); err != nil || n != 0 {
				t.Errorf("%d applications stored, %v; want none", n, err)
			}
		})
		t.Run("FirstCentre", func(t *testing.T) {
			a := submit(t, context.Background(), person(t, "2ZAU003", "", ""))
			if a.CentreID != e.centreID {
				t.Errorf("got centre %d, want the first centre (baku-3) %d", a.CentreID, e.centreID)
			}
		})
	})
}
