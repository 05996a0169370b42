package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
	"github.com/dost-az/dost/queue"
)

// HallStore is the storage of the centre hall (hall.Store): tickets and
// their append-only event log, counter sign-ins, queue settings, daily
// number sequences, certifications, appointments and feedback (tables of
// migration 00008_hall). It is safe for concurrent use, also by several
// nodes on one database: CallNext locks only the ticket it chose (FOR
// UPDATE SKIP LOCKED on PostgreSQL; SQLite's one writer serialises), every
// change of a ticket checks the version it read, and unique indexes are
// the last line against a number drawn twice, a ticket in two operators'
// hands, a seat booked twice or a visit rated twice.
//
// On SQLite, writes that arrive while another is being written are
// combined into one transaction, each in its own savepoint (see write):
// with a hundred operators calling at once, one commit serves them all.
// Use one HallStore per database, so that all its writes combine.
type HallStore struct {
	db    *DB
	batch *writeBatcher // SQLite only

	// RatingSMS, if set, makes the SMS that asks the visitor of a ticket
	// just finished to rate the visit (hall.Service.RatingSMS): ActOnTicket
	// writes it to the outbox in the finish's transaction when the ticket
	// came from an appointment that gave a phone (hall_visit.go). Set it
	// before the store is used.
	RatingSMS func(t *dost.Ticket, phone string, personID int64) *dost.Notification
}

var _ hall.Store = (*HallStore)(nil)

// NewHallStore returns a HallStore over db.
func NewHallStore(db *DB) *HallStore {
	s := &HallStore{db: db}
	if db.dialect == DialectSQLite {
		s.batch = &writeBatcher{db: db}
	}
	return s
}

// fieldErr returns an *dost.Error of code with one field error.
func fieldErr(code, field, fcode, format string, args ...any) *dost.Error {
	msg := fmt.Sprintf(format, args...)
	return &dost.Error{Code: code, Message: msg, Fields: []dost.FieldError{{Field: field, Code: fcode, Message: msg}}}
}

// forUpdate returns the row-locking suffix of a SELECT: FOR UPDATE (and
// more) on PostgreSQL, nothing on SQLite, whose writer is serialised.
func (tx *Tx) forUpdate(suffix string) string {
	if tx.db.dialect == DialectPostgres {
		return " FOR UPDATE" + suffix
	}
	return ""
}

// ticketColumns are the columns scanTicket reads.
const ticketColumns = `id, centre_id, day, sequence, number, queue_group, service_code, priority, language, status,
	appointment_id, appointment_at, directed_counter_id, counter_id, operator_id, issued_at, called_at, started_at,
	finished_at, recalls, recalled_at, transfers, services_done, quoted_wait_seconds, version, updated_at FROM tickets`

// scanTicket scans a ticket and its version.
func scanTicket(row interface{ Scan(...any) error }) (*dost.Ticket, int, error) {
	t := &dost.Ticket{}
	var done string
	var version int
	err := row.Scan(&t.ID, &t.CentreID, &t.Day, &t.Sequence, &t.Number, &t.Group, &t.ServiceCode, &t.Priority,
		&t.Language, &t.Status, &t.AppointmentID, scanNullTime(&t.AppointmentAt), &t.DirectedCounterID, &t.CounterID,
		&t.OperatorID, scanTime(&t.IssuedAt), scanNullTime(&t.CalledAt), scanNullTime(&t.StartedAt),
		scanNullTime(&t.FinishedAt), &t.Recalls, scanNullTime(&t.RecalledAt), &t.Transfers, &done,
		&t.QuotedWaitSeconds, &version, scanTime(&t.UpdatedAt))
	if done != "" {
		t.ServicesDone = strings.Split(done, ",")
	}
	return t, version, err
}

// IssueTicket stores t with the next number of its group. See hall.Store.
func (s *HallStore) IssueTicket(ctx context.Context, t *dost.Ticket) error {
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error { return issueTicket(ctx, tx, t, sc) })
	if err != nil {
		return fmt.Errorf("issue ticket: %w", err)
	}
	return nil
}

// issueTicket is IssueTicket in tx; it adds the ticket to the queue sc
// holds, if sc has read it.
func issueTicket(ctx context.Context, tx *Tx, t *dost.Ticket, sc *callScope) error {
	if _, err := centreOf(ctx, tx, t.CentreID); err != nil {
		return err
	}
	t.Day = civilDate(tx.now)
	t.Status = dost.TicketWaiting
	t.IssuedAt, t.UpdatedAt = tx.now, tx.now
	// The sequence row is locked by the upsert until commit on
	// PostgreSQL; SQLite's writer is serialised. Either way each number
	// is drawn once, and tickets_number would refuse a second.
	if err := tx.QueryRowContext(ctx, `INSERT INTO ticket_sequences (centre_id, prefix, day, last) VALUES ($1, $2, $3, 1)
		ON CONFLICT (centre_id, prefix, day) DO UPDATE SET last = ticket_sequences.last + 1 RETURNING last`,
		t.CentreID, t.Group, t.Day).Scan(&t.Sequence); err != nil {
		return err
	}
	t.Number = dost.TicketNumber(t.Group, t.Sequence)
	err := tx.QueryRowContext(ctx, `INSERT INTO tickets (centre_id, day, prefix, sequence, number, queue_group,
		service_code, priority, language, status, appointment_id, appointment_at, issued_at, quoted_wait_seconds, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		t.CentreID, t.Day, t.Group, t.Sequence, t.Number, t.Group, t.ServiceCode, t.Priority, t.Language, t.Status,
		t.AppointmentID, tx.nts(t.AppointmentAt), tx.ts(t.IssuedAt), t.QuotedWaitSeconds, tx.ts(t.UpdatedAt)).Scan(&t.ID)
	if isForeignKey(err) {
		return fieldErr(dost.EINVALID, "service_code", "service.unknown", "Unknown service %s.", t.ServiceCode)
	} else if err != nil {
		return err
	}
	if err := insertQueueEvent(ctx, tx, t, 1, &dost.QueueEvent{Kind: dost.QueueIssued, QuotedWaitSeconds: t.QuotedWaitSeconds}); err != nil {
		return err
	}
	if list, ok := sc.waiting[t.CentreID]; ok {
		w := *t
		sc.waiting[t.CentreID] = append(slices.Clip(list), &w)
	}
	return nil
}

// insertQueueEvent appends e for ticket t as the event of t's version
// seq; CentreID, TicketID, Number, At, ServiceCode and Priority come from
// t and the transaction. A second event of one version is ECONFLICT: the
// ticket changed meanwhile.
func insertQueueEvent(ctx context.Context, tx *Tx, t *dost.Ticket, seq int, e *dost.QueueEvent) error {
	e.CentreID, e.TicketID, e.Number, e.At, e.ServiceCode, e.Priority = t.CentreID, t.ID, t.Number, tx.now, t.ServiceCode, t.Priority
	var reason any
	if e.Reason != nil {
		b, err := json.Marshal(e.Reason)
		if err != nil {
			return fmt.Errorf("call reason: %w", err)
		}
		reason = string(b)
	}
	const insert = `INSERT INTO queue_events (centre_id, ticket_id, seq, number, kind, at, counter_id,
		operator_id, service_code, from_service_code, priority, reason, services_done, quoted_wait_seconds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	values := []any{e.CentreID, e.TicketID, seq, e.Number, e.Kind, tx.ts(e.At), e.CounterID, e.OperatorID, e.ServiceCode,
		e.FromServiceCode, e.Priority, reason, strings.Join(e.ServicesDone, ","), e.QuotedWaitSeconds}
	var err error
	if tx.db.dialect == DialectSQLite {
		// The row id without RETURNING, which SQLite runs through a
		// temporary table: every call-next writes an event.
		var res sql.Result
		if res, err = tx.ExecContext(ctx, insert, values...); err == nil {
			e.ID, err = res.LastInsertId()
		}
	} else {
		err = tx.QueryRowContext(ctx, insert+` RETURNING id`, values...).Scan(&e.ID)
	}
	if isUnique(err) {
		return dost.Errorf(dost.ECONFLICT, "Ticket %s changed meanwhile; try again.", t.Number)
	}
	return err
}

// FindTicketByID returns a ticket. ENOTFOUND if there is none.
func (s *HallStore) FindTicketByID(ctx context.Context, id int64) (*dost.Ticket, error) {
	var t *dost.Ticket
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		t, _, err = findTicket(ctx, tx, id, "")
		return err
	})
	return t, err
}

// findTicket reads a ticket, with lock as findTicket's SELECT suffix.
func findTicket(ctx context.Context, tx *Tx, id int64, lock string) (*dost.Ticket, int, error) {
	t, v, err := scanTicket(tx.QueryRowContext(ctx, `SELECT `+ticketColumns+` WHERE id = $1`+lock, id))
	if isNoRows(err) {
		return nil, 0, dost.Errorf(dost.ENOTFOUND, "Ticket %d not found.", id)
	}
	return t, v, err
}

// FindTickets returns matching tickets in order of issue, and the total.
func (s *HallStore) FindTickets(ctx context.Context, f dost.TicketFilter) ([]*dost.Ticket, int, error) {
	out := []*dost.Ticket{}
	var total int
	if !storable(f.ServiceCode, f.Number) {
		return out, 0, nil
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.CentreID != 0 {
			conds = append(conds, "centre_id = "+a.add(f.CentreID))
		}
		if !f.Day.IsZero() {
			conds = append(conds, "day = "+a.add(f.Day))
		}
		if f.ServiceCode != "" {
			conds = append(conds, "service_code = "+a.add(f.ServiceCode))
		}
		if f.Number != "" {
			conds = append(conds, "number = "+a.add(f.Number))
		}
		if f.CounterID != 0 {
			conds = append(conds, "counter_id = "+a.add(f.CounterID))
		}
		if len(f.Statuses) > 0 {
			conds = append(conds, "status IN ("+addList(&a, f.Statuses)+")")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tickets`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+ticketColumns+where(conds)+` ORDER BY issued_at, id`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				t, _, err := scanTicket(rows)
				out = append(out, t)
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find tickets: %w", err)
	}
	return out, total, nil
}

// FindQueueEvents returns matching events oldest first, and the total.
func (s *HallStore) FindQueueEvents(ctx context.Context, f dost.QueueEventFilter) ([]*dost.QueueEvent, int, error) {
	out := []*dost.QueueEvent{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.CentreID != 0 {
			conds = append(conds, "centre_id = "+a.add(f.CentreID))
		}
		if f.TicketID != 0 {
			conds = append(conds, "ticket_id = "+a.add(f.TicketID))
		}
		if !f.From.IsZero() {
			conds = append(conds, "at >= "+a.add(tx.ts(f.From)))
		}
		if !f.Until.IsZero() {
			conds = append(conds, "at < "+a.add(tx.ts(f.Until)))
		}
		if len(f.Kinds) > 0 {
			conds = append(conds, "kind IN ("+addList(&a, f.Kinds)+")")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM queue_events`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT id, centre_id, ticket_id, number, kind, at, counter_id, operator_id, service_code,
			from_service_code, priority, reason, services_done, quoted_wait_seconds FROM queue_events`+where(conds)+
			` ORDER BY at, id`+page(f.Offset, f.Limit), a, func(rows *sql.Rows) error {
			e := &dost.QueueEvent{}
			var reason []byte
			var done string
			if err := rows.Scan(&e.ID, &e.CentreID, &e.TicketID, &e.Number, &e.Kind, scanTime(&e.At), &e.CounterID,
				&e.OperatorID, &e.ServiceCode, &e.FromServiceCode, &e.Priority, &reason, &done, &e.QuotedWaitSeconds); err != nil {
				return err
			}
			if len(reason) > 0 {
				e.Reason = &dost.CallReason{}
				if err := json.Unmarshal(reason, e.Reason); err != nil {
					return fmt.Errorf("queue event %d: reason: %w", e.ID, err)
				}
			}
			if done != "" {
				e.ServicesDone = strings.Split(done, ",")
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find queue events: %w", err)
	}
	return out, total, nil
}

// centreOf checks that centre id exists and returns its time zone.
// ENOTFOUND (field "centre_id", code "centre.unknown") if not.
func centreOf(ctx context.Context, tx *Tx, id int64) (string, error) {
	var tz string
	err := tx.QueryRowContext(ctx, `SELECT timezone FROM centres WHERE id = $1`, id).Scan(&tz)
	if isNoRows(err) {
		return "", fieldErr(dost.ENOTFOUND, "centre_id", "centre.unknown", "Centre %d not found.", id)
	}
	return tz, err
}

// FindQueueSettings returns a centre's settings. See hall.Store.
func (s *HallStore) FindQueueSettings(ctx context.Context, centreID int64) (*dost.QueueSettings, error) {
	var qs *dost.QueueSettings
	err := s.db.view(ctx, func(tx *Tx) error {
		if _, err := centreOf(ctx, tx, centreID); err != nil {
			return err
		}
		var err error
		qs, err = findQueueSettings(ctx, tx, centreID)
		return err
	})
	return qs, err
}

func findQueueSettings(ctx context.Context, tx *Tx, centreID int64) (*dost.QueueSettings, error) {
	qs := &dost.QueueSettings{CentreID: centreID, PriorityGroups: []dost.PriorityGroup{}}
	var groups string
	err := tx.QueryRowContext(ctx, `SELECT priority_groups, head_start_minutes, appointment_lead_minutes, max_recalls,
		recall_interval_seconds, service_level_minutes FROM queue_settings WHERE centre_id = $1`, centreID).Scan(
		&groups, &qs.HeadStartMinutes, &qs.AppointmentLeadMinutes, &qs.MaxRecalls, &qs.RecallIntervalSeconds, &qs.ServiceLevelMinutes)
	if isNoRows(err) {
		return dost.DefaultQueueSettings(centreID), nil
	} else if err != nil {
		return nil, err
	}
	if groups != "" {
		for _, g := range strings.Split(groups, ",") {
			qs.PriorityGroups = append(qs.PriorityGroups, dost.PriorityGroup(g))
		}
	}
	return qs, nil
}

// SaveQueueSettings stores a centre's settings. See hall.Store.
func (s *HallStore) SaveQueueSettings(ctx context.Context, qs *dost.QueueSettings) error {
	if err := qs.Validate(); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		if _, err := centreOf(ctx, tx, qs.CentreID); err != nil {
			return err
		}
		clear(sc.settings) // later calls of this transaction use the new settings
		groups := make([]string, len(qs.PriorityGroups))
		for i, g := range qs.PriorityGroups {
			groups[i] = string(g)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO queue_settings (centre_id, priority_groups, head_start_minutes,
			appointment_lead_minutes, max_recalls, recall_interval_seconds, service_level_minutes, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (centre_id) DO UPDATE SET priority_groups = excluded.priority_groups,
			head_start_minutes = excluded.head_start_minutes, appointment_lead_minutes = excluded.appointment_lead_minutes,
			max_recalls = excluded.max_recalls, recall_interval_seconds = excluded.recall_interval_seconds,
			service_level_minutes = excluded.service_level_minutes, updated_at = excluded.updated_at`,
			qs.CentreID, strings.Join(groups, ","), qs.HeadStartMinutes, qs.AppointmentLeadMinutes, qs.MaxRecalls,
			qs.RecallIntervalSeconds, qs.ServiceLevelMinutes, tx.ts(tx.now))
		return err
	})
}

// counterOf returns a counter's centre and queue groups. ENOTFOUND for an
// unknown counter.
func counterOf(ctx context.Context, tx *Tx, id int64) (int64, []string, error) {
	var centre int64
	var groups string
	err := tx.QueryRowContext(ctx, `SELECT centre_id, queue_groups FROM counters WHERE id = $1`, id).Scan(&centre, &groups)
	if isNoRows(err) {
		return 0, nil, fieldErr(dost.ENOTFOUND, "counter_id", "counter.unknown", "Counter %d not found.", id)
	} else if err != nil {
		return 0, nil, err
	}
	if groups == "" {
		return centre, nil, nil
	}
	return centre, strings.Split(groups, ","), nil
}

// FindCounter returns a counter. ENOTFOUND (code "counter.unknown") if
// there is none.
func (s *HallStore) FindCounter(ctx context.Context, id int64) (*dost.Counter, error) {
	k := &dost.Counter{ID: id, Groups: []string{}}
	err := s.db.view(ctx, func(tx *Tx) error {
		var groups string
		err := tx.QueryRowContext(ctx, `SELECT centre_id, number, label, queue_groups FROM counters WHERE id = $1`, id).Scan(
			&k.CentreID, &k.Number, &k.Label, &groups)
		if isNoRows(err) {
			return fieldErr(dost.ENOTFOUND, "counter_id", "counter.unknown", "Counter %d not found.", id)
		}
		if groups != "" {
			k.Groups = strings.Split(groups, ",")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// SignInCounter opens a sign-in. See hall.Store.
func (s *HallStore) SignInCounter(ctx context.Context, counterID, operatorID int64) (*dost.CounterSignIn, error) {
	var si *dost.CounterSignIn
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		centre, _, err := counterOf(ctx, tx, counterID)
		if err != nil {
			return err
		}
		open, err := findSignIns(ctx, tx, "counter_id = $1", counterID)
		if err != nil {
			return err
		}
		if len(open) > 0 {
			if open[0].OperatorID == operatorID {
				si = open[0]
				return nil
			}
			return fieldErr(dost.ECONFLICT, "counter_id", "counter.taken", "Another operator is signed in at counter %d.", counterID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE counter_sign_ins SET signed_out_at = $1
			WHERE operator_id = $2 AND signed_out_at IS NULL`, tx.ts(tx.now), operatorID); err != nil {
			return err
		}
		si = &dost.CounterSignIn{CentreID: centre, CounterID: counterID, OperatorID: operatorID, SignedInAt: tx.now}
		err = tx.QueryRowContext(ctx, `INSERT INTO counter_sign_ins (centre_id, counter_id, operator_id, signed_in_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, centre, counterID, operatorID, tx.ts(tx.now)).Scan(&si.ID)
		if isUnique(err) {
			return fieldErr(dost.ECONFLICT, "counter_id", "counter.taken", "Another operator signed in at counter %d meanwhile.", counterID)
		} else if isForeignKey(err) {
			return fieldErr(dost.EINVALID, "operator_id", "operator.unknown", "Unknown operator %d.", operatorID)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign in at counter %d: %w", counterID, err)
	}
	return si, nil
}

// SignOutCounter closes a sign-in. See hall.Store.
func (s *HallStore) SignOutCounter(ctx context.Context, counterID, operatorID int64) error {
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		res, err := tx.ExecContext(ctx, `UPDATE counter_sign_ins SET signed_out_at = $1
			WHERE counter_id = $2 AND operator_id = $3 AND signed_out_at IS NULL`, tx.ts(tx.now), counterID, operatorID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fieldErr(dost.ENOTFOUND, "counter_id", "counter.not_signed_in", "You are not signed in at counter %d.", counterID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sign out at counter %d: %w", counterID, err)
	}
	return nil
}

// FindSignIns returns a centre's open sign-ins by counter.
func (s *HallStore) FindSignIns(ctx context.Context, centreID int64) ([]*dost.CounterSignIn, error) {
	var out []*dost.CounterSignIn
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		out, err = findSignIns(ctx, tx, "centre_id = $1", centreID)
		return err
	})
	return out, err
}

// findSignIns returns the open sign-ins matching cond (with one argument
// $1), by counter.
func findSignIns(ctx context.Context, tx *Tx, cond string, arg any) ([]*dost.CounterSignIn, error) {
	out := []*dost.CounterSignIn{}
	err := each(ctx, tx, `SELECT id, centre_id, counter_id, operator_id, signed_in_at FROM counter_sign_ins
		WHERE `+cond+` AND signed_out_at IS NULL ORDER BY counter_id`, []any{arg}, func(rows *sql.Rows) error {
		si := &dost.CounterSignIn{}
		out = append(out, si)
		return rows.Scan(&si.ID, &si.CentreID, &si.CounterID, &si.OperatorID, scanTime(&si.SignedInAt))
	})
	return out, err
}

// callTicket marks t (read at version) called to the counter and writes
// the event.
func callTicket(ctx context.Context, tx *Tx, t *dost.Ticket, version int, counterID, operatorID int64, why *dost.CallReason) error {
	if _, err := dost.NextTicketStatus(t.Status, dost.TicketCall); err != nil {
		return err
	}
	t.Status, t.CounterID, t.OperatorID = dost.TicketCalled, counterID, operatorID
	if t.CalledAt == nil {
		now := tx.now
		t.CalledAt = &now
	}
	if err := saveTicket(ctx, tx, t, version); err != nil {
		return err
	}
	return insertQueueEvent(ctx, tx, t, version+1, &dost.QueueEvent{Kind: dost.QueueCalled, CounterID: counterID,
		OperatorID: operatorID, Reason: why})
}

// saveTicket writes t's changeable columns if its version is still
// version, and sets UpdatedAt. ECONFLICT if it changed meanwhile or the
// counter has another ticket in hand.
func saveTicket(ctx context.Context, tx *Tx, t *dost.Ticket, version int) error {
	t.UpdatedAt = tx.now
	res, err := tx.ExecContext(ctx, `UPDATE tickets SET status = $1, service_code = $2, queue_group = $3,
		directed_counter_id = $4, counter_id = $5, operator_id = $6, called_at = $7, started_at = $8, finished_at = $9,
		recalls = $10, recalled_at = $11, transfers = $12, services_done = $13, version = version + 1, updated_at = $14
		WHERE id = $15 AND version = $16`,
		t.Status, t.ServiceCode, t.Group, t.DirectedCounterID, t.CounterID, t.OperatorID, tx.nts(t.CalledAt),
		tx.nts(t.StartedAt), tx.nts(t.FinishedAt), t.Recalls, tx.nts(t.RecalledAt), t.Transfers,
		strings.Join(t.ServicesDone, ","), tx.ts(t.UpdatedAt), t.ID, version)
	if isUnique(err) {
		return fieldErr(dost.ECONFLICT, "counter_id", "counter.busy", "The counter has another ticket in hand.")
	} else if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return dost.Errorf(dost.ECONFLICT, "Ticket %s changed meanwhile; try again.", t.Number)
	}
	return nil
}

// CallTicket calls a ticket by number. See hall.Store.
func (s *HallStore) CallTicket(ctx context.Context, counterID, operatorID, ticketID int64) (*dost.Ticket, *dost.CallReason, error) {
	var t *dost.Ticket
	var why *dost.CallReason
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		c, err := checkCaller(ctx, tx, counterID, operatorID, nil)
		if err != nil {
			return err
		}
		found, version, err := findTicket(ctx, tx, ticketID, tx.forUpdate(""))
		if err != nil {
			return err
		} else if found.CentreID != c.centre {
			return dost.Errorf(dost.ENOTFOUND, "Ticket %d not found.", ticketID)
		}
		if _, err := dost.NextTicketStatus(found.Status, dost.TicketCall); err != nil {
			return err
		}
		if found.Status == dost.TicketWaiting && found.DirectedCounterID != 0 && found.DirectedCounterID != counterID {
			return fieldErr(dost.ECONFLICT, "ticket_id", "ticket.other_counter", "Ticket %s was transferred to another counter.", found.Number)
		}
		probe := *found
		probe.Status, probe.DirectedCounterID = dost.TicketWaiting, 0
		if !queue.May(queue.Operator{Categories: c.op.Categories}, &probe) {
			return fieldErr(dost.EFORBIDDEN, "ticket_id", "certification.missing", "You are not certified for service %s.", found.ServiceCode)
		}
		reason := &dost.CallReason{Code: dost.ReasonByNumber, WaitedSeconds: int64(tx.now.Sub(found.IssuedAt) / time.Second)}
		if err := callTicket(ctx, tx, found, version, counterID, operatorID, reason); err != nil {
			return err
		}
		t, why = found, reason
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("call ticket %d: %w", ticketID, err)
	}
	return t, why, nil
}

// actionKinds maps ticket actions to the kind of their event.
var actionKinds = map[dost.TicketAction]dost.QueueEventKind{
	dost.TicketRecall: dost.QueueRecalled, dost.TicketStart: dost.QueueStarted, dost.TicketFinish: dost.QueueFinished,
	dost.TicketMarkNoShow: dost.QueueNoShow, dost.TicketPark: dost.QueueParked, dost.TicketTransfer: dost.QueueTransferred,
	dost.TicketCancel: dost.QueueCancelled,
}

// offered returns the queue group of a service the centre offers, or ok
// false.
func offered(ctx context.Context, tx *Tx, centreID int64, code string) (string, bool, error) {
	var group string
	err := tx.QueryRowContext(ctx, `SELECT s.queue_group FROM centre_services cs JOIN services s ON s.code = cs.service_code
		WHERE cs.centre_id = $1 AND cs.service_code = $2`, centreID, code).Scan(&group)
	if isNoRows(err) {
		return "", false, nil
	}
	return group, err == nil, err
}

// ActOnTicket applies an action. See hall.Store.
func (s *HallStore) ActOnTicket(ctx context.Context, ticketID, operatorID int64, r dost.TicketActionRequest) (*dost.Ticket, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	kind, ok := actionKinds[r.Action]
	if !ok {
		return nil, fieldErr(dost.EINVALID, "action", "ticket_action.use_call", "A ticket is called with call-next or by its number.")
	}
	var t *dost.Ticket
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		found, version, err := findTicket(ctx, tx, ticketID, tx.forUpdate(""))
		if err != nil {
			return err
		}
		to, err := dost.NextTicketStatus(found.Status, r.Action)
		if err != nil {
			return err
		}
		e := &dost.QueueEvent{Kind: kind, CounterID: found.CounterID, OperatorID: operatorID}
		if r.Action != dost.TicketCancel {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM counter_sign_ins WHERE counter_id = $1 AND operator_id = $2
				AND signed_out_at IS NULL`, found.CounterID, operatorID).Scan(&one)
			if isNoRows(err) {
				return fieldErr(dost.EFORBIDDEN, "ticket_id", "ticket.other_counter", "Ticket %s is not at your counter.", found.Number)
			} else if err != nil {
				return err
			}
		}
		now := tx.now
		switch r.Action {
		case dost.TicketRecall:
			qs, err := findQueueSettings(ctx, tx, found.CentreID)
			if err != nil {
				return err
			}
			if err := found.CheckRecall(now, qs); err != nil {
				return err
			}
			found.Recalls++
			found.RecalledAt = &now
		case dost.TicketStart:
			if found.StartedAt == nil {
				found.StartedAt = &now
			}
		case dost.TicketFinish:
			for i, code := range r.ServicesDone {
				if _, ok, err := offered(ctx, tx, found.CentreID, code); err != nil {
					return err
				} else if !ok {
					return dost.FieldErr(fmt.Sprintf("services_done[%d]", i), "service.not_offered", "The centre does not offer service %s.", code)
				}
			}
			found.ServicesDone = r.ServicesDone
			found.FinishedAt = &now
			e.ServicesDone = r.ServicesDone
			if err := s.queueRatingSMS(ctx, tx, found); err != nil { // hall_visit.go
				return err
			}
		case dost.TicketMarkNoShow, dost.TicketCancel:
			found.FinishedAt = &now
		case dost.TicketTransfer:
			e.FromServiceCode = found.ServiceCode
			if r.ServiceCode != "" {
				group, ok, err := offered(ctx, tx, found.CentreID, r.ServiceCode)
				if err != nil {
					return err
				} else if !ok {
					return dost.FieldErr("service_code", "service.not_offered", "The centre does not offer service %s.", r.ServiceCode)
				}
				found.ServiceCode, found.Group = r.ServiceCode, group
			}
			if r.CounterID != 0 {
				if centre, _, err := counterOf(ctx, tx, r.CounterID); dost.ErrorCode(err) == dost.ENOTFOUND || (err == nil && centre != found.CentreID) {
					return dost.FieldErr("counter_id", "counter.unknown", "Counter %d is not of this centre.", r.CounterID)
				} else if err != nil {
					return err
				}
			}
			found.DirectedCounterID = r.CounterID
			found.Transfers++
			clear(sc.waiting) // it waits again: let the next call in this transaction see it
		}
		found.Status = to
		if err := saveTicket(ctx, tx, found, version); err != nil {
			return err
		}
		if err := insertQueueEvent(ctx, tx, found, version+1, e); err != nil {
			return err
		}
		t = found
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s ticket %d: %w", r.Action, ticketID, err)
	}
	return t, nil
}

// certifiedCategories returns the categories operatorID is certified for
// on d, in the order of dost.Categories.
func certifiedCategories(ctx context.Context, tx *Tx, operatorID int64, d dost.Date) ([]dost.Category, error) {
	have := map[dost.Category]bool{}
	err := each(ctx, tx, `SELECT DISTINCT category FROM certifications WHERE operator_id = $1 AND valid_from <= $2
		AND valid_until >= $2`, []any{operatorID, d}, func(rows *sql.Rows) error {
		var c dost.Category
		err := rows.Scan(&c)
		have[c] = true
		return err
	})
	if err != nil {
		return nil, err
	}
	out := []dost.Category{}
	for _, c := range dost.Categories {
		if have[c] {
			out = append(out, c)
		}
	}
	return out, nil
}

// CertifiedCategories returns an operator's categories on d.
func (s *HallStore) CertifiedCategories(ctx context.Context, operatorID int64, d dost.Date) ([]dost.Category, error) {
	var out []dost.Category
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		out, err = certifiedCategories(ctx, tx, operatorID, d)
		return err
	})
	return out, err
}

// CreateCertification stores a certification. See hall.Store.
func (s *HallStore) CreateCertification(ctx context.Context, c *dost.Certification) error {
	if err := c.Validate(); err != nil {
		return err
	}
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		// Locking the operator serialises certifications of one operator
		// on PostgreSQL, so that two overlapping ones cannot both pass.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM users u WHERE u.id = $1 AND EXISTS (SELECT 1 FROM user_roles r
			WHERE r.user_id = u.id AND r.role = $2)`+tx.forUpdate(" OF u"), c.OperatorID, dost.RoleOperator).Scan(&one)
		if isNoRows(err) {
			return dost.FieldErr("operator_id", "operator.unknown", "User %d is not an operator.", c.OperatorID)
		} else if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certifications WHERE operator_id = $1 AND category = $2
			AND valid_from <= $3 AND valid_until >= $4 AND valid_until >= valid_from`,
			c.OperatorID, c.Category, c.ValidUntil, c.ValidFrom).Scan(&n); err != nil {
			return err
		} else if n > 0 {
			return fieldErr(dost.ECONFLICT, "valid_from", "certification.overlap", "The operator is already certified for %s in this period.", c.Category)
		}
		c.CreatedAt = tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO certifications (operator_id, category, valid_from, valid_until, course,
			issued_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, c.OperatorID, c.Category, c.ValidFrom,
			c.ValidUntil, c.Course, c.IssuedBy, tx.ts(c.CreatedAt)).Scan(&c.ID)
	})
	if err != nil {
		return fmt.Errorf("create certification: %w", err)
	}
	return nil
}

// RevokeCertification ends a certification before d. See hall.Store.
func (s *HallStore) RevokeCertification(ctx context.Context, id int64, d dost.Date) error {
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		var from, until dost.Date
		err := tx.QueryRowContext(ctx, `SELECT valid_from, valid_until FROM certifications WHERE id = $1`+tx.forUpdate(""), id).Scan(&from, &until)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Certification %d not found.", id)
		} else if err != nil {
			return err
		}
		end := d.AddDate(0, 0, -1)
		if !end.Before(until) {
			return nil // it ends before d already
		}
		_, err = tx.ExecContext(ctx, `UPDATE certifications SET valid_until = $1, revoked_on = $2 WHERE id = $3`, end, d, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke certification %d: %w", id, err)
	}
	return nil
}

// FindCertifications returns matching certifications. See hall.Store.
func (s *HallStore) FindCertifications(ctx context.Context, f dost.CertificationFilter) ([]*dost.Certification, int, error) {
	out := []*dost.Certification{}
	var total int
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.OperatorID != 0 {
			conds = append(conds, "operator_id = "+a.add(f.OperatorID))
		}
		if f.CentreID != 0 {
			conds = append(conds, "operator_id IN (SELECT user_id FROM user_centres WHERE centre_id = "+a.add(f.CentreID)+")")
		}
		if f.Category != "" {
			conds = append(conds, "category = "+a.add(string(f.Category)))
		}
		if !f.ValidOn.IsZero() {
			p := a.add(f.ValidOn)
			conds = append(conds, "valid_from <= "+p+" AND valid_until >= "+p)
		}
		if !f.ExpiringBy.IsZero() {
			conds = append(conds, "valid_until <= "+a.add(f.ExpiringBy)+" AND valid_until >= valid_from")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM certifications`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT id, operator_id, category, valid_from, valid_until, course, issued_by, created_at
			FROM certifications`+where(conds)+` ORDER BY operator_id, category, valid_from, id`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				c := &dost.Certification{}
				out = append(out, c)
				return rows.Scan(&c.ID, &c.OperatorID, &c.Category, &c.ValidFrom, &c.ValidUntil, &c.Course, &c.IssuedBy, scanTime(&c.CreatedAt))
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find certifications: %w", err)
	}
	return out, total, nil
}
