package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/training"
)

// TrainingStore is the storage of operators' training (training.Store):
// courses, completions and the certifications they issue, and the renewal
// reminders sent (tables of migration 00012_training, certifications of
// 00008_hall). It is safe for concurrent use, also by several nodes on
// one database: a completion locks its operator's row (PostgreSQL; SQLite's
// one writer serialises), as HallStore.CreateCertification does, so two
// completions of one operator cannot both issue overlapping
// certifications; the reminders' primary key makes each reminder once.
type TrainingStore struct {
	db *DB
}

var _ training.Store = (*TrainingStore)(nil)

// NewTrainingStore returns a TrainingStore over db.
func NewTrainingStore(db *DB) *TrainingStore { return &TrainingStore{db: db} }

// courseColumns are the columns scanCourse reads.
const courseColumns = `id, code, category, title_az, title_en, title_ru, hours, validity_months, active,
	created_at, updated_at FROM courses`

// scanCourse scans a course.
func scanCourse(row interface{ Scan(...any) error }) (*dost.Course, error) {
	c := &dost.Course{}
	err := row.Scan(&c.ID, &c.Code, &c.Category, &c.Title.AZ, &c.Title.EN, &c.Title.RU, &c.Hours, &c.ValidityMonths,
		&c.Active, scanTime(&c.CreatedAt), scanTime(&c.UpdatedAt))
	return c, err
}

// findCourse returns course id in tx. ENOTFOUND if there is none.
func findCourse(ctx context.Context, tx *Tx, id int64) (*dost.Course, error) {
	c, err := scanCourse(tx.QueryRowContext(ctx, `SELECT `+courseColumns+` WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Course %d not found.", id)
	}
	return c, err
}

// FindCourses returns matching courses. See training.Store.
func (s *TrainingStore) FindCourses(ctx context.Context, f dost.CourseFilter) ([]*dost.Course, int, error) {
	out := []*dost.Course{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.Category != "" {
			conds = append(conds, "category = "+a.add(string(f.Category)))
		}
		if f.Active != nil {
			conds = append(conds, "active = "+a.add(*f.Active))
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM courses`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+courseColumns+where(conds)+` ORDER BY code`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				c, err := scanCourse(rows)
				out = append(out, c)
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find courses: %w", err)
	}
	return out, total, nil
}

// FindCourseByID returns a course. See training.Store.
func (s *TrainingStore) FindCourseByID(ctx context.Context, id int64) (*dost.Course, error) {
	var c *dost.Course
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		c, err = findCourse(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find course %d: %w", id, err)
	}
	return c, nil
}

// errCourseCode is the conflict of a course code in use.
func errCourseCode(code string) error {
	return fieldErr(dost.ECONFLICT, "code", "course.code_taken", "A course with code %s exists already.", code)
}

// CreateCourse stores a course. See training.Store.
func (s *TrainingStore) CreateCourse(ctx context.Context, c *dost.Course) error {
	if err := c.Validate(); err != nil {
		return err
	}
	err := s.db.update(ctx, func(tx *Tx) error {
		c.CreatedAt, c.UpdatedAt = tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO courses (code, category, title_az, title_en, title_ru, hours,
			validity_months, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			c.Code, c.Category, c.Title.AZ, c.Title.EN, c.Title.RU, c.Hours, c.ValidityMonths, c.Active,
			tx.ts(c.CreatedAt), tx.ts(c.UpdatedAt)).Scan(&c.ID)
		if isUnique(err) {
			return errCourseCode(c.Code)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create course %s: %w", c.Code, err)
	}
	return nil
}

// UpdateCourse changes a course. See training.Store.
func (s *TrainingStore) UpdateCourse(ctx context.Context, id int64, upd dost.CourseUpdate) (*dost.Course, error) {
	var out *dost.Course
	err := s.db.update(ctx, func(tx *Tx) error {
		c, err := scanCourse(tx.QueryRowContext(ctx, `SELECT `+courseColumns+` WHERE id = $1`+tx.forUpdate(""), id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Course %d not found.", id)
		} else if err != nil {
			return err
		}
		if out, err = c.Apply(upd); err != nil {
			return err
		}
		out.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE courses SET title_az = $1, title_en = $2, title_ru = $3, hours = $4,
			validity_months = $5, active = $6, updated_at = $7 WHERE id = $8`,
			out.Title.AZ, out.Title.EN, out.Title.RU, out.Hours, out.ValidityMonths, out.Active, tx.ts(out.UpdatedAt), id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update course %d: %w", id, err)
	}
	return out, nil
}

// lockOperator checks that id is a user with the operator role and, on
// PostgreSQL, locks the user's row until the transaction ends, which
// serialises the changes of one operator's certifications. EINVALID
// (field "operator_id", code "operator.unknown") otherwise.
func lockOperator(ctx context.Context, tx *Tx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users u WHERE u.id = $1 AND EXISTS (SELECT 1 FROM user_roles r
		WHERE r.user_id = u.id AND r.role = $2)`+tx.forUpdate(" OF u"), id, dost.RoleOperator).Scan(&one)
	if isNoRows(err) {
		return dost.FieldErr("operator_id", "operator.unknown", "User %d is not an operator.", id)
	}
	return err
}

// certColumns are the columns of a certification scanCert reads.
const certColumns = `id, operator_id, category, valid_from, valid_until, course, issued_by, created_at FROM certifications`

// scanCert scans a certification.
func scanCert(row interface{ Scan(...any) error }) (*dost.Certification, error) {
	c := &dost.Certification{}
	err := row.Scan(&c.ID, &c.OperatorID, &c.Category, &c.ValidFrom, &c.ValidUntil, &c.Course, &c.IssuedBy, scanTime(&c.CreatedAt))
	return c, err
}

// RecordCompletion stores a completion and its certification. See
// training.Store.
func (s *TrainingStore) RecordCompletion(ctx context.Context, c *dost.Completion) (*dost.Certification, error) {
	var cert *dost.Certification
	err := s.db.update(ctx, func(tx *Tx) error {
		cert = nil
		if err := c.Validate(civilDate(tx.now)); err != nil {
			return err
		}
		if err := lockOperator(ctx, tx, c.OperatorID); err != nil {
			return err
		}
		course, err := findCourse(ctx, tx, c.CourseID)
		if dost.ErrorCode(err) == dost.ENOTFOUND {
			return dost.FieldErr("course_id", "course.unknown", "Course %d does not exist.", c.CourseID)
		} else if err != nil {
			return err
		} else if !course.Active {
			return dost.FieldErr("course_id", "course.inactive", "Course %s is no longer given.", course.Code)
		}
		c.CertificationID = 0
		if c.Passed {
			if cert, err = certify(ctx, tx, c, course); err != nil {
				return err
			}
			c.CertificationID = cert.ID
		}
		c.CreatedAt = tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO course_completions (operator_id, course_id, completed_on, passed,
			score, recorded_by, certification_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.OperatorID, c.CourseID, c.CompletedOn, c.Passed, c.Score, c.RecordedBy, c.CertificationID,
			tx.ts(c.CreatedAt)).Scan(&c.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("record completion: %w", err)
	}
	return cert, nil
}

// certify issues or extends the certification a passed completion c of
// course earns: the operator's certification for the category that is in
// force on c.CompletedOn or starts after it, the latest-ending of them, is
// extended to the new last day if that is later (and is no longer revoked);
// without one, a new certification starts on c.CompletedOn.
func certify(ctx context.Context, tx *Tx, c *dost.Completion, course *dost.Course) (*dost.Certification, error) {
	until := dost.CertificationExpiry(c.CompletedOn, course.ValidityMonths)
	cert, err := scanCert(tx.QueryRowContext(ctx, `SELECT `+certColumns+` WHERE operator_id = $1 AND category = $2
		AND valid_until >= $3 AND valid_until >= valid_from ORDER BY valid_until DESC, id DESC LIMIT 1`,
		c.OperatorID, course.Category, c.CompletedOn))
	switch {
	case isNoRows(err):
		cert = &dost.Certification{OperatorID: c.OperatorID, Category: course.Category, ValidFrom: c.CompletedOn,
			ValidUntil: until, Course: course.Code, IssuedBy: c.RecordedBy, CreatedAt: tx.now}
		if err := cert.Validate(); err != nil {
			return nil, err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO certifications (operator_id, category, valid_from, valid_until, course,
			issued_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, cert.OperatorID, cert.Category,
			cert.ValidFrom, cert.ValidUntil, cert.Course, cert.IssuedBy, tx.ts(cert.CreatedAt)).Scan(&cert.ID)
		return cert, err
	case err != nil:
		return nil, err
	}
	if cert.ValidUntil.Before(until) {
		cert.ValidUntil, cert.Course, cert.IssuedBy = until, course.Code, c.RecordedBy
		// A revoked certification extended by a course passed since is in
		// force again: no longer revoked (reminded when it nears its end).
		if _, err := tx.ExecContext(ctx, `UPDATE certifications SET valid_until = $1, course = $2, issued_by = $3,
			revoked_on = NULL WHERE id = $4`, cert.ValidUntil, cert.Course, cert.IssuedBy, cert.ID); err != nil {
			return nil, err
		}
	}
	return cert, nil
}

// FindCompletions returns matching completions. See training.Store.
func (s *TrainingStore) FindCompletions(ctx context.Context, f dost.CompletionFilter) ([]*dost.Completion, int, error) {
	out := []*dost.Completion{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.OperatorID != 0 {
			conds = append(conds, "operator_id = "+a.add(f.OperatorID))
		}
		if f.CourseID != 0 {
			conds = append(conds, "course_id = "+a.add(f.CourseID))
		}
		if f.CentreID != 0 {
			conds = append(conds, "operator_id IN (SELECT user_id FROM user_centres WHERE centre_id = "+a.add(f.CentreID)+")")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM course_completions`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT id, operator_id, course_id, completed_on, passed, score, recorded_by,
			certification_id, created_at FROM course_completions`+where(conds)+
			` ORDER BY completed_on DESC, id DESC`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				c := &dost.Completion{}
				out = append(out, c)
				return rows.Scan(&c.ID, &c.OperatorID, &c.CourseID, &c.CompletedOn, &c.Passed, &c.Score, &c.RecordedBy,
					&c.CertificationID, scanTime(&c.CreatedAt))
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find completions: %w", err)
	}
	return out, total, nil
}

// operatorsOf returns the condition on a user id column "col" that it is
// an active operator, of centre centreID unless 0.
func operatorsOf(a *args, col string, centreID int64) string {
	cond := col + ` IN (SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = ` +
		a.add(string(dost.RoleOperator)) + ` WHERE NOT u.disabled`
	if centreID != 0 {
		cond += ` AND u.id IN (SELECT user_id FROM user_centres WHERE centre_id = ` + a.add(centreID) + `)`
	}
	return cond + `)`
}

// FindOperators returns a centre's active operators. See training.Store.
func (s *TrainingStore) FindOperators(ctx context.Context, centreID int64) ([]*dost.User, error) {
	out := []*dost.User{}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		byID := map[int64]*dost.User{}
		err := each(ctx, tx, `SELECT id, username, name, email FROM users WHERE `+operatorsOf(&a, "id", centreID)+
			` ORDER BY name, username, id`, a, func(rows *sql.Rows) error {
			u := &dost.User{Roles: []dost.Role{dost.RoleOperator}, CentreIDs: []int64{}}
			out = append(out, u)
			if err := rows.Scan(&u.ID, &u.Username, &u.Name, &u.Email); err != nil {
				return err
			}
			byID[u.ID] = u
			return nil
		})
		if err != nil || len(out) == 0 {
			return err
		}
		a = args{}
		return each(ctx, tx, `SELECT user_id, centre_id FROM user_centres WHERE `+operatorsOf(&a, "user_id", centreID)+
			` ORDER BY user_id, centre_id`, a, func(rows *sql.Rows) error {
			var uid, cid int64
			if err := rows.Scan(&uid, &cid); err != nil {
				return err
			}
			if u := byID[uid]; u != nil {
				u.CentreIDs = append(u.CentreIDs, cid)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find operators: %w", err)
	}
	return out, nil
}

// FindCertificationsFrom returns the certifications of a centre's
// operators ending on or after d. See training.Store.
func (s *TrainingStore) FindCertificationsFrom(ctx context.Context, centreID int64, d dost.Date) ([]*dost.Certification, error) {
	out := []*dost.Certification{}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		q := `SELECT ` + certColumns + ` WHERE valid_until >= ` + a.add(d) + ` AND valid_until >= valid_from AND ` +
			operatorsOf(&a, "operator_id", centreID) + ` ORDER BY operator_id, category, valid_from, id`
		return each(ctx, tx, q, a, func(rows *sql.Rows) error {
			c, err := scanCert(rows)
			out = append(out, c)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find certifications from %s: %w", d, err)
	}
	return out, nil
}

// Demand returns a centre's tickets by category. See training.Store.
func (s *TrainingStore) Demand(ctx context.Context, centreID int64, from, today dost.Date) (map[dost.Category]int, int, map[dost.Category]int, error) {
	tickets, waiting := map[dost.Category]int{}, map[dost.Category]int{}
	var days int
	byCategory := func(m map[dost.Category]int) func(rows *sql.Rows) error {
		return func(rows *sql.Rows) error {
			var c dost.Category
			var n int
			err := rows.Scan(&c, &n)
			m[c] += n
			return err
		}
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		if _, err := centreOf(ctx, tx, centreID); err != nil {
			return err
		}
		err := each(ctx, tx, `SELECT s.category, count(*) FROM tickets t JOIN services s ON s.code = t.service_code
			WHERE t.centre_id = $1 AND t.day >= $2 AND t.day < $3 GROUP BY s.category`,
			[]any{centreID, from, today}, byCategory(tickets))
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT day) FROM tickets WHERE centre_id = $1 AND day >= $2
			AND day < $3`, centreID, from, today).Scan(&days); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT s.category, count(*) FROM tickets t JOIN services s ON s.code = t.service_code
			WHERE t.centre_id = $1 AND t.day = $2 AND t.status = $3 GROUP BY s.category`,
			[]any{centreID, today, dost.TicketWaiting}, byCategory(waiting))
	})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("demand of centre %d: %w", centreID, err)
	}
	return tickets, days, waiting, nil
}

// daysBetween returns the days from a to b.
func daysBetween(a, b dost.Date) int {
	return int(b.Time().Sub(a.Time()).Round(time.Hour) / (24 * time.Hour))
}

// RemindRenewals records the renewal reminders due. See training.Store.
func (s *TrainingStore) RemindRenewals(ctx context.Context, today dost.Date, notify func(d *training.Due) []*dost.Notification) (int, error) {
	horizon := slices.Max(dost.RenewalThresholds)
	var n int
	err := s.db.update(ctx, func(tx *Tx) error {
		n = 0
		var due []*dost.Certification
		var a args
		q := `SELECT ` + certColumns + ` WHERE valid_until >= ` + a.add(today) + ` AND valid_until <= ` +
			a.add(today.AddDate(0, 0, horizon)) + ` AND valid_until >= valid_from AND revoked_on IS NULL AND ` +
			operatorsOf(&a, "operator_id", 0) + ` ORDER BY valid_until, id`
		if err := each(ctx, tx, q, a, func(rows *sql.Rows) error {
			c, err := scanCert(rows)
			due = append(due, c)
			return err
		}); err != nil {
			return err
		}
		for _, c := range due {
			// A certification continued by a later one is not expiring.
			var later int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certifications WHERE operator_id = $1 AND
				category = $2 AND id <> $3 AND valid_until > $4 AND valid_from <= $5 AND valid_until >= valid_from`,
				c.OperatorID, c.Category, c.ID, c.ValidUntil, c.ValidUntil.AddDate(0, 0, 1)).Scan(&later); err != nil {
				return err
			} else if later > 0 {
				continue
			}
			d := &training.Due{Certification: c, DaysLeft: daysBetween(today, c.ValidUntil)}
			for _, th := range dost.RenewalThresholds {
				if d.DaysLeft <= th && (d.Threshold == 0 || th < d.Threshold) {
					d.Threshold = th
				}
			}
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO certification_reminders (certification_id, valid_until,
				threshold_days, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING certification_id`,
				c.ID, c.ValidUntil, d.Threshold, tx.ts(tx.now)).Scan(&id)
			if isNoRows(err) {
				continue // reminded already
			} else if err != nil {
				return err
			}
			n++
			if notify == nil {
				continue
			}
			for _, note := range notify(d) {
				if err := insertNotification(ctx, tx, note); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remind renewals: %w", err)
	}
	return n, nil
}
