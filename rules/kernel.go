package rules

// Kernels: a compiled formula is a tree of nodes; each node computes a block
// of rows [lo, hi) of one entity at a time and returns a slice of hi-lo
// values. Leaves return sub-slices of stored columns without copying; inner
// nodes write into their own scratch slot in exec, sized to one block, so
// every temporary stays in cache. Nodes hold no per-run state: one compiled
// program serves many simulations at once.

import (
	"math"
	"unsafe"
)

// testHook, when set by a test, is called with a kernel's name each time
// some kernels (add_months, at, fused at) compute a block, so tests can
// count evaluations. It is nil outside tests.
var testHook func(kernel string)

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
	cols    []*Column     // resolved refs (the entries' columns)
	pvals   []*ParamValue // resolved scalar, table and scale parameters
	tables  [][]float64   // per table use: value by enum index
	hoisted []Column      // per hoist: its full column over the other entity
	fs      [][]float64   // scratch by slot
	is      [][]int64
	bs      [][]bool
	fsA     [8][]float64 // backing for fs, is and bs in small programs
	isA     [8][]int64
	bsA     [8][]bool
	buf     []int64     // backing of the int and float slots, reused by a pooled simulation
	bbuf    []bool      // backing of the bool slots
	fsX     [][]float64 // backing for fs, is and bs in larger programs
	isX     [][]int64
	bsX     [][]bool
	memo    []int // per memo wrapper: the first row of the block it holds, or -1
}

// Shared subexpressions. A node that occurs more than once in a formula is
// compiled once and read through a memo wrapper: the first read in a block
// runs it, later reads in the same block return its scratch slot.

type memoF struct {
	n    fNode
	slot int // n's scratch slot
	k    int // index into exec.memo
}

type memoI struct {
	n    iNode
	slot int
	k    int
}

type memoB struct {
	n    bNode
	slot int
	k    int
}

func (m *memoF) f(x *exec, lo, hi int) []float64 {
	if x.memo[m.k] == lo {
		return x.fs[m.slot][:hi-lo]
	}
	r := m.n.f(x, lo, hi)
	x.memo[m.k] = lo
	return r
}

func (m *memoI) i(x *exec, lo, hi int) []int64 {
	if x.memo[m.k] == lo {
		return x.is[m.slot][:hi-lo]
	}
	r := m.n.i(x, lo, hi)
	x.memo[m.k] = lo
	return r
}

func (m *memoB) b(x *exec, lo, hi int) []bool {
	if x.memo[m.k] == lo {
		return x.bs[m.slot][:hi-lo]
	}
	r := m.n.b(x, lo, hi)
	x.memo[m.k] = lo
	return r
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
	// ak or bk is the slot of a uniform operand (a constant or a parameter)
	// read as a scalar, or -1; a or b is then nil.
	ak, bk int
}

func (n *binF) f(x *exec, lo, hi int) []float64 {
	out := x.fs[n.slot][:hi-lo]
	switch {
	case n.bk >= 0:
		a := n.a.f(x, lo, hi)[:len(out)]
		binFK(n.op, out, a, x.fs[n.bk][0])
	case n.ak >= 0:
		b := n.b.f(x, lo, hi)[:len(out)]
		binKF(n.op, out, x.fs[n.ak][0], b)
	default:
		a := n.a.f(x, lo, hi)[:len(out)]
		b := n.b.f(x, lo, hi)[:len(out)]
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
	}
	return out
}

func binFK(o op, out, a []float64, k float64) {
	a = a[:len(out)]
	switch o {
	case opAdd:
		for i := range out {
			out[i] = a[i] + k
		}
	case opSub:
		for i := range out {
			out[i] = a[i] - k
		}
	case opMul:
		for i := range out {
			out[i] = a[i] * k
		}
	case opDiv:
		for i := range out {
			out[i] = a[i] / k
		}
	case opMax:
		for i := range out {
			out[i] = fmax(a[i], k)
		}
	case opMin:
		for i := range out {
			out[i] = fmin(a[i], k)
		}
	}
}

func binKF(o op, out []float64, k float64, b []float64) {
	b = b[:len(out)]
	switch o {
	case opAdd:
		for i := range out {
			out[i] = k + b[i]
		}
	case opSub:
		for i := range out {
			out[i] = k - b[i]
		}
	case opMul:
		for i := range out {
			out[i] = k * b[i]
		}
	case opDiv:
		for i := range out {
			out[i] = k / b[i]
		}
	case opMax:
		for i := range out {
			out[i] = fmax(k, b[i])
		}
	case opMin:
		for i := range out {
			out[i] = fmin(k, b[i])
		}
	}
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
	op     op
	a, b   iNode
	slot   int
	ak, bk int // as in binF
}

func (n *binI) i(x *exec, lo, hi int) []int64 {
	out := x.is[n.slot][:hi-lo]
	var a, b []int64
	var ka, kb int64
	if n.ak >= 0 {
		ka = x.is[n.ak][0]
	} else {
		a = n.a.i(x, lo, hi)[:len(out)]
	}
	if n.bk >= 0 {
		kb = x.is[n.bk][0]
	} else {
		b = n.b.i(x, lo, hi)[:len(out)]
	}
	switch {
	case n.bk >= 0:
		switch n.op {
		case opAdd:
			for i := range out {
				out[i] = a[i] + kb
			}
		case opSub:
			for i := range out {
				out[i] = a[i] - kb
			}
		case opMul:
			for i := range out {
				out[i] = a[i] * kb
			}
		default:
			for i := range out {
				out[i] = iop(n.op, a[i], kb)
			}
		}
	case n.ak >= 0:
		for i := range out {
			out[i] = iop(n.op, ka, b[i])
		}
	default:
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
	}
	return out
}

func iop(o op, a, b int64) int64 {
	switch o {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	case opDiv:
		return idiv(a, b)
	case opMod:
		return imod(a, b)
	case opMax:
		return max(a, b)
	}
	return min(a, b)
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

// flip returns the comparison with its operands swapped: a < b is b > a.
func (c cmp) flip() cmp {
	switch c {
	case cmpLt:
		return cmpGt
	case cmpLe:
		return cmpGe
	case cmpGt:
		return cmpLt
	case cmpGe:
		return cmpLe
	}
	return c
}

type cmpF struct {
	c    cmp
	a, y fNode
	slot int
	yk   int // the slot of a uniform right operand, or -1 (y is then nil)
}

func (n *cmpF) b(x *exec, lo, hi int) []bool {
	out := x.bs[n.slot][:hi-lo]
	a := n.a.f(x, lo, hi)[:len(out)]
	if n.yk >= 0 {
		compareConst(n.c, a, x.fs[n.yk][0], out)
	} else {
		compareCols(n.c, a, n.y.f(x, lo, hi)[:len(out)], out)
	}
	return out
}

type cmpI struct {
	c    cmp
	a, y iNode
	slot int
	yk   int // as in cmpF
}

func (n *cmpI) b(x *exec, lo, hi int) []bool {
	out := x.bs[n.slot][:hi-lo]
	a := n.a.i(x, lo, hi)[:len(out)]
	if n.yk >= 0 {
		compareConst(n.c, a, x.is[n.yk][0], out)
	} else {
		compareCols(n.c, a, n.y.i(x, lo, hi)[:len(out)], out)
	}
	return out
}

// compareConst sets out[i] to a[i] c k. Int64 and float64 are different
// GC shapes, so each instantiation is compiled to its own tight loops.
func compareConst[T int64 | float64](c cmp, a []T, k T, out []bool) {
	switch c {
	case cmpEq:
		for i := range out {
			out[i] = a[i] == k
		}
	case cmpNe:
		for i := range out {
			out[i] = a[i] != k
		}
	case cmpLt:
		for i := range out {
			out[i] = a[i] < k
		}
	case cmpLe:
		for i := range out {
			out[i] = a[i] <= k
		}
	case cmpGt:
		for i := range out {
			out[i] = a[i] > k
		}
	case cmpGe:
		for i := range out {
			out[i] = a[i] >= k
		}
	}
}

// compareCols sets out[i] to a[i] c b[i].
func compareCols[T int64 | float64](c cmp, a, b []T, out []bool) {
	switch c {
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
	// Bools are bytes holding 0 or 1: combine them eight at a time.
	ow, aw, bw := words(out), words(a), words(b)
	aw, bw = aw[:len(ow)], bw[:len(ow)]
	switch n.l {
	case lAnd:
		for i := range ow {
			ow[i] = aw[i] & bw[i]
		}
	case lOr:
		for i := range ow {
			ow[i] = aw[i] | bw[i]
		}
	case lEq:
		for i := range ow {
			ow[i] = ^(aw[i] ^ bw[i]) & ones
		}
	case lNe:
		for i := range ow {
			ow[i] = aw[i] ^ bw[i]
		}
	}
	for i := len(ow) * 8; i < len(out); i++ {
		switch n.l {
		case lAnd:
			out[i] = a[i] && b[i]
		case lOr:
			out[i] = a[i] || b[i]
		case lEq:
			out[i] = a[i] == b[i]
		case lNe:
			out[i] = a[i] != b[i]
		}
	}
	return out
}

// ones has a 1 in every byte.
const ones = 0x0101010101010101

// words returns the whole 8-byte words of a bool slice as uint64s.
func words(b []bool) []uint64 {
	if len(b) < 8 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

// mask returns all ones for true and zero for false, without a branch.
func mask(b bool) uint64 {
	return -uint64(*(*uint8)(unsafe.Pointer(&b)))
}

type notB struct {
	a    bNode
	slot int
}

func (n *notB) b(x *exec, lo, hi int) []bool {
	a := n.a.b(x, lo, hi)
	out := x.bs[n.slot][:len(a)]
	ow, aw := words(out), words(a)
	aw = aw[:len(ow)]
	for i := range ow {
		ow[i] = aw[i] ^ ones
	}
	for i := len(ow) * 8; i < len(out); i++ {
		out[i] = !a[i]
	}
	return out
}

// Conditionals compute both branches and select.

type condF struct {
	c      bNode
	a, b   fNode
	slot   int
	ak, bk int // slots of uniform branches, or -1 (a or b is then nil)
}

func (n *condF) f(x *exec, lo, hi int) []float64 {
	out := x.fs[n.slot][:hi-lo]
	c := n.c.b(x, lo, hi)[:len(out)]
	// Select on the bits, without a branch per row (conditions are often
	// unpredictable).
	switch {
	case n.ak >= 0 && n.bk >= 0:
		ka, kb := math.Float64bits(x.fs[n.ak][0]), math.Float64bits(x.fs[n.bk][0])
		for i := range out {
			m := mask(c[i])
			out[i] = math.Float64frombits(ka&m | kb&^m)
		}
	case n.bk >= 0:
		a, kb := n.a.f(x, lo, hi)[:len(out)], math.Float64bits(x.fs[n.bk][0])
		for i := range out {
			m := mask(c[i])
			out[i] = math.Float64frombits(math.Float64bits(a[i])&m | kb&^m)
		}
	case n.ak >= 0:
		ka, b := math.Float64bits(x.fs[n.ak][0]), n.b.f(x, lo, hi)[:len(out)]
		for i := range out {
			m := mask(c[i])
			out[i] = math.Float64frombits(ka&m | math.Float64bits(b[i])&^m)
		}
	default:
		a, b := n.a.f(x, lo, hi)[:len(out)], n.b.f(x, lo, hi)[:len(out)]
		for i := range out {
			m := mask(c[i])
			out[i] = math.Float64frombits(math.Float64bits(a[i])&m | math.Float64bits(b[i])&^m)
		}
	}
	return out
}

type condI struct {
	c      bNode
	a, b   iNode
	slot   int
	ak, bk int // as in condF
}

func (n *condI) i(x *exec, lo, hi int) []int64 {
	out := x.is[n.slot][:hi-lo]
	c := n.c.b(x, lo, hi)[:len(out)]
	switch {
	case n.ak >= 0 && n.bk >= 0:
		ka, kb := x.is[n.ak][0], x.is[n.bk][0]
		for i := range out {
			v := kb
			if c[i] {
				v = ka
			}
			out[i] = v
		}
	case n.bk >= 0:
		a, kb := n.a.i(x, lo, hi)[:len(out)], x.is[n.bk][0]
		for i := range out {
			v := kb
			if c[i] {
				v = a[i]
			}
			out[i] = v
		}
	case n.ak >= 0:
		ka, b := x.is[n.ak][0], n.b.i(x, lo, hi)[:len(out)]
		for i := range out {
			v := b[i]
			if c[i] {
				v = ka
			}
			out[i] = v
		}
	default:
		a, b := n.a.i(x, lo, hi)[:len(out)], n.b.i(x, lo, hi)[:len(out)]
		for i := range out {
			v := b[i]
			if c[i] {
				v = a[i]
			}
			out[i] = v
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
	ow, cw, aw, bw := words(out), words(c), words(a), words(b)
	cw, aw, bw = cw[:len(ow)], aw[:len(ow)], bw[:len(ow)]
	for i := range ow {
		ow[i] = cw[i]&aw[i] | (cw[i]^ones)&bw[i]
	}
	for i := len(ow) * 8; i < len(out); i++ {
		out[i] = (c[i] && a[i]) || (!c[i] && b[i])
	}
	return out
}

// Dates.

type monthsBetweenI struct {
	a, b  iNode
	years bool
	slot  int
	bk    int // the slot of a uniform b (period_start, a date literal), or -1
}

func (n *monthsBetweenI) i(x *exec, lo, hi int) []int64 {
	out := x.is[n.slot][:hi-lo]
	a := n.a.i(x, lo, hi)[:len(out)]
	if n.bk >= 0 {
		// The usual age: one table read per row.
		bp := civilPacked(Date(x.is[n.bk][0]))
		tbl := civilTable
		for i := range out {
			var ap int64
			if d := a[i] - int64(civilBase); uint64(d) < uint64(len(tbl)) {
				ap = int64(tbl[d])
			} else {
				ap = civilPacked(Date(a[i]))
			}
			out[i] = monthsBetweenPacked(ap, bp)
		}
	} else {
		b := n.b.i(x, lo, hi)[:len(out)]
		for i := range out {
			out[i] = monthsBetween(Date(a[i]), Date(b[i]))
		}
	}
	if n.years {
		for i := range out {
			out[i] /= 12
		}
	}
	return out
}

type addMonthsI struct {
	d, n iNode
	slot int
}

func (n *addMonthsI) i(x *exec, lo, hi int) []int64 {
	if testHook != nil {
		testHook("add_months")
	}
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
	if testHook != nil {
		testHook("at")
	}
	d := n.d.i(x, lo, hi)
	out := x.is[n.slot][:len(d)]
	for i := range out {
		out[i] = int64(paramAt(n.p, Date(d[i])))
	}
	return out
}

// atSelF and atSelI are c ? at(p[1], d) : at(p[0], d), one lookup per row
// (the compiler fuses a choice between two at() on the same date, as in a
// retirement age by sex).
type atSelF struct {
	c    bNode
	p    [2]*Parameter // p[1] where c holds, p[0] where not
	d    iNode
	slot int
}

func (n *atSelF) f(x *exec, lo, hi int) []float64 {
	c := n.c.b(x, lo, hi)
	d := n.d.i(x, lo, hi)
	out := x.fs[n.slot][:len(d)]
	c = c[:len(out)]
	for i := range out {
		out[i] = paramAt(n.p[b2i(c[i])], Date(d[i]))
	}
	return out
}

type atSelI struct {
	c    bNode
	p    [2]*Parameter
	d    iNode
	slot int
}

func (n *atSelI) i(x *exec, lo, hi int) []int64 {
	if testHook != nil {
		testHook("at_sel")
	}
	c := n.c.b(x, lo, hi)
	d := n.d.i(x, lo, hi)
	out := x.is[n.slot][:len(d)]
	c = c[:len(out)]
	for i := range out {
		out[i] = int64(paramAt(n.p[b2i(c[i])], Date(d[i])))
	}
	return out
}

// b2i is 1 for true and 0 for false, without a branch.
func b2i(b bool) int {
	return int(*(*uint8)(unsafe.Pointer(&b)))
}

// paramAt is the value of scalar p on d, or 0 before its first value. The
// search is branch-free (dates per row are not predictable): it narrows
// [base, base+n) to the last value starting on or before d.
func paramAt(p *Parameter, d Date) float64 {
	vs := p.Values
	n := len(vs)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		if vs[base+half].From <= d {
			base += half
		}
		n -= half
	}
	v := vs[base].Value
	if vs[base].From > d {
		v = 0
	}
	return v
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
