// Package rulesrun runs a rule set over the whole registry for one period:
// `dost rules run --period 2026-11`. It reads the registry in shards, maps
// each shard's records to the rule set's inputs (see Inputs), computes the
// requested variables with the columnar engine and stores the non-zero
// results for the proactive service, with counts and sums per variable.
//
// # Shards
//
// A run is split into shards that are independent of each other, so that
// each can later be one job on any node: a shard is either a range of
// household IDs (every living member of those households) or a range of
// person IDs restricted to the persons in no household, each of whom is
// computed as a household of one. Whole households are always computed
// together, because household variables aggregate over members and person
// variables may read their household's. Household IDs are dense and
// members' person IDs need not be (persons created one by one get IDs
// in the order they come), so household ranges are what keeps each
// shard's reads to a few range queries.
//
// RunShard reads, computes and writes one shard. It is idempotent: the
// store replaces a shard's results and its row in rule_run_shards in one
// transaction, so a shard run twice (a retried job) leaves exactly one copy,
// and the run's totals are summed from the shard rows when it finishes.
// Execute plans the shards and runs them with a pool of workers reading and
// computing in parallel and one writer (SQLite has one). As queue jobs, a
// run is CreateRun, one job per shard (arguments: the run's ID and the
// shard; the job loads the run and calls RunShard) and a last job calling
// FinishRun once every shard is done.
//
// # Speed
//
// Computing is cheap (about 2 µs a person for the Azerbaijani rule set);
// reading is what costs: each shard's members are looked up by person ID,
// and their records are read by person ID range (see
// sqlstore.PopulationStore.ReadShard). The registry importer numbers
// persons in file order, which for registry extracts is household order,
// so a household's members and their records share pages and a shard's
// persons have neighbouring IDs; with persons numbered in FIN order instead
// the same run took more than twice as long (one million synthetic persons
// in SQLite: 43 CPU-seconds against 18; BENCHMARKS.md).
//
// # Results
//
// Only non-zero values are stored: money in qəpik, bool as 1, int as is.
// A person or household without a row for a variable has zero, false or
// nothing due. Float, date and enum variables cannot be stored and are
// refused by Execute.
package rulesrun

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
)

// ShardKind says what a Shard's ID range is over.
type ShardKind string

// The shard kinds.
const (
	// ShardHouseholds is a range of household IDs: their members.
	ShardHouseholds ShardKind = "households"
	// ShardLoners is a range of person IDs: those in no household.
	ShardLoners ShardKind = "loners"
)

// Shard is a part of a run: the IDs in [Lo, Hi) of its Kind. Persons is
// the planner's count of its persons, for progress reports.
type Shard struct {
	Kind    ShardKind
	Lo, Hi  int64
	Persons int64
}

// String returns e.g. "households [1, 25001)".
func (s Shard) String() string { return fmt.Sprintf("%s [%d, %d)", s.Kind, s.Lo, s.Hi) }

// NoEnd is the To of an open insurance period or disability assessment.
const NoEnd rules.Date = math.MaxInt32

// Member is a person of a shard with what the rules read of the person
// record: a member of household HouseholdID with Role, or a person in no
// household (HouseholdID 0, Role head).
type Member struct {
	PersonID    int64
	HouseholdID int64
	Role        dost.HouseholdRole
	BirthDate   rules.Date
	DeathDate   rules.Date // 0 (1970-01-01) while alive
	Sex         dost.Sex
}

// Insurance is an insurance period: From to To inclusive (To is NoEnd while
// open), at MonthlyWage.
type Insurance struct {
	PersonID    int64
	From, To    rules.Date
	MonthlyWage dost.Money
}

// Income is one income record (one source, one month).
type Income struct {
	PersonID int64
	Month    dost.Month
	Amount   dost.Money
}

// Disability is a disability assessment in force from From to To inclusive
// (To is NoEnd when indefinite).
type Disability struct {
	PersonID int64
	Degree   dost.DisabilityDegree
	Cause    dost.DisabilityCause
	Percent  int // impaired body functions; 0 if not recorded
	From, To rules.Date
}

// Window is what a run for a period needs read: persons alive on Start,
// insurance periods starting by End, disability assessments in force on a
// day of [Start, End], income records of the months IncomeFrom to IncomeTo
// and dismissals dated DismissedFrom to End.
type Window struct {
	Start, End           rules.Date
	IncomeFrom, IncomeTo dost.Month
	DismissedFrom        rules.Date
}

// WindowOf returns the Window of a month period: incomes of the 12 months
// before it and of the month itself, dismissals of the month and the 5
// before it (see dismissalMonths).
func WindowOf(p rules.Period) Window {
	m := monthOf(p)
	return Window{Start: p.Start(), End: p.End(), IncomeFrom: m.Add(-incomeMonthsBefore), IncomeTo: m,
		DismissedFrom: dismissedFrom(p)}
}

// Dismissal is the end of a person's employment on Date, for Reason as
// the registry records it (table dismissals).
type Dismissal struct {
	PersonID int64
	Date     rules.Date
	Reason   dost.DismissalReason
}

// ShardData is the registry's content for one shard: Members in household
// order (then person order; each person in no household after the
// households), and their records in any order. Records of persons not in
// Members are ignored.
type ShardData struct {
	Members      []Member
	Insurance    []Insurance
	Incomes      []Income
	Disabilities []Disability
	Dismissals   []Dismissal
}

// Result is one stored value: variable for a person (PersonID set) or a
// household (PersonID 0). HouseholdID is 0 for a person in no household and
// for the household of one computed for them.
type Result struct {
	Variable    string
	HouseholdID int64
	PersonID    int64
	Value       int64 // money in qəpik, bool 1, int as is
}

// Total is a variable's count of non-zero values and their sum (qəpik for
// money, the number for an int, the count for a bool).
type Total struct {
	Variable string `json:"variable"`
	Entity   string `json:"entity"`
	Type     string `json:"type"`
	Count    int64  `json:"count"`
	Sum      int64  `json:"sum"`
}

// Summary counts what a shard or run computed. Read, Compute and Write are
// the time spent in each step, summed over shards (workers overlap, so the
// sum exceeds the wall time).
type Summary struct {
	Shards     int           `json:"shards"`
	Persons    int64         `json:"persons"`
	Households int64         `json:"households"`
	Totals     []Total       `json:"totals"`
	Read       time.Duration `json:"read_ns"`
	Compute    time.Duration `json:"compute_ns"`
	Write      time.Duration `json:"write_ns"`
}

// Add adds o's counts to s; totals are matched by variable.
func (s *Summary) Add(o *Summary) {
	s.Shards += o.Shards
	s.Persons += o.Persons
	s.Households += o.Households
	s.Read += o.Read
	s.Compute += o.Compute
	s.Write += o.Write
	for _, t := range o.Totals {
		i := slices.IndexFunc(s.Totals, func(u Total) bool { return u.Variable == t.Variable })
		if i < 0 {
			s.Totals = append(s.Totals, t)
			continue
		}
		u := &s.Totals[i]
		u.Count += t.Count
		u.Sum += t.Sum
		if u.Entity == "" {
			u.Entity, u.Type = t.Entity, t.Type
		}
	}
}

// ShardResult is a computed shard: its non-zero results and summary.
type ShardResult struct {
	Shard   Shard
	Results []Result
	Summary Summary
}

// Run statuses.
const (
	StatusRunning  = "running"
	StatusFinished = "finished"
	StatusFailed   = "failed"
)

// Run is one population run: the period, the rule set it ran (a name and a
// hash of its content) and the variables it stored.
type Run struct {
	ID         int64
	Period     rules.Period
	RuleSet    string
	Variables  []string
	Status     string
	Summary    Summary // totals of the finished shards, once finished
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
}

// Store is the storage a run reads the registry from and writes results
// to. Implementations are safe for concurrent use (sqlstore.PopulationStore).
type Store interface {
	// PlanShards splits the registry into shards of about size persons:
	// household ID ranges over every household, then person ID ranges
	// over the persons in no household (none if every person has one).
	PlanShards(ctx context.Context, size int) ([]Shard, error)
	// ReadShard reads a shard's members alive on w.Start and their records
	// in w, with a few range queries.
	ReadShard(ctx context.Context, sh Shard, w Window) (*ShardData, error)
	// CreateRun stores a new run (status running) and sets its ID and
	// StartedAt.
	CreateRun(ctx context.Context, r *Run) error
	// WriteShard replaces the results and the summary of res.Shard in run
	// r in one transaction.
	WriteShard(ctx context.Context, r *Run, res *ShardResult) error
	// FinishRun sets the run's status (finished or failed), its finish
	// time and its summary, summed from its stored shards, into r.
	FinishRun(ctx context.Context, r *Run, status string) error
}

// DefaultVariables are the variables a run stores when none are asked for:
// the published programme outputs that the rule set defines.
var DefaultVariables = []string{
	"old_age_pension_eligible", "old_age_pension", "disability_allowance", "disability_stipend",
	"birth_allowance", "funeral_allowance", "unemployment_benefit", "tssa_eligible", "tssa_amount",
}

// Variables returns the variables to store: want if given (each must
// exist and be a bool, int or money variable), else those of
// DefaultVariables the rule set defines.
func Variables(rs *rules.RuleSet, want []string) ([]string, error) {
	if len(want) == 0 {
		for _, name := range DefaultVariables {
			if _, ok := rs.Variable(name); ok {
				want = append(want, name)
			}
		}
		if len(want) == 0 {
			return nil, errors.New("rules run: the rule set defines none of the default variables; name some with --vars")
		}
	}
	var out []string
	for _, name := range want {
		v, ok := rs.Variable(name)
		if !ok {
			return nil, fmt.Errorf("rules run: unknown variable %q", name)
		}
		switch v.Type {
		case rules.Bool, rules.Int, rules.Money:
		default:
			return nil, fmt.Errorf("rules run: variable %s is %s; only bool, int and money results are stored", name, v.Type)
		}
		if v.Period == rules.Eternity {
			return nil, fmt.Errorf("rules run: variable %s has no value per period", name)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
