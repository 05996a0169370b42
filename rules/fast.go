package rules

import (
	"fmt"
	"slices"
	"strconv"
)

// CalculateValues computes vars for one household in period like
// Calculate, with identical values, but builds no trace: it is the path
// for callers that need only the answers (POST /api/v1/calculate). The
// simulation, its population, columns, entries and evaluation scratch come
// from a pool of the rule set and go back to it before CalculateValues
// returns, so a call allocates little more than its Result, and nothing
// more once the caller Releases its Results. Safe for concurrent use.
// Errors are Calculate's.
func (rs *RuleSet) CalculateValues(sit *Situation, period Period, vars []string) (*Result, error) {
	s := rs.getSim(false)
	defer rs.putSim(s)
	ids, err := s.loadSituation(sit, period)
	if err != nil {
		return nil, err
	}
	res := rs.newResult(period, vars, ids)
	for _, name := range vars {
		v, ok := rs.vars[name]
		if !ok {
			res.Release()
			return nil, fmt.Errorf("calculate: unknown variable %q", name)
		}
		c, err := s.computeVar(v, period)
		if err != nil {
			res.Release()
			return nil, fmt.Errorf("calculate: %w", err)
		}
		res.set(name, v, c, ids[v.Entity])
	}
	return res, nil
}

// simScratch is what a pooled one-household Simulation reuses from call to
// call: its population, cache entries, column memory, executors and the
// situation decoder's buffers. Everything is reset, nothing freed, when the
// simulation goes back to the pool.
type simScratch struct {
	pop    Population
	hh     []int32
	roles  []int64
	ids    [2][]string
	ents   []*entry
	nEnt   int
	ints   []int64 // column arenas, bump-allocated from off*
	floats []float64
	bools  []bool
	offI   int
	offF   int
	offB   int
	execs  []*exec       // free executors
	slots  [][]cacheSlot // the cache, by Variable.idx (see Simulation.lookup)
	used   []int32       // the indexes of slots in use
}

// getSim returns a pooled, empty simulation for one household; trace says
// whether Compute records what each formula read (deps and parameters).
func (rs *RuleSet) getSim(trace bool) *Simulation {
	s, _ := rs.sims.Get().(*Simulation)
	if s == nil {
		s = &Simulation{rs: rs, cache: make(map[vkey]*entry, 64), workers: 1, sc: &simScratch{}}
	}
	s.trace = trace
	return s
}

// putSim empties s and returns it to rs's pool.
func (rs *RuleSet) putSim(s *Simulation) {
	s.clearCache()
	sc := s.sc
	for _, e := range sc.ents[:sc.nEnt] {
		// Field by field: col and the slices' memory stay for the next
		// use (which sets col), and a reslice writes no pointer.
		e.src, e.formula, e.owned, e.tnode = 0, nil, false, nil
		e.deps, e.params = e.deps[:0], e.params[:0]
	}
	sc.nEnt, sc.offI, sc.offF, sc.offB = 0, 0, 0, 0
	clear(sc.ids[Person])
	sc.ids[Person] = sc.ids[Person][:0]
	sc.ids[Household] = sc.ids[Household][:0]
	s.pop = nil
	rs.sims.Put(s)
}

// newEntry returns a zero entry, from the scratch of a pooled simulation.
func (s *Simulation) newEntry() *entry {
	sc := s.sc
	if sc == nil {
		return &entry{}
	}
	if sc.nEnt == len(sc.ents) {
		sc.ents = append(sc.ents, &entry{})
	}
	e := sc.ents[sc.nEnt]
	sc.nEnt++
	return e
}

// column returns a column of n rows with undefined contents: from the
// arena of a pooled simulation, else from the column pool.
func (s *Simulation) column(t Type, n int) Column {
	sc := s.sc
	if sc == nil || n >= poolMinRows {
		return getColumn(t, n)
	}
	c := Column{Type: t}
	switch t.phys() {
	case pBool:
		if sc.offB+n > len(sc.bools) {
			sc.bools, sc.offB = make([]bool, max(1024, 2*len(sc.bools), n)), 0
		}
		c.Bools = sc.bools[sc.offB : sc.offB+n : sc.offB+n]
		sc.offB += n
	case pInt:
		if sc.offI+n > len(sc.ints) {
			sc.ints, sc.offI = make([]int64, max(1024, 2*len(sc.ints), n)), 0
		}
		c.Ints = sc.ints[sc.offI : sc.offI+n : sc.offI+n]
		sc.offI += n
	default:
		if sc.offF+n > len(sc.floats) {
			sc.floats, sc.offF = make([]float64, max(1024, 2*len(sc.floats), n)), 0
		}
		c.Floats = sc.floats[sc.offF : sc.offF+n : sc.offF+n]
		sc.offF += n
	}
	return c
}

// floats returns n float64s of undefined contents (see column).
func (s *Simulation) floats(n int) []float64 {
	if s.sc == nil {
		return make([]float64, n)
	}
	return s.column(Float, n).Floats
}

// getExec returns an executor for one run, reused in a pooled simulation.
func (s *Simulation) getExec() *exec {
	sc := s.sc
	if sc == nil || len(sc.execs) == 0 {
		return new(exec)
	}
	x := sc.execs[len(sc.execs)-1]
	sc.execs = sc.execs[:len(sc.execs)-1]
	return x
}

// putExec keeps x for the next run of a pooled simulation; its slices keep
// their backing arrays.
func (s *Simulation) putExec(x *exec) {
	if s.sc == nil {
		return
	}
	s.sc.execs = append(s.sc.execs, x)
}

// personIDs are the IDs of unnamed persons in a Situation.
var personIDs = func() []string {
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = "person" + strconv.Itoa(i+1)
	}
	return ids
}()

// loadSituation builds s's one-household population and inputs from sit.
// s is an empty pooled simulation.
func (s *Simulation) loadSituation(sit *Situation, period Period) ([2][]string, error) {
	rs, sc := s.rs, s.sc
	n := len(sit.Persons)
	sc.hh = slices.Grow(sc.hh[:0], n)[:n]
	sc.roles = slices.Grow(sc.roles[:0], n)[:n]
	ids := &sc.ids
	for i, p := range sit.Persons {
		r := 0
		if p.Role != "" {
			r = RoleIndex(p.Role)
		}
		if r < 0 {
			return *ids, fmt.Errorf("situation: person %q has role %q, not one of %v", p.ID, p.Role, Roles)
		}
		sc.hh[i] = 0
		sc.roles[i] = int64(r)
		id := p.ID
		if id == "" {
			if i < len(personIDs) {
				id = personIDs[i]
			} else {
				id = fmt.Sprintf("person%d", i+1)
			}
		}
		ids[Person] = append(ids[Person], id)
	}
	hid := sit.ID
	if hid == "" {
		hid = householdID
	}
	ids[Household] = append(ids[Household], hid)
	sc.pop.oneHousehold(sc.hh, sc.roles)
	s.pop = &sc.pop
	s.reset()
	for i, p := range sit.Persons {
		for name, x := range p.Inputs {
			v := rs.vars[name]
			if v != nil && v.Entity != Person {
				return *ids, fmt.Errorf("situation: %s is a household variable, given for person %q", name, ids[Person][i])
			}
			if err := s.setSituation(v, name, period, i, n, x); err != nil {
				return *ids, err
			}
		}
	}
	for name, x := range sit.Household {
		v := rs.vars[name]
		if v != nil && v.Entity != Household {
			return *ids, fmt.Errorf("situation: %s is a person variable, given for the household", name)
		}
		if err := s.setSituation(v, name, period, 0, 1, x); err != nil {
			return *ids, err
		}
	}
	return *ids, nil
}

// setSituation stores input x of variable v (called name; nil when
// unknown) for row of rows, x being a value for period or a map from
// period to value.
func (s *Simulation) setSituation(v *Variable, name string, period Period, row, rows int, x any) error {
	if v == nil {
		return fmt.Errorf("situation: unknown variable %q", name)
	}
	byPeriod, ok := x.(map[string]any)
	if !ok {
		return s.setSituationAt(v, period.As(v.Period), row, rows, x)
	}
	for ps, val := range byPeriod {
		p, err := ParsePeriod(ps)
		if err != nil {
			return fmt.Errorf("situation: %s: %w", name, err)
		}
		if p.Kind != v.Period {
			return fmt.Errorf("situation: %s is a %s variable, given for %s", name, v.Period, ps)
		}
		if err := s.setSituationAt(v, p, row, rows, val); err != nil {
			return err
		}
	}
	return nil
}

// setSituationAt stores val as row of rows of v's input for p, which is
// cached as soon as its first row is given (the other rows have v's
// default). The checks of SetInput hold by construction: the column has
// v's type and length, p is of v's kind and set accepts only enum values
// of v; only a money amount that set's rounding leaves unrounded (NaN) is
// left to check, with wholeQepik's criterion, and v's range.
func (s *Simulation) setSituationAt(v *Variable, p Period, row, rows int, val any) error {
	k := mkey(v, p)
	e := s.lookup(k)
	if e == nil {
		c := s.column(v.Type, rows)
		if err := fill(v, c); err != nil {
			return err
		}
		e = s.newEntry()
		e.col, e.src = c, fromInput
		s.store(k, e)
	}
	c := e.col
	if err := v.set(c, row, val); err != nil {
		return fmt.Errorf("situation: %w", err)
	}
	if v.Type == Money && RoundMoney(c.Floats[row]) != c.Floats[row] {
		return fmt.Errorf("situation: set input %s: row %d amount %v is not in whole qəpik", v.Name, row, c.Floats[row])
	}
	if v.HasRange() && !v.rowInRange(c, row) {
		return fmt.Errorf("situation: %s for %s: %v is not %s", v.Name, p, v.value(c, row), v.RangeString())
	}
	return nil
}

// oneHousehold makes p a population of one household of len(hh) persons
// (hh all 0) with roles, reusing p's slices.
func (p *Population) oneHousehold(hh []int32, roles []int64) {
	n := len(hh)
	p.household, p.role, p.nh = hh, roles, 1
	p.start = append(p.start[:0], 0, int32(n))
	p.members = slices.Grow(p.members[:0], n)[:n]
	for i := range n {
		p.members[i] = int32(i)
	}
	p.personIDs, p.householdIDs = nil, nil
}

// Formulas returns how many formulas s has run so far: one per variable
// and period computed by a formula, intermediates included (a variable read
// in twelve past months counts twelve times). Benchmarks divide by it.
func (s *Simulation) Formulas() int {
	n := 0
	s.entries(func(e *entry) {
		if e.src == fromFormula {
			n++
		}
	})
	return n
}
