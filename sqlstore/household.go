package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/dost-az/dost"
)

// HouseholdService stores households and their members. A person belongs to
// at most one household (a unique index on the member's person) and a
// household has exactly one head (checked here, and a partial unique index
// as the last line). It is safe for concurrent use.
type HouseholdService struct {
	db *DB
}

var _ dost.HouseholdService = (*HouseholdService)(nil)

// NewHouseholdService returns a HouseholdService over db.
func NewHouseholdService(db *DB) *HouseholdService { return &HouseholdService{db: db} }

// FindHouseholdByID returns a household with its members and their person
// records. ENOTFOUND if there is none.
func (s *HouseholdService) FindHouseholdByID(ctx context.Context, id int64) (*dost.Household, error) {
	var h *dost.Household
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		if h, err = findHouseholdByID(ctx, tx, id); err != nil {
			return err
		}
		for _, m := range h.Members {
			if m.Person, err = findPersonByID(ctx, tx, m.PersonID); err != nil {
				return err
			}
		}
		return nil
	})
	return h, err
}

// FindHouseholds returns matching households ordered by code, with members
// (without person records), and the total count.
func (s *HouseholdService) FindHouseholds(ctx context.Context, filter dost.HouseholdFilter) ([]*dost.Household, int, error) {
	var hs []*dost.Household
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		hs, n, err = findHouseholds(ctx, tx, filter)
		return err
	})
	return hs, n, err
}

// CreateHousehold stores h and its members, looked up by FIN or PersonID,
// setting h's ID, timestamps and each member's PersonID and FIN. EINVALID
// for bad fields or an unknown member, ECONFLICT if the code is taken or a
// member already belongs to another household.
func (s *HouseholdService) CreateHousehold(ctx context.Context, h *dost.Household) error {
	h.Code = strings.TrimSpace(h.Code)
	if err := h.Validate(); err != nil {
		return err
	}
	return s.db.update(ctx, func(tx *Tx) error { return createHousehold(ctx, tx, h) })
}

// AddHouseholdMember adds a person (by PersonID or FIN) to a household.
// ENOTFOUND for an unknown household, EINVALID for an unknown person or
// role, ECONFLICT if the person is in a household already or a second head
// is added.
func (s *HouseholdService) AddHouseholdMember(ctx context.Context, householdID int64, m *dost.HouseholdMember) error {
	if !dost.ValidHouseholdRole(m.Role) {
		return &dost.Error{Code: dost.EINVALID, Message: "Unknown household role.",
			Fields: []dost.FieldError{{Field: "role", Code: "household_role.invalid", Message: "Unknown role."}}}
	}
	return s.db.update(ctx, func(tx *Tx) error {
		h, err := findHouseholdByID(ctx, tx, householdID)
		if err != nil {
			return err
		}
		if m.Role == dost.RoleHead && h.Head() != nil {
			return dost.Errorf(dost.ECONFLICT, "The household has a head already.")
		}
		if err := resolveMember(ctx, tx, m, "person_id"); err != nil {
			return err
		}
		if err := insertMember(ctx, tx, householdID, m, "fin"); err != nil {
			return err
		}
		return touchHousehold(ctx, tx, householdID)
	})
}

// RemoveHouseholdMember removes a person from a household. ENOTFOUND if the
// person is not a member; ECONFLICT when removing the head while others
// remain, since a household always has one head.
func (s *HouseholdService) RemoveHouseholdMember(ctx context.Context, householdID, personID int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		h, err := findHouseholdByID(ctx, tx, householdID)
		if err != nil {
			return err
		}
		var found *dost.HouseholdMember
		for _, m := range h.Members {
			if m.PersonID == personID {
				found = m
			}
		}
		if found == nil {
			return dost.Errorf(dost.ENOTFOUND, "The person is not a member of this household.")
		}
		if found.Role == dost.RoleHead && len(h.Members) > 1 {
			return dost.Errorf(dost.ECONFLICT, "The head cannot leave while other members remain.")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM household_members WHERE household_id = $1 AND person_id = $2`,
			householdID, personID); err != nil {
			return err
		}
		return touchHousehold(ctx, tx, householdID)
	})
}

func findHouseholdByID(ctx context.Context, tx *Tx, id int64) (*dost.Household, error) {
	hs, _, err := findHouseholds(ctx, tx, dost.HouseholdFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	} else if len(hs) == 0 {
		return nil, dost.Errorf(dost.ENOTFOUND, "Household not found.")
	}
	return hs[0], nil
}

func findHouseholds(ctx context.Context, tx *Tx, f dost.HouseholdFilter) ([]*dost.Household, int, error) {
	if !storable(strOf(f.Code)) {
		return []*dost.Household{}, 0, nil
	}
	var a args
	var conds []string
	if f.ID != nil {
		conds = append(conds, "id = "+a.add(*f.ID))
	}
	if f.Code != nil {
		conds = append(conds, "code = "+a.add(strings.TrimSpace(*f.Code)))
	}
	if f.PersonID != nil {
		conds = append(conds, "id IN (SELECT household_id FROM household_members WHERE person_id = "+a.add(*f.PersonID)+")")
	}
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM households"+where(conds), a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, code, region, district, address, created_at, updated_at
		FROM households`+where(conds)+" ORDER BY code"+page(f.Offset, f.Limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	hs := []*dost.Household{}
	byID := map[int64]*dost.Household{}
	for rows.Next() {
		h := &dost.Household{Members: []*dost.HouseholdMember{}}
		if err := rows.Scan(&h.ID, &h.Code, &h.Region, &h.District, &h.Address,
			scanTime(&h.CreatedAt), scanTime(&h.UpdatedAt)); err != nil {
			return nil, 0, err
		}
		hs = append(hs, h)
		byID[h.ID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	if len(hs) == 0 {
		return hs, total, nil
	}
	// Members of the whole page in one query.
	var ma args
	ids := make([]string, len(hs))
	for i, h := range hs {
		ids[i] = ma.add(h.ID)
	}
	mrows, err := tx.QueryContext(ctx, `SELECT m.household_id, m.person_id, p.fin, m.role
		FROM household_members m JOIN persons p ON p.id = m.person_id
		WHERE m.household_id IN (`+strings.Join(ids, ", ")+`)
		ORDER BY m.household_id, CASE m.role WHEN 'head' THEN 0 ELSE 1 END, p.birth_date, p.id`, ma...)
	if err != nil {
		return nil, 0, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var hid int64
		m := &dost.HouseholdMember{}
		if err := mrows.Scan(&hid, &m.PersonID, &m.FIN, &m.Role); err != nil {
			return nil, 0, err
		}
		byID[hid].Members = append(byID[hid].Members, m)
	}
	return hs, total, mrows.Err()
}

func createHousehold(ctx context.Context, tx *Tx, h *dost.Household) error {
	for i, m := range h.Members {
		if err := resolveMember(ctx, tx, m, "members["+strconv.Itoa(i)+"].fin"); err != nil {
			return err
		}
	}
	h.CreatedAt, h.UpdatedAt = tx.now, tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO households (code, region, district, address, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		h.Code, h.Region, h.District, h.Address, tx.ts(h.CreatedAt), tx.ts(h.UpdatedAt)).Scan(&h.ID)
	if isUnique(err) {
		return &dost.Error{Code: dost.ECONFLICT, Message: "A household with this code exists already.",
			Fields: []dost.FieldError{{Field: "code", Code: "household.code_taken", Message: "This household code is taken."}}}
	} else if err != nil {
		return err
	}
	for i, m := range h.Members {
		if err := insertMember(ctx, tx, h.ID, m, "members["+strconv.Itoa(i)+"].fin"); err != nil {
			return err
		}
	}
	return nil
}

// resolveMember fills m's PersonID from its FIN or its FIN from its
// PersonID. EINVALID, naming field, if the person is unknown.
func resolveMember(ctx context.Context, tx *Tx, m *dost.HouseholdMember, field string) error {
	var p *dost.Person
	var err error
	if m.PersonID != 0 {
		p, err = findPersonByID(ctx, tx, m.PersonID)
	} else {
		p, err = findPersonByFIN(ctx, tx, m.FIN)
	}
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return &dost.Error{Code: dost.EINVALID, Message: "A household member is not in the registry.",
			Fields: []dost.FieldError{{Field: field, Code: "person.unknown", Message: "No such person in the registry."}}}
	} else if err != nil {
		return err
	}
	m.PersonID, m.FIN = p.ID, p.FIN
	return nil
}

// insertMember adds m to the household. ECONFLICT, naming field, if the
// person belongs to a household already.
func insertMember(ctx context.Context, tx *Tx, householdID int64, m *dost.HouseholdMember, field string) error {
	// Check first for a clear message; the unique indexes stay the last line
	// against a concurrent insert (and PostgreSQL aborts the transaction on a
	// violation, so nothing could be asked afterwards).
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM household_members WHERE person_id = $1`, m.PersonID).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return memberTaken(field, "%s belongs to a household already.", m.FIN.Masked())
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO household_members (household_id, person_id, role) VALUES ($1, $2, $3)`,
		householdID, m.PersonID, m.Role)
	if isUnique(err) {
		return memberTaken(field, "%s belongs to a household already, or the household has a head already.", m.FIN.Masked())
	}
	return err
}

// memberTaken is the ECONFLICT of a member who cannot join, naming field
// with code "household.member_taken".
func memberTaken(field, format string, args ...any) error {
	e := dost.Errorf(dost.ECONFLICT, format, args...)
	e.Fields = []dost.FieldError{{Field: field, Code: "household.member_taken", Message: e.Message}}
	return e
}

func touchHousehold(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE households SET updated_at = $1 WHERE id = $2`, tx.ts(tx.now), id)
	return err
}
