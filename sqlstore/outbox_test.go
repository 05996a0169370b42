package sqlstore_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/sqlstore"
)

// note returns a pending SMS notification with the message id, due at due.
func note(id string, due time.Time) *dost.Notification {
	return &dost.Notification{MessageID: id, PersonID: 1, Channel: dost.NotifySMS, To: "+994501234567",
		Language: "az", Topic: "test", Body: "Salam", NextAttemptAt: due}
}

// outboxState returns the notifications of the outbox by message id.
func outboxState(t *testing.T, db *sqlstore.DB) map[string]*dost.Notification {
	t.Helper()
	ns, _, err := sqlstore.NewCaseStore(db).FindNotifications(ctx, dost.NotificationFilter{})
	ok(t, err)
	out := map[string]*dost.Notification{}
	for _, n := range ns {
		out[n.MessageID] = n
	}
	return out
}

// messageIDs returns the message ids of ns in order.
func messageIDs(ns []*dost.Notification) []string {
	var ids []string
	for _, n := range ns {
		ids = append(ids, n.MessageID)
	}
	return ids
}

func TestOutbox(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		o := sqlstore.NewOutbox(db)
		now := dosttest.ClockOf(t, db).Now().UTC()
		const lease = 2 * time.Minute

		t.Run("Create", func(t *testing.T) {
			ns := []*dost.Notification{note("c1", now), note("c1", now)}
			ok(t, o.CreateNotifications(ctx, ns))
			if ns[0].ID == 0 || ns[1].ID != 0 {
				t.Fatalf("got IDs %d, %d; want the first stored and the duplicate skipped", ns[0].ID, ns[1].ID)
			}
			if ns[0].Status != dost.NotificationPending || !ns[0].CreatedAt.Equal(now) {
				t.Fatalf("got status %q created %v, want pending at %v", ns[0].Status, ns[0].CreatedAt, now)
			}
			mustCode(t, o.CreateNotifications(ctx, []*dost.Notification{note("c2", now), note("", now)}), dost.EINVALID)
			if _, found := outboxState(t, db)["c2"]; found {
				t.Fatal("c2 stored beside an invalid notification, want nothing stored")
			}
			ok(t, o.MarkNotificationFailed(ctx, ns[0].ID, "test done"))
		})

		t.Run("ClaimLeases", func(t *testing.T) {
			ns := []*dost.Notification{note("a1", now.Add(-time.Minute)), note("a2", now), note("a3", now.Add(time.Hour)), note("a4", now.Add(-2*time.Minute))}
			ok(t, o.CreateNotifications(ctx, ns))

			got, err := o.ClaimNotifications(ctx, now, 2, lease)
			ok(t, err)
			if ids := messageIDs(got); !slices.Equal(ids, []string{"a1", "a4"}) {
				t.Fatalf("got %v, want the two due first, by ID: [a1 a4]", ids)
			}
			if !got[0].NextAttemptAt.Equal(now.Add(lease)) || got[0].Attempts != 0 {
				t.Fatalf("got next attempt %v, attempts %d; want %v (the lease's end), 0", got[0].NextAttemptAt, got[0].Attempts, now.Add(lease))
			}
			got, err = o.ClaimNotifications(ctx, now, 10, lease)
			ok(t, err)
			if ids := messageIDs(got); !slices.Equal(ids, []string{"a2"}) {
				t.Fatalf("got %v, want only [a2]: the others are leased or not due", ids)
			}
			got, err = o.ClaimNotifications(ctx, now, 10, lease)
			ok(t, err)
			if len(got) != 0 {
				t.Fatalf("got %v, want nothing while every due notification is leased", messageIDs(got))
			}
			// A claimer that died: the lease ends and the notifications are due again.
			got, err = o.ClaimNotifications(ctx, now.Add(lease), 10, lease)
			ok(t, err)
			if ids := messageIDs(got); !slices.Equal(ids, []string{"a1", "a2", "a4"}) {
				t.Fatalf("got %v after the lease, want [a1 a2 a4]", ids)
			}
			for _, n := range got {
				ok(t, o.MarkNotificationFailed(ctx, n.ID, "test done"))
			}
			ok(t, o.MarkNotificationFailed(ctx, ns[2].ID, "test done"))
		})

		t.Run("Marks", func(t *testing.T) {
			ns := []*dost.Notification{note("m-sent", now), note("m-retry", now), note("m-failed", now), note("m-released", now)}
			ok(t, o.CreateNotifications(ctx, ns))
			got, err := o.ClaimNotifications(ctx, now, 10, lease)
			ok(t, err)
			if len(got) != 4 {
				t.Fatalf("claimed %v, want the 4 new", messageIDs(got))
			}
			sentAt := now.Add(time.Second)
			next := now.Add(30 * time.Second)
			ok(t, o.MarkNotificationSent(ctx, ns[0].ID, sentAt))
			ok(t, o.MarkNotificationRetry(ctx, ns[1].ID, next, "gateway down\x00\xff"))
			ok(t, o.MarkNotificationFailed(ctx, ns[2].ID, "recipient refused"))
			ok(t, o.ReleaseNotifications(ctx, []int64{ns[3].ID, ns[0].ID, 1 << 40}, now))

			st := outboxState(t, db)
			if n := st["m-sent"]; n.Status != dost.NotificationSent || n.Attempts != 1 || n.SentAt == nil || !n.SentAt.Equal(sentAt) {
				t.Errorf("sent: got status %q, attempts %d, sent at %v; want sent, 1, %v", n.Status, n.Attempts, n.SentAt, sentAt)
			}
			if n := st["m-retry"]; n.Status != dost.NotificationPending || n.Attempts != 1 || !n.NextAttemptAt.Equal(next) || n.LastError != "gateway down\uFFFD" {
				t.Errorf("retry: got status %q, attempts %d, next %v, error %q; want pending, 1, %v, %q",
					n.Status, n.Attempts, n.NextAttemptAt, n.LastError, next, "gateway down\uFFFD")
			}
			if n := st["m-failed"]; n.Status != dost.NotificationFailed || n.Attempts != 1 || n.LastError != "recipient refused" {
				t.Errorf("failed: got status %q, attempts %d, error %q; want failed, 1, recipient refused", n.Status, n.Attempts, n.LastError)
			}
			if n := st["m-released"]; n.Status != dost.NotificationPending || n.Attempts != 0 || !n.NextAttemptAt.Equal(now) {
				t.Errorf("released: got status %q, attempts %d, next %v; want pending, 0, %v", n.Status, n.Attempts, n.NextAttemptAt, now)
			}

			// Only pending notifications change: a sent one is never claimed
			// (so never sent) again, and a late mark leaves it alone.
			ok(t, o.MarkNotificationRetry(ctx, ns[0].ID, now, "late"))
			ok(t, o.MarkNotificationSent(ctx, ns[2].ID, now))
			got, err = o.ClaimNotifications(ctx, now.Add(24*time.Hour), 10, lease)
			ok(t, err)
			if ids := messageIDs(got); !slices.Equal(ids, []string{"m-retry", "m-released"}) {
				t.Fatalf("got %v, want only the pending ones [m-retry m-released]", ids)
			}
			st = outboxState(t, db)
			if st["m-sent"].Status != dost.NotificationSent || st["m-failed"].Status != dost.NotificationFailed {
				t.Fatalf("got %q and %q, want the sent and failed notifications unchanged", st["m-sent"].Status, st["m-failed"].Status)
			}
			for _, n := range got {
				ok(t, o.MarkNotificationFailed(ctx, n.ID, "test done"))
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			mustCode(t, o.MarkNotificationSent(ctx, 1<<40, now), dost.ENOTFOUND)
			mustCode(t, o.MarkNotificationRetry(ctx, 1<<40, now, "x"), dost.ENOTFOUND)
			mustCode(t, o.MarkNotificationFailed(ctx, 1<<40, "x"), dost.ENOTFOUND)
		})

		t.Run("ConcurrentClaims", func(t *testing.T) {
			const total = 120
			var ns []*dost.Notification
			for i := range total {
				ns = append(ns, note(fmt.Sprintf("k%03d", i), now))
			}
			ok(t, o.CreateNotifications(ctx, ns))
			var mu sync.Mutex // mu guards claimed
			claimed := map[string]int{}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					for {
						got, err := o.ClaimNotifications(ctx, now, 7, lease)
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, n := range got {
							claimed[n.MessageID]++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				ok(t, err)
			}
			if len(claimed) != total {
				t.Fatalf("claimed %d notifications, want %d", len(claimed), total)
			}
			for id, c := range claimed {
				if c != 1 {
					t.Errorf("%s claimed %d times, want once", id, c)
				}
			}
		})
	})
}
