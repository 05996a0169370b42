// Package hall is the service of a centre's hall (journey 1 of DESIGN.md):
// the kiosk's tickets, operators at counters calling and serving them by
// the call-next policy of package queue, operators' certifications,
// appointments booked into computed slots, and citizens' ratings of their
// visits. It implements dost.QueueService, dost.CertificationService,
// dost.AppointmentService and dost.FeedbackService over a Store
// (sqlstore.HallStore), which does each change in one transaction.
//
// The acting user comes from the context (dost.UserFromContext). Route
// permissions are the HTTP layer's; the service still refuses what no role
// may do: acting at a counter without the operator role or outside one's
// centres (EFORBIDDEN), saving a centre's settings without being its
// supervisor or an administrator (EFORBIDDEN), managing certifications
// without being an administrator (EFORBIDDEN). Without a user (nil) only
// the kiosk's and the citizen's calls work: issuing tickets, reading them,
// booking, checking in and rating.
package hall

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/dost-az/dost"
)

// Config is what a Service needs. Store, Centres and Catalogue are
// required.
type Config struct {
	Store     Store
	Centres   dost.CentreService
	Catalogue dost.CatalogueService
	// Clock tells the time; nil is the system clock.
	Clock dost.Clock
	// FeedbackKey signs the links a visitor rates a visit with
	// (FeedbackToken); every node of one database needs the same key. Nil
	// makes a random key, good for one process only.
	FeedbackKey []byte
	// BaseURL is dost's public address, e.g. "https://dost.example.az",
	// for the rating link of the SMS sent after a visit (RatingSMS).
	BaseURL string
	// Limits bounds the future bookings one person holds;
	// DefaultBookingLimits where a field is 0.
	Limits BookingLimits
}

// Service runs the hall. It is safe for concurrent use; create it with
// New.
type Service struct {
	store     Store
	centres   dost.CentreService
	catalogue dost.CatalogueService
	clock     dost.Clock
	key       []byte
	baseURL   string        // visit.go
	limits    BookingLimits // visit.go
	services  servicesCache // estimate.go
}

var (
	_ dost.QueueService         = (*Service)(nil)
	_ dost.CertificationService = (*Service)(nil)
	_ dost.AppointmentService   = (*Service)(nil)
	_ dost.FeedbackService      = (*Service)(nil)
)

// New returns a Service, or an error if cfg lacks a required field.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Centres == nil || cfg.Catalogue == nil {
		return nil, errors.New("hall: config needs Store, Centres and Catalogue")
	}
	s := &Service{store: cfg.Store, centres: cfg.Centres, catalogue: cfg.Catalogue, clock: cfg.Clock, key: cfg.FeedbackKey}
	if s.clock == nil {
		s.clock = dost.SystemClock{}
	}
	if len(s.key) == 0 {
		s.key = make([]byte, 32)
		rand.Read(s.key)
	}
	s.baseURL, s.limits = strings.TrimRight(cfg.BaseURL, "/"), cfg.Limits.orDefaults()
	return s, nil
}

// operator returns the signed-in user if they have the operator role.
// EUNAUTHORIZED without a user, EFORBIDDEN without the role.
func operator(ctx context.Context) (*dost.User, error) {
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	} else if !u.HasRole(dost.RoleOperator) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Only operators work at counters.")
	}
	return u, nil
}

// atCounter returns the operator in ctx if counterID is of one of their
// centres. ENOTFOUND for an unknown counter.
func (s *Service) atCounter(ctx context.Context, counterID int64) (*dost.User, error) {
	u, err := operator(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.store.FindCounter(ctx, counterID)
	if err != nil {
		return nil, err
	}
	if !u.InCentre(k.CentreID) {
		return nil, dost.Errorf(dost.EFORBIDDEN, "Counter %d is not in one of your centres.", counterID)
	}
	return u, nil
}

// offeredService returns the centre and a service it offers. EINVALID
// (field "centre_id", code "centre.unknown") for an unknown centre, (field
// "service_code", code "service.not_offered") for a service it does not
// offer.
func (s *Service) offeredService(ctx context.Context, centreID int64, code string) (*dost.Centre, *dost.Service, error) {
	// The centre and its services as the estimate keeps them
	// (estimate.go): a kiosk asks at every ticket, they change by hand.
	// Only a hit is trusted; a miss is read afresh.
	if c, services, err := s.centreServices(ctx, centreID, s.clock.Now(), false); err == nil && slices.Contains(c.Services, code) {
		for _, svc := range services {
			if svc.Code == code {
				return c, svc, nil
			}
		}
	}
	c, err := s.centres.FindCentreByID(ctx, centreID)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, nil, dost.FieldErr("centre_id", "centre.unknown", "Centre %d does not exist.", centreID)
	} else if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(c.Services, code) {
		return nil, nil, dost.FieldErr("service_code", "service.not_offered", "The centre does not offer service %s.", code)
	}
	svc, err := s.catalogue.FindServiceByCode(ctx, code)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, nil, dost.FieldErr("service_code", "service.not_offered", "The centre does not offer service %s.", code)
	} else if err != nil {
		return nil, nil, err
	}
	return c, svc, nil
}

// IssueTicket validates r and issues a ticket with its wait quoted. See
// dost.QueueService.
func (s *Service) IssueTicket(ctx context.Context, r *dost.NewTicket) (*dost.Ticket, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	c, svc, err := s.offeredService(ctx, r.CentreID, r.ServiceCode)
	if err != nil {
		return nil, err
	}
	qs, err := s.store.FindQueueSettings(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if !qs.Offers(r.Priority) {
		return nil, dost.FieldErr("priority", "priority_group.not_offered", "The centre does not offer priority group %s.", r.Priority)
	}
	t := &dost.Ticket{CentreID: c.ID, Group: svc.QueueGroup, ServiceCode: svc.Code, Priority: r.Priority, Language: r.Language}
	// The quote is advice: a failed estimate does not refuse a ticket.
	if est, err := s.Estimate(ctx, c.ID); err == nil {
		if d, ok := est.Services[svc.Code]; ok {
			// 0 is "no quote" (no open counter serves the service), so
			// a quote of no wait is logged as 1 s: the dashboard
			// measures every quote given (hall/kpi.go).
			t.QuotedWaitSeconds = max(int(d/time.Second), 1)
		}
	}
	if err := s.store.IssueTicket(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTicketByID returns a ticket. ENOTFOUND if there is none.
func (s *Service) FindTicketByID(ctx context.Context, id int64) (*dost.Ticket, error) {
	return s.store.FindTicketByID(ctx, id)
}

// FindTickets returns matching tickets in order of issue, and the total.
func (s *Service) FindTickets(ctx context.Context, f dost.TicketFilter) ([]*dost.Ticket, int, error) {
	return s.store.FindTickets(ctx, f)
}

// SignInCounter signs the operator in at a counter. See
// dost.QueueService.
func (s *Service) SignInCounter(ctx context.Context, counterID int64) (*dost.CounterSignIn, error) {
	u, err := s.atCounter(ctx, counterID)
	if err != nil {
		return nil, err
	}
	return s.store.SignInCounter(ctx, counterID, u.ID)
}

// SignOutCounter ends the operator's sign-in at a counter.
func (s *Service) SignOutCounter(ctx context.Context, counterID int64) error {
	u, err := operator(ctx)
	if err != nil {
		return err
	}
	return s.store.SignOutCounter(ctx, counterID, u.ID)
}

// CallNext calls the next ticket for the operator at counterID. See
// dost.QueueService; ECONFLICT (code "counter.busy") also when the
// counter has a ticket in hand.
func (s *Service) CallNext(ctx context.Context, counterID int64) (*dost.Ticket, *dost.CallReason, error) {
	u, err := s.atCounter(ctx, counterID)
	if err != nil {
		return nil, nil, err
	}
	return s.store.CallNext(ctx, counterID, u.ID)
}

// CallTicket calls a waiting or parked ticket by number. See
// dost.QueueService.
func (s *Service) CallTicket(ctx context.Context, counterID, ticketID int64) (*dost.Ticket, error) {
	u, err := s.atCounter(ctx, counterID)
	if err != nil {
		return nil, err
	}
	t, _, err := s.store.CallTicket(ctx, counterID, u.ID, ticketID)
	return t, err
}

// ActOnTicket applies r to a ticket. See dost.QueueService. A cancel is
// any staff member's of the ticket's centre (the visitor left); every other
// action is the operator's at whose counter the ticket is.
func (s *Service) ActOnTicket(ctx context.Context, ticketID int64, r dost.TicketActionRequest) (*dost.Ticket, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	u := dost.UserFromContext(ctx)
	if u == nil {
		return nil, dost.Errorf(dost.EUNAUTHORIZED, "Sign in first.")
	}
	if r.Action == dost.TicketCancel {
		t, err := s.store.FindTicketByID(ctx, ticketID)
		if err != nil {
			return nil, err
		}
		if u.CitizenOnly() || !u.InCentre(t.CentreID) {
			return nil, dost.Errorf(dost.EFORBIDDEN, "Only staff of the centre cancel its tickets.")
		}
	} else if _, err := operator(ctx); err != nil {
		return nil, err
	}
	return s.store.ActOnTicket(ctx, ticketID, u.ID, r)
}

// FindQueueEvents returns matching events oldest first, and the total.
func (s *Service) FindQueueEvents(ctx context.Context, f dost.QueueEventFilter) ([]*dost.QueueEvent, int, error) {
	return s.store.FindQueueEvents(ctx, f)
}

// FindQueueSettings returns a centre's settings. See dost.QueueService.
func (s *Service) FindQueueSettings(ctx context.Context, centreID int64) (*dost.QueueSettings, error) {
	return s.store.FindQueueSettings(ctx, centreID)
}

// SaveQueueSettings stores a centre's settings: its supervisors' and
// administrators' work (EFORBIDDEN for anyone else).
func (s *Service) SaveQueueSettings(ctx context.Context, qs *dost.QueueSettings) error {
	u := dost.UserFromContext(ctx)
	if u == nil || !(u.HasRole(dost.RoleAdmin) || u.HasRole(dost.RoleSupervisor) && u.InCentre(qs.CentreID)) {
		return dost.Errorf(dost.EFORBIDDEN, "Only the centre's supervisors and administrators change its queue settings.")
	}
	return s.store.SaveQueueSettings(ctx, qs)
}

// FeedbackToken returns the secret of ticket id's rating link (the tablet
// page's and the SMS's), which SubmitFeedback checks.
func (s *Service) FeedbackToken(ticketID int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("dost feedback "))
	var b [8]byte
	for i := range b {
		b[i] = byte(ticketID >> (8 * i))
	}
	m.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// SubmitFeedback validates r and stores the rating of its visit. See
// dost.FeedbackService.
func (s *Service) SubmitFeedback(ctx context.Context, r *dost.NewFeedback) (*dost.Feedback, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(r.Token), []byte(s.FeedbackToken(r.TicketID))) {
		// Unknown tickets answer as the contract says, after the token:
		// a wrong token learns nothing about which tickets exist.
		return nil, &dost.Error{Code: dost.EFORBIDDEN, Message: "This link is not for this visit.",
			Fields: []dost.FieldError{{Field: "token", Code: "feedback.token", Message: "Not this visit's link."}}}
	}
	f := &dost.Feedback{TicketID: r.TicketID, Rating: r.Rating, Comment: r.Comment, Channel: r.Channel}
	if err := s.store.SubmitFeedback(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// FindFeedback returns matching ratings, newest first, and the total.
func (s *Service) FindFeedback(ctx context.Context, f dost.FeedbackFilter) ([]*dost.Feedback, int, error) {
	return s.store.FindFeedback(ctx, f)
}
