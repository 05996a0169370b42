package proactive_test

import (
	"strings"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/catalogue"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

// TestOfferMessage: an offer's SMS and e-mail link to the portal's
// one-click confirmation when dost has a base URL, in the person's
// language; without one they name the portal.
func TestOfferMessage(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		// Entitled to TSSA alone, speaking Russian and Azerbaijani.
		e.earner(t, "Zarina", "1ZAR001", 100, false)
		e.earnerIn(t, "Aynur", "1AYN001", 100, false, "az")
		linked := e.proactive(t, func(c *proactive.Config) { c.BaseURL = "https://dost.example.az/" })
		offer := func(svc *proactive.Service, id, name string) []*dost.Notification {
			t.Helper()
			if _, _, err := svc.ReceiveEvent(e.registry(), &dost.LifeEvent{ID: id, Kind: dost.EventEmploymentEnded,
				FIN: e.p[name].FIN, Date: today.AddDate(0, 0, -1), Employment: &dost.EmploymentFacts{Reason: dost.DismissalStaffCut}}); err != nil {
				t.Fatal(err)
			}
			ns, _, err := e.caseDB.FindNotifications(ctx, dost.NotificationFilter{PersonID: e.p[name].ID, Topic: "offer.sent"})
			if err != nil || len(ns) != 2 {
				t.Fatalf("%s's offer notifications: %+v, %v; want an SMS and an e-mail", name, ns, err)
			}
			return ns
		}
		const link = "https://dost.example.az/my/offers"
		for _, n := range offer(linked, "emp:1", "Elvin") {
			if !strings.Contains(n.Body, "confirm in one click at "+link+" ") || n.Language != "en" {
				t.Errorf("%s: %q, want the link %s in English", n.Channel, n.Body, link)
			}
		}
		for _, n := range offer(linked, "emp:2", "Zarina") {
			if !strings.Contains(n.Body, "одним нажатием на "+link+" ") || n.Language != "ru" {
				t.Errorf("%s: %q, want the link %s in Russian", n.Channel, n.Body, link)
			}
		}
		for _, n := range offer(e.svc, "emp:3", "Aynur") { // no base URL
			if strings.Contains(n.Body, "http") || !strings.Contains(n.Body, "DOST portalında") {
				t.Errorf("%s without a base URL: %q, want the portal named, no link", n.Channel, n.Body)
			}
		}
	})
}

// TestModes_ShippedAgree: the shipped catalogue's assignment modes agree
// with Programme.Offer, which decides when no catalogue is configured.
func TestModes_ShippedAgree(t *testing.T) {
	services, err := catalogue.Services()
	if err != nil {
		t.Fatal(err)
	}
	mode := map[string]dost.AssignmentMode{}
	for _, s := range services {
		mode[s.Code] = s.AssignmentMode
	}
	for _, p := range az.Programmes() {
		want := dost.ModeProactive
		if p.Offer {
			want = dost.ModeOnApplication
		}
		if got := mode[p.ServiceCode]; got != want {
			t.Errorf("programme %s: service %s has assignment mode %q, but Offer %v means %q", p.Code, p.ServiceCode, got, p.Offer, want)
		}
	}
}

// TestModes_FromCatalogue: a programme is assigned or offered as its
// service's assignment mode in the catalogue says now, not as the
// programme was built.
func TestModes_FromCatalogue(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		setMode := func(code string, m dost.AssignmentMode) {
			t.Helper()
			s, err := e.catalog.FindServiceByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			s.AssignmentMode = m
			if err := e.catalog.SaveService(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		// TSSA made proactive: Rashad's household is awarded it, not
		// offered; the pension put on application: Tofiq is offered it
		// on the day; the disability allowance given no mode: nothing.
		setMode("06-01-01-00", dost.ModeProactive)
		setMode("05-01-01-00", dost.ModeOnApplication)
		setMode("03-03-01-00", dost.ModeNone)

		got := e.receive(t, proactive.DateChanged(today))
		var pension *dost.LifeEventEffect
		for i, f := range got.Outcome {
			if f.PersonID == e.p["Tofiq"].ID && f.Programme == "old_age_pension" {
				pension = &got.Outcome[i]
			}
		}
		if pension == nil || pension.Kind != "offer_sent" || len(e.awards(t, e.p["Tofiq"].ID, "old_age_pension")) != 0 {
			t.Fatalf("Tofiq's pension: %+v, want offered, not awarded", got.Outcome)
		}

		sum, err := e.svc.Scan(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p := stats(t, sum, "tssa"); p.Awarded == 0 || p.Offered != 0 {
			t.Errorf("scan: TSSA %+v, want awarded, not offered", p)
		}
		ws, _, err := e.cases.FindAwards(ctx, dost.AwardFilter{HouseholdID: e.hh["Rashad"], Programme: "tssa"})
		if err != nil || len(ws) != 1 {
			t.Fatalf("Rashad's household's TSSA: %+v, %v; want an award", ws, err)
		}

		ev := e.receive(t, &dost.LifeEvent{ID: "mse:1", Kind: dost.EventDisabilityAssessed, FIN: e.p["Kamran"].FIN,
			Date: today, Disability: &dost.DisabilityFacts{Degree: dost.DisabilityII, Cause: dost.CauseGeneral}})
		if len(e.awards(t, e.p["Kamran"].ID, "disability_allowance")) != 0 || len(ev.Outcome) < 2 || ev.Outcome[1].Kind != "not_proactive" {
			t.Fatalf("disability with mode none: %+v, want not_proactive and no award", ev.Outcome)
		}
	})
}
