package jobs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/webhooks"
)

// TestWebhooks_TwoNodes runs the webhooks job on two nodes sharing one
// database: every delivery reaches the receiver once, verified, and ends
// delivered; both nodes take part.
func TestWebhooks_TwoNodes(t *testing.T) {
	t.Parallel()
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			dsn := dosttest.DSN(t, dialect)
			var dbs [2]*sqlstore.DB
			clock := dosttest.NewClock(dosttest.DefaultNow)
			for i := range dbs {
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Clock: clock, Migrate: true, PasswordParams: dosttest.PasswordParams})
				ok(t, err)
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			var (
				mu     sync.Mutex // guards got
				got    = map[string]int{}
				secret string
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				time.Sleep(25 * time.Millisecond) // a receiver's round trip: runs overlap
				mu.Lock()
				defer mu.Unlock()
				if err := webhooks.Verify(secret, r.Header, body, clock.Now(), 0); err != nil {
					t.Errorf("receiver: %v", err)
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				got[r.Header.Get(webhooks.HeaderID)]++
			}))
			defer srv.Close()
			store := sqlstore.NewWebhookStore(dbs[0])
			client := &webhooks.Client{AllowPrivate: true}
			svc := &webhooks.Service{Store: store, Client: client}
			sub := &dost.WebhookSubscription{URL: srv.URL, EventTypes: []dost.WebhookEventType{dost.EventPaymentPaid}}
			ok(t, svc.CreateWebhookSubscription(ctx, sub))
			secret = sub.Secret
			const events = 120
			for i := range events {
				n, err := store.EnqueueWebhookEvent(ctx, dost.WebhookEvent{ID: fmt.Sprintf("test_%d", i), Type: dost.EventPaymentPaid,
					Data: dost.PaymentPaidData{PaymentID: int64(i), Amount: dost.AZN(10), Currency: dost.Currency}})
				ok(t, err)
				if n != 1 {
					t.Fatalf("event %d: %d deliveries, want 1", i, n)
				}
			}
			var attempts [2]int
			var amu sync.Mutex
			for i, db := range dbs {
				d := &webhooks.Deliverer{Store: sqlstore.NewWebhookStore(db), Client: client, Clock: clock, Batch: 10, Parallel: 2}
				cfg := config(t, db)
				cfg.Outbox = nil
				cfg.DeliverWebhooks = func(c context.Context) (int, error) {
					n, err := d.DeliverDue(c)
					amu.Lock()
					attempts[i] += n
					amu.Unlock()
					return n, err
				}
				cfg.WebhooksEvery = 100 * time.Millisecond
				start(t, cfg)
			}
			eventually(t, "all delivered", func() bool {
				_, n, err := store.FindWebhookDeliveries(ctx, dost.WebhookDeliveryFilter{Statuses: []dost.WebhookDeliveryStatus{dost.WebhookDelivered}})
				return err == nil && n == events
			})
			time.Sleep(300 * time.Millisecond) // a second send, if any, would land now
			mu.Lock()
			defer mu.Unlock()
			if len(got) != events {
				t.Errorf("%d webhook-ids received, want %d", len(got), events)
			}
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s received %d times, want once", id, n)
				}
			}
			amu.Lock()
			defer amu.Unlock()
			if attempts[0] == 0 || attempts[1] == 0 || attempts[0]+attempts[1] != events {
				t.Errorf("attempts by node: %v; want both nodes to take part, %d in all", attempts, events)
			}
		})
	}
}
