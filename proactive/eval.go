package proactive

import (
	"context"
	"fmt"
	"math"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
	"github.com/dost-az/dost/rulesrun"
)

// evaluation is the rule set over one shard of the registry for one month,
// its inputs mapped as the population run maps them (rulesrun.MapInputs),
// so that the scan, the events and casework's decisions agree.
type evaluation struct {
	in     *rulesrun.Inputs
	sim    *rules.Simulation // nil when the shard has nobody alive
	period rules.Period
}

// ruleDate returns d as the rules engine's date.
func ruleDate(d dost.Date) rules.Date { return rules.DateOf(d.Year(), d.Month(), d.Day()) }

// dostDate returns the rules engine's date d as a dost.Date.
func dostDate(d rules.Date) dost.Date { return dost.DateOf(d.Time()) }

// eternity is the period of eternity variables.
var eternity = rules.Period{Kind: rules.Eternity}

// load reads a shard's registry records for month m and maps them.
func (s *Service) load(ctx context.Context, sh rulesrun.Shard, m dost.Month) (*evaluation, error) {
	rp := rules.MonthOf(m.Year, m.Month)
	data, err := s.population.ReadShard(ctx, sh, rulesrun.WindowOf(rp))
	if err != nil {
		return nil, fmt.Errorf("read shard %s: %w", sh, err)
	}
	in, err := rulesrun.MapInputs(rp, data)
	if err != nil {
		return nil, fmt.Errorf("shard %s: %w", sh, err)
	}
	ev := &evaluation{in: in, period: rp}
	if len(in.PersonIDs) == 0 {
		return ev, nil
	}
	if ev.sim, err = in.Simulation(s.rs); err != nil {
		return nil, fmt.Errorf("shard %s: %w", sh, err)
	}
	return ev, nil
}

// shardOf returns the one-household shard of a person: their household's,
// or the person alone when they are in none.
func shardOf(personID, householdID int64) rulesrun.Shard {
	if householdID == 0 {
		return rulesrun.Shard{Kind: rulesrun.ShardLoners, Lo: personID, Hi: personID + 1, Persons: 1}
	}
	return rulesrun.Shard{Kind: rulesrun.ShardHouseholds, Lo: householdID, Hi: householdID + 1}
}

// personRow returns the row of a person, or -1.
func (ev *evaluation) personRow(id int64) int {
	for i, p := range ev.in.PersonIDs {
		if p == id {
			return i
		}
	}
	return -1
}

// dismissalFacts are what an employment_ended event tells the rules about
// its person beyond the registry: the reason of the dismissal, and that
// the person will be registered unemployed (accepting the offer asks for
// it).
type dismissalFacts struct {
	reason dost.DismissalReason
}

// assume gives the rules the facts f for the person of row: inputs
// dismissal_reason and registered_unemployed for the period; everybody
// else keeps what the registry gives (rulesrun's inputs). An input the
// rule set lacks is skipped.
func (ev *evaluation) assume(rs *rules.RuleSet, row int, f *dismissalFacts) error {
	n := len(ev.in.PersonIDs)
	if v, ok := rs.Variable("dismissal_reason"); ok && v.IsInput() && v.Type == rules.Enum {
		index := func(name string) int {
			for i, value := range v.Values {
				if value == name {
					return i
				}
			}
			return -1
		}
		col := rules.Column{Type: rules.Enum, Ints: make([]int64, n)}
		for i := range n {
			if i < len(ev.in.DismissalReason) {
				col.Ints[i] = int64(max(index(ev.in.DismissalReason[i]), 0))
			}
		}
		k := index(string(f.reason))
		if k < 0 {
			return fmt.Errorf("the rule set's dismissal_reason has no value %q", f.reason)
		}
		col.Ints[row] = int64(k)
		if err := ev.sim.SetInput(v.Name, ev.period, col); err != nil {
			return err
		}
	}
	if v, ok := rs.Variable("registered_unemployed"); ok && v.IsInput() && v.Type == rules.Bool {
		col := rules.Column{Type: rules.Bool, Bools: make([]bool, n)}
		copy(col.Bools, ev.in.RegisteredUnemployed)
		col.Bools[row] = true
		if err := ev.sim.SetInput(v.Name, ev.period, col); err != nil {
			return err
		}
	}
	return nil
}

// rights returns, for each beneficiary row of programme p (person rows for
// a person programme, household rows for a household one), its amount in
// qəpik where the rules find a right, and 0 elsewhere: a positive amount
// and, if p has one, a true right variable.
func (ev *evaluation) rights(p *dost.Programme) ([]int64, error) {
	if ev.sim == nil {
		return nil, nil
	}
	amount, err := ev.sim.Compute(p.Amount, ev.period)
	if err != nil {
		return nil, fmt.Errorf("compute %s: %w", p.Amount, err)
	}
	out := make([]int64, len(amount.Floats))
	for i, x := range amount.Floats {
		out[i] = int64(math.Round(x * 100))
	}
	if p.Eligible != "" {
		ok, err := ev.sim.Compute(p.Eligible, ev.period)
		if err != nil {
			return nil, fmt.Errorf("compute %s: %w", p.Eligible, err)
		}
		for i, b := range ok.Bools {
			if !b {
				out[i] = 0
			}
		}
	}
	for i, q := range out {
		if q < 0 {
			out[i] = 0
		}
	}
	return out, nil
}

// dates returns an eternity date variable for each person row.
func (ev *evaluation) dates(name string) ([]rules.Date, error) {
	if ev.sim == nil {
		return nil, nil
	}
	col, err := ev.sim.Compute(name, eternity)
	if err != nil {
		return nil, fmt.Errorf("compute %s: %w", name, err)
	}
	out := make([]rules.Date, len(col.Ints))
	for i, d := range col.Ints {
		out[i] = rules.Date(d)
	}
	return out, nil
}

// release returns the simulation's columns to the engine's pool.
func (ev *evaluation) release() {
	if ev.sim != nil {
		ev.sim.Release()
	}
}

// rightArisesOn returns the candidates whose old-age pension right arises
// on day.
func (s *Service) rightArisesOn(cands []Candidate, day dost.Date) ([]int64, error) {
	dates, err := s.rightDates(cands)
	if err != nil {
		return nil, err
	}
	want := ruleDate(day)
	var out []int64
	for i, d := range dates {
		if d == want {
			out = append(out, cands[i].PersonID)
		}
	}
	return out, nil
}

// rightDates returns the day each candidate's old-age pension right arises
// (rule set variable retirement_right_date), computed from their birth
// date and sex alone, each a household of one, in one columnar run.
func (s *Service) rightDates(cands []Candidate) ([]rules.Date, error) {
	n := len(cands)
	if n == 0 {
		return nil, nil
	}
	sexVar, ok := s.rs.Variable("sex")
	if !ok || sexVar.Type != rules.Enum {
		return nil, fmt.Errorf("the rule set has no enum variable sex")
	}
	index := func(name string) (int64, error) {
		for i, v := range sexVar.Values {
			if v == name {
				return int64(i), nil
			}
		}
		return 0, fmt.Errorf("the rule set's sex has no value %q", name)
	}
	male, err := index("male")
	if err != nil {
		return nil, err
	}
	female, err := index("female")
	if err != nil {
		return nil, err
	}
	head := int64(rules.RoleIndex(string(dost.RoleHead)))
	households, roles := make([]int32, n), make([]int64, n)
	births := rules.Column{Type: rules.DateType, Ints: make([]int64, n)}
	sexes := rules.Column{Type: rules.Enum, Ints: make([]int64, n)}
	for i, c := range cands {
		households[i], roles[i] = int32(i), head
		births.Ints[i] = int64(ruleDate(c.BirthDate))
		sexes.Ints[i] = male
		if c.Sex == dost.SexFemale {
			sexes.Ints[i] = female
		}
	}
	pop, err := rules.NewPopulation(n, households, roles)
	if err != nil {
		return nil, err
	}
	sim := s.rs.NewSimulation(pop)
	defer sim.Release()
	if err := sim.SetInput("birth_date", eternity, births); err != nil {
		return nil, err
	}
	if err := sim.SetInput("sex", eternity, sexes); err != nil {
		return nil, err
	}
	col, err := sim.Compute(retirementRightDate, eternity)
	if err != nil {
		return nil, fmt.Errorf("compute %s: %w", retirementRightDate, err)
	}
	out := make([]rules.Date, n)
	for i, d := range col.Ints {
		out[i] = rules.Date(d)
	}
	return out, nil
}
