package http

import (
	"context"
	"crypto/hmac"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

// HallService is what the hall's routes need: the queue, appointments,
// certifications and ratings, the wait estimate of a centre's queue and
// the secret of a visit's links. hall.Service implements it.
type HallService interface {
	dost.QueueService
	dost.AppointmentService
	dost.CertificationService
	dost.FeedbackService
	// Estimate returns the wait estimate of a centre's queue now.
	Estimate(ctx context.Context, centreID int64) (*queue.Estimate, error)
	// FeedbackToken returns the secret of a ticket's links: the status
	// page the kiosk's QR code opens and the rating page.
	FeedbackToken(ticketID int64) string
}

// Roles of the hall's rows in the route table. The kiosk is public: it is
// a browser locked to the kiosk page in the centre's hall, issuing tickets
// and checking appointments in for anyone, as the counter's paper roll
// did; a visitor's ticket is then read with its link's token. Operators
// work at counters; every staff member of a centre may cancel its waiting
// tickets (the visitor left); administrators certify operators.
var (
	hallOperators   = []dost.Role{dost.RoleOperator}
	hallCertifiers  = []dost.Role{dost.RoleAdmin}
	hallCertReaders = []dost.Role{dost.RoleAdmin, dost.RoleSupervisor, dost.RoleAuditor}
)

// hallRoutes returns the hall's API rows of the route table.
func (s *Server) hallRoutes() []Route {
	return []Route{
		{Pattern: "POST /api/v1/tickets", Access: Public, Handler: s.handleTicketIssue},
		{Pattern: "GET /api/v1/tickets", Access: Staff, Handler: s.handleTicketList},
		{Pattern: "GET /api/v1/tickets/{id}", Access: Public, Handler: s.handleTicketGet},
		{Pattern: "POST /api/v1/tickets/{id}/actions", Access: Staff, Handler: s.handleTicketAct},
		{Pattern: "POST /api/v1/counters/{counter}/sign-in", Access: ByRole, Roles: hallOperators, Handler: s.handleCounterSignIn},
		{Pattern: "POST /api/v1/counters/{counter}/sign-out", Access: ByRole, Roles: hallOperators, Handler: s.handleCounterSignOut},
		{Pattern: "POST /api/v1/counters/{counter}/call-next", Access: ByRole, Roles: hallOperators, Handler: s.handleCallNext},
		{Pattern: "POST /api/v1/counters/{counter}/call", Access: ByRole, Roles: hallOperators, Handler: s.handleCallTicket},
		{Pattern: "GET /api/v1/centres/{code}/slots", Access: Public, Handler: s.handleSlotList},
		{Pattern: "GET /api/v1/centres/{code}/estimate", Access: Public, Handler: s.handleEstimate},
		{Pattern: "GET /api/v1/centres/{code}/board", Access: Public, Handler: s.handleBoardSnapshot},
		{Pattern: "GET /api/v1/centres/{code}/board/events", Access: Public, Handler: s.handleBoardEvents},
		{Pattern: "POST /api/v1/appointments", Access: Public, Handler: s.handleAppointmentBook},
		{Pattern: "GET /api/v1/appointments", Access: SignedIn, Handler: s.handleAppointmentList},
		{Pattern: "GET /api/v1/appointments/{id}", Access: SignedIn, Handler: s.handleAppointmentGet},
		{Pattern: "POST /api/v1/appointments/{id}/cancel", Access: SignedIn, Handler: s.handleAppointmentCancel},
		{Pattern: "POST /api/v1/appointments/check-in", Access: Public, Handler: s.handleAppointmentCheckIn},
		{Pattern: "POST /api/v1/appointments/cancel", Access: Public, Handler: s.handleAppointmentCancelByCode}, // api_hall_cancel.go
		{Pattern: "GET /api/v1/certifications", Access: ByRole, Roles: hallCertReaders, Handler: s.handleCertificationList},
		{Pattern: "POST /api/v1/certifications", Access: ByRole, Roles: hallCertifiers, Handler: s.handleCertificationCreate},
		{Pattern: "POST /api/v1/certifications/{id}/revoke", Access: ByRole, Roles: hallCertifiers, Handler: s.handleCertificationRevoke},
		{Pattern: "POST /api/v1/feedback", Access: Public, Handler: s.handleFeedbackSubmit},
	}
}

// errNoHall answers the hall's routes on a server without a HallService.
var errNoHall = dost.Errorf(dost.ENOTFOUND, "The hall is not available on this server.")

// hall returns the HallService, or answers 404 and returns nil when the
// server has none.
func (s *Server) hall(w http.ResponseWriter, r *http.Request) HallService {
	if s.Hall == nil {
		s.Error(w, r, errNoHall)
		return nil
	}
	return s.Hall
}

// hallID returns the hall service and the ID in the request's path
// value name, or writes the error (a bad ID first, then no hall) and
// returns ok false.
func (s *Server) hallID(w http.ResponseWriter, r *http.Request, name string) (h HallService, id int64, ok bool) {
	id, err := pathID(r, name)
	if err != nil {
		s.Error(w, r, err)
		return nil, 0, false
	}
	h = s.hall(w, r)
	return h, id, h != nil
}

// issuedTicket is a ticket as the kiosk gets it: with its links' token
// and the path of its status page (the QR code's target).
type issuedTicket struct {
	*dost.Ticket
	Token     string `json:"token"`
	StatusURL string `json:"status_url"`
}

// ticketStatusPath returns the public status page of a ticket with its
// token.
func ticketStatusPath(id int64, token string) string {
	return "/tickets/" + strconv.FormatInt(id, 10) + "?token=" + url.QueryEscape(token)
}

// issued returns t with its links.
func (s *Server) issued(h HallService, t *dost.Ticket) issuedTicket {
	tok := h.FeedbackToken(t.ID)
	return issuedTicket{Ticket: t, Token: tok, StatusURL: ticketStatusPath(t.ID, tok)}
}

// handleTicketIssue handles "POST /api/v1/tickets": the kiosk issues a
// ticket for a service at a centre, perhaps in a priority group, with the
// wait quoted. 201 with the ticket, its token and status page. 400 for an
// unknown centre (field centre_id), a service the centre does not offer
// (service_code) or a priority group it does not offer (priority).
func (s *Server) handleTicketIssue(w http.ResponseWriter, r *http.Request) {
	var in dost.NewTicket
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	t, err := h.IssueTicket(r.Context(), &in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, s.issued(h, t))
}

// ticketStatuses are the ticket statuses, for checking filters.
var ticketStatuses = dost.TicketStatuses

// handleTicketList handles "GET /api/v1/tickets": a page of tickets in
// order of issue, filtered by centre_id (required of staff scoped to
// centres, and one of theirs), day (default today), service_code, status
// (repeatable), number and counter_id.
func (s *Server) handleTicketList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u := dost.UserFromContext(r.Context())
	var v dost.Validation
	var f dost.TicketFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.CentreID = queryID(q, "centre_id", &v)
	f.CounterID = queryID(q, "counter_id", &v)
	if f.CentreID == 0 && len(u.CentreIDs) > 0 && !q.Has("centre_id") {
		v.Add("centre_id", "required", "Name one of your centres.")
	}
	f.Day = dost.Today(s.Clock)
	if d := q.Get("day"); d != "" {
		if f.Day, err = dost.ParseDate(d); err != nil {
			v.Add("day", "date.invalid", "A day is a date, YYYY-MM-DD.")
		}
	}
	f.ServiceCode = q.Get("service_code")
	f.Number = strings.ToUpper(strings.TrimSpace(q.Get("number")))
	for _, st := range q["status"] {
		if !slices.Contains(ticketStatuses, dost.TicketStatus(st)) {
			v.Add("status", "ticket_status.invalid", "Unknown status %q.", st)
		}
		f.Statuses = append(f.Statuses, dost.TicketStatus(st))
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if f.CentreID != 0 && !u.InCentre(f.CentreID) {
		s.Error(w, r, dost.Errorf(dost.EFORBIDDEN, "Centre %d is not one of yours.", f.CentreID))
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	list, total, err := h.FindTickets(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// queryID reads an optional positive id parameter; 0 when absent.
func queryID(q url.Values, name string, v *dost.Validation) int64 {
	s := q.Get(name)
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		v.Add(name, "id.invalid", "%s is a positive whole number.", name)
		return 0
	}
	return id
}

// ticketView is a ticket with, while it waits, how many tickets the
// policy calls before it and its estimated wait.
type ticketView struct {
	*dost.Ticket
	Ahead                *int `json:"ahead,omitempty"`
	EstimatedWaitSeconds *int `json:"estimated_wait_seconds,omitempty"`
}

// viewTicket returns t with its place and estimate when it waits. The
// estimate is advice: when it fails, the ticket is shown without it.
func viewTicket(ctx context.Context, h HallService, t *dost.Ticket) ticketView {
	v := ticketView{Ticket: t}
	if t.Status != dost.TicketWaiting {
		return v
	}
	if qs, err := h.FindQueueSettings(ctx, t.CentreID); err == nil {
		waiting, _, err := h.FindTickets(ctx, dost.TicketFilter{CentreID: t.CentreID, Day: t.Day, Statuses: []dost.TicketStatus{dost.TicketWaiting}})
		if err == nil {
			for i, x := range queue.PolicyFor(qs).Order(waiting) {
				if x.ID == t.ID {
					v.Ahead = &i
				}
			}
		}
	}
	if est, err := h.Estimate(ctx, t.CentreID); err == nil {
		if d, ok := est.Tickets[t.ID]; ok {
			sec := int(d / time.Second)
			v.EstimatedWaitSeconds = &sec
		}
	}
	return v
}

// validToken reports whether token is ticket id's link token (the
// kiosk's QR code, the rating link), compared in constant time.
func validToken(h HallService, id int64, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(h.FeedbackToken(id)))
}

// ticketFor returns the ticket with id if the request may read it: staff
// of its centre, or anyone with its token (?token=, the kiosk's link).
// ENOTFOUND otherwise, as for an unknown ticket.
func (s *Server) ticketFor(r *http.Request, h HallService, id int64, token string) (*dost.Ticket, error) {
	notFound := dost.Errorf(dost.ENOTFOUND, "Ticket %d not found.", id)
	u := dost.UserFromContext(r.Context())
	staff := Route{Access: Staff}.Allows(u)
	if !staff && !validToken(h, id, token) {
		return nil, notFound
	}
	t, err := h.FindTicketByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if staff && token == "" && !u.InCentre(t.CentreID) {
		return nil, notFound
	}
	return t, nil
}

// handleTicketGet handles "GET /api/v1/tickets/{id}": a ticket with, while
// it waits, its place in the queue and estimated wait. Staff of its centre
// read it; anyone else needs its token (?token=), else 404.
func (s *Server) handleTicketGet(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "id")
	if !ok {
		return
	}
	t, err := s.ticketFor(r, h, id, r.URL.Query().Get("token"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTicket(r.Context(), h, t))
}

// handleTicketAct handles "POST /api/v1/tickets/{id}/actions": recall,
// start, finish (with services_done), no_show, park, transfer (to a
// service_code or counter_id) or cancel. 409 for an action the ticket's
// status does not allow (a ticket finished twice) or a recall beyond the
// centre's limits; 403 for a ticket at another operator's counter; 400
// for a transfer to an unknown service or counter. A recall is announced
// on the centre's boards.
func (s *Server) handleTicketAct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in dost.TicketActionRequest
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	t, err := h.ActOnTicket(r.Context(), id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.videoTicketActed(r.Context(), t) // a video ticket's call ends with it (video_end.go)
	if in.Action == dost.TicketRecall {
		s.announce(r.Context(), t, "recalled")
	}
	writeJSON(w, http.StatusOK, t)
}

// announce publishes a call of t to its centre's boards. The call is
// made: a failure to name the counter is logged, and the board shows the
// counter's id.
func (s *Server) announce(ctx context.Context, t *dost.Ticket, kind string) {
	e := BoardEvent{CentreID: t.CentreID, Kind: kind, TicketID: t.ID, Number: t.Number, ServiceCode: t.ServiceCode,
		Language: t.Language, At: s.Clock.Now()}
	if at := t.LastCalledAt(); !at.IsZero() {
		e.At = at
	}
	c, err := s.CentreService.FindCentreByID(ctx, t.CentreID)
	if err != nil {
		s.logger().Warn("board: find centre", "centre_id", t.CentreID, "err", err)
	}
	e.Counter, e.CounterLabel = counterName(c, t.CounterID)
	s.publish(ctx, e)
}

// counterName returns the number and label of counter id of c (nil: its
// id as the number).
func counterName(c *dost.Centre, id int64) (int, string) {
	if c != nil {
		for _, k := range c.Counters {
			if k.ID == id {
				return k.Number, k.Label
			}
		}
	}
	return int(id), strconv.FormatInt(id, 10)
}

// counterOf returns the centre of a counter and the counter. ENOTFOUND
// (field "counter", code "counter.unknown") if no centre has it.
func (s *Server) counterOf(ctx context.Context, id int64) (*dost.Centre, *dost.Counter, error) {
	for offset := 0; ; offset += 100 {
		cs, total, err := s.CentreService.FindCentres(ctx, dost.CentreFilter{Offset: offset, Limit: 100})
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cs {
			for _, k := range c.Counters {
				if k.ID == id {
					return c, k, nil
				}
			}
		}
		if len(cs) == 0 || offset+len(cs) >= total {
			break
		}
	}
	return nil, nil, &dost.Error{Code: dost.ENOTFOUND, Message: "Counter " + strconv.FormatInt(id, 10) + " does not exist.",
		Fields: []dost.FieldError{{Field: "counter", Code: "counter.unknown", Message: "Unknown counter."}}}
}

// handleCounterSignIn handles "POST /api/v1/counters/{counter}/sign-in":
// the operator signs in at a counter of their centre, leaving any other.
// 404 for an unknown counter, 409 if another operator is signed in there.
func (s *Server) handleCounterSignIn(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "counter")
	if !ok {
		return
	}
	si, err := h.SignInCounter(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, si)
}

// handleCounterSignOut handles "POST /api/v1/counters/{counter}/sign-out":
// the operator leaves the counter. 204; 404 if they are not signed in
// there.
func (s *Server) handleCounterSignOut(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "counter")
	if !ok {
		return
	}
	if err := h.SignOutCounter(r.Context(), id); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// calledTicket is the answer of call-next: the ticket called and why the
// policy chose it.
type calledTicket struct {
	Ticket *dost.Ticket     `json:"ticket"`
	Reason *dost.CallReason `json:"reason"`
}

// handleCallNext handles "POST /api/v1/counters/{counter}/call-next": calls
// the next ticket for the operator signed in at the counter and announces
// it on the centre's boards. 200 with the ticket and the reason; 404
// (code queue.empty) when none waits that they may serve; 403 unless
// signed in there and certified; 409 while the counter has a ticket in
// hand.
func (s *Server) handleCallNext(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "counter")
	if !ok {
		return
	}
	t, why, err := h.CallNext(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.announce(r.Context(), t, "called")
	writeJSON(w, http.StatusOK, calledTicket{Ticket: t, Reason: why})
}

// callInput is the body of "POST /api/v1/counters/{counter}/call": the
// ticket by its id, or by its number today at the counter's centre.
type callInput struct {
	TicketID int64  `json:"ticket_id,omitempty"`
	Number   string `json:"number,omitempty"`
}

// ticketByNumber returns today's ticket numbered number at the centre of
// counterID. EINVALID (field "number") if there is none.
func (s *Server) ticketByNumber(ctx context.Context, h HallService, counterID int64, number string) (*dost.Ticket, error) {
	c, _, err := s.counterOf(ctx, counterID)
	if err != nil {
		return nil, err
	}
	list, _, err := h.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID, Day: dost.Today(s.Clock), Number: number, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, dost.FieldErr("number", "ticket.unknown_number", "No ticket %s today at this centre.", number)
	}
	return list[0], nil
}

// handleCallTicket handles "POST /api/v1/counters/{counter}/call": calls a
// waiting or parked ticket, by ticket_id or by number, to the counter and
// announces it. 403 (code certification.missing) for a service the
// operator is not certified for; 409 if the ticket is not waiting or
// parked.
func (s *Server) handleCallTicket(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "counter")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in callInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	in.Number = strings.ToUpper(strings.TrimSpace(in.Number))
	if (in.TicketID == 0) == (in.Number == "") {
		s.Error(w, r, dost.FieldErr("number", "call.target", "Name the ticket by its number or by its id, not both."))
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	ticketID := in.TicketID
	if in.Number != "" {
		t, err := s.ticketByNumber(r.Context(), h, id, in.Number)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		ticketID = t.ID
	}
	t, err := h.CallTicket(r.Context(), id, ticketID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.announce(r.Context(), t, "called")
	writeJSON(w, http.StatusOK, t)
}

// centreOfPath returns the centre named by the {code} path value.
func (s *Server) centreOfPath(r *http.Request) (*dost.Centre, error) {
	return s.CentreService.FindCentreByCode(r.Context(), r.PathValue("code"))
}

// slotList is the answer of the slots route.
type slotList struct {
	Items []*dost.Slot `json:"items"`
}

// handleSlotList handles "GET /api/v1/centres/{code}/slots": the bookable
// slots of a service (service_code, required) at the centre, from a day
// (from, default today) until a day (until, exclusive, default a week
// later), only those with a free place if free=true.
func (s *Server) handleSlotList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	from := queryDay(q, "from", dost.Today(s.Clock), &v)
	until := queryDay(q, "until", from.AddDate(0, 0, 7), &v)
	code := strings.TrimSpace(q.Get("service_code"))
	if code == "" {
		v.Add("service_code", "required", "Name the service.")
	}
	free := q.Get("free")
	if free != "" && free != "true" && free != "false" {
		v.Add("free", "bool.invalid", "free is true or false.")
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	slots, err := h.FindSlots(r.Context(), dost.SlotFilter{CentreID: c.ID, ServiceCode: code,
		From: dayStart(from), Until: dayStart(until), FreeOnly: free == "true"})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if slots == nil {
		slots = []*dost.Slot{}
	}
	writeJSON(w, http.StatusOK, slotList{Items: slots})
}

// queryDay reads an optional day parameter, def when absent.
func queryDay(q url.Values, name string, def dost.Date, v *dost.Validation) dost.Date {
	s := q.Get(name)
	if s == "" {
		return def
	}
	d, err := dost.ParseDate(s)
	if err != nil {
		v.Add(name, "date.invalid", "%s is a date, YYYY-MM-DD.", name)
		return def
	}
	return d
}

// dayStart returns the midnight in Baku that starts day d.
func dayStart(d dost.Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, dost.Baku)
}

// serviceWait is one service's estimated wait for a ticket issued now.
type serviceWait struct {
	ServiceCode string `json:"service_code"`
	WaitSeconds int    `json:"wait_seconds"`
}

// estimateView is a centre's wait estimate as the API shows it: no
// tickets, only counts and the wait per service.
type estimateView struct {
	CentreID int64         `json:"centre_id"`
	Waiting  int           `json:"waiting"`
	Unserved int           `json:"unserved"`
	Services []serviceWait `json:"services"`
}

// handleEstimate handles "GET /api/v1/centres/{code}/estimate": how many
// wait, how many no open counter may serve, and the estimated wait per
// service of a ticket issued now (a service no open counter serves is
// missing).
func (s *Server) handleEstimate(w http.ResponseWriter, r *http.Request) {
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	est, err := h.Estimate(r.Context(), c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := estimateView{CentreID: c.ID, Waiting: len(est.Tickets) + len(est.Unserved), Unserved: len(est.Unserved), Services: []serviceWait{}}
	for code, d := range est.Services {
		v.Services = append(v.Services, serviceWait{ServiceCode: code, WaitSeconds: int(d / time.Second)})
	}
	slices.SortFunc(v.Services, func(a, b serviceWait) int { return strings.Compare(a.ServiceCode, b.ServiceCode) })
	writeJSON(w, http.StatusOK, v)
}

// appointmentInput is the body of "POST /api/v1/appointments".
type appointmentInput = dost.NewAppointment

// handleAppointmentBook handles "POST /api/v1/appointments": books a place
// in a slot. A citizen (signed in or not) books on the portal: the channel
// is portal whatever the body says; staff book by the call centre
// (call_centre) or at a centre (centre, the default). 201 with the
// appointment and its code; 409 (code slot.full) when the slot is full;
// 400 for an unknown centre, a service it does not offer, a start that is
// no slot's or is past.
func (s *Server) handleAppointmentBook(w http.ResponseWriter, r *http.Request) {
	var in appointmentInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if u := dost.UserFromContext(r.Context()); !(Route{Access: Staff}).Allows(u) {
		in.Channel = dost.ApplicationOnline
	} else if in.Channel == "" {
		in.Channel = dost.ApplicationAtCentre
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	a, err := h.BookAppointment(r.Context(), &in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/appointments/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, a)
}

// appointmentStatuses are the appointment statuses, for filters.
var appointmentStatuses = []dost.AppointmentStatus{dost.AppointmentBooked, dost.AppointmentCheckedIn, dost.AppointmentCancelled, dost.AppointmentLapsed}

// handleAppointmentList handles "GET /api/v1/appointments": a page of
// appointments by slot start, filtered by centre_id, service_code, status
// (repeatable) and the slot's day from (inclusive) until (exclusive); a
// citizen sees only their own.
func (s *Server) handleAppointmentList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	var f dost.AppointmentFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.CentreID = queryID(q, "centre_id", &v)
	f.ServiceCode = q.Get("service_code")
	if q.Has("from") {
		f.From = dayStart(queryDay(q, "from", dost.Date{}, &v))
	}
	if q.Has("until") {
		f.Until = dayStart(queryDay(q, "until", dost.Date{}, &v))
	}
	for _, st := range q["status"] {
		if !slices.Contains(appointmentStatuses, dost.AppointmentStatus(st)) {
			v.Add("status", "appointment_status.invalid", "Unknown status %q.", st)
		}
		f.Statuses = append(f.Statuses, dost.AppointmentStatus(st))
	}
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	list, total, err := h.FindAppointments(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// handleAppointmentGet handles "GET /api/v1/appointments/{id}": an
// appointment; 404 for another citizen's.
func (s *Server) handleAppointmentGet(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "id")
	if !ok {
		return
	}
	a, err := h.FindAppointmentByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// handleAppointmentCancel handles "POST /api/v1/appointments/{id}/cancel":
// cancels a booked appointment, freeing its place; a citizen only their
// own. 409 if it is no longer booked.
func (s *Server) handleAppointmentCancel(w http.ResponseWriter, r *http.Request) {
	h, id, ok := s.hallID(w, r, "id")
	if !ok {
		return
	}
	a, err := h.CancelAppointment(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// checkInInput is the body of "POST /api/v1/appointments/check-in".
type checkInInput struct {
	Code string `json:"code"`
}

// handleAppointmentCheckIn handles "POST /api/v1/appointments/check-in":
// the kiosk checks the booking with the code in, from 30 minutes before
// its slot until 10 minutes after, and issues its ticket. 201 as for an
// issued ticket; 400 (field code) outside the window; 404 for an unknown
// code; 409 for a booking no longer booked.
func (s *Server) handleAppointmentCheckIn(w http.ResponseWriter, r *http.Request) {
	var in checkInInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	if in.Code == "" {
		s.Error(w, r, dost.FieldErr("code", "required", "The booking code is required."))
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	t, err := h.CheckInAppointment(r.Context(), in.Code)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, s.issued(h, t))
}

// handleCertificationList handles "GET /api/v1/certifications": a page of
// certifications by operator and category, filtered by operator_id,
// centre_id, category, valid_on (in force that day) and expiring_by
// (ending on or before that day).
func (s *Server) handleCertificationList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v dost.Validation
	var f dost.CertificationFilter
	var err error
	if f.Offset, f.Limit, err = pageParams(q, 50, 500); err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	f.OperatorID = queryID(q, "operator_id", &v)
	f.CentreID = queryID(q, "centre_id", &v)
	if c := q.Get("category"); c != "" {
		if !slices.Contains(dost.Categories, dost.Category(c)) {
			v.Add("category", "category.invalid", "Unknown service category %q.", c)
		}
		f.Category = dost.Category(c)
	}
	f.ValidOn = queryDay(q, "valid_on", dost.Date{}, &v)
	f.ExpiringBy = queryDay(q, "expiring_by", dost.Date{}, &v)
	if err := v.Err("The search parameters are not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	list, total, err := h.FindCertifications(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newPage(list, total, f.Offset, f.Limit))
}

// certificationInput is the body of "POST /api/v1/certifications".
type certificationInput struct {
	OperatorID int64         `json:"operator_id"`
	Category   dost.Category `json:"category"`
	ValidFrom  dost.Date     `json:"valid_from"`
	ValidUntil dost.Date     `json:"valid_until"`
	Course     string        `json:"course,omitempty"`
}

// handleCertificationCreate handles "POST /api/v1/certifications": records
// that an operator is certified for a category of services from a day
// until a day. 201; 400 (field operator_id, code operator.unknown) for a
// user who is not an operator; 409 if it overlaps another of theirs for
// the category.
func (s *Server) handleCertificationCreate(w http.ResponseWriter, r *http.Request) {
	var in certificationInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	c := &dost.Certification{OperatorID: in.OperatorID, Category: in.Category, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, Course: in.Course}
	if err := h.CreateCertification(r.Context(), c); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

// revokeInput is the body of "POST /api/v1/certifications/{id}/revoke".
type revokeInput struct {
	// Day is the first day the certification is no longer in force;
	// today when empty.
	Day dost.Date `json:"day,omitzero"`
}

// handleCertificationRevoke handles "POST /api/v1/certifications/{id}/revoke":
// ends a certification before a day (default today). 204; 404 if unknown.
func (s *Server) handleCertificationRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in revokeInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if in.Day.IsZero() {
		in.Day = dost.Today(s.Clock)
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	if err := h.RevokeCertification(r.Context(), id, in.Day); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleFeedbackSubmit handles "POST /api/v1/feedback": the rating of a
// finished visit with its link's token, once. 201; 403 (code
// feedback.token) for a token not of that visit; 409 (feedback.exists)
// for a visit rated already, (feedback.not_finished) for one not
// finished.
func (s *Server) handleFeedbackSubmit(w http.ResponseWriter, r *http.Request) {
	var in dost.NewFeedback
	if err := decodeJSON(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	h := s.hall(w, r)
	if h == nil {
		return
	}
	f, err := h.SubmitFeedback(r.Context(), &in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}
