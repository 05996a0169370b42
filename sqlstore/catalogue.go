package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// CatalogueService stores the service catalogue: scalar columns to filter
// on and the whole passport as JSON. It is safe for concurrent use.
type CatalogueService struct {
	db *DB
}

var _ dost.CatalogueService = (*CatalogueService)(nil)

// NewCatalogueService returns a CatalogueService over db.
func NewCatalogueService(db *DB) *CatalogueService { return &CatalogueService{db: db} }

// FindServiceByCode returns a service; ENOTFOUND if there is none.
func (s *CatalogueService) FindServiceByCode(ctx context.Context, code string) (*dost.Service, error) {
	var svc *dost.Service
	err := s.db.view(ctx, func(tx *Tx) error {
		ss, _, err := findServices(ctx, tx, dost.ServiceFilter{Code: &code, Limit: 1})
		if err != nil {
			return err
		} else if len(ss) == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Service %s not found.", code)
		}
		svc = ss[0]
		return nil
	})
	return svc, err
}

// FindServices returns matching services ordered by code, and the total.
// Query matches a name in any language (case-insensitive, anywhere in the
// name) or the start of the code.
func (s *CatalogueService) FindServices(ctx context.Context, filter dost.ServiceFilter) ([]*dost.Service, int, error) {
	var ss []*dost.Service
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		ss, n, err = findServices(ctx, tx, filter)
		return err
	})
	return ss, n, err
}

// SaveService validates s and creates it or replaces the service with the
// same code. EINVALID on a bad passport.
func (s *CatalogueService) SaveService(ctx context.Context, svc *dost.Service) error {
	if err := svc.Validate(); err != nil {
		return err
	}
	passport, err := json.Marshal(svc)
	if err != nil {
		return fmt.Errorf("save service: %w", err)
	}
	// ",in_person,online," so that a channel is matched by LIKE '%,online,%'.
	var channels strings.Builder
	channels.WriteString(",")
	for _, c := range svc.RequestChannels {
		channels.WriteString(string(c) + ",")
	}
	search := searchKey(svc.Name.AZ + "\n" + svc.Name.EN + "\n" + svc.Name.RU)
	return s.db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO services (code, category, assignment_mode,
			electronic_delivery, queue_group, active, request_channels, name_az, name_en, name_ru,
			search, passport, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (code) DO UPDATE SET category = excluded.category,
			assignment_mode = excluded.assignment_mode, electronic_delivery = excluded.electronic_delivery,
			queue_group = excluded.queue_group, active = excluded.active,
			request_channels = excluded.request_channels, name_az = excluded.name_az,
			name_en = excluded.name_en, name_ru = excluded.name_ru, search = excluded.search,
			passport = excluded.passport, updated_at = excluded.updated_at`,
			svc.Code, svc.Category, svc.AssignmentMode, svc.ElectronicDelivery, svc.QueueGroup, svc.Active,
			channels.String(), svc.Name.AZ, svc.Name.EN, svc.Name.RU, search, string(passport), tx.ts(tx.now))
		return err
	})
}

func findServices(ctx context.Context, tx *Tx, f dost.ServiceFilter) ([]*dost.Service, int, error) {
	if !storable(strOf(f.Code), strOf(f.Category), strOf(f.Channel), strOf(f.AssignmentMode), strOf(f.Query)) {
		return []*dost.Service{}, 0, nil
	}
	var a args
	var conds []string
	if f.Code != nil {
		conds = append(conds, "s.code = "+a.add(*f.Code))
	}
	if f.Category != nil {
		conds = append(conds, "s.category = "+a.add(*f.Category))
	}
	if f.Channel != nil {
		conds = append(conds, `s.request_channels LIKE `+a.add("%,"+likeEscape(string(*f.Channel))+",%")+` ESCAPE '\'`)
	}
	if f.AssignmentMode != nil {
		conds = append(conds, "s.assignment_mode = "+a.add(*f.AssignmentMode))
	}
	if f.CentreID != nil {
		conds = append(conds, "s.code IN (SELECT service_code FROM centre_services WHERE centre_id = "+a.add(*f.CentreID)+")")
	}
	if f.Query != nil {
		if q := searchKey(*f.Query); q != "" {
			conds = append(conds, `(s.search LIKE `+a.add("%"+likeEscape(q)+"%")+` ESCAPE '\' OR s.code LIKE `+
				a.add(likeEscape(strings.TrimSpace(*f.Query))+"%")+` ESCAPE '\')`)
		}
	}
	if f.ActiveOnly {
		conds = append(conds, "s.active = "+a.add(true))
	}
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM services s"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT s.passport FROM services s"+where(conds)+" ORDER BY s.code"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	ss := []*dost.Service{}
	for rows.Next() {
		var passport string
		if err := rows.Scan(&passport); err != nil {
			return nil, 0, err
		}
		var svc dost.Service
		if err := json.Unmarshal([]byte(passport), &svc); err != nil {
			return nil, 0, fmt.Errorf("service passport: %w", err)
		}
		ss = append(ss, &svc)
	}
	return ss, total, rows.Err()
}
