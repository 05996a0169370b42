// Package rules is dost's rules-as-code engine: it loads a rule set
// (variables with CEL formulas, parameters as time series, YAML tests),
// checks and compiles it once, and computes variables over a whole
// population column by column or for one household with an explanation.
// It does no I/O of its own: it reads an fs.FS and returns values.
//
// # Rule set layout
//
//	variables/*.yaml    name → {entity, type, period, label{az,en,ru}, reference, unit,
//	                    values (enum), default, min, max (inputs), formula | formulas: [{from, formula}]}
//	parameters/**.yaml  nested names → {values: {start date: value}, unit, reference,
//	                    description, type: int|float, default (tables)}; the file path
//	                    is the prefix: parameters/pension.yaml's minimum is params.pension.minimum
//	tests/*.yaml        a list of TestCase, run by RuleSet.RunTests
//
// A parameter value is a number, {value: n, reference: "…"}, a table
// {I: 220, II: 180} (a Table, read with table(p, key)) or a list of
// {threshold, amount} brackets (a Scale, read with scale(p, x)).
//
// # Decisions
//
//   - Types: bool, int (CEL int), float and money (CEL double), date (CEL
//     timestamp, stored as days since 1970-01-01), enum (CEL string, stored as
//     the index of the value). Money is float64 manat rounded half away from
//     zero to whole qəpik (RoundMoney) whenever a computed money variable is
//     stored (without a branch per row); inputs must already be whole qəpik,
//     which SetInput checks with a multiply, a rounding and one FMA per
//     value, falling back to RoundMoney only for values that test does not
//     settle (wholeQepik; the answer is RoundMoney's). Callers convert to the
//     domain's int64 qəpik with math.Round(x*100), which is exact after
//     rounding.
//   - Formulas are CEL, parsed and type-checked at load in one environment
//     that declares every variable, every parameter as params.<path>,
//     period_start and period_end (dates), the built-in person enum role
//     (head, spouse, child, parent, other) and the helpers: household(x);
//     sum_members, count_members (none or a bool), any_members, all_members,
//     max_members, min_members; prev(v, n) and sum_prev(v, n) (periods of
//     v's own kind before the formula's period; v must be a name, n a
//     literal); sum_year(v) (the 12 months of the calendar year of the
//     formula's period, v a month variable); max, min, abs, double, int; years_between, months_between
//     (whole months as ages count them), add_months, date("YYYY-MM-DD");
//     table(p, enum or literal), scale(p, x), at(p, date) (a scalar
//     parameter on a date per row). Macros, lists, maps, strings outside
//     enum comparisons and method calls are load errors.
//   - Parameters are read on the first day of the formula's period. A
//     parameter with no value on that day is a Compute error, never a zero.
//     The single exception is at(p, d) with d before p's first value, which
//     reads 0 (per-row lookups cannot fail).
//   - Entities: a formula's entity is its variable's. Reading the other
//     entity is explicit: household(x) from a person formula, an aggregation
//     from a household formula; a bare name of the other entity is a load
//     error. The argument of household() or an aggregation may be any
//     expression of the other entity: it is hoisted into a sub-program that
//     runs over that whole entity first.
//   - Periods: a month formula may read year variables (the year containing
//     the month) and eternity variables; a year formula reading a month
//     variable must use sum_year, prev or sum_prev (prev and sum_prev count
//     back from January of the year); an eternity formula reads only
//     eternity variables. The formula in force is the last one whose from is
//     on or before the period's first day; before the first one, the
//     variable has its default.
//   - The dependency graph counts reads of past periods too, so a variable
//     may not depend on itself even through prev(); a cycle is a load error
//     naming the cycle, as is an unknown name (from CEL's checker).
//   - Load errors are LoadErrors: file, line (of the offending part of the
//     formula, block scalars included), variable or parameter, message.
//   - Evaluation: each formula compiles to a tree of typed kernels over
//     []float64, []int64 and []bool, run in blocks of 1024 rows so
//     temporaries stay in cache; leaves are sub-slices of stored columns.
//     Both sides of && || and ?: are computed (no short circuit: nothing can
//     fail per row). Common subexpressions are compiled once: every
//     subexpression gets a structural key at load (function or operator
//     and the keys of its operands; names as resolved by the checker,
//     literals with their type), and within one program (a formula or a
//     hoisted sub-program) a key compiles to one node with one scratch
//     slot. A shared computing node is read through a memo wrapper that
//     runs it on the block's first read and returns its slot on later
//     reads (exec.memo holds the block each wrapper's slot has, reset at
//     each run and per worker); a double() of the same int node is
//     converted once. c ? at(p, d) : at(q, d) with the same date node is
//     fused into one lookup per row of p or q (the retirement age by sex).
//     TestCommonSubexpressions counts kernel runs through a test hook.
//     Integer division or modulo by zero gives 0, int()
//     of NaN or an out-of-range double gives 0, float division follows
//     IEEE 754. Missing inputs take the variable's documented Default.
//   - Speed (measured in bench_test.go: 4 formulas over 2^20 persons; the
//     whole Azerbaijani rule set, 30 formula runs over 2^20 persons in
//     programmes/az/bench_test.go, with a cel-go baseline in the same run). The
//     interface call is per block, never per row. The root kernel writes
//     straight into the result column (run points its scratch slot at the
//     block of the result), so no block is copied; money is rounded in the
//     same block while it is in cache. A uniform operand (a literal, a
//     period bound, a parameter at the period's start) is read as one
//     scalar instead of a filled slot: x / 144.0, x >= 25, c ? a : 0.0
//     each make one pass; double() of an int literal or int parameter is
//     folded. Selects are branch-free (conditions on people are not
//     predictable), and && || ! == on bools combine eight rows per 64-bit
//     word. Ages read a table of the civil dates 1900–2100 (one int32 per
//     day packing month number, days in month and day) instead of
//     dividing; add_months reads it and a table of month starts
//     (1900–2200) the same way. at() searches a parameter's values
//     without branches. Columns of 4096 rows or more come from a pool by type and
//     length: hoisted temporaries return to it as soon as their formula
//     ran, a simulation's columns when it is Released, so a population run
//     over shards stops faulting in fresh pages.
//   - Parallelism: Compute splits a population into contiguous runs of
//     whole blocks, one per worker (SetWorkers; GOMAXPROCS by default, at
//     least 16 blocks each, so a household is always computed on the
//     caller's goroutine). The goroutines are started and joined inside
//     each formula's run, share only read-only inputs and write disjoint
//     parts of the result, so results are identical for any number of
//     workers (TestParallelDeterministic). The cache and the dependency
//     walk stay on the caller's goroutine: a Simulation is still not for
//     concurrent use.
//   - Population rows may carry registry IDs (NewPopulationFromIDs,
//     WithIDs): column row i is the person or household with IDs(e)[i], so
//     a population run writes results back by ID.
//   - Calculate builds a one-household Population and runs the same
//     programs, so single-case and batch results are identical bit for bit
//     (aggregations visit members in person order in both).
//   - CalculateValues is Calculate without the trace, for callers that need
//     only the answers (POST /api/v1/calculate); its values are Calculate's
//     (TestCalculateValuesEqualsCalculate: every formula variable on the
//     YAML cases of the example and Azerbaijani rule sets and on random
//     households). Both take a one-household Simulation from a sync.Pool
//     of the RuleSet and give it back before returning: its population,
//     cache entries (with their deps and params slices), column memory (a
//     bump arena per type), executors and scratch slots are reused, so a
//     call allocates little beyond its Result and Trace. A pooled
//     simulation never records deps and params unless it is traced.
//   - The cache of a Simulation is keyed by the variable's pointer and the
//     packed period (vkey, no padding, hashed in one pass), not by name. A
//     pooled one-household simulation keeps it instead in a slice indexed
//     by the variable's index in its rule set (Variable.idx), a few
//     periods per variable searched in order: with so few entries the map's
//     hashing and growth cost more than the formulas.
//     Simulation.Formulas counts the formulas run (variable × period),
//     which the benchmarks divide by.
//   - Traces are per variable and period, with the value of every row of
//     the household, the formula and its start date, and each parameter's
//     value with its start date and legal reference. A variable and period
//     is explained once per trace (its node has ID "name@period"); later
//     reads are nodes with Ref set to that ID, values but no children, and
//     the text and HTML renderings say "explained above" (HTML links to
//     the anchor). Twelve months of income that all read a birth date
//     explain it once, and a Ref node shares the value list of the
//     expanded one (found from the cache entry, entry.tnode, not a map).
//     Nodes, value lists, child lists and parameter lists are cut from
//     slabs per trace (traceMem), first sized by the rule set's last trace
//     (traceHint). "params."+path, the series of an at() parameter, each
//     value's start date and boxed scalar value (traceStrings, reached from
//     each parameter use of a program), and each formula's trimmed source
//     and start date (Formula.traceSource) are built once per rule set by
//     build and shared by every trace (like labels and tables, they must
//     not be modified). Node IDs and period and date strings are written
//     into a byte slab of the trace, and the values are boxed into slabs
//     too (tracebox.go: an interface whose data word points at a slab
//     element written once), so a trace of a hundred nodes and several
//     hundred values costs a few allocations, not several hundred.
//   - Release: a trace still allocates some 30 KB of pointers and a
//     Result some 4 KB of maps, and over a run of households
//     (BenchmarkHouseholdTraced) the garbage collector's marking and the
//     write barriers it turns on took a third of a traced Calculate.
//     Trace.Release and Result.Release give that memory back to pools of
//     the rule set; the next Calculate or CalculateValues overwrites it
//     (cleared nodes, cleared maps, which keep their groups) instead of
//     allocating, so a caller that releases what it has rendered leaves
//     the collector almost nothing. Both are optional: what is never
//     released stays valid and is collected; what is released must not be
//     used again. The Result and the Trace of a Calculate have separate
//     memory, so either may be released first.
//   - Input ranges: an int, float or money input may publish min and max
//     (inclusive; whole for an int, whole qəpik for money, min ≤ max, the
//     default inside). SetInput, Calculate and CalculateValues refuse a
//     value outside them, and package situation reports it as a value.range
//     problem; formulas are not checked against them. A range on a
//     non-numeric or computed variable is a load error.
//   - A situation's inputs go straight into the simulation's cache: each
//     variable and period gets its column (the variable's default, then
//     the given rows) on its first value, without SetInput's checks,
//     which hold by construction (the range is checked per value). Dates in the form YYYY-MM-DD, dates of
//     periods and month offsets are computed without the time package.
//   - A Reform is applied to the parsed source and the result is compiled
//     and checked like Load; the base rule set is unchanged. Reforms are
//     Go values or YAML files (LoadReform, ParseReform): new parameter
//     values by start date in the parameters/ syntax, and formulas
//     replaced for all dates or from dates; errors are LoadErrors with the
//     reform file's line, formula errors included.
package rules
