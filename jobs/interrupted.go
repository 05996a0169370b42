package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// ErrInterruptedAtStart is the error recorded in the errors of a job that
// Start found running on SQLite and rescued (rescueInterrupted).
const ErrInterruptedAtStart = "Interrupted job rescued at start-up: its process stopped while running it"

// rescueInterrupted makes the jobs the last process left running
// retryable at once (rescueInterrupted) if this process is the only one
// working the SQLite database's jobs, which takeJobsLock tells; it keeps
// the lock shared until Stop. A failure is logged: the jobs are then left
// to River's rescuer.
func (r *Runner) rescueInterrupted(ctx context.Context) {
	lock, alone, err := takeJobsLock(ctx, r.sqlite)
	if err != nil {
		r.logger.Warn("jobs: interrupted jobs left to River's rescuer", "err", err)
		return
	}
	r.lock = lock
	if alone {
		retried, finished, err := rescueInterrupted(ctx, r.client.Driver().GetExecutor())
		if err != nil {
			r.logger.Warn("jobs: interrupted jobs left to River's rescuer", "err", err)
		} else if retried+finished > 0 {
			r.logger.Info("jobs: rescued the jobs the last stop interrupted", "retried", retried, "discarded_or_cancelled", finished)
		}
	} else {
		r.logger.Info("jobs: another process works this database's jobs; jobs left running are left to River's rescuer")
	}
	if err := lock.share(); err != nil {
		r.logger.Warn("jobs: lock file", "err", err)
	}
}

// interruptedBatch is how many interrupted jobs rescueInterrupted reads at
// a time.
const interruptedBatch = 100

// rescueInterrupted is River's rescuer (maintenance.JobRescuer) run once,
// at start, over every job left running, however recently it started:
// for SQLite only, and only when no other process works the file's jobs
// (takeJobsLock), so that a job still running was interrupted (the
// process was killed, the machine lost power) and would otherwise wait
// for River's rescuer, RescueAfter (10 min by default) after it started.
// It must run before the River client starts, and never on PostgreSQL,
// where other nodes may be running those jobs.
//
// As River's rescuer does, each job gets an error in its errors (its
// attempt, ErrInterruptedAtStart) and its rescue count in its metadata;
// a job whose cancellation was asked is cancelled; one with attempts
// left is made retryable, due now (River's scheduler makes it available
// within seconds of the client's start; the node died, the job did not
// fail, so no back-off); one without is discarded. It returns how many
// were retried and how many cancelled or discarded.
func rescueInterrupted(ctx context.Context, exec riverdriver.Executor) (retried, finished int, err error) {
	now := time.Now().UTC()
	// Every job running now was started before this process: the
	// horizon is ahead of any clock skew of the one before.
	horizon := now.Add(24 * time.Hour)
	var afterID int64
	for {
		stuck, err := exec.JobGetStuck(ctx, &riverdriver.JobGetStuckParams{AfterID: afterID, Max: interruptedBatch, StuckHorizon: horizon})
		if err != nil {
			return retried, finished, fmt.Errorf("jobs: find interrupted jobs: %w", err)
		}
		if len(stuck) == 0 {
			return retried, finished, nil
		}
		afterID = stuck[len(stuck)-1].ID
		p := &riverdriver.JobRescueManyParams{StuckHorizon: horizon}
		for _, job := range stuck {
			errorData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: max(job.Attempt, 0), Error: ErrInterruptedAtStart})
			if err != nil {
				return retried, finished, fmt.Errorf("jobs: %w", err)
			}
			var meta struct {
				CancelAttemptedAt time.Time `json:"cancel_attempted_at"`
			}
			_ = json.Unmarshal(job.Metadata, &meta) // undecodable: not cancelled
			state, finalizedAt, scheduledAt := rivertype.JobStateRetryable, (*time.Time)(nil), now
			switch {
			case !meta.CancelAttemptedAt.IsZero():
				state, finalizedAt, scheduledAt = rivertype.JobStateCancelled, &now, job.ScheduledAt
			case job.Attempt >= max(job.MaxAttempts, 0):
				state, finalizedAt, scheduledAt = rivertype.JobStateDiscarded, &now, job.ScheduledAt
			}
			if state == rivertype.JobStateRetryable {
				retried++
			} else {
				finished++
			}
			p.ID = append(p.ID, job.ID)
			p.Error = append(p.Error, errorData)
			p.FinalizedAt = append(p.FinalizedAt, finalizedAt)
			p.ScheduledAt = append(p.ScheduledAt, scheduledAt)
			p.State = append(p.State, string(state))
		}
		if _, err := exec.JobRescueMany(ctx, p); err != nil {
			return retried, finished, fmt.Errorf("jobs: rescue interrupted jobs: %w", err)
		}
		if len(stuck) < interruptedBatch {
			return retried, finished, nil
		}
	}
}
