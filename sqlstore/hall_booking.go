package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/hall"
)

// appointmentColumns are the columns scanAppointment reads.
const appointmentColumns = `id, code, centre_id, service_code, starts_at, ends_at, fin, person_id, name, phone, language,
	channel, status, ticket_id, booked_by, booked_at, checked_in_at, updated_at FROM appointments`

func scanAppointment(row interface{ Scan(...any) error }) (*dost.Appointment, error) {
	a := &dost.Appointment{}
	err := row.Scan(&a.ID, &a.Code, &a.CentreID, &a.ServiceCode, scanTime(&a.Start), scanTime(&a.End), &a.FIN, &a.PersonID,
		&a.Name, &a.Phone, &a.Language, &a.Channel, &a.Status, &a.TicketID, &a.BookedBy, scanTime(&a.BookedAt),
		scanNullTime(&a.CheckedInAt), scanTime(&a.UpdatedAt))
	return a, err
}

// BookAppointment books the first free seat of a's slot. See hall.Store.
func (s *HallStore) BookAppointment(ctx context.Context, a *dost.Appointment, capacity int, limits hall.BookingLimits) error {
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		if err := checkBookingLimits(ctx, tx, a, limits); err != nil { // hall_visit.go
			return err
		}
		a.Status, a.BookedAt, a.UpdatedAt = dost.AppointmentBooked, tx.now, tx.now
		// Seats 1..capacity in turn: a seat taken (or being taken by a
		// transaction in flight, which PostgreSQL waits for) is skipped.
		for seat := 1; seat <= capacity; seat++ {
			err := tx.QueryRowContext(ctx, `INSERT INTO appointments (code, centre_id, service_code, starts_at, ends_at, seat,
				fin, person_id, name, phone, language, channel, status, booked_by, booked_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
				ON CONFLICT (centre_id, service_code, starts_at, seat) WHERE status <> 'cancelled' DO NOTHING RETURNING id`,
				a.Code, a.CentreID, a.ServiceCode, tx.ts(a.Start), tx.ts(a.End), seat, a.FIN, a.PersonID, a.Name, a.Phone,
				a.Language, a.Channel, a.Status, a.BookedBy, tx.ts(a.BookedAt), tx.ts(a.UpdatedAt)).Scan(&a.ID)
			if isNoRows(err) {
				continue
			} else if isForeignKey(err) {
				return dost.Errorf(dost.EINVALID, "The booking names an unknown centre or service.")
			} else if isUnique(err) {
				return fieldErr(dost.ECONFLICT, "code", "appointment.code_taken", "The booking code is taken; try again.")
			}
			return err
		}
		return fieldErr(dost.ECONFLICT, "start", "slot.full", "The slot at %s is fully booked.", a.Start.In(dost.Baku).Format("15:04"))
	})
	if err != nil {
		return fmt.Errorf("book appointment: %w", err)
	}
	return nil
}

// FindAppointmentByID returns an appointment. ENOTFOUND if none.
func (s *HallStore) FindAppointmentByID(ctx context.Context, id int64) (*dost.Appointment, error) {
	var a *dost.Appointment
	err := s.db.view(ctx, func(tx *Tx) (err error) {
		a, err = scanAppointment(tx.QueryRowContext(ctx, `SELECT `+appointmentColumns+` WHERE id = $1`, id))
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Appointment %d not found.", id)
		}
		return err
	})
	return a, err
}

// FindAppointments returns matching appointments by slot start.
func (s *HallStore) FindAppointments(ctx context.Context, f dost.AppointmentFilter) ([]*dost.Appointment, int, error) {
	out := []*dost.Appointment{}
	var total int
	if !storable(f.ServiceCode) {
		return out, 0, nil
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.CentreID != 0 {
			conds = append(conds, "centre_id = "+a.add(f.CentreID))
		}
		if f.ServiceCode != "" {
			conds = append(conds, "service_code = "+a.add(f.ServiceCode))
		}
		if f.PersonID != 0 {
			conds = append(conds, "person_id = "+a.add(f.PersonID))
		}
		if !f.From.IsZero() {
			conds = append(conds, "starts_at >= "+a.add(tx.ts(f.From)))
		}
		if !f.Until.IsZero() {
			conds = append(conds, "starts_at < "+a.add(tx.ts(f.Until)))
		}
		if len(f.Statuses) > 0 {
			conds = append(conds, "status IN ("+addList(&a, f.Statuses)+")")
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM appointments`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT `+appointmentColumns+where(conds)+` ORDER BY starts_at, id`+page(f.Offset, f.Limit), a,
			func(rows *sql.Rows) error {
				ap, err := scanAppointment(rows)
				out = append(out, ap)
				return err
			})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find appointments: %w", err)
	}
	return out, total, nil
}

// CountBookings counts booked places per slot start. See hall.Store.
func (s *HallStore) CountBookings(ctx context.Context, centreID int64, serviceCode string, from, until time.Time) (map[time.Time]int, error) {
	out := map[time.Time]int{}
	err := s.db.view(ctx, func(tx *Tx) error {
		return each(ctx, tx, `SELECT starts_at, count(*) FROM appointments WHERE centre_id = $1 AND service_code = $2
			AND starts_at >= $3 AND starts_at < $4 AND status <> 'cancelled' GROUP BY starts_at`,
			[]any{centreID, serviceCode, tx.ts(from), tx.ts(until)}, func(rows *sql.Rows) error {
				var at time.Time
				var n int
				if err := rows.Scan(scanTime(&at), &n); err != nil {
					return err
				}
				out[at] = n
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("count bookings: %w", err)
	}
	return out, nil
}

// CheckInAppointment checks a booking in and issues its ticket. See
// hall.Store.
func (s *HallStore) CheckInAppointment(ctx context.Context, code string, t *dost.Ticket) (*dost.Ticket, error) {
	if !storable(code) {
		return nil, fieldErr(dost.ENOTFOUND, "code", "appointment.unknown", "No booking with this code.")
	}
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		a, err := scanAppointment(tx.QueryRowContext(ctx, `SELECT `+appointmentColumns+` WHERE code = $1`+tx.forUpdate(""), code))
		if isNoRows(err) {
			return fieldErr(dost.ENOTFOUND, "code", "appointment.unknown", "No booking with this code.")
		} else if err != nil {
			return err
		}
		if err := a.CheckIn(tx.now); err != nil {
			return err
		}
		start := a.Start
		t.CentreID, t.ServiceCode, t.AppointmentID, t.AppointmentAt = a.CentreID, a.ServiceCode, a.ID, &start
		if t.Language == "" {
			t.Language = a.Language
		}
		if err := tx.QueryRowContext(ctx, `SELECT queue_group FROM services WHERE code = $1`, a.ServiceCode).Scan(&t.Group); err != nil {
			return err
		}
		if err := issueTicket(ctx, tx, t, sc); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE appointments SET status = $1, ticket_id = $2, checked_in_at = $3, updated_at = $3
			WHERE id = $4`, dost.AppointmentCheckedIn, t.ID, tx.ts(tx.now), a.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("check in: %w", err)
	}
	return t, nil
}

// CancelAppointment cancels a booking. See hall.Store.
func (s *HallStore) CancelAppointment(ctx context.Context, id int64) (*dost.Appointment, error) {
	var a *dost.Appointment
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		var err error
		a, err = scanAppointment(tx.QueryRowContext(ctx, `UPDATE appointments SET status = $1, updated_at = $2
			WHERE id = $3 AND status = $4 RETURNING `+strings.TrimSuffix(appointmentColumns, " FROM appointments"),
			dost.AppointmentCancelled, tx.ts(tx.now), id, dost.AppointmentBooked))
		if !isNoRows(err) {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM appointments WHERE id = $1`, id).Scan(&status)
		if isNoRows(err) {
			return dost.Errorf(dost.ENOTFOUND, "Appointment %d not found.", id)
		} else if err != nil {
			return err
		}
		return fieldErr(dost.ECONFLICT, "status", "appointment.not_booked", "The appointment is %s, not booked.", status)
	})
	if err != nil {
		return nil, fmt.Errorf("cancel appointment %d: %w", id, err)
	}
	return a, nil
}

// LapseAppointments lapses bookings whose slot started before cutoff.
func (s *HallStore) LapseAppointments(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		res, err := tx.ExecContext(ctx, `UPDATE appointments SET status = $1, updated_at = $2
			WHERE status = 'booked' AND starts_at < $3`, dost.AppointmentLapsed, tx.ts(tx.now), tx.ts(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("lapse appointments: %w", err)
	}
	return int(n), nil
}

// SubmitFeedback stores a rating of a finished visit. See hall.Store.
func (s *HallStore) SubmitFeedback(ctx context.Context, f *dost.Feedback) error {
	err := s.write(ctx, func(ctx context.Context, tx *Tx, sc *callScope) error {
		t, _, err := findTicket(ctx, tx, f.TicketID, "")
		if err != nil {
			return err
		}
		if t.Status != dost.TicketFinished {
			return fieldErr(dost.ECONFLICT, "ticket_id", "feedback.not_finished", "Ticket %s is %s, not finished.", t.Number, t.Status)
		}
		f.CentreID, f.ServiceCode, f.OperatorID, f.CreatedAt = t.CentreID, t.ServiceCode, t.OperatorID, tx.now
		err = tx.QueryRowContext(ctx, `INSERT INTO feedback (centre_id, ticket_id, service_code, operator_id, rating, comment,
			channel, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (ticket_id) DO NOTHING RETURNING id`,
			f.CentreID, f.TicketID, f.ServiceCode, f.OperatorID, f.Rating, f.Comment, f.Channel, tx.ts(f.CreatedAt)).Scan(&f.ID)
		if isNoRows(err) {
			return fieldErr(dost.ECONFLICT, "ticket_id", "feedback.exists", "This visit was rated already.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("submit feedback: %w", err)
	}
	return nil
}

// FindFeedback returns matching ratings, newest first, and the total.
func (s *HallStore) FindFeedback(ctx context.Context, f dost.FeedbackFilter) ([]*dost.Feedback, int, error) {
	out := []*dost.Feedback{}
	var total int
	if !storable(f.ServiceCode) {
		return out, 0, nil
	}
	err := s.db.view(ctx, func(tx *Tx) error {
		var a args
		var conds []string
		if f.CentreID != 0 {
			conds = append(conds, "centre_id = "+a.add(f.CentreID))
		}
		if f.OperatorID != 0 {
			conds = append(conds, "operator_id = "+a.add(f.OperatorID))
		}
		if f.ServiceCode != "" {
			conds = append(conds, "service_code = "+a.add(f.ServiceCode))
		}
		if !f.From.IsZero() {
			conds = append(conds, "created_at >= "+a.add(tx.ts(f.From)))
		}
		if !f.Until.IsZero() {
			conds = append(conds, "created_at < "+a.add(tx.ts(f.Until)))
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM feedback`+where(conds), a...).Scan(&total); err != nil {
			return err
		}
		return each(ctx, tx, `SELECT id, centre_id, ticket_id, service_code, operator_id, rating, comment, channel, created_at
			FROM feedback`+where(conds)+` ORDER BY created_at DESC, id DESC`+page(f.Offset, f.Limit), a, func(rows *sql.Rows) error {
			fb := &dost.Feedback{}
			out = append(out, fb)
			return rows.Scan(&fb.ID, &fb.CentreID, &fb.TicketID, &fb.ServiceCode, &fb.OperatorID, &fb.Rating, &fb.Comment,
				&fb.Channel, scanTime(&fb.CreatedAt))
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("find feedback: %w", err)
	}
	return out, total, nil
}
