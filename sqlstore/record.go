package sqlstore

import (
	"context"

	"github.com/dost-az/dost"
)

// RecordService stores insurance periods, income records and disability
// assessments. It is safe for concurrent use.
type RecordService struct {
	db *DB
}

var _ dost.RecordService = (*RecordService)(nil)

// NewRecordService returns a RecordService over db.
func NewRecordService(db *DB) *RecordService { return &RecordService{db: db} }

// FindInsurancePeriods returns periods ordered by start date, and the total.
// filter.On selects the periods in force on that date.
func (s *RecordService) FindInsurancePeriods(ctx context.Context, filter dost.RecordFilter) ([]*dost.InsurancePeriod, int, error) {
	var ps []*dost.InsurancePeriod
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		ps, n, err = findInsurancePeriods(ctx, tx, filter)
		return err
	})
	return ps, n, err
}

// CreateInsurancePeriod validates and stores p, setting its ID. ENOTFOUND
// if the person is unknown.
func (s *RecordService) CreateInsurancePeriod(ctx context.Context, p *dost.InsurancePeriod) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO insurance_periods
			(person_id, employer, employer_tin, starts_on, ends_on, monthly_wage)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			p.PersonID, p.Employer, p.EmployerTIN, p.From, p.To, int64(p.MonthlyWage)).Scan(&p.ID)
		return recordError(err)
	})
}

// FindIncomeRecords returns records ordered by month and source, and the
// total. filter.From and filter.To bound the month, inclusive; filter.On
// selects the month containing the date.
func (s *RecordService) FindIncomeRecords(ctx context.Context, filter dost.RecordFilter) ([]*dost.IncomeRecord, int, error) {
	var rs []*dost.IncomeRecord
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		rs, n, err = findIncomeRecords(ctx, tx, filter)
		return err
	})
	return rs, n, err
}

// CreateIncomeRecord validates and stores r, setting its ID. ENOTFOUND if
// the person is unknown; ECONFLICT if the person already has a record for
// that month and source.
func (s *RecordService) CreateIncomeRecord(ctx context.Context, r *dost.IncomeRecord) error {
	if err := r.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO income_records (person_id, month, source, amount)
			VALUES ($1, $2, $3, $4) RETURNING id`,
			r.PersonID, r.Month, r.Source, int64(r.Amount)).Scan(&r.ID)
		if isUnique(err) {
			return dost.Errorf(dost.ECONFLICT, "The person already has %s income for %s.", r.Source, r.Month)
		}
		return recordError(err)
	})
}

// FindDisabilityAssessments returns assessments ordered by start date, and
// the total. filter.On selects the assessments in force on that date.
func (s *RecordService) FindDisabilityAssessments(ctx context.Context, filter dost.RecordFilter) ([]*dost.DisabilityAssessment, int, error) {
	var as []*dost.DisabilityAssessment
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		as, n, err = findDisabilityAssessments(ctx, tx, filter)
		return err
	})
	return as, n, err
}

// CreateDisabilityAssessment validates and stores a, setting its ID.
// ENOTFOUND if the person is unknown.
func (s *RecordService) CreateDisabilityAssessment(ctx context.Context, a *dost.DisabilityAssessment) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO disability_assessments
			(person_id, degree, cause, percent, starts_on, ends_on)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			a.PersonID, a.Degree, a.Cause, a.Percent, a.From, a.To).Scan(&a.ID)
		return recordError(err)
	})
}

// recordError maps a foreign-key violation on person_id to ENOTFOUND.
func recordError(err error) error {
	if isForeignKey(err) {
		return dost.Errorf(dost.ENOTFOUND, "Person not found.")
	}
	return err
}

// periodConds returns the conditions of a filter on a table with person_id,
// starts_on and ends_on.
func periodConds(a *args, f dost.RecordFilter) []string {
	var conds []string
	if f.PersonID != nil {
		conds = append(conds, "person_id = "+a.add(*f.PersonID))
	}
	if f.On != nil {
		on := a.add(*f.On)
		conds = append(conds, "starts_on <= "+on+" AND (ends_on IS NULL OR ends_on >= "+on+")")
	}
	return conds
}

func findInsurancePeriods(ctx context.Context, tx *Tx, f dost.RecordFilter) ([]*dost.InsurancePeriod, int, error) {
	var a args
	conds := periodConds(&a, f)
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM insurance_periods"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, person_id, employer, employer_tin, starts_on, ends_on, monthly_wage
		FROM insurance_periods`+where(conds)+" ORDER BY starts_on, id"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	ps := []*dost.InsurancePeriod{}
	for rows.Next() {
		var p dost.InsurancePeriod
		var wage int64
		if err := rows.Scan(&p.ID, &p.PersonID, &p.Employer, &p.EmployerTIN, &p.From, &p.To, &wage); err != nil {
			return nil, 0, err
		}
		p.MonthlyWage = dost.Money(wage)
		ps = append(ps, &p)
	}
	return ps, total, rows.Err()
}

func findIncomeRecords(ctx context.Context, tx *Tx, f dost.RecordFilter) ([]*dost.IncomeRecord, int, error) {
	var a args
	var conds []string
	if f.PersonID != nil {
		conds = append(conds, "person_id = "+a.add(*f.PersonID))
	}
	if f.On != nil {
		conds = append(conds, "month = "+a.add(dost.MonthOf(*f.On)))
	}
	if f.From != nil {
		conds = append(conds, "month >= "+a.add(*f.From))
	}
	if f.To != nil {
		conds = append(conds, "month <= "+a.add(*f.To))
	}
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM income_records"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, person_id, month, source, amount
		FROM income_records`+where(conds)+" ORDER BY month, source, id"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	rs := []*dost.IncomeRecord{}
	for rows.Next() {
		var r dost.IncomeRecord
		var amount int64
		if err := rows.Scan(&r.ID, &r.PersonID, &r.Month, &r.Source, &amount); err != nil {
			return nil, 0, err
		}
		r.Amount = dost.Money(amount)
		rs = append(rs, &r)
	}
	return rs, total, rows.Err()
}

func findDisabilityAssessments(ctx context.Context, tx *Tx, f dost.RecordFilter) ([]*dost.DisabilityAssessment, int, error) {
	var a args
	conds := periodConds(&a, f)
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM disability_assessments"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, person_id, degree, cause, percent, starts_on, ends_on
		FROM disability_assessments`+where(conds)+" ORDER BY starts_on, id"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	as := []*dost.DisabilityAssessment{}
	for rows.Next() {
		var d dost.DisabilityAssessment
		if err := rows.Scan(&d.ID, &d.PersonID, &d.Degree, &d.Cause, &d.Percent, &d.From, &d.To); err != nil {
			return nil, 0, err
		}
		as = append(as, &d)
	}
	return as, total, rows.Err()
}
