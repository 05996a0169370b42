package rules

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// benchFormulas are the example formulas both benchmarks compute, in
// dependency order: dates, an enum, int and double parameters, a
// conditional, max and a division.
var benchFormulas = []string{"age_months", "retirement_age_months", "reached_retirement_age", "old_age_pension"}

const benchPersons = 1 << 20

type benchInputs struct {
	birth   []int64
	sex     []int64
	insured []int64
	capital []float64
}

func newBenchInputs(n int) *benchInputs {
	rng := rand.New(rand.NewSource(1))
	in := &benchInputs{make([]int64, n), make([]int64, n), make([]int64, n), make([]float64, n)}
	for i := range n {
		in.birth[i] = int64(rng.Intn(36000) - 20000)
		in.sex[i] = int64(rng.Intn(2))
		in.insured[i] = int64(rng.Intn(40))
		in.capital[i] = float64(rng.Intn(10000000)) / 100
	}
	return in
}

func benchRules(b *testing.B) *RuleSet {
	rs, err := Load(os.DirFS("testdata/example"))
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// BenchmarkColumnar computes the four formulas over 2^20 persons with the
// compiled column kernels, on one goroutine and on two; each iteration
// builds a simulation, sets its inputs, computes and releases it, like one
// shard of a population run.
func BenchmarkColumnar(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) { benchColumnar(b, benchFormulas, w) })
	}
}

func benchColumnar(b *testing.B, formulas []string, workers int) {
	rs := benchRules(b)
	n := benchPersons
	in := newBenchInputs(n)
	hh := make([]int32, n)
	roles := make([]int64, n)
	for i := range hh {
		hh[i] = int32(i / 4)
	}
	pop, err := NewPopulation((n+3)/4, hh, roles)
	if err != nil {
		b.Fatal(err)
	}
	p := MonthOf(2026, time.November)
	b.ResetTimer()
	for b.Loop() {
		s := rs.NewSimulation(pop)
		s.SetWorkers(workers)
		must(b, s.SetInput("birth_date", Period{Kind: Eternity}, Column{Type: DateType, Ints: in.birth}))
		must(b, s.SetInput("sex", Period{Kind: Eternity}, Column{Type: Enum, Ints: in.sex}))
		must(b, s.SetInput("insured_years", p, Column{Type: Int, Ints: in.insured}))
		s.cache[mkey(rs.vars["pension_capital"], p)] = &entry{col: Column{Type: Money, Floats: in.capital}, src: fromInput}
		for _, f := range formulas {
			if _, err := s.Compute(f, p); err != nil {
				b.Fatal(err)
			}
		}
		s.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/float64(len(formulas)), "ns/person/formula")
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// personActivation resolves one person's inputs and computed values for
// cel-go's interpreter without maps.
type personActivation struct {
	vals  map[string]ref.Val
	names []string
	cur   []ref.Val
}

func (a *personActivation) ResolveName(name string) (any, bool) {
	for i, n := range a.names {
		if n == name {
			return a.cur[i], true
		}
	}
	v, ok := a.vals[name]
	return v, ok
}

func (a *personActivation) Parent() interpreter.Activation { return nil }

// BenchmarkCELInterpreted computes the same four formulas person by person
// with cel-go's Program.Eval, the path the columnar kernels replace.
func BenchmarkCELInterpreted(b *testing.B) {
	rs := benchRules(b)
	env, err := newEnv(rs.vars, rs.params)
	if err != nil {
		b.Fatal(err)
	}
	p := MonthOf(2026, time.November)
	var progs []cel.Program
	for _, name := range benchFormulas {
		f := rs.vars[name].formulaAt(p.Start())
		ast, iss := env.Compile(f.Source)
		if iss.Err() != nil {
			b.Fatal(iss.Err())
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, prg)
	}
	n := 1 << 16
	in := newBenchInputs(n)
	consts := map[string]ref.Val{"period_start": types.Timestamp{Time: p.Start().Time()}}
	for _, path := range []string{"pension.minimum", "pension.payment_period_months", "pension.retirement_age.men", "pension.retirement_age.women"} {
		par := rs.params[path]
		v, _ := par.At(p.Start())
		if par.Int {
			consts["params."+path] = types.Int(v.Value)
		} else {
			consts["params."+path] = types.Double(v.Value)
		}
	}
	names := []string{"birth_date", "sex", "insured_years", "pension_capital", "age_months", "retirement_age_months", "reached_retirement_age"}
	act := &personActivation{vals: consts, names: names, cur: make([]ref.Val, len(names))}
	out := make([]float64, n)
	sexes := []ref.Val{types.String("male"), types.String("female")}
	b.ResetTimer()
	for b.Loop() {
		for i := range n {
			act.cur[0] = types.Timestamp{Time: Date(in.birth[i]).Time()}
			act.cur[1] = sexes[in.sex[i]]
			act.cur[2] = types.Int(in.insured[i])
			act.cur[3] = types.Double(in.capital[i])
			for k, prg := range progs {
				v, _, err := prg.Eval(act)
				if err != nil {
					b.Fatal(err)
				}
				if k < 3 {
					act.cur[4+k] = v
				} else {
					out[i] = RoundMoney(float64(v.(types.Double)))
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/float64(len(benchFormulas)), "ns/person/formula")
}

// BenchmarkTraceOneHousehold calculates a household of four with its trace
// and reports the median latency.
func BenchmarkTraceOneHousehold(b *testing.B) {
	rs := benchRules(b)
	sit := &Situation{Persons: []SituationPerson{
		{ID: "ali", Role: "head", Inputs: map[string]any{"birth_date": "1955-01-15", "sex": "male", "pension_capital": 72000.0, "insured_years": 30}},
		{ID: "leyla", Role: "spouse", Inputs: map[string]any{"birth_date": "1958-03-01", "sex": "female", "disability_degree": "II"}},
		{ID: "murad", Role: "child", Inputs: map[string]any{"birth_date": "2015-06-01"}},
		{ID: "nigar", Role: "child", Inputs: map[string]any{"birth_date": "2018-09-01"}},
	}}
	p := MonthOf(2026, time.November)
	vars := []string{"old_age_pension", "disability_allowance"}
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, _, err := rs.Calculate(sit, p, vars); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}

// BenchmarkCalculateValues calculates the household of
// BenchmarkTraceOneHousehold without a trace (CalculateValues) and reports
// the median latency.
func BenchmarkCalculateValues(b *testing.B) {
	rs := benchRules(b)
	sit := &Situation{Persons: []SituationPerson{
		{ID: "ali", Role: "head", Inputs: map[string]any{"birth_date": "1955-01-15", "sex": "male", "pension_capital": 72000.0, "insured_years": 30}},
		{ID: "leyla", Role: "spouse", Inputs: map[string]any{"birth_date": "1958-03-01", "sex": "female", "disability_degree": "II"}},
		{ID: "murad", Role: "child", Inputs: map[string]any{"birth_date": "2015-06-01"}},
		{ID: "nigar", Role: "child", Inputs: map[string]any{"birth_date": "2018-09-01"}},
	}}
	p := MonthOf(2026, time.November)
	vars := []string{"old_age_pension", "disability_allowance"}
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := rs.CalculateValues(sit, p, vars); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}
