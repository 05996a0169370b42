// Package webhooks sends dost's events to other systems: HTTP POSTs signed
// as the Standard Webhooks specification says (headers webhook-id,
// webhook-timestamp, webhook-signature: v1,base64(HMAC-SHA256(secret,
// id.timestamp.body))), retried with exponential back-off and jitter for
// about a day. Verify checks a request on the receiver's side.
//
// The deliveries are an outbox (see Store): the storage writes one per
// event and subscription in the transaction of the change the event
// announces; a Deliverer, run by the jobs, claims the due ones under a
// lease and POSTs them. Service keeps the subscriptions with the URL
// policy (no private or loopback addresses unless allowed).
package webhooks

import (
	"context"
	"time"

	"github.com/dost-az/dost"
)

// Claim is a delivery leased for one attempt, with what sending it needs.
// Token is the claim's fencing token: the outcome of the attempt is
// recorded only while no later claim took the delivery.
type Claim struct {
	Delivery *dost.WebhookDelivery
	URL      string
	Secret   string
	Token    int64
}

// Store keeps the subscriptions and the deliveries outbox
// (sqlstore.WebhookStore implements it). It is safe for concurrent use by
// many goroutines and many nodes sharing one database.
type Store interface {
	// CreateWebhookSubscription stores s (validated, with its secret)
	// active, created now; it sets s.ID and s.CreatedAt.
	CreateWebhookSubscription(ctx context.Context, s *dost.WebhookSubscription) error
	FindWebhookSubscriptions(ctx context.Context) ([]*dost.WebhookSubscription, error)
	FindWebhookSubscriptionByID(ctx context.Context, id int64) (*dost.WebhookSubscription, error)
	RemoveWebhookSubscription(ctx context.Context, id int64) error
	FindWebhookDeliveries(ctx context.Context, f dost.WebhookDeliveryFilter) ([]*dost.WebhookDelivery, int, error)

	// ClaimWebhookDeliveries leases up to limit pending deliveries due at
	// now (next_attempt_at <= now) of active subscriptions, oldest due
	// first, for lease: until now+lease no other claim, on any node,
	// returns them. Attempts is the attempts made so far. None is not an
	// error. Due pending deliveries of inactive subscriptions (written
	// concurrently with the removal) are never claimed: the claim marks
	// them failed ("subscription removed").
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*Claim, error)
	// MarkWebhookDelivered records a successful attempt of claim c at now
	// with the receiver's status code.
	MarkWebhookDelivered(ctx context.Context, c *Claim, now time.Time, code int) error
	// MarkWebhookRetry records a failed attempt of c (code 0 when there
	// was no answer) and when to try next.
	MarkWebhookRetry(ctx context.Context, c *Claim, next time.Time, code int, lastErr string) error
	// MarkWebhookFailed records a failed attempt of c after which no more
	// are made.
	MarkWebhookFailed(ctx context.Context, c *Claim, code int, lastErr string) error
	// ReleaseWebhookDeliveries ends claims without an attempt: due again
	// at now, attempts unchanged.
	ReleaseWebhookDeliveries(ctx context.Context, cs []*Claim, now time.Time) error
	// PruneWebhookDeliveries deletes up to limit deliveries that are done
	// (delivered or failed) and were created before before, oldest first,
	// and returns how many it deleted. Pending ones are never deleted.
	PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int, error)
}
