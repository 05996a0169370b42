package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/notify"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// OutboxStore is the storage the outbox job delivers from: the
// notifications outbox (sqlstore.Outbox implements it). Implementations
// are safe for concurrent use by many goroutines and many nodes sharing
// one database.
type OutboxStore interface {
	// ClaimNotifications leases up to limit pending notifications due at
	// now for lease: until now+lease no other claim, on any node, returns
	// them. It returns them with Attempts the attempts made so far. A claim
	// is ended by one of the calls below or by the end of its lease.
	ClaimNotifications(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]*dost.Notification, error)
	// MarkNotificationSent records a successful attempt at now. A
	// notification marked sent is never claimed again.
	MarkNotificationSent(ctx context.Context, id int64, now time.Time) error
	// MarkNotificationRetry records a failed attempt and when to try next.
	MarkNotificationRetry(ctx context.Context, id int64, next time.Time, lastErr string) error
	// MarkNotificationFailed records a failed attempt after which no more
	// are made.
	MarkNotificationFailed(ctx context.Context, id int64, lastErr string) error
	// ReleaseNotifications ends claims without an attempt: due again at
	// now.
	ReleaseNotifications(ctx context.Context, ids []int64, now time.Time) error
}

// OutboxArgs is the outbox job: deliver the due notifications.
type OutboxArgs struct{}

// Kind implements river.JobArgs.
func (OutboxArgs) Kind() string { return "outbox" }

// InsertOpts puts the job on QueueOutbox, once: a failed run is not retried
// (the next periodic run is as good), and jobs inserted within the same
// second while one waits or runs are one (kicks after a burst of writes).
func (OutboxArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueOutbox,
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{
			ByPeriod: time.Second,
			// Not completed: a kick right after a run must run again.
			ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
				rivertype.JobStateRunning, rivertype.JobStateScheduled},
		},
	}
}

// KickOutbox asks for the outbox to be delivered now rather than at the
// next periodic run (within OutboxEvery): call it after committing a write
// that put notifications into the outbox. It is an optimisation only, never
// needed for delivery: the periodic run finds every due notification. It
// does nothing on a Runner without an outbox.
//
// On SQLite, never call it while holding a write transaction of the same
// database: River would wait for the single writer connection that the
// transaction holds. Use KickOutboxTx inside a transaction.
func (r *Runner) KickOutbox(ctx context.Context) error {
	if r.outbox == nil {
		return nil
	}
	if _, err := r.client.Insert(ctx, OutboxArgs{}, nil); err != nil {
		return fmt.Errorf("kick outbox: %w", err)
	}
	return nil
}

// KickOutboxTx is KickOutbox inside tx, a transaction on Config.DB: the
// outbox job is inserted with the notifications and worked only if tx
// commits.
func (r *Runner) KickOutboxTx(ctx context.Context, tx *sql.Tx) error {
	if r.outbox == nil {
		return nil
	}
	if _, err := r.client.InsertTx(ctx, tx, OutboxArgs{}, nil); err != nil {
		return fmt.Errorf("kick outbox: %w", err)
	}
	return nil
}

// outboxBudget is how long one outbox job goes on claiming new batches
// while there are more; the next run continues.
const outboxBudget = time.Minute

// outboxWorker delivers the outbox.
//
// Each notification is delivered at most once per claim, and a
// notification marked sent is never claimed, so never sent, again. Two
// runs, on one node or two, never send one notification at the same time:
// a claim leases it (ClaimNotifications), and a run stops sending from a
// batch, handing back the rest, before the lease could end during a send.
// What dost cannot rule out is a send whose outcome is lost: a crash (or a
// failed mark) between the gateway accepting a message and the outbox
// recording it leaves the notification pending, and it is sent again when
// its lease ends. That is why senders pass Notification.MessageID to their
// gateway as its idempotency key (an SMS gateway's message reference, an
// e-mail's Message-ID): the gateway, not dost, drops the repeat.
type outboxWorker struct {
	river.WorkerDefaults[OutboxArgs]
	store       OutboxStore
	senders     map[dost.NotificationChannel]dost.Sender
	clock       dost.Clock
	logger      *slog.Logger
	batch       int
	lease       time.Duration
	sendTimeout time.Duration
}

func newOutboxWorker(cfg Config, logger *slog.Logger) (*outboxWorker, error) {
	w := &outboxWorker{
		store:       cfg.Outbox,
		senders:     map[dost.NotificationChannel]dost.Sender{},
		clock:       cfg.Clock,
		logger:      logger,
		batch:       cmp.Or(cfg.OutboxBatch, DefaultOutboxBatch),
		lease:       cmp.Or(cfg.OutboxLease, DefaultOutboxLease),
		sendTimeout: cmp.Or(cfg.SendTimeout, DefaultSendTimeout),
	}
	if w.lease <= w.sendTimeout {
		return nil, fmt.Errorf("jobs: outbox lease %v must exceed the send timeout %v", w.lease, w.sendTimeout)
	}
	for _, s := range cfg.Senders {
		if _, dup := w.senders[s.Channel()]; dup {
			return nil, fmt.Errorf("jobs: two senders for channel %q", s.Channel())
		}
		w.senders[s.Channel()] = s
	}
	return w, nil
}

// Timeout bounds a run: the budget for claiming, then one last batch
// within its lease.
func (w *outboxWorker) Timeout(*river.Job[OutboxArgs]) time.Duration {
	return outboxBudget + w.lease
}

// Work delivers batches of due notifications until there are none or the
// budget is spent.
func (w *outboxWorker) Work(ctx context.Context, _ *river.Job[OutboxArgs]) error {
	start := time.Now()
	for {
		n, err := w.deliverBatch(ctx)
		if err != nil {
			return err
		}
		if n < w.batch || time.Since(start) > outboxBudget {
			return nil
		}
	}
}

// deliverBatch claims one batch and tries each notification once. It
// returns how many it claimed.
func (w *outboxWorker) deliverBatch(ctx context.Context) (int, error) {
	claimedAt := time.Now() // the lease runs on the database's clock; this bounds it by the real one
	batch, err := w.store.ClaimNotifications(ctx, w.clock.Now(), w.batch, w.lease)
	if err != nil {
		return 0, err
	}
	for i, n := range batch {
		if ctx.Err() != nil || time.Since(claimedAt)+w.sendTimeout >= w.lease {
			// Stopped, or the lease could end during the next send: hand
			// the untried rest back rather than risk two nodes sending one.
			if err := w.release(ctx, batch[i:]); err != nil {
				return len(batch), err
			}
			return len(batch), ctx.Err()
		}
		sendErr := w.send(ctx, n)
		if sendErr != nil && ctx.Err() != nil {
			// Cut off by Stop, not the gateway's fault: no attempt counted.
			if err := w.release(ctx, batch[i:]); err != nil {
				return len(batch), err
			}
			return len(batch), ctx.Err()
		}
		if err := w.record(ctx, n, sendErr); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// send hands n to the sender of its channel within the send timeout.
func (w *outboxWorker) send(ctx context.Context, n *dost.Notification) error {
	s, ok := w.senders[n.Channel]
	if !ok {
		return fmt.Errorf("no sender for channel %q", n.Channel)
	}
	ctx, cancel := context.WithTimeout(ctx, w.sendTimeout)
	defer cancel()
	return s.Send(ctx, n)
}

// record stores the outcome of n's attempt: sent; failed for good after a
// permanent error or the last attempt; else pending, next tried after
// notify.Backoff. It runs even if ctx was cancelled meanwhile, so that a
// message the gateway took is marked sent.
func (w *outboxWorker) record(ctx context.Context, n *dost.Notification, sendErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	attempt := n.Attempts + 1
	log := w.logger.With("message_id", n.MessageID, "channel", string(n.Channel), "topic", n.Topic, "attempt", attempt)
	switch {
	case sendErr == nil:
		log.Debug("notification sent")
		return w.store.MarkNotificationSent(ctx, n.ID, w.clock.Now())
	case errors.Is(sendErr, notify.ErrPermanent) || attempt >= notify.MaxAttempts:
		log.Warn("notification failed for good", "error", notify.Redact(sendErr.Error()))
		return w.store.MarkNotificationFailed(ctx, n.ID, notify.Redact(sendErr.Error()))
	default:
		next := w.clock.Now().Add(notify.Backoff(attempt))
		log.Warn("notification not sent, will retry", "error", notify.Redact(sendErr.Error()), "next_attempt_at", next)
		return w.store.MarkNotificationRetry(ctx, n.ID, next, notify.Redact(sendErr.Error()))
	}
}

// release hands claimed, untried notifications back, due now.
func (w *outboxWorker) release(ctx context.Context, ns []*dost.Notification) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	return w.store.ReleaseNotifications(ctx, ids, w.clock.Now())
}
