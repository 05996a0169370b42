package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost"
	"github.com/riverqueue/river"
)

// This file holds the proactive service's routine jobs: the daily date
// change, the retry of failed life events, the expiry of offers and the
// end of awards past their end date. Each is safe to run twice (the date
// change is one event per day, by its ID; the others change only what is
// still due), so each runs once when a node becomes River's leader too,
// which makes up for a run missed while no node was up.

// Times of day, in Baku, of the daily jobs, and the period of the retry.
const (
	DefaultDateTickAt       = 5 * time.Minute
	DefaultOffersExpireAt   = 10 * time.Minute
	DefaultAwardsEndAt      = 15 * time.Minute
	DefaultEventsRetryEvery = 5 * time.Minute
)

// baku is the time zone of dost's dates and of the daily jobs' times
// (UTC+4, no summer time since 2016).
var baku = time.FixedZone("AZT", 4*60*60)

// today returns the date in Baku by clock.
func today(clock dost.Clock) dost.Date { return dost.DateOf(clock.Now().In(baku)) }

// dailyAt is a river.PeriodicSchedule: every day at the given time after
// midnight in Baku.
type dailyAt time.Duration

// Next implements river.PeriodicSchedule.
func (d dailyAt) Next(t time.Time) time.Time {
	b := t.In(baku)
	midnight := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, baku)
	next := midnight.Add(time.Duration(d))
	if !next.After(t) {
		next = midnight.AddDate(0, 0, 1).Add(time.Duration(d))
	}
	return next
}

// DateTickArgs is the date_tick job: send the date-change event of Day
// (Config.DateChanged), which assigns the old-age pensions whose right
// arises that day.
type DateTickArgs struct {
	Day dost.Date `json:"day"`
}

// Kind implements river.JobArgs.
func (DateTickArgs) Kind() string { return "date_tick" }

// InsertOpts puts the job on QueueDefault with five attempts: the event's
// ID is the day's, so a repeat changes nothing.
func (DateTickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 5}
}

// dateTickWorker sends the date change.
type dateTickWorker struct {
	river.WorkerDefaults[DateTickArgs]
	dateChanged func(ctx context.Context, day dost.Date) error
	logger      *slog.Logger
}

// Timeout bounds one run: the event's processing assigns a few thousand
// pensions at most.
func (w *dateTickWorker) Timeout(*river.Job[DateTickArgs]) time.Duration { return JobTimeout }

// Work sends the event.
func (w *dateTickWorker) Work(ctx context.Context, job *river.Job[DateTickArgs]) error {
	if err := w.dateChanged(ctx, job.Args.Day); err != nil {
		return fmt.Errorf("date change %s: %w", job.Args.Day, err)
	}
	w.logger.Info("date change sent", "day", job.Args.Day.String())
	return nil
}

// EventsRetryArgs is the events_retry job: process again the life events
// that failed or stalled (Config.RetryEvents).
type EventsRetryArgs struct{}

// Kind implements river.JobArgs.
func (EventsRetryArgs) Kind() string { return "events_retry" }

// InsertOpts puts the job on QueueDefault, once: the next periodic run is
// the retry.
func (EventsRetryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 1}
}

// OffersExpireArgs is the offers_expire job: mark the offers past their
// last day expired (Config.ExpireOffers).
type OffersExpireArgs struct{}

// Kind implements river.JobArgs.
func (OffersExpireArgs) Kind() string { return "offers_expire" }

// InsertOpts puts the job on QueueDefault with three attempts.
func (OffersExpireArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// AwardsEndArgs is the awards_end job: end the awards whose end date has
// passed (Config.EndAwards).
type AwardsEndArgs struct{}

// Kind implements river.JobArgs.
func (AwardsEndArgs) Kind() string { return "awards_end" }

// InsertOpts puts the job on QueueDefault with three attempts.
func (AwardsEndArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// countWorker runs a function that changes what is due and returns how
// many it changed, logging the count: events_retry, offers_expire,
// awards_end.
type countWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run    func(ctx context.Context) (int, error)
	what   string // the log message, e.g. "offers expired"
	logger *slog.Logger
}

// Timeout bounds one run.
func (w *countWorker[T]) Timeout(*river.Job[T]) time.Duration { return JobTimeout }

// Work runs the function.
func (w *countWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	n, err := w.run(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", job.Args.Kind(), err)
	}
	if n > 0 {
		w.logger.Info(w.what, "count", n)
	}
	return nil
}
