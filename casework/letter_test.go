package casework_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// withCentres returns a Service like e.svc that also names centres on
// letters.
func (e *env) withCentres(t *testing.T) *casework.Service {
	t.Helper()
	files, err := filestore.NewDisk(e.filesDir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := casework.New(casework.Config{
		Store: e.store, Persons: e.persons, Households: e.households, Catalogue: e.catalogue,
		Users: sqlstore.NewUserService(e.db), Population: e.pop, RuleSet: e.rs, RuleSetVersion: az.Version(),
		Programmes: az.Programmes(), Files: files, Centres: sqlstore.NewCentreService(e.db), Clock: e.clock,
		BaseURL: "https://dost.example.az/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestLetter(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := e.withCentres(t)
		cw := "caseworker"
		centre, err := sqlstore.NewCentreService(db).FindCentreByID(ctx, e.centreID)
		if err != nil {
			t.Fatal(err)
		}
		programme := func(code string) dost.Programme {
			t.Helper()
			i := slices.IndexFunc(az.Programmes(), func(p dost.Programme) bool { return p.Code == code })
			if i < 0 {
				t.Fatalf("no programme %s", code)
			}
			return az.Programmes()[i]
		}
		service := func(code string) *dost.Service {
			t.Helper()
			s, err := e.catalogue.FindServiceByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		t.Run("Approval", func(t *testing.T) {
			a := e.submit(t, "Ali", "05-01-01-00")
			e.act(t, cw, a.ID, dost.ActionReview, "")
			d, err := svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
			if err != nil {
				t.Fatal(err)
			}
			l, err := svc.Letter(ctx, d.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			pension := programme("old_age_pension")
			if l.Language != "en" || l.Name != "Testov Ali" || l.FIN != e.p["Ali"].FIN || l.ApplicationNumber != a.Number ||
				l.ApplicationDate != dost.MustDate("2026-11-16") || l.DecisionDate != dost.MustDate("2026-11-16") ||
				l.Service != service("05-01-01-00").Name.EN || l.Outcome != dost.DecisionApproved || l.Reason != "" ||
				l.Centre != centre.Name.EN || l.DecidedBy != "Kamran Testov" || l.Code != d.LetterCode ||
				l.VerifyURL != "https://dost.example.az/verify/"+d.LetterCode {
				t.Errorf("letter %+v", l)
			}
			if len(l.Amounts) != 1 || l.Amounts[0].Programme != pension.Name.EN || l.Amounts[0].Amount != 34976 ||
				l.Amounts[0].Kind != dost.AwardMonthly || l.Amounts[0].From != november {
				t.Errorf("amounts %+v", l.Amounts)
			}
			if err := l.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}

			// The verification page asks for the visitor's language.
			ru, err := svc.Letter(ctx, d.ID, "ru")
			if err != nil {
				t.Fatal(err)
			}
			if ru.Language != "ru" || ru.Service != service("05-01-01-00").Name.RU || ru.Centre != centre.Name.RU || ru.Amounts[0].Programme != pension.Name.RU {
				t.Errorf("letter in ru %+v", ru)
			}

			var b bytes.Buffer
			if err := svc.WriteLetter(ctx, d.ID, &b); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || b.Len() < 5000 {
				t.Errorf("WriteLetter wrote %d bytes starting %q", b.Len(), b.Bytes()[:min(b.Len(), 8)])
			}
		})

		t.Run("Refusal", func(t *testing.T) {
			a := e.submit(t, "Rauf", "06-01-01-00")
			e.act(t, cw, a.ID, dost.ActionReview, "")
			d, err := svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionRefuse, ReasonCode: "vehicle_owned", Reason: "A car is registered to the family."})
			if err != nil {
				t.Fatal(err)
			}
			l, err := svc.Letter(ctx, d.ID, "az")
			if err != nil {
				t.Fatal(err)
			}
			s := service("06-01-01-00")
			i := slices.IndexFunc(s.RefusalReasons, func(r dost.RefusalReason) bool { return r.Code == "vehicle_owned" })
			if i < 0 {
				t.Fatal("no refusal reason vehicle_owned")
			}
			if want := strings.TrimSuffix(s.RefusalReasons[i].Text.AZ, ".") + ". A car is registered to the family."; l.Reason != want {
				t.Errorf("reason %q, want %q", l.Reason, want)
			}
			if l.Outcome != dost.DecisionRefused || len(l.Amounts) != 0 || l.Service != s.Name.AZ {
				t.Errorf("letter %+v", l)
			}
			var b bytes.Buffer
			if err := svc.WriteLetter(ctx, d.ID, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Errorf("WriteLetter: %v, %d bytes", err, b.Len())
			}
		})

		t.Run("ApprovalWithoutAmounts", func(t *testing.T) {
			// A certificate opens no programme: approved without amounts,
			// its letter says the service is approved.
			var code string
			all, _, err := e.catalogue.FindServices(ctx, dost.ServiceFilter{ActiveOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range all {
				if s.Category == dost.CategoryCertificates && s.Offers(dost.ChannelInPerson) {
					code = s.Code
					break
				}
			}
			if code == "" {
				t.Fatal("no certificate service offered in person")
			}
			a := e.submit(t, "Vuqar", code)
			e.act(t, cw, a.ID, dost.ActionReview, "")
			d, err := svc.Decide(e.as(cw), a.ID, dost.TransitionRequest{Action: dost.ActionApprove})
			if err != nil {
				t.Fatal(err)
			}
			l, err := svc.Letter(ctx, d.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			if l.Language != "az" || l.Outcome != dost.DecisionApproved || len(l.Amounts) != 0 || l.Validate() != nil {
				t.Errorf("letter %+v (%v): want a valid approval in az without amounts", l, l.Validate())
			}
			var b bytes.Buffer
			if err := svc.WriteLetter(ctx, d.ID, &b); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Errorf("WriteLetter: %v, %d bytes", err, b.Len())
			}
		})

		t.Run("ErrUnknownDecision", func(t *testing.T) {
			_, err := svc.Letter(ctx, 999999, "")
			errCode(t, err, dost.ENOTFOUND)
			errCode(t, svc.WriteLetter(ctx, 999999, &bytes.Buffer{}), dost.ENOTFOUND)
		})

		t.Run("NoCentres", func(t *testing.T) {
			// Without Centres a letter names no centre (the approval
			// above).
			ds, _, err := e.svc.FindAwards(ctx, dost.AwardFilter{PersonID: e.p["Ali"].ID})
			if err != nil || len(ds) == 0 {
				t.Fatalf("awards %v, %v", ds, err)
			}
			l, err := e.svc.Letter(ctx, ds[0].DecisionID, "")
			if err != nil || l.Centre != "" || l.Validate() != nil {
				t.Errorf("letter %+v, %v", l, err)
			}
		})
	})
}
