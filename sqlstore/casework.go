package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
)

// CaseStore is the storage of casework (casework.Store): applications with
// their history and documents, decisions, awards, the notifications outbox
// and the holiday calendar (tables applications, application_transitions,
// application_documents, decisions, decision_amounts, awards,
// notifications, holidays). It is safe for concurrent use, also by several
// nodes on one database: submissions are idempotent by key, transitions
// check the status they start from, and unique indexes are the last line
// against a second award.
type CaseStore struct {
	db *DB
}

var _ casework.Store = (*CaseStore)(nil)

// NewCaseStore returns a CaseStore over db.
func NewCaseStore(db *DB) *CaseStore { return &CaseStore{db: db} }

// civilDate returns the date of t in Baku: the civil dates of submissions
// and decisions (columns submitted_on, decided_on) are Baku's.
func civilDate(t time.Time) dost.Date { return dost.DateOf(t.In(dost.Baku)) }

// openStatuses is the SQL list of the statuses that await a first decision
// (dost.ApplicationStatus.Open).
var openStatuses = func() string {
	var qs []string
	for _, s := range dost.ApplicationStatuses {
		if s.Open() {
			qs = append(qs, "'"+string(s)+"'")
		}
	}
	return "(" + strings.Join(qs, ", ") + ")"
}()

// applicationColumns are the columns scanApplication reads, from
// applications a joined with persons p.
const applicationColumns = `a.id, a.number, a.person_id, p.fin, a.household_id, a.service_code, a.centre_id,
	a.channel, a.status, a.period, a.deadline, a.late_since, a.assignee_id, a.submitted_by, a.submitted_at,
	a.updated_at, a.idempotency_key, a.submission_hash, a.note, a.decision_id
	FROM applications a JOIN persons p ON p.id = a.person_id`

func scanApplication(row interface{ Scan(...any) error }) (*dost.Application, error) {
	a := &dost.Application{}
	err := row.Scan(&a.ID, &a.Number, &a.PersonID, &a.FIN, &a.HouseholdID, &a.ServiceCode, &a.CentreID,
		&a.Channel, &a.Status, &a.Period, &a.Deadline, scanNullTime(&a.LateSince), &a.AssigneeID, &a.SubmittedBy,
		scanTime(&a.SubmittedAt), scanTime(&a.UpdatedAt), &a.IdempotencyKey, &a.SubmissionHash, &a.Note, &a.DecisionID)
	return a, err
}

// CreateApplication stores a new application with its documents,
// transitions and effects, or returns the one already stored under its
// idempotency key. See casework.Store. When docs is nil, a.Documents are
// stored. A stored application is a itself, its IDs, Number, Documents
// and DecisionID set; SubmittedAt and UpdatedAt default to now, Period to
// the month of submission.
func (s *CaseStore) CreateApplication(ctx context.Context, a *dost.Application, docs []*dost.ApplicationDocument, effects *casework.Effects) (*dost.Application, bool, error) {
	if docs == nil {
		docs = a.Documents
	}
	var stored *dost.Application
	var created bool
	err := s.db.update(ctx, func(tx *Tx) error {
		stored, created = nil, false
		if a.IdempotencyKey != "" {
			prior, err := findApplicationByKey(ctx, tx, a.SubmittedBy, a.IdempotencyKey)
			if err != nil || prior != nil {
				stored = prior
				if err == nil {
					err = sameSubmission(prior, a)
				}
				return err
			}
		}
		inserted, err := insertApplication(ctx, tx, a)
		if err != nil {
			return err
		} else if !inserted {
			// A concurrent submission with the key committed first.
			stored, err = findApplicationByKey(ctx, tx, a.SubmittedBy, a.IdempotencyKey)
			if err == nil && stored == nil {
				err = fmt.Errorf("create application: idempotency key conflict without an application")
			} else if err == nil {
				err = sameSubmission(stored, a)
			}
			return err
		}
		for _, t := range a.Transitions {
			t.ApplicationID = a.ID
			if t.At.IsZero() {
				t.At = a.SubmittedAt
			}
			if err := insertTransition(ctx, tx, t); err != nil {
				return err
			}
		}
		for _, d := range docs {
			d.ApplicationID = a.ID
			if err := insertDocument(ctx, tx, d); err != nil {
				return err
			}
		}
		a.Documents = docs
		if err := applyEffects(ctx, tx, a.ID, effects); err != nil {
			return err
		}
		if effects != nil && effects.Decision != nil {
			a.DecisionID = effects.Decision.ID
		}
		stored, created = a, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create application: %w", err)
	}
	return stored, created, nil
}

// insertApplication inserts a, setting its ID and number. It reports false,
// inserting nothing, when a's idempotency key is taken.
func insertApplication(ctx context.Context, tx *Tx, a *dost.Application) (bool, error) {
	if a.SubmittedAt.IsZero() {
		a.SubmittedAt = tx.now
	}
	a.UpdatedAt = tx.now
	submitted := civilDate(a.SubmittedAt)
	if a.Period.IsZero() {
		a.Period = dost.MonthOf(submitted)
	}
	if a.Deadline.IsZero() {
		return false, dost.Errorf(dost.EINVALID, "An application needs a deadline.")
	}
	id, err := tx.nextID(ctx, "applications")
	if err != nil {
		return false, err
	}
	number := fmt.Sprintf("A-%d-%07d", submitted.Year(), id)
	err = tx.QueryRowContext(ctx, `INSERT INTO applications (id, number, person_id, household_id, service_code,
		centre_id, channel, status, period, submitted_on, deadline, late_since, assignee_id, submitted_by,
		idempotency_key, submission_hash, note, submitted_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (submitted_by, idempotency_key) WHERE idempotency_key <> '' DO NOTHING
		RETURNING id`,
		id, number, a.PersonID, a.HouseholdID, a.ServiceCode, a.CentreID, a.Channel, a.Status, a.Period,
		submitted, a.Deadline, tx.nts(a.LateSince), a.AssigneeID, a.SubmittedBy, a.IdempotencyKey, a.SubmissionHash, a.Note,
		tx.ts(a.SubmittedAt), tx.ts(a.UpdatedAt)).Scan(&id)
	if isNoRows(err) {
		return false, nil
	} else if isForeignKey(err) {
		return false, dost.Errorf(dost.EINVALID, "The application names an unknown person or service.")
	} else if err != nil {
		return false, err
	}
	a.ID, a.Number = id, number
	return true, nil
}

// sameSubmission returns nil if a, submitted again under prior's
// idempotency key, asks for what prior asked for: their SubmissionHash is
// the same, or either is not known (""). Otherwise ECONFLICT with field
// "idempotency_key", code "idempotency.mismatch".
func sameSubmission(prior, a *dost.Application) error {
	if prior.SubmissionHash == "" || a.SubmissionHash == "" || prior.SubmissionHash == a.SubmissionHash {
		return nil
	}
	return &dost.Error{Code: dost.ECONFLICT,
		Message: "This idempotency key was used for another submission (application " + prior.Number + "); use a new key for a new submission.",
		Fields: []dost.FieldError{{Field: "idempotency_key", Code: "idempotency.mismatch",
			Message: "The key was used for a submission with other content: application " + prior.Number + "."}}}
}

// applicationByKeyQuery finds an application by submitter and idempotency
// key. Its redundant test that the key is not empty is the condition of
// the partial unique index applications_idempotency: SQLite uses a
// partial index only when the query's WHERE clause states its condition
// (a bound key proves nothing), and PostgreSQL's generic plans likewise.
const applicationByKeyQuery = `SELECT id FROM applications
	WHERE submitted_by = $1 AND idempotency_key = $2 AND idempotency_key <> ''`

// findApplicationByKey returns the application submittedBy stored under
// key, with documents and transitions, or nil.
func findApplicationByKey(ctx context.Context, tx *Tx, submittedBy int64, key string) (*dost.Application, error) {
	if key == "" {
		return nil, nil // no key: never a repeat
	}
	var id int64
	err := tx.QueryRowContext(ctx, applicationByKeyQuery, submittedBy, key).Scan(&id)
	if isNoRows(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return findApplicationByID(ctx, tx, id)
}

// HouseholdOf returns the ID of the household the person is a member of,
// 0 when none (or no such person).
func (s *CaseStore) HouseholdOf(ctx context.Context, personID int64) (int64, error) {
	var id int64
	err := s.db.view(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT household_id FROM household_members WHERE person_id = $1`, personID).Scan(&id)
		if isNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("household of person %d: %w", personID, err)
	}
	return id, nil
}

// FindApplicationByID returns an application with its documents and
// transitions, oldest first. ENOTFOUND if there is none.
func (s *CaseStore) FindApplicationByID(ctx context.Context, id int64) (*dost.Application, error) {
	var a *dost.Application
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		a, err = findApplicationByID(ctx, tx, id)
		return err
	})
	return a, err
}

func findApplicationByID(ctx context.Context, tx *Tx, id int64) (*dost.Application, error) {
	a, err := scanApplication(tx.QueryRowContext(ctx, `SELECT `+applicationColumns+` WHERE a.id = $1`, id))
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Application not found.")
	} else if err != nil {
		return nil, err
	}
	a.Transitions = []*dost.Transition{}
	err = each(ctx, tx, `SELECT id, application_id, action, from_status, to_status, actor_id, actor_name,
		reason_code, reason, at FROM application_transitions WHERE application_id = $1 ORDER BY id`, []any{id},
		func(rows *sql.Rows) error {
			t := &dost.Transition{}
			if err := rows.Scan(&t.ID, &t.ApplicationID, &t.Action, &t.From, &t.To, &t.ActorID, &t.ActorName,
				&t.ReasonCode, &t.Reason, scanTime(&t.At)); err != nil {
				return err
			}
			a.Transitions = append(a.Transitions, t)
			return nil
		})
	if err != nil {
		return nil, err
	}
	a.Documents = []*dost.ApplicationDocument{}
	err = each(ctx, tx, `SELECT `+documentColumns+` WHERE application_id = $1 ORDER BY id`, []any{id},
		func(rows *sql.Rows) error {
			d, err := scanDocument(rows)
			if err != nil {
				return err
			}
			a.Documents = append(a.Documents, d)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// FindApplications returns matching applications without documents and
// transitions, newest submission first (or, for f.Queue, oldest deadline
// first), and the total count.
func (s *CaseStore) FindApplications(ctx context.Context, f dost.ApplicationFilter) ([]*dost.Application, int, error) {
	var as []*dost.Application
	var n int
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		as, n, err = findApplications(ctx, tx, f)
		return err
	})
	return as, n, err
}

func findApplications(ctx context.Context, tx *Tx, f dost.ApplicationFilter) ([]*dost.Application, int, error) {
	if !storable(f.ServiceCode) || !storable(f.ServiceCodes...) || f.ServiceCodes != nil && len(f.ServiceCodes) == 0 {
		return []*dost.Application{}, 0, nil
	}
	cond, a := applicationsWhere(f)
	var total int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM applications a"+cond, a...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := " ORDER BY a.submitted_at DESC, a.id DESC"
	if f.Queue {
		order = " ORDER BY a.deadline, a.submitted_at, a.id"
	}
	as := []*dost.Application{}
	err := each(ctx, tx, "SELECT "+applicationColumns+cond+order+page(f.Offset, f.Limit), a,
		func(rows *sql.Rows) error {
			app, err := scanApplication(rows)
			if err != nil {
				return err
			}
			as = append(as, app)
			return nil
		})
	if err != nil {
		return nil, 0, err
	}
	return as, total, nil
}

// applicationsWhere returns the WHERE clause of FindApplications over
// applications a, and its arguments.
func applicationsWhere(f dost.ApplicationFilter) (string, args) {
	var a args
	var conds []string
	if f.PersonID != 0 {
		conds = append(conds, "a.person_id = "+a.add(f.PersonID))
	}
	// "<> 0" repeats the condition of the partial indexes
	// applications_household and applications_assignee, so that SQLite
	// uses them (see applicationByKeyQuery).
	if f.HouseholdID != 0 {
		conds = append(conds, "a.household_id = "+a.add(f.HouseholdID)+" AND a.household_id <> 0")
	}
	if f.ServiceCode != "" {
		conds = append(conds, "a.service_code = "+a.add(f.ServiceCode))
	}
	if len(f.ServiceCodes) > 0 {
		conds = append(conds, "a.service_code IN ("+addList(&a, f.ServiceCodes)+")")
	}
	if len(f.CentreIDs) > 0 {
		conds = append(conds, "a.centre_id IN ("+addList(&a, f.CentreIDs)+")")
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "a.status IN ("+addList(&a, f.Statuses)+")")
	}
	if f.AssigneeID != 0 {
		conds = append(conds, "a.assignee_id = "+a.add(f.AssigneeID)+" AND a.assignee_id <> 0")
	}
	if f.Late != nil && *f.Late {
		conds = append(conds, "a.late_since IS NOT NULL")
	} else if f.Late != nil {
		conds = append(conds, "a.late_since IS NULL")
	}
	return where(conds), a
}

// addList adds every v to a and returns their placeholders, comma-separated.
func addList[T any](a *args, vs []T) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.add(v)
	}
	return strings.Join(ph, ", ")
}

// Transition moves an application from t.From to t.To, records t and
// applies effects, in one transaction. t.At defaults to now. ECONFLICT when
// the application is no longer in t.From or an effect breaks a uniqueness
// rule; ENOTFOUND for an unknown application.
func (s *CaseStore) Transition(ctx context.Context, t *dost.Transition, effects *casework.Effects) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		if t.At.IsZero() {
			t.At = tx.now
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
			t.To, tx.ts(tx.now), t.ApplicationID, t.From)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var status dost.ApplicationStatus
			err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1`, t.ApplicationID).Scan(&status)
			if isNoRows(err) {
				return dost.Errorf(dost.ENOTFOUND, "Application not found.")
			} else if err != nil {
				return err
			}
			return dost.Errorf(dost.ECONFLICT, "The application is %s now, no longer %s: someone acted on it meanwhile.", status, t.From)
		}
		if err := insertTransition(ctx, tx, t); err != nil {
			return err
		}
		return applyEffects(ctx, tx, t.ApplicationID, effects)
	})
	if err != nil {
		return fmt.Errorf("transition: %w", err)
	}
	return nil
}

func insertTransition(ctx context.Context, tx *Tx, t *dost.Transition) error {
	return tx.QueryRowContext(ctx, `INSERT INTO application_transitions (application_id, action, from_status,
		to_status, actor_id, actor_name, reason_code, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		t.ApplicationID, t.Action, t.From, t.To, t.ActorID, t.ActorName, t.ReasonCode, t.Reason, tx.ts(t.At)).Scan(&t.ID)
}

// Assign sets the application's assignee (0: nobody). ENOTFOUND for an
// unknown application.
func (s *CaseStore) Assign(ctx context.Context, applicationID, assigneeID int64) error {
	return s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET assignee_id = $1, updated_at = $2 WHERE id = $3`,
			assigneeID, tx.ts(tx.now), applicationID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Application not found.")
		}
		return nil
	})
}

// documentColumns are the columns scanDocument reads.
const documentColumns = `id, application_id, code, presented, file_name, content_type, size, sha256,
	storage_key, uploaded_by, uploaded_at FROM application_documents`

func scanDocument(row interface{ Scan(...any) error }) (*dost.ApplicationDocument, error) {
	d := &dost.ApplicationDocument{}
	err := row.Scan(&d.ID, &d.ApplicationID, &d.Code, &d.Presented, &d.FileName, &d.ContentType, &d.Size,
		&d.SHA256, &d.StorageKey, &d.UploadedBy, scanTime(&d.UploadedAt))
	return d, err
}

func insertDocument(ctx context.Context, tx *Tx, d *dost.ApplicationDocument) error {
	if d.UploadedAt.IsZero() {
		d.UploadedAt = tx.now
	}
	return tx.QueryRowContext(ctx, `INSERT INTO application_documents (application_id, code, presented, file_name,
		content_type, size, sha256, storage_key, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		d.ApplicationID, d.Code, d.Presented, d.FileName, d.ContentType, d.Size, d.SHA256, d.StorageKey,
		d.UploadedBy, tx.ts(d.UploadedAt)).Scan(&d.ID)
}

// AddDocument stores d (setting its ID; UploadedAt defaults to now) if its
// application is open. ECONFLICT if it is not, ENOTFOUND if there is none.
func (s *CaseStore) AddDocument(ctx context.Context, d *dost.ApplicationDocument) error {
	return s.db.update(ctx, func(tx *Tx) error {
		// The update locks the application's row, so it cannot be decided
		// while the document is added.
		res, err := tx.ExecContext(ctx, `UPDATE applications SET updated_at = $1 WHERE id = $2 AND status IN `+openStatuses,
			tx.ts(tx.now), d.ApplicationID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var status dost.ApplicationStatus
			err := tx.QueryRowContext(ctx, `SELECT status FROM applications WHERE id = $1`, d.ApplicationID).Scan(&status)
			if isNoRows(err) {
				return dost.Errorf(dost.ENOTFOUND, "Application not found.")
			} else if err != nil {
				return err
			}
			return dost.Errorf(dost.ECONFLICT, "Documents cannot be added to an application that is %s.", status)
		}
		return insertDocument(ctx, tx, d)
	})
}

// FindDocument returns one document of an application. ENOTFOUND if there
// is none.
func (s *CaseStore) FindDocument(ctx context.Context, applicationID, documentID int64) (*dost.ApplicationDocument, error) {
	var d *dost.ApplicationDocument
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		d, err = scanDocument(tx.QueryRowContext(ctx, `SELECT `+documentColumns+` WHERE application_id = $1 AND id = $2`,
			applicationID, documentID))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Document not found.")
		}
		return err
	})
	return d, err
}

// markLateChunk bounds the IDs read back per query in MarkLate.
const markLateChunk = 500

// MarkLate sets LateSince to now on every open application whose deadline
// is before today and that is not late yet, and on every refused one whose
// refusal was not delivered by its NotifyBy (markRefusalsLate), stores the
// notifications
// notify returns for each, and returns them, oldest deadline first. The
// conditional update marks each application once, however many nodes run
// it at the same moment: the later one waits for the earlier one's row
// locks and then finds the rows late already.
func (s *CaseStore) MarkLate(ctx context.Context, today dost.Date, now time.Time, notify func(*dost.Application) []*dost.Notification) ([]*dost.Application, error) {
	var marked []*dost.Application
	err := s.db.update(ctx, func(tx *Tx) error {
		marked = []*dost.Application{}
		var ids []int64
		err := each(ctx, tx, `UPDATE applications SET late_since = $1
			WHERE late_since IS NULL AND status IN `+openStatuses+` AND deadline < $2 RETURNING id`,
			[]any{tx.ts(now), today}, func(rows *sql.Rows) error {
				var id int64
				err := rows.Scan(&id)
				ids = append(ids, id)
				return err
			})
		if err != nil {
			return err
		}
		refusals, err := markRefusalsLate(ctx, tx, today, now)
		if err != nil {
			return err
		}
		ids = append(ids, refusals...)
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), markLateChunk)]
			ids = ids[len(chunk):]
			var a args
			err := each(ctx, tx, "SELECT "+applicationColumns+" WHERE a.id IN ("+addList(&a, chunk)+")", a,
				func(rows *sql.Rows) error {
					app, err := scanApplication(rows)
					marked = append(marked, app)
					return err
				})
			if err != nil {
				return err
			}
		}
		sortByDeadline(marked)
		if notify == nil {
			return nil
		}
		for _, app := range marked {
			for _, n := range notify(app) {
				if err := insertNotification(ctx, tx, n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark late: %w", err)
	}
	return marked, nil
}

// refusalCheckDays is how long after its notify_by a refusal's notice is
// still checked (markRefusalsLate): far longer than any stop of the jobs.
const refusalCheckDays = 90

// markRefusalsLate sets late_since to now on the refused applications not
// late yet whose refusal was not delivered by its notify_by (see
// casework.Store.MarkLate) and returns their IDs. The outbox row of a
// refusal is found by its message ID, "decision:<application ID>.<step>:
// <channel>" (casework's decisionNotifications), and its topic: an
// application is refused at most once (refused → appealed → overturned
// approves; approved → appealed → overturned refuses, and ends there), so
// the application's "decision.refused" rows are its refusal's.
//
// The refusals checked are those of applications not late yet whose
// notify_by passed within the last refusalCheckDays days: the job runs
// every few minutes, so a late notice is flagged on the day after its
// notify_by, and refusals told on time leave the check after that window
// instead of being read again at every run for ever.
func markRefusalsLate(ctx context.Context, tx *Tx, today dost.Date, now time.Time) ([]int64, error) {
	var late []int64
	err := each(ctx, tx, `SELECT a.id, d.notify_by,
		(SELECT min(n.sent_at) FROM notifications n WHERE n.person_id = a.person_id AND n.topic = 'decision.refused'
			AND n.status = 'sent' AND n.message_id LIKE 'decision:' || a.id || '.%')
		FROM applications a JOIN decisions d ON d.id = a.decision_id
		WHERE a.late_since IS NULL AND d.outcome = 'refused' AND d.notify_by < $1 AND d.notify_by >= $2`,
		[]any{today, today.AddDate(0, 0, -refusalCheckDays)},
		func(rows *sql.Rows) error {
			var id int64
			var notifyBy dost.Date
			var sent *time.Time
			if err := rows.Scan(&id, &notifyBy, scanNullTime(&sent)); err != nil {
				return err
			}
			if sent == nil || civilDate(*sent).After(notifyBy) {
				late = append(late, id)
			}
			return nil
		})
	if err != nil || len(late) == 0 {
		return nil, err
	}
	var marked []int64
	for len(late) > 0 {
		chunk := late[:min(len(late), markLateChunk)]
		late = late[len(chunk):]
		var a args
		t := a.add(tx.ts(now))
		err := each(ctx, tx, `UPDATE applications SET late_since = `+t+` WHERE late_since IS NULL AND id IN (`+
			addList(&a, chunk)+`) RETURNING id`, a, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			marked = append(marked, id)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return marked, nil
}

// sortByDeadline orders applications by deadline, then ID.
func sortByDeadline(as []*dost.Application) {
	slices.SortFunc(as, func(a, b *dost.Application) int {
		if c := a.Deadline.Time().Compare(b.Deadline.Time()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// DeadlineCounts counts, per service, the applications of the centres
// (all if centreIDs is empty) submitted in [from, to], Baku time: decided
// on time (the first decision on or before the deadline) or late (after
// it, or a refusal MarkLate found not delivered in time), and
// still open on time or late as of today. Withdrawn applications count
// in none.
func (s *CaseStore) DeadlineCounts(ctx context.Context, centreIDs []int64, from, to, today dost.Date) ([]dost.DeadlineCounts, error) {
	out := []dost.DeadlineCounts{}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		conds := []string{"submitted_on >= " + a.add(from), "submitted_on <= " + a.add(to)}
		if len(centreIDs) > 0 {
			conds = append(conds, "centre_id IN ("+addList(&a, centreIDs)+")")
		}
		t := a.add(today)
		return each(ctx, tx, `SELECT service_code,
			COALESCE(sum(CASE WHEN decided_on <= deadline AND late_since IS NULL THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN decided_on > deadline OR decided_on IS NOT NULL AND late_since IS NOT NULL THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN decided_on IS NULL AND status IN `+openStatuses+` AND deadline >= `+t+` THEN 1 ELSE 0 END), 0),
			COALESCE(sum(CASE WHEN decided_on IS NULL AND status IN `+openStatuses+` AND deadline < `+t+` THEN 1 ELSE 0 END), 0)
			FROM applications`+where(conds)+` GROUP BY service_code ORDER BY service_code`, a,
			func(rows *sql.Rows) error {
				var c dost.DeadlineCounts
				if err := rows.Scan(&c.ServiceCode, &c.OnTime, &c.Late, &c.OpenOnTime, &c.OpenLate); err != nil {
					return err
				}
				out = append(out, c)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("deadline counts: %w", err)
	}
	return out, nil
}
