package hall

import (
	"context"
	"time"

	"github.com/dost-az/dost"
)

// Store is the storage the hall needs; sqlstore.HallStore implements it.
// Every method is one transaction: what it writes (a ticket and its queue
// event, a booking, a rating) is all written or none of it, and a method
// that fails changes nothing. Implementations are safe for concurrent use
// by many goroutines and many nodes sharing one database. The acting
// operator is passed explicitly: permissions by role and centre are the
// Service's, what depends on stored state (sign-ins, certifications, whose
// counter a ticket is at) is the Store's.
type Store interface {
	// IssueTicket stores t, drawing the next number of t.Group at
	// t.CentreID for the day in Baku of now: it sets ID, Day, Sequence,
	// Number, Status (waiting), IssuedAt and UpdatedAt, and writes the
	// issued event with t.QuotedWaitSeconds. ENOTFOUND for an unknown
	// centre.
	IssueTicket(ctx context.Context, t *dost.Ticket) error

	// FindTicketByID returns a ticket. ENOTFOUND if there is none.
	FindTicketByID(ctx context.Context, id int64) (*dost.Ticket, error)

	// FindTickets returns matching tickets in order of issue, and the
	// total.
	FindTickets(ctx context.Context, f dost.TicketFilter) ([]*dost.Ticket, int, error)

	// RecentServiceTimes returns the service times (start to finish) of
	// the last limit tickets of each service finished at the centre on
	// day, oldest first.
	RecentServiceTimes(ctx context.Context, centreID int64, day dost.Date, limit int) ([]ServiceTime, error)

	// FindQueueEvents returns matching events oldest first, and the total.
	FindQueueEvents(ctx context.Context, f dost.QueueEventFilter) ([]*dost.QueueEvent, int, error)

	// FindQueueSettings returns a centre's settings, or
	// dost.DefaultQueueSettings if it saved none. ENOTFOUND for an unknown
	// centre.
	FindQueueSettings(ctx context.Context, centreID int64) (*dost.QueueSettings, error)

	// SaveQueueSettings stores a centre's (validated) settings. ENOTFOUND
	// for an unknown centre.
	SaveQueueSettings(ctx context.Context, s *dost.QueueSettings) error

	// SignInCounter opens operatorID's sign-in at counterID, closing the
	// operator's open sign-in elsewhere. ENOTFOUND for an unknown
	// counter; ECONFLICT (code "counter.taken") if another operator is
	// signed in there. Signing in again where one is signed in returns
	// the open sign-in.
	SignInCounter(ctx context.Context, counterID, operatorID int64) (*dost.CounterSignIn, error)

	// SignOutCounter closes operatorID's open sign-in at counterID.
	// ENOTFOUND if there is none.
	SignOutCounter(ctx context.Context, counterID, operatorID int64) error

	// FindCounter returns a counter. ENOTFOUND (code "counter.unknown")
	// if there is none.
	FindCounter(ctx context.Context, id int64) (*dost.Counter, error)

	// FindSignIns returns the open sign-ins of a centre by counter.
	FindSignIns(ctx context.Context, centreID int64) ([]*dost.CounterSignIn, error)

	// CallNext, in one transaction, checks that operatorID is signed in at
	// counterID (EFORBIDDEN, code "counter.not_signed_in") and that the
	// counter holds no ticket called or being served (ECONFLICT, code
	// "counter.busy"), reads today's waiting tickets of the centre, chooses
	// one by the centre's policy (queue.Policy.Choose) for the categories
	// the operator is certified for today and the counter's groups, and
	// calls it, writing the called event with the reason. Two callers never
	// get the same ticket. ENOTFOUND (code "queue.empty") when there is
	// none the operator may serve, EFORBIDDEN (code
	// "certification.missing") when the operator is certified for
	// nothing today.
	CallNext(ctx context.Context, counterID, operatorID int64) (*dost.Ticket, *dost.CallReason, error)

	// CallTicket calls a waiting or parked ticket of the counter's centre
	// by its ID, with CallNext's checks of the sign-in and the counter.
	// ENOTFOUND for an unknown ticket or one of another centre;
	// EFORBIDDEN (code "certification.missing") for a service the
	// operator is not certified for; ECONFLICT if it is not waiting or
	// parked, or was transferred to another counter.
	CallTicket(ctx context.Context, counterID, operatorID, ticketID int64) (*dost.Ticket, *dost.CallReason, error)

	// ActOnTicket applies r (validated, not a call) to a ticket. Every
	// action but cancel needs the ticket at a counter operatorID is signed
	// in at (EFORBIDDEN, code "ticket.other_counter"); cancel needs it
	// waiting or parked. ECONFLICT for an action its status does not
	// allow or a recall beyond the centre's limits (dost.Ticket.CheckRecall);
	// EINVALID for a transfer to a service the centre does not offer or a
	// counter not of its centre, or a finish naming a service the centre
	// does not offer. ENOTFOUND for an unknown ticket.
	ActOnTicket(ctx context.Context, ticketID, operatorID int64, r dost.TicketActionRequest) (*dost.Ticket, error)

	// FindCertifications returns matching certifications by operator,
	// category and start, and the total.
	FindCertifications(ctx context.Context, f dost.CertificationFilter) ([]*dost.Certification, int, error)

	// CreateCertification stores a (validated) certification, setting ID
	// and CreatedAt. EINVALID (field "operator_id", code
	// "operator.unknown") for a user who is not an operator; ECONFLICT
	// (code "certification.overlap") if it overlaps another of the
	// operator's certifications for the category.
	CreateCertification(ctx context.Context, c *dost.Certification) error

	// RevokeCertification ends a certification the day before d (one that
	// starts on or after d ends the day before it starts, so it is never
	// in force) and marks it revoked (revoked_on: not reminded for
	// renewal). ENOTFOUND if unknown.
	RevokeCertification(ctx context.Context, id int64, d dost.Date) error

	// CertifiedCategories returns the categories operatorID is certified
	// for on day d, in the order of dost.Categories.
	CertifiedCategories(ctx context.Context, operatorID int64, d dost.Date) ([]dost.Category, error)

	// BookAppointment stores a booking of a (Code, CentreID, ServiceCode,
	// Start, End and the person's fields set) in the first free seat of
	// 1..capacity of its slot, setting ID, Status, BookedAt and
	// UpdatedAt. ECONFLICT (code "slot.full") when every seat is taken: of
	// two booking the last seat at once, exactly one gets it. ECONFLICT
	// (field "start", code "booking.limit_service" or
	// "booking.limit_total") when a's person (a.FIN if set, a.PersonID if
	// not 0) already holds limits' number of future bookings (booked, the
	// check-in window not closed) of the service or in all; two bookings
	// of one person at once are counted one after the other.
	BookAppointment(ctx context.Context, a *dost.Appointment, capacity int, limits BookingLimits) error

	// FindAppointmentByID returns an appointment. ENOTFOUND if none.
	FindAppointmentByID(ctx context.Context, id int64) (*dost.Appointment, error)

	// FindAppointments returns matching appointments by slot start, and
	// the total.
	FindAppointments(ctx context.Context, f dost.AppointmentFilter) ([]*dost.Appointment, int, error)

	// CountBookings returns, per slot start, how many places of the
	// centre's service are booked in [from, until) (not cancelled).
	CountBookings(ctx context.Context, centreID int64, serviceCode string, from, until time.Time) (map[time.Time]int, error)

	// CheckInAppointment checks the booking with code in at now
	// (dost.Appointment.CheckIn's window and errors) and issues its ticket
	// t (its centre, service, group and appointment taken from the
	// booking, its language too if empty) as IssueTicket does, in one
	// transaction, linking the two.
	// ENOTFOUND for an unknown code.
	CheckInAppointment(ctx context.Context, code string, t *dost.Ticket) (*dost.Ticket, error)

	// CancelAppointment cancels a booked appointment, freeing its seat.
	// ENOTFOUND if unknown, ECONFLICT (code "appointment.not_booked") if
	// it is no longer booked.
	CancelAppointment(ctx context.Context, id int64) (*dost.Appointment, error)

	// LapseAppointments marks booked appointments whose slot started
	// before cutoff as lapsed and returns how many.
	LapseAppointments(ctx context.Context, cutoff time.Time) (int, error)

	// FindAppointmentByCode returns the appointment with a booking code.
	// ENOTFOUND (field "code", code "appointment.unknown") if none.
	FindAppointmentByCode(ctx context.Context, code string) (*dost.Appointment, error)

	// CloseDays cancels every ticket of a day before before still
	// waiting, called, serving or parked, each with its cancelled event
	// (reason dost.ReasonDayEnd, no operator), and returns how many.
	CloseDays(ctx context.Context, before dost.Date) (int, error)

	// CertifiedAtCentre returns, in one read, the categories each
	// operator signed in at a counter of the centre is certified for on
	// day d (in the order of dost.Categories), by operator ID; an
	// operator certified for nothing has an empty list.
	CertifiedAtCentre(ctx context.Context, centreID int64, d dost.Date) (map[int64][]dost.Category, error)

	// SubmitFeedback stores f (validated; TicketID, Rating, Comment,
	// Channel set) for a finished ticket, setting ID, CentreID,
	// ServiceCode, OperatorID and CreatedAt from the ticket. ENOTFOUND for
	// an unknown ticket; ECONFLICT (code "feedback.not_finished") unless
	// it is finished, (code "feedback.exists") if it was rated already.
	SubmitFeedback(ctx context.Context, f *dost.Feedback) error

	// FindFeedback returns matching ratings, newest first, and the total.
	FindFeedback(ctx context.Context, f dost.FeedbackFilter) ([]*dost.Feedback, int, error)
}
