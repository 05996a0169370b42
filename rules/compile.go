package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// program is one compiled formula (or a hoisted sub-expression of one) over
// one entity.
type program struct {
	entity Entity
	kind   PeriodKind // period kind of the variable the formula computes
	root   any        // fNode, iNode or bNode
	// The root as the one kind of node it is and the slot it writes into
	// (outSlot), set by unwrapRoots: a run reads them instead of
	// switching on root's type.
	rootF    fNode
	rootI    iNode
	rootB    bNode
	rootSlot int
	refs     []ref_
	refIdx   map[ref_]int
	params   []puse
	tables   int
	hoists   []*program
	consts   []constInit
	nF       int
	nI       int
	nB       int
	nMemo    int // memo wrappers (shared subexpressions), numbered 0…nMemo-1
}

// ref_ is a variable read by a program: in the run's period or prev
// periods of the variable's own kind before it.
type ref_ struct {
	v     *Variable
	prev  int
	month time.Month // 1–12: that month of the run's calendar year (sum_year)
}

// period returns the period ref reads when its program runs for p.
func (r ref_) period(p Period) Period {
	if r.month > 0 {
		return MonthOf(p.Year, r.month)
	}
	q := p.As(r.v.Period)
	if r.prev > 0 {
		q = q.Offset(-r.prev)
	}
	return q
}

type puseKind uint8

const (
	puScalarF puseKind = iota
	puScalarI
	puScalarIF // an int parameter read as a double
	puTable
	puScale
)

// puse is a parameter read at the run's period start.
type puse struct {
	p    *Parameter
	kind puseKind
	slot int           // scalars: the scratch slot to fill
	keys []string      // tables: the enum values, in index order
	tk   int           // tables: index into exec.tables
	ts   *paramStrings // p's in the rule set's traceStrings, set by build
}

type constKind uint8

const (
	cLiteral constKind = iota
	cPeriodStart
	cPeriodEnd
)

type constInit struct {
	what constKind
	ph   phys
	slot int
	f    float64
	i    int64
	b    bool
}

func (p *program) slot(ph phys) int {
	switch ph {
	case pFloat:
		p.nF++
		return p.nF - 1
	case pInt:
		p.nI++
		return p.nI - 1
	}
	p.nB++
	return p.nB - 1
}

func (p *program) ref(r ref_) int {
	if k, ok := p.refIdx[r]; ok {
		return k
	}
	if p.refIdx == nil {
		p.refIdx = map[ref_]int{}
	}
	p.refs = append(p.refs, r)
	p.refIdx[r] = len(p.refs) - 1
	return len(p.refs) - 1
}

// setTraceStrings points every parameter use of p and its hoists at the
// parameter's strings in ts.
func (p *program) setTraceStrings(ts *traceStrings) {
	for i := range p.params {
		p.params[i].ts = ts.params[p.params[i].p]
	}
	for _, h := range p.hoists {
		h.setTraceStrings(ts)
	}
}

// visitVars calls fn for every variable p and its hoists read.
func (p *program) visitVars(fn func(*Variable)) {
	for _, r := range p.refs {
		fn(r.v)
	}
	for _, h := range p.hoists {
		h.visitVars(fn)
	}
}

// roleVar is the built-in person variable "role", filled from the
// Population's membership.
var roleVar = &Variable{
	Name: "role", Entity: Person, Type: Enum, Period: Eternity, Values: Roles, Default: "head",
	Label: map[string]string{"az": "Ailədəki rolu", "en": "Role in the household", "ru": "Роль в семье"},
}

var (
	tableType = cel.OpaqueType("rules.table")
	scaleType = cel.OpaqueType("rules.scale")
)

func celType(t Type) *cel.Type {
	switch t {
	case Bool:
		return cel.BoolType
	case Int:
		return cel.IntType
	case Float, Money:
		return cel.DoubleType
	case DateType:
		return cel.TimestampType
	}
	return cel.StringType
}

// newEnv declares every variable, every parameter (as params.<path>), the
// period and the helper functions.
func newEnv(vars map[string]*Variable, params map[string]*Parameter) (*cel.Env, error) {
	d, i, b, ts := cel.DoubleType, cel.IntType, cel.BoolType, cel.TimestampType
	T := cel.TypeParamType("T")
	opts := []cel.EnvOption{
		cel.ClearMacros(),
		cel.CrossTypeNumericComparisons(true),
		cel.Variable("period_start", ts),
		cel.Variable("period_end", ts),
		cel.Variable("role", cel.StringType),
		cel.Function("household", cel.Overload("household_T", []*cel.Type{T}, T)),
		cel.Function("sum_members",
			cel.Overload("sum_members_double", []*cel.Type{d}, d),
			cel.Overload("sum_members_int", []*cel.Type{i}, i)),
		cel.Function("count_members",
			cel.Overload("count_members", nil, i),
			cel.Overload("count_members_bool", []*cel.Type{b}, i)),
		cel.Function("any_members", cel.Overload("any_members_bool", []*cel.Type{b}, b)),
		cel.Function("all_members", cel.Overload("all_members_bool", []*cel.Type{b}, b)),
		cel.Function("max_members",
			cel.Overload("max_members_double", []*cel.Type{d}, d),
			cel.Overload("max_members_int", []*cel.Type{i}, i)),
		cel.Function("min_members",
			cel.Overload("min_members_double", []*cel.Type{d}, d),
			cel.Overload("min_members_int", []*cel.Type{i}, i)),
		cel.Function("prev", cel.Overload("prev_T_int", []*cel.Type{T, i}, T)),
		cel.Function("sum_prev",
			cel.Overload("sum_prev_double_int", []*cel.Type{d, i}, d),
			cel.Overload("sum_prev_int_int", []*cel.Type{i, i}, i)),
		cel.Function("sum_year",
			cel.Overload("sum_year_double", []*cel.Type{d}, d),
			cel.Overload("sum_year_int", []*cel.Type{i}, i)),
		cel.Function("max",
			cel.Overload("max_double_double", []*cel.Type{d, d}, d,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					return types.Double(fmax(float64(a.(types.Double)), float64(b.(types.Double))))
				})),
			cel.Overload("max_int_int", []*cel.Type{i, i}, i,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Int(max(a.(types.Int), b.(types.Int))) }))),
		cel.Function("min",
			cel.Overload("min_double_double", []*cel.Type{d, d}, d,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val {
					return types.Double(fmin(float64(a.(types.Double)), float64(b.(types.Double))))
				})),
			cel.Overload("min_int_int", []*cel.Type{i, i}, i,
				cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Int(min(a.(types.Int), b.(types.Int))) }))),
		cel.Function("abs",
			cel.Overload("abs_double", []*cel.Type{d}, d),
			cel.Overload("abs_int", []*cel.Type{i}, i)),
		cel.Function("years_between", cel.Overload("years_between_ts_ts", []*cel.Type{ts, ts}, i,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Int(monthsBetween(tsDate(a), tsDate(b)) / 12) }))),
		cel.Function("months_between", cel.Overload("months_between_ts_ts", []*cel.Type{ts, ts}, i,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val { return types.Int(monthsBetween(tsDate(a), tsDate(b))) }))),
		cel.Function("add_months", cel.Overload("add_months_ts_int", []*cel.Type{ts, i}, ts)),
		cel.Function("date", cel.Overload("date_string", []*cel.Type{cel.StringType}, ts)),
		cel.Function("table", cel.Overload("table_table_string", []*cel.Type{tableType, cel.StringType}, d)),
		cel.Function("scale", cel.Overload("scale_scale_double", []*cel.Type{scaleType, d}, d)),
		cel.Function("at",
			cel.Overload("at_double_ts", []*cel.Type{d, ts}, d),
			cel.Overload("at_int_ts", []*cel.Type{i, ts}, i)),
	}
	for _, v := range vars {
		opts = append(opts, cel.Variable(v.Name, celType(v.Type)))
	}
	for _, p := range params {
		t := d
		switch {
		case p.Kind == Table:
			t = tableType
		case p.Kind == Scale:
			t = scaleType
		case p.Int:
			t = i
		}
		opts = append(opts, cel.Variable("params."+p.Path, t))
	}
	return cel.NewEnv(opts...)
}

func tsDate(v ref.Val) Date {
	return Date(v.(types.Timestamp).Unix() / 86400)
}

// compiler compiles the checked AST of one formula.
type compiler struct {
	vars   map[string]*Variable
	params map[string]*Parameter
	v      *Variable
	f      *Formula
	a      *ast.AST
	errs   LoadErrors

	// Common subexpressions: keys[id] is the structural key of the
	// subexpression with that AST id ("" when it cannot be shared), uses
	// counts each key's occurrences in the formula, and cse holds the node
	// compiled for a key in each program.
	keys map[int64]string
	uses map[string]int
	cse  map[*program]map[string]any
	f2   map[*program]map[iNode]fNode // double() of an int node, once
}

func (c *compiler) errAt(id int64, format string, args ...any) {
	line := c.f.Line
	if loc := c.a.SourceInfo().GetStartLocation(id); loc.Line() > 0 {
		line += loc.Line() - 1
	}
	c.errs = append(c.errs, &LoadError{File: c.f.File, Line: line, What: "variable", Name: c.v.Name,
		Msg: fmt.Sprintf(format, args...)})
}

func (c *compiler) typeOf(e ast.Expr) *types.Type { return c.a.GetType(e.ID()) }

func (c *compiler) kindOf(e ast.Expr) types.Kind { return c.typeOf(e).Kind() }

// compileFormula type-checks f against env and compiles it into a program.
func compileFormula(env *cel.Env, vars map[string]*Variable, params map[string]*Parameter, v *Variable, f *Formula) (*program, LoadErrors) {
	c := &compiler{vars: vars, params: params, v: v, f: f}
	src := f.Source
	checked, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			line := f.Line
			if e.Location != nil && e.Location.Line() > 0 {
				line += e.Location.Line() - 1
			}
			msg := e.Message
			if strings.HasPrefix(msg, "undeclared reference to") {
				msg = "unknown name: " + msg
			}
			c.errs = append(c.errs, &LoadError{File: f.File, Line: line, What: "variable", Name: v.Name, Msg: msg})
		}
		return nil, c.errs
	}
	c.a = checked.NativeRep()
	p := &program{entity: v.Entity, kind: v.Period}
	root := c.a.Expr()
	c.keys, c.uses = map[int64]string{}, map[string]int{}
	c.cse, c.f2 = map[*program]map[string]any{}, map[*program]map[iNode]fNode{}
	c.key(root)
	want := celType(v.Type)
	if got := c.typeOf(root); !got.IsExactType(want) {
		hint := ""
		if want == cel.DoubleType && got.Kind() == types.IntKind {
			hint = " (write 0.0 for a number literal, or double(x))"
		}
		c.errAt(root.ID(), "formula gives %s but the variable is %s%s", cName(got), v.Type, hint)
		return nil, c.errs
	}
	if v.Type == Enum {
		n, _ := c.enumExpr(p, root, v.Values)
		p.root = n
	} else {
		p.root = c.expr(p, root)
	}
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	p.unwrapRoots()
	return p, nil
}

// key returns the structural key of e and records it: the same function or
// operator over the same operands (names as resolved by the checker,
// literals with their type) has the same key, so it denotes the same value
// on every row. Subexpressions that cannot be shared get "".
func (c *compiler) key(e ast.Expr) string {
	var k string
	switch e.Kind() {
	case ast.LiteralKind:
		switch l := e.AsLiteral().(type) {
		case types.Bool, types.Int, types.Double, types.String:
			k = fmt.Sprintf("%T:%#v", l, l)
		}
	case ast.IdentKind, ast.SelectKind:
		if name, ok := c.name(e); ok {
			k = "$" + name
		}
	case ast.CallKind:
		call := e.AsCall()
		args := make([]string, len(call.Args()))
		shared := !call.IsMemberFunction()
		for i, a := range call.Args() {
			if args[i] = c.key(a); args[i] == "" {
				shared = false
			}
		}
		if shared {
			k = call.FunctionName() + "(" + strings.Join(args, ",") + ")"
		}
	}
	if k != "" {
		c.keys[e.ID()] = k
		c.uses[k]++
	}
	return k
}

// unwrapRoots removes a memo wrapper at the root of p and its hoists: a
// root is computed once per block anyway, and unwrapped it writes straight
// into the result column. It then sets rootF, rootI or rootB and rootSlot.
func (p *program) unwrapRoots() {
	switch m := p.root.(type) {
	case *memoF:
		p.root = m.n
	case *memoI:
		p.root = m.n
	case *memoB:
		p.root = m.n
	}
	switch r := p.root.(type) {
	case fNode:
		p.rootF = r
	case iNode:
		p.rootI = r
	case bNode:
		p.rootB = r
	}
	p.rootSlot = outSlot(p.root)
	for _, h := range p.hoists {
		h.unwrapRoots()
	}
}

// memoize wraps a computing node whose subexpression occurs more than once
// in the formula, so that it runs once per block however many parents read
// it; leaves and uniforms are cheap and stay as they are.
func (p *program) memoize(n any) any {
	slot := outSlot(n)
	if slot < 0 {
		return n
	}
	k := p.nMemo
	p.nMemo++
	switch x := n.(type) {
	case fNode:
		return &memoF{n: x, slot: slot, k: k}
	case iNode:
		return &memoI{n: x, slot: slot, k: k}
	case bNode:
		return &memoB{n: x, slot: slot, k: k}
	}
	return n
}

func cName(t *types.Type) string {
	switch t.Kind() {
	case types.DoubleKind:
		return "double (float or money)"
	case types.TimestampKind:
		return "timestamp (date)"
	case types.StringKind:
		return "string (enum)"
	}
	return t.String()
}

// name returns the qualified name an Ident or Select resolves to.
func (c *compiler) name(e ast.Expr) (string, bool) {
	if r, ok := c.a.ReferenceMap()[e.ID()]; ok && r.Name != "" {
		return r.Name, true
	}
	if e.Kind() == ast.IdentKind {
		return e.AsIdent(), true
	}
	return "", false
}

// variable resolves an identifier to a variable usable in p.
func (c *compiler) variable(p *program, e ast.Expr, prev bool) *Variable {
	name, _ := c.name(e)
	v := c.vars[name]
	if name == "role" {
		v = roleVar
	}
	if v == nil {
		c.errAt(e.ID(), "%s is not a variable", name)
		return nil
	}
	if v.Entity != p.entity {
		if v.Entity == Household {
			c.errAt(e.ID(), "%s is a household variable: read it with household(%s)", name, name)
		} else {
			c.errAt(e.ID(), "%s is a person variable: aggregate it with sum_members, count_members, any_members, all_members, max_members or min_members", name)
		}
		return nil
	}
	if prev {
		if v.Period == Eternity {
			c.errAt(e.ID(), "%s has one value for eternity: it has no previous periods", name)
			return nil
		}
		if p.kind == Eternity {
			c.errAt(e.ID(), "an eternity formula cannot read past periods of %s", name)
			return nil
		}
		return v
	}
	switch {
	case v.Period == Eternity || v.Period == p.kind:
	case p.kind == Month && v.Period == Year:
	case p.kind == Year && v.Period == Month:
		c.errAt(e.ID(), "%s is a month variable and this formula is per year: use sum_year(%s), sum_prev(%s, n) or prev(%s, n)", name, name, name, name)
		return nil
	default:
		c.errAt(e.ID(), "%s is a %s variable and this formula is for eternity", name, v.Period)
		return nil
	}
	return v
}

func refNode(v *Variable, k int) any {
	switch v.Type.phys() {
	case pFloat:
		return refF{k}
	case pInt:
		return refI{k}
	}
	return refB{k}
}

func (c *compiler) constNode(p *program, ci constInit) any {
	ci.slot = p.slot(ci.ph)
	p.consts = append(p.consts, ci)
	switch ci.ph {
	case pFloat:
		return constF{slot: ci.slot}
	case pInt:
		return constI{slot: ci.slot}
	}
	return constB{slot: ci.slot}
}

func (c *compiler) fexpr(p *program, e ast.Expr) fNode {
	n := c.expr(p, e)
	switch x := n.(type) {
	case fNode:
		return x
	case iNode:
		return c.toFloat(p, x)
	case nil:
		return nil
	}
	c.errAt(e.ID(), "expected a number, got %s", cName(c.typeOf(e)))
	return nil
}

func (c *compiler) iexpr(p *program, e ast.Expr) iNode {
	n := c.expr(p, e)
	if x, ok := n.(iNode); ok {
		return x
	}
	if n != nil {
		c.errAt(e.ID(), "expected an int or a date, got %s", cName(c.typeOf(e)))
	}
	return nil
}

func (c *compiler) bexpr(p *program, e ast.Expr) bNode {
	n := c.expr(p, e)
	if x, ok := n.(bNode); ok {
		return x
	}
	if n != nil {
		c.errAt(e.ID(), "expected a bool, got %s", cName(c.typeOf(e)))
	}
	return nil
}

// expr compiles e into a node of p; it returns nil after recording an
// error. A subexpression that occurs again in the formula (the same key) is
// compiled once per program and its node shared: it gets one scratch slot
// and, behind a memo wrapper, runs once per block.
func (c *compiler) expr(p *program, e ast.Expr) any {
	k := c.keys[e.ID()]
	if k == "" {
		return c.expr1(p, e)
	}
	if n, ok := c.cse[p][k]; ok {
		return n
	}
	n := c.expr1(p, e)
	if n == nil {
		return nil
	}
	if c.uses[k] > 1 {
		n = p.memoize(n)
	}
	m := c.cse[p]
	if m == nil {
		m = map[string]any{}
		c.cse[p] = m
	}
	m[k] = n
	return n
}

func (c *compiler) expr1(p *program, e ast.Expr) any {
	switch e.Kind() {
	case ast.LiteralKind:
		switch l := e.AsLiteral().(type) {
		case types.Bool:
			return c.constNode(p, constInit{ph: pBool, b: bool(l)})
		case types.Int:
			return c.constNode(p, constInit{ph: pInt, i: int64(l)})
		case types.Double:
			return c.constNode(p, constInit{ph: pFloat, f: float64(l)})
		case types.String:
			c.errAt(e.ID(), "a string is only allowed compared with an enum, as an enum result or as a table key")
			return nil
		}
		c.errAt(e.ID(), "unsupported literal %v", e.AsLiteral())
		return nil
	case ast.IdentKind, ast.SelectKind:
		name, ok := c.name(e)
		if !ok {
			c.errAt(e.ID(), "field selection is not supported")
			return nil
		}
		switch {
		case name == "period_start":
			return c.constNode(p, constInit{what: cPeriodStart, ph: pInt})
		case name == "period_end":
			return c.constNode(p, constInit{what: cPeriodEnd, ph: pInt})
		case strings.HasPrefix(name, "params."):
			par := c.params[strings.TrimPrefix(name, "params.")]
			if par.Kind != Scalar {
				c.errAt(e.ID(), "%s is a %s: read it with %s(%s, …)", name, par.Kind, par.Kind, name)
				return nil
			}
			if par.Int {
				s := p.slot(pInt)
				p.params = append(p.params, puse{p: par, kind: puScalarI, slot: s})
				return paramI{slot: s}
			}
			s := p.slot(pFloat)
			p.params = append(p.params, puse{p: par, kind: puScalarF, slot: s})
			return paramF{slot: s}
		}
		v := c.variable(p, e, false)
		if v == nil {
			return nil
		}
		if v.Type == Enum {
			c.errAt(e.ID(), "%s is an enum: compare it with a value (%s == %q) or use it as a table key", v.Name, v.Name, v.Values[0])
			return nil
		}
		return refNode(v, p.ref(ref_{v: v}))
	case ast.CallKind:
		return c.call(p, e)
	}
	c.errAt(e.ID(), "unsupported expression: lists, maps, messages and comprehensions are not allowed in formulas")
	return nil
}

var cmpOps = map[string]cmp{
	operators.Equals: cmpEq, operators.NotEquals: cmpNe, operators.Less: cmpLt,
	operators.LessEquals: cmpLe, operators.Greater: cmpGt, operators.GreaterEquals: cmpGe,
}

var arithOps = map[string]op{
	operators.Add: opAdd, operators.Subtract: opSub, operators.Multiply: opMul,
	operators.Divide: opDiv, operators.Modulo: opMod, "max": opMax, "min": opMin,
}

func (c *compiler) call(p *program, e ast.Expr) any {
	call := e.AsCall()
	fn, args := call.FunctionName(), call.Args()
	if call.IsMemberFunction() {
		c.errAt(e.ID(), "method calls (x.%s()) are not supported", fn)
		return nil
	}
	rk := c.kindOf(e)
	switch fn {
	case operators.Conditional:
		if rk == types.StringKind {
			c.errAt(e.ID(), "a choice between enum values is only allowed as an enum variable's result")
			return nil
		}
		cond := c.bexpr(p, args[0])
		switch rk {
		case types.DoubleKind:
			a, b := c.fexpr(p, args[1]), c.fexpr(p, args[2])
			if cond == nil || a == nil || b == nil {
				return nil
			}
			return newCondF(p, cond, a, b)
		case types.IntKind, types.TimestampKind:
			a, b := c.iexpr(p, args[1]), c.iexpr(p, args[2])
			if cond == nil || a == nil || b == nil {
				return nil
			}
			return newCondI(p, cond, a, b)
		case types.BoolKind:
			a, b := c.bexpr(p, args[1]), c.bexpr(p, args[2])
			if cond == nil || a == nil || b == nil {
				return nil
			}
			return &condB{c: cond, a: a, y: b, slot: p.slot(pBool)}
		}
	case operators.LogicalAnd, operators.LogicalOr:
		a, b := c.bexpr(p, args[0]), c.bexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		l := lAnd
		if fn == operators.LogicalOr {
			l = lOr
		}
		return &binB{l: l, a: a, y: b, slot: p.slot(pBool)}
	case operators.LogicalNot:
		a := c.bexpr(p, args[0])
		if a == nil {
			return nil
		}
		return &notB{a: a, slot: p.slot(pBool)}
	case operators.Negate:
		if rk == types.DoubleKind {
			if a := c.fexpr(p, args[0]); a != nil {
				return &negF{a: a, slot: p.slot(pFloat)}
			}
			return nil
		}
		if a := c.iexpr(p, args[0]); a != nil {
			return &negI{a: a, slot: p.slot(pInt)}
		}
		return nil
	case operators.Equals, operators.NotEquals, operators.Less, operators.LessEquals, operators.Greater, operators.GreaterEquals:
		return c.compare(p, e, fn, args)
	case operators.Add, operators.Subtract, operators.Multiply, operators.Divide, operators.Modulo, "max", "min":
		o := arithOps[fn]
		switch rk {
		case types.DoubleKind:
			a, b := c.fexpr(p, args[0]), c.fexpr(p, args[1])
			if a == nil || b == nil {
				return nil
			}
			return newBinF(p, o, a, b)
		case types.IntKind:
			a, b := c.iexpr(p, args[0]), c.iexpr(p, args[1])
			if a == nil || b == nil {
				return nil
			}
			return newBinI(p, o, a, b)
		}
	case "abs":
		if rk == types.DoubleKind {
			if a := c.fexpr(p, args[0]); a != nil {
				return &absF{a: a, slot: p.slot(pFloat)}
			}
			return nil
		}
		if a := c.iexpr(p, args[0]); a != nil {
			return &absI{a: a, slot: p.slot(pInt)}
		}
		return nil
	case "double":
		if c.kindOf(args[0]) == types.IntKind {
			return c.fexpr(p, args[0])
		}
		if c.kindOf(args[0]) == types.DoubleKind {
			return c.expr(p, args[0])
		}
	case "int":
		switch c.kindOf(args[0]) {
		case types.DoubleKind:
			if a := c.fexpr(p, args[0]); a != nil {
				return &f2i{a: a, slot: p.slot(pInt)}
			}
			return nil
		case types.IntKind:
			return c.expr(p, args[0])
		}
	case "years_between", "months_between":
		a, b := c.iexpr(p, args[0]), c.iexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		return &monthsBetweenI{a: a, b: b, years: fn == "years_between", slot: p.slot(pInt), bk: uniformSlot(b)}
	case "add_months":
		a, b := c.iexpr(p, args[0]), c.iexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		return &addMonthsI{d: a, n: b, slot: p.slot(pInt)}
	case "date":
		s, ok := stringLit(args[0])
		if !ok {
			c.errAt(e.ID(), "date() takes a literal \"YYYY-MM-DD\"")
			return nil
		}
		d, err := ParseDate(s)
		if err != nil {
			c.errAt(e.ID(), "%v", err)
			return nil
		}
		return c.constNode(p, constInit{ph: pInt, i: int64(d)})
	case "household":
		if p.entity != Person {
			c.errAt(e.ID(), "household() is for person formulas; this formula is already per household")
			return nil
		}
		sub := &program{entity: Household, kind: p.kind}
		if c.kindOf(args[0]) == types.StringKind {
			c.errAt(e.ID(), "household() of an enum is only allowed in an enum comparison or table key")
			return nil
		}
		sub.root = c.expr(sub, args[0])
		if sub.root == nil {
			return nil
		}
		p.hoists = append(p.hoists, sub)
		h := len(p.hoists) - 1
		switch sub.root.(type) {
		case fNode:
			return &fromHouseholdF{h: h, slot: p.slot(pFloat)}
		case iNode:
			return &fromHouseholdI{h: h, slot: p.slot(pInt)}
		}
		return &fromHouseholdB{h: h, slot: p.slot(pBool)}
	case "sum_members", "count_members", "any_members", "all_members", "max_members", "min_members":
		if p.entity != Household {
			c.errAt(e.ID(), "%s() is for household formulas; from a person formula write household(%s(…))", fn, fn)
			return nil
		}
		a := map[string]agg{"sum_members": aggSum, "count_members": aggCount, "any_members": aggAny,
			"all_members": aggAll, "max_members": aggMax, "min_members": aggMin}[fn]
		if len(args) == 0 {
			return &aggI{a: aggCount, h: -1, slot: p.slot(pInt)}
		}
		sub := &program{entity: Person, kind: p.kind}
		sub.root = c.expr(sub, args[0])
		if sub.root == nil {
			return nil
		}
		p.hoists = append(p.hoists, sub)
		h := len(p.hoists) - 1
		switch {
		case a == aggAny || a == aggAll:
			return &aggB{a: a, h: h, slot: p.slot(pBool)}
		case a == aggCount || rk == types.IntKind:
			return &aggI{a: a, h: h, slot: p.slot(pInt)}
		}
		return &aggF{a: a, h: h, slot: p.slot(pFloat)}
	case "prev", "sum_prev":
		n, ok := intLit(args[1])
		if !ok || n < 1 || n > 1200 {
			c.errAt(args[1].ID(), "%s(x, n) needs n as a literal from 1 to 1200", fn)
			return nil
		}
		if args[0].Kind() != ast.IdentKind {
			c.errAt(args[0].ID(), "%s() reads a variable: its first argument must be a variable name", fn)
			return nil
		}
		v := c.variable(p, args[0], true)
		if v == nil {
			return nil
		}
		if fn == "prev" {
			if v.Type == Enum {
				c.errAt(e.ID(), "prev() of an enum is only allowed in an enum comparison or table key")
				return nil
			}
			return refNode(v, p.ref(ref_{v: v, prev: int(n)}))
		}
		k := len(p.refs)
		for j := 1; j <= int(n); j++ {
			p.refs = append(p.refs, ref_{v: v, prev: j})
		}
		if v.Type.phys() == pFloat {
			return &sumRefsF{k: k, n: int(n), slot: p.slot(pFloat)}
		}
		return &sumRefsI{k: k, n: int(n), slot: p.slot(pInt)}
	case "sum_year":
		if args[0].Kind() != ast.IdentKind {
			c.errAt(args[0].ID(), "sum_year() reads a variable: its argument must be a variable name")
			return nil
		}
		if p.kind == Eternity {
			c.errAt(e.ID(), "sum_year() needs a month or year formula")
			return nil
		}
		v := c.variable(p, args[0], true)
		if v == nil {
			return nil
		}
		if v.Period != Month {
			c.errAt(args[0].ID(), "sum_year() sums the 12 months of a month variable; %s is per %s", v.Name, v.Period)
			return nil
		}
		k := len(p.refs)
		for m := time.January; m <= time.December; m++ {
			p.refs = append(p.refs, ref_{v: v, month: m})
		}
		if v.Type.phys() == pFloat {
			return &sumRefsF{k: k, n: 12, slot: p.slot(pFloat)}
		}
		return &sumRefsI{k: k, n: 12, slot: p.slot(pInt)}
	case "table":
		par := c.paramArg(args[0], Table)
		if par == nil {
			return nil
		}
		if s, ok := stringLit(args[1]); ok {
			// A constant key: check it now, look it up at run time.
			for _, pv := range par.Values {
				if _, ok := pv.Table[s]; !ok && par.Default == nil {
					c.errAt(args[1].ID(), "%s has no key %q on %s and no default", par.Path, s, pv.From)
					return nil
				}
			}
			tk := p.tables
			p.tables++
			p.params = append(p.params, puse{p: par, kind: puTable, keys: []string{s}, tk: tk})
			zero := c.constNode(p, constInit{ph: pInt, i: 0}).(iNode)
			return &tableF{k: tk, key: zero, slot: p.slot(pFloat)}
		}
		key, values := c.enumExpr(p, args[1], nil)
		if key == nil {
			return nil
		}
		for _, pv := range par.Values {
			for _, k := range slices.Sorted(maps.Keys(pv.Table)) {
				if !slices.Contains(values, k) {
					c.errAt(args[1].ID(), "%s has key %q on %s, which is not a value of the key (%s)", par.Path, k, pv.From, strings.Join(values, ", "))
					return nil
				}
			}
			if par.Default != nil {
				continue
			}
			for _, k := range values {
				if _, ok := pv.Table[k]; !ok {
					c.errAt(args[1].ID(), "%s has no value for %q on %s and no default", par.Path, k, pv.From)
					return nil
				}
			}
		}
		tk := p.tables
		p.tables++
		p.params = append(p.params, puse{p: par, kind: puTable, keys: values, tk: tk})
		return &tableF{k: tk, key: key, slot: p.slot(pFloat)}
	case "scale":
		par := c.paramArg(args[0], Scale)
		x := c.fexpr(p, args[1])
		if par == nil || x == nil {
			return nil
		}
		p.params = append(p.params, puse{p: par, kind: puScale})
		return &scaleF{k: len(p.params) - 1, a: x, slot: p.slot(pFloat)}
	case "at":
		par := c.paramArg(args[0], Scalar)
		d := c.iexpr(p, args[1])
		if par == nil || d == nil {
			return nil
		}
		p.params = append(p.params, puse{p: par, kind: puScalarF, slot: -1})
		if par.Int {
			return &atI{p: par, d: d, slot: p.slot(pInt)}
		}
		return &atF{p: par, d: d, slot: p.slot(pFloat)}
	}
	c.errAt(e.ID(), "unsupported function or operator %s", strings.Trim(fn, "_@"))
	return nil
}

func (c *compiler) paramArg(e ast.Expr, k ParamKind) *Parameter {
	name, ok := c.name(e)
	par := c.params[strings.TrimPrefix(name, "params.")]
	if !ok || !strings.HasPrefix(name, "params.") || par == nil {
		c.errAt(e.ID(), "expected a parameter (params.…)")
		return nil
	}
	if par.Kind != k {
		c.errAt(e.ID(), "%s is a %s, not a %s", name, par.Kind, k)
		return nil
	}
	return par
}

func stringLit(e ast.Expr) (string, bool) {
	if e.Kind() != ast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func intLit(e ast.Expr) (int64, bool) {
	if e.Kind() != ast.LiteralKind {
		return 0, false
	}
	s, ok := e.AsLiteral().(types.Int)
	return int64(s), ok
}

func (c *compiler) compare(p *program, e ast.Expr, fn string, args []ast.Expr) any {
	cm := cmpOps[fn]
	ka, kb := c.kindOf(args[0]), c.kindOf(args[1])
	switch {
	case ka == types.StringKind || kb == types.StringKind:
		if cm != cmpEq && cm != cmpNe {
			c.errAt(e.ID(), "enums can only be compared with == and !=")
			return nil
		}
		var a, b iNode
		if s, ok := stringLit(args[0]); ok {
			var values []string
			b, values = c.enumExpr(p, args[1], nil)
			if b == nil {
				return nil
			}
			a, _ = c.enumExpr(p, args[0], values)
			_ = s
		} else {
			var values []string
			a, values = c.enumExpr(p, args[0], nil)
			if a == nil {
				return nil
			}
			b, _ = c.enumExpr(p, args[1], values)
		}
		if a == nil || b == nil {
			return nil
		}
		return newCmpI(p, cm, a, b)
	case ka == types.BoolKind:
		a, b := c.bexpr(p, args[0]), c.bexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		l := lEq
		if cm == cmpNe {
			l = lNe
		}
		return &binB{l: l, a: a, y: b, slot: p.slot(pBool)}
	case ka == types.DoubleKind || kb == types.DoubleKind:
		a, b := c.fexpr(p, args[0]), c.fexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		return newCmpF(p, cm, a, b)
	case (ka == types.IntKind || ka == types.TimestampKind) && ka == kb:
		a, b := c.iexpr(p, args[0]), c.iexpr(p, args[1])
		if a == nil || b == nil {
			return nil
		}
		return newCmpI(p, cm, a, b)
	}
	c.errAt(e.ID(), "cannot compare %s with %s", cName(c.typeOf(args[0])), cName(c.typeOf(args[1])))
	return nil
}

// enumExpr compiles a string-typed expression into enum indexes. With want
// set, string literals are looked up in it and every result must use the
// same values; without it, e must name an enum variable.
func (c *compiler) enumExpr(p *program, e ast.Expr, want []string) (iNode, []string) {
	if s, ok := stringLit(e); ok {
		if want == nil {
			c.errAt(e.ID(), "compare a string with an enum variable, not with another string")
			return nil, nil
		}
		k := slices.Index(want, s)
		if k < 0 {
			c.errAt(e.ID(), "%q is not one of %s", s, strings.Join(want, ", "))
			return nil, nil
		}
		return c.constNode(p, constInit{ph: pInt, i: int64(k)}).(iNode), want
	}
	check := func(n iNode, values []string) (iNode, []string) {
		if n != nil && want != nil && !slices.Equal(values, want) {
			c.errAt(e.ID(), "enum values (%s) differ from (%s)", strings.Join(values, ", "), strings.Join(want, ", "))
			return nil, nil
		}
		return n, values
	}
	switch e.Kind() {
	case ast.IdentKind:
		v := c.variable(p, e, false)
		if v == nil {
			return nil, nil
		}
		if v.Type != Enum {
			c.errAt(e.ID(), "%s is not an enum", v.Name)
			return nil, nil
		}
		return check(refI{p.ref(ref_{v: v})}, v.Values)
	case ast.CallKind:
		call := e.AsCall()
		args := call.Args()
		switch call.FunctionName() {
		case operators.Conditional:
			cond := c.bexpr(p, args[0])
			w := want
			a, values := c.enumExpr(p, args[1], w)
			if w == nil {
				w = values
			}
			if a == nil {
				return nil, nil
			}
			b, _ := c.enumExpr(p, args[2], w)
			if cond == nil || b == nil {
				return nil, nil
			}
			return newCondI(p, cond, a, b), w
		case "household":
			if p.entity != Person {
				c.errAt(e.ID(), "household() is for person formulas")
				return nil, nil
			}
			sub := &program{entity: Household, kind: p.kind}
			n, values := c.enumExpr(sub, args[0], want)
			if n == nil {
				return nil, nil
			}
			sub.root = n
			p.hoists = append(p.hoists, sub)
			return check(&fromHouseholdI{h: len(p.hoists) - 1, slot: p.slot(pInt)}, values)
		case "prev":
			n, ok := intLit(args[1])
			if !ok || n < 1 || n > 1200 || args[0].Kind() != ast.IdentKind {
				c.errAt(e.ID(), "prev(x, n) needs a variable name and a literal n from 1 to 1200")
				return nil, nil
			}
			v := c.variable(p, args[0], true)
			if v == nil {
				return nil, nil
			}
			return check(refI{p.ref(ref_{v: v, prev: int(n)})}, v.Values)
		}
	}
	c.errAt(e.ID(), "an enum value here must be an enum variable, a literal, household(…), prev(…) or a choice between them")
	return nil, nil
}

// periodConst returns the value of a period constant for period p.
func periodConst(what constKind, p Period) int64 {
	if what == cPeriodEnd {
		return int64(p.End())
	}
	return int64(p.Start())
}

// toFloat converts an int node to double; a uniform int (a literal or an int
// parameter) becomes a uniform double instead of a per-row conversion.
func (c *compiler) toFloat(p *program, x iNode) fNode {
	switch n := x.(type) {
	case constI:
		for _, ci := range p.consts {
			if ci.slot == n.slot && ci.ph == pInt && ci.what == cLiteral {
				return c.constNode(p, constInit{ph: pFloat, f: float64(ci.i)}).(fNode)
			}
		}
	case paramI:
		for _, u := range p.params {
			if u.slot == n.slot && u.kind == puScalarI {
				s := p.slot(pFloat)
				p.params = append(p.params, puse{p: u.p, kind: puScalarIF, slot: s})
				return paramF{slot: s}
			}
		}
	}
	// One conversion per int node, shared like a common subexpression.
	if f, ok := c.f2[p][x]; ok {
		return f
	}
	f := p.memoize(&i2f{a: x, slot: p.slot(pFloat)}).(fNode)
	if c.f2[p] == nil {
		c.f2[p] = map[iNode]fNode{}
	}
	c.f2[p][x] = f
	return f
}

// uniformSlot returns the scratch slot of a node that has the same value on
// every row (a literal, a period bound or a parameter at the period's start),
// or -1. Kernels read such an operand as one scalar.
func uniformSlot(n any) int {
	switch x := n.(type) {
	case constF:
		return x.slot
	case constI:
		return x.slot
	case constB:
		return x.slot
	case paramF:
		return x.slot
	case paramI:
		return x.slot
	}
	return -1
}

func newBinF(p *program, o op, a, b fNode) *binF {
	n := &binF{op: o, a: a, b: b, ak: -1, bk: -1}
	if k := uniformSlot(b); k >= 0 {
		n.b, n.bk = nil, k
	} else if k := uniformSlot(a); k >= 0 {
		n.a, n.ak = nil, k
	}
	n.slot = p.slot(pFloat)
	return n
}

func newBinI(p *program, o op, a, b iNode) *binI {
	n := &binI{op: o, a: a, b: b, ak: -1, bk: -1}
	if k := uniformSlot(b); k >= 0 {
		n.b, n.bk = nil, k
	} else if k := uniformSlot(a); k >= 0 {
		n.a, n.ak = nil, k
	}
	n.slot = p.slot(pInt)
	return n
}

func newCmpF(p *program, c cmp, a, b fNode) *cmpF {
	n := &cmpF{c: c, a: a, y: b, yk: -1}
	if k := uniformSlot(b); k >= 0 {
		n.y, n.yk = nil, k
	} else if k := uniformSlot(a); k >= 0 {
		n.c, n.a, n.y, n.yk = c.flip(), b, nil, k
	}
	n.slot = p.slot(pBool)
	return n
}

func newCmpI(p *program, c cmp, a, b iNode) *cmpI {
	n := &cmpI{c: c, a: a, y: b, yk: -1}
	if k := uniformSlot(b); k >= 0 {
		n.y, n.yk = nil, k
	} else if k := uniformSlot(a); k >= 0 {
		n.c, n.a, n.y, n.yk = c.flip(), b, nil, k
	}
	n.slot = p.slot(pBool)
	return n
}

func newCondF(p *program, c bNode, a, b fNode) fNode {
	if x, ok := a.(*atF); ok {
		if y, ok := b.(*atF); ok && x.d == y.d {
			return &atSelF{c: c, p: [2]*Parameter{y.p, x.p}, d: x.d, slot: p.slot(pFloat)}
		}
	}
	n := &condF{c: c, a: a, b: b, ak: uniformSlot(a), bk: uniformSlot(b)}
	if n.ak >= 0 {
		n.a = nil
	}
	if n.bk >= 0 {
		n.b = nil
	}
	n.slot = p.slot(pFloat)
	return n
}

func newCondI(p *program, c bNode, a, b iNode) iNode {
	if x, ok := a.(*atI); ok {
		if y, ok := b.(*atI); ok && x.d == y.d {
			return &atSelI{c: c, p: [2]*Parameter{y.p, x.p}, d: x.d, slot: p.slot(pInt)}
		}
	}
	n := &condI{c: c, a: a, b: b, ak: uniformSlot(a), bk: uniformSlot(b)}
	if n.ak >= 0 {
		n.a = nil
	}
	if n.bk >= 0 {
		n.b = nil
	}
	n.slot = p.slot(pInt)
	return n
}

// outSlot returns the scratch slot a computing node writes its block into,
// or -1 for leaves (stored columns, uniforms). A program whose root has one
// writes straight into the result column: run points the slot at it.
func outSlot(n any) int {
	switch x := n.(type) {
	case *binF:
		return x.slot
	case *binI:
		return x.slot
	case *negF:
		return x.slot
	case *negI:
		return x.slot
	case *absF:
		return x.slot
	case *absI:
		return x.slot
	case *i2f:
		return x.slot
	case *f2i:
		return x.slot
	case *cmpF:
		return x.slot
	case *cmpI:
		return x.slot
	case *binB:
		return x.slot
	case *notB:
		return x.slot
	case *condF:
		return x.slot
	case *condI:
		return x.slot
	case *condB:
		return x.slot
	case *monthsBetweenI:
		return x.slot
	case *addMonthsI:
		return x.slot
	case *tableF:
		return x.slot
	case *scaleF:
		return x.slot
	case *atF:
		return x.slot
	case *atI:
		return x.slot
	case *atSelF:
		return x.slot
	case *atSelI:
		return x.slot
	case *sumRefsF:
		return x.slot
	case *sumRefsI:
		return x.slot
	case *fromHouseholdF:
		return x.slot
	case *fromHouseholdI:
		return x.slot
	case *fromHouseholdB:
		return x.slot
	case *aggF:
		return x.slot
	case *aggI:
		return x.slot
	case *aggB:
		return x.slot
	}
	return -1
}
