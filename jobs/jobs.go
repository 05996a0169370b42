// Package jobs is dost's background work, durable on River
// (github.com/riverqueue/river): jobs are rows in dost's own database
// (River's river_* tables, migrated by sqlstore.Migrate), worked by every
// node that runs a Runner, and retried on another node when one dies.
//
// The jobs so far:
//
//   - deadlines: marks applications past their deadline as late and
//     escalates them (Config.MarkLate), every DeadlinesEvery and once at
//     start;
//   - outbox: delivers the notifications outbox through the senders of
//     their channels (Config.Outbox, Config.Senders), every OutboxEvery and
//     whenever KickOutbox asks.
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
// rescuer (run by the leader) makes a job running longer than
// RescueStuckJobsAfter available again, and another node retries it. Every
// job here is safe to run twice or at once on two nodes.
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
	// QueueDefault runs the deadlines job and, later, the other periodic
	// and sharded work.
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
// longest job, or a healthy job would be run twice at once.
const (
	JobTimeout           = 5 * time.Minute
	RescueStuckJobsAfter = 15 * time.Minute
)

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
	if err := checkMigrated(ctx, driver, logger); err != nil {
		return nil, err
	}

	r := &Runner{logger: logger, insertOnly: cfg.InsertOnly}
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

	rc := &river.Config{
		// River reports a job's failure as an error, and its routine
		// (client started, job counts every few seconds) at Info: keep
		// only warnings and errors.
		Logger:               slog.New(minLevel{Handler: logger.Handler(), min: slog.LevelWarn}),
		Workers:              workers,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
	}
	if !cfg.InsertOnly {
		rc.Queues = map[string]river.QueueConfig{
			QueueDefault: {MaxWorkers: 2},
			QueueOutbox:  {MaxWorkers: 2},
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
// start. An InsertOnly Runner has nothing to start.
func (r *Runner) Start(ctx context.Context) error {
	if r.insertOnly {
		r.logger.Info("jobs: this node works none (--jobs=false)")
		return nil
	}
	// The jobs' contexts derive from the one Start gets: cut its
	// cancellation off, so that only Stop ends them.
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start jobs: %w", err)
	}
	r.logger.Info("jobs started")
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
