package jobs

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// This file and hall_lapse.go hold the centre hall's routine jobs: the
// day's end, which closes the tickets a day left open, and the lapse of
// bookings not checked in. Both change only what is still due, so a run
// twice, or on two nodes at once, is harmless; each runs when a node
// becomes River's leader too, making up for a run missed while no node
// was up.

// DefaultHallDayEndAt is the time of day, in Baku, of the hall_day_end job.
const DefaultHallDayEndAt = 20 * time.Minute

// HallDayEndArgs is the hall_day_end job: cancel the tickets of earlier
// days still waiting, called, serving or parked, each with a cancelled
// event of reason day_end in the queue's log (Config.CloseHallDays), so
// that no ticket stays open for ever and the dashboards count it.
type HallDayEndArgs struct{}

// Kind implements river.JobArgs.
func (HallDayEndArgs) Kind() string { return "hall_day_end" }

// InsertOpts puts the job on QueueDefault with three attempts.
func (HallDayEndArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 3}
}

// hallJobs registers the workers of the hall's jobs the configuration has
// functions for and returns their periodic jobs.
func hallJobs(cfg Config, workers *river.Workers, logger *slog.Logger) []*river.PeriodicJob {
	var periodic []*river.PeriodicJob
	add := func(schedule river.PeriodicSchedule, args river.JobArgs) {
		periodic = append(periodic, river.NewPeriodicJob(schedule,
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{ID: args.Kind(), RunOnStart: true}))
	}
	if cfg.CloseHallDays != nil {
		river.AddWorker(workers, &countWorker[HallDayEndArgs]{run: cfg.CloseHallDays, what: "tickets left open closed at the day's end", logger: logger})
		add(dailyAt(DefaultHallDayEndAt), HallDayEndArgs{})
	}
	if cfg.LapseAppointments != nil {
		river.AddWorker(workers, &countWorker[HallLapseArgs]{run: cfg.LapseAppointments, what: "bookings lapsed", logger: logger})
		add(river.PeriodicInterval(cmp.Or(cfg.LapseEvery, DefaultLapseEvery)), HallLapseArgs{})
	}
	return periodic
}
