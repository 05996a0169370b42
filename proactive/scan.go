package proactive

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// ProgrammeScan counts what a scan found and did for one programme.
type ProgrammeScan struct {
	Programme string `json:"programme"`
	// Entitled beneficiaries, as the rules found them over the shard.
	Entitled int `json:"entitled"`
	// Held: of the entitled, those holding an award or offer of it
	// already, or refused it by a case worker (see Store.FindHoldings).
	Held int `json:"held"`
	// Later: of the entitled, those whose right arises after today; the
	// date change of that day assigns it.
	Later int `json:"later"`
	// Found: of the entitled, the newly entitled (neither held nor
	// later), whom the scan awards or offers the programme; for a scan
	// that is not a dry run, Found = Awarded + Offered + Unchanged +
	// Failed.
	Found int `json:"found"`
	// Awarded and Offered: new awards and offers made.
	Awarded int `json:"awarded"`
	Offered int `json:"offered"`
	// Unchanged: asked for, but there was an award or offer already
	// (made meanwhile) or the single-case rules found no right.
	Unchanged int `json:"unchanged"`
	// Failed: refused by casework for the beneficiary (logged), e.g. a
	// household programme for a person in no household.
	Failed int `json:"failed"`
}

// ScanSummary counts what a scan of shards found and did. Read is the
// time spent reading the registry, the awards and the offers; Compute the
// rules; Assign making the awards and offers (summed over shards).
type ScanSummary struct {
	Shards     int             `json:"shards"`
	Persons    int64           `json:"persons"`
	Households int64           `json:"households"`
	Programmes []ProgrammeScan `json:"programmes"`
	Read       time.Duration   `json:"read_ns"`
	Compute    time.Duration   `json:"compute_ns"`
	Assign     time.Duration   `json:"assign_ns"`
}

// Add adds o's counts to s; programmes are matched by code.
func (s *ScanSummary) Add(o ScanSummary) {
	s.Shards += o.Shards
	s.Persons += o.Persons
	s.Households += o.Households
	s.Read += o.Read
	s.Compute += o.Compute
	s.Assign += o.Assign
	for _, p := range o.Programmes {
		i := slices.IndexFunc(s.Programmes, func(q ProgrammeScan) bool { return q.Programme == p.Programme })
		if i < 0 {
			s.Programmes = append(s.Programmes, p)
			continue
		}
		q := &s.Programmes[i]
		q.Entitled += p.Entitled
		q.Held += p.Held
		q.Later += p.Later
		q.Found += p.Found
		q.Awarded += p.Awarded
		q.Offered += p.Offered
		q.Unchanged += p.Unchanged
		q.Failed += p.Failed
	}
}

// New returns the total of awards and offers made.
func (s *ScanSummary) New() int {
	n := 0
	for _, p := range s.Programmes {
		n += p.Awarded + p.Offered
	}
	return n
}

// PlanScan splits the registry into the shards of a scan, of about
// shardSize persons each (0: rulesrun.DefaultShardSize): rulesrun's
// shards, household ID ranges then ranges of persons in no household.
func (s *Service) PlanScan(ctx context.Context, shardSize int) ([]rulesrun.Shard, error) {
	if shardSize <= 0 {
		shardSize = rulesrun.DefaultShardSize
	}
	return s.population.PlanShards(ctx, shardSize)
}

// Scan scans every shard of the registry for period, one after the other,
// and returns the total: for a single node without a job queue, and for
// tests. A job queue runs ScanShard per shard instead.
func (s *Service) Scan(ctx context.Context, period dost.Month, shardSize int) (ScanSummary, error) {
	var total ScanSummary
	shards, err := s.PlanScan(ctx, shardSize)
	if err != nil {
		return total, err
	}
	for _, sh := range shards {
		sum, err := s.ScanShard(ctx, period, sh)
		total.Add(sum)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// scanTask is one beneficiary the scan assigns or offers a programme to.
type scanTask struct {
	prog      *dost.Programme
	stats     *ProgrammeScan
	person    int64 // the beneficiary person, or the household's head
	household int64 // the beneficiary household (household programmes)
	amount    dost.Money
	start     dost.Date // the day the right arises, if in the period
	offer     bool      // offered (mode on_application), not assigned
	key       holdingKey
	// earlier: an earlier attempt at the shard set out to make it too
	// (ScanShardOf), so that one found made counts as the scan's.
	earlier bool
}

// ScanShard runs the rules over one shard of the registry for period and,
// for every beneficiary they find entitled to a programme who holds no
// award or offer of it (Store.FindHoldings), assigns it (casework's
// AssignProactively, from the day the right arises when the rule set says
// and it falls in the period, else from the period's first day) or offers
// it, as the assignment mode of its service in the catalogue says
// (modeOf: proactive, on_application; a programme whose service has mode
// none is neither). The offer of a household programme goes to the
// household's head. One-off programmes are skipped: their events
// (a birth, a death) name the payee. A right that arises after today is
// left to that day's date change.
//
// The shard's registry records, awards and offers are read with a few
// queries, the rules run over the whole shard in columns, and the new
// awards and offers are made by Config.Workers goroutines. Scanning a
// shard again makes nothing twice. A beneficiary casework refuses is
// counted as failed and logged; other errors stop the scan of the shard
// and are returned with the counts so far.
//
// ScanShard records nothing of its own: a shard scanned again counts what
// an earlier scan of it made as held. A scan whose shards are recorded
// (sqlstore.ScanStore) uses ScanShardOf.
func (s *Service) ScanShard(ctx context.Context, period dost.Month, sh rulesrun.Shard) (ScanSummary, error) {
	return s.ScanShardOf(ctx, 0, period, sh)
}

// ScanShardOf is ScanShard for shard sh of the recorded scan scanID (0:
// none, as ScanShard), for a job queue that may run a shard more than
// once (a node died, a job timed out). Before it makes any award or
// offer it records the beneficiaries it sets out to award or offer
// (Store.RecordScanTasks); an attempt that follows counts a recorded
// beneficiary who now holds the award or offer recorded as made by the
// scan (Awarded or Offered, not Held), whichever attempt made it, so that
// the summary recorded for the shard counts each award and offer the
// scan made once. (One made in those moments by another piece of work
// for the same beneficiary, say a life event, counts as the scan's too:
// nothing tells them apart.)
func (s *Service) ScanShardOf(ctx context.Context, scanID int64, period dost.Month, sh rulesrun.Shard) (ScanSummary, error) {
	var earlier map[holdingKey]bool
	if scanID != 0 {
		recorded, err := s.store.FindScanTasks(ctx, scanID, sh)
		if err != nil {
			return ScanSummary{Shards: 1}, fmt.Errorf("shard %s: find the tasks of earlier attempts: %w", sh, err)
		}
		earlier = make(map[holdingKey]bool, len(recorded))
		for _, t := range recorded {
			earlier[holdingKey{programme: t.Programme, person: t.PersonID, household: t.HouseholdID}] = t.Offer
		}
	}
	sum, tasks, err := s.findShard(ctx, period, sh, nil, earlier)
	if err != nil {
		return sum, err
	}
	if scanID != 0 && len(tasks) > 0 {
		recs := make([]ScanTask, len(tasks))
		for i, t := range tasks {
			recs[i] = ScanTask{Programme: t.prog.Code, PersonID: t.key.person, HouseholdID: t.key.household, Offer: t.offer}
		}
		if err := s.store.RecordScanTasks(ctx, scanID, sh, recs); err != nil {
			return sum, fmt.Errorf("shard %s: record tasks: %w", sh, err)
		}
	}
	t := time.Now()
	err = s.runTasks(ctx, period, tasks)
	sum.Assign = time.Since(t)
	if err != nil {
		return sum, fmt.Errorf("shard %s: %w", sh, err)
	}
	return sum, nil
}

// FindNewlyEntitled is ScanShard's dry run: it counts, as ScanShard
// would, who in the shard is newly entitled (ProgrammeScan.Found) and
// makes nothing.
func (s *Service) FindNewlyEntitled(ctx context.Context, period dost.Month, sh rulesrun.Shard) (ScanSummary, error) {
	sum, _, err := s.findShard(ctx, period, sh, nil, nil)
	return sum, err
}

// findShard reads and computes one shard for ScanShard: the summary so
// far and the tasks of the newly entitled. The offers of released hold
// nobody (a death expired them: see closeOpen); awards always hold.
// earlier are the beneficiaries earlier attempts at the shard set out to
// award (false) or offer (true) (see ScanShardOf): one who holds what was
// set out counts as found and awarded or offered, not held, and one who
// does not yet is a task marked earlier.
func (s *Service) findShard(ctx context.Context, period dost.Month, sh rulesrun.Shard, released []holdingKey,
	earlier map[holdingKey]bool) (ScanSummary, []scanTask, error) {
	sum := ScanSummary{Shards: 1}
	t0 := time.Now()
	ev, err := s.load(ctx, sh, period)
	if err != nil {
		return sum, nil, err
	}
	defer ev.release()
	holdings, err := s.store.FindHoldings(ctx, sh, period)
	if err != nil {
		return sum, nil, fmt.Errorf("shard %s: find awards and offers: %w", sh, err)
	}
	t1 := time.Now()
	sum.Read = t1.Sub(t0)
	in := ev.in
	sum.Persons, sum.Households = int64(len(in.PersonIDs)), int64(len(in.HouseholdIDs))

	held := make(map[holdingKey]bool, len(holdings))
	// made[k]: beneficiary k holds the award (false) or offer (true) an
	// earlier attempt set out to make.
	made := map[holdingKey]bool{}
	for _, h := range holdings {
		if h.Offer && slices.Contains(released, keyOf(h)) {
			continue
		}
		for _, k := range s.keysOf(h) {
			held[k] = true
		}
		if offer, ok := earlier[keyOf(h)]; ok && !h.Refused && offer == h.Offer {
			made[keyOf(h)] = offer
		}
	}
	// heads[h] is the head of household row h (its first member if it
	// has none).
	headRole := int64(rules.RoleIndex(string(dost.RoleHead)))
	heads := make([]int64, len(in.HouseholdIDs))
	for i := range in.PersonIDs {
		if h := in.HouseholdOf[i]; heads[h] == 0 || in.Roles[i] == headRole {
			heads[h] = in.PersonIDs[i]
		}
	}
	today := ruleDate(s.today())
	first, last := ev.period.Start(), ev.period.End()
	var tasks []scanTask
	ms := modes{s: s}
	sum.Programmes = make([]ProgrammeScan, 0, len(s.order))
	for _, p := range s.order {
		if p.Kind == dost.AwardOneOff {
			continue
		}
		sum.Programmes = append(sum.Programmes, ProgrammeScan{Programme: p.Code})
	}
	for k := range sum.Programmes {
		stats := &sum.Programmes[k]
		p := s.programmes[stats.Programme]
		amounts, err := ev.rights(p)
		if err != nil {
			return sum, nil, fmt.Errorf("shard %s: %w", sh, err)
		}
		var starts []rules.Date
		if name := startVariables[p.Code]; name != "" && p.Entity == "person" {
			if starts, err = ev.dates(name); err != nil {
				return sum, nil, fmt.Errorf("shard %s: %w", sh, err)
			}
		}
		for row, q := range amounts {
			if q <= 0 {
				continue
			}
			stats.Entitled++
			t := scanTask{prog: p, stats: stats, amount: dost.Money(q)}
			key := holdingKey{programme: p.Code}
			switch {
			case p.Entity == "person":
				t.person, key.person = in.PersonIDs[row], in.PersonIDs[row]
			case in.HouseholdIDs[row] == 0: // a person in no household
				t.person, key.person = in.Loners[row], in.Loners[row]
			default:
				t.household, key.household = in.HouseholdIDs[row], in.HouseholdIDs[row]
				t.person = heads[row]
			}
			if offer, ok := made[key]; ok {
				stats.Found++
				if offer {
					stats.Offered++
				} else {
					stats.Awarded++
				}
				continue
			}
			if held[key] {
				stats.Held++
				continue
			}
			if starts != nil {
				switch d := starts[row]; {
				case d > today:
					stats.Later++
					continue
				case d >= first && d <= last:
					t.start = dostDate(d)
				}
			}
			mode, err := ms.of(ctx, p)
			if err != nil {
				return sum, nil, fmt.Errorf("shard %s: %w", sh, err)
			}
			if mode == dost.ModeNone {
				continue
			}
			t.offer = mode == dost.ModeOnApplication
			t.key = key
			if offer, ok := earlier[key]; ok && offer == t.offer {
				t.earlier = true
			}
			stats.Found++
			tasks = append(tasks, t)
		}
	}
	sum.Compute = time.Since(t1)
	return sum, tasks, nil
}

// runTasks assigns or offers on Config.Workers goroutines, counting each
// outcome in its task's stats, and stops at the first error that is not a
// refusal of one beneficiary. Stopping starts no new task but lets those
// under way finish on ctx: cancelling them would cut their commits short,
// leaving awards stored that the summary does not count.
func (s *Service) runTasks(ctx context.Context, period dost.Month, tasks []scanTask) error {
	if len(tasks) == 0 {
		return nil
	}
	stop, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex // guards the tasks' stats
	next := make(chan *scanTask)
	var wg sync.WaitGroup
	for range min(s.workers, len(tasks)) {
		wg.Go(func() {
			for t := range next {
				made, exists, err := s.runTask(ctx, period, t)
				// What an earlier attempt of the scan set out to make
				// and another attempt made meanwhile is the scan's.
				made = made || t.earlier && exists
				mu.Lock()
				switch {
				case err == nil && made && t.offer:
					t.stats.Offered++
				case err == nil && made:
					t.stats.Awarded++
				case err == nil:
					t.stats.Unchanged++
				case refusal(err):
					t.stats.Failed++
					s.log.Warn("proactive: scan: casework refused a beneficiary", "programme", t.prog.Code,
						"person", t.person, "household", t.household, "error", err)
				default:
					cancel(err)
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range tasks {
		select {
		case next <- &tasks[i]:
		case <-stop.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(stop)
}

// refusal reports whether err is casework's refusal of one beneficiary
// rather than a failure of the scan.
func refusal(err error) bool {
	switch dost.ErrorCode(err) {
	case dost.EINVALID, dost.ECONFLICT, dost.ENOTFOUND:
		return true
	}
	return false
}

// runTask assigns or offers one task's programme and reports whether it
// made a new award or offer, and whether the beneficiary holds one now
// (made or found).
func (s *Service) runTask(ctx context.Context, period dost.Month, t *scanTask) (made, exists bool, err error) {
	w, o, created, err := s.doTask(ctx, period, t)
	return created, w != nil || o != nil, err
}

// doTask assigns or offers one task's programme: it returns the award
// (nil when the single-case rules of casework find no right) or the offer
// made or found, and whether it is new.
func (s *Service) doTask(ctx context.Context, period dost.Month, t *scanTask) (*dost.Award, *dost.Offer, bool, error) {
	if t.offer {
		p, err := s.persons.FindPersonByID(ctx, t.person)
		if err != nil {
			return nil, nil, false, err
		}
		o, created, err := s.makeOffer(ctx, t.prog, p, t.household, period, t.amount)
		return nil, o, created, err
	}
	r := casework.ProactiveRequest{Programme: t.prog.Code, PersonID: t.person, Period: period, Start: t.start}
	if t.prog.Entity == "household" {
		if t.household == 0 {
			return nil, nil, false, dost.Errorf(dost.EINVALID, "A household programme is not assigned proactively to a person in no household.")
		}
		r.PersonID, r.HouseholdID = 0, t.household
	}
	w, created, err := s.assigner.AssignProactively(ctx, r)
	return w, nil, created, err
}
