package az_test

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"

	"github.com/dost-az/dost/rules"
)

// householdOutputs are the published outputs a caller of
// POST /api/v1/calculate asks for one family.
var householdOutputs = []string{
	"age", "retirement_age_reached", "old_age_pension_eligible", "old_age_pension",
	"disability_allowance", "birth_allowance", "unemployment_benefit",
	"tssa_average_monthly_income", "tssa_eligible", "tssa_amount",
}

// benchHousehold is a family of four: a pensioner, his wife with a
// disability and 12 months of income, an unemployed son and a newborn.
func benchHousehold() *rules.Situation {
	income := map[string]any{}
	for m := time.November; m <= time.December; m++ {
		income[rules.MonthOf(2025, m).String()] = 310.0
	}
	for m := time.January; m <= time.October; m++ {
		income[rules.MonthOf(2026, m).String()] = 320.0
	}
	return &rules.Situation{Persons: []rules.SituationPerson{
		{ID: "ali", Role: "head", Inputs: map[string]any{"birth_date": "1955-01-15", "sex": "male",
			"pension_capital": 72000.0, "insurance_years": 30.0, "service_years_before_2006": 12.0}},
		{ID: "leyla", Role: "spouse", Inputs: map[string]any{"birth_date": "1968-03-01", "sex": "female",
			"disability_degree": 2, "monthly_income": income}},
		{ID: "murad", Role: "child", Inputs: map[string]any{"birth_date": "1995-06-01", "sex": "male",
			"registered_unemployed": true, "dismissal_reason": "staff_cut", "insurance_years": 6.5,
			"insurance_months_last_24": 20, "average_monthly_wage": 900.0}},
		{ID: "nigar", Role: "child", Inputs: map[string]any{"birth_date": "2026-11-03", "sex": "female"}},
	}}
}

func p50(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
}

// benchHouseholdLatency runs calc once per iteration on the published outputs of
// the family of four for 2026-11 and reports the median latency.
func benchHouseholdLatency(b *testing.B, calc func(rs *rules.RuleSet, sit *rules.Situation, p rules.Period) error) {
	rs := ruleSet(b)
	sit := benchHousehold()
	p := rules.MonthOf(2026, time.November)
	var lat []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := calc(rs, sit, p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	p50(b, lat)
}

// BenchmarkHouseholdTraced calculates the published outputs of one family
// of four with their trace (Calculate) and reports the median latency.
// The Result and the trace are released after each call, as the HTTP
// handlers do once they have rendered them.
func BenchmarkHouseholdTraced(b *testing.B) {
	benchHouseholdLatency(b, func(rs *rules.RuleSet, sit *rules.Situation, p rules.Period) error {
		res, tr, err := rs.Calculate(sit, p, householdOutputs)
		if err != nil {
			return err
		}
		res.Release()
		tr.Release()
		return nil
	})
}

// BenchmarkHouseholdTracedUnreleased is BenchmarkHouseholdTraced with
// every Result and trace left to the garbage collector.
func BenchmarkHouseholdTracedUnreleased(b *testing.B) {
	benchHouseholdLatency(b, func(rs *rules.RuleSet, sit *rules.Situation, p rules.Period) error {
		_, _, err := rs.Calculate(sit, p, householdOutputs)
		return err
	})
}

// BenchmarkHouseholdValues calculates the same outputs without a trace
// (CalculateValues), the path of POST /api/v1/calculate, releasing each
// Result.
func BenchmarkHouseholdValues(b *testing.B) {
	benchHouseholdLatency(b, func(rs *rules.RuleSet, sit *rules.Situation, p rules.Period) error {
		res, err := rs.CalculateValues(sit, p, householdOutputs)
		if err != nil {
			return err
		}
		res.Release()
		return nil
	})
}

// BenchmarkHouseholdValuesUnreleased is BenchmarkHouseholdValues with
// every Result left to the garbage collector.
func BenchmarkHouseholdValuesUnreleased(b *testing.B) {
	benchHouseholdLatency(b, func(rs *rules.RuleSet, sit *rules.Situation, p rules.Period) error {
		_, err := rs.CalculateValues(sit, p, householdOutputs)
		return err
	})
}

const (
	popPersons    = 1 << 20
	popHouseholds = 1 << 18
)

// popInputs is a synthetic population for the whole rule set: households
// of 1–7 persons (4 on average) with plausible birth dates, sexes,
// insurance, capital, disabilities, unemployment and 14 months of income.
type popInputs struct {
	pop  *rules.Population
	cols []popCol
}

type popCol struct {
	name string
	p    rules.Period
	c    rules.Column
}

func newPopInputs(b *testing.B, p rules.Period) *popInputs {
	rng := rand.New(rand.NewSource(1))
	n := popPersons
	hh := make([]int32, n)
	roles := make([]int64, n)
	h, left := int32(-1), 0
	for i := range n {
		if left == 0 {
			h++
			left = 1 + rng.Intn(7)
			if int(h) == popHouseholds-1 || n-i < left {
				left = n - i
			}
		}
		hh[i] = h
		roles[i] = int64(min(left-1, 2)) // head, spouse, children
		left--
	}
	pop, err := rules.NewPopulation(int(h)+1, hh, roles)
	if err != nil {
		b.Fatal(err)
	}
	eternity := rules.Period{Kind: rules.Eternity}
	ints := func() []int64 { return make([]int64, n) }
	floats := func() []float64 { return make([]float64, n) }
	birth, sex, death, still := ints(), ints(), ints(), make([]bool, n)
	ins, svc, capital, wage := floats(), floats(), floats(), floats()
	deg, cause, reason, m24 := ints(), ints(), ints(), ints()
	unemp := make([]bool, n)
	start := int64(p.Start())
	for i := range n {
		birth[i] = start - int64(rng.Intn(95*365))
		sex[i] = int64(rng.Intn(2))
		if rng.Intn(1000) == 0 {
			birth[i] = start + int64(rng.Intn(28)) // born this month
			still[i] = rng.Intn(100) == 0
		}
		if rng.Intn(1000) == 0 {
			death[i] = start + int64(rng.Intn(28))
		}
		age := float64(start-birth[i]) / 365.25
		ins[i] = float64(int(max(0, age-18)*10*rng.Float64())) / 10
		svc[i] = float64(rng.Intn(200)) / 10
		capital[i] = float64(rng.Intn(12000000)) / 100
		if rng.Intn(10) == 0 {
			deg[i] = int64(1 + rng.Intn(3))
			cause[i] = int64(rng.Intn(6))
		}
		unemp[i] = rng.Intn(20) == 0
		reason[i] = int64(rng.Intn(6))
		m24[i] = int64(rng.Intn(25))
		wage[i] = float64(rng.Intn(300000)) / 100
	}
	in := &popInputs{pop: pop, cols: []popCol{
		{"birth_date", eternity, rules.Column{Type: rules.DateType, Ints: birth}},
		{"sex", eternity, rules.Column{Type: rules.Enum, Ints: sex}},
		{"death_date", eternity, rules.Column{Type: rules.DateType, Ints: death}},
		{"stillborn", eternity, rules.Column{Type: rules.Bool, Bools: still}},
		{"service_years_before_2006", eternity, rules.Column{Type: rules.Float, Floats: svc}},
		{"insurance_years", p, rules.Column{Type: rules.Float, Floats: ins}},
		{"pension_capital", p, rules.Column{Type: rules.Money, Floats: capital}},
		{"disability_degree", p, rules.Column{Type: rules.Int, Ints: deg}},
		{"disability_cause", p, rules.Column{Type: rules.Enum, Ints: cause}},
		{"registered_unemployed", p, rules.Column{Type: rules.Bool, Bools: unemp}},
		{"dismissal_reason", p, rules.Column{Type: rules.Enum, Ints: reason}},
		{"insurance_months_last_24", p, rules.Column{Type: rules.Int, Ints: m24}},
		{"average_monthly_wage", p, rules.Column{Type: rules.Money, Floats: wage}},
	}}
	for m := 0; m <= 13; m++ { // the month and the 13 before it
		inc := floats()
		for i := range inc {
			if rng.Intn(3) > 0 {
				inc[i] = float64(rng.Intn(150000)) / 100
			}
		}
		in.cols = append(in.cols, popCol{"monthly_income", p.Offset(-m), rules.Column{Type: rules.Money, Floats: inc}})
	}
	return in
}

// outputs returns every computed variable of the rule set.
func outputs(rs *rules.RuleSet) []string {
	var out []string
	for _, v := range rs.Variables() {
		if !v.IsInput() {
			out = append(out, v.Name)
		}
	}
	return out
}

// BenchmarkWholeRuleSet computes every computed variable of the rule set
// for 2026-11 over 2^20 persons in 2^18 households, with one and two
// workers; each iteration builds a simulation, sets the inputs, computes
// and releases it, like one shard of `dost rules run`. ns/person/formula
// divides by the formulas actually run, intermediates and past periods
// included; the CEL baseline is BenchmarkWholeRuleSet/cel-interpreted.
func BenchmarkWholeRuleSet(b *testing.B) {
	rs := ruleSet(b)
	p := rules.MonthOf(2026, time.November)
	in := newPopInputs(b, p)
	vars := outputs(rs)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			formulas := 0
			for b.Loop() {
				s := rs.NewSimulation(in.pop)
				s.SetWorkers(w)
				for _, c := range in.cols {
					if err := s.SetInput(c.name, c.p, c.c); err != nil {
						b.Fatal(err)
					}
				}
				for _, v := range vars {
					if _, err := s.Compute(v, p); err != nil {
						b.Fatal(err)
					}
				}
				formulas = s.Formulas()
				s.Release()
			}
			b.ReportMetric(float64(formulas), "formulas")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/popPersons/float64(formulas), "ns/person/formula")
		})
	}
	b.Run("cel-interpreted", func(b *testing.B) { benchCEL(b, rs, p, in) })
}

// celSubset are the person formulas of the CEL baseline: plain arithmetic,
// comparisons, logic, dates, max and conditionals, no rule-set helpers.
var celSubset = []string{"retirement_age_reached", "pension_capital_total", "pension_insurance_part",
	"old_age_pension_eligible", "old_age_pension", "birth_allowance", "unemployment_benefit_minimum_only"}

// benchCEL computes celSubset person by person with cel-go's Program.Eval
// (the approach of rules' BenchmarkCELInterpreted), reading the inputs of
// the same population and retirement_right_date computed by the engine.
func benchCEL(b *testing.B, rs *rules.RuleSet, p rules.Period, in *popInputs) {
	opts := []cel.EnvOption{cel.CrossTypeNumericComparisons(true),
		cel.Function("max", cel.Overload("max_double_double", []*cel.Type{cel.DoubleType, cel.DoubleType}, cel.DoubleType,
			cel.BinaryBinding(func(a, c ref.Val) ref.Val {
				return types.Double(math.Max(float64(a.(types.Double)), float64(c.(types.Double))))
			})))}
	celType := func(t rules.Type) *cel.Type {
		switch t {
		case rules.Bool:
			return cel.BoolType
		case rules.Int:
			return cel.IntType
		case rules.DateType:
			return cel.TimestampType
		case rules.Enum:
			return cel.StringType
		}
		return cel.DoubleType
	}
	for _, v := range rs.Variables() {
		opts = append(opts, cel.Variable(v.Name, celType(v.Type)))
	}
	consts := map[string]ref.Val{
		"period_start": types.Timestamp{Time: p.Start().Time()},
		"period_end":   types.Timestamp{Time: p.End().Time()},
	}
	opts = append(opts, cel.Variable("period_start", cel.TimestampType), cel.Variable("period_end", cel.TimestampType))
	for _, par := range rs.Parameters() {
		if par.Kind != rules.Scalar {
			continue
		}
		pv, err := par.At(p.Start())
		if err != nil {
			continue
		}
		if par.Int {
			opts = append(opts, cel.Variable("params."+par.Path, cel.IntType))
			consts["params."+par.Path] = types.Int(pv.Value)
		} else {
			opts = append(opts, cel.Variable("params."+par.Path, cel.DoubleType))
			consts["params."+par.Path] = types.Double(pv.Value)
		}
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		b.Fatal(err)
	}
	var progs []cel.Program
	for _, name := range celSubset {
		v, _ := rs.Variable(name)
		src := v.Formulas[len(v.Formulas)-1].Source
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			b.Fatalf("%s: %v", name, iss.Err())
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			b.Fatal(err)
		}
		progs = append(progs, prg)
	}
	col := map[string]rules.Column{}
	for _, c := range in.cols {
		if c.p.Kind == rules.Eternity || c.p == p {
			col[c.name] = c.c
		}
	}
	s := rs.NewSimulation(in.pop)
	for _, c := range in.cols {
		if err := s.SetInput(c.name, c.p, c.c); err != nil {
			b.Fatal(err)
		}
	}
	right, err := s.Compute("retirement_right_date", p)
	if err != nil {
		b.Fatal(err)
	}
	names := []string{"retirement_right_date", "birth_date", "insurance_years", "service_years_before_2006", "pension_capital",
		"stillborn", "insurance_months_last_24"}
	names = append(names, celSubset...)
	act := &celActivation{vals: consts, names: names, cur: make([]ref.Val, len(names))}
	const n = 1 << 16 // persons per iteration
	date := func(d int64) ref.Val { return types.Timestamp{Time: rules.Date(d).Time()} }
	b.ResetTimer()
	for b.Loop() {
		for i := range n {
			act.cur[0] = date(right.Ints[i])
			act.cur[1] = date(col["birth_date"].Ints[i])
			act.cur[2] = types.Double(col["insurance_years"].Floats[i])
			act.cur[3] = types.Double(col["service_years_before_2006"].Floats[i])
			act.cur[4] = types.Double(col["pension_capital"].Floats[i])
			act.cur[5] = types.Bool(col["stillborn"].Bools[i])
			act.cur[6] = types.Int(col["insurance_months_last_24"].Ints[i])
			for k, prg := range progs {
				v, _, err := prg.Eval(act)
				if err != nil {
					b.Fatal(err)
				}
				if d, ok := v.(types.Double); ok && (celSubset[k] == "pension_capital_total" || celSubset[k] == "old_age_pension") {
					v = types.Double(rules.RoundMoney(float64(d)))
				}
				act.cur[7+k] = v
			}
		}
	}
	b.ReportMetric(float64(len(progs)), "formulas")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n/float64(len(progs)), "ns/person/formula")
}

// celActivation resolves one person's values for cel-go's interpreter.
type celActivation struct {
	vals  map[string]ref.Val
	names []string
	cur   []ref.Val
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	for i, n := range a.names {
		if n == name {
			return a.cur[i], true
		}
	}
	v, ok := a.vals[name]
	return v, ok
}

func (a *celActivation) Parent() interpreter.Activation { return nil }
