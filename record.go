package dost

import "context"

// InsurancePeriod is a span of insured employment: the rules engine reads
// insurance years and wages from these.
type InsurancePeriod struct {
	ID          int64  `json:"id"`
	PersonID    int64  `json:"person_id"`
	Employer    string `json:"employer"`
	EmployerTIN string `json:"employer_tin"` // taxpayer number, 10 digits; "" if unknown
	From        Date   `json:"from"`
	To          Date   `json:"to,omitzero"` // zero while the period is open
	MonthlyWage Money  `json:"monthly_wage"`
}

// Validate checks an insurance period.
func (p *InsurancePeriod) Validate() error {
	var v Validation
	if p.PersonID == 0 {
		v.Add("person_id", "required", "Person is required.")
	}
	if p.Employer == "" {
		v.Add("employer", "required", "Employer is required.")
	}
	v.checkText("employer", p.Employer, false)
	v.checkText("employer_tin", p.EmployerTIN, false)
	if p.From.IsZero() {
		v.Add("from", "required", "Start date is required.")
	}
	if !p.To.IsZero() && p.To.Before(p.From) {
		v.Add("to", "date.before_start", "End date is before the start date.")
	}
	if p.MonthlyWage < 0 {
		v.Add("monthly_wage", "money.negative", "Wage cannot be negative.")
	}
	return v.Err("The insurance period has errors.")
}

// IncomeSource classifies income for means tests.
type IncomeSource string

// Income sources.
const (
	IncomeWage           IncomeSource = "wage"
	IncomePension        IncomeSource = "pension"
	IncomeBenefit        IncomeSource = "benefit"
	IncomeSelfEmployment IncomeSource = "self_employment"
	IncomeAgriculture    IncomeSource = "agriculture"
	IncomeProperty       IncomeSource = "property"
	IncomeOther          IncomeSource = "other"
)

// IncomeSources lists every valid IncomeSource.
var IncomeSources = []IncomeSource{IncomeWage, IncomePension, IncomeBenefit, IncomeSelfEmployment, IncomeAgriculture, IncomeProperty, IncomeOther}

// IncomeRecord is one month's income of one person from one source.
// (person, month, source) is unique.
type IncomeRecord struct {
	ID       int64        `json:"id"`
	PersonID int64        `json:"person_id"`
	Month    Month        `json:"month"`
	Source   IncomeSource `json:"source"`
	Amount   Money        `json:"amount"`
}

// Validate checks an income record.
func (r *IncomeRecord) Validate() error {
	var v Validation
	if r.PersonID == 0 {
		v.Add("person_id", "required", "Person is required.")
	}
	if r.Month.IsZero() {
		v.Add("month", "required", "Month is required.")
	}
	ok := false
	for _, s := range IncomeSources {
		ok = ok || s == r.Source
	}
	if !ok {
		v.Add("source", "income_source.invalid", "Unknown income source %q.", r.Source)
	}
	if r.Amount < 0 {
		v.Add("amount", "money.negative", "Income cannot be negative.")
	}
	return v.Err("The income record has errors.")
}

// DisabilityDegree is the result of a disability assessment.
type DisabilityDegree string

// Disability degrees since 2022-07-01 (I 81–100 %, II 61–80 %, III 31–60 %);
// children under 18 are assessed as having limited health capabilities.
const (
	DisabilityI     DisabilityDegree = "I"
	DisabilityII    DisabilityDegree = "II"
	DisabilityIII   DisabilityDegree = "III"
	DisabilityChild DisabilityDegree = "child"
)

// DisabilityCause is the cause of a disability, which decides the programme.
type DisabilityCause string

// Disability causes.
const (
	CauseGeneral      DisabilityCause = "general"
	CauseWar          DisabilityCause = "war"
	CauseWorkInjury   DisabilityCause = "work_injury"
	CauseOccupational DisabilityCause = "occupational_disease"
	CauseChildhood    DisabilityCause = "childhood"
)

// DisabilityAssessment is one decision of the medical-social commission.
type DisabilityAssessment struct {
	ID       int64            `json:"id"`
	PersonID int64            `json:"person_id"`
	Degree   DisabilityDegree `json:"degree"`
	Cause    DisabilityCause  `json:"cause"`
	Percent  int              `json:"percent"` // impaired body functions, 0 if not recorded
	From     Date             `json:"from"`
	To       Date             `json:"to,omitzero"` // zero: indefinite
}

// Validate checks a disability assessment.
func (a *DisabilityAssessment) Validate() error {
	var v Validation
	if a.PersonID == 0 {
		v.Add("person_id", "required", "Person is required.")
	}
	switch a.Degree {
	case DisabilityI, DisabilityII, DisabilityIII, DisabilityChild:
	default:
		v.Add("degree", "disability_degree.invalid", "Degree must be I, II, III or child.")
	}
	switch a.Cause {
	case CauseGeneral, CauseWar, CauseWorkInjury, CauseOccupational, CauseChildhood:
	default:
		v.Add("cause", "disability_cause.invalid", "Unknown cause %q.", a.Cause)
	}
	if a.Percent < 0 || a.Percent > 100 {
		v.Add("percent", "percent.invalid", "Percent must be between 0 and 100.")
	}
	if a.From.IsZero() {
		v.Add("from", "required", "Start date is required.")
	}
	if !a.To.IsZero() && a.To.Before(a.From) {
		v.Add("to", "date.before_start", "End date is before the start date.")
	}
	return v.Err("The disability assessment has errors.")
}

// RecordFilter selects a person's records; nil fields do not filter.
type RecordFilter struct {
	PersonID *int64
	// On selects periods and assessments in force on the date; for income
	// records, From and To bound the month (inclusive).
	On       *Date
	From, To *Month
	Offset   int
	Limit    int // 0: no limit
}

// RecordService keeps the records the rules engine reads as inputs.
type RecordService interface {
	// FindInsurancePeriods returns periods ordered by start date.
	FindInsurancePeriods(ctx context.Context, filter RecordFilter) ([]*InsurancePeriod, int, error)
	// CreateInsurancePeriod validates and stores p. ENOTFOUND if the person is unknown.
	CreateInsurancePeriod(ctx context.Context, p *InsurancePeriod) error

	// FindIncomeRecords returns records ordered by month and source.
	FindIncomeRecords(ctx context.Context, filter RecordFilter) ([]*IncomeRecord, int, error)
	// CreateIncomeRecord validates and stores r. ECONFLICT if the person
	// already has a record for that month and source.
	CreateIncomeRecord(ctx context.Context, r *IncomeRecord) error

	// FindDisabilityAssessments returns assessments ordered by start date.
	FindDisabilityAssessments(ctx context.Context, filter RecordFilter) ([]*DisabilityAssessment, int, error)
	// CreateDisabilityAssessment validates and stores a.
	CreateDisabilityAssessment(ctx context.Context, a *DisabilityAssessment) error
}
