package jobs_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/sqlstore"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestStart_InterruptedJobs: a payroll cycle is asked for, and its
// coordinator job is left running in River's table, as a process killed
// mid-job (SIGKILL, a power cut) leaves it; a second coordinator, of
// another cycle, has used its last attempt. Then a node starts with the
// default rescue time (10 min).
//
// On SQLite, the one process working the file, Start rescues both at
// once: the first is run again and the cycle is prepared within seconds,
// its errors recording the rescue at start-up; the second is discarded.
// On PostgreSQL, where another node may be running them, Start leaves
// both running for River's rescuer.
func TestStart_InterruptedJobs(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		svc := newProactive(t, db, 100, &assigner{})
		_, err := svc.Scan(ctx, november, 1000)
		ok(t, err)
		rs, err := az.RuleSet()
		ok(t, err)
		store := sqlstore.NewPayrollStore(db)
		pcfg := payroll.Config{Store: store, Persons: sqlstore.NewPersonService(db), Population: sqlstore.NewPopulationStore(db),
			RuleSet: rs, Programmes: az.Programmes(), ShardSize: 40, Clock: db.Clock()}

		// The process that is killed: it asks for the cycle, its
		// coordinator job starts, and the process dies.
		cfg := config(t, db)
		cfg.Outbox = nil
		killed := cfg
		killed.InsertOnly = true
		before, err := jobs.New(ctx, killed)
		ok(t, err)
		pcfg.Enqueue = before.EnqueuePayroll
		queued, err := payroll.New(pcfg)
		ok(t, err)
		staff := dost.NewContextWithUser(ctx, &dost.User{ID: 1, Roles: []dost.Role{dost.RolePayroll}})
		c, err := queued.PrepareCycle(staff, "", november)
		ok(t, err)
		if c.Status != dost.CyclePreparing {
			t.Fatalf("cycle %+v, want preparing", c)
		}
		ok(t, before.EnqueuePayroll(ctx, c.ID+1000, 1)) // a cycle that no longer exists; its job is out of attempts
		running := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec'),
			attempted_by = json_array('killed-node') WHERE kind = 'payroll_prepare'`
		spent := `UPDATE river_job SET attempt = max_attempts WHERE kind = 'payroll_prepare' AND json_extract(json(args), '$.cycle_id') = ` + strconv.FormatInt(c.ID+1000, 10)
		if db.Dialect() == sqlstore.DialectPostgres {
			running = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now(),
				attempted_by = ARRAY['killed-node'] WHERE kind = 'payroll_prepare'`
			spent = `UPDATE river_job SET attempt = max_attempts WHERE kind = 'payroll_prepare' AND args->>'cycle_id' = '` + strconv.FormatInt(c.ID+1000, 10) + `'`
		}
		for _, q := range []string{running, spent} {
			res, err := db.WriterDB().ExecContext(ctx, q)
			ok(t, err)
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatalf("%s: no job changed", q)
			}
		}

		// The restart.
		pcfg.Enqueue = nil
		local, err := payroll.New(pcfg)
		ok(t, err)
		cfg.Payroll, cfg.PayrollWorkers = local, 2
		r := start(t, cfg)
		jobsOf := func() map[string]*rivertype.JobRow {
			t.Helper()
			res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds("payroll_prepare"))
			ok(t, err)
			out := map[string]*rivertype.JobRow{}
			for _, j := range res.Jobs {
				out[string(j.EncodedArgs)] = j
			}
			return out
		}
		interrupted := func(j *rivertype.JobRow) bool {
			return slices.ContainsFunc(j.Errors, func(e rivertype.AttemptError) bool {
				return e.Error == jobs.ErrInterruptedAtStart && e.Attempt >= 1
			})
		}

		if db.Dialect() == sqlstore.DialectPostgres {
			// Start returned: had it rescued anything, it would show.
			for args, j := range jobsOf() {
				if j.State != rivertype.JobStateRunning || interrupted(j) {
					t.Errorf("job %s: state %s, errors %+v; want it left running", args, j.State, j.Errors)
				}
			}
			return
		}

		began := time.Now()
		eventually(t, "the cycle prepared after the restart", func() bool {
			c, err = store.FindCycleByID(ctx, c.ID)
			ok(t, err)
			return c.Status == dost.CyclePrepared
		})
		t.Logf("prepared %s after the start", time.Since(began).Round(time.Millisecond))
		var all map[string]*rivertype.JobRow
		eventually(t, "both jobs finalized", func() bool {
			all = jobsOf()
			for _, j := range all {
				if j.FinalizedAt == nil {
					return false
				}
			}
			return true
		})
		if len(all) != 2 {
			t.Fatalf("%d payroll_prepare jobs, want 2: %v", len(all), all)
		}
		for args, j := range all {
			if !interrupted(j) {
				t.Errorf("job %s: errors %+v, want the rescue at start-up", args, j.Errors)
			}
			switch spent := j.Attempt == j.MaxAttempts && j.State == rivertype.JobStateDiscarded; {
			case spent:
			case j.State == rivertype.JobStateCompleted && j.Attempt == 2:
			default:
				t.Errorf("job %s: state %s, attempt %d of %d; want completed at attempt 2, or discarded out of attempts",
					args, j.State, j.Attempt, j.MaxAttempts)
			}
		}
	})
}

// TestStart_InterruptedJobs_OtherProcess: two processes work one SQLite
// file's jobs (each with its own database handle). A job the first is
// running is left alone when the second starts; once the first has
// stopped, a third that starts is alone and rescues the job left running.
func TestStart_InterruptedJobs_OtherProcess(t *testing.T) {
	t.Parallel()
	dsn := dosttest.DSN(t, sqlstore.DialectSQLite)
	handle := func() *sqlstore.DB {
		db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{Migrate: true, Clock: dosttest.NewClock(dosttest.DefaultNow)})
		ok(t, err)
		t.Cleanup(func() { db.Close() })
		return db
	}
	cfgOf := func(db *sqlstore.DB) jobs.Config { return config(t, db) } // works the outbox, not payroll

	first := handle()
	a, err := jobs.New(ctx, cfgOf(first))
	ok(t, err)
	ok(t, a.Start(ctx))

	// A job the first process is running (by the table's word).
	insert := cfgOf(first)
	insert.InsertOnly = true
	ins, err := jobs.New(ctx, insert)
	ok(t, err)
	ok(t, ins.EnqueuePayroll(ctx, 7, 1))
	_, err = first.WriterDB().ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1,
		attempted_at = datetime('now', 'subsec'), attempted_by = json_array('first') WHERE kind = 'payroll_prepare'`)
	ok(t, err)
	job := func(r *jobs.Runner) *rivertype.JobRow {
		t.Helper()
		res, err := r.Client().JobList(ctx, river.NewJobListParams().Kinds("payroll_prepare"))
		ok(t, err)
		if len(res.Jobs) != 1 {
			t.Fatalf("%d payroll_prepare jobs, want 1", len(res.Jobs))
		}
		return res.Jobs[0]
	}

	second := start(t, cfgOf(handle()))
	if j := job(second); j.State != rivertype.JobStateRunning || len(j.Errors) != 0 {
		t.Fatalf("the second process started: the first's job is %s, errors %+v; want it left running", j.State, j.Errors)
	}

	stop, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ok(t, a.Stop(stop))
	ok(t, second.Stop(stop))
	third := start(t, cfgOf(handle()))
	j := job(third)
	// (Then this process, which works no payroll, tries it and fails.)
	if j.State == rivertype.JobStateRunning || len(j.Errors) == 0 || j.Errors[0].Error != jobs.ErrInterruptedAtStart || j.Errors[0].Attempt != 1 {
		t.Fatalf("alone after the others stopped: the job is %s, errors %+v; want it rescued at start-up", j.State, j.Errors)
	}
}
