package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rulesrun"
	"github.com/riverqueue/river"
)

// Scanner is the population scan of the proactive service
// (proactive.Service's PlanScan and ScanShard, its summaries as JSON; cmd/dost
// adapts it), so that jobs depends on neither the proactive service nor
// the rules.
type Scanner interface {
	// PlanScan splits the registry into shards of about shardSize persons.
	PlanScan(ctx context.Context, shardSize int) ([]rulesrun.Shard, error)
	// ScanShard finds the newly entitled of one shard of the recorded scan
	// scanID for period, awards or offers them, and returns what it found
	// and did (proactive.ScanSummary as JSON). Scanning a shard again, or
	// on two nodes at once, makes nothing twice, and the summary of any
	// attempt counts what the scan made, whichever attempt made it, once
	// (proactive.Service.ScanShardOf).
	ScanShard(ctx context.Context, scanID int64, period dost.Month, sh rulesrun.Shard) (json.RawMessage, error)
}

// ScanStore records population scans and their progress
// (sqlstore.ScanStore implements it). Implementations are safe for
// concurrent use by many goroutines and nodes sharing one database.
type ScanStore interface {
	// CreateScan records a scan of period started by the coordinator job
	// jobID, or finds the one that job recorded before, and returns its ID.
	CreateScan(ctx context.Context, period dost.Month, jobID int64) (int64, error)
	// StartScan records the scan's shards, unless it has some already, and
	// returns those recorded: a coordinator run twice works the first
	// run's plan.
	StartScan(ctx context.Context, id int64, shards []rulesrun.Shard) ([]rulesrun.Shard, error)
	// FinishScanShard records a scanned shard's summary and counts it done,
	// once however often it is called; for the shard that completes the
	// count, it also writes the scan's total summary and reports true.
	FinishScanShard(ctx context.Context, id int64, sh rulesrun.Shard, summary json.RawMessage) (bool, error)
	// FailScan marks an unfinished scan failed with the reason.
	FailScan(ctx context.Context, id int64, reason string) error
}

// QueueScan runs the shards of population scans, so that a scan's many
// shards never hold up the daily jobs of QueueDefault.
const QueueScan = "scan"

// Time limit and attempts of a shard's job. A shard of the default size
// (rulesrun.DefaultShardSize, 50,000 persons) takes about a second on
// SQLite when nobody in it is newly entitled, and about a minute when
// thousands are (a registry's first scan: some 13,000 awards and offers
// per shard); ScanShardTimeout leaves five times that. A shard cut off by
// it is retried and goes on where it stopped: what it made is found
// made, and counted as the scan's. It stays below RescueStuckJobsAfter,
// so that the rescuer never takes a healthy shard for stuck.
const (
	ScanShardTimeout  = 5 * time.Minute
	ScanShardAttempts = 5
)

// DefaultScanAt is the time of day, in Baku, of the daily scan of the
// current month.
const DefaultScanAt = 2 * time.Hour

// ScanArgs is a population scan's coordinator job: it records the scan
// (ScanStore), plans its shards and enqueues one ScanShardArgs job per
// shard on QueueScan, for every node to take.
type ScanArgs struct {
	Period dost.Month `json:"period"`
}

// Kind implements river.JobArgs.
func (ScanArgs) Kind() string { return "scan" }

// InsertOpts puts the coordinator on QueueDefault with five attempts: a
// coordinator run again finds the scan and the plan of its first run, and
// enqueues no shard twice.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 5}
}

// ScanShardArgs is the job of one shard of a scan.
type ScanShardArgs struct {
	ScanID  int64              `json:"scan_id"`
	Period  dost.Month         `json:"period"`
	Shard   rulesrun.ShardKind `json:"shard"`
	Lo      int64              `json:"lo"`
	Hi      int64              `json:"hi"`
	Persons int64              `json:"persons"`
}

// Kind implements river.JobArgs.
func (ScanShardArgs) Kind() string { return "scan_shard" }

// InsertOpts puts the shard on QueueScan, unique by its arguments (the
// scan and the shard) among the jobs not cancelled or discarded, so that a
// coordinator run twice enqueues each shard once.
func (ScanShardArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueScan, MaxAttempts: ScanShardAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (a ScanShardArgs) shard() rulesrun.Shard {
	return rulesrun.Shard{Kind: a.Shard, Lo: a.Lo, Hi: a.Hi, Persons: a.Persons}
}

// EnqueueScan enqueues a population scan of period for the nodes that
// work jobs, and returns its coordinator job's ID. The scan's record
// (sqlstore.ScanStore.FindScanByJobID) appears when a node starts the job.
func (r *Runner) EnqueueScan(ctx context.Context, period dost.Month) (int64, error) {
	if period.IsZero() {
		return 0, dost.Errorf(dost.EINVALID, "A scan needs a period.")
	}
	res, err := r.client.Insert(ctx, ScanArgs{Period: period}, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue scan: %w", err)
	}
	return res.Job.ID, nil
}

// scanWorker coordinates a scan.
type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	scanner   Scanner
	scans     ScanStore
	shardSize int
	logger    *slog.Logger
	timeout   time.Duration // 0: JobTimeout
}

// Timeout bounds the planning: a few range queries over the households.
func (w *scanWorker) Timeout(*river.Job[ScanArgs]) time.Duration {
	return cmp.Or(w.timeout, JobTimeout)
}

// Work records the scan, plans it and enqueues its shards.
func (w *scanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	period := job.Args.Period
	id, err := w.scans.CreateScan(ctx, period, job.ID)
	if err != nil {
		return err
	}
	err = w.plan(ctx, id, period)
	if err != nil && job.Attempt >= job.MaxAttempts {
		failScan(ctx, w.scans, w.logger, id, err)
	}
	return err
}

func (w *scanWorker) plan(ctx context.Context, id int64, period dost.Month) error {
	planned, err := w.scanner.PlanScan(ctx, w.shardSize)
	if err != nil {
		return fmt.Errorf("scan %d: plan: %w", id, err)
	}
	shards, err := w.scans.StartScan(ctx, id, planned)
	if err != nil {
		return err
	}
	if len(shards) == 0 {
		w.logger.Info("scan finished: the registry is empty", "scan", id, "period", period.String())
		return nil
	}
	params := make([]river.InsertManyParams, len(shards))
	for i, sh := range shards {
		params[i] = river.InsertManyParams{Args: ScanShardArgs{ScanID: id, Period: period, Shard: sh.Kind, Lo: sh.Lo, Hi: sh.Hi, Persons: sh.Persons}}
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("scan %d: %w", id, err)
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("scan %d: enqueue shards: %w", id, err)
	}
	w.logger.Info("scan planned", "scan", id, "period", period.String(), "shards", len(shards))
	return nil
}

// scanShardWorker scans a shard.
type scanShardWorker struct {
	river.WorkerDefaults[ScanShardArgs]
	scanner Scanner
	scans   ScanStore
	logger  *slog.Logger
	timeout time.Duration // 0: ScanShardTimeout
}

// Timeout bounds a shard's scan.
func (w *scanShardWorker) Timeout(*river.Job[ScanShardArgs]) time.Duration {
	return cmp.Or(w.timeout, ScanShardTimeout)
}

// Work scans the shard and records its summary; the last shard of a scan
// finishes it. A shard whose last attempt fails fails the scan.
func (w *scanShardWorker) Work(ctx context.Context, job *river.Job[ScanShardArgs]) error {
	a := job.Args
	sum, err := w.scanner.ScanShard(ctx, a.ScanID, a.Period, a.shard())
	if err == nil {
		var finished bool
		finished, err = w.scans.FinishScanShard(ctx, a.ScanID, a.shard(), sum)
		if err == nil && finished {
			w.logger.Info("scan finished", "scan", a.ScanID, "period", a.Period.String())
		}
	}
	if err != nil {
		err = fmt.Errorf("scan %d: %w", a.ScanID, err)
		if job.Attempt >= job.MaxAttempts {
			failScan(ctx, w.scans, w.logger, a.ScanID, err)
		}
	}
	return err
}

// failScan marks a scan failed, best effort: its failure is logged.
func failScan(ctx context.Context, scans ScanStore, logger *slog.Logger, id int64, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := scans.FailScan(ctx, id, cause.Error()); err != nil {
		logger.Error("mark scan failed", "scan", id, "error", errors.Join(cause, err))
	}
}

// scanPeriodic returns the daily scan of the current month, at DefaultScanAt
// in Baku. It is unique per day, so that a change of leader around the
// hour enqueues it once.
func scanPeriodic(clock dost.Clock) *river.PeriodicJob {
	return river.NewPeriodicJob(dailyAt(DefaultScanAt), func() (river.JobArgs, *river.InsertOpts) {
		opts := ScanArgs{}.InsertOpts()
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: 12 * time.Hour}
		return ScanArgs{Period: dost.MonthOf(today(clock))}, &opts
	}, &river.PeriodicJobOpts{ID: ScanArgs{}.Kind()})
}
