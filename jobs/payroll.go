package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dost-az/dost/rulesrun"
	"github.com/riverqueue/river"
)

// Payroll prepares payroll cycles in shards (payroll.Service implements
// it), so that jobs depends on neither the payroll service nor the rules.
// Every method is safe to call twice, or on two nodes at once.
type Payroll interface {
	// PlanCycle plans and records the shards of run of a preparing cycle,
	// or returns those recorded by an earlier call; nil when the cycle is
	// no longer preparing run (the job is stale).
	PlanCycle(ctx context.Context, cycleID int64, run int) ([]rulesrun.Shard, error)
	// PrepareShard prepares one shard of run of a cycle, once however
	// often it is called, and reports whether it completed the cycle.
	PrepareShard(ctx context.Context, cycleID int64, run int, sh rulesrun.Shard) (bool, error)
	// FailCycle records why run of a cycle failed for good.
	FailCycle(ctx context.Context, cycleID int64, run int, reason string) error
}

// QueuePayroll runs the shards of payroll preparations, so that they
// neither wait behind a population scan nor hold up the daily jobs.
const QueuePayroll = "payroll"

// PayrollShardTimeout bounds a shard's preparation (reading its awards and
// registry records, the rules for its month and any months of arrears,
// writing its payments); PayrollShardAttempts is how often it is tried.
// Like ScanShardTimeout, it stays below RescueStuckJobsAfter.
const (
	PayrollShardTimeout  = 5 * time.Minute
	PayrollShardAttempts = 5
)

// PayrollPrepareArgs is the coordinator job of the preparation of run of
// a payroll cycle: it plans the shards and enqueues one PayrollShardArgs
// job per shard on QueuePayroll, for every node to take.
type PayrollPrepareArgs struct {
	CycleID int64 `json:"cycle_id"`
	Run     int   `json:"run"`
}

// Kind implements river.JobArgs.
func (PayrollPrepareArgs) Kind() string { return "payroll_prepare" }

// InsertOpts puts the coordinator on QueueDefault with five attempts,
// unique by its arguments among the jobs not discarded or cancelled: a
// cycle's run is enqueued once however often PrepareCycle asks, and again
// after it failed for good.
func (PayrollPrepareArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PayrollShardArgs is the job of one shard of a cycle's preparation.
type PayrollShardArgs struct {
	CycleID int64              `json:"cycle_id"`
	Run     int                `json:"run"`
	Shard   rulesrun.ShardKind `json:"shard"`
	Lo      int64              `json:"lo"`
	Hi      int64              `json:"hi"`
	Persons int64              `json:"persons"`
}

// Kind implements river.JobArgs.
func (PayrollShardArgs) Kind() string { return "payroll_shard" }

// InsertOpts puts the shard on QueuePayroll, unique by its arguments.
func (PayrollShardArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePayroll, MaxAttempts: PayrollShardAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (a PayrollShardArgs) shard() rulesrun.Shard {
	return rulesrun.Shard{Kind: a.Shard, Lo: a.Lo, Hi: a.Hi, Persons: a.Persons}
}

// EnqueuePayroll enqueues the preparation of run of a payroll cycle for
// the nodes that work jobs (payroll.Config.Enqueue). Enqueuing a run
// again while its coordinator is queued, running or completed does
// nothing.
func (r *Runner) EnqueuePayroll(ctx context.Context, cycleID int64, run int) error {
	if _, err := r.client.Insert(ctx, PayrollPrepareArgs{CycleID: cycleID, Run: run}, nil); err != nil {
		return fmt.Errorf("enqueue payroll cycle %d: %w", cycleID, err)
	}
	return nil
}

// payrollWorker coordinates a cycle's preparation.
type payrollWorker struct {
	river.WorkerDefaults[PayrollPrepareArgs]
	payroll Payroll
	logger  *slog.Logger
	timeout time.Duration // 0: JobTimeout
}

// Timeout bounds the planning.
func (w *payrollWorker) Timeout(*river.Job[PayrollPrepareArgs]) time.Duration {
	return cmp.Or(w.timeout, JobTimeout)
}

// Work plans the cycle's shards and enqueues them; a plan whose last
// attempt fails fails the cycle's run.
func (w *payrollWorker) Work(ctx context.Context, job *river.Job[PayrollPrepareArgs]) error {
	a := job.Args
	err := w.plan(ctx, a)
	if err != nil && job.Attempt >= job.MaxAttempts {
		failCycle(ctx, w.payroll, w.logger, a.CycleID, a.Run, err)
	}
	return err
}

func (w *payrollWorker) plan(ctx context.Context, a PayrollPrepareArgs) error {
	shards, err := w.payroll.PlanCycle(ctx, a.CycleID, a.Run)
	if err != nil {
		return fmt.Errorf("payroll cycle %d: %w", a.CycleID, err)
	}
	if len(shards) == 0 {
		return nil // stale, or prepared at once: nothing to pay
	}
	params := make([]river.InsertManyParams, len(shards))
	for i, sh := range shards {
		params[i] = river.InsertManyParams{Args: PayrollShardArgs{CycleID: a.CycleID, Run: a.Run, Shard: sh.Kind, Lo: sh.Lo, Hi: sh.Hi, Persons: sh.Persons}}
	}
	client, err := river.ClientFromContextSafely[*sql.Tx](ctx)
	if err != nil {
		return fmt.Errorf("payroll cycle %d: %w", a.CycleID, err)
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("payroll cycle %d: enqueue shards: %w", a.CycleID, err)
	}
	w.logger.Info("payroll cycle planned", "cycle", a.CycleID, "run", a.Run, "shards", len(shards))
	return nil
}

// payrollShardWorker prepares a shard.
type payrollShardWorker struct {
	river.WorkerDefaults[PayrollShardArgs]
	payroll Payroll
	logger  *slog.Logger
	timeout time.Duration // 0: PayrollShardTimeout
}

// Timeout bounds a shard's preparation.
func (w *payrollShardWorker) Timeout(*river.Job[PayrollShardArgs]) time.Duration {
	return cmp.Or(w.timeout, PayrollShardTimeout)
}

// Work prepares the shard; the last shard of a cycle sets it prepared. A
// shard whose last attempt fails fails the cycle's run.
func (w *payrollShardWorker) Work(ctx context.Context, job *river.Job[PayrollShardArgs]) error {
	a := job.Args
	finished, err := w.payroll.PrepareShard(ctx, a.CycleID, a.Run, a.shard())
	if err != nil {
		err = fmt.Errorf("payroll cycle %d: %w", a.CycleID, err)
		if job.Attempt >= job.MaxAttempts {
			failCycle(ctx, w.payroll, w.logger, a.CycleID, a.Run, err)
		}
		return err
	}
	if finished {
		w.logger.Info("payroll cycle prepared", "cycle", a.CycleID, "run", a.Run)
	}
	return nil
}

// failCycle marks a cycle's run failed, best effort: its failure is
// logged.
func failCycle(ctx context.Context, p Payroll, logger *slog.Logger, id int64, run int, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.FailCycle(ctx, id, run, cause.Error()); err != nil {
		logger.Error("mark payroll cycle failed", "cycle", id, "error", errors.Join(cause, err))
	}
}
