package proactive_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
)

func TestReceiveEvent_Birth(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		var first *dost.LifeEvent

		t.Run("OK", func(t *testing.T) {
			ev := birth("civil:b1", "1NEW001", e.p["Leyla"], e.p["Rashad"], 2)
			got, created, err := e.svc.ReceiveEvent(e.registry(), ev)
			if err != nil || !created {
				t.Fatalf("got created=%v, %v", created, err)
			}
			first = got
			if got.Status != dost.EventProcessed || got.Source != "civil-registry" || got.ProcessedAt == nil || got.Error != "" {
				t.Fatalf("got %+v, want processed", got)
			}
			// The household, re-evaluated, is offered TSSA (4 × 300 − 200).
			if want := []string{"person_added", "household_joined", "award_made", "offer_sent"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v, want %v", kinds(got), want)
			}
			if f := got.Outcome[3]; f.Programme != "tssa" || f.HouseholdID != e.hh["Rashad"] || f.PersonID != e.p["Rashad"].ID {
				t.Fatalf("re-evaluation: got %+v, want TSSA offered to Rashad's household", f)
			}
			child, err := e.persons.FindPersonByFIN(ctx, "1NEW001")
			if err != nil {
				t.Fatal(err)
			}
			if child.BirthDate != today.AddDate(0, 0, -2) || child.FirstName != "Nuray" || child.Sex != dost.SexFemale ||
				child.Address != e.p["Leyla"].Address || child.Language != "en" || got.Outcome[0].PersonID != child.ID {
				t.Fatalf("child: got %+v", child)
			}
			if got.Outcome[1].HouseholdID != e.hh["Rashad"] {
				t.Errorf("household: got %d, want Rashad's %d", got.Outcome[1].HouseholdID, e.hh["Rashad"])
			}
			ws := e.awards(t, child.ID, "birth_allowance")
			if len(ws) != 1 {
				t.Fatalf("got %d birth allowances, want 1", len(ws))
			}
			w := ws[0]
			if w.PayeeID != e.p["Leyla"].ID || w.Amount != dost.AZN(600) || w.Kind != dost.AwardOneOff || w.Period != november ||
				w.Start != child.BirthDate || w.Status != dost.AwardActive || got.Outcome[2].AwardID != w.ID {
				t.Fatalf("award: got %+v, want 600 AZN paid to the mother", w)
			}
			ns, _, err := e.caseDB.FindNotifications(ctx, dost.NotificationFilter{PersonID: e.p["Leyla"].ID, Topic: "award.made"})
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != 2 || !strings.Contains(ns[0].Body, "600.00") {
				t.Fatalf("notifications to the mother: got %+v, want an SMS and an e-mail", ns)
			}
		})

		t.Run("Repeat", func(t *testing.T) {
			persons, awards, notes := e.count(t, "persons"), e.count(t, "awards"), e.count(t, "notifications")
			ev := birth("civil:b1", "1new001", e.p["Leyla"], e.p["Rashad"], 2) // the same content, as sent again
			ev.Birth.FirstName = " Nuray "
			got, created, err := e.svc.ReceiveEvent(e.registry(), ev)
			if err != nil || created {
				t.Fatalf("got created=%v, %v; want the stored event", created, err)
			}
			if got.FIN != first.FIN || got.Status != dost.EventProcessed || !slices.Equal(got.Outcome, first.Outcome) {
				t.Fatalf("got %+v, want %+v", got, first)
			}
			if e.count(t, "persons") != persons || e.count(t, "awards") != awards || e.count(t, "notifications") != notes {
				t.Fatal("a repeated event changed the registry, the awards or the outbox")
			}
		})

		t.Run("ErrRepeatOtherContent", func(t *testing.T) {
			persons, awards, events := e.count(t, "persons"), e.count(t, "awards"), e.count(t, "life_events")
			ev := birth("civil:b1", "1NEW009", e.p["Sevinc"], nil, 1) // other content, same ID
			_, _, err := e.svc.ReceiveEvent(e.registry(), ev)
			errCode(t, err, dost.ECONFLICT)
			if want := "The event civil:b1 from civil-registry was already received with other content; a new event needs a new id."; dost.ErrorMessage(err) != want {
				t.Errorf("got %q, want %q", dost.ErrorMessage(err), want)
			}
			if e.count(t, "persons") != persons || e.count(t, "awards") != awards || e.count(t, "life_events") != events {
				t.Fatal("a conflicting repeat changed the registry, the awards or the events")
			}
		})

		// Another registry's event with the same ID is another event: it is
		// processed, and each sender reads its own.
		labour := dost.NewContextWithUser(ctx, &dost.User{ID: 1001, Username: "labour-registry", Roles: []dost.Role{dost.RoleRegistry}})
		civil := dost.NewContextWithUser(ctx, &dost.User{ID: 1002, Username: "civil-registry", Roles: []dost.Role{dost.RoleRegistry}})
		auditor := dost.NewContextWithUser(ctx, &dost.User{ID: 1003, Username: "audit", Roles: []dost.Role{dost.RoleAuditor}})
		t.Run("OtherSource", func(t *testing.T) {
			got, created, err := e.svc.ReceiveEvent(labour, birth("civil:b1", "1NEW010", nil, e.p["Vuqar"], 1))
			if err != nil || !created {
				t.Fatalf("got created=%v, %v; want a new event", created, err)
			}
			if got.Source != "labour-registry" || got.FIN != "1NEW010" || got.Status != dost.EventProcessed {
				t.Fatalf("got %+v, want labour-registry's processed birth", got)
			}
			if _, err := e.persons.FindPersonByFIN(ctx, "1NEW010"); err != nil {
				t.Fatalf("the other source's child: %v", err)
			}
		})

		t.Run("FindBySource", func(t *testing.T) {
			for _, c := range []struct {
				name        string
				ctx         context.Context
				source, fin string
				code        string
			}{
				{"Own", civil, "", "1NEW001", ""},
				{"OwnNamed", civil, "civil-registry", "1NEW001", ""},
				{"OtherOwn", labour, "", "1NEW010", ""},
				{"ErrOthers", civil, "labour-registry", "", dost.ENOTFOUND},
				{"ErrOthersToo", labour, "civil-registry", "", dost.ENOTFOUND},
				{"AuditorNamed", auditor, "labour-registry", "1NEW010", ""},
				{"ErrAuditorAmbiguous", auditor, "", "", dost.EINVALID},
				{"ErrAuditorUnknownSource", auditor, "tax", "", dost.ENOTFOUND},
			} {
				t.Run(c.name, func(t *testing.T) {
					got, err := e.svc.FindEventByID(c.ctx, c.source, "civil:b1")
					if c.code != "" {
						errCode(t, err, c.code)
						if c.code == dost.EINVALID && !hasField(err, "source", "event.source_required") {
							t.Fatalf("got %v, want a field error on source", err)
						}
						return
					}
					if err != nil || got.FIN != dost.FIN(c.fin) {
						t.Fatalf("got %+v, %v; want the event of child %s", got, err, c.fin)
					}
				})
			}
		})

		t.Run("NewHousehold", func(t *testing.T) {
			got := e.receive(t, birth("civil:b2", "1NEW002", e.p["Sevinc"], nil, 0))
			if want := []string{"person_added", "household_created", "award_made"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v, want %v", kinds(got), want)
			}
			h, err := e.hhs.FindHouseholdByID(ctx, got.Outcome[1].HouseholdID)
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Members) != 2 || h.Head().PersonID != e.p["Sevinc"].ID || h.Code != "HH-1NEW002" {
				t.Fatalf("household: got %+v, want Sevinc heading it with the child", h)
			}
		})

		t.Run("FatherOnly", func(t *testing.T) {
			got := e.receive(t, birth("civil:b3", "1NEW003", nil, e.p["Vuqar"], 0))
			w := e.awards(t, got.Outcome[0].PersonID, "birth_allowance")
			if len(w) != 1 || w[0].PayeeID != e.p["Vuqar"].ID || got.Outcome[1].HouseholdID != e.hh["Vuqar"] {
				t.Fatalf("got %+v, awards %+v; want the father's household and payee", got.Outcome, w)
			}
		})

		t.Run("Stillborn", func(t *testing.T) {
			persons := e.count(t, "persons")
			ev := birth("civil:b4", "", e.p["Leyla"], nil, 0)
			ev.Birth.Stillborn, ev.Birth.FirstName = true, ""
			got := e.receive(t, ev)
			if got.Status != dost.EventProcessed || len(got.Outcome) != 0 || e.count(t, "persons") != persons {
				t.Fatalf("got %+v; want processed with no person and no allowance", got)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			created, processed := 0, 0
			for range 20 {
				wg.Go(func() {
					got, c, err := e.svc.ReceiveEvent(e.registry(), birth("civil:race", "1NEW020", e.p["Leyla"], nil, 1))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					defer mu.Unlock()
					if c {
						created++
						if got.Status == dost.EventProcessed {
							processed++
						}
					}
				})
			}
			wg.Wait()
			if created != 1 || processed != 1 {
				t.Fatalf("20 concurrent receipts: %d stored, %d processed; want 1 and 1", created, processed)
			}
			child, err := e.persons.FindPersonByFIN(ctx, "1NEW020")
			if err != nil {
				t.Fatal(err)
			}
			if n := len(e.awards(t, child.ID, "birth_allowance")); n != 1 {
				t.Fatalf("got %d awards, want 1", n)
			}
			got, err := e.svc.FindEventByID(ctx, "", "civil:race")
			if err != nil || got.Status != dost.EventProcessed {
				t.Fatalf("stored: %+v, %v", got, err)
			}
		})
	})
}

func TestReceiveEvent_Invalid(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		leyla, vuqar := e.p["Leyla"], e.p["Vuqar"]
		death := func(id, fin string, date dost.Date) *dost.LifeEvent {
			return &dost.LifeEvent{ID: id, Kind: dost.EventDeathRegistered, FIN: dost.FIN(fin), Date: date}
		}
		for _, tc := range []struct {
			name, field, code string
			ev                *dost.LifeEvent
		}{
			{"ErrNoID", "id", "required", death("", string(vuqar.FIN), today)},
			{"ErrLongID", "id", "event_id.too_long", death(strings.Repeat("x", 201), string(vuqar.FIN), today)},
			{"ErrBadID", "id", "event_id.invalid", death("a b/c", string(vuqar.FIN), today)},
			{"ErrKind", "kind", "event_kind.unknown", &dost.LifeEvent{ID: "x1", Kind: "wedding", FIN: vuqar.FIN, Date: today}},
			{"ErrNoFIN", "fin", "required", death("x2", "", today)},
			{"ErrBadFIN", "fin", "fin.invalid", death("x3", "12", today)},
			{"ErrUnknownFIN", "fin", "person.unknown", death("x4", "9ZZZ999", today)},
			{"ErrFuture", "date", "date.future", death("x5", string(vuqar.FIN), today.AddDate(0, 0, 1))},
			{"ErrNoDate", "date", "required", death("x6", string(vuqar.FIN), dost.Date{})},
			{"ErrBeforeBirth", "date", "date.before_birth", death("x7", string(vuqar.FIN), dost.MustDate("1949-01-01"))},
			{"ErrNoFacts", "birth", "required", &dost.LifeEvent{ID: "x8", Kind: dost.EventBirthRegistered, FIN: "1NEW100", Date: today}},
			{"ErrOtherFacts", "disability", "facts.unexpected", &dost.LifeEvent{ID: "x9", Kind: dost.EventDeathRegistered, FIN: vuqar.FIN,
				Date: today, Disability: &dost.DisabilityFacts{Degree: dost.DisabilityI, Cause: dost.CauseGeneral}}},
			{"ErrUnknownMother", "birth.mother_fin", "person.unknown", birth("x10", "1NEW101", &dost.Person{FIN: "9ZZZ998"}, nil, 0)},
			{"ErrNoParent", "birth.mother_fin", "required", birth("x11", "1NEW102", nil, nil, 0)},
			{"ErrChildExists", "fin", "person.exists", birth("x12", string(e.p["Aysel"].FIN), leyla, nil, 0)},
			{"ErrDateChangedFIN", "fin", "fin.unexpected", &dost.LifeEvent{ID: "x13", Kind: dost.EventDateChanged, FIN: vuqar.FIN, Date: today}},
			{"ErrDegree", "disability.degree", "disability_degree.invalid", &dost.LifeEvent{ID: "x14", Kind: dost.EventDisabilityAssessed,
				FIN: vuqar.FIN, Date: today, Disability: &dost.DisabilityFacts{Degree: "IV", Cause: dost.CauseGeneral}}},
			{"ErrReason", "employment.reason", "dismissal_reason.invalid", &dost.LifeEvent{ID: "x15", Kind: dost.EventEmploymentEnded,
				FIN: vuqar.FIN, Date: today, Employment: &dost.EmploymentFacts{Reason: "fired"}}},
			{"ErrChildName", "birth.first_name", "required", func() *dost.LifeEvent {
				ev := birth("x16", "1NEW103", leyla, nil, 0)
				ev.Birth.FirstName = " "
				return ev
			}()},
		} {
			t.Run(tc.name, func(t *testing.T) {
				events, persons := e.count(t, "life_events"), e.count(t, "persons")
				_, _, err := e.svc.ReceiveEvent(e.registry(), tc.ev)
				errCode(t, err, dost.EINVALID)
				if !hasField(err, tc.field, tc.code) {
					t.Fatalf("got %v %+v, want field %s code %s", err, dost.ErrorFields(err), tc.field, tc.code)
				}
				if e.count(t, "life_events") != events || e.count(t, "persons") != persons {
					t.Fatal("a refused event stored something")
				}
			})
		}
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := e.svc.FindEventByID(ctx, "", "nope")
			errCode(t, err, dost.ENOTFOUND)
			_, err = e.svc.FindEventByID(ctx, "", "bad id")
			errCode(t, err, dost.ENOTFOUND)
		})
	})
}

func TestReceiveEvent_Death(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		vuqar, sona := e.p["Vuqar"], e.p["Sona"]
		pension, made, err := e.cases.AssignProactively(ctx, casework.ProactiveRequest{Programme: "old_age_pension", PersonID: vuqar.ID, Period: november.Add(-1)})
		if err != nil || !made {
			t.Fatalf("pension: %v (made %v)", err, made)
		}

		t.Run("OK", func(t *testing.T) {
			got := e.receive(t, &dost.LifeEvent{ID: "civil:d1", Kind: dost.EventDeathRegistered, FIN: vuqar.FIN, Date: dost.MustDate("2026-11-10")})
			// Sona, alone with no income from December, is offered TSSA.
			if want := []string{"person_deceased", "award_ended", "award_made", "offer_sent"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v (%s), want %v", kinds(got), got.Error, want)
			}
			os, err := e.svc.FindOffers(ctx, sona.ID)
			if err != nil || len(os) != 1 || os[0].Programme != "tssa" || os[0].Period != november.Add(1) ||
				os[0].HouseholdID != e.hh["Vuqar"] || os[0].Amount != dost.AZN(300) || got.Outcome[3].OfferID != os[0].ID {
				t.Fatalf("Sona's offers: %+v, %v; want TSSA for December, 300 AZN", os, err)
			}
			p, err := e.persons.FindPersonByID(ctx, vuqar.ID)
			if err != nil || p.Status != dost.PersonDeceased || p.DeathDate != dost.MustDate("2026-11-10") {
				t.Fatalf("person: %+v, %v", p, err)
			}
			w, err := e.cases.FindAwardByID(ctx, pension.ID)
			if err != nil || w.Status != dost.AwardEnded || w.End != dost.MustDate("2026-11-30") || w.StatusReason != "death" {
				t.Fatalf("pension: got %+v, %v; want ended on the last day of the month of death", w, err)
			}
			f := e.awards(t, vuqar.ID, "funeral_allowance")
			if len(f) != 1 || f[0].PayeeID != sona.ID || f[0].Amount != dost.AZN(600) || f[0].Period != november {
				t.Fatalf("funeral allowance: got %+v, want 600 AZN paid to Sona", f)
			}
		})

		t.Run("NoPayee", func(t *testing.T) {
			got := e.receive(t, &dost.LifeEvent{ID: "civil:d2", Kind: dost.EventDeathRegistered, FIN: e.p["Kamran"].FIN, Date: today})
			if want := []string{"person_deceased", "no_payee"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v, want %v", kinds(got), want)
			}
		})

		t.Run("NotProactive", func(t *testing.T) {
			got := e.receive(t, &dost.LifeEvent{ID: "civil:d3", Kind: dost.EventDeathRegistered, FIN: e.p["Aysel"].FIN, Date: dost.MustDate("2026-04-30")})
			// Rashad's household re-evaluated for May is offered TSSA.
			if want := []string{"person_deceased", "not_proactive", "offer_sent"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v, want %v (the funeral allowance is proactive from 2026-05-01)", kinds(got), want)
			}
		})
	})
}

func TestReceiveEvent_Disability(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		kamran, elvin := e.p["Kamran"], e.p["Elvin"]
		assessed := func(id string, p *dost.Person, degree dost.DisabilityDegree, cause dost.DisabilityCause) *dost.LifeEvent {
			return &dost.LifeEvent{ID: id, Kind: dost.EventDisabilityAssessed, FIN: p.FIN, Date: today.AddDate(0, 0, -3),
				Disability: &dost.DisabilityFacts{Degree: degree, Cause: cause}}
		}
		// Assessed until 10 May 2027: paid through May.
		general := assessed("mse:1", kamran, dost.DisabilityII, dost.CauseGeneral)
		general.Disability.Until = dost.MustDate("2027-05-10")
		got := e.receive(t, general)
		if want := []string{"assessment_recorded", "award_made"}; !slices.Equal(kinds(got), want) {
			t.Fatalf("effects: got %v (%s), want %v", kinds(got), got.Error, want)
		}
		as, n, err := e.records.FindDisabilityAssessments(ctx, dost.RecordFilter{PersonID: &kamran.ID})
		if err != nil || n != 1 || as[0].Degree != dost.DisabilityII || as[0].From != today.AddDate(0, 0, -3) {
			t.Fatalf("assessments: %+v, %v", as, err)
		}
		w := e.awards(t, kamran.ID, "disability_allowance")
		if len(w) != 1 || w[0].Amount != dost.AZN(250) || w[0].Start != november.First() || w[0].Kind != dost.AwardMonthly {
			t.Fatalf("allowance: got %+v, want 250 AZN a month from November", w)
		}

		if w[0].End != dost.MustDate("2027-05-31") {
			t.Fatalf("allowance: got end %s, want 2027-05-31", w[0].End)
		}

		got = e.receive(t, assessed("mse:2", elvin, dost.DisabilityII, dost.CauseWar))
		st := e.awards(t, elvin.ID, "disability_stipend")
		if len(st) != 1 || got.Outcome[len(got.Outcome)-1].Programme != "disability_stipend" {
			t.Fatalf("war disability: effects %+v, %d stipends; want the stipend", got.Outcome, len(st))
		}
		if !st[0].End.IsZero() {
			t.Fatalf("stipend of an indefinite disability: got end %s, want none", st[0].End)
		}
	})
}

func TestReceiveEvent_DateChanged(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		got := e.receive(t, proactive.DateChanged(today))
		if got.ID != "date_changed:2026-11-16" || got.Status != dost.EventProcessed {
			t.Fatalf("got %+v", got)
		}
		byPerson := map[int64]string{}
		for _, f := range got.Outcome {
			if f.Programme == "old_age_pension" {
				byPerson[f.PersonID] = f.Kind
			}
		}
		// Zaur, without a pension or income, re-evaluated, is offered TSSA.
		if f := got.Outcome[len(got.Outcome)-1]; f.Kind != "offer_sent" || f.Programme != "tssa" || f.PersonID != e.p["Zaur"].ID {
			t.Errorf("re-evaluation: got %+v, want TSSA offered to Zaur", f)
		}
		want := map[int64]string{e.p["Tofiq"].ID: "award_made", e.p["Zaur"].ID: "not_entitled"}
		if len(byPerson) != len(want) || byPerson[e.p["Tofiq"].ID] != "award_made" || byPerson[e.p["Zaur"].ID] != "not_entitled" {
			t.Fatalf("effects: got %+v, want %v (not Gulnara, whose right arose in May)", got.Outcome, want)
		}
		w := e.awards(t, e.p["Tofiq"].ID, "old_age_pension")
		if len(w) != 1 || w[0].Start != today || w[0].Period != november || w[0].Kind != dost.AwardMonthly || w[0].Amount <= 0 {
			t.Fatalf("pension: got %+v, want one from today", w)
		}

		again := e.receive(t, &dost.LifeEvent{ID: "tick:2", Kind: dost.EventDateChanged, Date: today})
		for _, f := range again.Outcome {
			if f.Kind == "award_made" {
				t.Fatalf("a second tick of the same day made an award: %+v", again.Outcome)
			}
		}
		if n := len(e.awards(t, e.p["Tofiq"].ID, "old_age_pension")); n != 1 {
			t.Fatalf("got %d pensions, want 1", n)
		}
	})
}

func TestReceiveEvent_Employment(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		elvin := e.p["Elvin"]
		ended := func(id string, p *dost.Person, reason dost.DismissalReason) *dost.LifeEvent {
			return &dost.LifeEvent{ID: id, Kind: dost.EventEmploymentEnded, FIN: p.FIN, Date: today.AddDate(0, 0, -1),
				Employment: &dost.EmploymentFacts{Reason: reason, EmployerTIN: "1234567890"}}
		}
		got := e.receive(t, ended("emp:1", elvin, dost.DismissalStaffCut))
		if want := []string{"dismissal_recorded", "offer_sent"}; !slices.Equal(kinds(got), want) {
			t.Fatalf("effects: got %v (%s), want %v", kinds(got), got.Error, want)
		}
		offers, err := e.svc.FindOffers(ctx, elvin.ID)
		if err != nil || len(offers) != 1 {
			t.Fatalf("offers: %+v, %v", offers, err)
		}
		o := offers[0]
		if o.Programme != "unemployment_benefit" || o.ServiceCode != "04-01-02-00" || o.Period != november || o.Amount <= 0 ||
			o.Status != dost.OfferSent || o.ExpiresOn != today.AddDate(0, 0, 30) || got.Outcome[1].OfferID != o.ID {
			t.Fatalf("offer: got %+v", o)
		}
		ns, _, err := e.caseDB.FindNotifications(ctx, dost.NotificationFilter{PersonID: elvin.ID, Topic: "offer.sent"})
		if err != nil || len(ns) != 2 || ns[0].Language != "en" || !strings.Contains(ns[0].Body, o.Amount.String()) ||
			!strings.HasPrefix(ns[0].MessageID, "offer:unemployment_benefit:p") {
			t.Fatalf("notifications: %+v, %v; want an SMS and an e-mail in English", ns, err)
		}
		if e.count(t, "dismissals") != 1 {
			t.Fatal("the dismissal was not recorded")
		}

		again := e.receive(t, ended("emp:2", elvin, dost.DismissalStaffCut))
		if want := []string{"dismissal_recorded", "offer_exists"}; !slices.Equal(kinds(again), want) {
			t.Fatalf("a second dismissal: got %v, want %v", kinds(again), want)
		}
		voluntary := e.receive(t, ended("emp:3", e.p["Kamran"], dost.DismissalVoluntary))
		if want := []string{"dismissal_recorded", "not_entitled"}; !slices.Equal(kinds(voluntary), want) {
			t.Fatalf("a voluntary quit: got %v, want %v", kinds(voluntary), want)
		}
	})
}

// flaky is an Assigner that fails while fail is set.
type flaky struct {
	proactive.Assigner
	mu   sync.Mutex // guards fail
	fail bool
}

func (f *flaky) AssignProactively(ctx context.Context, r casework.ProactiveRequest) (*dost.Award, bool, error) {
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail {
		return nil, false, errors.New("database on fire")
	}
	return f.Assigner.AssignProactively(ctx, r)
}

func TestRetryFailed(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		fl := &flaky{Assigner: e.cases, fail: true}
		rs, err := az.RuleSet()
		if err != nil {
			t.Fatal(err)
		}
		svc, err := proactive.New(proactive.Config{Store: e.store, Assigner: fl, Applications: e.cases, Persons: e.persons,
			Households: e.hhs, Records: e.records, Population: sqlstore.NewPopulationStore(db), RuleSet: rs,
			Programmes: az.Programmes(), Clock: e.clock})
		if err != nil {
			t.Fatal(err)
		}
		got, created, err := svc.ReceiveEvent(e.registry(), birth("civil:f1", "1NEW050", e.p["Leyla"], nil, 0))
		if err != nil || !created {
			t.Fatalf("receive: %v (created %v)", err, created)
		}
		if got.Status != dost.EventFailed || strings.Contains(got.Error, "fire") || got.Error == "" ||
			!slices.Equal(kinds(got), []string{"person_added", "household_joined"}) {
			t.Fatalf("got %+v, want failed after adding the child, without the internal error's text", got)
		}
		// A stale event: received long ago, never processed.
		stale := birth("civil:f2", "1NEW051", e.p["Sevinc"], nil, 0)
		stale.Status, stale.ReceivedAt, stale.Source = dost.EventReceived, e.clock.Now().Add(-time.Hour), "civil-registry"
		if _, _, err := e.store.CreateEvent(ctx, stale); err != nil {
			t.Fatal(err)
		}

		if n, err := svc.RetryFailed(ctx); err != nil || n != 2 {
			t.Fatalf("retry while still failing: %d, %v; want 2 retried", n, err)
		}
		fl.mu.Lock()
		fl.fail = false
		fl.mu.Unlock()
		if n, err := svc.RetryFailed(ctx); err != nil || n != 2 {
			t.Fatalf("retry: %d, %v; want 2", n, err)
		}
		for id, want := range map[string][]string{"civil:f1": {"person_added", "household_joined", "award_made", "offer_sent"},
			"civil:f2": {"person_added", "household_created", "award_made"}} {
			got, err := svc.FindEventByID(ctx, "", id)
			if err != nil || got.Status != dost.EventProcessed || !slices.Equal(kinds(got), want) {
				t.Fatalf("%s: got %+v (%v), want processed with %v", id, got, err, want)
			}
		}
		if n, err := svc.RetryFailed(ctx); err != nil || n != 0 {
			t.Fatalf("nothing left: got %d, %v", n, err)
		}
		child, err := e.persons.FindPersonByFIN(ctx, "1NEW050")
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.awards(t, child.ID, "birth_allowance")); n != 1 {
			t.Fatalf("got %d allowances, want 1", n)
		}
	})
}

// TestReplay receives a stream of events of every kind twice: the second
// time changes nothing.
func TestReplay(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		stream := []*dost.LifeEvent{
			birth("s:1", "1NEW060", e.p["Leyla"], e.p["Rashad"], 3),
			{ID: "s:2", Kind: dost.EventDisabilityAssessed, FIN: e.p["Kamran"].FIN, Date: today.AddDate(0, 0, -2),
				Disability: &dost.DisabilityFacts{Degree: dost.DisabilityI, Cause: dost.CauseWar}},
			{ID: "s:3", Kind: dost.EventEmploymentEnded, FIN: e.p["Elvin"].FIN, Date: today.AddDate(0, 0, -2),
				Employment: &dost.EmploymentFacts{Reason: dost.DismissalLiquidation}},
			{ID: "s:4", Kind: dost.EventDeathRegistered, FIN: e.p["Vuqar"].FIN, Date: today.AddDate(0, 0, -1)},
			proactive.DateChanged(today),
		}
		tables := []string{"persons", "households", "household_members", "applications", "decisions", "awards",
			"notifications", "offers", "disability_assessments", "dismissals", "life_events"}
		counts := func() map[string]int {
			m := map[string]int{}
			for _, tb := range tables {
				m[tb] = e.count(t, tb)
			}
			return m
		}
		for _, ev := range stream {
			if got := e.receive(t, ev); got.Status != dost.EventProcessed {
				t.Fatalf("%s: %+v", ev.ID, got)
			}
		}
		after := counts()
		// A birth allowance, a war stipend, a funeral allowance, Tofiq's
		// pension; Elvin's offer, and TSSA offered to the households
		// re-evaluated: Rashad's (the birth), Sona's (Vuqar's death) and
		// Zaur (the date change).
		if after["awards"] < 4 || after["offers"] != 4 {
			t.Fatalf("the stream made too little: %v", after)
		}
		for _, ev := range stream {
			if _, created, err := e.svc.ReceiveEvent(e.registry(), ev); err != nil || created {
				t.Fatalf("replay %s: created %v, %v", ev.ID, created, err)
			}
		}
		if again := counts(); !mapsEqual(again, after) {
			t.Fatalf("replay changed: got %v, want %v", again, after)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
