package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/casework"
)

// applyEffects writes what a submission or transition of the application
// causes besides itself: awards ended or suspended first (so that an
// overturn may replace an award), then the decision, the new awards and
// the notifications.
func applyEffects(ctx context.Context, tx *Tx, applicationID int64, e *casework.Effects) error {
	if e == nil {
		return nil
	}
	for _, c := range e.EndAwards {
		if err := changeAward(ctx, tx, c); err != nil {
			return err
		}
	}
	if d := e.Decision; d != nil {
		d.ApplicationID = applicationID
		if err := insertDecision(ctx, tx, d); err != nil {
			return err
		}
		// decided_on keeps the first decision's date, for DeadlineCounts.
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET decision_id = $1,
			decided_on = COALESCE(decided_on, $2) WHERE id = $3`, d.ID, civilDate(d.DecidedAt), applicationID); err != nil {
			return err
		}
		if err := enqueueDecided(ctx, tx, applicationID, d); err != nil { // webhooks: application.decided (webhook.go)
			return err
		}
	}
	for i, a := range e.Awards {
		a.ApplicationID = applicationID
		if e.Decision != nil {
			a.DecisionID = e.Decision.ID
		}
		if err := insertAward(ctx, tx, a, i); err != nil {
			return err
		}
	}
	for _, n := range e.Notifications {
		if err := insertNotification(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

// jsonArg returns raw JSON as a query argument: text for SQLite's TEXT and
// PostgreSQL's JSONB alike, NULL when empty. Invalid JSON is EINVALID, as
// PostgreSQL would refuse it and SQLite would not.
func jsonArg(field string, b json.RawMessage) (any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if !json.Valid(b) {
		return nil, dost.Errorf(dost.EINVALID, "The %s is not valid JSON.", field)
	}
	return string(b), nil
}

func insertDecision(ctx context.Context, tx *Tx, d *dost.Decision) error {
	if d.LetterCode == "" {
		return dost.Errorf(dost.EINVALID, "A decision needs a letter code.")
	}
	if d.DecidedAt.IsZero() {
		d.DecidedAt = tx.now
	}
	trace, err := jsonArg("decision's trace", d.Trace)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO decisions (application_id, outcome, reason_code, reason,
		rule_set_version, period, trace, decided_by, decided_at, notify_by, letter_code, language, appeal_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		d.ApplicationID, d.Outcome, d.ReasonCode, d.Reason, d.RuleSetVersion, d.Period, trace, d.DecidedBy,
		tx.ts(d.DecidedAt), d.NotifyBy, d.LetterCode, d.Language, d.AppealOf).Scan(&d.ID)
	if isUnique(err) {
		return dost.Errorf(dost.ECONFLICT, "The decision letter code %s is taken.", d.LetterCode)
	} else if err != nil {
		return err
	}
	for i, m := range d.Amounts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO decision_amounts (decision_id, seq, programme, variable,
			person_id, household_id, eligible, amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			d.ID, i, m.Programme, m.Variable, m.PersonID, m.HouseholdID, m.Eligible, m.Amount); err != nil {
			return err
		}
	}
	return nil
}

// FindDecisionByID returns a decision with its amounts and trace.
// ENOTFOUND if there is none.
func (s *CaseStore) FindDecisionByID(ctx context.Context, id int64) (*dost.Decision, error) {
	var d *dost.Decision
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		d, err = findDecision(ctx, tx, "id", id)
		return err
	})
	return d, err
}

// FindDecisionByLetterCode returns the decision a letter's code names.
// ENOTFOUND if there is none.
func (s *CaseStore) FindDecisionByLetterCode(ctx context.Context, code string) (*dost.Decision, error) {
	if code == "" || !storable(code) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Decision not found.")
	}
	var d *dost.Decision
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		d, err = findDecision(ctx, tx, "letter_code", code)
		return err
	})
	return d, err
}

// findDecision returns the decision whose column (id or letter_code) is v.
func findDecision(ctx context.Context, tx *Tx, column string, v any) (*dost.Decision, error) {
	d := &dost.Decision{}
	var trace []byte
	err := tx.QueryRowContext(ctx, `SELECT id, application_id, outcome, reason_code, reason, rule_set_version,
		period, trace, decided_by, decided_at, notify_by, letter_code, language, appeal_of
		FROM decisions WHERE `+column+` = $1`, v).Scan(&d.ID, &d.ApplicationID, &d.Outcome, &d.ReasonCode,
		&d.Reason, &d.RuleSetVersion, &d.Period, &trace, &d.DecidedBy, scanTime(&d.DecidedAt), &d.NotifyBy,
		&d.LetterCode, &d.Language, &d.AppealOf)
	if isNoRows(err) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Decision not found.")
	} else if err != nil {
		return nil, err
	}
	if trace != nil {
		d.Trace = json.RawMessage(trace)
	}
	err = each(ctx, tx, `SELECT programme, variable, person_id, household_id, eligible, amount
		FROM decision_amounts WHERE decision_id = $1 ORDER BY seq`, []any{d.ID}, func(rows *sql.Rows) error {
		var m dost.DecisionAmount
		if err := rows.Scan(&m.Programme, &m.Variable, &m.PersonID, &m.HouseholdID, &m.Eligible, &m.Amount); err != nil {
			return err
		}
		d.Amounts = append(d.Amounts, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// insertAward stores a, the i-th award of its effects. ECONFLICT if the
// beneficiary has the programme's award for the period, or an open monthly
// award of it, already, or (monthly) another monthly award of it whose
// days overlap a's (checkOverlap); EINVALID as checkAlive says for a deceased
// beneficiary. The checks give the clear message; the unique
// indexes stay the last line against a concurrent insert (and PostgreSQL
// aborts the transaction on a violation, so nothing could be asked
// afterwards). On PostgreSQL the awards of one programme for one
// beneficiary are made one at a time (a transaction-scoped advisory
// lock), so that two transactions cannot both pass the overlap check,
// which no unique index can express.
func insertAward(ctx context.Context, tx *Tx, a *dost.Award, i int) error {
	if (a.PersonID == 0) == (a.HouseholdID == 0) {
		return dost.Errorf(dost.EINVALID, "Award %d is for neither a person nor a household, or for both.", i)
	}
	if a.DecisionID == 0 {
		return dost.Errorf(dost.EINVALID, "Award %d has no decision.", i)
	}
	if a.Status == "" {
		a.Status = dost.AwardActive
	}
	if tx.db.dialect == DialectPostgres {
		key := fmt.Sprintf("award:%s:%d:%d", a.Programme, a.PersonID, a.HouseholdID)
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
			return fmt.Errorf("lock the beneficiary's awards: %w", err)
		}
	}
	if err := checkAlive(ctx, tx, a); err != nil {
		return err
	}
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM awards
		WHERE programme = $1 AND person_id = $2 AND household_id = $3 AND period = $4`,
		a.Programme, a.PersonID, a.HouseholdID, a.Period).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return dost.Errorf(dost.ECONFLICT, "The beneficiary has an award of %s for %s already.", a.Programme, a.Period)
	}
	if a.Kind == dost.AwardMonthly && a.Status != dost.AwardEnded {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM awards
			WHERE programme = $1 AND person_id = $2 AND household_id = $3 AND kind = 'monthly' AND status <> 'ended'`,
			a.Programme, a.PersonID, a.HouseholdID).Scan(&n); err != nil {
			return err
		} else if n > 0 {
			return dost.Errorf(dost.ECONFLICT, "The beneficiary has an open monthly award of %s already.", a.Programme)
		}
	}
	if a.Kind == dost.AwardMonthly {
		if err := checkOverlap(ctx, tx, a); err != nil {
			return err
		}
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO awards (programme, service_code, person_id, household_id, payee_id,
		kind, amount, period, starts_on, ends_on, status, status_reason, decision_id, application_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		a.Programme, a.ServiceCode, a.PersonID, a.HouseholdID, a.PayeeID, a.Kind, a.Amount, a.Period, a.Start, a.End,
		a.Status, a.StatusReason, a.DecisionID, a.ApplicationID, tx.ts(a.CreatedAt), tx.ts(a.UpdatedAt)).Scan(&a.ID)
	if isUnique(err) {
		return dost.Errorf(dost.ECONFLICT, "The beneficiary was given an award of %s for %s meanwhile.", a.Programme, a.Period)
	} else if isForeignKey(err) {
		return dost.Errorf(dost.EINVALID, "Award %d names an unknown payee or decision.", i)
	}
	return err
}

// checkOverlap refuses (ECONFLICT, naming it) another monthly award of
// a's programme and beneficiary, in any status, whose days overlap a's
// (from its start to its end, open-ended when it has none): the months
// an ended award paid must not be paid again by a back-dated one.
func checkOverlap(ctx context.Context, tx *Tx, a *dost.Award) error {
	var ar args
	q := `SELECT id, starts_on, ends_on FROM awards WHERE programme = ` + ar.add(a.Programme) +
		` AND person_id = ` + ar.add(a.PersonID) + ` AND household_id = ` + ar.add(a.HouseholdID) +
		` AND kind = 'monthly' AND (ends_on IS NULL OR ends_on >= ` + ar.add(a.Start) + `)`
	if !a.End.IsZero() {
		q += ` AND starts_on <= ` + ar.add(a.End)
	}
	var id int64
	var start, end dost.Date
	err := tx.QueryRowContext(ctx, q+` ORDER BY id LIMIT 1`, ar...).Scan(&id, &start, &end)
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return err
	}
	last := "open-ended"
	if !end.IsZero() {
		last = "to " + end.String()
	}
	return dost.Errorf(dost.ECONFLICT, "The beneficiary's award %d of %s (from %s %s) covers days of the new award from %s already.",
		id, a.Programme, start, last, a.Start)
}

// checkAlive checks award a against its beneficiary's death, read in the
// award's transaction so that no award is made from a registry read before
// the death was recorded: a monthly award for a deceased person ends at the
// latest on the last day of the month of death (a.End is capped), and is
// EINVALID if that is before its start; a one-off award for a deceased
// person is EINVALID but for the funeral allowance, which is paid for a
// death. A household's award is not checked here: its members' deaths
// change the household, not the award's beneficiary.
func checkAlive(ctx context.Context, tx *Tx, a *dost.Award) error {
	if a.PersonID == 0 {
		return nil
	}
	var status dost.PersonStatus
	var died dost.Date
	// On PostgreSQL the row is share-locked until commit: a death being
	// recorded at the same moment either waits for this award (and then
	// ends it) or has committed and is seen here. SQLite's single writer
	// serialises the two anyway.
	q := `SELECT status, death_date FROM persons WHERE id = $1`
	if tx.db.dialect == DialectPostgres {
		q += ` FOR SHARE`
	}
	err := tx.QueryRowContext(ctx, q, a.PersonID).Scan(&status, &died)
	if isNoRows(err) {
		return dost.Errorf(dost.EINVALID, "The award's beneficiary %d is not a person in the registry.", a.PersonID)
	} else if err != nil {
		return fmt.Errorf("read the beneficiary's status: %w", err)
	}
	if status != dost.PersonDeceased {
		return nil
	}
	if a.Kind != dost.AwardMonthly {
		if a.Programme == funeralAllowance {
			return nil
		}
		return dost.Errorf(dost.EINVALID, "The beneficiary died on %s: no one-off award of %s is made for a deceased person.", died, a.Programme)
	}
	if died.IsZero() {
		return dost.Errorf(dost.EINVALID, "The beneficiary is recorded as deceased without a death date: no monthly award of %s is made.", a.Programme)
	}
	last := dost.MonthOf(died).Add(1).First().AddDate(0, 0, -1)
	if last.Before(a.Start) {
		return dost.Errorf(dost.EINVALID, "The beneficiary died before the award would start (died %s, start %s).", died, a.Start)
	}
	if a.End.IsZero() || last.Before(a.End) {
		a.End = last
	}
	return nil
}

// funeralAllowance is the programme paid for a death, whose one-off award is
// made for the deceased person.
const funeralAllowance = "funeral_allowance"

// changeAward ends, suspends or reactivates an award that has not ended.
// ENOTFOUND for an unknown award, ECONFLICT for one that has ended.
func changeAward(ctx context.Context, tx *Tx, c casework.AwardChange) error {
	var res sql.Result
	var err error
	switch c.Status {
	case dost.AwardEnded:
		if c.End.IsZero() {
			return dost.Errorf(dost.EINVALID, "Ending award %d needs its last day paid.", c.AwardID)
		}
		res, err = tx.ExecContext(ctx, `UPDATE awards SET status = $1, ends_on = $2, status_reason = $3, updated_at = $4
			WHERE id = $5 AND status <> 'ended'`, c.Status, c.End, c.Reason, tx.ts(tx.now), c.AwardID)
	case dost.AwardSuspended, dost.AwardActive:
		res, err = tx.ExecContext(ctx, `UPDATE awards SET status = $1, status_reason = $2, updated_at = $3
			WHERE id = $4 AND status <> 'ended'`, c.Status, c.Reason, tx.ts(tx.now), c.AwardID)
	default:
		return dost.Errorf(dost.EINVALID, "Unknown award status %q.", c.Status)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n > 0 {
		return changeSuspension(ctx, tx, c)
	}
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM awards WHERE id = $1`, c.AwardID).Scan(new(int)); isNoRows(err) {
		return dost.Errorf(dost.ENOTFOUND, "Award %d not found.", c.AwardID)
	} else if err != nil {
		return err
	}
	return dost.Errorf(dost.ECONFLICT, "Award %d has ended already.", c.AwardID)
}

// changeSuspension keeps award_suspensions in step with an award changed
// by changeAward (sqlstore/award_suspension.go): a suspension opens one
// from today (unless one is open), a reactivation or an end closes the
// open one today, so that the daily suspension of awards whose money is
// not withdrawn finds no stale open row.
func changeSuspension(ctx context.Context, tx *Tx, c casework.AwardChange) error {
	today := dost.DateOf(tx.now.In(dost.Baku))
	now := tx.ts(tx.now)
	var err error
	if c.Status == dost.AwardSuspended {
		_, err = tx.ExecContext(ctx, `INSERT INTO award_suspensions (award_id, reason, starts_on, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, c.AwardID, c.Reason, today, now)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE award_suspensions SET ends_on = $1, resume_reason = $2, updated_at = $3
			WHERE award_id = $4 AND ends_on IS NULL`, today, c.Reason, now, c.AwardID)
	}
	if err != nil {
		return fmt.Errorf("keep the suspensions of award %d: %w", c.AwardID, err)
	}
	return nil
}

// awardColumns are the columns scanAward reads.
const awardColumns = `id, programme, service_code, person_id, household_id, payee_id, kind, amount, period,
	starts_on, ends_on, status, status_reason, decision_id, application_id, created_at, updated_at FROM awards`

func scanAward(row interface{ Scan(...any) error }) (*dost.Award, error) {
	a := &dost.Award{}
	err := row.Scan(&a.ID, &a.Programme, &a.ServiceCode, &a.PersonID, &a.HouseholdID, &a.PayeeID, &a.Kind,
		&a.Amount, &a.Period, &a.Start, &a.End, &a.Status, &a.StatusReason, &a.DecisionID, &a.ApplicationID,
		scanTime(&a.CreatedAt), scanTime(&a.UpdatedAt))
	return a, err
}

// FindAwardByID returns an award. ENOTFOUND if there is none.
func (s *CaseStore) FindAwardByID(ctx context.Context, id int64) (*dost.Award, error) {
	var a *dost.Award
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		a, err = scanAward(tx.QueryRowContext(ctx, `SELECT `+awardColumns+` WHERE id = $1`, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Award not found.")
		}
		return err
	})
	return a, err
}

// FindAwards returns matching awards, newest first, and the total count.
// f.PersonID matches the beneficiary and the payee.
func (s *CaseStore) FindAwards(ctx context.Context, f dost.AwardFilter) ([]*dost.Award, int, error) {
	if !storable(f.Programme) {
		return []*dost.Award{}, 0, nil
	}
	count, list, a := awardsQueries(f)
	awards := []*dost.Award{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, count, a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, list, a, func(rows *sql.Rows) error {
			aw, err := scanAward(rows)
			awards = append(awards, aw)
			return err
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find awards: %w", err)
	}
	return awards, total, nil
}

// awardsQueries returns FindAwards' queries: the count of the matching
// awards, the page of them (newest first) and their arguments.
//
// Each condition lets an index serve. A person is the beneficiary or the
// payee: two lookups joined by UNION, one per index (awards_person,
// awards_payee), since SQLite scans the whole table for an OR of the two.
// The partial indexes awards_person and awards_household hold only
// non-zero IDs, so their condition ("<> 0") is stated too: SQLite uses a
// partial index only when the WHERE clause implies its condition, which a
// bound "= $1" does not. A household's award is for no person
// ("person_id = 0"), which lets awards_beneficiary_period serve a
// household and a programme together.
func awardsQueries(f dost.AwardFilter) (count, list string, a args) {
	var conds []string
	if f.HouseholdID != 0 {
		conds = append(conds, "household_id = "+a.add(f.HouseholdID)+" AND household_id <> 0 AND person_id = 0")
	}
	if f.Programme != "" {
		conds = append(conds, "programme = "+a.add(f.Programme))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN ("+addList(&a, f.Statuses)+")")
	}
	order := ` ORDER BY id DESC` + page(f.Offset, f.Limit)
	if f.PersonID == 0 {
		return `SELECT count(*) FROM awards` + where(conds), `SELECT ` + awardColumns + where(conds) + order, a
	}
	p := a.add(f.PersonID)
	union := func(columns string) string {
		return `SELECT ` + columns + where(append([]string{"person_id = " + p + " AND person_id <> 0"}, conds...)) +
			` UNION SELECT ` + columns + where(append([]string{"payee_id = " + p}, conds...))
	}
	return `SELECT count(*) FROM (` + union("id FROM awards") + `) AS matched`, union(awardColumns) + order, a
}

// insertNotification puts n into the outbox, setting its ID, CreatedAt,
// and (when unset) Status pending and NextAttemptAt now. A MessageID
// already there is skipped: n.ID stays 0.
func insertNotification(ctx context.Context, tx *Tx, n *dost.Notification) error {
	if n.MessageID == "" {
		return dost.Errorf(dost.EINVALID, "A notification needs a message ID.")
	}
	if n.Status == "" {
		n.Status = dost.NotificationPending
	}
	if n.NextAttemptAt.IsZero() {
		n.NextAttemptAt = tx.now
	}
	n.CreatedAt = tx.now
	err := tx.QueryRowContext(ctx, `INSERT INTO notifications (message_id, person_id, user_id, channel, recipient,
		language, topic, subject, body, status, attempts, next_attempt_at, last_error, sent_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (message_id) DO NOTHING RETURNING id`,
		n.MessageID, n.PersonID, n.UserID, n.Channel, n.To, n.Language, n.Topic, n.Subject, n.Body, n.Status,
		n.Attempts, tx.ts(n.NextAttemptAt), n.LastError, tx.nts(n.SentAt), tx.ts(n.CreatedAt)).Scan(&n.ID)
	if isNoRows(err) {
		n.ID = 0
		return nil
	}
	return err
}

// FindNotifications returns matching notifications of the outbox, newest
// first, and the total count.
func (s *CaseStore) FindNotifications(ctx context.Context, f dost.NotificationFilter) ([]*dost.Notification, int, error) {
	if !storable(f.Topic) {
		return []*dost.Notification{}, 0, nil
	}
	var a args
	var conds []string
	if f.PersonID != 0 {
		conds = append(conds, "person_id = "+a.add(f.PersonID))
	}
	if f.Topic != "" {
		conds = append(conds, "topic = "+a.add(f.Topic))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "status IN ("+addList(&a, f.Statuses)+")")
	}
	ns := []*dost.Notification{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT id, message_id, person_id, user_id, channel, recipient, language, topic,
			subject, body, status, attempts, next_attempt_at, last_error, sent_at, created_at
			FROM notifications`+where(conds)+` ORDER BY id DESC`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				n := &dost.Notification{}
				err := rows.Scan(&n.ID, &n.MessageID, &n.PersonID, &n.UserID, &n.Channel, &n.To, &n.Language,
					&n.Topic, &n.Subject, &n.Body, &n.Status, &n.Attempts, scanTime(&n.NextAttemptAt),
					&n.LastError, scanNullTime(&n.SentAt), scanTime(&n.CreatedAt))
				ns = append(ns, n)
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find notifications: %w", err)
	}
	return ns, total, nil
}
