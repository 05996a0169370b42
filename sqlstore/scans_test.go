package sqlstore_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// shardSummary returns a shard's summary as JSON: persons n, n entitled
// to the pension of whom n/2 awarded.
func shardSummary(t *testing.T, n int) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(proactive.ScanSummary{Shards: 1, Persons: int64(n), Households: int64(n / 3),
		Programmes: []proactive.ProgrammeScan{{Programme: "old_age_pension", Entitled: n, Held: n - n/2, Awarded: n / 2}}})
	ok(t, err)
	return b
}

func TestScanStore(t *testing.T) {
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		s := sqlstore.NewScanStore(db)
		period := dost.MonthOf(today)
		shards := []rulesrun.Shard{
			{Kind: rulesrun.ShardHouseholds, Lo: 1, Hi: 100, Persons: 300},
			{Kind: rulesrun.ShardHouseholds, Lo: 100, Hi: 200, Persons: 280},
			{Kind: rulesrun.ShardLoners, Lo: 1, Hi: 5000, Persons: 40},
		}

		t.Run("OK", func(t *testing.T) {
			id, err := s.CreateScan(ctx, period, 7)
			ok(t, err)
			if again, err := s.CreateScan(ctx, period, 7); err != nil || again != id {
				t.Fatalf("the same job again: got scan %d, %v; want %d", again, err, id)
			}
			sc, err := s.FindScanByJobID(ctx, 7)
			ok(t, err)
			if sc.ID != id || sc.Period != period || sc.Status != sqlstore.ScanPlanning || sc.FinishedAt != nil ||
				!sc.StartedAt.Equal(dosttest.ClockOf(t, db).Now().UTC()) {
				t.Fatalf("created: got %+v, want planning from now", sc)
			}

			got, err := s.StartScan(ctx, id, shards)
			ok(t, err)
			if fmt.Sprint(got) != fmt.Sprint(shards) {
				t.Fatalf("started: got %v, want %v", got, shards)
			}
			// A coordinator run again, after the registry grew: the first plan stands.
			got, err = s.StartScan(ctx, id, append(shards, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: 200, Hi: 300}))
			ok(t, err)
			if fmt.Sprint(got) != fmt.Sprint(shards) {
				t.Fatalf("started again: got %v, want the first plan %v", got, shards)
			}

			finish := func(sh rulesrun.Shard, n int, want bool) {
				t.Helper()
				last, err := s.FinishScanShard(ctx, id, sh, shardSummary(t, n))
				ok(t, err)
				if last != want {
					t.Fatalf("finish %s: got last=%v, want %v", sh, last, want)
				}
			}
			finish(shards[0], 300, false)
			finish(shards[0], 999, false) // run twice: counted once, its first summary stands
			finish(shards[2], 40, false)
			sc, err = s.FindScanByID(ctx, id)
			ok(t, err)
			if sc.Status != sqlstore.ScanRunning || sc.ShardsTotal != 3 || sc.ShardsDone != 2 || sc.Summary.Shards != 0 {
				t.Fatalf("two shards done: got %+v, want running, 2 of 3, no summary yet", sc)
			}
			_, err = s.FinishScanShard(ctx, id, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: 200, Hi: 300}, shardSummary(t, 1))
			mustCode(t, err, dost.ENOTFOUND)
			finish(shards[1], 280, true)
			finish(shards[1], 280, false)

			sc, err = s.FindScanByID(ctx, id)
			ok(t, err)
			want := proactive.ProgrammeScan{Programme: "old_age_pension", Entitled: 620, Held: 310, Awarded: 310}
			if sc.Status != sqlstore.ScanFinished || sc.ShardsDone != 3 || sc.FinishedAt == nil || sc.Summary.Shards != 3 ||
				sc.Summary.Persons != 620 || sc.Summary.Households != 100+93+13 || len(sc.Summary.Programmes) != 1 ||
				sc.Summary.Programmes[0] != want {
				t.Fatalf("finished: got %+v, want 3 shards, 620 persons, %+v", sc, want)
			}
			ok(t, s.FailScan(ctx, id, "too late"))
			if sc, _ := s.FindScanByID(ctx, id); sc.Status != sqlstore.ScanFinished || sc.Error != "" {
				t.Fatalf("a finished scan failed: %+v", sc)
			}
		})

		t.Run("Local", func(t *testing.T) {
			a, err := s.CreateScan(ctx, period, 0)
			ok(t, err)
			b, err := s.CreateScan(ctx, period, 0)
			ok(t, err)
			if a == b {
				t.Fatalf("two local scans got one ID %d", a)
			}
			if _, err := s.FindScanByJobID(ctx, 0); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Fatalf("find by job 0: got %v, want ENOTFOUND", err)
			}
		})

		t.Run("Empty", func(t *testing.T) {
			id, err := s.CreateScan(ctx, period, 0)
			ok(t, err)
			got, err := s.StartScan(ctx, id, nil)
			ok(t, err)
			sc, err := s.FindScanByID(ctx, id)
			ok(t, err)
			if len(got) != 0 || sc.Status != sqlstore.ScanFinished || sc.FinishedAt == nil || sc.ShardsTotal != 0 {
				t.Fatalf("empty registry: got %v, %+v; want finished at once", got, sc)
			}
		})

		t.Run("Tasks", func(t *testing.T) {
			ps := sqlstore.NewProactiveStore(db)
			id, err := s.CreateScan(ctx, period, 0)
			ok(t, err)
			_, err = s.StartScan(ctx, id, shards)
			ok(t, err)
			many := make([]proactive.ScanTask, 1200) // more than one INSERT's rows
			for i := range many {
				many[i] = proactive.ScanTask{Programme: "old_age_pension", PersonID: int64(i + 1)}
			}
			ok(t, ps.RecordScanTasks(ctx, id, shards[0], many))
			// A second attempt records its tasks: those recorded stay as they were.
			ok(t, ps.RecordScanTasks(ctx, id, shards[0], []proactive.ScanTask{
				{Programme: "old_age_pension", PersonID: 1, Offer: true}, {Programme: "tssa", HouseholdID: 9, Offer: true}}))
			ok(t, ps.RecordScanTasks(ctx, id, shards[1], many[:1]))
			got, err := ps.FindScanTasks(ctx, id, shards[0])
			ok(t, err)
			want := append(many, proactive.ScanTask{Programme: "tssa", HouseholdID: 9, Offer: true})
			slices.SortFunc(got, func(a, b proactive.ScanTask) int {
				return cmp.Or(cmp.Compare(a.Programme, b.Programme), cmp.Compare(a.PersonID, b.PersonID))
			})
			if !slices.Equal(got, want) {
				t.Fatalf("tasks: got %d (%v…), want %d", len(got), got[:min(3, len(got))], len(want))
			}
			if err := ps.RecordScanTasks(ctx, id, rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: 7}, many[:1]); dost.ErrorCode(err) != dost.ENOTFOUND {
				t.Fatalf("a shard not planned: got %v, want ENOTFOUND", err)
			}
			// The shard's summary recorded, its tasks go; the other's stay
			// until the scan fails.
			_, err = s.FinishScanShard(ctx, id, shards[0], shardSummary(t, 1))
			ok(t, err)
			if got, err := ps.FindScanTasks(ctx, id, shards[0]); err != nil || len(got) != 0 {
				t.Fatalf("tasks of a finished shard: got %d, %v; want none", len(got), err)
			}
			if got, err := ps.FindScanTasks(ctx, id, shards[1]); err != nil || len(got) != 1 {
				t.Fatalf("tasks of an unfinished shard: got %d, %v; want 1", len(got), err)
			}
			ok(t, s.FailScan(ctx, id, "boom"))
			if got, err := ps.FindScanTasks(ctx, id, shards[1]); err != nil || len(got) != 0 {
				t.Fatalf("tasks of a failed scan: got %d, %v; want none", len(got), err)
			}
		})

		t.Run("Failed", func(t *testing.T) {
			id, err := s.CreateScan(ctx, period, 0)
			ok(t, err)
			_, err = s.StartScan(ctx, id, shards)
			ok(t, err)
			ok(t, s.FailScan(ctx, id, "shard households [1, 100): boom"))
			last, err := s.FinishScanShard(ctx, id, shards[0], shardSummary(t, 1))
			ok(t, err)
			sc, err := s.FindScanByID(ctx, id)
			ok(t, err)
			if last || sc.Status != sqlstore.ScanFailed || sc.Error != "shard households [1, 100): boom" || sc.ShardsDone != 1 {
				t.Fatalf("failed: got last=%v, %+v; want failed with the reason, the shard counted", last, sc)
			}
		})

		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := s.FindScanByID(ctx, 999999)
			mustCode(t, err, dost.ENOTFOUND)
			_, err = s.StartScan(ctx, 999999, shards)
			mustCode(t, err, dost.ENOTFOUND)
			mustCode(t, s.FailScan(ctx, 999999, "x"), dost.ENOTFOUND)
			_, err = s.CreateScan(ctx, dost.Month{}, 0)
			mustCode(t, err, dost.EINVALID)
		})

		// Many shards finishing at once, each twice: one of them finishes
		// the scan, with every summary counted once.
		t.Run("Concurrent", func(t *testing.T) {
			id, err := s.CreateScan(ctx, period, 8)
			ok(t, err)
			var many []rulesrun.Shard
			for i := range 30 {
				many = append(many, rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: int64(i * 10), Hi: int64(i*10 + 10), Persons: 10})
			}
			_, err = s.StartScan(ctx, id, many)
			ok(t, err)
			var lasts atomic.Int64
			var wg sync.WaitGroup
			for i := range 2 * len(many) {
				wg.Go(func() {
					last, err := s.FinishScanShard(ctx, id, many[i%len(many)], shardSummary(t, 10))
					if err != nil {
						t.Error(err)
					}
					if last {
						lasts.Add(1)
					}
				})
			}
			wg.Wait()
			sc, err := s.FindScanByID(ctx, id)
			ok(t, err)
			if lasts.Load() != 1 || sc.Status != sqlstore.ScanFinished || sc.ShardsDone != 30 || sc.Summary.Shards != 30 ||
				sc.Summary.Persons != 300 || sc.Summary.Programmes[0].Awarded != 150 {
				t.Fatalf("got %d lasts and %+v; want one, 30 shards, 300 persons, 150 awarded", lasts.Load(), sc)
			}
		})
	})
}

// BenchmarkRecordScanTasks records the tasks of a shard of a registry's
// first scan (some 13,000 awards and offers: see jobs.ScanShardTimeout)
// and reads them back, as a retried shard does, then deletes them with
// the shard's summary: what ScanShardOf and FinishScanShard add to a
// shard's scan, which makes those awards in about a minute.
func BenchmarkRecordScanTasks(b *testing.B) {
	for _, dialect := range dosttest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			db := dosttest.OpenDB(b, dialect)
			s, ps := sqlstore.NewScanStore(db), sqlstore.NewProactiveStore(db)
			tasks := make([]proactive.ScanTask, 13_000)
			for i := range tasks {
				tasks[i] = proactive.ScanTask{Programme: "tssa", HouseholdID: int64(i + 1), Offer: true}
			}
			sh := rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: 1, Hi: 20_000, Persons: 50_000}
			summary := json.RawMessage(`{"shards":1}`)
			for b.Loop() {
				id, err := s.CreateScan(ctx, dost.MonthOf(today), 0)
				if err == nil {
					_, err = s.StartScan(ctx, id, []rulesrun.Shard{sh})
				}
				if err == nil {
					err = ps.RecordScanTasks(ctx, id, sh, tasks)
				}
				var got []proactive.ScanTask
				if err == nil {
					got, err = ps.FindScanTasks(ctx, id, sh)
				}
				if err == nil {
					_, err = s.FinishScanShard(ctx, id, sh, summary)
				}
				if err != nil || len(got) != len(tasks) {
					b.Fatalf("got %d tasks, %v; want %d", len(got), err, len(tasks))
				}
			}
		})
	}
}
