package rulesrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/dost-az/dost/rules"
)

// Compute computes vars for period over a shard's registry data and
// returns the non-zero results and their summary (Shard is left for the
// caller). It does no I/O.
func Compute(rs *rules.RuleSet, period rules.Period, vars []string, d *ShardData) (*ShardResult, error) {
	in, err := MapInputs(period, d)
	if err != nil {
		return nil, err
	}
	s, err := in.Simulation(rs)
	if err != nil {
		return nil, err
	}
	res := &ShardResult{Summary: Summary{Shards: 1, Persons: int64(len(in.PersonIDs)), Households: int64(len(in.HouseholdIDs))}}
	for _, name := range vars {
		v, ok := rs.Variable(name)
		if !ok {
			return nil, fmt.Errorf("compute: unknown variable %q", name)
		}
		col, err := s.Compute(name, period)
		if err != nil {
			return nil, fmt.Errorf("compute %s for %s: %w", name, period, err)
		}
		t := Total{Variable: name, Entity: v.Entity.String(), Type: v.Type.String()}
		add := func(row int, value int64) {
			r := Result{Variable: name, Value: value}
			if v.Entity == rules.Person {
				r.HouseholdID, r.PersonID = in.HouseholdIDs[in.HouseholdOf[row]], in.PersonIDs[row]
			} else {
				// A household of one has no ID: it is named by its person.
				r.HouseholdID, r.PersonID = in.HouseholdIDs[row], in.Loners[row]
			}
			res.Results = append(res.Results, r)
			t.Count++
			t.Sum += value
		}
		switch v.Type {
		case rules.Bool:
			for i, b := range col.Bools {
				if b {
					add(i, 1)
				}
			}
		case rules.Int:
			for i, k := range col.Ints {
				if k != 0 {
					add(i, k)
				}
			}
		case rules.Money:
			for i, x := range col.Floats {
				if q := int64(math.Round(x * 100)); q != 0 {
					add(i, q)
				}
			}
		default:
			return nil, fmt.Errorf("compute: variable %s is %s; only bool, int and money results are stored", name, v.Type)
		}
		res.Summary.Totals = append(res.Summary.Totals, t)
	}
	return res, nil
}

// RunShard reads, computes and writes one shard of run r: the unit of work
// a job queue can hand to any node. Rerunning a shard replaces its results.
func RunShard(ctx context.Context, st Store, rs *rules.RuleSet, r *Run, sh Shard) (*Summary, error) {
	res, err := readCompute(ctx, st, rs, r, sh)
	if err != nil {
		return nil, err
	}
	if err := write(ctx, st, r, res); err != nil {
		return nil, err
	}
	return &res.Summary, nil
}

// readCompute reads and computes a shard, timing both steps.
func readCompute(ctx context.Context, st Store, rs *rules.RuleSet, r *Run, sh Shard) (*ShardResult, error) {
	t0 := time.Now()
	d, err := st.ReadShard(ctx, sh, WindowOf(r.Period))
	if err != nil {
		return nil, fmt.Errorf("read shard %s: %w", sh, err)
	}
	t1 := time.Now()
	res, err := Compute(rs, r.Period, r.Variables, d)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", sh, err)
	}
	res.Shard = sh
	res.Summary.Read, res.Summary.Compute = t1.Sub(t0), time.Since(t1)
	return res, nil
}

// write stores a computed shard, timing it.
func write(ctx context.Context, st Store, r *Run, res *ShardResult) error {
	t := time.Now()
	res.Summary.Write = 0
	if err := st.WriteShard(ctx, r, res); err != nil {
		return fmt.Errorf("write shard %s: %w", res.Shard, err)
	}
	res.Summary.Write = time.Since(t)
	return nil
}

// Options configure Execute.
type Options struct {
	// Variables to store; nil means DefaultVariables (see Variables).
	Variables []string
	// ShardSize is about how many persons a shard holds; 0 means 50,000.
	ShardSize int
	// Workers read and compute shards in parallel; 0 means the number of
	// CPUs. One more goroutine writes.
	Workers int
	// RuleSet names the rule set in the run's record, e.g. "az"; a hash
	// of its content is appended.
	RuleSet string
	// Progress, if set, is called from one goroutine after each shard is
	// written with the persons done so far and the number planned.
	Progress func(done, total int64)
}

// DefaultShardSize is the persons per shard when Options.ShardSize is 0.
const DefaultShardSize = 50_000

// Execute runs rule set rs over the whole registry for month period p:
// it creates a run, plans shards, reads and computes them with
// opts.Workers workers while one goroutine writes finished shards, and
// finishes the run with its totals. On error or cancellation the run is
// marked failed and the error returned with the run.
func Execute(ctx context.Context, st Store, rs *rules.RuleSet, p rules.Period, opts Options) (*Run, error) {
	if p.Kind != rules.Month {
		return nil, fmt.Errorf("rules run: period %s is not a month", p)
	}
	vars, err := Variables(rs, opts.Variables)
	if err != nil {
		return nil, err
	}
	size := opts.ShardSize
	if size <= 0 {
		size = DefaultShardSize
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	shards, err := st.PlanShards(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("rules run: plan shards: %w", err)
	}
	r := &Run{Period: p, RuleSet: RuleSetID(opts.RuleSet, rs), Variables: vars}
	if err := st.CreateRun(ctx, r); err != nil {
		return nil, fmt.Errorf("rules run: %w", err)
	}
	if err := runShards(ctx, st, rs, r, shards, workers, opts.Progress); err != nil {
		// Record the failure even if ctx is cancelled.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return r, errors.Join(err, st.FinishRun(fctx, r, StatusFailed))
	}
	writing := r.Summary.Write
	if err := st.FinishRun(ctx, r, StatusFinished); err != nil {
		return r, fmt.Errorf("rules run: %w", err)
	}
	// A shard's stored summary cannot hold the time of its own write.
	r.Summary.Write = writing
	return r, nil
}

// runShards reads and computes shards on workers goroutines and writes
// them on the calling one, stopping at the first error.
func runShards(ctx context.Context, st Store, rs *rules.RuleSet, r *Run, shards []Shard, workers int,
	progress func(done, total int64)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	todo := make(chan Shard)
	// done holds computed shards waiting to be written; a small buffer
	// lets workers run ahead of the writer without holding many shards.
	done := make(chan *ShardResult, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for sh := range todo {
				res, err := readCompute(ctx, st, rs, r, sh)
				if err != nil {
					cancel(err)
					return
				}
				select {
				case done <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(todo)
		for _, sh := range shards {
			select {
			case todo <- sh:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(done)
	}()
	var total, persons int64
	for _, sh := range shards {
		total += sh.Persons
	}
	var werr error
	var writing time.Duration
	defer func() { r.Summary.Write = writing }()
	for res := range done { // until every worker has returned
		if werr != nil {
			continue
		}
		if werr = write(ctx, st, r, res); werr != nil {
			cancel(werr)
			continue
		}
		writing += res.Summary.Write
		persons += res.Summary.Persons
		if progress != nil {
			progress(persons, max(total, persons))
		}
	}
	if werr != nil {
		return werr
	}
	return context.Cause(ctx) // a worker's error or the caller's cancellation
}

// RuleSetID names a rule set for a run's record: name (or "rules") and the
// first 12 hex digits of a SHA-256 over its variables (types, periods,
// formulas) and parameters (values by date), so two runs can tell whether
// they ran the same law.
func RuleSetID(name string, rs *rules.RuleSet) string {
	if name == "" {
		name = "rules"
	}
	h := sha256.New()
	for _, v := range rs.Variables() {
		fmt.Fprintf(h, "v %s %s %s %s %v %v\n", v.Name, v.Entity, v.Type, v.Period, v.Values, v.Default)
		if v.HasRange() { // an input's published range is law too
			fmt.Fprintf(h, "r %s\n", v.RangeString())
		}
		for _, f := range v.Formulas {
			fmt.Fprintf(h, "f %d %s\n", f.From, f.Source)
		}
	}
	for _, p := range rs.Parameters() {
		fmt.Fprintf(h, "p %s %s %v\n", p.Path, p.Kind, p.Default)
		for _, v := range p.Values {
			fmt.Fprintf(h, "  %d %v %v %v\n", v.From, v.Value, v.Table, v.Brackets)
		}
	}
	return name + " sha256:" + hex.EncodeToString(h.Sum(nil))[:12]
}
