// Package jobs is dost's background work, durable on River
// (github.com/riverqueue/river): jobs are rows in dost's own database
// (River's river_* tables, migrated by sqlstore.Migrate), worked by every
// node that runs a Runner, and retried on another node when one dies.
//
// The jobs, each run only if the Config has what it needs:
//
//   - deadlines: marks applications past their deadline as late and
//     escalates them (Config.MarkLate), every DeadlinesEvery and once at
//     start;
//   - outbox: delivers the notifications outbox through the senders of
//     their channels (Config.Outbox, Config.Senders), every OutboxEvery and
//     whenever KickOutbox asks;
//   - scan and scan_shard: the proactive service's population scan of a
//     month (Config.Scanner, Config.Scans): daily at 02:00 in Baku for the
//     current month, and whenever EnqueueScan asks. The scan job plans the
//     shards and enqueues one scan_shard job per shard on QueueScan, which
//     every node works; the shard that completes a scan writes its summary
//     (see ScanStore);
//   - date_tick: the daily date-change event (Config.DateChanged), daily at
//     00:05 in Baku;
//   - events_retry: life events that failed or stalled processed again
//     (Config.RetryEvents), every EventsRetryEvery;
//   - offers_expire: offers past their last day expired
//     (Config.ExpireOffers), daily at 00:10 in Baku;
//   - awards_end: awards past their end date ended (Config.EndAwards),
//     daily at 00:15 in Baku;
//   - files_sweep: document files no document refers to deleted once
//     older than FilesGrace (Config.Files, Config.Documents; files.go),
//     daily at 03:00 in Baku;
//   - hall_day_end: the tickets earlier days left open cancelled with a
//     day_end event (Config.CloseHallDays), daily at 00:20 in Baku;
//     hall_lapse: bookings not checked in lapsed (Config.LapseAppointments),
//     every LapseEvery (hall_dayend.go, hall_lapse.go);
//   - video_calls: the video calls whose ticket left the hall ended
//     (Config.EndVideoCalls; video_calls.go), every VideoCallsEvery;
//   - cert_renewal: renewal reminders of operators' certifications
//     (Config.RemindCertifications; cert_renewal.go), daily at 06:00 in
//     Baku;
//   - webhooks: the webhook deliveries outbox sent, signed, to the
//     subscribers (Config.DeliverWebhooks; webhook.go), every
//     WebhooksEvery on QueueWebhooks;
//   - payroll_prepare and payroll_shard: the preparation of a payroll
//     cycle (Config.Payroll), whenever EnqueuePayroll asks: the
//     coordinator plans the shards and enqueues one payroll_shard job per
//     shard on QueuePayroll; the shard that completes a cycle sets it
//     prepared.
//
// The daily jobs but the scan also run when a node becomes River's leader
// (at start), which makes up for a day missed while no node was up.
//
// Periodic jobs are enqueued by one node at a time, River's elected leader.
// River works over database/sql on both dialects: riversqlite on the
// embedded SQLite file, sharing sqlstore's single writer connection so
// that River's writes and dost's queue up for it rather than fight for the
// file's lock; riverdatabasesql on PostgreSQL, sharing sqlstore's pool, so
// that a job can be inserted in the transaction of the domain write that
// causes it (KickOutboxTx) and is worked only if that write commits.
// riverdatabasesql has no LISTEN connection, so nodes poll for new jobs
// (every second, River's default).
//
// A node that dies mid-job leaves its job running in River's table; River's
// rescuer (run by the leader, every 30 s) makes a job running longer than
// RescueStuckJobsAfter (Config.RescueAfter) and its own time limit
// available again, and another node retries it. On SQLite, where one
// process works the file's jobs, Start retries the jobs the last process
// left running at once instead (interrupted.go). Every job here is safe to
// run twice or at once on two nodes. Each node's River client ID
// (Config.ClientID) is recorded in the attempted_by of every job it works.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/dost-az/dost"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Dialects of Config.Dialect, as sqlstore.DB.Dialect returns them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Queues.
const (
	// QueueDefault runs the periodic jobs (but the outbox) and the scans'
	// coordinators; QueueScan (scan.go) runs the scans' shards.
	QueueDefault = river.QueueDefault
	// QueueOutbox runs the outbox delivery alone, so that a long job
	// elsewhere never holds up a notification.
	QueueOutbox = "outbox"
)

// Defaults of Config.
const (
	DefaultDeadlinesEvery = 10 * time.Minute
	DefaultOutboxEvery    = 5 * time.Second
	DefaultOutboxBatch    = 20
	DefaultOutboxLease    = 2 * time.Minute
	DefaultSendTimeout    = 30 * time.Second
)

// Time limits of River's jobs. JobTimeout bounds a job that sets no
// timeout of its own. RescueStuckJobsAfter is how long a job may stay
// running before River's rescuer takes it for stuck (its node died, or it
// hangs) and makes it available again for any node; it must exceed the
// longest job (ScanShardTimeout, JobTimeout), or a healthy job would be
// run twice at once, and is otherwise as short as that allows: a scan
// whose node died finishes that much later.
const (
	JobTimeout           = 5 * time.Minute
	RescueStuckJobsAfter = 10 * time.Minute
)

// timeoutWithin returns the time limit of a job whose default limit is
// def on a runner whose rescuer takes jobs for stuck after rescueAfter:
// def, or half of rescueAfter when that is shorter, so that the rescuer
// never takes a healthy job for stuck (see Config.RescueAfter).
func timeoutWithin(def, rescueAfter time.Duration) time.Duration {
	return min(def, rescueAfter/2)
}

// Config configures a Runner. DB and Dialect are required; a job whose
// dependencies are nil is not run.
type Config struct {
	// DB is the database River keeps its jobs in: sqlstore's
	// (*DB).WriterDB(), which is SQLite's single writer connection. River's
	// tables must be migrated (sqlstore.Migrate does it).
	DB *sql.DB
	// Dialect is DialectSQLite or DialectPostgres.
	Dialect string
	// Clock tells the jobs the time; nil means the system clock. Give it
	// the database's clock (sqlstore.DB.Clock).
	Clock dost.Clock
	// Logger receives River's and the jobs' messages; nil discards them.
	Logger *slog.Logger
	// InsertOnly makes a Runner that works no job and enqueues no periodic
	// job; it only inserts jobs (KickOutbox) for the other nodes to work.
	// For a node started with --jobs=false.
	InsertOnly bool
	// ClientID names this node in River: its client ID, recorded in the
	// attempted_by of every job it works and as the leader's ID. It must
	// be unique among the nodes running at one time (a node restarted may
	// reuse its own) and at most 100 characters. Empty: River's default,
	// the host's name and the start time.
	ClientID string
	// RescueAfter is how long a job may stay running before River's
	// rescuer takes it for stuck (its node died) and makes it available
	// again for any node; RescueStuckJobsAfter if 0. The rescuer runs every
	// 30 s on the leader, so a job of a dead node is retried between
	// RescueAfter and RescueAfter + 30 s after it started. Shorter than the
	// default (for tests and small installations that want a dead node's
	// scan or payroll shards back within seconds), it also cuts the time
	// limit of the scans' and payroll preparations' jobs, coordinators and
	// shards, to RescueAfter/2 where that is shorter than theirs
	// (JobTimeout, ScanShardTimeout, PayrollShardTimeout), so that a healthy
	// job is never taken for stuck; a shard cut off is retried and goes on
	// where it stopped. The other jobs keep their limits, which the rescuer
	// waits for as well.
	RescueAfter time.Duration

	// MarkLate marks late applications and returns how many
	// (casework.Service.MarkLate); nil: no deadlines job.
	MarkLate func(ctx context.Context) (int, error)
	// DeadlinesEvery is the period of the deadlines job;
	// DefaultDeadlinesEvery if 0.
	DeadlinesEvery time.Duration

	// Outbox is the notifications outbox; nil: no outbox job.
	Outbox OutboxStore
	// Senders deliver the outbox, one per channel. A notification of a
	// channel without a sender is retried (and fails in the end), as if
	// its gateway were down.
	Senders []dost.Sender
	// OutboxEvery is the period of the outbox job; DefaultOutboxEvery if 0.
	OutboxEvery time.Duration
	// OutboxBatch is how many notifications one claim takes;
	// DefaultOutboxBatch if 0.
	OutboxBatch int
	// OutboxLease is how long a claim keeps other nodes off the claimed
	// notifications, and so how long a notification claimed by a node that
	// died waits; DefaultOutboxLease if 0. It must exceed SendTimeout.
	OutboxLease time.Duration
	// SendTimeout bounds one Send; DefaultSendTimeout if 0.
	SendTimeout time.Duration

	// Scanner runs the population scan and Scans records it; both are
	// needed for the scan jobs.
	Scanner Scanner
	Scans   ScanStore
	// ScanShardSize is the persons per shard of a scan; 0: the Scanner's
	// default (rulesrun.DefaultShardSize).
	ScanShardSize int
	// ScanWorkers is how many shards this node scans at once; the number
	// of CPUs if 0.
	ScanWorkers int

	// Payroll prepares payroll cycles in shards (payroll.Service); nil:
	// no payroll_prepare and payroll_shard jobs. PayrollWorkers is how
	// many shards this node prepares at once; the number of CPUs if 0.
	Payroll        Payroll
	PayrollWorkers int
	// SuspendNotWithdrawn suspends the awards whose money was not
	// withdrawn as of today and returns how many
	// (payroll.Service.SuspendNotWithdrawn); nil: no payroll_withdrawals
	// job (payroll_withdrawals.go).
	SuspendNotWithdrawn func(ctx context.Context, today dost.Date) (int, error)

	// DateChanged sends the date-change event of day
	// (proactive.Service.ReceiveEvent of proactive.DateChanged(day));
	// nil: no date_tick job.
	DateChanged func(ctx context.Context, day dost.Date) error
	// RetryEvents processes the failed and stalled life events again and
	// returns how many (proactive.Service.RetryFailed); nil: no
	// events_retry job.
	RetryEvents func(ctx context.Context) (int, error)
	// EventsRetryEvery is the period of the events_retry job;
	// DefaultEventsRetryEvery if 0.
	EventsRetryEvery time.Duration
	// ExpireOffers expires the offers past their last day and returns how
	// many (proactive.Service.ExpireOffers); nil: no offers_expire job.
	ExpireOffers func(ctx context.Context) (int, error)
	// EndAwards ends the awards whose end date is before today (Baku's
	// date by Clock) and returns how many
	// (sqlstore.CaseStore.EndAwardsPastEndDate); nil: no awards_end job.
	EndAwards func(ctx context.Context, today dost.Date) (int, error)

	// CloseHallDays cancels the tickets earlier days left open and
	// returns how many (hall.Service.CloseDays); nil: no hall_day_end job
	// (hall_dayend.go).
	CloseHallDays func(ctx context.Context) (int, error)
	// LapseAppointments lapses the bookings whose check-in window has
	// closed and returns how many (hall.Service.LapseDue); nil: no
	// hall_lapse job. LapseEvery is its period; DefaultLapseEvery if 0.
	LapseAppointments func(ctx context.Context) (int, error)
	LapseEvery        time.Duration
	// EndVideoCalls ends the video calls whose ticket has left the hall
	// and returns how many (http.Server.EndVideoCallsOfClosedTickets); nil:
	// no video_calls job. VideoCallsEvery is its period;
	// DefaultVideoCallsEvery if 0 (video_calls.go).
	EndVideoCalls   func(ctx context.Context) (int, error)
	VideoCallsEvery time.Duration

	// Files is the store of the documents' files and Documents tells which
	// of its keys documents refer to (sqlstore.CaseStore); both are needed
	// for the files_sweep job, which deletes every file of Files that no
	// document refers to: Files must hold documents' files only.
	Files     dost.FileStore
	Documents DocumentStore
	// FilesGrace is the age a file must reach before the sweep may delete
	// it, longer than any upload takes; DefaultFilesGrace if 0.
	FilesGrace time.Duration

	// RemindCertifications queues the renewal reminders of operators'
	// certifications due today and returns how many
	// (training.Service.RemindRenewals); nil: no cert_renewal job
	// (cert_renewal.go), daily at DefaultCertRenewalAt in Baku.
	RemindCertifications func(ctx context.Context) (int, error)

	// DeliverWebhooks sends the due webhook deliveries and returns how
	// many it attempted (webhooks.Deliverer.DeliverDue); nil: no webhooks
	// job (webhook.go), every WebhooksEvery (DefaultWebhooksEvery if 0)
	// on QueueWebhooks.
	DeliverWebhooks func(ctx context.Context) (int, error)
	WebhooksEvery   time.Duration
}

// Runner is dost's River client with its workers and periodic jobs. Build
// it with New, then Start it and Stop it before closing the database. Its
// methods are safe for concurrent use.
type Runner struct {
	client *river.Client[*sql.Tx]
	logger *slog.Logger
	outbox *outboxWorker // nil without Config.Outbox
	// insertOnly: the client is never started (River starts no client
	// without queues); it only inserts.
	insertOnly bool
	// sqlite is the SQLite database whose interrupted jobs Start rescues
	// when this process is the only one working them (interrupted.go);
	// nil on PostgreSQL. lock is Start's hold on its jobs lock, released
	// by Stop.
	sqlite *sql.DB
	lock   *jobsLock
}

// New builds a Runner (it does not start it). It fails if the
// configuration is incomplete or River's tables are missing or not
// current, naming `dost migrate`.
func New(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.DB == nil {
		return nil, errors.New("jobs: no database")
	}
	var driver riverdriver.Driver[*sql.Tx]
	switch cfg.Dialect {
	case DialectSQLite:
		driver = riversqlite.New(cfg.DB)
	case DialectPostgres:
		driver = riverdatabasesql.New(cfg.DB)
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", cfg.Dialect)
	}
	if cfg.Clock == nil {
		cfg.Clock = dost.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	logger := cfg.Logger.With("component", "jobs")
	if cfg.RescueAfter < 0 {
		return nil, fmt.Errorf("jobs: the rescue time %s is negative", cfg.RescueAfter)
	}
	rescueAfter := cmp.Or(cfg.RescueAfter, RescueStuckJobsAfter)
	if timeoutWithin(JobTimeout, rescueAfter) < time.Second {
		return nil, fmt.Errorf("jobs: the rescue time %s is too short: at least 2s", rescueAfter)
	}
	if err := checkMigrated(ctx, driver, logger); err != nil {
		return nil, err
	}

	r := &Runner{logger: logger, insertOnly: cfg.InsertOnly}
	if cfg.Dialect == DialectSQLite {
		r.sqlite = cfg.DB
	}
	workers := river.NewWorkers()
	var periodic []*river.PeriodicJob
	if cfg.MarkLate != nil {
		river.AddWorker(workers, &deadlinesWorker{markLate: cfg.MarkLate, logger: logger})
		periodic = append(periodic, river.NewPeriodicJob(
			river.PeriodicInterval(cmp.Or(cfg.DeadlinesEvery, DefaultDeadlinesEvery)),
			func() (river.JobArgs, *river.InsertOpts) { return DeadlinesArgs{}, nil },
			&river.PeriodicJobOpts{ID: DeadlinesArgs{}.Kind(), RunOnStart: true}))
	}
	if cfg.Outbox != nil {
		w, err := newOutboxWorker(cfg, logger)
		if err != nil {
			return nil, err
		}
		r.outbox = w
		river.AddWorker(workers, w)
		periodic = append(periodic, river.NewPeriodicJob(
			river.PeriodicInterval(cmp.Or(cfg.OutboxEvery, DefaultOutboxEvery)),
			func() (river.JobArgs, *river.InsertOpts) { return OutboxArgs{}, nil },
			&river.PeriodicJobOpts{ID: OutboxArgs{}.Kind(), RunOnStart: true}))
	}

	if (cfg.Scanner == nil) != (cfg.Scans == nil) {
		return nil, errors.New("jobs: the scan jobs need both a Scanner and a ScanStore")
	}
	if cfg.Scanner != nil {
		river.AddWorker(workers, &scanWorker{scanner: cfg.Scanner, scans: cfg.Scans, shardSize: cfg.ScanShardSize, logger: logger,
			timeout: timeoutWithin(JobTimeout, rescueAfter)})
		river.AddWorker(workers, &scanShardWorker{scanner: cfg.Scanner, scans: cfg.Scans, logger: logger,
			timeout: timeoutWithin(ScanShardTimeout, rescueAfter)})
		periodic = append(periodic, scanPeriodic(cfg.Clock))
	}
	if cfg.Payroll != nil {
		river.AddWorker(workers, &payrollWorker{payroll: cfg.Payroll, logger: logger, timeout: timeoutWithin(JobTimeout, rescueAfter)})
		river.AddWorker(workers, &payrollShardWorker{payroll: cfg.Payroll, logger: logger,
			timeout: timeoutWithin(PayrollShardTimeout, rescueAfter)})
	}
	periodic = append(periodic, proactiveJobs(cfg, workers, logger)...)
	periodic = append(periodic, payrollWithdrawalJobs(cfg, workers, logger)...) // payroll_withdrawals.go
	periodic = append(periodic, hallJobs(cfg, workers, logger)...)              // hall_dayend.go
	periodic = append(periodic, videoCallsJobs(cfg, workers, logger)...)        // video_calls.go
	if cfg.RemindCertifications != nil {
		periodic = append(periodic, certRenewalJob(cfg.RemindCertifications, workers, logger))
	}
	if cfg.DeliverWebhooks != nil {
		periodic = append(periodic, webhooksJob(cfg.DeliverWebhooks, cfg.WebhooksEvery, workers, logger)) // webhook.go
	}
	if cfg.Files != nil || cfg.Documents != nil {
		job, err := filesSweepJob(cfg, workers, logger)
		if err != nil {
			return nil, err
		}
		periodic = append(periodic, job)
	}

	rc := &river.Config{
		// River reports a job's failure as an error, and its routine
		// (client started, job counts every few seconds) at Info: keep
		// only warnings and errors.
		Logger:  slog.New(minLevel{Handler: logger.Handler(), min: slog.LevelWarn}),
		ID:      cfg.ClientID,
		Workers: workers,
		// The limit of a job without one of its own; River wants it
		// within the rescue time.
		JobTimeout:           timeoutWithin(JobTimeout, rescueAfter),
		RescueStuckJobsAfter: rescueAfter,
		// A node that works no jobs (dost scan, --jobs=false) inserts them
		// for the others without knowing their workers.
		SkipUnknownJobCheck: cfg.InsertOnly,
	}
	if !cfg.InsertOnly {
		rc.Queues = map[string]river.QueueConfig{
			QueueDefault: {MaxWorkers: 2},
			QueueOutbox:  {MaxWorkers: 2},
		}
		if cfg.Scanner != nil {
			rc.Queues[QueueScan] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.ScanWorkers, runtime.NumCPU())}
		}
		if cfg.DeliverWebhooks != nil {
			rc.Queues[QueueWebhooks] = river.QueueConfig{MaxWorkers: 1}
		}
		if cfg.Payroll != nil {
			rc.Queues[QueuePayroll] = river.QueueConfig{MaxWorkers: cmp.Or(cfg.PayrollWorkers, runtime.NumCPU())}
		}
		rc.PeriodicJobs = periodic
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	r.client = client
	return r, nil
}

// proactiveJobs registers the workers of the proactive service's routine
// jobs the configuration has functions for (daily.go) and returns their
// periodic jobs.
func proactiveJobs(cfg Config, workers *river.Workers, logger *slog.Logger) []*river.PeriodicJob {
	var periodic []*river.PeriodicJob
	add := func(schedule river.PeriodicSchedule, args func() river.JobArgs) {
		periodic = append(periodic, river.NewPeriodicJob(schedule,
			func() (river.JobArgs, *river.InsertOpts) { return args(), nil },
			&river.PeriodicJobOpts{ID: args().Kind(), RunOnStart: true}))
	}
	if cfg.DateChanged != nil {
		river.AddWorker(workers, &dateTickWorker{dateChanged: cfg.DateChanged, logger: logger})
		add(dailyAt(DefaultDateTickAt), func() river.JobArgs { return DateTickArgs{Day: today(cfg.Clock)} })
	}
	if cfg.RetryEvents != nil {
		river.AddWorker(workers, &countWorker[EventsRetryArgs]{run: cfg.RetryEvents, what: "life events processed again", logger: logger})
		add(river.PeriodicInterval(cmp.Or(cfg.EventsRetryEvery, DefaultEventsRetryEvery)),
			func() river.JobArgs { return EventsRetryArgs{} })
	}
	if cfg.ExpireOffers != nil {
		river.AddWorker(workers, &countWorker[OffersExpireArgs]{run: cfg.ExpireOffers, what: "offers expired", logger: logger})
		add(dailyAt(DefaultOffersExpireAt), func() river.JobArgs { return OffersExpireArgs{} })
	}
	if cfg.EndAwards != nil {
		end := func(ctx context.Context) (int, error) { return cfg.EndAwards(ctx, today(cfg.Clock)) }
		river.AddWorker(workers, &countWorker[AwardsEndArgs]{run: end, what: "awards ended past their end date", logger: logger})
		add(dailyAt(DefaultAwardsEndAt), func() river.JobArgs { return AwardsEndArgs{} })
	}
	return periodic
}

// checkMigrated returns an error unless every River migration is applied.
func checkMigrated(ctx context.Context, driver riverdriver.Driver[*sql.Tx], logger *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("jobs: check river migrations: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range existing {
		applied[v.Version] = true
	}
	for _, v := range m.AllVersions() {
		if !applied[v.Version] {
			return fmt.Errorf("jobs: the job queue's tables lack River migration %d; run `dost migrate`", v.Version)
		}
	}
	return nil
}

// Start starts working jobs and, while this node is River's elected
// leader, enqueuing the periodic ones, until Stop; ctx only bounds the
// start. An InsertOnly Runner has nothing to start. On SQLite it first
// makes the jobs an earlier process left running retryable at once
// (rescueInterrupted), rather than after RescueAfter.
func (r *Runner) Start(ctx context.Context) error {
	if r.insertOnly {
		r.logger.Info("jobs: this node works none (--jobs=false)")
		return nil
	}
	if r.sqlite != nil {
		r.rescueInterrupted(ctx) // interrupted.go
	}
	// The jobs' contexts derive from the one Start gets: cut its
	// cancellation off, so that only Stop ends them.
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	r.logger.Info("jobs started", "client_id", r.client.ID())
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish. If
// ctx is done first, it cancels them (the outbox hands back what it had
// claimed and not tried) and waits up to 10 s more for them to return. The
// work of a job cut off is done later: by the job's next periodic run, by
// River's retry of a job with attempts left, or, for a job that never
// returned, after the rescuer makes it available again.
func (r *Runner) Stop(ctx context.Context) error {
	if r.insertOnly {
		return nil
	}
	defer r.lock.release() // after the client stopped: its jobs are over
	err := r.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	r.logger.Warn("jobs still running at shutdown, cancelling them")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.client.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("stop jobs: %w", err)
	}
	return nil
}

// minLevel is a slog.Handler that drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

// Enabled implements slog.Handler.
func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

// WithAttrs implements slog.Handler.
func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

// WithGroup implements slog.Handler.
func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
