package rules

import (
	"fmt"
	"slices"
	"strings"
)

// build checks and compiles a spec into a RuleSet.
func (sp *spec) build() (*RuleSet, error) {
	rs := &RuleSet{vars: map[string]*Variable{}, params: sp.params, spec: sp}
	for name, v := range sp.vars {
		nv := *v
		nv.Formulas = make([]*Formula, len(v.Formulas))
		for i, f := range v.Formulas {
			nf := *f
			nf.prog = nil
			nv.Formulas[i] = &nf
		}
		rs.vars[name] = &nv
		rs.order = append(rs.order, name)
	}
	slices.Sort(rs.order)
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

type key struct {
	name   string
	period Period
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
	deps    []key
	params  []paramRead
}

// paramRead is a parameter a formula read: at the period's start (Value
// set) or per row on dates in a column (Value nil).
type paramRead struct {
	p *Parameter
	v *ParamValue
}

// Simulation computes variables for one Population under one RuleSet,
// caching every column it computes. A Simulation is not safe for concurrent
// use; build one per goroutine.
type Simulation struct {
	rs    *RuleSet
	pop   *Population
	cache map[key]*entry
}

// NewSimulation returns an empty simulation of pop.
func (rs *RuleSet) NewSimulation(pop *Population) *Simulation {
	s := &Simulation{rs: rs, pop: pop, cache: map[key]*entry{}}
	s.cache[key{"role", Period{Kind: Eternity}}] = &entry{col: Column{Type: Enum, Ints: pop.role}, src: fromInput}
	return s
}

// SetInput gives the values of variable name for period (any period of a
// variable's own kind; ignored kinds are an error). An input may also be
// given for a computed variable: it then replaces the formula for that
// period. col must have the variable's type and one row per entity row;
// the simulation keeps col, so do not modify it afterwards.
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
		for i, x := range col.Floats {
			if RoundMoney(x) != x {
				return fmt.Errorf("set input %s: row %d amount %v is not in whole qəpik", name, i, x)
			}
		}
	}
	s.cache[key{name, period}] = &entry{col: col, src: fromInput}
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
	if v.Period == Month && period.Kind != Month {
		return Column{}, fmt.Errorf("compute %s: a month variable needs a month period, not %s", name, period)
	}
	if v.Period == Year && period.Kind == Eternity {
		return Column{}, fmt.Errorf("compute %s: a year variable needs a year or month period", name)
	}
	e, err := s.compute(v, period.As(v.Period))
	if err != nil {
		return Column{}, err
	}
	return e.col, nil
}

func (s *Simulation) compute(v *Variable, p Period) (*entry, error) {
	k := key{v.Name, p}
	if e, ok := s.cache[k]; ok {
		return e, nil
	}
	f := v.formulaAt(p.Start())
	if f == nil {
		col := newColumn(v.Type, s.pop.size(v.Entity))
		if err := fill(v, col); err != nil {
			return nil, err
		}
		e := &entry{col: col, src: fromDefault}
		s.cache[k] = e
		return e, nil
	}
	e := &entry{src: fromFormula, formula: f}
	col, err := s.run(f.prog, p, e)
	if err != nil {
		return nil, err
	}
	col.Type = v.Type
	if v.Type == Money {
		for i, x := range col.Floats {
			col.Floats[i] = RoundMoney(x)
		}
	}
	e.col = col
	s.cache[k] = e
	return e, nil
}

func fill(v *Variable, col Column) error {
	if col.Len() == 0 {
		return nil
	}
	if err := v.set(col, 0, v.Default); err != nil {
		return err
	}
	switch {
	case col.Bools != nil:
		for i := range col.Bools {
			col.Bools[i] = col.Bools[0]
		}
	case col.Ints != nil:
		for i := range col.Ints {
			col.Ints[i] = col.Ints[0]
		}
	default:
		for i := range col.Floats {
			col.Floats[i] = col.Floats[0]
		}
	}
	return nil
}

// run evaluates program p for period per over all rows of p's entity,
// recording what it read in e.
func (s *Simulation) run(p *program, per Period, e *entry) (Column, error) {
	n := s.pop.size(p.entity)
	x := &exec{sim: s, prog: p, period: per}
	x.cols = make([]Column, len(p.refs))
	for k, r := range p.refs {
		rp := r.period(per)
		d, err := s.compute(r.v, rp)
		if err != nil {
			return Column{}, err
		}
		x.cols[k] = d.col
		e.deps = append(e.deps, key{r.v.Name, rp})
	}
	bs := min(n, blockSize)
	x.fs = make([][]float64, p.nF)
	x.is = make([][]int64, p.nI)
	x.bs = make([][]bool, p.nB)
	for i := range x.fs {
		x.fs[i] = make([]float64, bs)
	}
	for i := range x.is {
		x.is[i] = make([]int64, bs)
	}
	for i := range x.bs {
		x.bs[i] = make([]bool, bs)
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
				v = periodConst(c.what, per)
			}
			fillI(x.is[c.slot], v)
		}
	}
	date := per.Start()
	x.pvals = make([]*ParamValue, len(p.params))
	x.tables = make([][]float64, p.tables)
	for k, u := range p.params {
		if u.kind == puScalarF && u.slot < 0 {
			e.params = append(e.params, paramRead{p: u.p}) // at(): per row
			continue
		}
		pv, err := u.p.At(date)
		if err != nil {
			return Column{}, fmt.Errorf("compute: %w", err)
		}
		x.pvals[k] = pv
		e.params = append(e.params, paramRead{p: u.p, v: pv})
		switch u.kind {
		case puScalarF:
			fillF(x.fs[u.slot], pv.Value)
		case puScalarI:
			fillI(x.is[u.slot], int64(pv.Value))
		case puTable:
			t := make([]float64, len(u.keys))
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
	x.hoisted = make([]Column, len(p.hoists))
	for k, h := range p.hoists {
		c, err := s.run(h, per, e)
		if err != nil {
			return Column{}, err
		}
		x.hoisted[k] = c
	}
	var out Column
	switch root := p.root.(type) {
	case fNode:
		out.Floats = make([]float64, n)
		for lo := 0; lo < n; lo += blockSize {
			hi := min(lo+blockSize, n)
			copy(out.Floats[lo:hi], root.f(x, lo, hi))
		}
		out.Type = Float
	case iNode:
		out.Ints = make([]int64, n)
		for lo := 0; lo < n; lo += blockSize {
			hi := min(lo+blockSize, n)
			copy(out.Ints[lo:hi], root.i(x, lo, hi))
		}
		out.Type = Int
	case bNode:
		out.Bools = make([]bool, n)
		for lo := 0; lo < n; lo += blockSize {
			hi := min(lo+blockSize, n)
			copy(out.Bools[lo:hi], root.b(x, lo, hi))
		}
		out.Type = Bool
	}
	return out, nil
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
