package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/sqlstore"
)

// TestVideoCallsJob checks that video_calls runs once at start and
// completes, and not again within its period.
func TestVideoCallsJob(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var runs atomic.Int64
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.EndVideoCalls = func(context.Context) (int, error) { runs.Add(1); return 2, nil }
		start(t, cfg)
		eventually(t, "the job runs", func() bool { return runs.Load() == 1 })
		eventually(t, "the job completed", func() bool { return jobsOf(t, db, jobs.VideoCallsArgs{}.Kind(), "completed") == 1 })
		time.Sleep(2 * time.Second)
		if runs.Load() != 1 {
			t.Fatalf("got %d runs, want one within the minute", runs.Load())
		}
	})
}
