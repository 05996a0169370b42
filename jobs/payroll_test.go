package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"

	"github.com/dost-az/dost/payroll"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// dyingPayroll is the payroll service whose shards die once each way: the
// first shard's job dies after its transaction committed (the work is
// done, the job failed), the second's before writing anything. Both jobs
// are run again.
type dyingPayroll struct {
	*payroll.Service
	calls       atomic.Int64
	after, with atomic.Bool
}

func (p *dyingPayroll) PrepareShard(ctx context.Context, cycleID int64, run int, sh rulesrun.Shard) (bool, error) {
	switch n := p.calls.Add(1); {
	case n == 1 && p.after.CompareAndSwap(false, true):
		if _, err := p.Service.PrepareShard(ctx, cycleID, run, sh); err != nil {
			return false, err
		}
		return false, errors.New("the node died after its commit")
	case n == 2 && p.with.CompareAndSwap(false, true):
		return false, errors.New("the node died")
	}
	return p.Service.PrepareShard(ctx, cycleID, run, sh)
}

// TestPayroll prepares a cycle with the payroll jobs: a coordinator and a
// job per shard, two of which die and are run again; the payments are
// those an in-process preparation makes, each once.
func TestPayroll(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		svc := newProactive(t, db, 300, &assigner{})
		_, err := svc.Scan(ctx, november, 1000)
		ok(t, err)
		rs, err := az.RuleSet()
		ok(t, err)
		store := sqlstore.NewPayrollStore(db)
		pcfg := payroll.Config{Store: store, Persons: sqlstore.NewPersonService(db), Population: sqlstore.NewPopulationStore(db),
			RuleSet: rs, Programmes: az.Programmes(), ShardSize: 40, Clock: db.Clock()}
		local, err := payroll.New(pcfg)
		ok(t, err)
		p := &dyingPayroll{Service: local}

		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.Payroll, cfg.PayrollWorkers = p, 2
		r := start(t, cfg)
		pcfg.Enqueue = r.EnqueuePayroll
		queued, err := payroll.New(pcfg)
		ok(t, err)

		staff := dost.NewContextWithUser(ctx, &dost.User{ID: 1, Roles: []dost.Role{dost.RolePayroll}})
		c, err := queued.PrepareCycle(staff, "", november)
		ok(t, err)
		if c.Status != dost.CyclePreparing {
			t.Fatalf("cycle %+v, want preparing", c)
		}
		// Asked again while preparing: the same run, enqueued once.
		again, err := queued.PrepareCycle(staff, "", november)
		ok(t, err)
		if again.ID != c.ID || again.Run != 1 {
			t.Fatalf("asked again: %+v", again)
		}
		eventually(t, "the cycle prepared", func() bool {
			c, err = store.FindCycleByID(ctx, c.ID)
			ok(t, err)
			if c.Error != "" {
				t.Fatalf("the cycle failed: %s", c.Error)
			}
			return c.Status == dost.CyclePrepared
		})
		if c.ShardsDone != c.ShardsTotal || c.ShardsTotal < 3 || c.Count == 0 {
			t.Fatalf("cycle %+v, want 3 or more shards done and payments", c)
		}
		if !p.after.Load() || !p.with.Load() {
			t.Fatal("no two shard jobs died")
		}
		// The job that died after its commit is run again on River's
		// retry schedule, perhaps after the cycle is prepared: its
		// shard is done, the run finds nothing to do.
		eventually(t, "the two shard jobs that died run again", func() bool {
			return countJobs(t, db, "payroll_shard", ` AND attempt > 1`) == 2
		})
		if n := countJobs(t, db, "payroll_prepare", ""); n != 1 {
			t.Fatalf("%d coordinators, want 1", n)
		}
		if n := countJobs(t, db, "payroll_shard", ""); n != c.ShardsTotal {
			t.Fatalf("%d shard jobs, want %d", n, c.ShardsTotal)
		}
		if n := count(t, db, "payments"); n != c.Count+c.Held {
			t.Fatalf("%d payments stored, cycle counts %d + %d held", n, c.Count, c.Held)
		}

		// Prepared again in-process: the same payments and sums.
		ok(t, local.Prepare(ctx, c.ID, c.Run)) // prepared already: nothing
		redo, err := local.PrepareCycle(staff, "", november)
		ok(t, err)
		if redo.Run != 2 || redo.Count != c.Count || redo.Total != c.Total || redo.Held != c.Held ||
			count(t, db, "payments") != c.Count+c.Held {
			t.Fatalf("prepared again in-process: %+v, want the sums of %+v", redo, c)
		}
		// A stale shard job of run 1 run now changes nothing.
		time.Sleep(100 * time.Millisecond)
		shards, err := local.PlanCycle(ctx, c.ID, 1)
		ok(t, err)
		if shards != nil {
			t.Fatalf("run 1 planned again: %v", shards)
		}
	})
}
