package az_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dost-az/dost/programmes/az"
	"github.com/dost-az/dost/rules"
)

func ruleSet(t testing.TB) *rules.RuleSet {
	t.Helper()
	rs, err := az.RuleSet()
	if err != nil {
		t.Fatalf("load the Azerbaijani rule set: %v", err)
	}
	return rs
}

// TestYAML runs every YAML test beside the rules.
func TestYAML(t *testing.T) {
	rs := ruleSet(t)
	results, err := rs.RunTests(az.FS())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 40 {
		t.Errorf("got %d YAML tests, want at least 40", len(results))
	}
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
	}
	t.Logf("%d YAML tests", len(results))
}

func TestRuleSetCachedAndConcurrent(t *testing.T) {
	first := ruleSet(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := az.RuleSet()
			if err != nil || rs != first {
				t.Errorf("RuleSet() = %p, %v; want the cached %p", rs, err, first)
			}
		}()
	}
	wg.Wait()
}

// published are the names other systems rely on (issue 3): entity, period
// and type.
var published = []struct {
	name, entity, period, typ string
	input                     bool
}{
	{"birth_date", "person", "eternity", "date", true},
	{"sex", "person", "eternity", "enum", true},
	{"insurance_years", "person", "month", "float", true},
	{"pension_capital", "person", "month", "money", true},
	{"monthly_income", "person", "month", "money", true},
	{"disability_degree", "person", "month", "int", true},
	{"disability_cause", "person", "month", "enum", true},
	{"average_monthly_wage", "person", "month", "money", true},
	{"insurance_months_last_24", "person", "month", "int", true},
	{"dismissal_reason", "person", "month", "enum", true},
	{"registered_unemployed", "person", "month", "bool", true},
	{"age", "person", "month", "int", false},
	{"retirement_age_reached", "person", "month", "bool", false},
	{"old_age_pension_eligible", "person", "month", "bool", false},
	{"old_age_pension", "person", "month", "money", false},
	{"disability_allowance", "person", "month", "money", false},
	{"birth_allowance", "person", "month", "money", false},
	{"unemployment_benefit", "person", "month", "money", false},
	{"tssa_average_monthly_income", "household", "month", "money", false},
	{"tssa_eligible", "household", "month", "bool", false},
	{"tssa_amount", "household", "month", "money", false},
}

func TestPublishedNames(t *testing.T) {
	rs := ruleSet(t)
	for _, p := range published {
		v, ok := rs.Variable(p.name)
		if !ok {
			t.Errorf("%s is not declared", p.name)
			continue
		}
		if v.Entity.String() != p.entity || v.Period.String() != p.period || v.Type.String() != p.typ || v.IsInput() != p.input {
			t.Errorf("%s is %s/%s/%s input=%v, want %s/%s/%s input=%v", p.name, v.Entity, v.Period, v.Type, v.IsInput(),
				p.entity, p.period, p.typ, p.input)
		}
	}
	enums := map[string][]string{
		"sex":              {"male", "female"},
		"disability_cause": {"general", "war", "duty", "work_injury", "occupational", "chernobyl"},
		"dismissal_reason": {"none", "liquidation", "staff_cut", "contract_end", "voluntary", "other"},
	}
	for name, want := range enums {
		v, _ := rs.Variable(name)
		if v == nil || len(v.Values) != len(want) {
			t.Errorf("%s values = %v, want %v", name, v.Values, want)
			continue
		}
		for i := range want {
			if v.Values[i] != want[i] {
				t.Errorf("%s values = %v, want %v", name, v.Values, want)
			}
		}
	}
}

// needsReview are the variables that flag an answer resting on a source
// gap (README.md, "Answers that need review").
var needsReview = []string{
	"old_age_pension_needs_review", "retirement_age_needs_review", "disability_allowance_needs_review",
	"birth_allowance_needs_review", "unemployment_benefit_needs_review",
}

// TestNeedsReviewVariables checks that every needs-review flag is a
// computed person/month bool (so /api/v1/calculate and `dost rules run
// --vars` can give it) and that README.md lists it.
func TestNeedsReviewVariables(t *testing.T) {
	rs := ruleSet(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range needsReview {
		v, ok := rs.Variable(name)
		if !ok {
			t.Errorf("%s is not declared", name)
			continue
		}
		if v.Entity.String() != "person" || v.Period.String() != "month" || v.Type.String() != "bool" || v.IsInput() {
			t.Errorf("%s is %s/%s/%s input=%v, want a computed person/month/bool", name, v.Entity, v.Period, v.Type, v.IsInput())
		}
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not list %s", name)
		}
	}
}

// TestLabelsAndReferences checks that every variable has a label in az, en
// and ru and a legal reference, and every parameter a reference and a
// description.
func TestLabelsAndReferences(t *testing.T) {
	rs := ruleSet(t)
	for _, v := range rs.Variables() {
		for _, lang := range []string{"az", "en", "ru"} {
			if v.Label[lang] == "" {
				t.Errorf("variable %s has no %s label", v.Name, lang)
			}
		}
		if v.Reference == "" {
			t.Errorf("variable %s has no legal reference", v.Name)
		}
	}
	for _, p := range rs.Parameters() {
		if p.Reference == "" || p.Description == "" {
			t.Errorf("parameter %s needs a reference and a description", p.Path)
		}
	}
}

// TestRetirementRightDate checks the fixed-point iteration of
// retirement_right_date against a day-by-day search for every birth date
// from 1940 to 1975 and both sexes: the right arises on the first day d on
// which the age in whole months is at least the retirement age in force on
// d (dates before the first value read the first value).
func TestRetirementRightDate(t *testing.T) {
	rs := ruleSet(t)
	from, to := rules.DateOf(1940, time.January, 1), rules.DateOf(1975, time.December, 31)
	days := int(to-from) + 1
	n := 2 * days
	hh := make([]int32, n)
	roles := make([]int64, n)
	for i := range hh {
		hh[i] = int32(i)
	}
	pop, err := rules.NewPopulation(n, hh, roles)
	if err != nil {
		t.Fatal(err)
	}
	birth := rules.Column{Type: rules.DateType, Ints: make([]int64, n)}
	sex := rules.Column{Type: rules.Enum, Ints: make([]int64, n)}
	for i := range n {
		birth.Ints[i] = int64(from) + int64(i%days)
		sex.Ints[i] = int64(i / days) // 0 male, 1 female
	}
	sim := rs.NewSimulation(pop)
	eternity, _ := rules.ParsePeriod("eternity")
	if err := sim.SetInput("birth_date", eternity, birth); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetInput("sex", eternity, sex); err != nil {
		t.Fatal(err)
	}
	got, err := sim.Compute("retirement_right_date", eternity)
	if err != nil {
		t.Fatal(err)
	}
	men, _ := rs.Parameter("pension.retirement_age.men")
	women, _ := rs.Parameter("pension.retirement_age.women")
	ageAt := func(p *rules.Parameter, d rules.Date) int {
		if d < p.Values[0].From {
			d = p.Values[0].From
		}
		v, err := p.At(d)
		if err != nil {
			t.Fatal(err)
		}
		return int(v.Value)
	}
	bad := 0
	for i := range n {
		b := rules.Date(birth.Ints[i])
		p := men
		if sex.Ints[i] == 1 {
			p = women
		}
		want := searchRight(b, lowest(p), func(d rules.Date) int { return ageAt(p, d) })
		if rules.Date(got.Ints[i]) != want {
			bad++
			if bad <= 10 {
				t.Errorf("born %s, %s: right from %s, want %s", b, []string{"male", "female"}[sex.Ints[i]], rules.Date(got.Ints[i]), want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d birth dates wrong: raise the number of retirement_right_date steps", bad, n)
	}
}

// lowest returns the lowest value of p.
func lowest(p *rules.Parameter) int {
	m := p.Values[0].Value
	for _, v := range p.Values {
		m = min(m, v.Value)
	}
	return int(m)
}

// searchRight walks day by day from the day the person reaches the lowest
// retirement age ever in force (no right can arise earlier) to the first
// day on which the age in whole months reaches the retirement age in force.
func searchRight(b rules.Date, lowest int, required func(rules.Date) int) rules.Date {
	bt := b.Time()
	d := bt.AddDate(0, lowest, -3) // a few days early: AddDate overflows month ends
	for {
		if monthsOld(bt, d) >= required(rules.DateOf(d.Date())) {
			return rules.DateOf(d.Date())
		}
		d = d.AddDate(0, 0, 1)
	}
}

// monthsOld counts whole months from b to d the way ages count: born on 31
// January, one month old on the last day of February.
func monthsOld(b, d time.Time) int {
	n := (d.Year()-b.Year())*12 + int(d.Month()-b.Month())
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if min(b.Day(), last) > d.Day() {
		n--
	}
	return n
}
