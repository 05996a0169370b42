package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/notify"
	"github.com/dost-az/dost/sqlstore"
)

var ctx = context.Background()

// wait is how long a test waits for a job to have done something: River
// on PostgreSQL polls for jobs every second and elects its leader (which
// enqueues the periodic jobs) within a few.
const wait = 30 * time.Second

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eventually fails the test unless cond becomes true within wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gateway stands for the SMS and e-mail gateways outside dost: it records
// every message it accepted, by message id, as a gateway would before
// deduplicating on its idempotency key.
type gateway struct {
	mu       sync.Mutex // mu guards accepted and calls
	accepted map[string]int
	calls    map[string]int
}

func newGateway() *gateway {
	return &gateway{accepted: map[string]int{}, calls: map[string]int{}}
}

// counts returns how often id was accepted and how often sent at all.
func (g *gateway) counts(id string) (accepted, calls int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.accepted[id], g.calls[id]
}

// total returns how many messages were accepted.
func (g *gateway) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.accepted {
		n += c
	}
	return n
}

// sender is a dost.Sender of one channel to a gateway. fail, if set, may
// refuse a message (or hold it until ctx is done) before the gateway
// accepts it.
type sender struct {
	channel dost.NotificationChannel
	gw      *gateway
	fail    func(ctx context.Context, n *dost.Notification) error
}

func (s *sender) Channel() dost.NotificationChannel { return s.channel }

func (s *sender) Send(ctx context.Context, n *dost.Notification) error {
	s.gw.mu.Lock()
	s.gw.calls[n.MessageID]++
	s.gw.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(ctx, n); err != nil {
			return err
		}
	}
	if n.Channel != s.channel {
		return fmt.Errorf("%s sender got a %s notification", s.channel, n.Channel)
	}
	s.gw.mu.Lock()
	s.gw.accepted[n.MessageID]++
	s.gw.mu.Unlock()
	return nil
}

// senders returns an SMS and an e-mail sender to gw.
func senders(gw *gateway, fail func(context.Context, *dost.Notification) error) []dost.Sender {
	return []dost.Sender{&sender{channel: dost.NotifySMS, gw: gw, fail: fail}, &sender{channel: dost.NotifyEmail, gw: gw, fail: fail}}
}

// enqueue puts n notifications with message ids prefix-0 … into the
// outbox, due now, alternately SMS and e-mail, and returns their ids.
func enqueue(t *testing.T, db *sqlstore.DB, prefix string, n int) []string {
	t.Helper()
	var ns []*dost.Notification
	var ids []string
	for i := range n {
		ch, to := dost.NotifySMS, "+99450123456"+fmt.Sprint(i%10)
		if i%2 == 1 {
			ch, to = dost.NotifyEmail, fmt.Sprintf("p%d@example.az", i)
		}
		id := fmt.Sprintf("%s-%d", prefix, i)
		ids = append(ids, id)
		ns = append(ns, &dost.Notification{MessageID: id, PersonID: int64(i + 1), Channel: ch, To: to,
			Language: "az", Topic: "test", Subject: "Test", Body: "Salam"})
	}
	ok(t, sqlstore.NewOutbox(db).CreateNotifications(ctx, ns))
	return ids
}

// outbox returns the notifications by message id.
func outbox(t *testing.T, db *sqlstore.DB) map[string]*dost.Notification {
	t.Helper()
	ns, _, err := sqlstore.NewCaseStore(db).FindNotifications(ctx, dost.NotificationFilter{})
	ok(t, err)
	out := map[string]*dost.Notification{}
	for _, n := range ns {
		out[n.MessageID] = n
	}
	return out
}

// allSent reports whether every id is sent.
func allSent(t *testing.T, db *sqlstore.DB, ids []string) bool {
	st := outbox(t, db)
	for _, id := range ids {
		if st[id].Status != dost.NotificationSent {
			return false
		}
	}
	return true
}

// completedOutboxJobs counts River's completed outbox jobs.
func completedOutboxJobs(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	return jobsOf(t, db, "outbox", "completed")
}

// jobsOf returns the number of River jobs of kind in state, or in any
// state but completed if state is "open".
func jobsOf(t *testing.T, db *sqlstore.DB, kind, state string) int {
	t.Helper()
	q := `SELECT count(*) FROM river_job WHERE kind = $1 AND state = $2`
	if state == "open" {
		q = `SELECT count(*) FROM river_job WHERE kind = $1 AND state <> $2`
		state = "completed"
	}
	var n int
	ok(t, db.WriterDB().QueryRowContext(ctx, q, kind, state).Scan(&n))
	return n
}

// config returns a Runner configuration over db with its clock, the outbox
// and a logger of warnings to the test's output.
func config(t *testing.T, db *sqlstore.DB) jobs.Config {
	return jobs.Config{
		DB: db.WriterDB(), Dialect: db.Dialect(), Clock: db.Clock(),
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Outbox: sqlstore.NewOutbox(db),
	}
}

// start builds and starts a Runner, stopped when the test ends.
func start(t *testing.T, cfg jobs.Config) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(ctx, cfg)
	ok(t, err)
	ok(t, r.Start(ctx))
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := r.Stop(sctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return r
}

// checkOnce fails the test unless the gateway accepted each id exactly once.
func checkOnce(t *testing.T, gw *gateway, ids []string) {
	t.Helper()
	for _, id := range ids {
		if got, _ := gw.counts(id); got != 1 {
			t.Errorf("%s accepted %d times, want once", id, got)
		}
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		t.Run("OK", func(t *testing.T) {
			gw := newGateway()
			cfg := config(t, db)
			cfg.Senders = senders(gw, nil)
			cfg.OutboxEvery = 200 * time.Millisecond
			start(t, cfg)
			ids := enqueue(t, db, "ok", 45) // more than two batches
			eventually(t, "all sent", func() bool { return allSent(t, db, ids) })
			checkOnce(t, gw, ids)
			for _, id := range ids {
				if n := outbox(t, db)[id]; n.Attempts != 1 || n.SentAt == nil {
					t.Fatalf("%s: got attempts %d, sent at %v; want 1 and a time", id, n.Attempts, n.SentAt)
				}
			}
		})

		t.Run("RetryThenFail", func(t *testing.T) {
			clock := dosttest.ClockOf(t, db)
			gw := newGateway()
			cfg := config(t, db)
			cfg.Senders = senders(gw, func(context.Context, *dost.Notification) error {
				return errors.New("gateway unavailable")
			})
			cfg.OutboxEvery = 100 * time.Millisecond
			start(t, cfg)
			id := enqueue(t, db, "retry", 1)[0]
			for attempt := 1; attempt <= notify.MaxAttempts; attempt++ {
				before := clock.Now()
				eventually(t, fmt.Sprintf("attempt %d", attempt), func() bool { return outbox(t, db)[id].Attempts == attempt })
				n := outbox(t, db)[id]
				if attempt < notify.MaxAttempts {
					// Backoff: 30 s doubled each time, capped at 1 h, jittered down to half.
					full := min(30*time.Second<<(attempt-1), time.Hour)
					if wait := n.NextAttemptAt.Sub(before); n.Status != dost.NotificationPending || wait < full/2 || wait > full {
						t.Fatalf("attempt %d: got %s, next in %v; want pending, next in [%v, %v]", attempt, n.Status, wait, full/2, full)
					}
					if n.LastError != "gateway unavailable" {
						t.Fatalf("attempt %d: got last error %q, want the sender's", attempt, n.LastError)
					}
					time.Sleep(300 * time.Millisecond)
					if got := outbox(t, db)[id].Attempts; got != attempt {
						t.Fatalf("got attempt %d before the back-off ended, want none", got)
					}
					clock.Set(n.NextAttemptAt)
				}
			}
			time.Sleep(300 * time.Millisecond)
			n := outbox(t, db)[id]
			if _, calls := gw.counts(id); n.Status != dost.NotificationFailed || n.Attempts != notify.MaxAttempts || calls != notify.MaxAttempts {
				t.Fatalf("got %s after %d attempts and %d sends, want failed after %d", n.Status, n.Attempts, calls, notify.MaxAttempts)
			}
		})

		t.Run("PermanentError", func(t *testing.T) {
			gw := newGateway()
			cfg := config(t, db)
			cfg.Senders = senders(gw, func(_ context.Context, n *dost.Notification) error {
				if strings.HasSuffix(n.MessageID, "-0") {
					return fmt.Errorf("recipient refused: %w", notify.ErrPermanent)
				}
				return nil
			})
			cfg.OutboxEvery = 100 * time.Millisecond
			start(t, cfg)
			ids := enqueue(t, db, "perm", 2)
			eventually(t, "the good one sent", func() bool { return allSent(t, db, ids[1:]) })
			eventually(t, "the refused one failed", func() bool { return outbox(t, db)[ids[0]].Status == dost.NotificationFailed })
			n := outbox(t, db)[ids[0]]
			if _, calls := gw.counts(ids[0]); n.Attempts != 1 || calls != 1 || !strings.Contains(n.LastError, "recipient refused") {
				t.Fatalf("got %d attempts, %d sends, error %q; want one of each and the refusal", n.Attempts, calls, n.LastError)
			}
		})

		t.Run("NoSender", func(t *testing.T) {
			gw := newGateway()
			cfg := config(t, db)
			cfg.Senders = senders(gw, nil)[:1] // SMS only
			cfg.OutboxEvery = 100 * time.Millisecond
			start(t, cfg)
			ids := enqueue(t, db, "nosender", 2)
			eventually(t, "the SMS sent, the e-mail tried", func() bool {
				st := outbox(t, db)
				return st[ids[0]].Status == dost.NotificationSent && st[ids[1]].Attempts == 1
			})
			if n := outbox(t, db)[ids[1]]; n.Status != dost.NotificationPending || !strings.Contains(n.LastError, "no sender") {
				t.Fatalf("e-mail: got %s, %q; want pending for a retry, no sender", n.Status, n.LastError)
			}
		})
	})
}

// TestOutbox_Kick checks that KickOutbox and KickOutboxTx run the outbox
// between periodic runs, and that a kick in a rolled back transaction
// does not.
func TestOutbox_Kick(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		gw := newGateway()
		cfg := config(t, db)
		cfg.Senders = senders(gw, nil)
		cfg.OutboxEvery = time.Hour // only the run at start, before the notifications
		before := completedOutboxJobs(t, db)
		r := start(t, cfg)
		eventually(t, "the outbox run at start", func() bool { return completedOutboxJobs(t, db) > before })
		ids := enqueue(t, db, "kick", 3)
		// Guards the test itself: with the run at start done and no
		// outbox job waiting, only the kick below can send them.
		if n := jobsOf(t, db, "outbox", "open"); n != 0 || allSent(t, db, ids[:1]) {
			t.Fatalf("got %d outbox jobs waiting or sent without a kick, want the test to wait for the kick", n)
		}
		ok(t, r.KickOutbox(ctx))
		eventually(t, "sent after a kick", func() bool { return allSent(t, db, ids) })
		eventually(t, "the kicked job completed", func() bool { return jobsOf(t, db, "outbox", "open") == 0 })

		// In a transaction: the job runs only if it commits.
		more := enqueue(t, db, "kicktx", 2)
		tx, err := db.WriterDB().BeginTx(ctx, nil)
		ok(t, err)
		ok(t, r.KickOutboxTx(ctx, tx))
		ok(t, tx.Rollback())
		// The rolled-back kick left no job behind, so nothing will send.
		if n := jobsOf(t, db, "outbox", "open"); n != 0 || allSent(t, db, more[:1]) {
			t.Fatalf("got %d outbox jobs waiting or sent after a rolled back kick, want nothing", n)
		}
		tx, err = db.WriterDB().BeginTx(ctx, nil)
		ok(t, err)
		ok(t, r.KickOutboxTx(ctx, tx))
		ok(t, tx.Commit())
		eventually(t, "sent after a committed kick", func() bool { return allSent(t, db, more) })
		checkOnce(t, gw, append(ids, more...))
	})
}

// TestOutbox_TwoNodes runs two Runners on one database at once, as two
// dost nodes would, each with its own database handle: every notification
// reaches the gateway once.
func TestOutbox_TwoNodes(t *testing.T) {
	t.Parallel()
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			dsn := dosttest.DSN(t, dialect)
			var dbs [2]*sqlstore.DB
			clock := dosttest.NewClock(dosttest.DefaultNow)
			for i := range dbs {
				db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Clock: clock, Migrate: true, PasswordParams: dosttest.PasswordParams})
				ok(t, err)
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			ids := enqueue(t, dbs[0], "two", 300)
			gw := newGateway()
			var sends [2]atomic.Int64
			for i, db := range dbs {
				cfg := config(t, db)
				cfg.Senders = senders(gw, func(context.Context, *dost.Notification) error {
					sends[i].Add(1)
					time.Sleep(20 * time.Millisecond) // a gateway's round trip: runs overlap, on both nodes
					return nil
				})
				cfg.OutboxBatch = 10
				cfg.OutboxEvery = 100 * time.Millisecond
				start(t, cfg)
			}
			eventually(t, "all sent", func() bool { return gw.total() >= len(ids) && allSent(t, dbs[0], ids) })
			time.Sleep(500 * time.Millisecond) // a second send, if any, would land now
			checkOnce(t, gw, ids)
			if a, b := sends[0].Load(), sends[1].Load(); a == 0 || b == 0 {
				t.Fatalf("sends by node: %d, %d; want both nodes to take part", a, b)
			}
		})
	}
}

// TestOutbox_Restart stops a Runner in the middle of a batch and starts
// another: what the first sent stays sent, what it held is sent by the
// second, once. And notifications claimed by a node that died (its claim
// never ended) are sent when the lease ends.
func TestOutbox_Restart(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		clock := dosttest.ClockOf(t, db)
		gw := newGateway()
		ids := enqueue(t, db, "restart", 6)

		held := make(chan struct{})
		var once sync.Once
		cfg := config(t, db)
		cfg.Senders = senders(gw, func(ctx context.Context, n *dost.Notification) error {
			if n.MessageID == ids[3] { // hangs until the job is cancelled
				once.Do(func() { close(held) })
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		})
		cfg.SendTimeout = time.Minute // longer than the test: only Stop ends the hang
		cfg.OutboxLease = 10 * time.Minute
		r, err := jobs.New(ctx, cfg)
		ok(t, err)
		ok(t, r.Start(ctx))
		select {
		case <-held:
		case <-time.After(wait):
			t.Fatal("the sender was never called with the fourth notification")
		}
		sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		ok(t, r.Stop(sctx))
		cancel()

		st := outbox(t, db)
		for _, id := range ids[:3] {
			if st[id].Status != dost.NotificationSent {
				t.Fatalf("%s: got %s, want sent before the stop", id, st[id].Status)
			}
		}
		for _, id := range ids[3:] {
			if n := st[id]; n.Status != dost.NotificationPending || n.Attempts != 0 || n.NextAttemptAt.After(clock.Now()) {
				t.Fatalf("%s: got %s, %d attempts, due %v; want handed back: pending, 0, due now", id, n.Status, n.Attempts, n.NextAttemptAt)
			}
		}

		// A node that died holding a claim.
		dead := enqueue(t, db, "dead", 2)
		claimed, err := sqlstore.NewOutbox(db).ClaimNotifications(ctx, clock.Now(), 10, 5*time.Minute)
		ok(t, err)
		if len(claimed) != 5 {
			t.Fatalf("the dead node claimed %d, want 5 (3 handed back, 2 new)", len(claimed))
		}

		cfg.Senders = senders(gw, nil)
		cfg.OutboxEvery = 100 * time.Millisecond
		runs := completedOutboxJobs(t, db)
		start(t, cfg)
		// The outbox has run (at start and once more) during the lease.
		eventually(t, "two outbox runs", func() bool { return completedOutboxJobs(t, db) >= runs+2 })
		if n := outbox(t, db)[dead[0]]; n.Status != dost.NotificationPending {
			t.Fatalf("got %s during the dead node's lease, want pending", n.Status)
		}
		clock.Advance(5 * time.Minute)
		all := append(ids, dead...)
		eventually(t, "all sent after the restart and the lease", func() bool { return allSent(t, db, all) })
		checkOnce(t, gw, all)
	})
}

func TestDeadlines(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var calls atomic.Int64
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.MarkLate = func(context.Context) (int, error) {
			calls.Add(1)
			return 2, nil
		}
		cfg.DeadlinesEvery = time.Hour
		start(t, cfg)
		eventually(t, "the deadlines job at start completed", func() bool { return jobsOf(t, db, "deadlines", "completed") >= 1 })
		// Nothing more happens within the hour: a short wait catches a
		// period misread (every few milliseconds) or a second run at start.
		time.Sleep(300 * time.Millisecond)
		if n := calls.Load(); n != 1 {
			t.Fatalf("got %d runs within the hour, want the one at start", n)
		}
	})
}

func TestDeadlines_Periodic(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var calls atomic.Int64
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.MarkLate = func(context.Context) (int, error) {
			if calls.Add(1) == 2 {
				return 0, errors.New("database busy") // retried, and the period goes on
			}
			return 0, nil
		}
		cfg.DeadlinesEvery = 300 * time.Millisecond
		start(t, cfg)
		eventually(t, "MarkLate run periodically", func() bool { return calls.Load() >= 5 })
	})
}

// TestInsertOnly starts a Runner with workers off (--jobs=false): it
// inserts jobs but works none; a working node does.
func TestInsertOnly(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		gw := newGateway()
		cfg := config(t, db)
		cfg.Senders = senders(gw, nil)
		cfg.InsertOnly = true
		r := start(t, cfg)
		ids := enqueue(t, db, "insertonly", 2)
		ok(t, r.KickOutbox(ctx))
		if n := jobsOf(t, db, "outbox", "available"); n == 0 {
			t.Fatal("got no outbox job inserted by the kick, want one")
		}
		// Nothing is worked: a short wait catches a runner that works jobs
		// though insert-only (River fetches within tens of milliseconds).
		time.Sleep(300 * time.Millisecond)
		if n := jobsOf(t, db, "outbox", "available"); gw.total() != 0 || n == 0 {
			t.Fatalf("an insert-only runner sent %d notifications (%d jobs left), want none sent", gw.total(), n)
		}
		cfg.InsertOnly = false
		start(t, cfg)
		eventually(t, "sent by the working node", func() bool { return allSent(t, db, ids) })
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	for _, dialect := range dosttest.Dialects() {
		t.Run(dialect+"/ErrNotMigrated", func(t *testing.T) {
			db, err := sqlstore.Open(ctx, dosttest.DSN(t, dialect), sqlstore.Options{})
			ok(t, err)
			defer db.Close()
			_, err = jobs.New(ctx, jobs.Config{DB: db.WriterDB(), Dialect: db.Dialect()})
			if err == nil || !strings.Contains(err.Error(), "dost migrate") {
				t.Fatalf("got %v, want an error naming dost migrate", err)
			}
		})
	}
	t.Run("ErrConfig", func(t *testing.T) {
		db := dosttest.OpenDB(t, sqlstore.DialectSQLite)
		gw := newGateway()
		for name, cfg := range map[string]jobs.Config{
			"no database":     {Dialect: "sqlite"},
			"unknown dialect": {DB: db.WriterDB(), Dialect: "mysql"},
			"two SMS senders": {DB: db.WriterDB(), Dialect: "sqlite", Outbox: sqlstore.NewOutbox(db),
				Senders: []dost.Sender{&sender{channel: dost.NotifySMS, gw: gw}, &sender{channel: dost.NotifySMS, gw: gw}}},
			"lease shorter than a send": {DB: db.WriterDB(), Dialect: "sqlite", Outbox: sqlstore.NewOutbox(db),
				OutboxLease: time.Second, SendTimeout: time.Minute},
		} {
			if _, err := jobs.New(ctx, cfg); err == nil {
				t.Errorf("%s: got nil, want an error", name)
			}
		}
	})
}
