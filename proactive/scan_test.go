package proactive_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// stats returns a summary's counts of a programme.
func stats(t testing.TB, sum proactive.ScanSummary, programme string) proactive.ProgrammeScan {
	t.Helper()
	i := slices.IndexFunc(sum.Programmes, func(p proactive.ProgrammeScan) bool { return p.Programme == programme })
	if i < 0 {
		t.Fatalf("the summary has no %s: %+v", programme, sum.Programmes)
	}
	return sum.Programmes[i]
}

func TestScan(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		// Vuqar has his pension already.
		e.receive(t, proactive.DateChanged(today)) // Tofiq's pension
		shards, err := e.svc.PlanScan(ctx, 2)
		if err != nil || len(shards) < 3 {
			t.Fatalf("plan: %d shards, %v; want several", len(shards), err)
		}

		first, err := e.svc.Scan(ctx, november, 2)
		if err != nil {
			t.Fatal(err)
		}
		if first.Shards != len(shards) || first.Persons != int64(len(e.p)) {
			t.Fatalf("summary: %+v, want %d shards and %d persons", first, len(shards), len(e.p))
		}
		for _, p := range first.Programmes {
			if p.Programme == "birth_allowance" || p.Programme == "funeral_allowance" {
				t.Errorf("a scan assigned a one-off programme: %+v", p)
			}
			if p.Failed != 0 || p.Entitled != p.Held+p.Later+p.Awarded+p.Offered+p.Unchanged {
				t.Errorf("%s: counts do not add up: %+v", p.Programme, p)
			}
		}
		pension := stats(t, first, "old_age_pension")
		// Vuqar and Gulnara newly; Tofiq held his since the date change.
		if pension.Entitled != 3 || pension.Held != 1 || pension.Awarded != 2 {
			t.Errorf("pension: got %+v, want 3 entitled, 1 held, 2 awarded", pension)
		}
		g := e.awards(t, e.p["Gulnara"].ID, "old_age_pension")
		if len(g) != 1 || g[0].Start != november.First() || g[0].Period != november {
			t.Errorf("Gulnara's pension: got %+v, want one from November", g)
		}
		tssa := stats(t, first, "tssa")
		if tssa.Offered == 0 || tssa.Awarded != 0 {
			t.Errorf("TSSA: got %+v, want offers only", tssa)
		}
		offers, err := e.svc.FindOffers(ctx, e.p["Rashad"].ID)
		if err != nil || len(offers) != 1 || offers[0].Programme != "tssa" || offers[0].HouseholdID != e.hh["Rashad"] ||
			offers[0].Amount != dost.AZN(700) {
			t.Fatalf("Rashad's offers: %+v, %v; want TSSA of 700 AZN for his household", offers, err)
		}

		awards, offersN, notes := e.count(t, "awards"), e.count(t, "offers"), e.count(t, "notifications")
		second, err := e.svc.Scan(ctx, november, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n := second.New(); n != 0 {
			t.Fatalf("a second scan made %d awards or offers: %+v", n, second.Programmes)
		}
		for _, p := range second.Programmes {
			if p.Entitled != p.Held+p.Later {
				t.Errorf("second scan, %s: %+v, want every entitled one held", p.Programme, p)
			}
		}
		if e.count(t, "awards") != awards || e.count(t, "offers") != offersN || e.count(t, "notifications") != notes {
			t.Fatal("a second scan wrote something")
		}

		// Declined offers are not repeated next month, nor are awards.
		if _, err := e.svc.AnswerOffer(e.asOperator(), offers[0].ID, false); err != nil {
			t.Fatal(err)
		}
		e.at(dost.MustDate("2026-12-02"))
		december, err := e.svc.Scan(ctx, november.Add(1), 2)
		if err != nil {
			t.Fatal(err)
		}
		if p := stats(t, december, "old_age_pension"); p.Awarded != 0 {
			t.Errorf("December: pension %+v, want no new award", p)
		}
		if offers, _ := e.svc.FindOffers(ctx, e.p["Rashad"].ID); len(offers) != 1 {
			t.Errorf("December: Rashad has %d offers, want the declined one only", len(offers))
		}
	})
}

func TestScan_Later(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		// On 10 November Tofiq's right (16 November) is still to come.
		e.at(dost.MustDate("2026-11-10"))
		sum, err := e.svc.Scan(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p := stats(t, sum, "old_age_pension"); p.Later != 1 {
			t.Fatalf("pension: got %+v, want Tofiq later", p)
		}
		if n := len(e.awards(t, e.p["Tofiq"].ID, "old_age_pension")); n != 0 {
			t.Fatalf("Tofiq got %d pensions before his right arose", n)
		}
	})
}

func TestAnswerOffer(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		e.receive(t, &dost.LifeEvent{ID: "emp:1", Kind: dost.EventEmploymentEnded, FIN: e.p["Elvin"].FIN, Date: today,
			Employment: &dost.EmploymentFacts{Reason: dost.DismissalStaffCut}})
		if _, err := e.svc.Scan(ctx, november, 0); err != nil {
			t.Fatal(err)
		}
		offerOf := func(name string) *dost.Offer {
			t.Helper()
			os, err := e.svc.FindOffers(ctx, e.p[name].ID)
			if err != nil || len(os) == 0 {
				t.Fatalf("%s's offers: %v, %v", name, os, err)
			}
			return os[0]
		}

		t.Run("Accept", func(t *testing.T) {
			o := offerOf("Elvin")
			got, err := e.svc.AnswerOffer(e.asOperator(), o.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != dost.OfferAccepted || got.ApplicationID == 0 {
				t.Fatalf("got %+v, want accepted with an application", got)
			}
			a, err := e.cases.FindApplicationByID(ctx, got.ApplicationID)
			if err != nil {
				t.Fatal(err)
			}
			if a.Channel != dost.ApplicationProactive || a.Status != dost.ApplicationSubmitted || a.PersonID != e.p["Elvin"].ID ||
				a.ServiceCode != o.ServiceCode || a.Period != o.Period || a.CentreID != e.centreID || a.SubmittedBy != e.operator.ID {
				t.Fatalf("application: got %+v, want a proactive submission at the operator's centre", a)
			}
			_, err = e.svc.AnswerOffer(e.asOperator(), o.ID, true)
			errCode(t, err, dost.ECONFLICT)
		})

		t.Run("Decline", func(t *testing.T) {
			o := offerOf("Rashad")
			apps := e.count(t, "applications")
			got, err := e.svc.AnswerOffer(e.asOperator(), o.ID, false)
			if err != nil || got.Status != dost.OfferDeclined || got.ApplicationID != 0 {
				t.Fatalf("got %+v, %v; want declined", got, err)
			}
			if e.count(t, "applications") != apps {
				t.Fatal("declining submitted an application")
			}
			_, err = e.svc.AnswerOffer(e.asOperator(), o.ID, true)
			errCode(t, err, dost.ECONFLICT)
		})

		t.Run("ErrCitizen", func(t *testing.T) {
			o := offerOf("Zaur")
			citizen := dost.NewContextWithUser(ctx, &dost.User{ID: 77, Roles: []dost.Role{dost.RoleCitizen}, PersonID: &e.p["Leyla"].ID})
			_, err := e.svc.AnswerOffer(citizen, o.ID, false)
			errCode(t, err, dost.ENOTFOUND)
			if os, err := e.svc.FindOffers(citizen, e.p["Zaur"].ID); err != nil || len(os) != 0 {
				t.Fatalf("a citizen sees someone else's offers: %v, %v", os, err)
			}
		})

		t.Run("ErrExpired", func(t *testing.T) {
			o := offerOf("Zaur")
			e.at(o.ExpiresOn.AddDate(0, 0, 1))
			_, err := e.svc.AnswerOffer(e.asOperator(), o.ID, true)
			errCode(t, err, dost.ECONFLICT)
			if got := offerOf("Zaur"); got.Status != dost.OfferExpired {
				t.Fatalf("got status %s, want expired", got.Status)
			}
			n, err := e.svc.ExpireOffers(ctx)
			if err != nil || n == 0 {
				t.Fatalf("expire: %d, %v; want the other open offers expired", n, err)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := e.svc.AnswerOffer(e.asOperator(), 999999, true)
			errCode(t, err, dost.ENOTFOUND)
		})
	})
}

// TestScan_Decided: what a case worker decided is not undone by the next
// scan, neither an approval overturned on appeal nor a refusal.
func TestScan_Decided(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		cw := &dost.User{Username: "caseworker", Name: "Case Worker", Roles: []dost.Role{dost.RoleCaseWorker},
			CentreIDs: []int64{e.centreID}, PersonID: &e.p["Kamran"].ID}
		if err := sqlstore.NewUserService(db).CreateUser(ctx, cw, ""); err != nil {
			t.Fatal(err)
		}
		asCW := dost.NewContextWithUser(ctx, cw)
		var pension *dost.Programme
		for _, p := range az.Programmes() {
			if p.Code == "old_age_pension" {
				pension = &p
			}
		}
		svc, err := e.catalog.FindServiceByCode(ctx, pension.ServiceCode)
		if err != nil || len(svc.RefusalReasons) == 0 {
			t.Fatalf("service %s: %+v, %v; want refusal reasons", pension.ServiceCode, svc, err)
		}

		// Tofiq applied for his pension and a case worker refused it.
		n := &dost.NewApplication{FIN: e.p["Tofiq"].FIN, ServiceCode: svc.Code, Channel: dost.ApplicationAtCentre, CentreID: e.centreID}
		for _, d := range svc.Documents {
			if d.Required {
				n.Documents = append(n.Documents, dost.NewDocument{Code: d.Code, Presented: true})
			}
		}
		a, _, err := e.cases.SubmitApplication(e.asOperator(), n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.Act(asCW, a.ID, dost.TransitionRequest{Action: dost.ActionReview}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.Decide(asCW, a.ID, dost.TransitionRequest{Action: dost.ActionRefuse,
			ReasonCode: svc.RefusalReasons[0].Code}); err != nil {
			t.Fatal(err)
		}

		sum, err := e.svc.Scan(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p := stats(t, sum, "old_age_pension"); p.Held != 1 || p.Awarded != 2 {
			t.Errorf("November: pension %+v, want Tofiq held (refused) and 2 awarded", p)
		}
		if n := len(e.awards(t, e.p["Tofiq"].ID, "old_age_pension")); n != 0 {
			t.Fatalf("Tofiq got %d pensions after his application was refused", n)
		}

		// Gulnara's pension is overturned on appeal.
		g := e.awards(t, e.p["Gulnara"].ID, "old_age_pension")
		if len(g) != 1 {
			t.Fatalf("Gulnara's pensions: %+v, want one", g)
		}
		if _, err := e.cases.Act(e.asOperator(), g[0].ApplicationID, dost.TransitionRequest{Action: dost.ActionAppeal,
			Reason: "The insurance record is forged."}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.Decide(asCW, g[0].ApplicationID, dost.TransitionRequest{Action: dost.ActionOverturn,
			Reason: "The insurance record was forged."}); err != nil {
			t.Fatal(err)
		}

		for _, m := range []dost.Month{november.Add(1), november.Add(6)} {
			e.at(m.First().AddDate(0, 0, 1))
			sum, err := e.svc.Scan(ctx, m, 0)
			if err != nil {
				t.Fatal(err)
			}
			if p := stats(t, sum, "old_age_pension"); p.Awarded != 0 {
				t.Errorf("%s: pension %+v, want no new award", m, p)
			}
		}
		if g := e.awards(t, e.p["Gulnara"].ID, "old_age_pension"); len(g) != 1 || g[0].Status != dost.AwardEnded {
			t.Errorf("Gulnara's pensions: %+v, want the overturned one only", g)
		}
		if n := len(e.awards(t, e.p["Tofiq"].ID, "old_age_pension")); n != 0 {
			t.Errorf("Tofiq got %d pensions after his application was refused", n)
		}
	})
}

// flakyAssigner is casework's AssignProactively with two faults: dies,
// the first award it makes of a request dies matches is committed and
// then its call fails, as if the node died before the shard's summary was
// recorded; raced, every
// award it makes is reported found (created false), as if another
// attempt at the shard, on another node, made it meanwhile.
type flakyAssigner struct {
	proactive.Assigner
	dies  func(casework.ProactiveRequest) bool
	raced bool
	mu    sync.Mutex // guards died
	died  bool
}

func (a *flakyAssigner) AssignProactively(ctx context.Context, r casework.ProactiveRequest) (*dost.Award, bool, error) {
	w, created, err := a.Assigner.AssignProactively(ctx, r)
	if err != nil || !created {
		return w, created, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dies != nil && a.dies(r) && !a.died {
		a.died = true
		return nil, false, errors.New("the node died")
	}
	return w, !a.raced, nil
}

// TestScanShardOf_Retried scans the shards of a recorded scan, one of
// which dies after committing an award, before its summary is recorded;
// its retry, whose awards another attempt seems to make meanwhile, counts
// what the scan made, whichever attempt made it: the scan's summary counts
// every award and offer stored once, and none as held.
func TestScanShardOf_Retried(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnv(t, db)
		scans := sqlstore.NewScanStore(db)
		before := e.count(t, "awards") + e.count(t, "offers")
		id, err := scans.CreateScan(ctx, november, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Shards of 100 persons: Tofiq's and Gulnara's pensions are made in
		// one shard (of persons in no household), which dies after making
		// the first of them.
		planned, err := e.svc.PlanScan(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		shards, err := scans.StartScan(ctx, id, planned)
		if err != nil {
			t.Fatal(err)
		}
		finish := func(sh rulesrun.Shard, sum proactive.ScanSummary) {
			t.Helper()
			b, err := json.Marshal(sum)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := scans.FinishScanShard(ctx, id, sh, b); err != nil {
				t.Fatal(err)
			}
		}
		dying := &flakyAssigner{Assigner: e.cases, dies: func(r casework.ProactiveRequest) bool {
			return r.PersonID == e.p["Tofiq"].ID || r.PersonID == e.p["Gulnara"].ID
		}}
		first := e.proactive(t, func(c *proactive.Config) { c.Assigner, c.Workers = dying, 1 })
		var died []rulesrun.Shard
		for _, sh := range shards {
			sum, err := first.ScanShardOf(ctx, id, november, sh)
			if err != nil {
				died = append(died, sh)
				continue
			}
			finish(sh, sum)
		}
		if len(died) != 1 {
			t.Fatalf("%d shards died, want 1", len(died))
		}
		// The plain ScanShard, which records nothing, finds the award the
		// dead attempt made held.
		if plain, err := e.svc.FindNewlyEntitled(ctx, november, died[0]); err != nil {
			t.Fatal(err)
		} else if held := heldOf(plain); held != 1 {
			t.Fatalf("the dead shard scanned plainly: %d held, want 1", held)
		}
		retry := e.proactive(t, func(c *proactive.Config) { c.Assigner = &flakyAssigner{Assigner: e.cases, raced: true} })
		sum, err := retry.ScanShardOf(ctx, id, november, died[0])
		if err != nil {
			t.Fatal(err)
		}
		if p := stats(t, sum, "old_age_pension"); p.Awarded != 2 || p.Held != 0 || p.Unchanged != 0 {
			t.Errorf("retried shard: pension %+v, want 2 awarded (one by each attempt), none held or unchanged", p)
		}
		finish(died[0], sum)
		sc, err := scans.FindScanByID(ctx, id)
		if err != nil || sc.Status != sqlstore.ScanFinished {
			t.Fatalf("scan: %+v, %v; want finished", sc, err)
		}
		stored := e.count(t, "awards") + e.count(t, "offers") - before
		if made, held := sc.Summary.New(), heldOf(sc.Summary); made != stored || held != 0 || stored < 2 {
			t.Errorf("summary: %d made, %d held; want the %d awards and offers stored (2 or more) made, none held: %+v",
				made, held, stored, sc.Summary.Programmes)
		}
		for _, p := range sc.Summary.Programmes {
			if p.Failed != 0 || p.Found != p.Awarded+p.Offered+p.Unchanged || p.Entitled != p.Held+p.Later+p.Found {
				t.Errorf("%s: counts do not add up: %+v", p.Programme, p)
			}
		}
		if n := e.count(t, "scan_tasks"); n != 0 {
			t.Errorf("%d scan tasks left, want none", n)
		}
	})
}

// heldOf returns a summary's count of beneficiaries held.
func heldOf(sum proactive.ScanSummary) int {
	n := 0
	for _, p := range sum.Programmes {
		n += p.Held
	}
	return n
}
