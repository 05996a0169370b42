package sqlstore_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/webhooks"
)

// receiver is a webhook receiver on loopback that verifies every request
// with the subscription's secret and answers from a script of status codes
// (the last repeated).
type receiver struct {
	t      *testing.T
	clock  *dosttest.FixedClock
	secret string
	delay  time.Duration

	mu       sync.Mutex // guards the fields below
	codes    []int
	ids      []string          // webhook-id of each request, in order
	bodies   map[string]string // by webhook-id
	verified int
}

func newReceiver(t *testing.T, clock *dosttest.FixedClock, codes ...int) (*receiver, *httptest.Server) {
	r := &receiver{t: t, clock: clock, codes: codes, bodies: map[string]string{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if rc.delay > 0 {
		time.Sleep(rc.delay)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := r.Header.Get(webhooks.HeaderID)
	rc.ids = append(rc.ids, id)
	rc.bodies[id] = string(body)
	if err := webhooks.Verify(rc.secret, r.Header, body, rc.clock.Now(), 0); err != nil {
		rc.t.Errorf("receiver: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.verified++
	code := rc.codes[0]
	if len(rc.codes) > 1 {
		rc.codes = rc.codes[1:]
	}
	w.WriteHeader(code)
	fmt.Fprintf(w, "answer %d\n", code)
}

func (rc *receiver) seen() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string{}, rc.ids...)
}

// webhookFixture is a case fixture with a webhook store and a deliverer
// allowed to reach loopback.
type webhookFixture struct {
	*caseFixture
	ws  *sqlstore.WebhookStore
	svc *webhooks.Service
	d   *webhooks.Deliverer
}

func newWebhookFixture(t *testing.T, db *sqlstore.DB) *webhookFixture {
	f := newCaseFixture(t, db)
	ws := sqlstore.NewWebhookStore(db)
	client := &webhooks.Client{AllowPrivate: true, Timeout: 2 * time.Second}
	return &webhookFixture{caseFixture: f, ws: ws, svc: &webhooks.Service{Store: ws, Client: client},
		d: &webhooks.Deliverer{Store: ws, Client: client, Clock: f.clock}}
}

// subscribe subscribes url to application.decided through the service
// and returns the subscription with its secret.
func (f *webhookFixture) subscribe(t *testing.T, url string) *dost.WebhookSubscription {
	t.Helper()
	sub := &dost.WebhookSubscription{URL: url, EventTypes: []dost.WebhookEventType{dost.EventApplicationDecided}, CreatedBy: 1}
	ok(t, f.svc.CreateWebhookSubscription(ctx, sub))
	return sub
}

// decide approves a new application of p (key unique per test).
func (f *webhookFixture) decide(t *testing.T, p *dost.Person, key string) {
	t.Helper()
	app := f.submit(t, application(p, pensionService, key, today), nil, nil)
	f.move(t, app.ID, dost.ApplicationSubmitted, dost.ApplicationApproved, f.approval(p, "old_age_pension", dost.MonthOf(today)))
}

func (f *webhookFixture) deliver(t *testing.T) int {
	t.Helper()
	n, err := f.d.DeliverDue(ctx)
	ok(t, err)
	return n
}

func (f *webhookFixture) only(t *testing.T) *dost.WebhookDelivery {
	t.Helper()
	ds := deliveries(t, f.ws, dost.WebhookDeliveryFilter{})
	if len(ds) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ds))
	}
	return ds[0]
}

// TestWebhookDelivery sends decisions' deliveries to real receivers on
// loopback, signed, retried with back-off and recorded.
func TestWebhookDelivery(t *testing.T) {
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testWebhookDelivery(t, dialect) })
	}
}

// testWebhookDelivery is TestWebhookDelivery on one dialect, each subtest
// on a fresh database.
func testWebhookDelivery(t *testing.T, dialect string) {
	t.Run("Delivered", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		rc, srv := newReceiver(t, f.clock, http.StatusNoContent)
		sub := f.subscribe(t, srv.URL+"/hooks")
		rc.secret = sub.Secret
		f.decide(t, f.aysel, "d1")
		if n := f.deliver(t); n != 1 {
			t.Fatalf("attempted %d, want 1", n)
		}
		d := f.only(t)
		if ids := rc.seen(); len(ids) != 1 || ids[0] != d.MessageID() || rc.verified != 1 || rc.bodies[ids[0]] != string(d.Payload) {
			t.Fatalf("receiver saw %v (%d verified): want %s once with the payload", ids, rc.verified, d.MessageID())
		}
		if d.Status != dost.WebhookDelivered || d.Attempts != 1 || d.LastStatusCode != http.StatusNoContent || d.DeliveredAt == nil {
			t.Errorf("delivery %+v: want delivered at the first attempt", d)
		}
		if n := f.deliver(t); n != 0 || len(rc.seen()) != 1 {
			t.Errorf("a delivered delivery was sent again")
		}
	})

	t.Run("RetriedUnderTheSameID", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		rc, srv := newReceiver(t, f.clock, http.StatusInternalServerError, http.StatusOK)
		rc.secret = f.subscribe(t, srv.URL).Secret
		f.decide(t, f.aysel, "r1")
		start := f.clock.Now()
		f.deliver(t)
		d := f.only(t)
		if wait := d.NextAttemptAt.Sub(start); d.Status != dost.WebhookPending || d.Attempts != 1 || d.LastStatusCode != 500 ||
			wait < 24*time.Second || wait > 36*time.Second || d.LastError == "" {
			t.Fatalf("after a 500: %+v (next in %v); want pending, retried in 30 s ± 20 %%", d, wait)
		}
		if n := f.deliver(t); n != 0 {
			t.Fatalf("retried before its time")
		}
		f.clock.Advance(time.Minute)
		f.deliver(t)
		d = f.only(t)
		ids := rc.seen()
		if len(ids) != 2 || ids[0] != ids[1] || ids[0] != d.MessageID() {
			t.Fatalf("receiver saw %v: want the same webhook-id twice", ids)
		}
		if d.Status != dost.WebhookDelivered || d.Attempts != 2 || d.LastStatusCode != 200 || d.LastError != "" {
			t.Errorf("delivery %+v: want delivered at the second attempt", d)
		}
	})

	t.Run("RefusedBacksOffThenFails", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ok(t, err)
		addr := l.Addr().String()
		l.Close() // nothing listens: connections are refused
		f.subscribe(t, "http://"+addr+"/hooks?token=s3cret")
		f.decide(t, f.aysel, "f1")
		var waits []time.Duration
		for attempt := 1; attempt <= webhooks.MaxAttempts; attempt++ {
			before := f.clock.Now()
			if n := f.deliver(t); n != 1 {
				t.Fatalf("attempt %d: attempted %d", attempt, n)
			}
			d := f.only(t)
			if d.Attempts != attempt || d.LastStatusCode != 0 || d.LastError == "" || strings.Contains(d.LastError, "s3cret") {
				t.Fatalf("attempt %d: %+v", attempt, d)
			}
			if attempt == webhooks.MaxAttempts {
				if d.Status != dost.WebhookFailed {
					t.Fatalf("after the last attempt: %s, want failed", d.Status)
				}
				break
			}
			waits = append(waits, d.NextAttemptAt.Sub(before))
			f.clock.Set(d.NextAttemptAt)
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] <= waits[i-1] {
				t.Errorf("waits %v: want each longer", waits)
			}
		}
		if total := f.clock.Now().Sub(f.only(t).CreatedAt); total < 18*time.Hour || total > 30*time.Hour {
			t.Errorf("gave up after %v, want about a day", total)
		}
		f.clock.Advance(48 * time.Hour)
		if n := f.deliver(t); n != 0 {
			t.Errorf("a failed delivery was tried again")
		}
	})

	t.Run("TwoWorkersDeliverOnce", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		rc, srv := newReceiver(t, f.clock, http.StatusOK)
		rc.delay = 5 * time.Millisecond
		// Six subscriptions with one secret each: the receiver checks
		// the signature of the first, so give them all the same URL
		// and check the rest by count.
		subs := []*dost.WebhookSubscription{f.subscribe(t, srv.URL)}
		rc.secret = subs[0].Secret
		f.decide(t, f.aysel, "t1")
		f.decide(t, f.tural, "t2")
		rc2, srv2 := newReceiver(t, f.clock, http.StatusOK)
		rc2.delay = 5 * time.Millisecond
		rc2.secret = f.subscribe(t, srv2.URL).Secret
		for i := range 5 {
			p := person(fmt.Sprintf("WHK%04d", i), "Test", "Person", "1950-01-01")
			createPersons(t, f.db, p)
			f.decide(t, p, fmt.Sprint("t3-", i))
		}
		want := 2*7 - 2 // the second subscription came after two decisions
		workers := make([]*webhooks.Deliverer, 4)
		for i := range workers {
			workers[i] = &webhooks.Deliverer{Store: f.ws, Client: f.d.Client, Clock: f.clock, Batch: 2, Parallel: 2}
		}
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() {
				if _, err := w.DeliverDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for _, id := range append(rc.seen(), rc2.seen()...) {
			seen[id]++
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s received %d times", id, n)
			}
		}
		if len(seen) != want {
			t.Errorf("%d deliveries received, want %d", len(seen), want)
		}
		ds := deliveries(t, f.ws, dost.WebhookDeliveryFilter{Statuses: []dost.WebhookDeliveryStatus{dost.WebhookDelivered}})
		if len(ds) != want {
			t.Errorf("%d delivered, want %d", len(ds), want)
		}
	})

	t.Run("Pruned", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		f.d.Retention = time.Minute
		okRc, okSrv := newReceiver(t, f.clock, http.StatusNoContent)
		okRc.secret = f.subscribe(t, okSrv.URL+"/ok").Secret
		badRc, badSrv := newReceiver(t, f.clock, http.StatusInternalServerError)
		badRc.secret = f.subscribe(t, badSrv.URL+"/bad").Secret
		f.decide(t, f.aysel, "p1")
		f.deliver(t) // the first prune runs now: nothing is old enough
		count := func(st dost.WebhookDeliveryStatus) int {
			return len(deliveries(t, f.ws, dost.WebhookDeliveryFilter{Statuses: []dost.WebhookDeliveryStatus{st}}))
		}
		if count(dost.WebhookDelivered) != 1 || count(dost.WebhookPending) != 1 {
			t.Fatalf("after the first run: %d delivered, %d pending; want 1 each", count(dost.WebhookDelivered), count(dost.WebhookPending))
		}
		// Within PruneEvery of the last prune nothing is pruned.
		f.clock.Advance(30 * time.Minute)
		f.deliver(t)
		if count(dost.WebhookDelivered) != 1 {
			t.Fatal("pruned again within PruneEvery")
		}
		// After it the delivered one goes; the pending one, however old,
		// stays.
		f.clock.Advance(31 * time.Minute)
		f.deliver(t)
		if count(dost.WebhookDelivered) != 0 || count(dost.WebhookPending) != 1 {
			t.Fatalf("after the prune: %d delivered, %d pending; want 0 and 1", count(dost.WebhookDelivered), count(dost.WebhookPending))
		}
	})

	t.Run("PruneStore", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		rc, srv := newReceiver(t, f.clock, http.StatusNoContent)
		rc.secret = f.subscribe(t, srv.URL).Secret
		f.decide(t, f.aysel, "s1")
		f.decide(t, f.tural, "s2")
		f.deliver(t)
		later := f.clock.Now().Add(time.Hour)
		if n, err := f.ws.PruneWebhookDeliveries(ctx, f.clock.Now().Add(-time.Hour), 10); err != nil || n != 0 {
			t.Fatalf("prune of none old enough: %d, %v", n, err)
		}
		if n, err := f.ws.PruneWebhookDeliveries(ctx, later, 1); err != nil || n != 1 {
			t.Fatalf("prune with limit 1: %d, %v", n, err)
		}
		if n, err := f.ws.PruneWebhookDeliveries(ctx, later, 10); err != nil || n != 1 {
			t.Fatalf("prune of the rest: %d, %v", n, err)
		}
	})

	t.Run("PrivateRefused", func(t *testing.T) {
		f := newWebhookFixture(t, dosttest.OpenDB(t, dialect))
		strict := &webhooks.Service{Store: f.ws, Client: &webhooks.Client{}}
		for _, u := range []string{"http://127.0.0.1:8080/h", "https://localhost/h", "https://10.0.0.5/h", "http://agency.example/h"} {
			err := strict.CreateWebhookSubscription(ctx, &dost.WebhookSubscription{URL: u,
				EventTypes: []dost.WebhookEventType{dost.EventPaymentPaid}})
			mustCode(t, err, dost.EINVALID)
		}
		for _, bad := range []*dost.WebhookSubscription{
			{URL: "ftp://agency.example/h", EventTypes: []dost.WebhookEventType{dost.EventPaymentPaid}},
			{URL: "https://user:pw@agency.example/h", EventTypes: []dost.WebhookEventType{dost.EventPaymentPaid}},
			{URL: "https://agency.example/h", EventTypes: []dost.WebhookEventType{"award.made"}},
			{URL: "https://agency.example/h"},
		} {
			mustCode(t, strict.CreateWebhookSubscription(ctx, bad), dost.EINVALID)
		}
		if subs, err := f.ws.FindWebhookSubscriptions(ctx); err != nil || len(subs) != 0 {
			t.Errorf("%d subscriptions stored from refused requests (%v)", len(subs), err)
		}
	})
}
