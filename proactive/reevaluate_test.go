package proactive_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/iso20022"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// earner adds a person earning wage AZN a month for the 13 months before
// December (the TSSA income window), in a household of one (household)
// or in none, with a phone and an e-mail, speaking Russian.
func (e *env) earner(t testing.TB, first, fin string, wage int64, household bool) *dost.Person {
	return e.earnerIn(t, first, fin, wage, household, "ru")
}

// earnerIn is earner speaking lang.
func (e *env) earnerIn(t testing.TB, first, fin string, wage int64, household bool, lang string) *dost.Person {
	t.Helper()
	p := &dost.Person{FIN: dost.FIN(fin), FirstName: first, LastName: "Testova", BirthDate: dost.MustDate("1994-03-03"),
		Sex: dost.SexFemale, Region: "Baku", District: "Nizami", Address: "Street " + fin, Phone: "+994557770" + fin[len(fin)-3:],
		Email: strings.ToLower(first) + "@example.az", Language: lang}
	if err := e.persons.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	for m := november.Add(-13); m != november.Add(1); m = m.Add(1) {
		if err := e.records.CreateIncomeRecord(ctx, &dost.IncomeRecord{PersonID: p.ID, Month: m, Source: dost.IncomeWage,
			Amount: dost.AZN(wage)}); err != nil {
			t.Fatal(err)
		}
	}
	if household {
		h := &dost.Household{Code: "HH-" + fin, Members: []*dost.HouseholdMember{{FIN: p.FIN, Role: dost.RoleHead}}}
		if err := e.hhs.CreateHousehold(ctx, h); err != nil {
			t.Fatal(err)
		}
		e.hh[first] = h.ID
	}
	e.p[first] = p
	return p
}

// tssaOffers returns the TSSA offers made to a person.
func (e *env) tssaOffers(t testing.TB, personID int64) []*dost.Offer {
	t.Helper()
	os, err := e.svc.FindOffers(ctx, personID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*dost.Offer
	for _, o := range os {
		if o.Programme == "tssa" {
			out = append(out, o)
		}
	}
	return out
}

// TestReceiveEvent_Reevaluates: a birth that makes a household newly
// entitled to TSSA offers it at once, not at the next scan; a repeat, a
// second child and the scan make nothing twice.
func TestReceiveEvent_Reevaluates(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		// Nigar earns 500 AZN a month, alone: above the needs criterion
		// of one (300), below that of two (600).
		nigar := e.earner(t, "Nigar", "1NIG001", 500, false)
		if sum, err := e.svc.FindNewlyEntitled(ctx, november, shardOfLoner(nigar.ID)); err != nil || sum.New() != 0 ||
			stats(t, sum, "tssa").Entitled != 0 {
			t.Fatalf("before the birth: %+v, %v; want Nigar not entitled to TSSA", sum, err)
		}

		got := e.receive(t, birth("civil:n1", "1NEW301", nigar, nil, 3))
		if want := []string{"person_added", "household_created", "award_made", "offer_sent"}; !slices.Equal(kinds(got), want) {
			t.Fatalf("effects: got %v (%s), want %v", kinds(got), got.Error, want)
		}
		hh := got.Outcome[1].HouseholdID
		os := e.tssaOffers(t, nigar.ID)
		if len(os) != 1 {
			t.Fatalf("TSSA offers: %+v, want one", os)
		}
		o := os[0]
		if o.HouseholdID != hh || o.Period != november || o.Amount != dost.AZN(100) || o.Status != dost.OfferSent ||
			got.Outcome[3].OfferID != o.ID || got.Outcome[3].HouseholdID != hh || got.Outcome[3].Programme != "tssa" {
			t.Fatalf("offer: got %+v (effect %+v), want TSSA of 100 AZN for the new household in November", o, got.Outcome[3])
		}
		ns, _, err := e.caseDB.FindNotifications(ctx, dost.NotificationFilter{PersonID: nigar.ID, Topic: "offer.sent"})
		if err != nil || len(ns) != 2 {
			t.Fatalf("offer notifications: %+v, %v; want an SMS and an e-mail", ns, err)
		}

		tables := []string{"persons", "households", "household_members", "applications", "awards", "offers", "notifications"}
		counts := func() map[string]int {
			m := map[string]int{}
			for _, tb := range tables {
				m[tb] = e.count(t, tb)
			}
			return m
		}
		before := counts()
		t.Run("Replay", func(t *testing.T) {
			if _, created, err := e.svc.ReceiveEvent(e.registry(), birth("civil:n1", "1NEW301", nigar, nil, 3)); err != nil || created {
				t.Fatalf("replay: created %v, %v", created, err)
			}
			if after := counts(); !mapsEqual(after, before) {
				t.Fatalf("a replay changed %v to %v", before, after)
			}
		})

		t.Run("Retry", func(t *testing.T) {
			// Processing the stored event again (a retry) finds the
			// offer made: nothing new.
			stored, err := e.svc.FindEventByID(ctx, "civil-registry", "civil:n1")
			if err != nil {
				t.Fatal(err)
			}
			stored.Status, stored.ReceivedAt = dost.EventFailed, e.clock.Now()
			if err := e.store.FinishEvent(ctx, stored); err != nil {
				t.Fatal(err)
			}
			if n, err := e.svc.RetryFailed(ctx); err != nil || n != 1 {
				t.Fatalf("retry: %d, %v", n, err)
			}
			if after := counts(); !mapsEqual(after, before) {
				t.Fatalf("a retry changed %v to %v", before, after)
			}
		})

		t.Run("SecondChild", func(t *testing.T) {
			got := e.receive(t, birth("civil:n2", "1NEW302", nigar, nil, 1))
			if want := []string{"person_added", "household_joined", "award_made"}; !slices.Equal(kinds(got), want) {
				t.Fatalf("effects: got %v (%s), want %v: the household holds its offer", kinds(got), got.Error, want)
			}
			if os := e.tssaOffers(t, nigar.ID); len(os) != 1 {
				t.Fatalf("TSSA offers: %+v, want still one", os)
			}
		})

		t.Run("Scan", func(t *testing.T) {
			sum, err := e.svc.ScanShard(ctx, november, shardOfHousehold(hh))
			if err != nil {
				t.Fatal(err)
			}
			if p := stats(t, sum, "tssa"); p.Entitled != 1 || p.Held != 1 || p.Offered != 0 {
				t.Fatalf("scan: TSSA %+v, want the household entitled and held", p)
			}
		})
	})
}

// TestReceiveEvent_ReevaluateConcurrent: births in one household
// received at once (distinct events) offer its TSSA once.
func TestReceiveEvent_ReevaluateConcurrent(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		mina := e.earner(t, "Mina", "1MIN001", 500, true)
		const n = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		sent := 0
		for i := range n {
			wg.Go(func() {
				got, created, err := e.svc.ReceiveEvent(e.registry(), birth(fmt.Sprintf("civil:m%d", i), fmt.Sprintf("1NEW4%02d", i), mina, nil, 1))
				if err != nil || !created || got.Status != dost.EventProcessed {
					t.Errorf("birth %d: %+v, created %v, %v", i, got, created, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for _, f := range got.Outcome {
					if f.Kind == "offer_sent" {
						sent++
					}
				}
			})
		}
		wg.Wait()
		os := e.tssaOffers(t, mina.ID)
		if len(os) != 1 || sent != 1 || os[0].HouseholdID != e.hh["Mina"] {
			t.Fatalf("%d concurrent births: %d TSSA offers (%+v), %d offer_sent effects; want 1 and 1", n, len(os), os, sent)
		}
		if got := e.count(t, "notifications"); got == 0 {
			t.Fatal("no notifications")
		}
		ns, _, err := e.caseDB.FindNotifications(ctx, dost.NotificationFilter{PersonID: mina.ID, Topic: "offer.sent"})
		if err != nil || len(ns) != 2 {
			t.Fatalf("offer notifications: %d, %v; want an SMS and an e-mail, once", len(ns), err)
		}
	})
}

// TestReceiveEvent_AwardFollowsHousehold: an existing household award is
// not changed by an event; the payroll pays each month the amount the
// rules give for it, so a birth raises the TSSA paid from its month.
func TestReceiveEvent_AwardFollowsHousehold(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		w, made, err := e.cases.AssignProactively(ctx, casework.ProactiveRequest{Programme: "tssa", HouseholdID: e.hh["Rashad"],
			Period: november.Add(-1)})
		if err != nil || !made || w.Amount != dost.AZN(700) {
			t.Fatalf("TSSA: %+v, %v (made %v); want 700 AZN", w, err, made)
		}
		rs, err := az.RuleSet()
		if err != nil {
			t.Fatal(err)
		}
		pay, err := payroll.New(payroll.Config{Store: sqlstore.NewPayrollStore(db), Persons: e.persons,
			Population: sqlstore.NewPopulationStore(db), RuleSet: rs, Programmes: az.Programmes(), Clock: e.clock,
			Debtor: iso20022.Account{Name: "DOST", IBAN: "AZ21NABZ00000000137010001944", BIC: "NABZAZ2X"}})
		if err != nil {
			t.Fatal(err)
		}
		asPayroll := dost.NewContextWithUser(ctx, &dost.User{ID: 1, Username: "payroll", Roles: []dost.Role{dost.RolePayroll}})
		paid := func(m dost.Month) dost.Money {
			t.Helper()
			c, err := pay.PrepareCycle(asPayroll, "tssa", m)
			if err != nil {
				t.Fatal(err)
			}
			ps, _, err := pay.FindPayments(asPayroll, dost.PaymentFilter{CycleID: c.ID, AwardID: w.ID})
			if err != nil || len(ps) != 1 || ps[0].Period != m {
				t.Fatalf("cycle %s: payments %+v, %v; want one for the month", m, ps, err)
			}
			return ps[0].Amount
		}
		if got := paid(november.Add(-1)); got != dost.AZN(700) {
			t.Fatalf("October: paid %s, want 700 AZN (3 × 300 − 200)", got)
		}
		got := e.receive(t, birth("civil:r1", "1NEW501", e.p["Leyla"], e.p["Rashad"], 10))
		for _, f := range got.Outcome {
			if f.Programme == "tssa" {
				t.Fatalf("the birth changed the TSSA award: %+v", got.Outcome)
			}
		}
		if got := paid(november); got != dost.AZN(1000) {
			t.Fatalf("November: paid %s, want 1000 AZN (4 × 300 − 200)", got)
		}
		if cur, err := e.cases.FindAwardByID(ctx, w.ID); err != nil || cur.Amount != w.Amount || cur.Status != dost.AwardActive {
			t.Fatalf("award: %+v, %v; want it as it was", cur, err)
		}
	})
}

// TestReceiveEvent_DeathClosesOpen: a death expires the deceased's open
// offers and withdraws their applications not yet decided, by dost with
// the reason "death", but those of a death-related service.
func TestReceiveEvent_DeathClosesOpen(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		elvin := e.p["Elvin"]
		e.receive(t, &dost.LifeEvent{ID: "emp:1", Kind: dost.EventEmploymentEnded, FIN: elvin.FIN, Date: today.AddDate(0, 0, -5),
			Employment: &dost.EmploymentFacts{Reason: dost.DismissalStaffCut}})
		// An offer of a death-related service (the survivor's pension),
		// as a case worker's colleague would have it.
		now := e.clock.Now()
		survivor, _, err := e.store.CreateOffer(ctx, &dost.Offer{PersonID: elvin.ID, Programme: "survivor_pension", ServiceCode: "05-01-03-00",
			Period: november, Amount: dost.AZN(200), Status: dost.OfferSent, ExpiresOn: today.AddDate(0, 0, 30), CreatedAt: now, UpdatedAt: now}, nil)
		if err != nil {
			t.Fatal(err)
		}
		submit := func(code string) *dost.Application {
			t.Helper()
			svc, err := e.catalog.FindServiceByCode(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			n := &dost.NewApplication{FIN: elvin.FIN, ServiceCode: code, Channel: dost.ApplicationAtCentre, CentreID: e.centreID}
			for _, d := range svc.Documents {
				if d.Required {
					n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
				}
			}
			a, _, err := e.cases.SubmitApplication(e.asOperator(), n)
			if err != nil {
				t.Fatalf("submit %s: %v", code, err)
			}
			return a
		}
		disability := submit("03-03-01-00")
		pension := submit("05-01-03-00")

		got := e.receive(t, &dost.LifeEvent{ID: "civil:d9", Kind: dost.EventDeathRegistered, FIN: elvin.FIN, Date: today.AddDate(0, 0, -1)})
		if !slices.Contains(kinds(got), "offer_expired") || !slices.Contains(kinds(got), "application_withdrawn") {
			t.Fatalf("effects: %v (%s), want the offer expired and the application withdrawn", kinds(got), got.Error)
		}
		offers, err := e.svc.FindOffers(ctx, elvin.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offers {
			want := dost.OfferExpired
			if o.ID == survivor.ID {
				want = dost.OfferSent
			}
			if o.Status != want {
				t.Errorf("offer %d (%s): %s, want %s", o.ID, o.ServiceCode, o.Status, want)
			}
		}
		a, err := e.cases.FindApplicationByID(ctx, disability.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := a.Transitions[len(a.Transitions)-1]
		if a.Status != dost.ApplicationWithdrawn || last.ActorID != 0 || last.ReasonCode != proactive.ReasonDeath ||
			!strings.Contains(last.Reason, "died") {
			t.Fatalf("application: %s, last transition %+v; want withdrawn by dost for death", a.Status, last)
		}
		if p, err := e.cases.FindApplicationByID(ctx, pension.ID); err != nil || p.Status != dost.ApplicationSubmitted {
			t.Fatalf("the survivor's pension application: %+v, %v; want it still submitted", p, err)
		}

		// A repeat, or a retry, withdraws nothing twice.
		transitions := e.count(t, "application_transitions")
		if _, created, err := e.svc.ReceiveEvent(e.registry(), &dost.LifeEvent{ID: "civil:d9", Kind: dost.EventDeathRegistered,
			FIN: elvin.FIN, Date: today.AddDate(0, 0, -1)}); err != nil || created {
			t.Fatalf("repeat: %v, %v", created, err)
		}
		if e.count(t, "application_transitions") != transitions {
			t.Fatal("a repeat added transitions")
		}
	})
}

// shardOfLoner and shardOfHousehold are the one-beneficiary shards.
func shardOfLoner(personID int64) rulesrun.Shard {
	return rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: personID, Hi: personID + 1, Persons: 1}
}

func shardOfHousehold(id int64) rulesrun.Shard {
	return rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: id, Hi: id + 1}
}

// TestReceiveEvent_DeathReoffers: the household offer of a head who dies
// expires, and the household, still entitled, is offered it again from
// the month after, addressed to a member alive.
func TestReceiveEvent_DeathReoffers(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		rashad, leyla := e.p["Rashad"], e.p["Leyla"]
		if _, err := e.svc.ScanShard(ctx, november, shardOfHousehold(e.hh["Rashad"])); err != nil {
			t.Fatal(err)
		}
		first := e.tssaOffers(t, rashad.ID)
		if len(first) != 1 || first[0].HouseholdID != e.hh["Rashad"] {
			t.Fatalf("Rashad's TSSA offers: %+v, want the household's", first)
		}
		ev := &dost.LifeEvent{ID: "civil:d7", Kind: dost.EventDeathRegistered, FIN: rashad.FIN, Date: today.AddDate(0, 0, -2)}
		got := e.receive(t, ev)
		if os := e.tssaOffers(t, rashad.ID); len(os) != 1 || os[0].Status != dost.OfferExpired {
			t.Fatalf("the deceased's offer: %+v, want expired", os)
		}
		again := e.tssaOffers(t, leyla.ID)
		// Leyla and Aysel, without Rashad's income: 2 × 300.
		if len(again) != 1 || again[0].HouseholdID != e.hh["Rashad"] || again[0].Period != november.Add(1) ||
			again[0].Amount != dost.AZN(600) || again[0].Status != dost.OfferSent {
			t.Fatalf("effects %v; Leyla's TSSA offers: %+v, want the household's for December, 600 AZN", kinds(got), again)
		}
		if want := []string{"offer_expired", "offer_sent"}; !slices.Contains(kinds(got), want[0]) || !slices.Contains(kinds(got), want[1]) {
			t.Fatalf("effects: %v, want %v among them", kinds(got), want)
		}
		// A retry of the event offers nothing twice.
		offers := e.count(t, "offers")
		stored, err := e.svc.FindEventByID(ctx, "civil-registry", ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored.Status = dost.EventFailed
		if err := e.store.FinishEvent(ctx, stored); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.RetryFailed(ctx); err != nil || n != 1 {
			t.Fatalf("retry: %d, %v", n, err)
		}
		if e.count(t, "offers") != offers {
			t.Fatal("a retry made another offer")
		}
	})
}
