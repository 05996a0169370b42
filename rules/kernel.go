package rules

// Kernels: a compiled formula is a tree of nodes; each node computes a block
// of rows [lo, hi) of one entity at a time and returns a slice of hi-lo
// values. Leaves return sub-slices of stored columns without copying; inner
// nodes write into their own scratch slot in exec, sized to one block, so
// every temporary stays in cache. Nodes hold no per-run state: one compiled
// program serves many simulations at once.

import "math"

// blockSize is the number of rows a kernel processes per call.
const blockSize = 1024

type fNode interface {
	f(x *exec, lo, hi int) []float64
}

type iNode interface {
	i(x *exec, lo, hi int) []int64
}

type bNode interface {
	b(x *exec, lo, hi int) []bool
}

// exec is the state of one run of one program over one entity.
type exec struct {
	sim     *Simulation
	prog    *program
	period  Period
	cols    []Column      // resolved refs
	pvals   []*ParamValue // resolved scalar, table and scale parameters
	tables  [][]float64   // per table use: value by enum index
	hoisted []Column      // per hoist: its full column over the other entity
	fs      [][]float64   // scratch by slot
	is      [][]int64
	bs      [][]bool
}

// Leaves.

type refF struct{ k int }
type refI struct{ k int }
type refB struct{ k int }

func (n refF) f(x *exec, lo, hi int) []float64 { return x.cols[n.k].Floats[lo:hi] }
func (n refI) i(x *exec, lo, hi int) []int64   { return x.cols[n.k].Ints[lo:hi] }
func (n refB) b(x *exec, lo, hi int) []bool    { return x.cols[n.k].Bools[lo:hi] }

// Constants are filled into their slot once per run.

type constF struct {
	slot int
	v    float64
}
type constI struct {
	slot int
	v    int64
}
type constB struct {
	slot int
	v    bool
}

func (n constF) f(x *exec, lo, hi int) []float64 { return x.fs[n.slot][:hi-lo] }
func (n constI) i(x *exec, lo, hi int) []int64   { return x.is[n.slot][:hi-lo] }
func (n constB) b(x *exec, lo, hi int) []bool    { return x.bs[n.slot][:hi-lo] }

// paramF and paramI are scalar parameters at the run's period start,
// filled like constants.
type paramF struct{ slot, k int }
type paramI struct{ slot, k int }

func (n paramF) f(x *exec, lo, hi int) []float64 { return x.fs[n.slot][:hi-lo] }
func (n paramI) i(x *exec, lo, hi int) []int64   { return x.is[n.slot][:hi-lo] }

// Arithmetic.

type op uint8

const (
	opAdd op = iota
	opSub
	opMul
	opDiv
	opMod
	opMax
	opMin
)

type binF struct {
	op   op
	a, b fNode
	slot int
}

func (n *binF) f(x *exec, lo, hi int) []float64 {
	a := n.a.f(x, lo, hi)
	b := n.b.f(x, lo, hi)
	out := x.fs[n.slot][:len(a)]
	b = b[:len(out)]
	switch n.op {
	case opAdd:
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case opSub:
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case opMul:
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case opDiv:
		for i := range out {
			out[i] = a[i] / b[i]
		}
	case opMax:
		for i := range out {
			out[i] = fmax(a[i], b[i])
		}
	case opMin:
		for i := range out {
			out[i] = fmin(a[i], b[i])
		}
	}
	return out
}

// fmax and fmin return a when the operands compare equal, so NaN in b is
// ignored and the result never depends on how rows are grouped.
func fmax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

func fmin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

type binI struct {
	op   op
	a, b iNode
	slot int
}

func (n *binI) i(x *exec, lo, hi int) []int64 {
	a := n.a.i(x, lo, hi)
	b := n.b.i(x, lo, hi)
	out := x.is[n.slot][:len(a)]
	b = b[:len(out)]
	switch n.op {
	case opAdd:
		for i := range out {
			out[i] = a[i] + b[i]
		}
	case opSub:
		for i := range out {
			out[i] = a[i] - b[i]
		}
	case opMul:
		for i := range out {
			out[i] = a[i] * b[i]
		}
	case opDiv:
		for i := range out {
			out[i] = idiv(a[i], b[i])
		}
	case opMod:
		for i := range out {
			out[i] = imod(a[i], b[i])
		}
	case opMax:
		for i := range out {
			out[i] = max(a[i], b[i])
		}
	case opMin:
		for i := range out {
			out[i] = min(a[i], b[i])
		}
	}
	return out
}

// idiv is CEL's truncating division, except that division by zero gives 0
// instead of an error (evaluation never fails row by row).
func idiv(a, b int64) int64 {
	if b == 0 || (b == -1 && a == math.MinInt64) {
		return 0
	}
	return a / b
}

func imod(a, b int64) int64 {
	if b == 0 || b == -1 {
		return 0
	}
	return a % b
}

type negF struct {
	a    fNode
	slot int
}

func (n *negF) f(x *exec, lo, hi int) []float64 {
	a := n.a.f(x, lo, hi)
	out := x.fs[n.slot][:len(a)]
	for i := range out {
		out[i] = -a[i]
	}
	return out
}

type negI struct {
	a    iNode
	slot int
}

func (n *negI) i(x *exec, lo, hi int) []int64 {
	a := n.a.i(x, lo, hi)
	out := x.is[n.slot][:len(a)]
	for i := range out {
		out[i] = -a[i]
	}
	return out
}

type absF struct {
	a    fNode
	slot int
}

func (n *absF) f(x *exec, lo, hi int) []float64 {
	a := n.a.f(x, lo, hi)
	out := x.fs[n.slot][:len(a)]
	for i := range out {
		out[i] = math.Abs(a[i])
	}
	return out
}

type absI struct {
	a    iNode
	slot int
}

func (n *absI) i(x *exec, lo, hi int) []int64 {
	a := n.a.i(x, lo, hi)
	out := x.is[n.slot][:len(a)]
	for i := range out {
		v := a[i]
		if v < 0 {
			v = -v
		}
		out[i] = v
	}
	return out
}

// Conversions.

type i2f struct {
	a    iNode
	slot int
}

func (n *i2f) f(x *exec, lo, hi int) []float64 {
	a := n.a.i(x, lo, hi)
	out := x.fs[n.slot][:len(a)]
	for i := range out {
		out[i] = float64(a[i])
	}
	return out
}

// f2i truncates toward zero like CEL's int(double); NaN and values out of
// the int64 range give 0 instead of CEL's error.
type f2i struct {
	a    fNode
	slot int
}

func (n *f2i) i(x *exec, lo, hi int) []int64 {
	a := n.a.f(x, lo, hi)
	out := x.is[n.slot][:len(a)]
	for i := range out {
		v := a[i]
		if v >= -9.2e18 && v <= 9.2e18 {
			out[i] = int64(v)
		} else {
			out[i] = 0
		}
	}
	return out
}

// Comparisons.

type cmp uint8

const (
	cmpEq cmp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type cmpF struct {
	c    cmp
	a, y fNode
	slot int
}

func (n *cmpF) b(x *exec, lo, hi int) []bool {
	a := n.a.f(x, lo, hi)
	b := n.y.f(x, lo, hi)
	out := x.bs[n.slot][:len(a)]
	b = b[:len(out)]
	switch n.c {
	case cmpEq:
		for i := range out {
			out[i] = a[i] == b[i]
		}
	case cmpNe:
		for i := range out {
			out[i] = a[i] != b[i]
		}
	case cmpLt:
		for i := range out {
			out[i] = a[i] < b[i]
		}
	case cmpLe:
		for i := range out {
			out[i] = a[i] <= b[i]
		}
	case cmpGt:
		for i := range out {
			out[i] = a[i] > b[i]
		}
	case cmpGe:
		for i := range out {
			out[i] = a[i] >= b[i]
		}
	}
	return out
}

type cmpI struct {
	c    cmp
	a, y iNode
	slot int
}

func (n *cmpI) b(x *exec, lo, hi int) []bool {
	a := n.a.i(x, lo, hi)
	b := n.y.i(x, lo, hi)
	out := x.bs[n.slot][:len(a)]
	b = b[:len(out)]
	switch n.c {
	case cmpEq:
		for i := range out {
			out[i] = a[i] == b[i]
		}
	case cmpNe:
		for i := range out {
			out[i] = a[i] != b[i]
		}
	case cmpLt:
		for i := range out {
			out[i] = a[i] < b[i]
		}
	case cmpLe:
		for i := range out {
			out[i] = a[i] <= b[i]
		}
	case cmpGt:
		for i := range out {
			out[i] = a[i] > b[i]
		}
	case cmpGe:
		for i := range out {
			out[i] = a[i] >= b[i]
		}
	}
	return out
}

// Logic. CEL's && and || are commutative over errors; with no errors at run
// time both sides are computed and combined.

type logic uint8

const (
	lAnd logic = iota
	lOr
	lEq
	lNe
)

type binB struct {
	l    logic
	a, y bNode
	slot int
}

func (n *binB) b(x *exec, lo, hi int) []bool {
	a := n.a.b(x, lo, hi)
	b := n.y.b(x, lo, hi)
	out := x.bs[n.slot][:len(a)]
	b = b[:len(out)]
	switch n.l {
	case lAnd:
		for i := range out {
			out[i] = a[i] && b[i]
		}
	case lOr:
		for i := range out {
			out[i] = a[i] || b[i]
		}
	case lEq:
		for i := range out {
			out[i] = a[i] == b[i]
		}
	case lNe:
		for i := range out {
			out[i] = a[i] != b[i]
		}
	}
	return out
}

type notB struct {
	a    bNode
	slot int
}

func (n *notB) b(x *exec, lo, hi int) []bool {
	a := n.a.b(x, lo, hi)
	out := x.bs[n.slot][:len(a)]
	for i := range out {
		out[i] = !a[i]
	}
	return out
}

// Conditionals compute both branches and select.

type condF struct {
	c    bNode
	a, b fNode
	slot int
}

func (n *condF) f(x *exec, lo, hi int) []float64 {
	c := n.c.b(x, lo, hi)
	a := n.a.f(x, lo, hi)
	b := n.b.f(x, lo, hi)
	out := x.fs[n.slot][:len(c)]
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		if c[i] {
			out[i] = a[i]
		} else {
			out[i] = b[i]
		}
	}
	return out
}

type condI struct {
	c    bNode
	a, b iNode
	slot int
}

func (n *condI) i(x *exec, lo, hi int) []int64 {
	c := n.c.b(x, lo, hi)
	a := n.a.i(x, lo, hi)
	b := n.b.i(x, lo, hi)
	out := x.is[n.slot][:len(c)]
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		if c[i] {
			out[i] = a[i]
		} else {
			out[i] = b[i]
		}
	}
	return out
}

type condB struct {
	c, a, y bNode
	slot    int
}

func (n *condB) b(x *exec, lo, hi int) []bool {
	c := n.c.b(x, lo, hi)
	a := n.a.b(x, lo, hi)
	b := n.y.b(x, lo, hi)
	out := x.bs[n.slot][:len(c)]
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		out[i] = (c[i] && a[i]) || (!c[i] && b[i])
	}
	return out
}

// Dates.

type monthsBetweenI struct {
	a, b  iNode
	years bool
	slot  int
}

func (n *monthsBetweenI) i(x *exec, lo, hi int) []int64 {
	a := n.a.i(x, lo, hi)
	b := n.b.i(x, lo, hi)
	out := x.is[n.slot][:len(a)]
	b = b[:len(out)]
	for i := range out {
		m := monthsBetween(Date(a[i]), Date(b[i]))
		if n.years {
			m /= 12
		}
		out[i] = m
	}
	return out
}

type addMonthsI struct {
	d, n iNode
	slot int
}

func (n *addMonthsI) i(x *exec, lo, hi int) []int64 {
	d := n.d.i(x, lo, hi)
	m := n.n.i(x, lo, hi)
	out := x.is[n.slot][:len(d)]
	m = m[:len(out)]
	for i := range out {
		out[i] = int64(addMonths(Date(d[i]), m[i]))
	}
	return out
}

// Parameters looked up per row.

// tableF maps enum indexes through a table parameter resolved at the run's
// date into x.tables[k].
type tableF struct {
	k    int
	key  iNode
	slot int
}

func (n *tableF) f(x *exec, lo, hi int) []float64 {
	key := n.key.i(x, lo, hi)
	t := x.tables[n.k]
	out := x.fs[n.slot][:len(key)]
	for i := range out {
		if c := key[i]; uint64(c) < uint64(len(t)) {
			out[i] = t[c]
		} else {
			out[i] = 0
		}
	}
	return out
}

type scaleF struct {
	k    int // index into x.pvals
	a    fNode
	slot int
}

func (n *scaleF) f(x *exec, lo, hi int) []float64 {
	a := n.a.f(x, lo, hi)
	v := x.pvals[n.k]
	out := x.fs[n.slot][:len(a)]
	for i := range out {
		out[i] = v.lookup(a[i])
	}
	return out
}

// atF and atI read a scalar parameter on a date given per row. A date
// before the parameter's first value reads 0: the only default in the
// engine that is not a variable's declared default, documented in doc.go.
type atF struct {
	p    *Parameter
	d    iNode
	slot int
}

func (n *atF) f(x *exec, lo, hi int) []float64 {
	d := n.d.i(x, lo, hi)
	out := x.fs[n.slot][:len(d)]
	for i := range out {
		out[i] = paramAt(n.p, Date(d[i]))
	}
	return out
}

type atI struct {
	p    *Parameter
	d    iNode
	slot int
}

func (n *atI) i(x *exec, lo, hi int) []int64 {
	d := n.d.i(x, lo, hi)
	out := x.is[n.slot][:len(d)]
	for i := range out {
		out[i] = int64(paramAt(n.p, Date(d[i])))
	}
	return out
}

func paramAt(p *Parameter, d Date) float64 {
	vs := p.Values
	lo, hi := 0, len(vs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if vs[m].From <= d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return 0
	}
	return vs[lo-1].Value
}

// Sums over past periods of one variable: k indexes n consecutive refs.

type sumRefsF struct {
	k, n int
	slot int
}

func (s *sumRefsF) f(x *exec, lo, hi int) []float64 {
	out := x.fs[s.slot][:hi-lo]
	copy(out, x.cols[s.k].Floats[lo:hi])
	for j := 1; j < s.n; j++ {
		c := x.cols[s.k+j].Floats[lo:hi]
		for i := range out {
			out[i] += c[i]
		}
	}
	return out
}

type sumRefsI struct {
	k, n int
	slot int
}

func (s *sumRefsI) i(x *exec, lo, hi int) []int64 {
	out := x.is[s.slot][:hi-lo]
	copy(out, x.cols[s.k].Ints[lo:hi])
	for j := 1; j < s.n; j++ {
		c := x.cols[s.k+j].Ints[lo:hi]
		for i := range out {
			out[i] += c[i]
		}
	}
	return out
}

// Entity links. A hoist is a sub-program computed over the whole other
// entity before the blocks run; these nodes read its column.

// fromHouseholdF reads household values for persons.
type fromHouseholdF struct{ h, slot int }
type fromHouseholdI struct{ h, slot int }
type fromHouseholdB struct{ h, slot int }

func (n *fromHouseholdF) f(x *exec, lo, hi int) []float64 {
	src := x.hoisted[n.h].Floats
	hh := x.sim.pop.household[lo:hi]
	out := x.fs[n.slot][:len(hh)]
	for i, h := range hh {
		out[i] = src[h]
	}
	return out
}

func (n *fromHouseholdI) i(x *exec, lo, hi int) []int64 {
	src := x.hoisted[n.h].Ints
	hh := x.sim.pop.household[lo:hi]
	out := x.is[n.slot][:len(hh)]
	for i, h := range hh {
		out[i] = src[h]
	}
	return out
}

func (n *fromHouseholdB) b(x *exec, lo, hi int) []bool {
	src := x.hoisted[n.h].Bools
	hh := x.sim.pop.household[lo:hi]
	out := x.bs[n.slot][:len(hh)]
	for i, h := range hh {
		out[i] = src[h]
	}
	return out
}

type agg uint8

const (
	aggSum agg = iota
	aggCount
	aggAny
	aggAll
	aggMax
	aggMin
)

// aggF aggregates a person column over each household's members, in
// person order; max and min of an empty household are 0.
type aggF struct {
	a       agg
	h, slot int
}

func (n *aggF) f(x *exec, lo, hi int) []float64 {
	src := x.hoisted[n.h].Floats
	p := x.sim.pop
	out := x.fs[n.slot][:hi-lo]
	for i := range out {
		ms := p.members[p.start[lo+i]:p.start[lo+i+1]]
		r := 0.0
		switch n.a {
		case aggSum:
			for _, m := range ms {
				r += src[m]
			}
		case aggMax, aggMin:
			for j, m := range ms {
				if j == 0 {
					r = src[m]
				} else if n.a == aggMax {
					r = fmax(r, src[m])
				} else {
					r = fmin(r, src[m])
				}
			}
		}
		out[i] = r
	}
	return out
}

type aggI struct {
	a       agg
	h, slot int // h < 0: count_members() of all members
}

func (n *aggI) i(x *exec, lo, hi int) []int64 {
	p := x.sim.pop
	out := x.is[n.slot][:hi-lo]
	if n.h < 0 {
		for i := range out {
			out[i] = int64(p.start[lo+i+1] - p.start[lo+i])
		}
		return out
	}
	h := x.hoisted[n.h]
	for i := range out {
		ms := p.members[p.start[lo+i]:p.start[lo+i+1]]
		var r int64
		switch n.a {
		case aggSum:
			for _, m := range ms {
				r += h.Ints[m]
			}
		case aggCount:
			for _, m := range ms {
				if h.Bools[m] {
					r++
				}
			}
		case aggMax, aggMin:
			for j, m := range ms {
				if j == 0 {
					r = h.Ints[m]
				} else if n.a == aggMax {
					r = max(r, h.Ints[m])
				} else {
					r = min(r, h.Ints[m])
				}
			}
		}
		out[i] = r
	}
	return out
}

type aggB struct {
	a       agg
	h, slot int
}

func (n *aggB) b(x *exec, lo, hi int) []bool {
	src := x.hoisted[n.h].Bools
	p := x.sim.pop
	out := x.bs[n.slot][:hi-lo]
	for i := range out {
		ms := p.members[p.start[lo+i]:p.start[lo+i+1]]
		r := n.a == aggAll
		for _, m := range ms {
			if n.a == aggAny && src[m] {
				r = true
				break
			}
			if n.a == aggAll && !src[m] {
				r = false
				break
			}
		}
		out[i] = r
	}
	return out
}
