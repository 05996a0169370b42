package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
)

// This file holds the hall's store methods around a visit beyond the
// counter: the rating SMS written when a visit finishes, the booking
// limits, bookings found by code, the day-end close of tickets left open,
// and the certifications of a centre's signed-in operators in one read
// (the wait estimate's).

// queueRatingSMS writes to the outbox, in tx, the SMS asking the visitor
// of t, just finished, to rate the visit, if s.RatingSMS is set and t came
// from an appointment that gave a phone. Its message ID is the visit's
// (hall.RatingMessageID), so there is one per visit.
func (s *HallStore) queueRatingSMS(ctx context.Context, tx *Tx, t *dost.Ticket) error {
	if s.RatingSMS == nil || t.AppointmentID == 0 {
		return nil
	}
	var phone string
	var person int64
	err := tx.QueryRowContext(ctx, `SELECT phone, person_id FROM appointments WHERE id = $1`, t.AppointmentID).Scan(&phone, &person)
	if isNoRows(err) || err == nil && strings.TrimSpace(phone) == "" {
		return nil
	} else if err != nil {
		return err
	}
	n := s.RatingSMS(t, phone, person)
	if n == nil {
		return nil
	}
	return insertNotification(ctx, tx, n)
}

// lockKey takes a transaction-scoped lock on key on PostgreSQL (an
// advisory lock on its 64-bit FNV hash), which serialises the
// transactions taking it; SQLite's writer is serialised already.
func lockKey(ctx context.Context, tx *Tx, key string) error {
	if tx.db.dialect != DialectPostgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64()))
	return err
}

// checkBookingLimits returns hall.LimitError if a's person (a.FIN, or
// a.PersonID; a.FIN and a.Phone if no user is signed in in ctx, see
// hall.BookingLimits) holds limits' number of future bookings of a's
// service or in all (a limit of 0: none), after locking the person so that two bookings of theirs at once
// are counted one after the other. A booking naming no person passes.
func checkBookingLimits(ctx context.Context, tx *Tx, a *dost.Appointment, limits hall.BookingLimits) error {
	if a.FIN == "" && a.PersonID == 0 {
		return nil
	}
	since := tx.ts(hall.FutureSince(tx.now))
	held := map[int64]*dost.Appointment{}
	read := func(cond string, arg any) error {
		return each(ctx, tx, `SELECT `+appointmentColumns+` WHERE status = 'booked' AND `+cond+` AND starts_at >= $2`,
			[]any{arg, since}, func(rows *sql.Rows) error {
				b, err := scanAppointment(rows)
				if err == nil {
					held[b.ID] = b
				}
				return err
			})
	}
	// FIN before person: every booking takes its locks in one order.
	if a.FIN != "" {
		if err := lockKey(ctx, tx, "booking fin "+string(a.FIN)); err != nil {
			return err
		}
		if err := read("fin <> '' AND fin = $1", string(a.FIN)); err != nil {
			return err
		}
		if dost.UserFromContext(ctx) == nil {
			// Anonymous: the FIN's bookings with this phone only (see
			// hall.BookingLimits).
			maps.DeleteFunc(held, func(_ int64, b *dost.Appointment) bool { return !hall.SamePhone(b.Phone, a.Phone) })
		}
	}
	if a.PersonID != 0 {
		if err := lockKey(ctx, tx, fmt.Sprintf("booking person %d", a.PersonID)); err != nil {
			return err
		}
		if err := read("person_id <> 0 AND person_id = $1", a.PersonID); err != nil {
			return err
		}
	}
	all := slices.SortedFunc(maps.Values(held), func(x, y *dost.Appointment) int { return x.Start.Compare(y.Start) })
	var same []*dost.Appointment
	for _, b := range all {
		if b.ServiceCode == a.ServiceCode {
			same = append(same, b)
		}
	}
	if limits.PerService > 0 && len(same) >= limits.PerService {
		return hall.LimitError("booking.limit_service", same[0], limits.PerService, hall.MayNameHeld(ctx, same[0]))
	}
	if limits.Total > 0 && len(all) >= limits.Total {
		return hall.LimitError("booking.limit_total", all[0], limits.Total, hall.MayNameHeld(ctx, all[0]))
	}
	return nil
}

// FindAppointmentByCode returns the appointment with a booking code. See
// hall.Store.
func (s *HallStore) FindAppointmentByCode(ctx context.Context, code string) (*dost.Appointment, error) {
	unknown := fieldErr(dost.ENOTFOUND, "code", "appointment.unknown", "No booking with this code.")
	if !storable(code) {
		return nil, unknown
	}
	var a *dost.Appointment
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		a, err = scanAppointment(tx.QueryRowContext(ctx, `SELECT `+appointmentColumns+` WHERE code = $1`, code))
		if isNoRows(err) {
			return unknown
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find appointment by code: %w", err)
	}
	return a, nil
}

// closeBatch is how many tickets one transaction of CloseDays closes.
const closeBatch = 500

// CloseDays cancels the tickets earlier days left open. See hall.Store.
func (s *HallStore) CloseDays(ctx context.Context, before dost.Date) (int, error) {
	total := 0
	for {
		var n int
		err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) (err error) {
			n, err = closeDays(ctx, tx, before)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("close days before %s: %w", before, err)
		}
		if n < closeBatch {
			return total, nil
		}
	}
}

// closeDays cancels up to closeBatch tickets of days before before still
// open, each with its cancelled event, and returns how many. On
// PostgreSQL a ticket another transaction holds is skipped: an operator
// acting on it now, it is closed by the next run if still open.
func closeDays(ctx context.Context, tx *Tx, before dost.Date) (int, error) {
	var open []*dost.Ticket
	var versions []int
	// centre_id IN (…) lets both databases range over the index
	// (centre_id, day, status) centre by centre.
	err := each(ctx, tx, `SELECT `+ticketColumns+` WHERE centre_id IN (SELECT id FROM centres) AND day < $1
		AND status IN ('waiting', 'called', 'serving', 'parked') ORDER BY id LIMIT `+fmt.Sprint(closeBatch)+tx.forUpdate(" SKIP LOCKED"),
		[]any{before}, func(rows *sql.Rows) error {
			t, v, err := scanTicket(rows)
			open, versions = append(open, t), append(versions, v)
			return err
		})
	if err != nil {
		return 0, err
	}
	now := tx.now
	for i, t := range open {
		why := &dost.CallReason{Code: dost.ReasonDayEnd, WaitedSeconds: int64(now.Sub(t.IssuedAt) / time.Second)}
		t.Status, t.FinishedAt = dost.TicketCancelled, &now
		if err := saveTicket(ctx, tx, t, versions[i]); err != nil {
			return 0, err
		}
		if err := insertQueueEvent(ctx, tx, t, versions[i]+1, &dost.QueueEvent{Kind: dost.QueueCancelled,
			CounterID: t.CounterID, Reason: why}); err != nil {
			return 0, err
		}
	}
	return len(open), nil
}

// reasonCode returns the code of a queue event's reason stored as JSON
// (dost.CallReason), "" for none or one not read.
func reasonCode(s string) dost.CallReasonCode {
	if s == "" {
		return ""
	}
	var r dost.CallReason
	if json.Unmarshal([]byte(s), &r) != nil {
		return ""
	}
	return r.Code
}

// CertifiedAtCentre returns the categories of the operators signed in at
// the centre on d, in one read. See hall.Store.
func (s *HallStore) CertifiedAtCentre(ctx context.Context, centreID int64, d dost.Date) (map[int64][]dost.Category, error) {
	have := map[int64]map[dost.Category]bool{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT s.operator_id, c.category FROM counter_sign_ins s
			LEFT JOIN certifications c ON c.operator_id = s.operator_id AND c.valid_from <= $2 AND c.valid_until >= $2
			WHERE s.centre_id = $1 AND s.signed_out_at IS NULL`, []any{centreID, d}, func(rows *sql.Rows) error {
			var op int64
			var cat sql.NullString
			if err := rows.Scan(&op, &cat); err != nil {
				return err
			}
			if have[op] == nil {
				have[op] = map[dost.Category]bool{}
			}
			if cat.Valid {
				have[op][dost.Category(cat.String)] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("certifications at centre %d: %w", centreID, err)
	}
	out := make(map[int64][]dost.Category, len(have))
	for op, cats := range have {
		list := []dost.Category{}
		for _, c := range dost.Categories {
			if cats[c] {
				list = append(list, c)
			}
		}
		out[op] = list
	}
	return out, nil
}
