package jobs

import (
	"database/sql"
	"time"

	"github.com/riverqueue/river"
)

// Client returns the Runner's River client, for tests that act on its jobs.
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }

// DailyAt returns the schedule of a daily job at d after midnight in Baku.
func DailyAt(d time.Duration) river.PeriodicSchedule { return dailyAt(d) }
