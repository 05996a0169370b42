package sqlstore_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// birthEvent returns a birth event of child FIN fin to mother.
func birthEvent(id string, fin dost.FIN, mother dost.FIN) *dost.LifeEvent {
	return &dost.LifeEvent{ID: id, Kind: dost.EventBirthRegistered, FIN: fin, Date: today.AddDate(0, 0, -2),
		Birth:  &dost.BirthFacts{FirstName: "Nuray", LastName: "Əliyeva", Sex: dost.SexFemale, MotherFIN: mother},
		Status: dost.EventReceived, Source: "civil-registry", ReceivedAt: time.Date(2026, 11, 16, 5, 0, 0, 0, time.UTC)}
}

func TestProactiveStore_Events(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewProactiveStore(db)
		clock := dosttest.ClockOf(t, db)

		t.Run("OK", func(t *testing.T) {
			e := birthEvent("civil:1", "CHILD01", "MOTHER1")
			e.ContentHash = strings.Repeat("ab", 32)
			got, created, err := s.CreateEvent(ctx, e)
			ok(t, err)
			if !created || got != e {
				t.Fatalf("got created=%v %p, want e itself created", created, got)
			}
			found, err := s.FindEventByID(ctx, "civil-registry", "civil:1")
			ok(t, err)
			if found.Kind != e.Kind || found.FIN != e.FIN || found.Date != e.Date || found.Status != dost.EventReceived ||
				found.Source != "civil-registry" || !found.ReceivedAt.Equal(e.ReceivedAt) || found.ProcessedAt != nil ||
				found.Birth == nil || *found.Birth != *e.Birth || found.Disability != nil || found.Outcome != nil ||
				found.ContentHash != e.ContentHash {
				t.Fatalf("found %+v (birth %+v), want %+v", found, found.Birth, e)
			}

			found.Status, found.Error = dost.EventProcessed, ""
			found.Outcome = []dost.LifeEventEffect{{Kind: "person_added", PersonID: 7}, {Kind: "award_made", PersonID: 7, Programme: "birth_allowance", AwardID: 3}}
			ok(t, s.FinishEvent(ctx, found))
			again, err := s.FindEventByID(ctx, "civil-registry", "civil:1")
			ok(t, err)
			if again.Status != dost.EventProcessed || !slices.Equal(again.Outcome, found.Outcome) || again.ProcessedAt == nil ||
				!again.ProcessedAt.Equal(clock.Now().UTC()) {
				t.Fatalf("finished: got %+v, want processed with the outcome at %v", again, clock.Now())
			}
		})

		t.Run("Repeat", func(t *testing.T) {
			e := birthEvent("civil:1", "OTHER01", "MOTHER2")
			got, created, err := s.CreateEvent(ctx, e)
			ok(t, err)
			if created || got == e || got.FIN != "CHILD01" || got.Status != dost.EventProcessed {
				t.Fatalf("repeat: got created=%v %+v, want the stored event unchanged", created, got)
			}
		})

		t.Run("OtherSource", func(t *testing.T) {
			e := birthEvent("civil:1", "OTHER01", "MOTHER2")
			e.Source = "labour-registry"
			got, created, err := s.CreateEvent(ctx, e)
			ok(t, err)
			if !created || got != e {
				t.Fatalf("got created=%v %+v, want another source's event stored", created, got)
			}
			e.Status, e.Error = dost.EventProcessed, "labour's"
			ok(t, s.FinishEvent(ctx, e))
			for source, fin := range map[string]dost.FIN{"civil-registry": "CHILD01", "labour-registry": "OTHER01"} {
				found, err := s.FindEventByID(ctx, source, "civil:1")
				ok(t, err)
				if found.FIN != fin || found.Source != source || (source == "labour-registry") != (found.Error == "labour's") {
					t.Fatalf("source %s: got %+v, want child %s", source, found, fin)
				}
			}
			all, err := s.FindEventsByID(ctx, "civil:1")
			ok(t, err)
			if len(all) != 2 || all[0].Source != "civil-registry" || all[1].Source != "labour-registry" {
				t.Fatalf("got %d events, want civil's and labour's", len(all))
			}
			_, err = s.FindEventByID(ctx, "tax", "civil:1")
			mustCode(t, err, dost.ENOTFOUND)
		})

		t.Run("Concurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			createdN := 0
			for i := range 20 {
				wg.Go(func() {
					e := birthEvent("civil:race", dost.FIN(fmt.Sprintf("RACE%03d", i)), "MOTHER1")
					got, created, err := s.CreateEvent(ctx, e)
					if err != nil || got == nil || got.ID != "civil:race" {
						t.Errorf("create %d: got %+v, %v", i, got, err)
						return
					}
					mu.Lock()
					if created {
						createdN++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			if createdN != 1 {
				t.Fatalf("20 concurrent receipts stored %d events, want 1", createdN)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindEventByID(ctx, "civil-registry", "nope")
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, s.FinishEvent(ctx, &dost.LifeEvent{ID: "nope", Status: dost.EventProcessed}), dost.ENOTFOUND)
		})

		t.Run("Retry", func(t *testing.T) {
			now := clock.Now()
			stale := birthEvent("civil:stale", "STALE01", "MOTHER1")
			stale.ReceivedAt = now.Add(-time.Hour)
			fresh := birthEvent("civil:fresh", "FRESH01", "MOTHER1")
			fresh.ReceivedAt = now.Add(-time.Minute)
			failed := birthEvent("civil:failed", "FAILD01", "MOTHER1")
			failed.ReceivedAt = now.Add(-2 * time.Minute)
			old := birthEvent("civil:old", "OLDEV01", "MOTHER1")
			old.ReceivedAt = now.Add(-30 * 24 * time.Hour)
			for _, e := range []*dost.LifeEvent{stale, fresh, failed, old} {
				_, _, err := s.CreateEvent(ctx, e)
				ok(t, err)
			}
			failed.Status, failed.Error = dost.EventFailed, "boom"
			ok(t, s.FinishEvent(ctx, failed))
			old.Status = dost.EventFailed
			ok(t, s.FinishEvent(ctx, old))
			got, err := s.FindEventsToRetry(ctx, now.Add(-7*24*time.Hour), now.Add(-10*time.Minute), 10)
			ok(t, err)
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			// Least recently attempted first: the stale one (received an
			// hour ago), the race's (received half an hour ago, never
			// processed), the failed one (attempted now); not the fresh
			// one, nor the processed one, nor the one of a month ago.
			if want := []string{"civil:stale", "civil:race", "civil:failed"}; !slices.Equal(ids, want) {
				t.Fatalf("to retry: got %v, want %v", ids, want)
			}
		})
	})
}

func TestProactiveStore_Offers(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewProactiveStore(db)
		period := dost.MonthOf(today)
		offer := func(p *dost.Person, programme string, period dost.Month) *dost.Offer {
			return &dost.Offer{PersonID: p.ID, Programme: programme, ServiceCode: pensionService, Period: period,
				Amount: dost.AZN(300), Status: dost.OfferSent, ExpiresOn: today.AddDate(0, 0, 30)}
		}
		sms := func(id string, p *dost.Person) []*dost.Notification {
			return []*dost.Notification{{MessageID: id, PersonID: p.ID, Channel: dost.NotifySMS, To: p.Phone,
				Language: "az", Topic: "offer.sent", Body: "Təklif."}}
		}
		var first *dost.Offer

		t.Run("OK", func(t *testing.T) {
			o := offer(f.aysel, "tssa", period)
			got, created, err := s.CreateOffer(ctx, o, sms("offer:tssa:1", f.aysel))
			ok(t, err)
			if !created || got != o || o.ID == 0 || o.CreatedAt.IsZero() {
				t.Fatalf("got created=%v %+v, want o stored", created, got)
			}
			first = o
			if n := countRows(t, db, "notifications"); n != 1 {
				t.Fatalf("notifications: got %d, want 1", n)
			}
			found, err := s.FindOfferByID(ctx, o.ID)
			ok(t, err)
			if found.PersonID != o.PersonID || found.Programme != "tssa" || found.Period != period || found.Amount != dost.AZN(300) ||
				found.Status != dost.OfferSent || found.ExpiresOn != o.ExpiresOn || found.ServiceCode != pensionService {
				t.Fatalf("found %+v, want %+v", found, o)
			}
		})

		t.Run("Repeat", func(t *testing.T) {
			o := offer(f.aysel, "tssa", period)
			o.Amount = dost.AZN(1)
			got, created, err := s.CreateOffer(ctx, o, sms("offer:tssa:again", f.aysel))
			ok(t, err)
			if created || got.ID != first.ID || got.Amount != dost.AZN(300) {
				t.Fatalf("repeat: got created=%v %+v, want the first offer", created, got)
			}
			if n := countRows(t, db, "notifications"); n != 1 {
				t.Fatalf("notifications after a repeat: got %d, want 1", n)
			}
		})

		t.Run("Concurrent", func(t *testing.T) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			ids := map[int64]int{}
			for i := range 20 {
				wg.Go(func() {
					got, created, err := s.CreateOffer(ctx, offer(f.tural, "unemployment_benefit", period), sms(fmt.Sprintf("offer:u:%d", i), f.tural))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ids[got.ID]++
					if created {
						ids[0]++
					}
					mu.Unlock()
				})
			}
			wg.Wait()
			if len(ids) != 2 || ids[0] != 1 {
				t.Fatalf("20 concurrent offers: got %v, want one offer created once", ids)
			}
			if n := countRows(t, db, "notifications"); n != 2 {
				t.Fatalf("notifications: got %d, want 2", n)
			}
		})

		t.Run("FindOffers", func(t *testing.T) {
			older := offer(f.aysel, "tssa", period.Add(-1))
			_, _, err := s.CreateOffer(ctx, older, nil)
			ok(t, err)
			got, err := s.FindOffers(ctx, f.aysel.ID)
			ok(t, err)
			if len(got) != 2 || got[0].ID != older.ID || got[1].ID != first.ID {
				t.Fatalf("got %d offers, want the newer first: %+v", len(got), got)
			}
			none, err := s.FindOffers(ctx, 999999)
			ok(t, err)
			if none == nil || len(none) != 0 {
				t.Fatalf("unknown person: got %v, want an empty list", none)
			}
		})

		t.Run("Answer", func(t *testing.T) {
			got, err := s.AnswerOffer(ctx, first.ID, dost.OfferAccepted, 42)
			ok(t, err)
			if got.Status != dost.OfferAccepted || got.ApplicationID != 42 {
				t.Fatalf("answered: got %+v", got)
			}
			_, err = s.AnswerOffer(ctx, first.ID, dost.OfferDeclined, 0)
			mustCode(t, err, dost.ECONFLICT)
			_, err = s.AnswerOffer(ctx, 999999, dost.OfferDeclined, 0)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.AnswerOffer(ctx, first.ID, dost.OfferSent, 0)
			mustCode(t, err, dost.EINVALID)
		})

		t.Run("AnswerConcurrent", func(t *testing.T) {
			o := offer(f.tural, "tssa", period)
			_, _, err := s.CreateOffer(ctx, o, nil)
			ok(t, err)
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for i := range 10 {
				wg.Go(func() {
					status := dost.OfferAccepted
					if i%2 == 1 {
						status = dost.OfferDeclined
					}
					_, err := s.AnswerOffer(ctx, o.ID, status, int64(i))
					mu.Lock()
					defer mu.Unlock()
					switch dost.ErrorCode(err) {
					case "":
						won++
					case dost.ECONFLICT:
					default:
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if won != 1 {
				t.Fatalf("10 concurrent answers: %d won, want 1", won)
			}
		})

		t.Run("Expire", func(t *testing.T) {
			late := offer(f.tural, "tssa", period.Add(-2))
			late.ExpiresOn = today.AddDate(0, 0, -1)
			_, _, err := s.CreateOffer(ctx, late, nil)
			ok(t, err)
			n, err := s.ExpireOffers(ctx, today)
			ok(t, err)
			if n != 1 {
				t.Fatalf("expired %d offers, want 1", n)
			}
			got, err := s.FindOfferByID(ctx, late.ID)
			ok(t, err)
			if got.Status != dost.OfferExpired {
				t.Fatalf("got status %s, want expired", got.Status)
			}
			if n, err = s.ExpireOffers(ctx, today); err != nil || n != 0 {
				t.Fatalf("again: got %d, %v; want 0", n, err)
			}
		})
	})
}

func TestProactiveStore_Holdings(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewProactiveStore(db)
		period := dost.MonthOf(today)
		loner := person("CAS0003", "Kamran", "Həsənov", "1980-01-01")
		createPersons(t, db, loner)
		h := &dost.Household{Code: "HH-CAS", Members: []*dost.HouseholdMember{
			{FIN: f.aysel.FIN, Role: dost.RoleHead}, {FIN: f.tural.FIN, Role: dost.RoleSpouse}}}
		ok(t, sqlstore.NewHouseholdService(db).CreateHousehold(ctx, h))

		// Aysel: an open pension; Tural: a pension ended last month and
		// an offer declined 13 months ago; the household: an offer of
		// TSSA; Kamran (no household): an award ended this month and an
		// offer declined 11 months ago.
		a := f.submit(t, application(f.aysel, pensionService, "h-1", today), nil, f.approval(f.aysel, "old_age_pension", period))
		_ = a
		tw := f.approval(f.tural, "old_age_pension", period.Add(-3))
		f.submit(t, application(f.tural, pensionService, "h-2", today), nil, tw)
		kw := f.approval(loner, "old_age_pension", period.Add(-2))
		f.submit(t, application(loner, pensionService, "h-3", today), nil, kw)
		ends := sqlstore.NewProactiveStore(db)
		_, err := ends.EndAwards(ctx, f.tural.ID, period.First().AddDate(0, 0, -1), "test")
		ok(t, err)
		_, err = ends.EndAwards(ctx, loner.ID, period.First().AddDate(0, 0, 5), "test")
		ok(t, err)
		mk := func(p *dost.Person, hh int64, programme string, period dost.Month, status dost.OfferStatus) {
			o := &dost.Offer{PersonID: p.ID, HouseholdID: hh, Programme: programme, ServiceCode: pensionService, Period: period,
				Amount: dost.AZN(1), Status: dost.OfferSent, ExpiresOn: today}
			_, _, err := s.CreateOffer(ctx, o, nil)
			ok(t, err)
			if status != dost.OfferSent {
				_, err = s.AnswerOffer(ctx, o.ID, status, 0)
				ok(t, err)
			}
		}
		mk(f.tural, 0, "unemployment_benefit", period.Add(-13), dost.OfferDeclined)
		mk(f.aysel, h.ID, "tssa", period.Add(-20), dost.OfferSent)
		mk(loner, 0, "unemployment_benefit", period.Add(-11), dost.OfferDeclined)

		holdings := func(sh rulesrun.Shard) []string {
			t.Helper()
			hs, err := s.FindHoldings(ctx, sh, period)
			ok(t, err)
			var out []string
			for _, x := range hs {
				s := fmt.Sprintf("%s p%d h%d offer=%v", x.Programme, x.PersonID, x.HouseholdID, x.Offer)
				if x.Refused {
					s += " refused=" + x.ServiceCode
				}
				out = append(out, s)
			}
			slices.Sort(out)
			return out
		}
		got := holdings(rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: h.ID, Hi: h.ID + 1})
		want := []string{
			fmt.Sprintf("old_age_pension p%d h0 offer=false", f.aysel.ID),
			fmt.Sprintf("tssa p%d h%d offer=true", f.aysel.ID, h.ID),
		}
		if !slices.Equal(got, want) {
			t.Errorf("household shard: got %v, want %v", got, want)
		}
		got = holdings(rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: loner.ID, Hi: loner.ID + 1})
		want = []string{
			fmt.Sprintf("old_age_pension p%d h0 offer=false", loner.ID),
			fmt.Sprintf("unemployment_benefit p%d h0 offer=true", loner.ID),
		}
		if !slices.Equal(got, want) {
			t.Errorf("loner shard: got %v, want %v", got, want)
		}
		if got := holdings(rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: h.ID + 1, Hi: h.ID + 100}); len(got) != 0 {
			t.Errorf("empty shard: got %v", got)
		}
		_, err = s.FindHoldings(ctx, rulesrun.Shard{Kind: "nope"}, period)
		mustCode(t, err, dost.EINVALID)

		t.Run("Decided", func(t *testing.T) {
			// Nigar (no household): a pension ended two years ago because
			// an appeal overturned its approval, and a disability
			// allowance refused 11 months ago; Orxan: an application
			// refused 13 months ago, one refused but appealed this month
			// (still refused), and one approved.
			nigar := person("CAS0004", "Nigar", "Quliyeva", "1960-01-01")
			orxan := person("CAS0005", "Orxan", "Quliyev", "1960-01-01")
			createPersons(t, db, nigar, orxan)
			overturned := f.approval(nigar, "old_age_pension", period.Add(-30))
			f.submit(t, application(nigar, pensionService, "d-1", today), nil, overturned)
			_, err := ends.EndAwards(ctx, nigar.ID, period.Add(-24).First(), "appeal_overturned")
			ok(t, err)
			refuse := func(p *dost.Person, service, key string, at dost.Month) *dost.Application {
				t.Helper()
				f.letter++
				e := &casework.Effects{Decision: &dost.Decision{Outcome: dost.DecisionRefused, ReasonCode: "too_rich",
					RuleSetVersion: "az-2026.11", Period: at, LetterCode: fmt.Sprintf("R%05d", f.letter), Language: "az",
					DecidedBy: 9, DecidedAt: time.Date(at.Year, at.Month, 1, 0, 30, 0, 0, time.FixedZone("AZT", 4*60*60))}}
				a := application(p, service, key, today)
				a.Status = dost.ApplicationRefused
				return f.submit(t, a, nil, e)
			}
			refuse(nigar, disabilityService, "d-2", period.Add(-11))
			refuse(orxan, pensionService, "d-3", period.Add(-13))
			appealed := refuse(orxan, disabilityService, "d-4", period)
			f.move(t, appealed.ID, dost.ApplicationRefused, dost.ApplicationAppealed, nil)
			f.submit(t, application(orxan, "01-01-01-00", "d-5", today), nil, f.approval(orxan, "survivor_pension", period.Add(-1)))

			got := holdings(rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: nigar.ID, Hi: orxan.ID + 1})
			want := []string{
				fmt.Sprintf(" p%d h0 offer=false refused=%s", nigar.ID, disabilityService),
				fmt.Sprintf(" p%d h0 offer=false refused=%s", orxan.ID, disabilityService),
				fmt.Sprintf("old_age_pension p%d h0 offer=false", nigar.ID),
				fmt.Sprintf("survivor_pension p%d h0 offer=false", orxan.ID),
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	})
}

func TestProactiveStore_Registry(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewProactiveStore(db)
		period := dost.MonthOf(today)

		t.Run("PersonsBornOn", func(t *testing.T) {
			dead := person("CAS0009", "Ölü", "Həsənov", "1960-03-15")
			dead.Status, dead.DeathDate = dost.PersonDeceased, dost.MustDate("2020-01-01")
			createPersons(t, db, dead)
			got, err := s.FindPersonsBornOn(ctx, []dost.Date{dost.MustDate("1960-03-15"), dost.MustDate("1958-07-01"), dost.MustDate("1999-01-01")})
			ok(t, err)
			want := []proactive.Candidate{{PersonID: f.aysel.ID, BirthDate: f.aysel.BirthDate, Sex: dost.SexFemale},
				{PersonID: f.tural.ID, BirthDate: f.tural.BirthDate, Sex: f.tural.Sex}}
			if !slices.Equal(got, want) {
				t.Fatalf("got %+v, want %+v (not the deceased)", got, want)
			}
			if got, err := s.FindPersonsBornOn(ctx, nil); err != nil || len(got) != 0 {
				t.Fatalf("no dates: got %v, %v", got, err)
			}
		})

		t.Run("EndAwards", func(t *testing.T) {
			f.submit(t, application(f.aysel, pensionService, "e-1", today), nil, f.approval(f.aysel, "old_age_pension", period))
			later := f.approval(f.aysel, "disability_allowance", period.Add(2))
			f.submit(t, application(f.aysel, disabilityService, "e-2", today), nil, later)
			end := dost.MustDate("2026-11-30")
			got, err := s.EndAwards(ctx, f.aysel.ID, end, "death")
			ok(t, err)
			if len(got) != 2 {
				t.Fatalf("ended %d awards, want 2", len(got))
			}
			for _, w := range got {
				stored, err := f.s.FindAwardByID(ctx, w.ID)
				ok(t, err)
				wantEnd := end
				if w.Programme == "disability_allowance" {
					wantEnd = later.Awards[0].Start.AddDate(0, 0, -1) // it starts after the end
				}
				if stored.Status != dost.AwardEnded || stored.StatusReason != "death" || stored.End != wantEnd || w.End != wantEnd {
					t.Errorf("award %s: got %+v, want ended %s for death", w.Programme, stored, wantEnd)
				}
			}
			again, err := s.EndAwards(ctx, f.aysel.ID, end, "death")
			ok(t, err)
			if len(again) != 0 {
				t.Fatalf("again: ended %d, want 0", len(again))
			}
		})

		t.Run("EndAwardsPayee", func(t *testing.T) {
			// Leyla dies on 10 November. Her unemployment benefit ends on
			// 20 November (not lengthened to the 30th); her daughter's
			// allowance and her household's TSSA, paid to her, are
			// suspended for a new payee; her son's allowance paid to his
			// father is not touched.
			leyla := person("CAS0010", "Leyla", "Rəhimova", "1990-06-01")
			child := person("CAS0011", "Aylin", "Rəhimova", "2020-01-01")
			son := person("CAS0012", "Elçin", "Rəhimov", "2021-01-01")
			createPersons(t, db, leyla, child, son)
			h := &dost.Household{Code: "HH-LEY", Members: []*dost.HouseholdMember{
				{FIN: leyla.FIN, Role: dost.RoleHead}, {FIN: child.FIN, Role: dost.RoleChild}, {FIN: son.FIN, Role: dost.RoleChild}}}
			ok(t, sqlstore.NewHouseholdService(db).CreateHousehold(ctx, h))
			fixed := f.approval(leyla, "unemployment_benefit", period)
			fixed.Awards[0].End = dost.MustDate("2026-11-20")
			f.submit(t, application(leyla, pensionService, "p-1", today), nil, fixed)
			childs := f.approval(child, "child_allowance", period)
			childs.Awards[0].PayeeID = leyla.ID
			f.submit(t, application(leyla, disabilityService, "p-2", today), nil, childs)
			tssa := f.approval(leyla, "tssa", period)
			tssa.Awards[0].PersonID, tssa.Awards[0].HouseholdID = 0, h.ID
			f.submit(t, application(leyla, "01-01-01-00", "p-3", today), nil, tssa)
			sons := f.approval(son, "child_allowance", period)
			sons.Awards[0].PayeeID = f.tural.ID
			f.submit(t, application(f.tural, disabilityService, "p-4", today), nil, sons)

			got, err := s.EndAwards(ctx, leyla.ID, dost.MustDate("2026-11-30"), "death")
			ok(t, err)
			want := map[int64]struct {
				status dost.AwardStatus
				reason string
				end    dost.Date
			}{
				fixed.Awards[0].ID:  {dost.AwardEnded, "death", dost.MustDate("2026-11-20")},
				childs.Awards[0].ID: {dost.AwardSuspended, proactive.ReasonPayeeDeceased, dost.Date{}},
				tssa.Awards[0].ID:   {dost.AwardSuspended, proactive.ReasonPayeeDeceased, dost.Date{}},
				sons.Awards[0].ID:   {dost.AwardActive, "", dost.Date{}},
			}
			if len(got) != 3 {
				t.Errorf("changed %d awards, want 3", len(got))
			}
			for _, w := range got {
				if w.Status != want[w.ID].status {
					t.Errorf("award %d (%s): got status %s, want %s", w.ID, w.Programme, w.Status, want[w.ID].status)
				}
			}
			for id, x := range want {
				stored, err := f.s.FindAwardByID(ctx, id)
				ok(t, err)
				if stored.Status != x.status || stored.StatusReason != x.reason || stored.End != x.end {
					t.Errorf("award %d (%s): got %s %q end %s, want %s %q end %s", id, stored.Programme,
						stored.Status, stored.StatusReason, stored.End, x.status, x.reason, x.end)
				}
			}
			if again, err := s.EndAwards(ctx, leyla.ID, dost.MustDate("2026-11-30"), "death"); err != nil || len(again) != 0 {
				t.Fatalf("again: changed %d, %v; want 0", len(again), err)
			}
		})

		t.Run("Dismissal", func(t *testing.T) {
			d := &proactive.Dismissal{PersonID: f.tural.ID, Date: today, Reason: dost.DismissalStaffCut, EmployerTIN: "1234567890"}
			created, err := s.CreateDismissal(ctx, d)
			ok(t, err)
			if !created || d.ID == 0 {
				t.Fatalf("got created=%v id %d", created, d.ID)
			}
			again := &proactive.Dismissal{PersonID: f.tural.ID, Date: today, Reason: dost.DismissalOther}
			created, err = s.CreateDismissal(ctx, again)
			ok(t, err)
			if created || again.ID != d.ID {
				t.Fatalf("repeat: got created=%v id %d, want the first (%d)", created, again.ID, d.ID)
			}
			_, err = s.CreateDismissal(ctx, &proactive.Dismissal{PersonID: 999999, Date: today, Reason: dost.DismissalOther})
			mustCode(t, err, dost.EINVALID)
			if n := countRows(t, db, "dismissals"); n != 1 {
				t.Fatalf("dismissals: got %d rows, want 1", n)
			}
		})
	})
}
