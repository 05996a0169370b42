package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// DeadlinesArgs is the deadlines job: mark the applications past their
// deadline as late, and the refused ones whose refusal was not delivered
// to the applicant by its notice deadline, and escalate them
// (Config.MarkLate).
type DeadlinesArgs struct{}

// Kind implements river.JobArgs.
func (DeadlinesArgs) Kind() string { return "deadlines" }

// InsertOpts puts the job on QueueDefault with three attempts: MarkLate
// marks and notifies each application once however often it runs, so a
// retry, or a run on two nodes at once, is harmless.
func (DeadlinesArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// deadlinesWorker runs MarkLate.
type deadlinesWorker struct {
	river.WorkerDefaults[DeadlinesArgs]
	markLate func(ctx context.Context) (int, error)
	logger   *slog.Logger
}

// Timeout bounds one run.
func (w *deadlinesWorker) Timeout(*river.Job[DeadlinesArgs]) time.Duration { return JobTimeout }

// Work marks the late applications and refusals.
func (w *deadlinesWorker) Work(ctx context.Context, _ *river.Job[DeadlinesArgs]) error {
	n, err := w.markLate(ctx)
	if err != nil {
		return fmt.Errorf("deadlines: %w", err)
	}
	if n > 0 {
		w.logger.Info("applications marked late", "count", n)
	}
	return nil
}
