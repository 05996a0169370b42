package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// DefaultLapseEvery is the period of the hall_lapse job.
const DefaultLapseEvery = 5 * time.Minute

// HallLapseArgs is the hall_lapse job: mark the bookings whose check-in
// window closed without a check-in as lapsed (Config.LapseAppointments).
type HallLapseArgs struct{}

// Kind implements river.JobArgs.
func (HallLapseArgs) Kind() string { return "hall_lapse" }

// InsertOpts puts the job on QueueDefault, once: the next periodic run is
// the retry.
func (HallLapseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 1}
}
