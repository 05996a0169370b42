package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// CentreService stores centres, their counters and the services they offer.
// Opening hours and the address are JSON columns; counters and offered
// services are tables. It is safe for concurrent use.
type CentreService struct {
	db *DB
}

var _ dost.CentreService = (*CentreService)(nil)

// NewCentreService returns a CentreService over db.
func NewCentreService(db *DB) *CentreService { return &CentreService{db: db} }

// FindCentreByID returns a centre with counters and services. ENOTFOUND if
// there is none.
func (s *CentreService) FindCentreByID(ctx context.Context, id int64) (*dost.Centre, error) {
	return s.findOne(ctx, dost.CentreFilter{ID: &id, Limit: 1})
}

// FindCentreByCode returns a centre with counters and services by its code.
// ENOTFOUND if there is none.
func (s *CentreService) FindCentreByCode(ctx context.Context, code string) (*dost.Centre, error) {
	return s.findOne(ctx, dost.CentreFilter{Code: &code, Limit: 1})
}

func (s *CentreService) findOne(ctx context.Context, f dost.CentreFilter) (*dost.Centre, error) {
	var c *dost.Centre
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		c, err = findCentre(ctx, tx, f)
		return err
	})
	return c, err
}

// FindCentres returns matching centres with counters and services, ordered
// by code, and the total.
func (s *CentreService) FindCentres(ctx context.Context, filter dost.CentreFilter) ([]*dost.Centre, int, error) {
	var cs []*dost.Centre
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		cs, n, err = findCentres(ctx, tx, filter)
		return err
	})
	return cs, n, err
}

// CreateCentre validates and stores c with its counters and services,
// setting the IDs and CreatedAt. ECONFLICT if the code is taken; EINVALID
// for an unknown service code.
func (s *CentreService) CreateCentre(ctx context.Context, c *dost.Centre) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		hours, address, err := centreJSON(c)
		if err != nil {
			return err
		}
		c.CreatedAt = tx.now
		err = tx.QueryRowContext(ctx, `INSERT INTO centres (code, name_az, name_en, name_ru, region,
			district, address, phone, timezone, hours, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			c.Code, c.Name.AZ, c.Name.EN, c.Name.RU, c.Region, c.District, address, c.Phone, c.Timezone,
			hours, tx.ts(tx.now), tx.ts(tx.now)).Scan(&c.ID)
		if isUnique(err) {
			return &dost.Error{Code: dost.ECONFLICT, Message: "A centre with this code exists already.",
				Fields: []dost.FieldError{{Field: "code", Code: "centre.code_taken", Message: "This centre code is taken."}}}
		} else if err != nil {
			return err
		}
		return replaceCentreParts(ctx, tx, c)
	})
}

// UpdateCentre replaces c's fields, hours, counters and services. Counters
// keep their IDs by number; counters whose number is gone are deleted.
// ENOTFOUND if c.ID is unknown, ECONFLICT if the new code is taken,
// EINVALID for an unknown service code.
func (s *CentreService) UpdateCentre(ctx context.Context, c *dost.Centre) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error {
		hours, address, err := centreJSON(c)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `UPDATE centres SET code = $1, name_az = $2, name_en = $3,
			name_ru = $4, region = $5, district = $6, address = $7, phone = $8, timezone = $9,
			hours = $10, updated_at = $11 WHERE id = $12 RETURNING created_at`,
			c.Code, c.Name.AZ, c.Name.EN, c.Name.RU, c.Region, c.District, address, c.Phone, c.Timezone,
			hours, tx.ts(tx.now), c.ID).Scan(scanTime(&c.CreatedAt))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Centre not found.")
		} else if isUnique(err) {
			return &dost.Error{Code: dost.ECONFLICT, Message: "A centre with this code exists already.",
				Fields: []dost.FieldError{{Field: "code", Code: "centre.code_taken", Message: "This centre code is taken."}}}
		} else if err != nil {
			return err
		}
		return replaceCentreParts(ctx, tx, c)
	})
}

func centreJSON(c *dost.Centre) (hours, address string, err error) {
	h := c.Hours
	if h == nil {
		h = []dost.OpeningHours{}
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", "", fmt.Errorf("centre hours: %w", err)
	}
	ab, err := json.Marshal(c.Address)
	if err != nil {
		return "", "", fmt.Errorf("centre address: %w", err)
	}
	return string(hb), string(ab), nil
}

// replaceCentreParts makes the stored counters and services those of c.
func replaceCentreParts(ctx context.Context, tx *Tx, c *dost.Centre) error {
	var keep []string
	var a args
	centre := a.add(c.ID)
	for _, k := range c.Counters {
		k.CentreID = c.ID
		if err := tx.QueryRowContext(ctx, `INSERT INTO counters (centre_id, number, label, queue_groups)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (centre_id, number) DO UPDATE SET label = excluded.label, queue_groups = excluded.queue_groups
			RETURNING id`, c.ID, k.Number, k.Label, strings.Join(k.Groups, ",")).Scan(&k.ID); err != nil {
			return err
		}
		keep = append(keep, a.add(k.Number))
	}
	q := `DELETE FROM counters WHERE centre_id = ` + centre
	if len(keep) > 0 {
		q += ` AND number NOT IN (` + strings.Join(keep, ", ") + `)`
	}
	if _, err := tx.ExecContext(ctx, q, a...); err != nil {
		return err
	}

	if _, err := tx.ExecContext(ctx, `DELETE FROM centre_services WHERE centre_id = $1`, c.ID); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, code := range c.Services {
		if seen[code] {
			continue
		}
		seen[code] = true
		// Check first: PostgreSQL aborts the transaction on a violation.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM services WHERE code = $1`, code).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return &dost.Error{Code: dost.EINVALID, Message: fmt.Sprintf("Unknown service %s.", code),
				Fields: []dost.FieldError{{Field: fmt.Sprintf("services[%d]", i), Code: "service.unknown", Message: "No such service in the catalogue."}}}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO centre_services (centre_id, service_code) VALUES ($1, $2)`, c.ID, code); err != nil {
			return err
		}
	}
	return nil
}

func findCentre(ctx context.Context, tx *Tx, f dost.CentreFilter) (*dost.Centre, error) {
	cs, _, err := findCentres(ctx, tx, f)
	if err != nil {
		return nil, err
	} else if len(cs) == 0 {
		return nil, dost.Errorf(dost.ENOTFOUND, "Centre not found.")
	}
	return cs[0], nil
}

func findCentres(ctx context.Context, tx *Tx, f dost.CentreFilter) ([]*dost.Centre, int, error) {
	if !storable(strOf(f.Code), strOf(f.ServiceCode)) {
		return []*dost.Centre{}, 0, nil
	}
	var a args
	var conds []string
	if f.ID != nil {
		conds = append(conds, "id = "+a.add(*f.ID))
	}
	if f.Code != nil {
		conds = append(conds, "code = "+a.add(*f.Code))
	}
	if f.ServiceCode != nil {
		conds = append(conds, "id IN (SELECT centre_id FROM centre_services WHERE service_code = "+a.add(*f.ServiceCode)+")")
	}
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM centres"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, code, name_az, name_en, name_ru, region, district,
		address, phone, timezone, hours, created_at FROM centres`+where(conds)+" ORDER BY code"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	cs := []*dost.Centre{}
	byID := map[int64]*dost.Centre{}
	for rows.Next() {
		c := &dost.Centre{Counters: []*dost.Counter{}, Services: []string{}}
		var address, hours string
		if err := rows.Scan(&c.ID, &c.Code, &c.Name.AZ, &c.Name.EN, &c.Name.RU, &c.Region, &c.District,
			&address, &c.Phone, &c.Timezone, &hours, scanTime(&c.CreatedAt)); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal([]byte(address), &c.Address); err != nil {
			return nil, 0, fmt.Errorf("centre address: %w", err)
		}
		if err := json.Unmarshal([]byte(hours), &c.Hours); err != nil {
			return nil, 0, fmt.Errorf("centre hours: %w", err)
		}
		cs = append(cs, c)
		byID[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if len(cs) == 0 {
		return cs, total, nil
	}
	var ia args
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = ia.add(c.ID)
	}
	in := "(" + strings.Join(ids, ", ") + ")"

	krows, err := tx.QueryContext(ctx, `SELECT id, centre_id, number, label, queue_groups FROM counters
		WHERE centre_id IN `+in+` ORDER BY centre_id, number`, ia...)
	if err != nil {
		return nil, 0, err
	}
	defer krows.Close()
	for krows.Next() {
		k := &dost.Counter{Groups: []string{}}
		var groups string
		if err := krows.Scan(&k.ID, &k.CentreID, &k.Number, &k.Label, &groups); err != nil {
			return nil, 0, err
		}
		if groups != "" {
			k.Groups = strings.Split(groups, ",")
		}
		byID[k.CentreID].Counters = append(byID[k.CentreID].Counters, k)
	}
	if err := krows.Err(); err != nil {
		return nil, 0, err
	}
	krows.Close()

	srows, err := tx.QueryContext(ctx, `SELECT centre_id, service_code FROM centre_services
		WHERE centre_id IN `+in+` ORDER BY centre_id, service_code`, ia...)
	if err != nil {
		return nil, 0, err
	}
	defer srows.Close()
	for srows.Next() {
		var id int64
		var code string
		if err := srows.Scan(&id, &code); err != nil {
			return nil, 0, err
		}
		byID[id].Services = append(byID[id].Services, code)
	}
	return cs, total, srows.Err()
}
