package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// DefaultWithdrawalsAt is the time of day, in Baku, of the daily
// payroll_withdrawals job: after the night's withdrawal feed.
const DefaultWithdrawalsAt = 20 * time.Minute

// PayrollWithdrawalsArgs is the payroll_withdrawals job: suspend the
// targeted social assistance awards whose money was not withdrawn for 2
// months (Config.SuspendNotWithdrawn). Safe to run twice: an award
// suspended is no longer active.
type PayrollWithdrawalsArgs struct{}

// Kind implements river.JobArgs.
func (PayrollWithdrawalsArgs) Kind() string { return "payroll_withdrawals" }

// InsertOpts puts the job on QueueDefault with three attempts.
func (PayrollWithdrawalsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// payrollWithdrawalJobs registers the worker of the payroll_withdrawals
// job when the configuration has its function, and returns its periodic
// job: daily at DefaultWithdrawalsAt, and once when a node becomes the
// leader (a day missed while no node was up).
func payrollWithdrawalJobs(cfg Config, workers *river.Workers, logger *slog.Logger) []*river.PeriodicJob {
	if cfg.SuspendNotWithdrawn == nil {
		return nil
	}
	run := func(ctx context.Context) (int, error) { return cfg.SuspendNotWithdrawn(ctx, today(cfg.Clock)) }
	river.AddWorker(workers, &countWorker[PayrollWithdrawalsArgs]{run: run,
		what: "awards suspended: their money was not withdrawn for 2 months", logger: logger})
	return []*river.PeriodicJob{river.NewPeriodicJob(dailyAt(DefaultWithdrawalsAt),
		func() (river.JobArgs, *river.InsertOpts) { return PayrollWithdrawalsArgs{}, nil },
		&river.PeriodicJobOpts{ID: PayrollWithdrawalsArgs{}.Kind(), RunOnStart: true})}
}
