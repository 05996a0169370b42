package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// This file wires the background work of `dost serve` and `dost worker`
// (package jobs, on River): the --jobs flags, the runner's start after the
// database and the casework and proactive services, its stop before the
// database closes, and the kick that sends a domain write's notifications
// at once.

var (
	_ jobs.OutboxStore = (*sqlstore.Outbox)(nil)
	_ jobs.ScanStore   = (*sqlstore.ScanStore)(nil)
	_ jobs.Scanner     = proactiveScanner{}
)

var _ jobs.DocumentStore = (*sqlstore.CaseStore)(nil)

// jobsNode is a serve node's background work.
type jobsNode struct {
	// work tells whether this node works jobs (--jobs, DOST_JOBS); without
	// it the node only enqueues them (kicks) for the other nodes.
	work bool
	// scanWorkers and scanShardSize configure the population scan's
	// shards: how many this node scans at once, and their size.
	scanWorkers, scanShardSize int
	// nodeID is --node-id: this node's name in the job queue (River's
	// client ID); empty: River's default.
	nodeID string
	// rescueAfter is --jobs-rescue-after: how long a job of a dead node
	// waits before another node takes it (jobs.Config.RescueAfter).
	rescueAfter time.Duration
	// runner is set by startJobs before the HTTP server opens; read-only
	// after.
	runner *jobs.Runner
	logger *slog.Logger
	// files is the documents' file store, set by wireCasework, for the
	// sweep of orphan files.
	files dost.FileStore
	// lastKick is when the outbox was last kicked (UnixNano), to kick it
	// at most once per kickEvery.
	lastKick atomic.Int64
}

// bindFlags adds --jobs.
func (j *jobsNode) bindFlags(fs *flag.FlagSet) {
	j.work = true
	if v, err := strconv.ParseBool(os.Getenv("DOST_JOBS")); err == nil {
		j.work = v
	}
	fs.BoolVar(&j.work, "jobs", j.work, "work background jobs on this node (deadlines, notification delivery, population scans, daily events); false leaves them to the other nodes (DOST_JOBS)")
	fs.IntVar(&j.scanWorkers, "scan-workers", envInt("DOST_SCAN_WORKERS", 0), "shards of a population scan this node scans at once; 0: the number of CPUs (DOST_SCAN_WORKERS)")
	fs.IntVar(&j.scanShardSize, "scan-shard-size", envInt("DOST_SCAN_SHARD_SIZE", rulesrun.DefaultShardSize), "persons per shard of the population scans this node plans (DOST_SCAN_SHARD_SIZE)")
	fs.StringVar(&j.nodeID, "node-id", os.Getenv("DOST_NODE_ID"), "this node's name in the job queue, recorded in the attempted_by of every job it works; unique among the running nodes, at most 100 characters (default: the host name and start time) (DOST_NODE_ID)")
	fs.DurationVar(&j.rescueAfter, "jobs-rescue-after", envDuration("DOST_JOBS_RESCUE_AFTER", jobs.RescueStuckJobsAfter), "how long a job may run before it is taken for stuck (its node died) and retried on another node, within 30 s more; shorter than the default, it also cuts the time limit of the scans' and payroll preparations' jobs to half of it (DOST_JOBS_RESCUE_AFTER)")
}

// envDuration returns the environment variable name as a duration
// (time.ParseDuration), or def.
func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// envInt returns the environment variable name as an int, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// startJobs builds the job runner over m.DB and starts it: the deadlines
// job over the casework service s was given (if any), the outbox delivered
// through the configured senders (Config.Notify), the population scan and the daily work of the proactive
// service (m.Proactive), and the end of awards past their end date.
func (m *Main) startJobs(ctx context.Context, s *dosthttp.Server) error {
	m.jobs.logger = m.logger
	cfg := jobs.Config{
		DB: m.DB.WriterDB(), Dialect: m.DB.Dialect(), Clock: m.DB.Clock(), Logger: m.logger,
		InsertOnly:  !m.jobs.work,
		ClientID:    m.jobs.nodeID,      // --node-id
		RescueAfter: m.jobs.rescueAfter, // --jobs-rescue-after
		Outbox:      sqlstore.NewOutbox(m.DB),
		Senders:     m.Config.Notify.Senders(m.logger),
	}
	// casework.Service both answers the deadline view and marks lateness.
	if d, ok := s.Deadlines.(interface {
		MarkLate(ctx context.Context) (int, error)
	}); ok {
		cfg.MarkLate = d.MarkLate
	}
	if p := m.Proactive; p != nil {
		cfg.Scanner, cfg.Scans = proactiveScanner{p}, sqlstore.NewScanStore(m.DB)
		cfg.ScanWorkers, cfg.ScanShardSize = m.jobs.scanWorkers, m.jobs.scanShardSize
		cfg.DateChanged = func(ctx context.Context, day dost.Date) error {
			e, _, err := p.ReceiveEvent(ctx, proactive.DateChanged(day))
			if err == nil && e.Status == dost.EventFailed {
				m.logger.Warn("the date change failed; events_retry tries again", "event", e.ID, "error", e.Error)
			}
			return err
		}
		cfg.RetryEvents, cfg.ExpireOffers = p.RetryFailed, p.ExpireOffers
	}
	cfg.EndAwards = sqlstore.NewCaseStore(m.DB).EndAwardsPastEndDate
	// hall.Service closes the days' open tickets and lapses bookings.
	if h, ok := s.Hall.(interface {
		CloseDays(ctx context.Context) (int, error)
		LapseDue(ctx context.Context) (int, error)
	}); ok {
		cfg.CloseHallDays, cfg.LapseAppointments = h.CloseDays, h.LapseDue
	}
	cfg.EndVideoCalls = s.EndVideoCallsOfClosedTickets // video calls of tickets that left the hall (http/video_end.go)
	if m.Payroll != nil {
		cfg.Payroll = m.Payroll // its Config.Enqueue calls back m.jobs.runner (payroll.go)
		cfg.SuspendNotWithdrawn = m.Payroll.SuspendNotWithdrawn
	}
	if s.Training != nil {
		cfg.RemindCertifications = s.Training.RemindRenewals
	}
	if d := m.webhooks.deliverer; d != nil { // webhook.go
		cfg.DeliverWebhooks = d.DeliverDue
	}
	if m.jobs.files != nil {
		cfg.Files, cfg.Documents = m.jobs.files, sqlstore.NewCaseStore(m.DB)
	}
	r, err := jobs.New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := r.Start(ctx); err != nil {
		return err
	}
	m.jobs.runner = r
	return nil
}

// stopJobs stops the runner, if started: running jobs get 10 s to finish,
// then are cancelled (and run again later, here or on another node).
func (m *Main) stopJobs() error {
	if m.jobs.runner == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.jobs.runner.Stop(ctx)
}

// proactiveScanner is the proactive service as the scan jobs' Scanner.
type proactiveScanner struct{ svc *proactive.Service }

// PlanScan implements jobs.Scanner.
func (p proactiveScanner) PlanScan(ctx context.Context, shardSize int) ([]rulesrun.Shard, error) {
	return p.svc.PlanScan(ctx, shardSize)
}

// ScanShard implements jobs.Scanner.
func (p proactiveScanner) ScanShard(ctx context.Context, scanID int64, period dost.Month, sh rulesrun.Shard) (json.RawMessage, error) {
	sum, err := p.svc.ScanShardOf(ctx, scanID, period, sh)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sum)
}

// kickEvery is the least time between two kicks of the outbox: a scan or
// a burst of events writes notifications by the thousand, and one kick
// each would be one more write each. Notifications written after a kick
// and within kickEvery of it go out with the next kick or the next
// periodic run (jobs.DefaultOutboxEvery).
const kickEvery = time.Second

// kickAfter returns store, kicking the outbox job after each committed
// write that put notifications into the outbox, so that they go out at
// once rather than at the next periodic run (within seconds). A failed
// kick is logged, never the write's error: the periodic run delivers.
func (j *jobsNode) kickAfter(store casework.Store) casework.Store {
	return outboxKicker{Store: store, jobs: j}
}

// kickAfterOffers is kickAfter for the proactive service's store, whose
// offers come with their notifications.
func (j *jobsNode) kickAfterOffers(store proactive.Store) proactive.Store {
	return offerKicker{Store: store, jobs: j}
}

// offerKicker is a proactive.Store that kicks the outbox; see
// kickAfterOffers.
type offerKicker struct {
	proactive.Store
	jobs *jobsNode
}

// CreateOffer implements proactive.Store.
func (s offerKicker) CreateOffer(ctx context.Context, o *dost.Offer, ns []*dost.Notification) (*dost.Offer, bool, error) {
	stored, created, err := s.Store.CreateOffer(ctx, o, ns)
	if err == nil && created && len(ns) > 0 {
		s.jobs.kick(ctx)
	}
	return stored, created, err
}

// outboxKicker is a casework.Store that kicks the outbox; see kickAfter.
type outboxKicker struct {
	casework.Store
	jobs *jobsNode
}

// CreateApplication implements casework.Store.
func (s outboxKicker) CreateApplication(ctx context.Context, a *dost.Application, docs []*dost.ApplicationDocument, effects *casework.Effects) (*dost.Application, bool, error) {
	stored, created, err := s.Store.CreateApplication(ctx, a, docs, effects)
	if err == nil && created && effects != nil && len(effects.Notifications) > 0 {
		s.jobs.kick(ctx)
	}
	return stored, created, err
}

// Transition implements casework.Store.
func (s outboxKicker) Transition(ctx context.Context, t *dost.Transition, effects *casework.Effects) error {
	err := s.Store.Transition(ctx, t, effects)
	if err == nil && effects != nil && len(effects.Notifications) > 0 {
		s.jobs.kick(ctx)
	}
	return err
}

// MarkLate implements casework.Store.
func (s outboxKicker) MarkLate(ctx context.Context, today dost.Date, now time.Time, notify func(*dost.Application) []*dost.Notification) ([]*dost.Application, error) {
	apps, err := s.Store.MarkLate(ctx, today, now, notify)
	if err == nil && len(apps) > 0 {
		s.jobs.kick(ctx)
	}
	return apps, err
}

// kick inserts an outbox job, after the write has committed (on SQLite a
// kick inside the write's transaction would wait for itself), unless one
// was inserted within kickEvery.
func (j *jobsNode) kick(ctx context.Context) {
	r := j.runner
	if r == nil {
		return
	}
	now, last := time.Now().UnixNano(), j.lastKick.Load()
	if now-last < int64(kickEvery) || !j.lastKick.CompareAndSwap(last, now) {
		return
	}
	// The request may be over; the kick is still worth making.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.KickOutbox(ctx); err != nil && j.logger != nil {
		j.logger.Warn("kick outbox", "error", err)
	}
}
