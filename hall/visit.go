package hall

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// This file holds the hall's work around a visit beyond the counter: the
// limits on how many bookings one person holds, the cancellation of a
// booking by its code, the SMS asking a visitor to rate a finished visit,
// and the jobs' work (the day's end, lapsed bookings).

// BookingLimits bounds the future bookings (booked, check-in window not
// closed) one person holds: PerService of one service, Total in all. A
// person is the FIN given at booking or the signed-in citizen; a booking
// naming neither (staff booking a walk-in by name) is not counted.
//
// A booking by an anonymous caller (the public page and API, which take
// any FIN) is counted against the bookings of its FIN with the same phone
// (SamePhone), not against all of the FIN's: otherwise anyone could take
// a person's bookings under their FIN and lock them out. A stranger can
// still book under a person's FIN with their own phone; staff, who count
// by FIN alone, see and cancel such bookings. The refusal names the
// booking held only to staff and its own signed-in citizen (MayNameHeld).
type BookingLimits struct {
	PerService int
	Total      int
}

// DefaultBookingLimits: one booking per service, three in all.
var DefaultBookingLimits = BookingLimits{PerService: 1, Total: 3}

// orDefaults returns l with each field 0 (or less) replaced by
// DefaultBookingLimits'.
func (l BookingLimits) orDefaults() BookingLimits {
	if l.PerService <= 0 {
		l.PerService = DefaultBookingLimits.PerService
	}
	if l.Total <= 0 {
		l.Total = DefaultBookingLimits.Total
	}
	return l
}

// Limits returns the booking limits the service applies.
func (s *Service) Limits() BookingLimits { return s.limits }

// phoneDigits returns the last 9 digits of a phone number (the national
// significant number of an Azerbaijani phone, so "+994 50 123 45 67" and
// "050-123-45-67" compare equal), or all its digits if it has fewer.
func phoneDigits(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) > 9 {
		d = d[len(d)-9:]
	}
	return d
}

// secondFactor reports whether r names a's phone or FIN. A phone matches
// on its digits (phoneDigits) and needs at least 7 of them.
func secondFactor(a *dost.Appointment, r *dost.CancelByCode) bool {
	if r.FIN != "" && a.FIN != "" && r.FIN == a.FIN {
		return true
	}
	if r.Phone != "" && a.Phone != "" {
		got, want := phoneDigits(r.Phone), phoneDigits(a.Phone)
		return len(want) >= 7 && got == want
	}
	return false
}

// CancelAppointmentByCode cancels a booking by its code and the phone or
// FIN given at booking. See dost.AppointmentService.
func (s *Service) CancelAppointmentByCode(ctx context.Context, r *dost.CancelByCode) (*dost.Appointment, error) {
	r.Code = strings.ToUpper(strings.TrimSpace(r.Code))
	r.Phone = strings.TrimSpace(r.Phone)
	r.FIN = dost.FIN(strings.ToUpper(strings.TrimSpace(string(r.FIN))))
	if err := r.Validate(); err != nil {
		return nil, err
	}
	notFound := dost.FieldErr("code", "appointment.unknown", "No booking has this code with this phone number or FIN.")
	notFound.Code = dost.ENOTFOUND
	a, err := s.store.FindAppointmentByCode(ctx, r.Code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}
	// A wrong second factor answers as an unknown code: the answer tells
	// nothing about which codes exist.
	if !secondFactor(a, r) {
		return nil, notFound
	}
	return s.store.CancelAppointment(ctx, a.ID)
}

// RatingPath returns the path of the rating page of ticket id with its
// token and channel "sms": the page http serves at "GET /feedback/{id}".
func (s *Service) RatingPath(id int64) string {
	return "/feedback/" + strconv.FormatInt(id, 10) + "?token=" + s.FeedbackToken(id) + "&channel=sms"
}

// ratingText is the rating SMS in each language: 1 the ticket's number,
// 2 the link.
var ratingText = dost.Text{
	AZ: "DOST: %[1]s nömrəli bileti ilə xidmətimizi 1-dən 5-ə qiymətləndirin: %[2]s",
	EN: "DOST: please rate your visit (ticket %[1]s) from 1 to 5: %[2]s",
	RU: "DOST: оцените, пожалуйста, визит (талон %[1]s) от 1 до 5: %[2]s",
}

// RatingMessageID is the outbox's message ID of the rating SMS of ticket
// id: one per visit, so a repeat is never stored or sent twice.
func RatingMessageID(id int64) string { return "visit.rating:" + strconv.FormatInt(id, 10) + ":sms" }

// RatingSMS returns the SMS that asks the visitor of finished ticket t to
// rate the visit, to phone, in the ticket's language, with the link to the
// rating page (BaseURL + RatingPath); personID is the booking's person, 0
// if none. The store writes it to the outbox in the finish's transaction
// (sqlstore.HallStore.RatingSMS) when the ticket came from an appointment
// that gave a phone; the kiosk takes no phone numbers.
func (s *Service) RatingSMS(t *dost.Ticket, phone string, personID int64) *dost.Notification {
	lang := t.Language
	if !dost.ValidLanguage(lang) {
		lang = dost.Languages[0]
	}
	now := s.clock.Now()
	return &dost.Notification{MessageID: RatingMessageID(t.ID), PersonID: personID, Channel: dost.NotifySMS, To: phone,
		Language: lang, Topic: "visit.rating", Body: fmt.Sprintf(ratingText.In(lang), t.Number, s.baseURL+s.RatingPath(t.ID)),
		Status: dost.NotificationPending, NextAttemptAt: now, CreatedAt: now}
}

// CloseDays cancels the tickets earlier days left open (the day-end job's
// work; see Store.CloseDays) and returns how many.
func (s *Service) CloseDays(ctx context.Context) (int, error) {
	return s.store.CloseDays(ctx, dost.DateOf(s.clock.Now().In(dost.Baku)))
}

// LapseDue lapses the bookings whose check-in window has closed by now (the
// lapse job's work) and returns how many.
func (s *Service) LapseDue(ctx context.Context) (int, error) {
	return s.LapseAppointments(ctx, s.clock.Now())
}

// LimitError returns the error of a booking over a limit (fcode
// "booking.limit_service" or "booking.limit_total"): ECONFLICT on field
// "start". With name (MayNameHeld) it names held, a booking the person
// holds; without, it says only that the limit is reached. For stores.
func LimitError(fcode string, held *dost.Appointment, limit int, name bool) error {
	what := "of this service"
	if fcode == "booking.limit_total" {
		what = "in all"
	}
	if !name {
		return &dost.Error{Code: dost.ECONFLICT,
			Message: fmt.Sprintf("You hold %d booking(s) %s already, the most allowed: cancel one to book another.", limit, what),
			Fields:  []dost.FieldError{{Field: "start", Code: fcode, Message: "Booking limit reached."}}}
	}
	at := held.Start.In(dost.Baku).Format("2006-01-02 15:04")
	return &dost.Error{Code: dost.ECONFLICT,
		Message: fmt.Sprintf("You hold %d booking(s) %s already, the most allowed, among them service %s at %s: cancel one to book another.",
			limit, what, held.ServiceCode, at),
		Fields: []dost.FieldError{{Field: "start", Code: fcode, Message: fmt.Sprintf("Booking held: service %s at %s.", held.ServiceCode, at)}}}
}

// MayNameHeld reports whether the caller in ctx may be told which
// booking held is when theirs is refused over a limit: staff, or the
// signed-in citizen whose person held is. Not an anonymous caller: the
// public booking page and API take any FIN, so naming the booking would
// tell a stranger a person's appointments.
func MayNameHeld(ctx context.Context, held *dost.Appointment) bool {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return false
	}
	if u.CitizenOnly() {
		return u.PersonID != nil && held.PersonID != 0 && *u.PersonID == held.PersonID
	}
	return true
}

// SamePhone reports whether two phone numbers are one (on their last 9
// digits, phoneDigits). The store counts an anonymous booking's limits
// per FIN and phone (see BookingLimits).
func SamePhone(a, b string) bool { return phoneDigits(a) == phoneDigits(b) }

// FutureSince returns the earliest slot start of a booking that counts as
// a future one at now: its check-in window is still open. For stores.
func FutureSince(now time.Time) time.Time { return now.Add(-dost.CheckInLate) }
