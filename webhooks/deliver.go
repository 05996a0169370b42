package webhooks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dost-az/dost"
)

// Defaults of Deliverer.
const (
	DefaultBatch    = 100
	DefaultParallel = 8
	DefaultLease    = 2 * time.Minute
	// DefaultBudget is how long one DeliverDue goes on claiming new
	// batches while there are more; the next run continues.
	DefaultBudget = time.Minute
)

// Deliverer sends the due deliveries of a Store through a Client. Two
// Deliverers, on one node or two, never send one delivery at the same
// time: a claim leases it, and a Deliverer hands back what it has not
// tried of a batch before the lease could end during a send. What cannot be ruled
// out is a send whose outcome is lost (a crash between the receiver's 2xx
// and the store's record): the delivery is sent again when its lease ends,
// under the same webhook-id, which receivers de-duplicate.
//
// The lease is stamped with the claiming node's clock (Clock), not the
// database's: nodes sharing a database must keep their clocks in step
// (NTP). A node whose clock runs ahead by more than Lease minus the
// client's timeout may claim a delivery another node is still sending,
// and it is sent twice (same webhook-id).
type Deliverer struct {
	Store  Store
	Client *Client
	// Clock tells the time; nil means the system clock.
	Clock  dost.Clock
	Logger *slog.Logger
	// Batch is how many deliveries a claim takes; DefaultBatch if 0.
	Batch int
	// Parallel is how many deliveries are sent at once; DefaultParallel if
	// 0. A receiver that does not answer holds one of them up to the
	// client's timeout, not the whole batch.
	Parallel int
	// Lease is how long a claim keeps others off; DefaultLease if 0. It
	// must exceed the client's timeout.
	Lease time.Duration
	// Budget bounds the claiming of new batches; DefaultBudget if 0.
	Budget time.Duration
	// Retention is how long deliveries that are done (delivered or
	// failed) are kept, counted from their creation; 0 keeps them all.
	// DeliverDue prunes older ones at most once per PruneEvery, in
	// batches of PruneBatch.
	Retention time.Duration

	pruneMu sync.Mutex
	pruned  time.Time // when this Deliverer last pruned (Clock)
}

// Pruning of the deliveries that are done (Deliverer.Retention).
const (
	PruneEvery = time.Hour
	PruneBatch = 1000
)

// DeliverDue sends batches of due deliveries until there are none or the
// budget is spent, and returns how many it attempted. Each claimed
// delivery is tried once: 2xx is delivered; any other answer, no answer or
// a refused address is a failed attempt, retried after Backoff, and failed
// for good after MaxAttempts. When ctx ends it hands back what it had not
// tried and returns ctx's error.
func (w *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	if lease := cmp.Or(w.Lease, DefaultLease); lease <= w.Client.timeout() {
		return 0, fmt.Errorf("webhooks: lease %v must exceed the timeout %v", lease, w.Client.timeout())
	}
	start := time.Now()
	total := 0
	for {
		n, tried, err := w.deliverBatch(ctx)
		total += tried
		if err != nil {
			return total, err
		}
		if n < cmp.Or(w.Batch, DefaultBatch) || time.Since(start) > cmp.Or(w.Budget, DefaultBudget) {
			return total, w.prune(ctx, start)
		}
	}
}

// prune deletes the deliveries done before now-Retention, at most once per
// PruneEvery, in batches until none is left or the budget, counted from
// start, is spent.
func (w *Deliverer) prune(ctx context.Context, start time.Time) error {
	if w.Retention <= 0 {
		return nil
	}
	w.pruneMu.Lock()
	defer w.pruneMu.Unlock()
	now := w.clock().Now()
	if !w.pruned.IsZero() && now.Sub(w.pruned) < PruneEvery {
		return nil
	}
	w.pruned = now
	total := 0
	for {
		n, err := w.Store.PruneWebhookDeliveries(ctx, now.Add(-w.Retention), PruneBatch)
		total += n
		if err != nil {
			return err
		}
		if n < PruneBatch || time.Since(start) > cmp.Or(w.Budget, DefaultBudget) {
			if total > 0 {
				w.logger().Info("webhook deliveries pruned", "count", total, "older_than", now.Add(-w.Retention))
			}
			return nil
		}
	}
}

func (w *Deliverer) clock() dost.Clock {
	if w.Clock == nil {
		return dost.SystemClock{}
	}
	return w.Clock
}

func (w *Deliverer) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// deliverBatch claims one batch and tries each delivery once, up to
// Parallel at a time. It returns how many it claimed and tried.
func (w *Deliverer) deliverBatch(ctx context.Context) (claimed, tried int, err error) {
	lease := cmp.Or(w.Lease, DefaultLease)
	claimedAt := time.Now() // the lease is stamped with Clock (this node's; see Deliverer); this bounds it by the monotonic one
	batch, err := w.Store.ClaimWebhookDeliveries(ctx, w.clock().Now(), cmp.Or(w.Batch, DefaultBatch), lease)
	if err != nil {
		return 0, 0, err
	}
	var (
		mu   sync.Mutex // guards tried, errs
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, cmp.Or(w.Parallel, DefaultParallel))
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for _, c := range batch {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if ctx.Err() != nil || time.Since(claimedAt)+w.Client.timeout() >= lease {
				// Stopped, or the lease could end during the send: hand it
				// back rather than risk two nodes sending it at once.
				if err := w.release(ctx, []*Claim{c}); err != nil {
					fail(err)
				}
				return
			}
			code, sendErr := w.Client.Post(ctx, c, w.clock().Now())
			if sendErr != nil && ctx.Err() != nil {
				// Cut off by Stop, not the receiver's fault: no attempt counted.
				if err := w.release(ctx, []*Claim{c}); err != nil {
					fail(err)
				}
				return
			}
			mu.Lock()
			tried++
			mu.Unlock()
			if err := w.record(ctx, c, code, sendErr); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return len(batch), tried, err
	}
	return len(batch), tried, ctx.Err()
}

// record stores the outcome of c's attempt, even if ctx ended meanwhile,
// so that a delivery the receiver took is marked delivered.
func (w *Deliverer) record(ctx context.Context, c *Claim, code int, sendErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	d := c.Delivery
	attempt := d.Attempts + 1
	log := w.logger().With("webhook_id", d.MessageID(), "subscription", d.SubscriptionID, "event_type", string(d.EventType),
		"attempt", attempt, "status_code", code)
	switch {
	case sendErr == nil:
		log.Debug("webhook delivered")
		return w.Store.MarkWebhookDelivered(ctx, c, w.clock().Now(), code)
	case attempt >= MaxAttempts:
		log.Warn("webhook failed for good", "error", sendErr.Error())
		return w.Store.MarkWebhookFailed(ctx, c, code, sendErr.Error())
	default:
		next := w.clock().Now().Add(Backoff(attempt))
		log.Debug("webhook not delivered, will retry", "error", sendErr.Error(), "next_attempt_at", next)
		return w.Store.MarkWebhookRetry(ctx, c, next, code, sendErr.Error())
	}
}

// release hands claimed, untried deliveries back, due now.
func (w *Deliverer) release(ctx context.Context, cs []*Claim) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return w.Store.ReleaseWebhookDeliveries(ctx, cs, w.clock().Now())
}
