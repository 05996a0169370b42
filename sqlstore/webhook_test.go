package sqlstore_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/webhooks"
)

// subscribe stores an active subscription to types.
func subscribe(t *testing.T, s *sqlstore.WebhookStore, types ...dost.WebhookEventType) *dost.WebhookSubscription {
	t.Helper()
	sub := &dost.WebhookSubscription{URL: "https://agency.example/hooks", EventTypes: types, Secret: webhooks.NewSecret(), CreatedBy: 1}
	ok(t, s.CreateWebhookSubscription(ctx, sub))
	return sub
}

func deliveries(t *testing.T, s *sqlstore.WebhookStore, f dost.WebhookDeliveryFilter) []*dost.WebhookDelivery {
	t.Helper()
	f.Limit = 500
	ds, n, err := s.FindWebhookDeliveries(ctx, f)
	ok(t, err)
	if n != len(ds) {
		t.Fatalf("%d deliveries of %d: a test needs them all", len(ds), n)
	}
	return ds
}

// TestWebhookStore_Decided writes one application.decided delivery per
// subscriber in the decision's transaction, none for a decision that rolls
// back, and none for a removed or unsubscribed subscription.
func TestWebhookStore_Decided(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewWebhookStore(db)
		decided := subscribe(t, s, dost.EventApplicationDecided, dost.EventPaymentPaid)
		paidOnly := subscribe(t, s, dost.EventPaymentPaid)
		removed := subscribe(t, s, dost.EventApplicationDecided)
		ok(t, s.RemoveWebhookSubscription(ctx, removed.ID))
		ok(t, s.RemoveWebhookSubscription(ctx, removed.ID)) // again: no change, no error

		november := dost.MonthOf(today)
		app := f.submit(t, application(f.aysel, pensionService, "w1", today), nil, nil)
		eff := f.approval(f.aysel, "old_age_pension", november)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, eff)

		ds := deliveries(t, s, dost.WebhookDeliveryFilter{})
		if len(ds) != 1 || ds[0].SubscriptionID != decided.ID || ds[0].EventType != dost.EventApplicationDecided ||
			ds[0].Status != dost.WebhookPending || ds[0].Attempts != 0 {
			t.Fatalf("deliveries %+v: want one pending application.decided to subscription %d", ds, decided.ID)
		}
		var ev struct {
			ID   string                      `json:"id"`
			Type dost.WebhookEventType       `json:"type"`
			Data dost.ApplicationDecidedData `json:"data"`
		}
		ok(t, json.Unmarshal(ds[0].Payload, &ev))
		want := dost.ApplicationDecidedData{ApplicationID: app.ID, DecisionID: eff.Decision.ID, Service: pensionService,
			Decision: dost.DecisionApproved, DecidedAt: eff.Decision.DecidedAt.UTC()}
		if ev.Type != dost.EventApplicationDecided || ev.ID != fmt.Sprintf("decision_%d", eff.Decision.ID) || ev.Data != want {
			t.Errorf("payload %s: want %+v", ds[0].Payload, want)
		}
		for _, secret := range []string{string(f.aysel.FIN), f.aysel.FirstName, f.aysel.LastName} {
			if strings.Contains(string(ds[0].Payload), secret) {
				t.Errorf("payload %s names the applicant (%q)", ds[0].Payload, secret)
			}
		}
		if got := deliveries(t, s, dost.WebhookDeliveryFilter{SubscriptionID: paidOnly.ID}); len(got) != 0 {
			t.Errorf("%d deliveries to a payment.paid subscription", len(got))
		}

		// Rolled back: a second award of the programme for the period
		// fails after the decision is inserted.
		app2 := f.submit(t, application(f.aysel, pensionService, "w2", today), nil, nil)
		err := f.s.Transition(ctx, &dost.Transition{ApplicationID: app2.ID, Action: "test", From: dost.ApplicationSubmitted,
			To: dost.ApplicationApproved, ActorID: 9}, f.approval(f.aysel, "old_age_pension", november))
		mustCode(t, err, dost.ECONFLICT)
		if got := countRows(t, db, "webhook_deliveries"); got != 1 {
			t.Errorf("%d deliveries after a rolled-back decision, want 1", got)
		}
	})
}

// TestWebhookStore_PaymentsPaid writes a payment.paid delivery per payment
// marked paid and subscriber, in bulk (ranges and lists), whose payload is
// what json.Marshal makes of the event, and none for other moves.
func TestWebhookStore_PaymentsPaid(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		ws := sqlstore.NewWebhookStore(db)
		both := subscribe(t, ws, dost.EventApplicationDecided, dost.EventPaymentPaid)
		paidOnly := subscribe(t, ws, dost.EventPaymentPaid)
		subscribe(t, ws, dost.EventApplicationDecided)

		november := dost.MonthOf(today)
		app := f.submit(t, application(f.aysel, pensionService, "k1", today), nil, nil)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(f.aysel, "old_age_pension", november))
		ok(t, dbExec(db, `DELETE FROM webhook_deliveries`))
		s := sqlstore.NewPayrollStore(db)
		shards := []rulesrun.Shard{{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 1000, Persons: 2}}
		c, err := s.StartCycle(ctx, "", november, 5)
		ok(t, err)
		_, err = s.PlanCycle(ctx, c.ID, c.Run, shards)
		ok(t, err)
		const months = 150
		awards, err := s.ShardAwards(ctx, c, shards[0], november.Add(-months))
		ok(t, err)
		w := awards[0].Award
		var payments []*dost.Payment
		for i := range months {
			m := november.Add(-i)
			payments = append(payments, &dost.Payment{CycleID: c.ID, AwardID: w.ID, Programme: w.Programme, Period: m,
				PayeeID: w.PayeeID, Amount: dost.Money(10000 + i), IBAN: f.aysel.IBAN, Bank: dost.BankCode(f.aysel.IBAN),
				Reference: payroll.Reference(w.ID, m, 1), Status: dost.PaymentPending, Attempts: 1,
				CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()})
		}
		_, err = s.WriteShard(ctx, c, shards[0], payments, 0)
		ok(t, err)
		ok(t, dbExec(db, `UPDATE payroll_cycles SET status = 'exported'`))
		ok(t, dbExec(db, `UPDATE payments SET status = 'sent'`))
		stored, _, err := s.FindPayments(ctx, dost.PaymentFilter{CycleID: c.ID, Limit: 1000})
		ok(t, err)
		byID := map[int64]*dost.Payment{}
		var ids []int64
		for _, p := range stored {
			ids = append(ids, p.ID)
			byID[p.ID] = p
		}
		slices.Sort(ids)

		// A range of 100, a short run and a single ID paid; 10 failed.
		paid := append(append(append([]int64{}, ids[:100]...), ids[110:120]...), ids[149])
		paidOn := today.AddDate(0, 0, -1)
		imp, err := s.ApplyStatusImport(ctx, &dost.StatusImport{CycleID: c.ID, Kind: dost.ImportCamt054, MessageID: "W-1",
			SHA256: strings.Repeat("a", 64), Entries: len(paid) + 10, Paid: len(paid), Failed: 10, ActorID: 7},
			[]*payroll.StatusMove{{From: dost.PaymentSent, To: dost.PaymentPaid, PaidOn: paidOn, PaymentIDs: paid},
				{From: dost.PaymentSent, To: dost.PaymentFailed, ReasonCode: "AC01", PaymentIDs: ids[100:110]}})
		ok(t, err)
		for _, sub := range []*dost.WebhookSubscription{both, paidOnly} {
			ds := deliveries(t, ws, dost.WebhookDeliveryFilter{SubscriptionID: sub.ID})
			if len(ds) != len(paid) {
				t.Fatalf("subscription %d: %d deliveries, want %d", sub.ID, len(ds), len(paid))
			}
			var got []int64
			for _, d := range ds {
				var ev struct {
					Data dost.PaymentPaidData `json:"data"`
				}
				ok(t, json.Unmarshal(d.Payload, &ev))
				got = append(got, ev.Data.PaymentID)
				p := byID[ev.Data.PaymentID]
				if p == nil {
					t.Fatalf("payload %s: no such payment", d.Payload)
				}
				want, err := json.Marshal(dost.WebhookEvent{ID: fmt.Sprintf("payment_%d_i%d", p.ID, imp.ID), Type: dost.EventPaymentPaid,
					Timestamp: f.clock.Now().UTC(), Data: dost.PaymentPaidData{PaymentID: p.ID, AwardID: p.AwardID, Period: p.Period,
						Amount: p.Amount, Currency: dost.Currency, PaidOn: paidOn}})
				ok(t, err)
				if string(d.Payload) != string(want) || d.EventID != fmt.Sprintf("payment_%d_i%d", p.ID, imp.ID) {
					t.Fatalf("payload\n%s\nwant\n%s", d.Payload, want)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, paid) {
				t.Errorf("subscription %d: deliveries of payments %v, want %v", sub.ID, got, paid)
			}
		}
		if n := countRows(t, db, "webhook_deliveries"); n != 2*len(paid) {
			t.Errorf("%d deliveries, want %d", n, 2*len(paid))
		}
	})
}

// TestWebhookStore_Claim leases due deliveries, so a second claim skips
// them, and records an outcome only under the last claim's token.
func TestWebhookStore_Claim(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewWebhookStore(db)
		sub := subscribe(t, s, dost.EventApplicationDecided)
		november := dost.MonthOf(today)
		for i, p := range []*dost.Person{f.aysel, f.tural} {
			app := f.submit(t, application(p, pensionService, fmt.Sprint("c", i), today), nil, nil)
			f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(p, "old_age_pension", november))
		}
		now := f.clock.Now()
		const lease = time.Minute
		first, err := s.ClaimWebhookDeliveries(ctx, now, 1, lease)
		ok(t, err)
		second, err := s.ClaimWebhookDeliveries(ctx, now, 5, lease)
		ok(t, err)
		if len(first) != 1 || len(second) != 1 || first[0].Delivery.ID == second[0].Delivery.ID {
			t.Fatalf("claims %v, %v: want one each, different", first, second)
		}
		if first[0].URL != sub.URL || first[0].Secret != sub.Secret || first[0].Token == 0 {
			t.Errorf("claim %+v: want the subscription's URL and secret and a token", first[0])
		}
		if more, err := s.ClaimWebhookDeliveries(ctx, now, 5, lease); err != nil || len(more) != 0 {
			t.Fatalf("claim while leased: %v, %v; want none", more, err)
		}
		// The lease ends: the first is claimed again; the stale claim's
		// outcome is not recorded.
		again, err := s.ClaimWebhookDeliveries(ctx, now.Add(2*lease), 5, lease)
		ok(t, err)
		if len(again) != 2 {
			t.Fatalf("after the lease: %d claimed, want 2", len(again))
		}
		ok(t, s.MarkWebhookDelivered(ctx, first[0], now, 200))
		d := deliveries(t, s, dost.WebhookDeliveryFilter{Statuses: []dost.WebhookDeliveryStatus{dost.WebhookDelivered}})
		if len(d) != 0 {
			t.Fatalf("a stale claim marked %d delivered", len(d))
		}
		ok(t, s.MarkWebhookRetry(ctx, again[0], now.Add(time.Hour), 500, "webhook receiver: 500"))
		ok(t, s.MarkWebhookFailed(ctx, again[1], 0, "refused"))
		ds := deliveries(t, s, dost.WebhookDeliveryFilter{SubscriptionID: sub.ID})
		slices.Reverse(ds)
		if ds[0].Status != dost.WebhookPending || ds[0].Attempts != 1 || ds[0].LastStatusCode != 500 ||
			!ds[0].NextAttemptAt.Equal(now.Add(time.Hour)) || ds[1].Status != dost.WebhookFailed || ds[1].LastError != "refused" {
			t.Errorf("after the marks: %+v, %+v", ds[0], ds[1])
		}
		ok(t, s.ReleaseWebhookDeliveries(ctx, again[:1], now))
		if got, err := s.ClaimWebhookDeliveries(ctx, now, 5, lease); err != nil || len(got) != 1 || got[0].Delivery.Attempts != 1 {
			t.Fatalf("after release: %v, %v; want the pending one due now with its attempt", got, err)
		}
		mustCode(t, s.MarkWebhookDelivered(ctx, &webhooks.Claim{Delivery: &dost.WebhookDelivery{ID: 99999}}, now, 200), dost.ENOTFOUND)

		ok(t, s.RemoveWebhookSubscription(ctx, sub.ID))
		if got := deliveries(t, s, dost.WebhookDeliveryFilter{Statuses: []dost.WebhookDeliveryStatus{dost.WebhookPending}}); len(got) != 0 {
			t.Errorf("%d deliveries pending after the subscription's removal", len(got))
		}
		got, err := s.FindWebhookSubscriptionByID(ctx, sub.ID)
		ok(t, err)
		if got.Active || got.RemovedAt == nil || got.Secret != "" {
			t.Errorf("removed subscription %+v: want inactive, removed, no secret", got)
		}
		_, err = s.FindWebhookSubscriptionByID(ctx, 4242)
		mustCode(t, err, dost.ENOTFOUND)
		mustCode(t, s.RemoveWebhookSubscription(ctx, 4242), dost.ENOTFOUND)
	})
}

func dbExec(db *sqlstore.DB, q string) error {
	_, err := db.WriterDB().ExecContext(ctx, q)
	return err
}

// TestWebhookStore_ClaimInactive checks that a pending delivery of an
// inactive subscription, as one written concurrently with the removal on
// PostgreSQL is left, is never claimed but failed.
func TestWebhookStore_ClaimInactive(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		f := newCaseFixture(t, db)
		s := sqlstore.NewWebhookStore(db)
		removed := subscribe(t, s, dost.EventApplicationDecided)
		kept := subscribe(t, s, dost.EventApplicationDecided)
		app := f.submit(t, application(f.aysel, pensionService, "c1", today), nil, nil)
		f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(f.aysel, "old_age_pension", dost.MonthOf(today)))
		// The removal's transaction did not see the delivery: the
		// subscription is inactive, its delivery still pending.
		ok(t, dbExec(db, fmt.Sprintf(`UPDATE webhook_subscriptions SET active = false WHERE id = %d`, removed.ID)))
		now := f.clock.Now()
		got, err := s.ClaimWebhookDeliveries(ctx, now, 10, time.Minute)
		ok(t, err)
		if len(got) != 1 || got[0].Delivery.SubscriptionID != kept.ID {
			t.Fatalf("claimed %d deliveries (%+v): want only the active subscription's", len(got), got)
		}
		ds := deliveries(t, s, dost.WebhookDeliveryFilter{SubscriptionID: removed.ID})
		if len(ds) != 1 || ds[0].Status != dost.WebhookFailed || ds[0].LastError != "subscription removed" {
			t.Fatalf("the inactive subscription's deliveries: %+v; want one failed", ds)
		}
		if again, err := s.ClaimWebhookDeliveries(ctx, now.Add(time.Hour), 10, time.Minute); err != nil || len(again) != 1 || again[0].Delivery.SubscriptionID != kept.ID {
			t.Fatalf("claim after the lease: %v, %v", again, err)
		}
	})
}
