package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dost-az/dost"
)

// The fixed national holidays of 2024-2030 are seeded by the migration
// 00003_casework; the moving ones are set through SetHoliday.

// FindHolidays returns the holidays of a year, by date.
func (s *CaseStore) FindHolidays(ctx context.Context, year int) ([]dost.Holiday, error) {
	if year < dost.MinYear || year > 9999 {
		return nil, dost.Errorf(dost.EINVALID, "%d is not a year of the calendar.", year)
	}
	hs := []dost.Holiday{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT date, name_az, name_en, name_ru FROM holidays
			WHERE date >= $1 AND date <= $2 ORDER BY date`,
			[]any{dost.NewDate(year, time.January, 1), dost.NewDate(year, time.December, 31)},
			func(rows *sql.Rows) error {
				var h dost.Holiday
				err := rows.Scan(&h.Date, &h.Name.AZ, &h.Name.EN, &h.Name.RU)
				hs = append(hs, h)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find holidays: %w", err)
	}
	return hs, nil
}

// SetHoliday adds a holiday or renames the one on its date. EINVALID
// without a date or an Azerbaijani name.
func (s *CaseStore) SetHoliday(ctx context.Context, h dost.Holiday) error {
	var v dost.Validation
	if h.Date.IsZero() {
		v.Add("date", "holiday.date_required", "A holiday needs a date.")
	}
	if h.Name.AZ == "" {
		v.Add("name.az", "holiday.name_required", "A holiday needs a name in Azerbaijani.")
	}
	if err := v.Err("The holiday is not valid."); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO holidays (date, name_az, name_en, name_ru) VALUES ($1, $2, $3, $4)
			ON CONFLICT (date) DO UPDATE SET name_az = excluded.name_az, name_en = excluded.name_en, name_ru = excluded.name_ru`,
			h.Date, h.Name.AZ, h.Name.EN, h.Name.RU)
		return err
	})
}

// DeleteHoliday removes a holiday. ENOTFOUND if there is none.
func (s *CaseStore) DeleteHoliday(ctx context.Context, d dost.Date) error {
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM holidays WHERE date = $1`, d)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "No holiday on %s.", d)
		}
		return nil
	})
}
