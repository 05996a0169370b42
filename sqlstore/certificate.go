package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dost-az/dost"
)

// CertificateService stores certificates (dost.CertificateService) in the
// certificates table of migration 00019. It reads a certificate's facts in
// one read transaction, so they are consistent with each other, renders
// the PDF outside any transaction (the writer is not held while fonts are
// laid out) and inserts the certificate in a short write transaction. The
// unique code column makes two certificates never share a code: a clash
// (never expected, 80 random bits) draws a new code. It is safe for
// concurrent use.
type CertificateService struct {
	db         *DB
	renderer   dost.CertificateRenderer
	programmes map[string]dost.Programme

	// DailyLimit is how many certificates one person may get a day (in
	// Baku); 0 means dost.CertificateDailyLimit. Set before use.
	DailyLimit int
}

var _ dost.CertificateService = (*CertificateService)(nil)

// NewCertificateService returns a CertificateService over db that renders
// with renderer and names awards by programmes (an unknown programme is
// named by its code, and is no pension).
func NewCertificateService(db *DB, renderer dost.CertificateRenderer, programmes []dost.Programme) *CertificateService {
	s := &CertificateService{db: db, renderer: renderer, programmes: map[string]dost.Programme{}}
	for _, p := range programmes {
		s.programmes[p.Code] = p
	}
	return s
}

// IssueCertificate issues a certificate. See dost.CertificateService.
//
// A request the person already has an answer to today (same kind and
// language, facts unchanged) returns that certificate: a double click, a
// retry or a loop gives one certificate, not one per call. A new one is
// refused with dost.ECertificateLimit once the person has
// DailyLimit certificates of the day (in Baku). The check and the insert
// run in one write transaction that first locks the person's row
// (PostgreSQL; SQLite's writer is one connection), so concurrent calls
// cannot both insert.
func (s *CertificateService) IssueCertificate(ctx context.Context, q dost.CertificateRequest) (*dost.Certificate, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := mayIssue(dost.UserFromContext(ctx), q.PersonID); err != nil {
		return nil, err
	}
	c := &dost.Certificate{Kind: q.Kind, PersonID: q.PersonID, Language: q.Language, IssuedBy: dost.UserFromContext(ctx).ID}
	var today dost.Date
	err := s.db.view(ctx, func(tx *Tx) error {
		p, err := findPersonByID(ctx, tx, q.PersonID)
		if err != nil {
			return err
		}
		if c.Language == "" {
			c.Language = p.Lang()
		}
		// Whole microseconds: what both dialects store.
		c.IssuedAt = tx.now.Truncate(time.Microsecond)
		today = dost.DateOf(c.IssuedAt.In(dost.Baku))
		c.ValidUntil = today.AddDate(0, 0, dost.CertificateValidity)
		c.Facts, err = s.readFacts(ctx, tx, p, q.Kind, today)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	facts, err := json.Marshal(c.Facts)
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	// A certificate of today with these facts needs no rendering.
	var same *dost.Certificate
	if err := s.db.view(ctx, func(tx *Tx) error {
		same, _, err = sameCertificateToday(ctx, tx, c, facts, today)
		return err
	}); err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	if same != nil {
		return same, nil
	}
	const attempts = 3
	for range attempts {
		c.Code = s.renderer.NewCertificateCode()
		if c.PDF, err = s.renderer.RenderCertificate(c); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(c.PDF)
		c.SHA256 = hex.EncodeToString(sum[:])
		same = nil
		err = s.db.update(ctx, func(tx *Tx) error {
			if lock := tx.forUpdate(""); lock != "" {
				var id int64
				if err := tx.QueryRowContext(ctx, `SELECT id FROM persons WHERE id = $1`+lock, c.PersonID).Scan(&id); err != nil {
					return fmt.Errorf("lock person: %w", err)
				}
			}
			var n int
			var err error
			if same, n, err = sameCertificateToday(ctx, tx, c, facts, today); err != nil || same != nil {
				return err
			}
			if limit := s.dailyLimit(); n >= limit {
				return dost.Errorf(dost.ECertificateLimit,
					"You have %d certificates today, the most one person may get in a day; try again tomorrow.", limit)
			}
			return insertCertificate(ctx, tx, c, facts)
		})
		if dost.ErrorCode(err) != dost.ECONFLICT {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	if same != nil {
		return same, nil
	}
	return c, nil
}

// dailyLimit is DailyLimit, or dost.CertificateDailyLimit when unset.
func (s *CertificateService) dailyLimit() int {
	if s.DailyLimit > 0 {
		return s.DailyLimit
	}
	return dost.CertificateDailyLimit
}

// sameCertificateToday returns the certificate issued on day today (in
// Baku) about c's person of c's kind and language whose facts are facts
// (nil if none), with its PDF, and how many certificates about the person
// were issued that day.
func sameCertificateToday(ctx context.Context, tx *Tx, c *dost.Certificate, facts []byte, today dost.Date) (*dost.Certificate, int, error) {
	t := today.Time()
	from := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, dost.Baku)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certificates WHERE person_id = $1 AND issued_at >= $2 AND issued_at < $3`,
		c.PersonID, tx.ts(from), tx.ts(from.AddDate(0, 0, 1))).Scan(&n); err != nil {
		return nil, 0, fmt.Errorf("count certificates of the day: %w", err)
	}
	var found *dost.Certificate
	err := each(ctx, tx, `SELECT `+certificateColumns+`, pdf FROM certificates WHERE person_id = $1 AND kind = $2
		AND language = $3 AND issued_at >= $4 AND issued_at < $5 ORDER BY id DESC`,
		[]any{c.PersonID, string(c.Kind), c.Language, tx.ts(from), tx.ts(from.AddDate(0, 0, 1))}, func(rows *sql.Rows) error {
			var pdf []byte
			old, err := scanCertificate(rows, &pdf)
			if err != nil || found != nil {
				return err
			}
			// Compared as marshalled by this version: the stored text
			// of an older version may differ in form, not in facts.
			if b, err := json.Marshal(old.Facts); err == nil && bytes.Equal(b, facts) {
				old.PDF, found = pdf, old
			}
			return nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("find certificate of the day: %w", err)
	}
	return found, n, nil
}

// mayIssue returns nil if u may issue a certificate about person
// personID: a citizen about themselves, staff about anyone.
func mayIssue(u *dost.User, personID int64) error {
	switch {
	case u == nil:
		return dost.Errorf(dost.EUNAUTHORIZED, "Sign in to get a certificate.")
	case u.CitizenOnly():
		if u.PersonID == nil || *u.PersonID != personID {
			return dost.Errorf(dost.EFORBIDDEN, "A citizen gets certificates only about themselves.")
		}
		return nil
	case staffUser(u):
		return nil
	}
	return dost.Errorf(dost.EFORBIDDEN, "This account may not issue certificates.")
}

// staffUser reports whether u has a staff role.
func staffUser(u *dost.User) bool {
	return slices.ContainsFunc(dost.StaffRoles, u.HasRole)
}

// insertCertificate stores c, setting its ID. ECONFLICT if its code is
// taken.
func insertCertificate(ctx context.Context, tx *Tx, c *dost.Certificate, facts []byte) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO certificates (code, kind, person_id, language, issued_by,
		issued_at, valid_until, facts, sha256, pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		c.Code, c.Kind, c.PersonID, c.Language, c.IssuedBy, tx.ts(c.IssuedAt), c.ValidUntil, string(facts),
		c.SHA256, c.PDF).Scan(&c.ID)
	if isUnique(err) {
		return dost.Errorf(dost.ECONFLICT, "The certificate code %s is taken.", c.Code)
	}
	return err
}

// readFacts reads what a certificate of kind about p states, on day asOf.
func (s *CertificateService) readFacts(ctx context.Context, tx *Tx, p *dost.Person, kind dost.CertificateKind,
	asOf dost.Date) (dost.CertificateFacts, error) {
	f := dost.CertificateFacts{Name: p.FullName(), FIN: p.FIN.Masked(), BirthDate: p.BirthDate, AsOf: asOf}
	hs, _, err := findHouseholds(ctx, tx, dost.HouseholdFilter{PersonID: &p.ID, Limit: 1})
	if err != nil {
		return f, err
	}
	var h *dost.Household
	if len(hs) > 0 {
		h = hs[0]
	}
	if kind == dost.CertificateRegistration {
		f.Region, f.District, f.Address = p.Region, p.District, p.Address
		if h != nil {
			ch := &dost.CertificateHousehold{Code: h.Code, Members: len(h.Members)}
			for _, m := range h.Members {
				if m.PersonID == p.ID {
					ch.Role = m.Role
				}
			}
			f.Household = ch
		}
		return f, nil
	}
	awards, err := activeAwards(ctx, tx, p.ID, h)
	if err != nil {
		return f, err
	}
	for _, a := range awards {
		prog, known := s.programmes[a.Programme]
		if kind == dost.CertificatePension && (!known || !dost.IsPension(prog)) {
			continue
		}
		name := prog.Name
		if !known {
			name = dost.Text{AZ: a.Programme, EN: a.Programme, RU: a.Programme}
		}
		f.Awards = append(f.Awards, dost.CertificateAward{Programme: a.Programme, Name: name, Kind: a.Kind,
			Amount: a.Amount, Start: a.Start, Household: a.PersonID == 0})
	}
	return f, nil
}

// activeAwards returns the active awards whose beneficiary is person
// personID or their household h (nil: none), by start and programme. An
// award the person is only the payee of (a child's allowance paid to the
// mother) is the beneficiary's entitlement, not theirs: it is left out.
func activeAwards(ctx context.Context, tx *Tx, personID int64, h *dost.Household) ([]*dost.Award, error) {
	filters := []dost.AwardFilter{{PersonID: personID, Statuses: []dost.AwardStatus{dost.AwardActive}}}
	if h != nil {
		filters = append(filters, dost.AwardFilter{HouseholdID: h.ID, Statuses: []dost.AwardStatus{dost.AwardActive}})
	}
	seen := map[int64]bool{}
	var out []*dost.Award
	for _, f := range filters {
		_, list, a := awardsQueries(f)
		if err := each(ctx, tx, list, a, func(rows *sql.Rows) error {
			aw, err := scanAward(rows)
			if err == nil && !seen[aw.ID] && (aw.PersonID == personID || aw.PersonID == 0 && h != nil && aw.HouseholdID == h.ID) {
				seen[aw.ID] = true
				out = append(out, aw)
			}
			return err
		}); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b *dost.Award) int {
		if c := a.Start.Time().Compare(b.Start.Time()); c != 0 {
			return c
		}
		return cmp.Compare(a.Programme, b.Programme)
	})
	return out, nil
}

// certificateColumns are the columns scanCertificate reads, without the PDF.
const certificateColumns = `id, code, kind, person_id, language, issued_by, issued_at, valid_until, facts, sha256`

// scanCertificate scans certificateColumns and then into extra.
func scanCertificate(row interface{ Scan(...any) error }, extra ...any) (*dost.Certificate, error) {
	c := &dost.Certificate{}
	var facts string
	err := row.Scan(append([]any{&c.ID, &c.Code, &c.Kind, &c.PersonID, &c.Language, &c.IssuedBy, scanTime(&c.IssuedAt),
		&c.ValidUntil, &facts, &c.SHA256}, extra...)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(facts), &c.Facts); err != nil {
		return nil, fmt.Errorf("certificate %d facts: %w", c.ID, err)
	}
	return c, nil
}

// FindCertificateByID returns a certificate with its PDF. See
// dost.CertificateService.
func (s *CertificateService) FindCertificateByID(ctx context.Context, id int64) (*dost.Certificate, error) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in to see certificates.")
	}
	c, err := s.findCertificate(ctx, "id", id)
	if err != nil {
		return nil, err
	}
	if mayIssue(u, c.PersonID) != nil { // who may issue it may read it
		return nil, errNoCertificate
	}
	return c, nil
}

// FindCertificateByCode returns a certificate with its PDF. See
// dost.CertificateService.
func (s *CertificateService) FindCertificateByCode(ctx context.Context, code string) (*dost.Certificate, error) {
	if !storable(code) {
		return nil, errNoCertificate
	}
	return s.findCertificate(ctx, "code", code)
}

// errNoCertificate answers an unknown certificate.
var errNoCertificate = dost.Errorf(dost.ENOTFOUND, "No such certificate.")

// findCertificate returns the certificate whose column (id or code) is v,
// with its PDF. ENOTFOUND if there is none.
func (s *CertificateService) findCertificate(ctx context.Context, column string, v any) (*dost.Certificate, error) {
	var c *dost.Certificate
	err := s.db.view(ctx, func(tx *Tx) error {
		var pdf []byte
		var err error
		c, err = scanCertificate(tx.QueryRowContext(ctx, `SELECT `+certificateColumns+`, pdf FROM certificates
			WHERE `+column+` = $1`, v), &pdf)
		if isNoRows(err) {
			return errNoCertificate
		} else if err != nil {
			return err
		}
		c.PDF = pdf
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// FindCertificates returns matching certificates without their PDFs. See
// dost.CertificateService.
func (s *CertificateService) FindCertificates(ctx context.Context, f dost.CertificateFilter) ([]*dost.Certificate, int, error) {
	u := dost.UserFromContext(ctx)
	switch {
	case u == nil:
		return nil, 0, dost.Errorf(dost.EUNAUTHORIZED, "Sign in to see certificates.")
	case u.CitizenOnly():
		if u.PersonID == nil {
			return []*dost.Certificate{}, 0, nil
		}
		f.PersonID = *u.PersonID
	case !staffUser(u):
		return nil, 0, dost.Errorf(dost.EFORBIDDEN, "This account may not see certificates.")
	}
	if !storable(string(f.Kind)) {
		return []*dost.Certificate{}, 0, nil
	}
	var a args
	var conds []string
	if f.PersonID != 0 {
		conds = append(conds, "person_id = "+a.add(f.PersonID))
	}
	if f.Kind != "" {
		conds = append(conds, "kind = "+a.add(string(f.Kind)))
	}
	out := []*dost.Certificate{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certificates`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+certificateColumns+` FROM certificates`+where(conds)+` ORDER BY id DESC`+
			page(f.Offset, f.Limit), a, func(rows *sql.Rows) error {
			c, err := scanCertificate(rows)
			if err == nil {
				out = append(out, c)
			}
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find certificates: %w", err)
	}
	return out, total, nil
}
