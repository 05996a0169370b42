package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/demo"
	"github.com/dost-az/dost/filestore"
	"github.com/dost-az/dost/internal/dosttest"
	"github.com/dost-az/dost/jobs"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rulesrun"
	"github.com/dost-az/dost/sqlstore"
)

// today is the date of dosttest.DefaultNow in Baku; november its month.
var (
	today    = dost.MustDate("2026-11-16")
	november = dost.MonthOf(today)
)

// assigner is casework's AssignProactively counting the awards it made,
// in all and since the scan of the current shard began (the test scans one
// shard at a time). With failAt set, the call after the failAt-th award of
// a shard fails, once, as if the node died: the scan of that shard stops
// half-way, its job fails and is run again.
type assigner struct {
	proactive.Assigner
	created, inShard atomic.Int64
	failAt           int64
	failed           atomic.Bool
}

func (a *assigner) AssignProactively(ctx context.Context, r casework.ProactiveRequest) (*dost.Award, bool, error) {
	if a.failAt > 0 && a.inShard.Load() >= a.failAt && a.failed.CompareAndSwap(false, true) {
		return nil, false, errors.New("the node died")
	}
	w, created, err := a.Assigner.AssignProactively(ctx, r)
	if created {
		a.created.Add(1)
		a.inShard.Add(1)
	}
	return w, created, err
}

// scanner is the proactive service as a jobs.Scanner (as cmd/dost wires
// it), telling the assigner when a shard begins.
type scanner struct {
	svc *proactive.Service
	a   *assigner
}

func (s scanner) PlanScan(ctx context.Context, size int) ([]rulesrun.Shard, error) {
	return s.svc.PlanScan(ctx, size)
}

func (s scanner) ScanShard(ctx context.Context, scanID int64, period dost.Month, sh rulesrun.Shard) (json.RawMessage, error) {
	s.a.inShard.Store(0)
	sum, err := s.svc.ScanShardOf(ctx, scanID, period, sh)
	if err != nil {
		return nil, err
	}
	return json.Marshal(sum)
}

// newProactive seeds db with the catalogue, the demo centres and a
// synthetic population of persons, and returns the proactive service over
// it, assigning through a.
func newProactive(t *testing.T, db *sqlstore.DB, persons int, a *assigner) *proactive.Service {
	t.Helper()
	pop := sqlstore.NewPopulationStore(db)
	st := demo.Stores{Catalogue: sqlstore.NewCatalogueService(db), Centres: sqlstore.NewCentreService(db),
		Users: sqlstore.NewUserService(db), Importer: sqlstore.NewRegistryImporter(db), Persons: sqlstore.NewPersonService(db)}
	_, err := demo.Seed(ctx, st, demo.Options{Persons: persons, Seed: 3, Today: today})
	ok(t, err)
	rs, err := az.RuleSet()
	ok(t, err)
	files, err := filestore.NewDisk(t.TempDir())
	ok(t, err)
	cases, err := casework.New(casework.Config{
		Store: sqlstore.NewCaseStore(db), Persons: st.Persons, Households: sqlstore.NewHouseholdService(db),
		Catalogue: st.Catalogue, Users: st.Users, Population: pop, RuleSet: rs, RuleSetVersion: az.Version(),
		Programmes: az.Programmes(), Files: files, Centres: st.Centres, Clock: db.Clock(), BaseURL: "https://dost.example.az",
	})
	ok(t, err)
	a.Assigner = cases
	svc, err := proactive.New(proactive.Config{
		Store: sqlstore.NewProactiveStore(db), Assigner: a, Applications: cases, Persons: st.Persons,
		Households: sqlstore.NewHouseholdService(db), Records: sqlstore.NewRecordService(db), Population: pop,
		RuleSet: rs, Programmes: az.Programmes(), Clock: db.Clock(),
	})
	ok(t, err)
	return svc
}

// count counts a table's rows.
func count(t *testing.T, db *sqlstore.DB, table string) int {
	t.Helper()
	var n int
	ok(t, db.WriterDB().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// countJobs counts River's jobs of a kind, in any state.
func countJobs(t *testing.T, db *sqlstore.DB, kind string, cond string) int {
	t.Helper()
	var n int
	ok(t, db.WriterDB().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = $1`+cond, kind).Scan(&n))
	return n
}

// scan enqueues a scan of november and returns it finished.
func scan(t *testing.T, r *jobs.Runner, db *sqlstore.DB) *sqlstore.Scan {
	t.Helper()
	jobID, err := r.EnqueueScan(ctx, november)
	ok(t, err)
	scans := sqlstore.NewScanStore(db)
	var sc *sqlstore.Scan
	eventually(t, "the scan finished", func() bool {
		sc, err = scans.FindScanByJobID(ctx, jobID)
		if err == nil && sc.Status == sqlstore.ScanFailed {
			t.Fatalf("the scan failed: %s", sc.Error)
		}
		return err == nil && sc.Status == sqlstore.ScanFinished
	})
	return sc
}

// TestScan runs the scan jobs end to end over a synthetic registry: a
// coordinator and a job per shard, one of which dies half-way and is run
// again; then a second scan, which finds nobody new.
func TestScan(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		a := &assigner{failAt: 2}
		svc := newProactive(t, db, 400, a)
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.Scanner, cfg.Scans, cfg.ScanShardSize, cfg.ScanWorkers = scanner{svc, a}, sqlstore.NewScanStore(db), 40, 1
		r := start(t, cfg)
		shards, err := svc.PlanScan(ctx, 40)
		ok(t, err)

		first := scan(t, r, db)
		s := first.Summary
		if first.ShardsTotal != len(shards) || first.ShardsDone != len(shards) || s.Shards != len(shards) || first.FinishedAt == nil {
			t.Fatalf("first scan: %d of %d shards done, summary of %d; want all %d", first.ShardsDone, first.ShardsTotal, s.Shards, len(shards))
		}
		if persons := int64(count(t, db, "persons")); s.Persons < persons*9/10 || s.Persons > persons || s.Households == 0 {
			t.Errorf("first scan: %d persons in %d households, want the registry's %d (but the dead)", s.Persons, s.Households, persons)
		}
		made, held := 0, 0
		for _, p := range s.Programmes {
			if p.Failed != 0 || p.Entitled != p.Held+p.Later+p.Awarded+p.Offered+p.Unchanged {
				t.Errorf("first scan, %s: counts do not add up: %+v", p.Programme, p)
			}
			made += p.Awarded + p.Offered
			held += p.Held
		}
		awards, offers := count(t, db, "awards"), count(t, db, "offers")
		t.Logf("first scan: %d shards, %d made, %d held, %d awards, %d offers", first.ShardsTotal, made, held, awards, offers)
		if awards == 0 || offers == 0 {
			t.Fatalf("first scan: %d awards, %d offers; want some of each", awards, offers)
		}
		// The shard that died had made two awards (and perhaps offers) and
		// recorded no summary; run again, it found them made by the scan
		// and made the rest, nothing twice: the summary counts every
		// award and offer once, none held (the registry had none).
		if !a.failed.Load() || countJobs(t, db, "scan_shard", ` AND attempt > 1`) != 1 {
			t.Fatal("no shard job died and was run again")
		}
		if int(a.created.Load()) != awards || made != awards+offers || held != 0 {
			t.Errorf("first scan: %d awards made by casework, %d awards and %d offers stored, summary %d made + %d held; want made = stored, none held",
				a.created.Load(), awards, offers, made, held)
		}
		if n := count(t, db, "scan_tasks"); n != 0 {
			t.Errorf("first scan: %d scan tasks left, want none once its shards are recorded", n)
		}

		// The coordinator run again (its node died after it enqueued the
		// shards) plans nothing new and enqueues no shard twice.
		shardJobs := countJobs(t, db, "scan_shard", "")
		_, err = r.Client().JobRetry(ctx, first.JobID)
		ok(t, err)
		eventually(t, "the coordinator run again", func() bool {
			return countJobs(t, db, "scan", ` AND state = 'completed' AND attempt = 2`) == 1
		})
		time.Sleep(time.Second)
		again, err := sqlstore.NewScanStore(db).FindScanByID(ctx, first.ID)
		ok(t, err)
		if n := countJobs(t, db, "scan_shard", ""); n != shardJobs || again.ShardsDone != first.ShardsDone || again.Summary.New() != s.New() {
			t.Fatalf("coordinator run again: %d shard jobs (were %d), scan %+v; want nothing new", n, shardJobs, again)
		}

		notes := count(t, db, "notifications")
		second := scan(t, r, db)
		if second.ID == first.ID || second.Summary.New() != 0 || second.Summary.Persons != s.Persons {
			t.Fatalf("second scan: %+v, want a new scan of %d persons making nothing", second, s.Persons)
		}
		for _, p := range second.Summary.Programmes {
			if p.Entitled != p.Held+p.Later {
				t.Errorf("second scan, %s: %+v, want every entitled one held", p.Programme, p)
			}
		}
		if count(t, db, "awards") != awards || count(t, db, "offers") != offers || count(t, db, "notifications") != notes {
			t.Fatal("the second scan wrote something")
		}
	})
}

// TestProactiveJobs checks that date_tick, events_retry, offers_expire and
// awards_end run once at start, with today's date in Baku, and not again
// within their period.
func TestProactiveJobs(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var mu sync.Mutex // guards days
		var days []dost.Date
		var retries, expiries atomic.Int64
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.DateChanged = func(_ context.Context, day dost.Date) error {
			mu.Lock()
			defer mu.Unlock()
			days = append(days, day)
			return nil
		}
		cfg.RetryEvents = func(context.Context) (int, error) { return int(retries.Add(1)), nil }
		cfg.ExpireOffers = func(context.Context) (int, error) { return int(expiries.Add(1)), nil }
		cfg.EndAwards = func(_ context.Context, day dost.Date) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			days = append(days, day)
			return 0, nil
		}
		start(t, cfg)
		eventually(t, "every job run", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(days) == 2 && retries.Load() == 1 && expiries.Load() == 1
		})
		time.Sleep(2 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(days) != 2 || days[0] != today || days[1] != today || retries.Load() != 1 || expiries.Load() != 1 {
			t.Fatalf("got days %v, %d retries, %d expiries; want today twice (date change, awards end) and one of each",
				days, retries.Load(), expiries.Load())
		}
	})
}

// TestDateTick runs date_tick with the proactive service: the day's
// date-change event is received and processed, once.
func TestDateTick(t *testing.T) {
	t.Parallel()
	dosttest.ForEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		svc := newProactive(t, db, 100, &assigner{})
		cfg := config(t, db)
		cfg.Outbox = nil
		cfg.DateChanged = func(ctx context.Context, day dost.Date) error {
			_, _, err := svc.ReceiveEvent(ctx, proactive.DateChanged(day))
			return err
		}
		start(t, cfg)
		eventually(t, "the date change processed", func() bool {
			e, err := svc.FindEventByID(ctx, "", "date_changed:2026-11-16")
			return err == nil && e.Status == dost.EventProcessed
		})
		if n := count(t, db, "life_events"); n != 1 {
			t.Fatalf("%d events, want the date change", n)
		}
	})
}

func TestDailyAt(t *testing.T) {
	baku := time.FixedZone("AZT", 4*60*60)
	s := jobs.DailyAt(5 * time.Minute)
	for _, c := range []struct{ now, want time.Time }{
		{time.Date(2026, 11, 16, 9, 30, 0, 0, baku), time.Date(2026, 11, 17, 0, 5, 0, 0, baku)},
		{time.Date(2026, 11, 16, 0, 4, 59, 0, baku), time.Date(2026, 11, 16, 0, 5, 0, 0, baku)},
		{time.Date(2026, 11, 16, 0, 5, 0, 0, baku), time.Date(2026, 11, 17, 0, 5, 0, 0, baku)},
		// 20:04 UTC on the 15th is 00:04 on the 16th in Baku.
		{time.Date(2026, 11, 15, 20, 4, 0, 0, time.UTC), time.Date(2026, 11, 16, 0, 5, 0, 0, baku)},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, baku), time.Date(2027, 1, 1, 0, 5, 0, 0, baku)},
	} {
		if got := s.Next(c.now); !got.Equal(c.want) {
			t.Errorf("Next(%v): got %v, want %v", c.now, got, c.want)
		}
	}
}
