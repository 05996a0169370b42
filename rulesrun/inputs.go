package rulesrun

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/rules"
)

// The registry → rule set mapping, for a month period P (the run's period,
// from its first day Start to its last day End). Input names are those the
// Azerbaijani rule set publishes; an input the rule set does not define is
// not given, and an input the registry does not hold takes the variable's
// default.
//
//   - birth_date: the person's birth date.
//   - death_date: the person's death date; 1970-01-01 (the rule set's
//     "alive") while alive.
//   - sex: M → male, F → female.
//   - service_years_before_2006: the insured time before 2006-01-01 (as
//     insurance_years, from the same insurance periods): the registry has no
//     individual accounts, so none of it is taken as converted to capital
//     yet.
//   - insurance_years (P): the insured time up to End: the days covered by
//     the person's insurance periods (overlaps counted once, open periods up
//     to End), divided by 365.25 and rounded to 2 decimals.
//   - insurance_months_last_24 (P): how many of the 24 months before P had
//     at least one day covered by an insurance period.
//   - average_monthly_wage (P): the average, over the 12 months before P
//     that had insurance, of the monthly wages of the periods covering a day
//     of the month (summed when two jobs overlap), rounded to the qəpik; 0
//     with no insured month in the 12.
//   - monthly_income (P-12 … P): for each month, the sum of the person's
//     income records of every source (wage, pension, benefit, …); the TSSA
//     formula reads the 12 months before P.
//   - disability_degree (P): of the assessments in force on a day of P, the
//     most severe: I → 1, II → 2, III → 3, none → 0. A child's assessment
//     ("child", under 18, no degree in the registry) takes the degree its
//     percent of impaired body functions gives under the adults' bands
//     (81–100 → 1, 61–80 → 2, otherwise 3), so every disabled child has a
//     non-zero degree; the rule set tells children by age. When the rule
//     set declares disability_degree as an enum, the registry's names (none,
//     I, II, III, child) are given instead.
//   - disability_cause (P): general → general, war → war, work_injury →
//     work_injury, occupational_disease → occupational, childhood → general
//     (the rule set has no "disability since childhood" cause); duty and
//     chernobyl are not recorded in the registry yet. general without an
//     assessment.
//   - pension_capital: not in the registry; 0 (so the capital part of the
//     old-age pension is 0 and the minimum pension applies).
//   - dismissal_reason (P): the reason of the person's dismissal relevant
//     for P (table dismissals, recorded by employment_ended events): the
//     latest dated on or before End and in the month of P or the 5 months
//     before it, unless an insurance period starts after its date and on
//     or before End (the person was employed again, so it no longer says
//     why their last employment ended); none without one. The window is
//     the benefit's duration (6 months; the reference's 3 more are an
//     extension decided on a case), which the rule set does not encode:
//     without it one dismissal would give the right for ever. The
//     registry's reasons liquidation, staff_cut, contract_end, voluntary
//     and other are the rule set's values of the same names; any other
//     reason string (an older or newer code) is given as other, which
//     gives no right.
//   - registered_unemployed (P): the employment service's registrations
//     are not in the registry, so a person is taken as registered
//     unemployed in P exactly when they have a dismissal relevant for P (as
//     above): dismissed in the window and not employed again since. The law
//     pays only after registration, and the benefit is assigned on
//     application (proactive offers it, and accepting asks the person to
//     register), so the case worker deciding it confirms the registration;
//     the run only finds who may be entitled. Not seen: a job that began
//     before the dismissal and goes on (the registry does not say which
//     insurance period a dismissal ended, and the ended one is often left
//     open), so such a person is taken as unemployed.
//
// Persons who died before Start are not in the population; a household is
// its living members. A person in no household is a household of one, the
// head.

// incomeMonthsBefore is how many months before the period monthly_income is
// given for: the TSSA formula reads the 12 months before the period.
const incomeMonthsBefore = 12

// dismissalMonths is how many months, from the month of a dismissal on,
// it is relevant for: the unemployment benefit's duration of 6 months.
const dismissalMonths = 6

// dismissedFrom returns the first day a dismissal relevant for month
// period p can be dated: the first day of the 5th month before p.
func dismissedFrom(p rules.Period) rules.Date { return p.Offset(1 - dismissalMonths).Start() }

// Inputs are a shard's population and the rule set's inputs for one month,
// mapped from its registry records; every column has a row per person.
type Inputs struct {
	Period rules.Period
	// HouseholdIDs is the ID of each household row; 0 for the household of
	// one of a person in no household, whose ID is then Loners[h].
	HouseholdIDs []int64
	Loners       []int64
	// PersonIDs is the ID of each person row, HouseholdOf its household
	// row and Roles its role (an index into rules.Roles).
	PersonIDs   []int64
	HouseholdOf []int32
	Roles       []int64

	BirthDate              []rules.Date
	DeathDate              []rules.Date
	Sex                    []string // male, female
	InsuranceYears         []float64
	ServiceYearsBefore2006 []float64
	InsuranceMonthsLast24  []int64
	AverageMonthlyWage     []dost.Money
	// MonthlyIncome[k] is the income of month Period.Offset(k-12).
	MonthlyIncome    [incomeMonthsBefore + 1][]dost.Money
	DisabilityDegree []int64 // 0 none, 1–3 for I–III
	// DisabilityName is the registry's degree (none, I, II, III, child), for
	// a rule set whose disability_degree is an enum.
	DisabilityName  []string
	DisabilityCause []string
	// DismissalReason is the rule set's name of the relevant dismissal's
	// reason (none, liquidation, staff_cut, contract_end, voluntary, other)
	// and RegisteredUnemployed whether there is one.
	DismissalReason      []string
	RegisteredUnemployed []bool
}

// monthOf returns the dost.Month of a month period.
func monthOf(p rules.Period) dost.Month { return dost.Month{Year: p.Year, Month: p.Month} }

// monthIndex returns how many months m is after base.
func monthIndex(base, m dost.Month) int {
	return (m.Year-base.Year)*12 + int(m.Month) - int(base.Month)
}

// MapInputs maps a shard's registry records to the inputs for month period
// p (see the mapping above). d.Members must be in household order.
func MapInputs(p rules.Period, d *ShardData) (*Inputs, error) {
	if p.Kind != rules.Month {
		return nil, fmt.Errorf("map inputs: period %s is not a month", p)
	}
	n := len(d.Members)
	in := &Inputs{Period: p, PersonIDs: make([]int64, n), HouseholdOf: make([]int32, n), Roles: make([]int64, n),
		BirthDate: make([]rules.Date, n), DeathDate: make([]rules.Date, n), Sex: make([]string, n),
		InsuranceYears: make([]float64, n), ServiceYearsBefore2006: make([]float64, n),
		InsuranceMonthsLast24: make([]int64, n), AverageMonthlyWage: make([]dost.Money, n),
		DisabilityDegree: make([]int64, n), DisabilityName: make([]string, n), DisabilityCause: make([]string, n),
		DismissalReason: make([]string, n), RegisteredUnemployed: make([]bool, n)}
	for k := range in.MonthlyIncome {
		in.MonthlyIncome[k] = make([]dost.Money, n)
	}
	row := make(map[int64]int32, n)
	prevHH := int64(-1)
	for i, m := range d.Members {
		if m.HouseholdID < prevHH && m.HouseholdID != 0 || prevHH == 0 && m.HouseholdID != 0 {
			return nil, fmt.Errorf("map inputs: members are not in household order at person %d", m.PersonID)
		}
		if _, dup := row[m.PersonID]; dup {
			return nil, fmt.Errorf("map inputs: person %d is listed twice", m.PersonID)
		}
		row[m.PersonID] = int32(i)
		if m.HouseholdID == 0 || m.HouseholdID != prevHH {
			in.HouseholdIDs = append(in.HouseholdIDs, m.HouseholdID)
			var loner int64
			if m.HouseholdID == 0 {
				loner = m.PersonID
			}
			in.Loners = append(in.Loners, loner)
		}
		prevHH = m.HouseholdID
		in.PersonIDs[i] = m.PersonID
		in.HouseholdOf[i] = int32(len(in.HouseholdIDs) - 1)
		role := m.Role
		if m.HouseholdID == 0 {
			role = dost.RoleHead
		}
		r := rules.RoleIndex(string(role))
		if r < 0 {
			return nil, fmt.Errorf("map inputs: person %d has role %q", m.PersonID, m.Role)
		}
		in.Roles[i] = int64(r)
		in.BirthDate[i], in.DeathDate[i] = m.BirthDate, m.DeathDate
		switch m.Sex {
		case dost.SexMale:
			in.Sex[i] = "male"
		case dost.SexFemale:
			in.Sex[i] = "female"
		default:
			return nil, fmt.Errorf("map inputs: person %d has sex %q", m.PersonID, m.Sex)
		}
		in.DisabilityName[i] = "none"
		in.DisabilityCause[i] = "general"
		in.DismissalReason[i] = "none"
	}
	in.mapInsurance(d.Insurance, row)
	in.mapIncomes(d.Incomes, row)
	in.mapDisabilities(d.Disabilities, row)
	in.mapDismissals(d.Dismissals, d.Insurance, row)
	return in, nil
}

// mapInsurance sets InsuranceYears, InsuranceMonthsLast24 and
// AverageMonthlyWage.
func (in *Inputs) mapInsurance(ins []Insurance, row map[int64]int32) {
	end := in.Period.End()
	// The first and last day of the 24 months before the period, oldest
	// first.
	var first, last [24]rules.Date
	for k := range 24 {
		m := in.Period.Offset(k - 24)
		first[k], last[k] = m.Start(), m.End()
	}
	type rec struct {
		row int32
		Insurance
	}
	recs := make([]rec, 0, len(ins))
	for _, r := range ins {
		if i, ok := row[r.PersonID]; ok && r.From <= end {
			recs = append(recs, rec{i, r})
		}
	}
	slices.SortFunc(recs, func(a, b rec) int {
		if a.row != b.row {
			return int(a.row - b.row)
		}
		return int(a.From - b.From)
	})
	for lo := 0; lo < len(recs); {
		hi := lo + 1
		for hi < len(recs) && recs[hi].row == recs[lo].row {
			hi++
		}
		person := recs[lo:hi]
		// Days insured up to end and before 2006, overlaps once: periods
		// are sorted by From.
		var days, before int64
		cur := rules.Date(math.MinInt32)
		for _, r := range person {
			from, to := max(r.From, cur+1), min(r.To, end)
			if to >= from {
				days += int64(to - from + 1)
				if from < y2006 {
					before += int64(min(to, y2006-1) - from + 1)
				}
				cur = to
			}
		}
		var wages [12]dost.Money
		var covered [24]bool
		for _, r := range person {
			for k := range 24 {
				if r.From <= last[k] && r.To >= first[k] {
					covered[k] = true
					if k >= 12 {
						wages[k-12] += r.MonthlyWage
					}
				}
			}
		}
		var months, wageMonths int64
		var wageSum dost.Money
		for k, c := range covered {
			if c {
				months++
				if k >= 12 {
					wageMonths++
					wageSum += wages[k-12]
				}
			}
		}
		i := person[0].row
		in.InsuranceYears[i] = years(days)
		in.ServiceYearsBefore2006[i] = years(before)
		in.InsuranceMonthsLast24[i] = months
		if wageMonths > 0 {
			// Round half up to the qəpik.
			in.AverageMonthlyWage[i] = (wageSum + dost.Money(wageMonths/2)) / dost.Money(wageMonths)
		}
		lo = hi
	}
}

// y2006 is the day individual pension accounts start: service before it
// is converted to capital.
var y2006 = rules.DateOf(2006, time.January, 1)

// years returns days as years of 365.25 days, rounded to 2 decimals.
func years(days int64) float64 { return math.Round(float64(days)/365.25*100) / 100 }

// mapIncomes sets MonthlyIncome.
func (in *Inputs) mapIncomes(incs []Income, row map[int64]int32) {
	base := monthOf(in.Period).Add(-incomeMonthsBefore)
	for _, r := range incs {
		i, ok := row[r.PersonID]
		k := monthIndex(base, r.Month)
		if !ok || k < 0 || k > incomeMonthsBefore {
			continue
		}
		in.MonthlyIncome[k][i] += r.Amount
	}
}

// mapDisabilities sets DisabilityDegree, DisabilityName and
// DisabilityCause from the most severe assessment in force in the period.
func (in *Inputs) mapDisabilities(dis []Disability, row map[int64]int32) {
	start, end := in.Period.Start(), in.Period.End()
	for _, r := range dis {
		i, ok := row[r.PersonID]
		if !ok || r.From > end || r.To < start {
			continue
		}
		deg := degreeOf(r)
		if cur := in.DisabilityDegree[i]; cur != 0 && cur <= deg {
			continue
		}
		in.DisabilityDegree[i] = deg
		in.DisabilityName[i] = string(r.Degree)
		in.DisabilityCause[i] = causeOf(r.Cause)
	}
}

// mapDismissals sets DismissalReason and RegisteredUnemployed from each
// person's dismissal relevant for the period: the latest in the window,
// unless an insurance period starts after it by the period's end.
func (in *Inputs) mapDismissals(dis []Dismissal, ins []Insurance, row map[int64]int32) {
	if len(dis) == 0 {
		return
	}
	from, end := dismissedFrom(in.Period), in.Period.End()
	latest := map[int32]Dismissal{}
	for _, r := range dis {
		i, ok := row[r.PersonID]
		if !ok || r.Date < from || r.Date > end {
			continue
		}
		// Two on one day (the registry has one a day) resolve by reason,
		// so the choice does not depend on the records' order.
		if cur, ok := latest[i]; ok && (r.Date < cur.Date || r.Date == cur.Date && r.Reason <= cur.Reason) {
			continue
		}
		latest[i] = r
	}
	for _, r := range ins {
		i, ok := row[r.PersonID]
		if !ok {
			continue
		}
		if cur, ok := latest[i]; ok && r.From > cur.Date && r.From <= end {
			delete(latest, i) // employed again
		}
	}
	for i, r := range latest {
		in.DismissalReason[i] = reasonOf(r.Reason)
		in.RegisteredUnemployed[i] = true
	}
}

// reasonOf maps a registry dismissal reason to the rule set's
// dismissal_reason: the known reasons by name, any other as other.
func reasonOf(r dost.DismissalReason) string {
	switch r {
	case dost.DismissalLiquidation, dost.DismissalStaffCut, dost.DismissalContractEnd, dost.DismissalVoluntary:
		return string(r)
	}
	return "other"
}

// degreeOf returns the rule set's degree (1–3) of an assessment.
func degreeOf(r Disability) int64 {
	switch r.Degree {
	case dost.DisabilityI:
		return 1
	case dost.DisabilityII:
		return 2
	case dost.DisabilityIII:
		return 3
	}
	switch {
	case r.Percent >= 81:
		return 1
	case r.Percent >= 61:
		return 2
	}
	return 3
}

// causeOf maps a registry cause to the rule set's disability_cause.
func causeOf(c dost.DisabilityCause) string {
	switch c {
	case dost.CauseWar:
		return "war"
	case dost.CauseWorkInjury:
		return "work_injury"
	case dost.CauseOccupational:
		return "occupational"
	}
	return "general"
}

// input is one input column as the registry gives it, before it is typed
// for the rule set's variable.
type input struct {
	name   string
	period rules.Period
	dates  []rules.Date
	ints   []int64
	floats []float64
	money  []dost.Money
	names  []string
	bools  []bool
}

// inputs lists the mapped columns. disability_degree carries both its
// number and its name, so it fits an int or an enum variable.
func (in *Inputs) inputs() []input {
	p := in.Period
	n := len(in.PersonIDs)
	out := []input{
		{name: "birth_date", period: rules.Period{Kind: rules.Eternity}, dates: in.BirthDate},
		{name: "death_date", period: rules.Period{Kind: rules.Eternity}, dates: in.DeathDate},
		{name: "sex", period: rules.Period{Kind: rules.Eternity}, names: in.Sex},
		{name: "service_years_before_2006", period: rules.Period{Kind: rules.Eternity}, floats: in.ServiceYearsBefore2006},
		{name: "insurance_years", period: p, floats: in.InsuranceYears},
		{name: "insurance_months_last_24", period: p, ints: in.InsuranceMonthsLast24},
		{name: "average_monthly_wage", period: p, money: in.AverageMonthlyWage},
		{name: "disability_degree", period: p, ints: in.DisabilityDegree, names: in.DisabilityName},
		{name: "disability_cause", period: p, names: in.DisabilityCause},
		{name: "pension_capital", period: p, money: make([]dost.Money, n)},
		{name: "dismissal_reason", period: p, names: in.DismissalReason},
		{name: "registered_unemployed", period: p, bools: in.RegisteredUnemployed},
	}
	for k, col := range in.MonthlyIncome {
		out = append(out, input{name: "monthly_income", period: p.Offset(k - incomeMonthsBefore), money: col})
	}
	return out
}

// typedInput is an input column typed for its variable.
type typedInput struct {
	v      *rules.Variable
	period rules.Period
	col    rules.Column
}

// typed returns the inputs the rule set defines, typed for its variables.
// Errors: a column that cannot be given to its variable's type, or an enum
// name the variable does not declare.
func (in *Inputs) typed(rs *rules.RuleSet) ([]typedInput, error) {
	var out []typedInput
	for _, x := range in.inputs() {
		v, ok := rs.Variable(x.name)
		if !ok || !v.IsInput() {
			continue
		}
		if v.Period != x.period.Kind {
			return nil, fmt.Errorf("map inputs: %s is a %s variable, the registry gives it per %s", v.Name, v.Period, x.period.Kind)
		}
		col, err := x.column(v)
		if err != nil {
			return nil, err
		}
		out = append(out, typedInput{v: v, period: x.period, col: col})
	}
	return out, nil
}

// inputError names whose record a SetInput error is about: a registry
// value outside its variable's published range is a damaged record (the
// registry validates what it stores), to be mended, never paid on.
func (in *Inputs) inputError(err error) error {
	var re *rules.RangeError
	if !errors.As(err, &re) {
		return fmt.Errorf("map inputs: %w", err)
	}
	who := fmt.Sprintf("row %d", re.Row)
	switch {
	case re.Variable.Entity == rules.Person && re.Row < len(in.PersonIDs):
		who = fmt.Sprintf("person %d", in.PersonIDs[re.Row])
	case re.Variable.Entity == rules.Household && re.Row < len(in.HouseholdIDs):
		who = fmt.Sprintf("household %d", in.HouseholdIDs[re.Row])
	}
	return fmt.Errorf("map inputs: the registry gives %s %s = %v, which must be %s: mend that record: %w",
		who, re.Variable.Name, re.Value, re.Variable.RangeString(), err)
}

// column converts x to a column of v's type.
func (x input) column(v *rules.Variable) (rules.Column, error) {
	bad := func() (rules.Column, error) {
		return rules.Column{}, fmt.Errorf("map inputs: the registry cannot give %s as a %s", v.Name, v.Type)
	}
	c := rules.Column{Type: v.Type}
	switch v.Type {
	case rules.DateType:
		if x.dates == nil {
			return bad()
		}
		c.Ints = make([]int64, len(x.dates))
		for i, d := range x.dates {
			c.Ints[i] = int64(d)
		}
	case rules.Enum:
		if x.names == nil {
			return bad()
		}
		c.Ints = make([]int64, len(x.names))
		idx := map[string]int64{}
		for k, s := range v.Values {
			idx[s] = int64(k)
		}
		for i, s := range x.names {
			k, ok := idx[s]
			if !ok {
				return rules.Column{}, fmt.Errorf("map inputs: %s has no value %q (values %v)", v.Name, s, v.Values)
			}
			c.Ints[i] = k
		}
	case rules.Int:
		switch {
		case x.ints != nil:
			c.Ints = x.ints
		case x.floats != nil:
			c.Ints = make([]int64, len(x.floats))
			for i, f := range x.floats {
				c.Ints[i] = int64(math.Floor(f))
			}
		default:
			return bad()
		}
	case rules.Float, rules.Money:
		switch {
		case x.floats != nil:
			c.Floats = x.floats
			if v.Type == rules.Money {
				c.Floats = make([]float64, len(x.floats))
				for i, f := range x.floats {
					c.Floats[i] = rules.RoundMoney(f)
				}
			}
		case x.money != nil:
			c.Floats = make([]float64, len(x.money))
			for i, q := range x.money {
				c.Floats[i] = float64(q) / 100
			}
		case x.ints != nil:
			c.Floats = make([]float64, len(x.ints))
			for i, k := range x.ints {
				c.Floats[i] = float64(k)
			}
		default:
			return bad()
		}
	case rules.Bool:
		switch {
		case x.bools != nil:
			c.Bools = x.bools
		case x.ints != nil:
			c.Bools = make([]bool, len(x.ints))
			for i, k := range x.ints {
				c.Bools[i] = k != 0
			}
		default:
			return bad()
		}
	}
	return c, nil
}

// Population returns the rules.Population of the inputs' households.
func (in *Inputs) Population() (*rules.Population, error) {
	return rules.NewPopulation(len(in.HouseholdIDs), in.HouseholdOf, in.Roles)
}

// Simulation returns a simulation of the inputs' population with every
// input the rule set defines given.
func (in *Inputs) Simulation(rs *rules.RuleSet) (*rules.Simulation, error) {
	pop, err := in.Population()
	if err != nil {
		return nil, fmt.Errorf("map inputs: %w", err)
	}
	cols, err := in.typed(rs)
	if err != nil {
		return nil, err
	}
	s := rs.NewSimulation(pop)
	for _, c := range cols {
		if err := s.SetInput(c.v.Name, c.period, c.col); err != nil {
			return nil, in.inputError(err)
		}
	}
	return s, nil
}

// Situation returns household row h as a single-case situation with the
// same inputs, for rules.Calculate: persons are named by their IDs, the
// household by its ID (or "p<person ID>" for a person in no household).
func (in *Inputs) Situation(rs *rules.RuleSet, h int) (*rules.Situation, error) {
	cols, err := in.typed(rs)
	if err != nil {
		return nil, err
	}
	sit := &rules.Situation{ID: fmt.Sprint(in.HouseholdIDs[h])}
	if in.HouseholdIDs[h] == 0 {
		sit.ID = fmt.Sprintf("p%d", in.Loners[h])
	}
	for i, hh := range in.HouseholdOf {
		if int(hh) != h {
			continue
		}
		sp := rules.SituationPerson{ID: fmt.Sprint(in.PersonIDs[i]), Role: rules.Roles[in.Roles[i]], Inputs: map[string]any{}}
		for _, c := range cols {
			var val any
			switch c.v.Type {
			case rules.Bool:
				val = c.col.Bools[i]
			case rules.Int:
				val = c.col.Ints[i]
			case rules.Float, rules.Money:
				val = c.col.Floats[i]
			case rules.DateType:
				val = rules.Date(c.col.Ints[i]).String()
			case rules.Enum:
				val = c.v.Values[c.col.Ints[i]]
			}
			byPeriod, _ := sp.Inputs[c.v.Name].(map[string]any)
			if byPeriod == nil {
				byPeriod = map[string]any{}
				sp.Inputs[c.v.Name] = byPeriod
			}
			byPeriod[c.period.String()] = val
		}
		sit.Persons = append(sit.Persons, sp)
	}
	return sit, nil
}
