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

// TestHallJobs checks that hall_day_end and hall_lapse run once at start
// and complete, and not again within their period.
func TestHallJobs(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var closes, lapses atomic.Int64
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.CloseHallDays = func(context.Context) (int, error) { return int(closes.Add(1)), nil }
		cfg.LapseAppointments = func(context.Context) (int, error) { return int(lapses.Add(1)), nil }
		start(t, cfg)
		eventually(t, "both jobs run", func() bool { return closes.Load() == 1 && lapses.Load() == 1 })
		eventually(t, "both jobs completed", func() bool {
			return jobsOf(t, db, jobs.HallDayEndArgs{}.Kind(), "completed") == 1 && jobsOf(t, db, jobs.HallLapseArgs{}.Kind(), "completed") == 1
		})
		time.Sleep(2 * time.Second)
		if closes.Load() != 1 || lapses.Load() != 1 {
			t.Fatalf("got %d day-end runs and %d lapse runs, want one of each", closes.Load(), lapses.Load())
		}
	})
}

func TestHallDayEndSchedule(t *testing.T) {
	baku := time.FixedZone("AZT", 4*60*60)
	got := jobs.DailyAt(jobs.DefaultHallDayEndAt).Next(time.Date(2026, 11, 16, 18, 0, 0, 0, baku))
	if want := time.Date(2026, 11, 17, 0, 20, 0, 0, baku); !got.Equal(want) {
		t.Fatalf("next day end after 18:00: got %v, want %v", got, want)
	}
}
