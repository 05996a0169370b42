package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dost-az/dost"
)

// PortalStore implements dost.PortalService: the citizen's profile and the
// awards of their household, for the portal's pages and /api/v1/me.
type PortalStore struct {
	db *DB
}

var _ dost.PortalService = (*PortalStore)(nil)

// NewPortalStore returns a PortalStore over db.
func NewPortalStore(db *DB) *PortalStore { return &PortalStore{db: db} }

// UpdateProfile implements dost.PortalService: the person's phone, e-mail
// and language and the user's e-mail change in one transaction, or nothing
// changes.
func (s *PortalStore) UpdateProfile(ctx context.Context, userID, personID int64, upd dost.ProfileUpdate) (*dost.Person, error) {
	upd.Normalize()
	if err := upd.Validate(); err != nil {
		return nil, err
	}
	var p *dost.Person
	err := s.db.update(ctx, func(tx *Tx) error {
		cur, err := findPersonByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		if p, err = updatePerson(ctx, tx, cur.FIN, dost.PersonUpdate{Phone: upd.Phone, Email: upd.Email, Language: upd.Language}); err != nil {
			return err
		}
		if upd.Email == nil {
			return nil
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, updated_at = $2 WHERE id = $3`, *upd.Email, tx.ts(tx.now), userID)
		if err != nil {
			return fmt.Errorf("update user e-mail: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "User not found.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// FindHouseholdAwards implements dost.PortalService. The members are read
// in the same transaction as the awards, so a member who moves out
// meanwhile is either wholly in or wholly out.
func (s *PortalStore) FindHouseholdAwards(ctx context.Context, personID int64, offset, limit int) ([]*dost.Award, int, error) {
	awards := []*dost.Award{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		var hh int64
		err := tx.QueryRowContext(ctx, `SELECT household_id FROM household_members WHERE person_id = $1`, personID).Scan(&hh)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("find household: %w", err)
		}
		people := []int64{personID}
		if hh != 0 {
			if err := each(ctx, tx, `SELECT person_id FROM household_members WHERE household_id = $1 ORDER BY person_id`, []any{hh},
				func(rows *sql.Rows) error {
					var id int64
					if err := rows.Scan(&id); err != nil {
						return err
					}
					if id != personID {
						people = append(people, id)
					}
					return nil
				}); err != nil {
				return fmt.Errorf("find household members: %w", err)
			}
		}
		var a args
		ph := make([]string, len(people))
		for i, id := range people {
			ph[i] = a.add(id)
		}
		in := strings.Join(ph, ", ")
		// Paid to: only the citizen. An outsider's award paid to another
		// member (a grandchild's allowance to the grandmother) is not the
		// household's to show to every member.
		ids := `SELECT id FROM awards WHERE person_id IN (` + in + `) AND person_id <> 0
			UNION SELECT id FROM awards WHERE payee_id = ` + a.add(personID)
		if hh != 0 {
			ids += ` UNION SELECT id FROM awards WHERE household_id = ` + a.add(hh) + ` AND household_id <> 0 AND person_id = 0`
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+ids+`) AS matched`, a...).Scan(&total); err != nil {
			return fmt.Errorf("count awards: %w", err)
		}
		return each(ctx, tx, `SELECT `+awardColumns+` WHERE id IN (`+ids+`) ORDER BY id DESC`+page(offset, limit), a,
			func(rows *sql.Rows) error {
				w, err := scanAward(rows)
				awards = append(awards, w)
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find household awards: %w", err)
	}
	return awards, total, nil
}
