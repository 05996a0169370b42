package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/proactive"
	"github.com/dost-az/dost/rulesrun"
)

// ProactiveStore is the storage of the proactive service (proactive.Store):
// life events (table life_events), offers (offers, with their
// notifications in the outbox), dismissals, and the reads of awards and
// persons the scan and the date change need. It is safe for concurrent
// use, also by several nodes on one database: an event is stored once per
// source and ID and an offer once per person, programme and period (primary key and
// unique index), and an offer is answered once (its status is checked in
// the update).
type ProactiveStore struct {
	db *DB
}

var _ proactive.Store = (*ProactiveStore)(nil)

// NewProactiveStore returns a ProactiveStore over db.
func NewProactiveStore(db *DB) *ProactiveStore { return &ProactiveStore{db: db} }

// eventPayload is what life_events.payload holds: the event's facts.
type eventPayload struct {
	Birth      *dost.BirthFacts      `json:"birth,omitempty"`
	Disability *dost.DisabilityFacts `json:"disability,omitempty"`
	Employment *dost.EmploymentFacts `json:"employment,omitempty"`
}

// eventColumns are the columns scanEvent reads.
const eventColumns = `id, kind, fin, date, payload, status, outcome, error, source, received_at, processed_at, content_hash
	FROM life_events`

func scanEvent(row interface{ Scan(...any) error }) (*dost.LifeEvent, error) {
	e := &dost.LifeEvent{}
	var payload, outcome []byte
	if err := row.Scan(&e.ID, &e.Kind, &e.FIN, &e.Date, &payload, &e.Status, &outcome, &e.Error, &e.Source,
		scanTime(&e.ReceivedAt), scanNullTime(&e.ProcessedAt), &e.ContentHash); err != nil {
		return nil, err
	}
	var p eventPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("event %s: payload: %w", e.ID, err)
	}
	e.Birth, e.Disability, e.Employment = p.Birth, p.Disability, p.Employment
	if len(outcome) > 0 {
		if err := json.Unmarshal(outcome, &e.Outcome); err != nil {
			return nil, fmt.Errorf("event %s: outcome: %w", e.ID, err)
		}
	}
	return e, nil
}

// CreateEvent stores e unless an event with its source and ID is stored
// already, and returns the stored event and whether it is e. See
// proactive.Store.
func (s *ProactiveStore) CreateEvent(ctx context.Context, e *dost.LifeEvent) (*dost.LifeEvent, bool, error) {
	if e.ID == "" || !storable(e.ID, e.Source, e.Error, e.ContentHash) {
		return nil, false, dost.Errorf(dost.EINVALID, "The event's id or texts cannot be stored.")
	}
	payload, err := json.Marshal(eventPayload{Birth: e.Birth, Disability: e.Disability, Employment: e.Employment})
	if err != nil {
		return nil, false, fmt.Errorf("create event: %w", err)
	}
	outcome, err := outcomeArg(e.Outcome)
	if err != nil {
		return nil, false, fmt.Errorf("create event: %w", err)
	}
	var stored *dost.LifeEvent
	var created bool
	err = s.db.update(ctx, func(tx *Tx) error {
		stored, created = nil, false
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = tx.now
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO life_events (id, kind, fin, date, payload, status, outcome, error, source,
			received_at, processed_at, content_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (source, id) DO NOTHING`,
			e.ID, e.Kind, e.FIN, e.Date, string(payload), e.Status, outcome, e.Error, e.Source, tx.ts(e.ReceivedAt), tx.nts(e.ProcessedAt),
			e.ContentHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			stored, created = e, true
			return nil
		}
		// Stored before, or by a concurrent call that committed first.
		stored, err = scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` WHERE source = $1 AND id = $2`, e.Source, e.ID))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("create event: %w", err)
	}
	return stored, created, nil
}

// outcomeArg returns an event's effects as a JSON query argument, NULL
// when there are none.
func outcomeArg(fx []dost.LifeEventEffect) (any, error) {
	if len(fx) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(fx)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// FindEventByID returns the stored event id of source. ENOTFOUND if there
// is none.
func (s *ProactiveStore) FindEventByID(ctx context.Context, source, id string) (*dost.LifeEvent, error) {
	if !storable(source, id) {
		return nil, dost.Errorf(dost.ENOTFOUND, "Event not found.")
	}
	var e *dost.LifeEvent
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		e, err = scanEvent(tx.QueryRowContext(ctx, `SELECT `+eventColumns+` WHERE source = $1 AND id = $2`, source, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Event not found.")
		}
		return err
	})
	return e, err
}

// FindEventsByID returns the stored events with id of every source, by
// source.
func (s *ProactiveStore) FindEventsByID(ctx context.Context, id string) ([]*dost.LifeEvent, error) {
	if !storable(id) {
		return nil, nil
	}
	var out []*dost.LifeEvent
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT `+eventColumns+` WHERE id = $1 ORDER BY source`, []any{id}, func(rows *sql.Rows) error {
			e, err := scanEvent(rows)
			out = append(out, e)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find events: %w", err)
	}
	return out, nil
}

// FinishEvent records the outcome of processing e (known by its source and
// ID): its status, effects, error and processing time. ENOTFOUND for an
// unknown event.
func (s *ProactiveStore) FinishEvent(ctx context.Context, e *dost.LifeEvent) error {
	outcome, err := outcomeArg(e.Outcome)
	if err != nil {
		return fmt.Errorf("finish event: %w", err)
	}
	if !storable(e.Error) {
		e.Error = strings.ToValidUTF8(strings.ReplaceAll(e.Error, "\x00", ""), "?")
	}
	return s.db.update(ctx, func(tx *Tx) error {
		if e.ProcessedAt == nil {
			now := tx.now
			e.ProcessedAt = &now
		}
		res, err := tx.ExecContext(ctx, `UPDATE life_events SET status = $1, outcome = $2, error = $3, processed_at = $4
			WHERE source = $5 AND id = $6`, e.Status, outcome, e.Error, tx.nts(e.ProcessedAt), e.Source, e.ID)
		if err != nil {
			return fmt.Errorf("finish event: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return dost.Errorf(dost.ENOTFOUND, "Event not found.")
		}
		return nil
	})
}

// FindEventsToRetry returns the events received since since that failed,
// or that are still received and were received before staleBefore, least
// recently attempted first, at most limit.
func (s *ProactiveStore) FindEventsToRetry(ctx context.Context, since, staleBefore time.Time, limit int) ([]*dost.LifeEvent, error) {
	var out []*dost.LifeEvent
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT `+eventColumns+` WHERE received_at >= $1
			AND (status = 'failed' OR status = 'received' AND received_at < $2)
			ORDER BY COALESCE(processed_at, received_at), source, id`+page(0, limit),
			[]any{tx.ts(since), tx.ts(staleBefore)}, func(rows *sql.Rows) error {
				e, err := scanEvent(rows)
				out = append(out, e)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find events to retry: %w", err)
	}
	return out, nil
}

// offerColumns are the columns scanOffer reads.
const offerColumns = `id, person_id, household_id, programme, service_code, period, amount, status, application_id,
	expires_on, created_at, updated_at FROM offers`

func scanOffer(row interface{ Scan(...any) error }) (*dost.Offer, error) {
	o := &dost.Offer{}
	err := row.Scan(&o.ID, &o.PersonID, &o.HouseholdID, &o.Programme, &o.ServiceCode, &o.Period, &o.Amount, &o.Status,
		&o.ApplicationID, &o.ExpiresOn, scanTime(&o.CreatedAt), scanTime(&o.UpdatedAt))
	return o, err
}

// CreateOffer stores o with its notifications unless the person has an
// offer of the programme for the period already. See proactive.Store.
func (s *ProactiveStore) CreateOffer(ctx context.Context, o *dost.Offer, ns []*dost.Notification) (*dost.Offer, bool, error) {
	if !storable(o.Programme, o.ServiceCode) {
		return nil, false, dost.Errorf(dost.EINVALID, "The offer's texts cannot be stored.")
	}
	var stored *dost.Offer
	var created bool
	err := s.db.update(ctx, func(tx *Tx) error {
		stored, created = nil, false
		if o.Status == "" {
			o.Status = dost.OfferSent
		}
		o.CreatedAt, o.UpdatedAt = tx.now, tx.now
		err := tx.QueryRowContext(ctx, `INSERT INTO offers (person_id, household_id, programme, service_code, period, amount,
			status, application_id, expires_on, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (person_id, programme, period) DO NOTHING RETURNING id`,
			o.PersonID, o.HouseholdID, o.Programme, o.ServiceCode, o.Period, o.Amount, o.Status, o.ApplicationID,
			o.ExpiresOn, tx.ts(o.CreatedAt), tx.ts(o.UpdatedAt)).Scan(&o.ID)
		switch {
		case isNoRows(err):
			stored, err = scanOffer(tx.QueryRowContext(ctx, `SELECT `+offerColumns+`
				WHERE person_id = $1 AND programme = $2 AND period = $3`, o.PersonID, o.Programme, o.Period))
			return err
		case isForeignKey(err):
			return dost.Errorf(dost.EINVALID, "The offer names an unknown person.")
		case err != nil:
			return err
		}
		for _, n := range ns {
			if err := insertNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		stored, created = o, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("create offer: %w", err)
	}
	return stored, created, nil
}

// FindOfferByID returns an offer. ENOTFOUND if there is none.
func (s *ProactiveStore) FindOfferByID(ctx context.Context, id int64) (*dost.Offer, error) {
	var o *dost.Offer
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		o, err = scanOffer(tx.QueryRowContext(ctx, `SELECT `+offerColumns+` WHERE id = $1`, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Offer not found.")
		}
		return err
	})
	return o, err
}

// FindOffers returns a person's offers, newest first.
func (s *ProactiveStore) FindOffers(ctx context.Context, personID int64) ([]*dost.Offer, error) {
	out := []*dost.Offer{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT `+offerColumns+` WHERE person_id = $1 ORDER BY id DESC`, []any{personID},
			func(rows *sql.Rows) error {
				o, err := scanOffer(rows)
				out = append(out, o)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("find offers: %w", err)
	}
	return out, nil
}

// AnswerOffer moves a sent offer to status with the application of an
// acceptance. ECONFLICT if it is no longer sent, ENOTFOUND if unknown.
func (s *ProactiveStore) AnswerOffer(ctx context.Context, id int64, status dost.OfferStatus, applicationID int64) (*dost.Offer, error) {
	switch status {
	case dost.OfferAccepted, dost.OfferDeclined, dost.OfferExpired:
	default:
		return nil, dost.Errorf(dost.EINVALID, "An offer cannot be answered %q.", status)
	}
	var o *dost.Offer
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE offers SET status = $1, application_id = $2, updated_at = $3
			WHERE id = $4 AND status = 'sent'`, status, applicationID, tx.ts(tx.now), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		o, err = scanOffer(tx.QueryRowContext(ctx, `SELECT `+offerColumns+` WHERE id = $1`, id))
		switch {
		case isNoRows(err):
			return dost.Errorf(dost.ENOTFOUND, "Offer not found.")
		case err != nil:
			return err
		case n == 0:
			return dost.Errorf(dost.ECONFLICT, "The offer was %s already.", o.Status)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// ExpireOffers marks the sent offers that expire before today expired and
// returns how many.
func (s *ProactiveStore) ExpireOffers(ctx context.Context, today dost.Date) (int, error) {
	var n int64
	err := s.db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE offers SET status = 'expired', updated_at = $1
			WHERE status = 'sent' AND expires_on < $2`, tx.ts(tx.now), today)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire offers: %w", err)
	}
	return int(n), nil
}

// FindHoldings returns the awards, offers and refused applications that
// make the beneficiaries of a shard's persons and households not newly
// entitled in period. See proactive.Store. The persons of a household
// shard are its members; those of a loner shard every person in its ID
// range (holdings of persons in a household too do no harm: they are not
// in the shard's population).
//
// An award ended because an appeal overturned its approval counts however
// long ago it ended, and an application counts when its latest decision
// refused it on or after the first day of the month 12 months before
// period (Baku time), also while an appeal of it is pending: what a case
// worker decided is not undone by the next scan.
func (s *ProactiveStore) FindHoldings(ctx context.Context, sh rulesrun.Shard, period dost.Month) ([]proactive.Holding, error) {
	// $1, $2: the shard's range; $3 the period; $4 its first day; $5 the
	// first period of the offers that count; $6 the first time of the
	// refusals that count.
	const awardOpen = `(w.status <> 'ended' OR w.period = $3 OR w.ends_on >= $4 OR w.status_reason = 'appeal_overturned')`
	const offerOpen = `(o.status = 'sent' OR o.period >= $5)`
	const refused = `JOIN decisions d ON d.id = a.decision_id WHERE d.outcome = 'refused' AND d.decided_at >= $6`
	var q string
	switch sh.Kind {
	case rulesrun.ShardHouseholds:
		q = `SELECT w.programme, w.person_id, w.household_id, 0, w.service_code FROM awards w
			WHERE w.household_id >= $1 AND w.household_id < $2 AND w.household_id <> 0 AND ` + awardOpen + `
		UNION ALL
		SELECT w.programme, w.person_id, w.household_id, 0, w.service_code FROM household_members m
			JOIN awards w ON w.person_id = m.person_id
			WHERE m.household_id >= $1 AND m.household_id < $2 AND w.person_id <> 0 AND ` + awardOpen + `
		UNION ALL
		SELECT o.programme, o.person_id, o.household_id, 1, o.service_code FROM household_members m
			JOIN offers o ON o.person_id = m.person_id
			WHERE m.household_id >= $1 AND m.household_id < $2 AND ` + offerOpen + `
		UNION ALL
		SELECT '', a.person_id, a.household_id, 2, a.service_code FROM applications a ` + refused + `
			AND a.household_id >= $1 AND a.household_id < $2 AND a.household_id <> 0
		UNION ALL
		SELECT '', a.person_id, a.household_id, 2, a.service_code FROM household_members m
			JOIN applications a ON a.person_id = m.person_id ` + refused + `
			AND m.household_id >= $1 AND m.household_id < $2`
	case rulesrun.ShardLoners:
		q = `SELECT w.programme, w.person_id, w.household_id, 0, w.service_code FROM awards w
			WHERE w.person_id >= $1 AND w.person_id < $2 AND w.person_id <> 0 AND ` + awardOpen + `
		UNION ALL
		SELECT o.programme, o.person_id, o.household_id, 1, o.service_code FROM offers o
			WHERE o.person_id >= $1 AND o.person_id < $2 AND ` + offerOpen + `
		UNION ALL
		SELECT '', a.person_id, a.household_id, 2, a.service_code FROM applications a ` + refused + `
			AND a.person_id >= $1 AND a.person_id < $2`
	default:
		return nil, dost.Errorf(dost.EINVALID, "Unknown shard kind %q.", sh.Kind)
	}
	first := period.Add(-12).First()
	since := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, dost.Baku)
	var out []proactive.Holding
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, q, []any{sh.Lo, sh.Hi, period, period.First(), period.Add(-11), tx.ts(since)}, func(rows *sql.Rows) error {
			var h proactive.Holding
			var kind int
			if err := rows.Scan(&h.Programme, &h.PersonID, &h.HouseholdID, &kind, &h.ServiceCode); err != nil {
				return err
			}
			h.Offer, h.Refused = kind == 1, kind == 2
			out = append(out, h)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find holdings of shard %s: %w", sh, err)
	}
	return out, nil
}

// RecordScanTasks records the beneficiaries an attempt at a shard of a
// scan sets out to award or offer, in one transaction, keeping those
// recorded already. See proactive.Store. ENOTFOUND for a shard the scan
// did not plan.
func (s *ProactiveStore) RecordScanTasks(ctx context.Context, scanID int64, sh rulesrun.Shard, tasks []proactive.ScanTask) error {
	err := s.db.update(ctx, func(tx *Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM scan_shards WHERE scan_id = $1 AND kind = $2 AND lo = $3`,
			scanID, string(sh.Kind), sh.Lo).Scan(&one)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Scan %d has no shard %s.", scanID, sh)
		} else if err != nil {
			return err
		}
		const chunk = 500 // rows per INSERT
		for rest := tasks; len(rest) > 0; {
			n := min(chunk, len(rest))
			var b strings.Builder
			b.WriteString(`INSERT INTO scan_tasks (scan_id, kind, lo, programme, person_id, household_id, offer) VALUES `)
			a := make([]any, 0, 7*n)
			for i, t := range rest[:n] {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(")
				for j, v := range []any{scanID, string(sh.Kind), sh.Lo, t.Programme, t.PersonID, t.HouseholdID, t.Offer} {
					if j > 0 {
						b.WriteString(", ")
					}
					a = append(a, v)
					b.WriteString(s.db.placeholder(len(a)))
				}
				b.WriteString(")")
			}
			b.WriteString(` ON CONFLICT DO NOTHING`)
			if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record tasks of shard %s of scan %d: %w", sh, scanID, err)
	}
	return nil
}

// FindScanTasks returns the tasks recorded for a shard of a scan. See
// proactive.Store.
func (s *ProactiveStore) FindScanTasks(ctx context.Context, scanID int64, sh rulesrun.Shard) ([]proactive.ScanTask, error) {
	var out []proactive.ScanTask
	err := s.db.view(ctx, func(tx *Tx) error {
		out = nil
		return each(ctx, tx, `SELECT programme, person_id, household_id, offer FROM scan_tasks
			WHERE scan_id = $1 AND kind = $2 AND lo = $3`, []any{scanID, string(sh.Kind), sh.Lo}, func(rows *sql.Rows) error {
			var t proactive.ScanTask
			if err := rows.Scan(&t.Programme, &t.PersonID, &t.HouseholdID, &t.Offer); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find tasks of shard %s of scan %d: %w", sh, scanID, err)
	}
	return out, nil
}

// FindPersonsBornOn returns the living persons born on one of dates.
func (s *ProactiveStore) FindPersonsBornOn(ctx context.Context, dates []dost.Date) ([]proactive.Candidate, error) {
	if len(dates) == 0 {
		return nil, nil
	}
	var a args
	list := addList(&a, dates)
	var out []proactive.Candidate
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT id, birth_date, sex FROM persons WHERE birth_date IN (`+list+`) AND status = 'alive'
			ORDER BY id`, a, func(rows *sql.Rows) error {
			var c proactive.Candidate
			if err := rows.Scan(&c.PersonID, &c.BirthDate, &c.Sex); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find persons by birth date: %w", err)
	}
	return out, nil
}

// EndAwards ends every open monthly award whose beneficiary is the person
// and suspends every active award paid to them for someone else, in one
// transaction, and returns them changed. See proactive.Store.
func (s *ProactiveStore) EndAwards(ctx context.Context, personID int64, end dost.Date, reason string) ([]*dost.Award, error) {
	if end.IsZero() || !storable(reason) {
		return nil, dost.Errorf(dost.EINVALID, "Ending awards needs their last day paid and a reason.")
	}
	var out []*dost.Award
	err := s.db.update(ctx, func(tx *Tx) error {
		out = nil
		var open, paid []*dost.Award
		err := each(ctx, tx, `SELECT `+awardColumns+` WHERE person_id = $1 AND person_id <> 0 AND household_id = 0
			AND kind = 'monthly' AND status <> 'ended' ORDER BY id`, []any{personID}, func(rows *sql.Rows) error {
			w, err := scanAward(rows)
			open = append(open, w)
			return err
		})
		if err != nil {
			return err
		}
		err = each(ctx, tx, `SELECT `+awardColumns+` WHERE payee_id = $1 AND NOT (person_id = $1 AND household_id = 0)
			AND status = 'active' ORDER BY id`, []any{personID}, func(rows *sql.Rows) error {
			w, err := scanAward(rows)
			paid = append(paid, w)
			return err
		})
		if err != nil {
			return err
		}
		for _, w := range open {
			last := end
			if !w.End.IsZero() && w.End.Before(last) {
				last = w.End // a fixed-term award is never lengthened
			}
			if !w.Start.IsZero() && last.Before(w.Start) {
				last = w.Start.AddDate(0, 0, -1) // it never pays
			}
			if _, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'ended', ends_on = $1, status_reason = $2,
				updated_at = $3 WHERE id = $4`, last, reason, tx.ts(tx.now), w.ID); err != nil {
				return err
			}
			w.Status, w.End, w.StatusReason, w.UpdatedAt = dost.AwardEnded, last, reason, tx.now
			out = append(out, w)
		}
		for _, w := range paid {
			if _, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'suspended', status_reason = $1,
				updated_at = $2 WHERE id = $3`, proactive.ReasonPayeeDeceased, tx.ts(tx.now), w.ID); err != nil {
				return err
			}
			// Its suspension is stored (award_suspension.go); one open
			// already stays.
			if _, err := tx.ExecContext(ctx, `INSERT INTO award_suspensions (award_id, reason, starts_on, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, w.ID, proactive.ReasonPayeeDeceased,
				dost.DateOf(tx.now.In(dost.Baku)), tx.ts(tx.now)); err != nil {
				return err
			}
			w.Status, w.StatusReason, w.UpdatedAt = dost.AwardSuspended, proactive.ReasonPayeeDeceased, tx.now
			out = append(out, w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("end awards: %w", err)
	}
	return out, nil
}

// LimitAward sets the last day paid of an open award to end unless it
// ends earlier already, and returns the award. See proactive.Store.
func (s *ProactiveStore) LimitAward(ctx context.Context, id int64, end dost.Date) (*dost.Award, error) {
	if end.IsZero() {
		return nil, dost.Errorf(dost.EINVALID, "Limiting an award needs its last day paid.")
	}
	var w *dost.Award
	err := s.db.update(ctx, func(tx *Tx) (err error) {
		w, err = scanAward(tx.QueryRowContext(ctx, `SELECT `+awardColumns+` WHERE id = $1`, id))
		switch {
		case isNoRows(err):
			return dost.Errorf(dost.ENOTFOUND, "Award not found.")
		case err != nil:
			return err
		case w.Status == dost.AwardEnded || !w.End.IsZero() && !end.Before(w.End):
			return nil
		}
		if !w.Start.IsZero() && end.Before(w.Start) {
			end = w.Start.AddDate(0, 0, -1)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET ends_on = $1, updated_at = $2 WHERE id = $3`,
			end, tx.ts(tx.now), id); err != nil {
			return err
		}
		w.End, w.UpdatedAt = end, tx.now
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("limit award: %w", err)
	}
	return w, nil
}

// CreateDismissal stores d unless the person has a dismissal on its date
// already, and reports whether it stored it. EINVALID for an unknown
// person.
func (s *ProactiveStore) CreateDismissal(ctx context.Context, d *proactive.Dismissal) (bool, error) {
	if !storable(string(d.Reason), d.EmployerTIN) {
		return false, dost.Errorf(dost.EINVALID, "The dismissal's texts cannot be stored.")
	}
	var created bool
	err := s.db.update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO dismissals (person_id, date, reason, employer_tin)
			VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, date) DO NOTHING RETURNING id`,
			d.PersonID, d.Date, d.Reason, d.EmployerTIN).Scan(&d.ID)
		switch {
		case isNoRows(err):
			created = false
			return tx.QueryRowContext(ctx, `SELECT id FROM dismissals WHERE person_id = $1 AND date = $2`,
				d.PersonID, d.Date).Scan(&d.ID)
		case isForeignKey(err):
			return dost.Errorf(dost.EINVALID, "The dismissal names an unknown person.")
		case err != nil:
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("create dismissal: %w", err)
	}
	return created, nil
}
