package jobs

import (
	"cmp"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// DefaultVideoCallsEvery is the period of the video_calls job.
const DefaultVideoCallsEvery = time.Minute

// VideoCallsArgs is the video_calls job: end the video calls whose ticket
// has left the hall (finished at the console, cancelled, no-show, closed
// at the day's end) while nobody of the call was connected to notice
// (Config.EndVideoCalls): their metadata goes to the audit trail, their
// interpretation request leaves the interpreters' queue, a portal
// citizen's rating SMS is queued. Ending only what still goes on, a run
// twice or on two nodes at once is harmless.
type VideoCallsArgs struct{}

// Kind implements river.JobArgs.
func (VideoCallsArgs) Kind() string { return "video_calls" }

// InsertOpts puts the job on QueueDefault, once: the next periodic run is
// the retry.
func (VideoCallsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDefault, MaxAttempts: 1}
}

// videoCallsJobs registers the video_calls worker when the configuration
// has EndVideoCalls and returns its periodic job (none otherwise).
func videoCallsJobs(cfg Config, workers *river.Workers, logger *slog.Logger) []*river.PeriodicJob {
	if cfg.EndVideoCalls == nil {
		return nil
	}
	river.AddWorker(workers, &countWorker[VideoCallsArgs]{run: cfg.EndVideoCalls, what: "video calls of closed tickets ended", logger: logger})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cmp.Or(cfg.VideoCallsEvery, DefaultVideoCallsEvery)),
		func() (river.JobArgs, *river.InsertOpts) { return VideoCallsArgs{}, nil },
		&river.PeriodicJobOpts{ID: VideoCallsArgs{}.Kind(), RunOnStart: true})}
}
