package sqlstore

import (
	"context"
	"strings"

	"github.com/dost-az/dost"
)

// Person page sizes.
const (
	defaultPersonLimit = 50
	maxPersonLimit     = 500
)

// maxNameWords bounds the words of a name search; a longer query, which
// no name in the registry has, matches nothing rather than building a
// query of hundreds of conditions.
const maxNameWords = 8

// PersonService stores the registry of persons. It is safe for concurrent use.
type PersonService struct {
	db *DB
}

var _ dost.PersonService = (*PersonService)(nil)

// NewPersonService returns a PersonService over db.
func NewPersonService(db *DB) *PersonService { return &PersonService{db: db} }

// FindPersonByID returns a person; ENOTFOUND if there is none.
func (s *PersonService) FindPersonByID(ctx context.Context, id int64) (*dost.Person, error) {
	var p *dost.Person
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		p, err = findPersonByID(ctx, tx, id)
		return err
	})
	return p, err
}

// FindPersonByFIN returns a person; ENOTFOUND if there is none.
func (s *PersonService) FindPersonByFIN(ctx context.Context, fin dost.FIN) (*dost.Person, error) {
	var p *dost.Person
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		p, err = findPersonByFIN(ctx, tx, fin)
		return err
	})
	return p, err
}

// FindPersons returns one page of matching persons ordered by last name,
// first name and FIN, and the total count of matches. The page size is 50
// by default and at most 500.
func (s *PersonService) FindPersons(ctx context.Context, filter dost.PersonFilter) ([]*dost.Person, int, error) {
	var ps []*dost.Person
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		ps, n, err = findPersons(ctx, tx, filter)
		return err
	})
	return ps, n, err
}

// CreatePerson normalises, validates and stores p, setting its ID and
// timestamps. EINVALID on bad fields, ECONFLICT if the FIN is taken.
func (s *PersonService) CreatePerson(ctx context.Context, p *dost.Person) error {
	return s.db.update(ctx, func(tx *Tx) error { return createPerson(ctx, tx, p) })
}

// UpdatePerson applies upd to the person with the FIN and returns the
// result. ENOTFOUND, or EINVALID if the result would not validate.
func (s *PersonService) UpdatePerson(ctx context.Context, fin dost.FIN, upd dost.PersonUpdate) (*dost.Person, error) {
	var p *dost.Person
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		p, err = updatePerson(ctx, tx, fin, upd)
		return err
	})
	return p, err
}

func findPersonByID(ctx context.Context, tx *Tx, id int64) (*dost.Person, error) {
	ps, _, err := findPersons(ctx, tx, dost.PersonFilter{ID: &id, Limit: 1})
	if err != nil {
		return nil, err
	} else if len(ps) == 0 {
		return nil, dost.Errorf(dost.ENOTFOUND, "Person not found.")
	}
	return ps[0], nil
}

func findPersonByFIN(ctx context.Context, tx *Tx, fin dost.FIN) (*dost.Person, error) {
	ps, _, err := findPersons(ctx, tx, dost.PersonFilter{FIN: &fin, Limit: 1})
	if err != nil {
		return nil, err
	} else if len(ps) == 0 {
		return nil, dost.Errorf(dost.ENOTFOUND, "No person with FIN %s.", fin.Masked())
	}
	return ps[0], nil
}

// personColumns are the columns scanPerson reads, in its order.
const personColumns = `p.id, p.fin, p.first_name, p.last_name, p.patronymic, p.birth_date, p.sex,
	p.phone, p.email, p.region, p.district, p.address, p.status, p.death_date, p.iban, p.language,
	p.created_at, p.updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanPerson(row scanner) (*dost.Person, error) {
	var p dost.Person
	err := row.Scan(&p.ID, &p.FIN, &p.FirstName, &p.LastName, &p.Patronymic, &p.BirthDate, &p.Sex,
		&p.Phone, &p.Email, &p.Region, &p.District, &p.Address, &p.Status, &p.DeathDate, &p.IBAN, &p.Language,
		scanTime(&p.CreatedAt), scanTime(&p.UpdatedAt))
	return &p, err
}

func findPersons(ctx context.Context, tx *Tx, f dost.PersonFilter) ([]*dost.Person, int, error) {
	if !storable(strOf(f.FIN), strOf(f.FINPrefix), strOf(f.Name)) {
		return []*dost.Person{}, 0, nil
	}
	var a args
	var conds []string
	if f.ID != nil {
		conds = append(conds, "p.id = "+a.add(*f.ID))
	}
	if f.FIN != nil {
		fin := dost.FIN(strings.ToUpper(strings.TrimSpace(string(*f.FIN))))
		conds = append(conds, "p.fin = "+a.add(fin))
	}
	if f.FINPrefix != nil {
		if pre := strings.ToUpper(strings.TrimSpace(*f.FINPrefix)); pre != "" {
			conds = append(conds, "p.fin >= "+a.add(pre)+" AND p.fin < "+a.add(prefixUpper(pre)))
		}
	}
	if f.Name != nil {
		words := strings.Fields(searchKey(*f.Name))
		if len(words) > maxNameWords {
			return []*dost.Person{}, 0, nil
		}
		// Each word starts one of the names, in any order: "Abbasov Aqil"
		// and "aqil abbasov" find Aqil Abbasov.
		for _, w := range words {
			lo, hi := a.add(w), a.add(prefixUpper(w))
			var or []string
			for _, col := range []string{"p.last_name_lc", "p.first_name_lc", "p.patronymic_lc"} {
				or = append(or, "("+col+" >= "+lo+" AND "+col+" < "+hi+")")
			}
			conds = append(conds, "("+strings.Join(or, " OR ")+")")
		}
	}
	if f.BirthDate != nil {
		conds = append(conds, "p.birth_date = "+a.add(*f.BirthDate))
	}
	if f.HouseholdID != nil {
		conds = append(conds, "p.id IN (SELECT person_id FROM household_members WHERE household_id = "+a.add(*f.HouseholdID)+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultPersonLimit
	} else if limit > maxPersonLimit {
		limit = maxPersonLimit
	}

	// A lookup by a unique key matches at most one row: its count is the
	// length of the page, so the hot by-FIN path runs one query, not two.
	unique := (f.ID != nil || f.FIN != nil) && f.Offset == 0
	total := -1
	if !unique {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM persons p"+where(conds), a...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+personColumns+" FROM persons p"+where(conds)+
		" ORDER BY p.last_name_lc, p.first_name_lc, p.fin"+page(f.Offset, limit), a...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	ps := []*dost.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, err
		}
		ps = append(ps, p)
	}
	if unique {
		total = len(ps)
	}
	return ps, total, rows.Err()
}

// searchKey is the lower-cased form names are searched by. Go lower-cases
// Azerbaijani letters (Ə, Ş, Ç, Ğ, Ö, Ü) that SQLite's lower() leaves alone.
// Dotless ı folds into i, so that "Işıq", "IŞIQ" and "isiq"-style typing on
// a keyboard without Azerbaijani letters still meet at "işiq".
func searchKey(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "ı", "i")
}

func createPerson(ctx context.Context, tx *Tx, p *dost.Person) error {
	p.Normalize()
	if err := p.Validate(dost.DateOf(tx.now)); err != nil {
		return err
	}
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO persons (fin, first_name, last_name, patronymic,
		first_name_lc, last_name_lc, patronymic_lc, birth_date, sex, phone, email, region, district,
		address, status, death_date, iban, language, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		RETURNING id`,
		p.FIN, p.FirstName, p.LastName, p.Patronymic,
		searchKey(p.FirstName), searchKey(p.LastName), searchKey(p.Patronymic),
		p.BirthDate, p.Sex, p.Phone, p.Email, p.Region, p.District,
		p.Address, p.Status, p.DeathDate, p.IBAN, p.Language, tx.ts(p.CreatedAt), tx.ts(p.UpdatedAt),
	).Scan(&p.ID)
	if isUnique(err) {
		return &dost.Error{Code: dost.ECONFLICT, Message: "A person with this FIN is already registered.",
			Fields: []dost.FieldError{{Field: "fin", Code: "fin.taken", Message: "This FIN is already registered."}}}
	}
	return err
}

func updatePerson(ctx context.Context, tx *Tx, fin dost.FIN, upd dost.PersonUpdate) (*dost.Person, error) {
	p, err := findPersonByFIN(ctx, tx, fin)
	if err != nil {
		return nil, err
	}
	upd.Apply(p)
	p.Normalize()
	if err := p.Validate(dost.DateOf(tx.now)); err != nil {
		return nil, err
	}
	p.UpdatedAt = tx.now
	_, err = tx.ExecContext(ctx, `UPDATE persons SET first_name = $1, last_name = $2, patronymic = $3,
		first_name_lc = $4, last_name_lc = $5, patronymic_lc = $6, birth_date = $7, sex = $8,
		phone = $9, email = $10, region = $11, district = $12, address = $13, status = $14,
		death_date = $15, iban = $16, language = $17, updated_at = $18
		WHERE id = $19`,
		p.FirstName, p.LastName, p.Patronymic,
		searchKey(p.FirstName), searchKey(p.LastName), searchKey(p.Patronymic), p.BirthDate, p.Sex,
		p.Phone, p.Email, p.Region, p.District, p.Address, p.Status,
		p.DeathDate, p.IBAN, p.Language, tx.ts(p.UpdatedAt), p.ID)
	if err != nil {
		return nil, err
	}
	return p, nil
}
