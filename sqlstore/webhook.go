package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/webhooks"
)

// WebhookStore keeps the webhook subscriptions and the deliveries outbox
// (tables webhook_subscriptions, webhook_deliveries; migration 00021). It
// implements webhooks.Store and is safe for concurrent use by many
// goroutines and many nodes sharing one database.
//
// Deliveries are not written through it but in the transactions of the
// changes they announce: applyEffects writes application.decided with a
// decision (enqueueDecided), a bank report's import writes payment.paid
// for the payments it marks paid (enqueuePaymentsPaid, in bulk). A claim
// leases a delivery by moving its next_attempt_at to the end of the lease
// and raising its lease_token, as the notifications outbox does (see
// Outbox); on PostgreSQL concurrent claims skip each other's rows (FOR
// UPDATE SKIP LOCKED), on SQLite the single writer serialises them.
type WebhookStore struct {
	db *DB
}

// NewWebhookStore returns the webhook store of db.
func NewWebhookStore(db *DB) *WebhookStore { return &WebhookStore{db: db} }

var _ webhooks.Store = (*WebhookStore)(nil)

const webhookSubscriptionColumns = `id, url, event_types, description, active, created_by, created_at, removed_at`

func scanWebhookSubscription(row interface{ Scan(...any) error }) (*dost.WebhookSubscription, error) {
	s := &dost.WebhookSubscription{}
	var types string
	err := row.Scan(&s.ID, &s.URL, &types, &s.Description, &s.Active, &s.CreatedBy, scanTime(&s.CreatedAt), scanNullTime(&s.RemovedAt))
	s.EventTypes = parseEventTypes(types)
	return s, err
}

func parseEventTypes(s string) []dost.WebhookEventType {
	out := []dost.WebhookEventType{}
	for _, f := range strings.Fields(s) {
		out = append(out, dost.WebhookEventType(f))
	}
	return out
}

// CreateWebhookSubscription implements webhooks.Store.
func (s *WebhookStore) CreateWebhookSubscription(ctx context.Context, sub *dost.WebhookSubscription) error {
	if err := sub.Validate(); err != nil {
		return err
	}
	if sub.Secret == "" {
		return dost.Errorf(dost.EINVALID, "A webhook subscription needs a secret.")
	}
	types := make([]string, len(sub.EventTypes))
	for i, t := range sub.EventTypes {
		types[i] = string(t)
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		sub.CreatedAt = tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO webhook_subscriptions (url, event_types, secret, description, active,
			created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			sub.URL, strings.Join(types, " "), sub.Secret, sub.Description, true, sub.CreatedBy, tx.ts(tx.now)).Scan(&sub.ID)
	})
	if err != nil {
		return fmt.Errorf("create webhook subscription: %w", err)
	}
	sub.Active = true
	return nil
}

// FindWebhookSubscriptions implements webhooks.Store.
func (s *WebhookStore) FindWebhookSubscriptions(ctx context.Context) ([]*dost.WebhookSubscription, error) {
	out := []*dost.WebhookSubscription{}
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		return each(ctx, tx, `SELECT `+webhookSubscriptionColumns+` FROM webhook_subscriptions ORDER BY id`, nil,
			func(rows *sql.Rows) error {
				sub, err := scanWebhookSubscription(rows)
				out = append(out, sub)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find webhook subscriptions: %w", err)
	}
	return out, nil
}

// FindWebhookSubscriptionByID implements webhooks.Store.
func (s *WebhookStore) FindWebhookSubscriptionByID(ctx context.Context, id int64) (*dost.WebhookSubscription, error) {
	var sub *dost.WebhookSubscription
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		sub, err = findWebhookSubscription(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find webhook subscription %d: %w", id, err)
	}
	return sub, nil
}

func findWebhookSubscription(ctx context.Context, tx *Tx, id int64) (*dost.WebhookSubscription, error) {
	sub, err := scanWebhookSubscription(tx.QueryRowContext(ctx, `SELECT `+webhookSubscriptionColumns+`
		FROM webhook_subscriptions WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Webhook subscription %d not found.", id)
	}
	return sub, err
}

// RemoveWebhookSubscription implements webhooks.Store: the subscription
// inactive, its pending deliveries failed ("subscription removed"), in one
// transaction.
func (s *WebhookStore) RemoveWebhookSubscription(ctx context.Context, id int64) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		sub, err := findWebhookSubscription(ctx, tx, id)
		if err != nil || !sub.Active {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET active = $1, removed_at = $2 WHERE id = $3`,
			false, tx.ts(tx.now), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, last_error = $2
			WHERE subscription_id = $3 AND status = $4`, dost.WebhookFailed, "subscription removed", id, dost.WebhookPending)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove webhook subscription %d: %w", id, err)
	}
	return nil
}

const webhookDeliveryColumns = `id, subscription_id, event_id, event_type, payload, status, attempts, next_attempt_at,
	last_status_code, last_error, delivered_at, created_at`

func scanWebhookDelivery(row interface{ Scan(...any) error }) (*dost.WebhookDelivery, error) {
	d := &dost.WebhookDelivery{}
	var payload string
	err := row.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.EventType, &payload, &d.Status, &d.Attempts,
		scanTime(&d.NextAttemptAt), &d.LastStatusCode, &d.LastError, scanNullTime(&d.DeliveredAt), scanTime(&d.CreatedAt))
	d.Payload = json.RawMessage(payload)
	return d, err
}

// FindWebhookDeliveries implements webhooks.Store.
func (s *WebhookStore) FindWebhookDeliveries(ctx context.Context, f dost.WebhookDeliveryFilter) ([]*dost.WebhookDelivery, int, error) {
	var a args
	var conds []string
	if f.SubscriptionID != 0 {
		conds = append(conds, `subscription_id = `+a.add(f.SubscriptionID))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, `status IN (`+addList(&a, f.Statuses)+`)`)
	}
	limit := min(cmp.Or(f.Limit, 50), 500)
	out := []*dost.WebhookDelivery{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		out = out[:0]
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+webhookDeliveryColumns+` FROM webhook_deliveries`+where(conds)+
			` ORDER BY id DESC`+page(f.Offset, limit), a, func(rows *sql.Rows) error {
			d, err := scanWebhookDelivery(rows)
			out = append(out, d)
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find webhook deliveries: %w", err)
	}
	return out, total, nil
}

// ClaimWebhookDeliveries implements webhooks.Store.
func (s *WebhookStore) ClaimWebhookDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*webhooks.Claim, error) {
	out := []*webhooks.Claim{}
	if limit <= 0 {
		return out, nil
	}
	lock := ""
	if s.db.dialect == DialectPostgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		out = out[:0]
		// A delivery written concurrently with its subscription's removal
		// (on PostgreSQL the removal's transaction does not see it) stays
		// pending: fail it here, and never claim one of an inactive
		// subscription, whichever commits first.
		// (SKIP LOCKED: two claims at once never wait for, nor deadlock
		// on, each other's stragglers; the next claim fails the rest.)
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, last_error = $2
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = $3 AND next_attempt_at <= $4
				AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE active = $5)`+lock+`)`,
			dost.WebhookFailed, "subscription removed", dost.WebhookPending, tx.ts(now), false); err != nil {
			return err
		}
		err := each(ctx, tx, `UPDATE webhook_deliveries SET next_attempt_at = $1, lease_token = lease_token + 1
			WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = $2 AND next_attempt_at <= $3
				AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE active = $5)
				ORDER BY next_attempt_at, id LIMIT $4`+lock+`)
			RETURNING lease_token, `+webhookDeliveryColumns,
			[]any{tx.ts(now.Add(lease)), dost.WebhookPending, tx.ts(now), limit, true},
			func(rows *sql.Rows) error {
				c := &webhooks.Claim{}
				var err error
				c.Delivery, err = scanWebhookDelivery(tokenScanner{&c.Token, rows})
				out = append(out, c)
				return err
			})
		if err != nil || len(out) == 0 {
			return err
		}
		var subs []int64
		for _, c := range out {
			if !slices.Contains(subs, c.Delivery.SubscriptionID) {
				subs = append(subs, c.Delivery.SubscriptionID)
			}
		}
		var a args
		where := addList(&a, subs)
		urls := map[int64][2]string{}
		err = each(ctx, tx, `SELECT id, url, secret FROM webhook_subscriptions WHERE id IN (`+where+`)`, a,
			func(rows *sql.Rows) error {
				var id int64
				var u, secret string
				err := rows.Scan(&id, &u, &secret)
				urls[id] = [2]string{u, secret}
				return err
			})
		for _, c := range out {
			c.URL, c.Secret = urls[c.Delivery.SubscriptionID][0], urls[c.Delivery.SubscriptionID][1]
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	slices.SortFunc(out, func(a, b *webhooks.Claim) int { return cmp.Compare(a.Delivery.ID, b.Delivery.ID) })
	return out, nil
}

// tokenScanner scans a leading lease_token column, then the rest with row.
type tokenScanner struct {
	token *int64
	row   interface{ Scan(...any) error }
}

func (t tokenScanner) Scan(dest ...any) error {
	return t.row.Scan(append([]any{t.token}, dest...)...)
}

// MarkWebhookDelivered implements webhooks.Store.
func (s *WebhookStore) MarkWebhookDelivered(ctx context.Context, c *webhooks.Claim, now time.Time, code int) error {
	return s.mark(ctx, "mark webhook delivered", c, func(tx *Tx) (string, []any) {
		return `status = $4, attempts = attempts + 1, delivered_at = $5, last_status_code = $6, last_error = ''`,
			[]any{dost.WebhookDelivered, tx.ts(now), code}
	})
}

// MarkWebhookRetry implements webhooks.Store.
func (s *WebhookStore) MarkWebhookRetry(ctx context.Context, c *webhooks.Claim, next time.Time, code int, lastErr string) error {
	return s.mark(ctx, "mark webhook for retry", c, func(tx *Tx) (string, []any) {
		return `attempts = attempts + 1, next_attempt_at = $4, last_status_code = $5, last_error = $6`,
			[]any{tx.ts(next), code, errorText(lastErr)}
	})
}

// MarkWebhookFailed implements webhooks.Store.
func (s *WebhookStore) MarkWebhookFailed(ctx context.Context, c *webhooks.Claim, code int, lastErr string) error {
	return s.mark(ctx, "mark webhook failed", c, func(tx *Tx) (string, []any) {
		return `status = $4, attempts = attempts + 1, last_status_code = $5, last_error = $6`,
			[]any{dost.WebhookFailed, code, errorText(lastErr)}
	})
}

// mark updates the delivery of claim c if it is pending and c is its last
// claim, with the SET clause and arguments ($4 on) set returns. A delivery
// claimed again since (its lease ended) or no longer pending is left as it
// is, not an error; a missing one is ENOTFOUND.
func (s *WebhookStore) mark(ctx context.Context, what string, c *webhooks.Claim, set func(tx *Tx) (string, []any)) error {
	id := c.Delivery.ID
	err := s.db.update(ctx, func(tx *Tx) error {
		clause, a := set(tx)
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET `+clause+`
			WHERE id = $1 AND status = $2 AND lease_token = $3`,
			append([]any{id, dost.WebhookPending, c.Token}, a...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var found int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE id = $1`, id).Scan(&found); err != nil {
			return err
		}
		if found == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Webhook delivery %d not found.", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ReleaseWebhookDeliveries implements webhooks.Store.
func (s *WebhookStore) ReleaseWebhookDeliveries(ctx context.Context, cs []*webhooks.Claim, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1
				WHERE id = $2 AND status = $3 AND lease_token = $4`,
				tx.ts(now), c.Delivery.ID, dost.WebhookPending, c.Token); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("release webhook deliveries: %w", err)
	}
	return nil
}

// PruneWebhookDeliveries implements webhooks.Store.
func (s *WebhookStore) PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	var n int64
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE status IN ($1, $2) AND created_at < $3 ORDER BY id LIMIT $4)`,
			dost.WebhookDelivered, dost.WebhookFailed, tx.ts(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return int(n), nil
}

// subscribers returns the IDs of the active subscriptions to t, read in tx
// (a handful of rows: the event types are matched here, not in SQL).
func subscribers(ctx context.Context, tx *Tx, t dost.WebhookEventType) ([]int64, error) {
	var ids []int64
	err := each(ctx, tx, `SELECT `+webhookSubscriptionColumns+` FROM webhook_subscriptions WHERE active ORDER BY id`, nil,
		func(rows *sql.Rows) error {
			sub, err := scanWebhookSubscription(rows)
			if err == nil && sub.Subscribes(t) {
				ids = append(ids, sub.ID)
			}
			return err
		})
	return ids, err
}

// enqueueDecided writes the application.decided deliveries of decision d
// of application applicationID into tx, the decision's transaction: one
// per active subscription. Called by applyEffects; a decision that rolls
// back takes its deliveries with it.
func enqueueDecided(ctx context.Context, tx *Tx, applicationID int64, d *dost.Decision) error {
	subs, err := subscribers(ctx, tx, dost.EventApplicationDecided)
	if err != nil || len(subs) == 0 {
		return err
	}
	var service string
	if err := tx.QueryRowContext(ctx, `SELECT service_code FROM applications WHERE id = $1`, applicationID).Scan(&service); err != nil {
		return err
	}
	ev := dost.WebhookEvent{ID: fmt.Sprintf("decision_%d", d.ID), Type: dost.EventApplicationDecided, Timestamp: d.DecidedAt.UTC(),
		Data: dost.ApplicationDecidedData{ApplicationID: applicationID, DecisionID: d.ID, Service: service,
			Decision: d.Outcome, DecidedAt: d.DecidedAt.UTC()}}
	_, err = insertEvent(ctx, tx, ev, subs)
	return err
}

// insertEvent writes ev's deliveries to subs, pending now, and returns how
// many were new (a delivery of the same event to a subscription exists
// once).
func insertEvent(ctx context.Context, tx *Tx, ev dost.WebhookEvent, subs []int64) (int, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sub := range subs {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload,
			status, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (subscription_id, event_id) DO NOTHING`,
			sub, ev.ID, ev.Type, string(payload), dost.WebhookPending, tx.ts(tx.now), tx.ts(tx.now))
		if err != nil {
			return n, err
		}
		k, err := res.RowsAffected()
		n += int(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// EnqueueWebhookEvent writes the deliveries of ev to every active
// subscription to its type, on their own: for an event that announces
// nothing stored in the same transaction (the domain's writes enqueue
// theirs in their own transactions). It returns how many deliveries were
// written; an event already delivered to a subscription is not written
// again. EINVALID for an event without an ID or of an unknown type.
func (s *WebhookStore) EnqueueWebhookEvent(ctx context.Context, ev dost.WebhookEvent) (int, error) {
	if ev.ID == "" || len(ev.ID) > 200 || !dost.ValidText(ev.ID, false) || !slices.Contains(dost.WebhookEventTypes, ev.Type) {
		return 0, dost.Errorf(dost.EINVALID, "A webhook event needs an ID and a known type.")
	}
	var n int
	err := s.db.update(ctx, func(tx *Tx) error {
		if ev.Timestamp.IsZero() {
			ev.Timestamp = tx.now.UTC()
		}
		subs, err := subscribers(ctx, tx, ev.Type)
		if err != nil {
			return err
		}
		n, err = insertEvent(ctx, tx, ev, subs)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue webhook event: %w", err)
	}
	return n, nil
}

// enqueuePaymentsPaid writes the payment.paid deliveries of the payments
// of cond (a condition on payments' columns, its placeholders from $1 with
// condArgs) that import importID has just marked paid on paidOn, into tx,
// the import's transaction: one INSERT … SELECT per active subscription,
// the JSON built by the database (the same bytes as json.Marshal of a
// dost.WebhookEvent with PaymentPaidData, but for the nanoseconds of the
// timestamp), so a chunk of 20 000 payments is one statement. Nothing is
// written, and only one small read is made, without subscribers.
func enqueuePaymentsPaid(ctx context.Context, tx *Tx, importID int64, paidOn dost.Date, cond string, condArgs []any) error {
	subs, err := subscribers(ctx, tx, dost.EventPaymentPaid)
	if err != nil || len(subs) == 0 {
		return err
	}
	ts, err := json.Marshal(tx.now.UTC())
	if err != nil {
		return err
	}
	// The IDs are formatted in (integers); the texts are bound, each
	// placeholder once and in order, before cond's.
	at := `$3`
	if tx.db.dialect == DialectPostgres {
		at = `CAST($3 AS TIMESTAMPTZ)`
	}
	imp := fmt.Sprint(importID)
	a := []any{string(ts), paidOn.String(), tx.ts(tx.now)}
	for _, sub := range subs {
		q := `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, payload, status, next_attempt_at, created_at)
			SELECT ` + fmt.Sprint(sub) + `, 'payment_' || CAST(y.id AS TEXT) || '_i` + imp + `', '` + string(dost.EventPaymentPaid) + `',
				'{"id":"payment_' || CAST(y.id AS TEXT) || '_i` + imp + `","type":"payment.paid","timestamp":' || $1 ||
				',"data":{"payment_id":' || CAST(y.id AS TEXT) || ',"award_id":' || CAST(y.award_id AS TEXT) ||
				',"period":"' || y.period || '","amount":"' ||
				(CASE WHEN y.amount < 0 THEN '-' ELSE '' END) || CAST(abs(y.amount) / 100 AS TEXT) || '.' ||
				(CASE WHEN abs(y.amount) % 100 < 10 THEN '0' ELSE '' END) || CAST(abs(y.amount) % 100 AS TEXT) ||
				'","currency":"` + dost.Currency + `","paid_on":"' || $2 || '"}}',
				'` + string(dost.WebhookPending) + `', ` + at + `, ` + at + `
			FROM payments y WHERE y.import_id = ` + imp + ` AND y.status = 'paid' AND y.` + renumber(tx.db, cond, len(a)) + `
			ON CONFLICT (subscription_id, event_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, append(a[:len(a):len(a)], condArgs...)...); err != nil {
			return fmt.Errorf("enqueue payment.paid webhooks: %w", err)
		}
	}
	return nil
}
