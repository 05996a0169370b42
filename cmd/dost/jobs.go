package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/notify"
	"github.com/dost-az/dost/sqlstore"
)

// This file wires the background work of `dost serve` (package jobs, on
// River): the --jobs flag, the runner's start after the database and the
// casework service, its stop before the database closes, and the kick
// that sends a domain write's notifications at once.

var _ jobs.OutboxStore = (*sqlstore.Outbox)(nil)

// jobsNode is a serve node's background work.
type jobsNode struct {
	// work tells whether this node works jobs (--jobs, DOST_JOBS); without
	// it the node only enqueues them (kicks) for the other nodes.
	work bool
	// runner is set by startJobs before the HTTP server opens; read-only
	// after.
	runner *jobs.Runner
	logger *slog.Logger
}

// bindFlags adds --jobs.
func (j *jobsNode) bindFlags(fs *flag.FlagSet) {
	j.work = true
	if v, err := strconv.ParseBool(os.Getenv("DOST_JOBS")); err == nil {
		j.work = v
	}
	fs.BoolVar(&j.work, "jobs", j.work, "work background jobs on this node (deadlines, notification delivery); false leaves them to the other nodes (DOST_JOBS)")
}

// startJobs builds the job runner over m.DB and starts it: the deadlines
// job over the casework service s was given (if any), the outbox delivered
// through the log senders (SMTP and an SMS gateway replace them once
// configured).
func (m *Main) startJobs(ctx context.Context, s *dosthttp.Server) error {
	m.jobs.logger = m.logger
	cfg := jobs.Config{
		DB: m.DB.WriterDB(), Dialect: m.DB.Dialect(), Clock: m.DB.Clock(), Logger: m.logger,
		InsertOnly: !m.jobs.work,
		Outbox:     sqlstore.NewOutbox(m.DB),
		Senders:    []dost.Sender{notify.NewLog(dost.NotifySMS, m.logger), notify.NewLog(dost.NotifyEmail, m.logger)},
	}
	// casework.Service both answers the deadline view and marks lateness.
	if d, ok := s.Deadlines.(interface {
		MarkLate(ctx context.Context) (int, error)
	}); ok {
		cfg.MarkLate = d.MarkLate
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

// kickAfter returns store, kicking the outbox job after each committed
// write that put notifications into the outbox, so that they go out at
// once rather than at the next periodic run (within seconds). A failed
// kick is logged, never the write's error: the periodic run delivers.
func (j *jobsNode) kickAfter(store casework.Store) casework.Store {
	return outboxKicker{Store: store, jobs: j}
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
		s.kick(ctx)
	}
	return stored, created, err
}

// Transition implements casework.Store.
func (s outboxKicker) Transition(ctx context.Context, t *dost.Transition, effects *casework.Effects) error {
	err := s.Store.Transition(ctx, t, effects)
	if err == nil && effects != nil && len(effects.Notifications) > 0 {
		s.kick(ctx)
	}
	return err
}

// MarkLate implements casework.Store.
func (s outboxKicker) MarkLate(ctx context.Context, today dost.Date, now time.Time, notify func(*dost.Application) []*dost.Notification) ([]*dost.Application, error) {
	apps, err := s.Store.MarkLate(ctx, today, now, notify)
	if err == nil && len(apps) > 0 {
		s.kick(ctx)
	}
	return apps, err
}

// kick inserts an outbox job, after the write has committed (on SQLite a
// kick inside the write's transaction would wait for itself).
func (s outboxKicker) kick(ctx context.Context) {
	r := s.jobs.runner
	if r == nil {
		return
	}
	// The request may be over; the kick is still worth making.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.KickOutbox(ctx); err != nil && s.jobs.logger != nil {
		s.jobs.logger.Warn("kick outbox", "error", err)
	}
}
