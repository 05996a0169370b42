package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// This file holds webhooks, the delivery of the webhook deliveries outbox
// (Config.DeliverWebhooks, webhooks.Deliverer's DeliverDue) every
// WebhooksEvery on its own queue, so that a slow receiver never holds up a
// notification or a daily job. The deliveries are written by the storage
// in the transactions of the changes they announce; the job only sends
// them. Its claims are leases (FOR UPDATE SKIP LOCKED on PostgreSQL, the
// single writer on SQLite), so the job running on two nodes at once sends
// no delivery twice at the same time.

// QueueWebhooks runs the webhooks job alone.
const QueueWebhooks = "webhooks"

// DefaultWebhooksEvery is the period of the webhooks job.
const DefaultWebhooksEvery = 5 * time.Second

// WebhooksArgs is the webhooks job: send the due webhook deliveries.
type WebhooksArgs struct{}

// Kind implements river.JobArgs.
func (WebhooksArgs) Kind() string { return "webhooks" }

// InsertOpts puts the job on QueueWebhooks, once: a failed run is not
// retried (the next periodic run is as good), and jobs inserted within the
// same second while one waits or runs are one.
func (WebhooksArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       QueueWebhooks,
		MaxAttempts: 1,
		UniqueOpts: river.UniqueOpts{
			ByPeriod: time.Second,
			ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
				rivertype.JobStateRunning, rivertype.JobStateScheduled},
		},
	}
}

// webhooksJob registers the webhooks worker over deliver and returns its
// periodic job, run at start too.
func webhooksJob(deliver func(ctx context.Context) (int, error), every time.Duration, workers *river.Workers, logger *slog.Logger) *river.PeriodicJob {
	river.AddWorker(workers, &webhooksWorker{deliver: deliver, logger: logger})
	if every <= 0 {
		every = DefaultWebhooksEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return WebhooksArgs{}, nil },
		&river.PeriodicJobOpts{ID: WebhooksArgs{}.Kind(), RunOnStart: true})
}

// webhooksWorker sends the due deliveries.
type webhooksWorker struct {
	river.WorkerDefaults[WebhooksArgs]
	deliver func(ctx context.Context) (int, error)
	logger  *slog.Logger
}

// Work sends what is due; the deliverer logs each outcome.
func (w *webhooksWorker) Work(ctx context.Context, _ *river.Job[WebhooksArgs]) error {
	n, err := w.deliver(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	if n > 0 {
		w.logger.Debug("webhook deliveries attempted", "count", n)
	}
	return nil
}
