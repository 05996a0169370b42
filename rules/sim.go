package rules

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// build checks and compiles a spec into a RuleSet.
func (sp *spec) build() (*RuleSet, error) {
	rs := &RuleSet{vars: map[string]*Variable{}, params: sp.params, spec: sp}
	for name, v := range sp.vars {
		nv := *v
		nv.def = newColumn(nv.Type, 1)
		if nv.set(nv.def, 0, nv.Default) != nil {
			nv.def = Column{} // fill reports the error
		}
		nv.Formulas = make([]*Formula, len(v.Formulas))
		for i, f := range v.Formulas {
			nf := *f
			nf.prog = nil
			nf.traceSource = strings.TrimSpace(nf.Source)
			if nf.From > -1<<30 {
				nf.traceFrom = nf.From.String()
			}
			nv.Formulas[i] = &nf
		}
		rs.vars[name] = &nv
		rs.order = append(rs.order, name)
	}
	slices.Sort(rs.order)
	for i, name := range rs.order {
		rs.vars[name].idx = int32(i + 1)
	}
	env, err := newEnv(rs.vars, rs.params)
	if err != nil {
		return nil, fmt.Errorf("load rules: declare variables: %w", err)
	}
	var errs LoadErrors
	for _, name := range rs.order {
		v := rs.vars[name]
		for _, f := range v.Formulas {
			p, ferrs := compileFormula(env, rs.vars, rs.params, v, f)
			errs = append(errs, ferrs...)
			f.prog = p
		}
	}
	if len(errs) == 0 {
		errs = append(errs, rs.checkCycles()...)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *LoadError) int {
			if c := strings.Compare(a.File, b.File); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		return nil, errs
	}
	rs.tstr = newTraceStrings(rs.params)
	for _, v := range rs.vars {
		for _, f := range v.Formulas {
			f.prog.setTraceStrings(&rs.tstr)
		}
	}
	return rs, nil
}

// checkCycles reports every cycle in the graph of variables reading
// variables, counting reads of past periods too: a formula may not depend on
// itself even through prev().
func (rs *RuleSet) checkCycles() LoadErrors {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var errs LoadErrors
	var stack []string
	var visit func(v *Variable)
	visit = func(v *Variable) {
		color[v.Name] = grey
		stack = append(stack, v.Name)
		seen := map[string]bool{}
		for _, f := range v.Formulas {
			f.prog.visitVars(func(w *Variable) {
				if w == roleVar || seen[w.Name] {
					return
				}
				seen[w.Name] = true
				switch color[w.Name] {
				case grey:
					i := slices.Index(stack, w.Name)
					cyc := append(slices.Clone(stack[i:]), w.Name)
					errs = append(errs, &LoadError{File: w.File, Line: w.Line, What: "variable", Name: w.Name,
						Msg: "dependency cycle: " + strings.Join(cyc, " → ")})
				case white:
					visit(w)
				}
			})
		}
		stack = stack[:len(stack)-1]
		color[v.Name] = black
	}
	for _, name := range rs.order {
		if color[name] == white {
			visit(rs.vars[name])
		}
	}
	return errs
}

// Population is the shape of the rows a Simulation computes over: how many
// households there are and which household each person belongs to, with
// which role. It is immutable and may be shared by simulations.
type Population struct {
	household []int32 // person → household row
	role      []int64 // person → index in Roles
	nh        int
	start     []int32 // household h's members are members[start[h]:start[h+1]]
	members   []int32 // person rows, by household, in person order

	personIDs    []int64 // by person row, or nil
	householdIDs []int64 // by household row, or nil
}

// NewPopulation returns a population of households households and
// len(householdOf) persons, person i living in household householdOf[i]
// with role roles[i] (an index into Roles). Aggregations visit a
// household's members in person order.
func NewPopulation(households int, householdOf []int32, roles []int64) (*Population, error) {
	if len(roles) != len(householdOf) {
		return nil, fmt.Errorf("new population: %d roles for %d persons", len(roles), len(householdOf))
	}
	p := &Population{household: householdOf, role: roles, nh: households, start: make([]int32, households+1)}
	for i, h := range householdOf {
		if h < 0 || int(h) >= households {
			return nil, fmt.Errorf("new population: person %d in household %d of %d", i, h, households)
		}
		if r := roles[i]; r < 0 || int(r) >= len(Roles) {
			return nil, fmt.Errorf("new population: person %d has role %d", i, r)
		}
		p.start[h+1]++
	}
	for h := 0; h < households; h++ {
		p.start[h+1] += p.start[h]
	}
	next := slices.Clone(p.start[:households])
	p.members = make([]int32, len(householdOf))
	for i, h := range householdOf {
		p.members[next[h]] = int32(i)
		next[h]++
	}
	return p, nil
}

// NewPopulationFromIDs returns a population built from registry rows:
// person i has ID personIDs[i], lives in the household with ID
// householdOf[i] and has role roles[i] (an index into Roles). Household rows
// are numbered in the order their IDs first appear. Person IDs must be
// unique. The result carries the IDs (PersonIDs, HouseholdIDs), so a column
// computed over it can be written back row by row.
func NewPopulationFromIDs(personIDs, householdOf []int64, roles []int64) (*Population, error) {
	if len(householdOf) != len(personIDs) {
		return nil, fmt.Errorf("new population: %d households for %d persons", len(householdOf), len(personIDs))
	}
	rowOf := make(map[int64]int32, len(personIDs)/2+1)
	hh := make([]int32, len(personIDs))
	var hids []int64
	for i, id := range householdOf {
		r, ok := rowOf[id]
		if !ok {
			r = int32(len(hids))
			rowOf[id] = r
			hids = append(hids, id)
		}
		hh[i] = r
	}
	p, err := NewPopulation(len(hids), hh, roles)
	if err != nil {
		return nil, err
	}
	return p.WithIDs(personIDs, hids)
}

// WithIDs returns a copy of p that carries registry IDs: personIDs by
// person row and householdIDs by household row (either may be nil). Person
// IDs must be unique, and so must household IDs. p is unchanged.
func (p *Population) WithIDs(personIDs, householdIDs []int64) (*Population, error) {
	if personIDs != nil && len(personIDs) != len(p.household) {
		return nil, fmt.Errorf("population IDs: %d person IDs for %d persons", len(personIDs), len(p.household))
	}
	if householdIDs != nil && len(householdIDs) != p.nh {
		return nil, fmt.Errorf("population IDs: %d household IDs for %d households", len(householdIDs), p.nh)
	}
	for _, ids := range [][]int64{personIDs, householdIDs} {
		seen := make(map[int64]struct{}, len(ids))
		for i, id := range ids {
			if _, dup := seen[id]; dup {
				return nil, fmt.Errorf("population IDs: ID %d repeated (row %d)", id, i)
			}
			seen[id] = struct{}{}
		}
	}
	q := *p
	q.personIDs, q.householdIDs = personIDs, householdIDs
	return &q, nil
}

// PersonIDs returns the registry ID of each person row, or nil when the
// population was built without IDs. The slice must not be modified.
func (p *Population) PersonIDs() []int64 { return p.personIDs }

// HouseholdIDs returns the registry ID of each household row, or nil. The
// slice must not be modified.
func (p *Population) HouseholdIDs() []int64 { return p.householdIDs }

// IDs returns the registry IDs of entity e's rows (PersonIDs or
// HouseholdIDs), the row order of every column of that entity.
func (p *Population) IDs(e Entity) []int64 {
	if e == Household {
		return p.householdIDs
	}
	return p.personIDs
}

// HouseholdOf returns the household row of person row i.
func (p *Population) HouseholdOf(i int) int { return int(p.household[i]) }

// Members returns the person rows of household row h, in person order. The
// slice must not be modified.
func (p *Population) Members(h int) []int32 { return p.members[p.start[h]:p.start[h+1]] }

// Persons returns the number of persons.
func (p *Population) Persons() int { return len(p.household) }

// Households returns the number of households.
func (p *Population) Households() int { return p.nh }

func (p *Population) size(e Entity) int {
	if e == Household {
		return p.nh
	}
	return len(p.household)
}

// vkey is a variable in a period: the key of a simulation's cache. It
// has no padding (a pointer and the packed period), so the map hashes it in
// one pass instead of field by field.
type vkey struct {
	v *Variable
	p int64 // year<<8 | month<<2 | kind
}

func mkey(v *Variable, p Period) vkey {
	return vkey{v, int64(p.Year)<<8 | int64(p.Month)<<2 | int64(p.Kind)}
}

// period returns the period of k.
func (k vkey) period() Period {
	return Period{Kind: PeriodKind(k.p & 3), Year: int(k.p >> 8), Month: time.Month(k.p >> 2 & 15)}
}

// source says where a stored column came from.
type source uint8

const (
	fromDefault source = iota
	fromInput
	fromFormula
)

// entry is a computed or given column and, for a formula, what it read.
type entry struct {
	col     Column
	src     source
	formula *Formula
	deps    []vkey
	params  []paramRead
	owned   bool       // col was allocated by the simulation (Release pools it)
	tnode   *TraceNode // the expanded node of a Calculate's trace, once built
}

// paramRead is a parameter a formula read: at the period's start (Value
// set) or per row on dates in a column (Value nil).
type paramRead struct {
	p  *Parameter
	v  *ParamValue
	ts *paramStrings // p's in the rule set's traceStrings
}

// Simulation computes variables for one Population under one RuleSet,
// caching every column it computes. A Simulation is not safe for concurrent
// use; build one per goroutine.
//
// Compute evaluates a large population on several goroutines at once (see
// SetWorkers); they are started and joined within each Compute call.
type Simulation struct {
	rs      *RuleSet
	pop     *Population
	cache   map[vkey]*entry
	workers int
	trace   bool        // record each formula's deps and params (for traces)
	sc      *simScratch // reused memory of a pooled one-household simulation
}

// NewSimulation returns an empty simulation of pop that computes on up to
// GOMAXPROCS goroutines.
func (rs *RuleSet) NewSimulation(pop *Population) *Simulation {
	s := &Simulation{rs: rs, pop: pop, cache: map[vkey]*entry{}, workers: runtime.GOMAXPROCS(0), trace: true}
	s.reset()
	return s
}

func (s *Simulation) reset() {
	e := s.newEntry()
	e.col, e.src = Column{Type: Enum, Ints: s.pop.role}, fromInput
	s.store(mkey(roleVar, Period{Kind: Eternity}), e)
}

// cacheSlot is an entry of a pooled one-household simulation's cache.
type cacheSlot struct {
	p int64 // vkey.p
	e *entry
}

// lookup returns the cached entry of k, or nil. A pooled one-household
// simulation keeps its cache in a slice indexed by variable (a few periods
// each, searched in order) instead of the map: there are so few entries
// that hashing dominated.
func (s *Simulation) lookup(k vkey) *entry {
	if sc := s.sc; sc != nil {
		if i := int(k.v.idx); i < len(sc.slots) {
			for _, x := range sc.slots[i] {
				if x.p == k.p {
					return x.e
				}
			}
		}
		return nil
	}
	return s.cache[k]
}

// store caches e as k's entry.
func (s *Simulation) store(k vkey, e *entry) {
	sc := s.sc
	if sc == nil {
		s.cache[k] = e
		return
	}
	i := int(k.v.idx)
	if i >= len(sc.slots) {
		sc.slots = slices.Grow(sc.slots, max(i+1, len(s.rs.vars)+1)-len(sc.slots))
		sc.slots = sc.slots[:cap(sc.slots)]
	}
	for j, x := range sc.slots[i] {
		if x.p == k.p {
			sc.slots[i][j].e = e
			return
		}
	}
	if len(sc.slots[i]) == 0 {
		sc.used = append(sc.used, int32(i))
	}
	sc.slots[i] = append(sc.slots[i], cacheSlot{k.p, e})
}

// clearCache empties the cache.
func (s *Simulation) clearCache() {
	clear(s.cache)
	if sc := s.sc; sc != nil {
		for _, i := range sc.used {
			// The entries stay the simulation's (newEntry reuses them).
			sc.slots[i] = sc.slots[i][:0]
		}
		sc.used = sc.used[:0]
	}
}

// entries calls f with every cached entry.
func (s *Simulation) entries(f func(*entry)) {
	for _, e := range s.cache {
		f(e)
	}
	if sc := s.sc; sc != nil {
		for _, i := range sc.used {
			for _, x := range sc.slots[i] {
				f(x.e)
			}
		}
	}
}

// SetWorkers sets how many goroutines a Compute may use (at least 1; 1
// computes on the caller's goroutine only). A population is split into runs
// of whole blocks of 1024 rows, at least 16 blocks per worker, so small
// populations and single households always compute on one goroutine.
// Results do not depend on the number of workers.
func (s *Simulation) SetWorkers(n int) {
	s.workers = max(1, n)
}

// Release empties the simulation and returns the columns it computed to a
// pool that later simulations draw from, which saves the allocation and
// page faults of fresh columns in a run over many shards. Every Column a
// Compute on s returned is invalid afterwards (inputs given to SetInput
// stay the caller's). The simulation may be used again: it starts over with
// no inputs and nothing computed.
func (s *Simulation) Release() {
	s.entries(func(e *entry) {
		if e.owned {
			putColumn(e.col)
		}
	})
	s.clearCache()
	s.reset()
}

// SetInput gives the values of variable name for period (any period of a
// variable's own kind; ignored kinds are an error). An input may also be
// given for a computed variable: it then replaces the formula for that
// period. col must have the variable's type and one row per entity row;
// the simulation keeps col, so do not modify it afterwards. Errors: an
// unknown variable, a column of another type or length, a period of another
// kind, a value that is not one of an enum's, an amount not in whole qəpik,
// a value outside the variable's Min and Max.
func (s *Simulation) SetInput(name string, period Period, col Column) error {
	v, ok := s.rs.vars[name]
	if !ok {
		return fmt.Errorf("set input: unknown variable %q", name)
	}
	if col.Type != v.Type {
		return fmt.Errorf("set input %s: column is %s, variable is %s", name, col.Type, v.Type)
	}
	if n := s.pop.size(v.Entity); col.Len() != n {
		return fmt.Errorf("set input %s: %d values for %d %ss", name, col.Len(), n, v.Entity)
	}
	if period.Kind != v.Period {
		return fmt.Errorf("set input %s: period %s is not a %s", name, period, v.Period)
	}
	if v.Type == Enum {
		for i, c := range col.Ints {
			if c < 0 || int(c) >= len(v.Values) {
				return fmt.Errorf("set input %s: row %d has enum index %d", name, i, c)
			}
		}
	}
	if v.Type == Money {
		if i := wholeQepik(col.Floats); i >= 0 {
			return fmt.Errorf("set input %s: row %d amount %v is not in whole qəpik", name, i, col.Floats[i])
		}
	}
	if i := v.checkRange(col); i >= 0 {
		return &RangeError{Variable: v, Row: i, Value: v.value(col, i)}
	}
	e := s.newEntry()
	e.col, e.src = col, fromInput
	s.store(mkey(v, period), e)
	return nil
}

// Compute returns variable name for period, computing what it depends on.
// A month period asked of a year variable means the year containing it; a
// year asked of a month variable is an error. Errors: an unknown variable, a
// bad period, a parameter with no value on a date the formulas need.
func (s *Simulation) Compute(name string, period Period) (Column, error) {
	v, ok := s.rs.vars[name]
	if !ok {
		if name == "role" {
			v = roleVar
		} else {
			return Column{}, fmt.Errorf("compute: unknown variable %q", name)
		}
	}
	return s.computeVar(v, period)
}

// computeVar is Compute of variable v.
func (s *Simulation) computeVar(v *Variable, period Period) (Column, error) {
	if v.Period == Month && period.Kind != Month {
		return Column{}, fmt.Errorf("compute %s: a month variable needs a month period, not %s", v.Name, period)
	}
	if v.Period == Year && period.Kind == Eternity {
		return Column{}, fmt.Errorf("compute %s: a year variable needs a year or month period", v.Name)
	}
	e, err := s.compute(v, period.As(v.Period))
	if err != nil {
		return Column{}, err
	}
	return e.col, nil
}

func (s *Simulation) compute(v *Variable, p Period) (*entry, error) {
	k := mkey(v, p)
	if e := s.lookup(k); e != nil {
		return e, nil
	}
	f := v.formulaAt(p.Start())
	if f == nil {
		col := s.column(v.Type, s.pop.size(v.Entity))
		if err := fill(v, col); err != nil {
			return nil, err
		}
		e := s.newEntry()
		e.col, e.src, e.owned = col, fromDefault, s.sc == nil
		s.store(k, e)
		return e, nil
	}
	e := s.newEntry()
	e.src, e.formula, e.owned = fromFormula, f, s.sc == nil
	col, err := s.run(f.prog, p, e, v.Type == Money)
	if err != nil {
		return nil, err
	}
	col.Type = v.Type
	e.col = col
	s.store(k, e)
	return e, nil
}

func fill(v *Variable, col Column) error {
	if col.Len() == 0 {
		return nil
	}
	d := v.def
	if d.Len() != 1 || d.Type != col.Type {
		if err := v.set(col, 0, v.Default); err != nil {
			return err
		}
		d = col
	}
	switch {
	case col.Bools != nil:
		fillB(col.Bools, d.Bools[0])
	case col.Ints != nil:
		fillI(col.Ints, d.Ints[0])
	default:
		fillF(col.Floats, d.Floats[0])
	}
	return nil
}

// run evaluates program p for period per over all rows of p's entity,
// recording what it read in e. With round set the result is money: each
// block is rounded to whole qəpik as soon as it is computed.
func (s *Simulation) run(p *program, per Period, e *entry, round bool) (Column, error) {
	n := s.pop.size(p.entity)
	x := s.getExec()
	defer s.putExec(x)
	x.sim, x.prog, x.period = s, p, per
	x.cols = slices.Grow(x.cols[:0], len(p.refs))[:len(p.refs)]
	if s.trace && e.deps == nil {
		e.deps = make([]vkey, 0, len(p.refs))
		e.params = make([]paramRead, 0, len(p.params))
	}
	for k, r := range p.refs {
		rp := r.period(per)
		d, err := s.compute(r.v, rp)
		if err != nil {
			return Column{}, err
		}
		x.cols[k] = &d.col
		if s.trace {
			e.deps = append(e.deps, mkey(r.v, rp))
		}
	}
	date := per.Start()
	x.pvals = slices.Grow(x.pvals[:0], len(p.params))[:len(p.params)]
	x.tables = slices.Grow(x.tables[:0], p.tables)[:p.tables]
	for k, u := range p.params {
		if u.kind == puScalarF && u.slot < 0 {
			x.pvals[k] = nil
			if s.trace {
				e.params = append(e.params, paramRead{p: u.p, ts: u.ts}) // at(): per row
			}
			continue
		}
		pv, err := u.p.At(date)
		if err != nil {
			return Column{}, fmt.Errorf("compute: %w", err)
		}
		x.pvals[k] = pv
		if s.trace {
			e.params = append(e.params, paramRead{p: u.p, v: pv, ts: u.ts})
		}
		if u.kind == puTable {
			t := s.floats(len(u.keys))
			for i, k := range u.keys {
				val, ok := pv.Table[k]
				if !ok && u.p.Default != nil {
					val = *u.p.Default
				}
				t[i] = val
			}
			x.tables[u.tk] = t
		}
	}
	if len(p.hoists) > 0 {
		x.hoisted = slices.Grow(x.hoisted[:0], len(p.hoists))[:len(p.hoists)]
		for k, h := range p.hoists {
			c, err := s.run(h, per, e, false)
			if err != nil {
				return Column{}, err
			}
			x.hoisted[k] = c
		}
	}
	out := s.column(p.rootType(), n)
	nb := (n + blockSize - 1) / blockSize
	w := s.workers
	if nb < parallelMinBlocks*w {
		w = max(1, nb/parallelMinBlocks)
	}
	if w <= 1 {
		x.scratch(min(n, blockSize))
		x.blocks(out, 0, n, round)
	} else {
		// Contiguous runs of whole blocks, one per worker; each block's
		// rows depend only on the inputs, so the result is the same
		// however the blocks are shared out.
		var wg sync.WaitGroup
		for k := 1; k < w; k++ {
			xw := new(exec)
			*xw = *x
			xw.buf, xw.bbuf, xw.fsX, xw.isX, xw.bsX, xw.memo = nil, nil, nil, nil, nil, nil // scratch of its own
			lo, hi := nb*k/w*blockSize, min(nb*(k+1)/w*blockSize, n)
			wg.Go(func() {
				xw.scratch(blockSize)
				xw.blocks(out, lo, hi, round)
			})
		}
		x.scratch(blockSize)
		x.blocks(out, 0, nb/w*blockSize, round)
		wg.Wait()
	}
	for _, c := range x.hoisted {
		putColumn(c)
	}
	return out, nil
}

// parallelMinBlocks is the fewest blocks worth a worker of their own.
const parallelMinBlocks = 16

// rootType returns the column type a program's root produces.
func (p *program) rootType() Type {
	switch {
	case p.rootF != nil:
		return Float
	case p.rootI != nil:
		return Int
	}
	return Bool
}

// scratch gives x its own scratch slots of n rows and fills the uniform
// ones (literals, period bounds, parameters at the period's start).
func (x *exec) scratch(n int) {
	p := x.prog
	// Slot headers live in x when few enough; int and float slots share one
	// buffer (both are 8 bytes without pointers). They are built in locals
	// and stored once.
	fs, is, bs := x.fsA[:0], x.isA[:0], x.bsA[:0]
	if p.nF > len(x.fsA) {
		x.fsX = slices.Grow(x.fsX[:0], p.nF)
		fs = x.fsX
	}
	if p.nI > len(x.isA) {
		x.isX = slices.Grow(x.isX[:0], p.nI)
		is = x.isX
	}
	if p.nB > len(x.bsA) {
		x.bsX = slices.Grow(x.bsX[:0], p.nB)
		bs = x.bsX
	}
	if p.nF+p.nI > 0 {
		if len(x.buf) < (p.nF+p.nI)*n {
			x.buf = make([]int64, (p.nF+p.nI)*n)
		}
		buf := x.buf
		for i := range p.nI {
			is = append(is, buf[i*n:(i+1)*n:(i+1)*n])
		}
		buf = buf[p.nI*n:]
		fbuf := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(buf))), len(buf))
		for i := range p.nF {
			fs = append(fs, fbuf[i*n:(i+1)*n:(i+1)*n])
		}
	}
	if p.nB > 0 {
		if len(x.bbuf) < p.nB*n {
			x.bbuf = make([]bool, p.nB*n)
		}
		buf := x.bbuf
		for i := range p.nB {
			bs = append(bs, buf[i*n:(i+1)*n:(i+1)*n])
		}
	}
	x.fs, x.is, x.bs = fs, is, bs
	x.memo = slices.Grow(x.memo[:0], p.nMemo)[:p.nMemo]
	for k := range x.memo {
		x.memo[k] = -1
	}
	for _, c := range p.consts {
		switch c.ph {
		case pFloat:
			fillF(x.fs[c.slot], c.f)
		case pBool:
			fillB(x.bs[c.slot], c.b)
		default:
			v := c.i
			if c.what != cLiteral {
				v = periodConst(c.what, x.period)
			}
			fillI(x.is[c.slot], v)
		}
	}
	for k, u := range p.params {
		pv := x.pvals[k]
		switch {
		case pv == nil:
		case u.kind == puScalarF:
			fillF(x.fs[u.slot], pv.Value)
		case u.kind == puScalarI:
			fillI(x.is[u.slot], int64(pv.Value))
		case u.kind == puScalarIF:
			fillF(x.fs[u.slot], float64(int64(pv.Value)))
		}
	}
}

// blocks computes rows [lo, hi) of the program into out, block by block.
// A root that computes (rather than reads a stored column or a uniform)
// writes straight into out.
func (x *exec) blocks(out Column, lo, hi int, round bool) {
	p := x.prog
	slot := p.rootSlot
	switch {
	case p.rootF != nil:
		root := p.rootF
		for b := lo; b < hi; b += blockSize {
			e := min(b+blockSize, hi)
			dst := out.Floats[b:e]
			if slot >= 0 {
				x.fs[slot] = dst
			}
			if r := root.f(x, b, e); slot < 0 {
				copy(dst, r)
			}
			if round {
				roundMoney(dst)
			}
		}
	case p.rootI != nil:
		root := p.rootI
		for b := lo; b < hi; b += blockSize {
			e := min(b+blockSize, hi)
			dst := out.Ints[b:e]
			if slot >= 0 {
				x.is[slot] = dst
			}
			if r := root.i(x, b, e); slot < 0 {
				copy(dst, r)
			}
		}
	case p.rootB != nil:
		root := p.rootB
		for b := lo; b < hi; b += blockSize {
			e := min(b+blockSize, hi)
			dst := out.Bools[b:e]
			if slot >= 0 {
				x.bs[slot] = dst
			}
			if r := root.b(x, b, e); slot < 0 {
				copy(dst, r)
			}
		}
	}
}

func fillF(s []float64, v float64) {
	for i := range s {
		s[i] = v
	}
}

func fillI(s []int64, v int64) {
	for i := range s {
		s[i] = v
	}
}

func fillB(s []bool, v bool) {
	for i := range s {
		s[i] = v
	}
}

// Column buffers of at least poolMinRows rows are pooled by type and length:
// hoisted temporaries go back as soon as their program has run, and a
// Simulation's computed columns when it is Released, so a population run
// that builds one simulation after another reuses memory that is already
// mapped instead of faulting in fresh pages.
const poolMinRows = 4 * blockSize

type poolKey struct {
	ph phys
	n  int
}

var colPools sync.Map // poolKey → *sync.Pool

func poolFor(ph phys, n int) *sync.Pool {
	k := poolKey{ph, n}
	if p, ok := colPools.Load(k); ok {
		return p.(*sync.Pool)
	}
	p, _ := colPools.LoadOrStore(k, &sync.Pool{})
	return p.(*sync.Pool)
}

// getColumn returns a column of n rows whose contents are undefined: every
// caller overwrites every row.
func getColumn(t Type, n int) Column {
	if n < poolMinRows {
		return newColumn(t, n)
	}
	c := Column{Type: t}
	v := poolFor(t.phys(), n).Get()
	if v == nil {
		return newColumn(t, n)
	}
	switch t.phys() {
	case pBool:
		c.Bools = *v.(*[]bool)
	case pInt:
		c.Ints = *v.(*[]int64)
	default:
		c.Floats = *v.(*[]float64)
	}
	return c
}

// putColumn gives c's buffer back to the pool; c must not be used again.
func putColumn(c Column) {
	n := c.Len()
	if n < poolMinRows {
		return
	}
	p := poolFor(c.Type.phys(), n)
	switch c.Type.phys() {
	case pBool:
		b := c.Bools
		p.Put(&b)
	case pInt:
		i := c.Ints
		p.Put(&i)
	default:
		f := c.Floats
		p.Put(&f)
	}
}
