package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// This file holds cert_renewal, the daily renewal reminder of operators'
// certifications (Config.RemindCertifications, training.Service's
// RemindRenewals): each certification nearing its last day is announced
// to its operator and their centre's supervisors through the outbox, once
// per threshold (dost.RenewalThresholds). The store records every
// reminder under a unique key in the transaction that queues its
// notifications, so a second run the same day, or one on another node at
// the same moment, sends nothing twice; the job also runs when a node
// becomes River's leader, which makes up for a day missed.

// DefaultCertRenewalAt is the time of day, in Baku, of the cert_renewal
// job: early morning, so that the reminders are in the inboxes when the
// centres open.
const DefaultCertRenewalAt = 6 * time.Hour

// CertRenewalArgs is the cert_renewal job: queue the renewal reminders
// due today (Config.RemindCertifications).
type CertRenewalArgs struct{}

// Kind implements river.JobArgs.
func (CertRenewalArgs) Kind() string { return "cert_renewal" }

// InsertOpts puts the job on QueueDefault with three attempts: a repeat
// reminds of nothing reminded already.
func (CertRenewalArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// certRenewalJob registers the cert_renewal worker over remind and
// returns its daily periodic job, run at start too.
func certRenewalJob(remind func(ctx context.Context) (int, error), workers *river.Workers, logger *slog.Logger) *river.PeriodicJob {
	river.AddWorker(workers, &countWorker[CertRenewalArgs]{run: remind, what: "certification renewal reminders queued", logger: logger})
	return river.NewPeriodicJob(dailyAt(DefaultCertRenewalAt),
		func() (river.JobArgs, *river.InsertOpts) { return CertRenewalArgs{}, nil },
		&river.PeriodicJobOpts{ID: CertRenewalArgs{}.Kind(), RunOnStart: true})
}
