package http

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/queue"
)

// hallPageRoutes returns the hall pages' rows of the route table: the
// kiosk, the display board, a visitor's ticket and rating pages (public:
// see hallOperators) and the operators' console.
func (s *Server) hallPageRoutes() []Route {
	return []Route{
		{Pattern: "GET /centres/{code}/kiosk", Access: Public, Handler: s.handleKioskPage},
		{Pattern: "POST /centres/{code}/kiosk/tickets", Access: Public, Handler: s.handleKioskIssue},
		{Pattern: "POST /centres/{code}/kiosk/check-in", Access: Public, Handler: s.handleKioskCheckIn},
		{Pattern: "GET /centres/{code}/kiosk/tickets/{id}", Access: Public, Handler: s.handleKioskTicket},
		{Pattern: "GET /centres/{code}/board", Access: Public, Handler: s.handleBoardPage},
		{Pattern: "GET /tickets/{id}", Access: Public, Handler: s.handleTicketPage},
		{Pattern: "GET /feedback/{id}", Access: Public, Handler: s.handleFeedbackPage},
		{Pattern: "POST /feedback/{id}", Access: Public, Handler: s.handleFeedbackForm},
		{Pattern: "GET /appointments/cancel", Access: Public, Handler: s.handleCancelByCodePage},  // ui_hall_cancel.go
		{Pattern: "POST /appointments/cancel", Access: Public, Handler: s.handleCancelByCodeForm}, // ui_hall_cancel.go
		{Pattern: "GET /centres/{code}/book", Access: Public, Handler: s.handleBookPage},          // ui_hall_book.go
		{Pattern: "POST /centres/{code}/book", Access: Public, Handler: s.handleBookForm},         // ui_hall_book.go
		{Pattern: "GET /centres/{code}/book/{id}", Access: Public, Handler: s.handleBookedPage},   // ui_hall_book.go
		{Pattern: "GET /hall", Access: ByRole, Roles: hallOperators, Handler: s.handleConsoleIndex},
		{Pattern: "GET /hall/counters/{counter}", Access: ByRole, Roles: hallOperators, Handler: s.handleConsolePage},
		{Pattern: "POST /hall/counters/{counter}/sign-in", Access: ByRole, Roles: hallOperators, Handler: s.consoleForm("sign-in")},
		{Pattern: "POST /hall/counters/{counter}/sign-out", Access: ByRole, Roles: hallOperators, Handler: s.consoleForm("sign-out")},
		{Pattern: "POST /hall/counters/{counter}/call-next", Access: ByRole, Roles: hallOperators, Handler: s.consoleForm("call-next")},
		{Pattern: "POST /hall/counters/{counter}/call", Access: ByRole, Roles: hallOperators, Handler: s.consoleForm("call")},
		{Pattern: "POST /hall/counters/{counter}/tickets/{id}", Access: ByRole, Roles: hallOperators, Handler: s.handleConsoleAct},
	}
}

// KioskReturnSeconds is how long the kiosk shows an issued ticket before
// it returns to its start for the next visitor.
const KioskReturnSeconds = 45

// kioskLang returns the kiosk's language: the ?lang= (or form's lang) the
// visitor chose, else Azerbaijani. Unlike other pages it is not
// remembered in a cookie: the next visitor starts afresh.
func kioskLang(r *http.Request) string {
	if l := r.FormValue("lang"); dost.ValidLanguage(l) {
		return l
	}
	return dost.Languages[0]
}

// renderScreen renders a full-screen hall view (kiosk, board) in lang,
// without the site's header and footer.
func (s *Server) renderScreen(w http.ResponseWriter, r *http.Request, lang string, status int, view string, data any) {
	s.renderLang(w, r, lang, status, view, "screen", s.pageFor(r, lang, "", data))
}

// kioskCategory is a service group on the kiosk's start.
type kioskCategory struct {
	Category dost.Category
	Selected bool
}

// kioskPage is the kiosk: the service groups, then a group's services,
// then the priority question; and the appointment check-in.
type kioskPage struct {
	Centre     *dost.Centre
	Lang       string
	Categories []kioskCategory
	Category   dost.Category
	Services   []*dost.Service // of Category
	Service    *dost.Service   // chosen: ask the priority
	Priorities []dost.PriorityGroup
	Alert      string // message key
	Code       string // the check-in code as typed
}

// offeredServices returns the active services centre c offers, in
// catalogue order.
func (s *Server) offeredServices(ctx context.Context, c *dost.Centre) ([]*dost.Service, error) {
	list, _, err := s.CatalogueService.FindServices(ctx, dost.ServiceFilter{CentreID: &c.ID, ActiveOnly: true})
	return list, err
}

// handleKioskPage handles "GET /centres/{code}/kiosk": the kiosk of a
// centre. ?category= shows a service group's services, ?service= asks the
// priority question, ?lang= switches the language for this visitor.
func (s *Server) handleKioskPage(w http.ResponseWriter, r *http.Request) {
	s.renderKiosk(w, r, http.StatusOK, "", "")
}

// renderKiosk renders the kiosk with an alert (a message key) and the
// check-in code typed.
func (s *Server) renderKiosk(w http.ResponseWriter, r *http.Request, status int, alert, code string) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	services, err := s.offeredServices(r.Context(), c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	qs, err := h.FindQueueSettings(r.Context(), c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := kioskLang(r)
	q := r.URL.Query()
	v := kioskPage{Centre: c, Lang: lang, Category: dost.Category(q.Get("category")), Alert: alert, Code: code, Priorities: qs.PriorityGroups}
	for _, cat := range dost.Categories {
		has := slices.ContainsFunc(services, func(svc *dost.Service) bool { return svc.Category == cat })
		if has {
			v.Categories = append(v.Categories, kioskCategory{Category: cat, Selected: cat == v.Category})
		}
	}
	for _, svc := range services {
		if svc.Category == v.Category {
			v.Services = append(v.Services, svc)
		}
		if svc.Code == q.Get("service") {
			v.Service, v.Category = svc, svc.Category
		}
	}
	s.renderScreen(w, r, lang, status, "hall_kiosk", v)
}

// kioskTicketPath returns the kiosk's page of an issued ticket.
func kioskTicketPath(code string, id int64, token, lang string) string {
	return "/centres/" + url.PathEscape(code) + "/kiosk/tickets/" + strconv.FormatInt(id, 10) +
		"?token=" + url.QueryEscape(token) + "&lang=" + lang
}

// kioskAlert returns the message key explaining why the kiosk refused: a
// field error's code the catalogue explains ("hall.kiosk.error.<code>"),
// else the general one of the error's code.
func kioskAlert(err error) string {
	for _, f := range dost.ErrorFields(err) {
		if slices.Contains(kioskErrorCodes, f.Code) {
			return "hall.kiosk.error." + f.Code
		}
	}
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return "hall.kiosk.error.not_found"
	}
	return "hall.kiosk.error.invalid"
}

// kioskErrorCodes are the field error codes the kiosk explains.
var kioskErrorCodes = []string{"required", "check_in.too_early", "check_in.too_late", "appointment.not_booked",
	"service.not_offered", "priority_group.not_offered", "priority_group.invalid"}

// handleKioskIssue handles "POST /centres/{code}/kiosk/tickets": issues a
// ticket for the form's service_code and priority in the kiosk's language
// and shows it. A refusal shows the kiosk's start with the reason.
func (s *Server) handleKioskIssue(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	lang := kioskLang(r)
	t, err := h.IssueTicket(r.Context(), &dost.NewTicket{CentreID: c.ID, ServiceCode: r.PostFormValue("service_code"),
		Priority: dost.PriorityGroup(r.PostFormValue("priority")), Language: lang})
	if err != nil {
		if dost.ErrorCode(err) == dost.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		s.renderKiosk(w, r, ErrorStatus(err), kioskAlert(err), "")
		return
	}
	http.Redirect(w, r, kioskTicketPath(c.Code, t.ID, h.FeedbackToken(t.ID), lang), http.StatusSeeOther)
}

// handleKioskCheckIn handles "POST /centres/{code}/kiosk/check-in": checks
// the appointment with the form's code in and shows its ticket; outside
// its window or for an unknown code, the kiosk's start says why.
func (s *Server) handleKioskCheckIn(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	code := strings.ToUpper(strings.TrimSpace(r.PostFormValue("code")))
	var t *dost.Ticket
	if code == "" {
		err = dost.FieldErr("code", "required", "The booking code is required.")
	} else {
		t, err = h.CheckInAppointment(r.Context(), code)
	}
	if err == nil && t.CentreID != c.ID {
		// Checked in at the wrong centre's kiosk: the ticket is the
		// booked centre's; say so rather than show a number called
		// elsewhere.
		err = dost.FieldErr("code", "appointment.other_centre", "The appointment is at another centre.")
	}
	if err != nil {
		if dost.ErrorCode(err) == dost.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		alert := kioskAlert(err)
		if slices.ContainsFunc(dost.ErrorFields(err), func(f dost.FieldError) bool { return f.Code == "appointment.other_centre" }) {
			alert = "hall.kiosk.error.other_centre"
		}
		s.renderKiosk(w, r, ErrorStatus(err), alert, code)
		return
	}
	http.Redirect(w, r, kioskTicketPath(c.Code, t.ID, h.FeedbackToken(t.ID), kioskLang(r)), http.StatusSeeOther)
}

// kioskTicketPage is an issued ticket on the kiosk's screen.
type kioskTicketPage struct {
	Centre        *dost.Centre
	Lang          string
	Ticket        *dost.Ticket
	Service       *dost.Service
	WaitMinutes   int // the quote, rounded up; 0: none
	Ahead         int
	QR            template.URL // PNG data URL of StatusURL
	StatusURL     string
	ReturnSeconds int
}

// absURL returns the absolute URL of path on the host the request came
// to: what a phone scanning the QR code opens.
func (s *Server) absURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || s.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

// qrDataURL returns a PNG QR code of text as a data URL.
func qrDataURL(text string) (template.URL, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 256)
	if err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}

// tokenTicket returns the ticket of the path's {id} for a request that
// carries its link's token (?token=: the kiosk's QR code, the SMS); ok
// false when it has answered: 404 naming what ("Ticket", "Visit") without
// the token, as for an unknown ticket.
func (s *Server) tokenTicket(w http.ResponseWriter, r *http.Request, what string) (h HallService, t *dost.Ticket, token string, ok bool) {
	h, id, ok := s.hallID(w, r, "id")
	if !ok {
		return nil, nil, "", false
	}
	token = r.URL.Query().Get("token")
	if !validToken(h, id, token) {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "%s %d not found.", what, id))
		return nil, nil, "", false
	}
	t, err := h.FindTicketByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, "", false
	}
	return h, t, token, true
}

// handleKioskTicket handles "GET /centres/{code}/kiosk/tickets/{id}": the
// ticket just issued, its number large, the wait quoted and a QR code of
// its status page; it returns to the start after KioskReturnSeconds. 404
// without the ticket's token.
func (s *Server) handleKioskTicket(w http.ResponseWriter, r *http.Request) {
	h, t, token, ok := s.tokenTicket(w, r, "Ticket")
	if !ok {
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if t.CentreID != c.ID {
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Ticket %d not found.", t.ID))
		return
	}
	v := kioskTicketPage{Centre: c, Lang: kioskLang(r), Ticket: t, ReturnSeconds: KioskReturnSeconds,
		StatusURL: s.absURL(r, ticketStatusPath(t.ID, token)+"&lang="+kioskLang(r))}
	if svc, err := s.CatalogueService.FindServiceByCode(r.Context(), t.ServiceCode); err == nil {
		v.Service = svc
	}
	view := viewTicket(r.Context(), h, t)
	if view.Ahead != nil {
		v.Ahead = *view.Ahead
	}
	if t.QuotedWaitSeconds > 0 {
		v.WaitMinutes = (t.QuotedWaitSeconds + 59) / 60
	}
	if v.QR, err = qrDataURL(v.StatusURL); err != nil {
		s.Error(w, r, err)
		return
	}
	s.renderScreen(w, r, v.Lang, http.StatusOK, "hall_kiosk_ticket", v)
}

// boardPage is the display board of a centre.
type boardPage struct {
	Centre *dost.Centre
	Recent []BoardEvent
	// Say holds the announcement's pattern per language, e.g. "Ticket
	// %s, counter %s"; the page fills in the number and counter.
	Say       map[string]string
	EventsURL string
}

// handleBoardPage handles "GET /centres/{code}/board": the hall's display
// board, full screen, showing the last calls; hall_board.js follows the
// board's event stream, chimes and announces each call in the ticket's
// language.
func (s *Server) handleBoardPage(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	c, err := s.centreOfPath(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	recent, err := s.recentCalls(r.Context(), h, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := boardPage{Centre: c, Recent: recent, Say: map[string]string{},
		EventsURL: "/api/v1/centres/" + url.PathEscape(c.Code) + "/board/events"}
	for _, l := range dost.Languages {
		v.Say[l] = s.ui.msgs.text(l, "hall.board.say")
	}
	s.renderScreen(w, r, s.requestLang(w, r), http.StatusOK, "hall_board", v)
}

// ticketPage is a visitor's ticket on their phone.
type ticketPage struct {
	Ticket      *dost.Ticket
	Centre      *dost.Centre
	Service     *dost.Service
	Ahead       *int
	WaitMinutes *int
	FeedbackURL string // once finished
	Counter     string // the counter's number once called
	Open        bool   // still in the hall: the page refreshes itself
}

// handleTicketPage handles "GET /tickets/{id}": a visitor's ticket, opened
// from the kiosk's QR code: its status, the tickets before it and the
// estimated wait, refreshed every half minute; once finished, the link to
// rate the visit. 404 without the ticket's token (?token=).
func (s *Server) handleTicketPage(w http.ResponseWriter, r *http.Request) {
	h, t, token, ok := s.tokenTicket(w, r, "Ticket")
	if !ok {
		return
	}
	view := viewTicket(r.Context(), h, t)
	v := ticketPage{Ticket: t, Ahead: view.Ahead, Open: t.Status.Open()}
	if view.EstimatedWaitSeconds != nil {
		m := (*view.EstimatedWaitSeconds + 59) / 60
		v.WaitMinutes = &m
	}
	if c, err := s.CentreService.FindCentreByID(r.Context(), t.CentreID); err == nil {
		v.Centre = c
		if t.CounterID != 0 {
			n, _ := counterName(c, t.CounterID)
			v.Counter = strconv.Itoa(n)
		}
	}
	if svc, err := s.CatalogueService.FindServiceByCode(r.Context(), t.ServiceCode); err == nil {
		v.Service = svc
	}
	if t.Status == dost.TicketFinished {
		v.FeedbackURL = feedbackPath(t.ID, token, "sms")
	}
	s.render(w, r, http.StatusOK, "hall_ticket", "", v)
}

// feedbackPath returns the rating page of a visit.
func feedbackPath(id int64, token, channel string) string {
	return "/feedback/" + strconv.FormatInt(id, 10) + "?token=" + url.QueryEscape(token) + "&channel=" + channel
}

// feedbackPage is the rating form of a visit.
type feedbackPage struct {
	TicketID int64
	Number   string
	Token    string
	Channel  string
	Rating   int
	Comment  string
	Done     bool
	Alert    string            // message key
	Errors   map[string]string // field → message key
}

// feedbackChannel returns the form's or query's channel: "tablet" for the
// counter's tablet, else "sms" (the link).
func feedbackChannel(r *http.Request) string {
	if r.FormValue("channel") == "tablet" {
		return "tablet"
	}
	return "sms"
}

// handleFeedbackPage handles "GET /feedback/{id}": the form to rate a
// visit, reached by the SMS link, the ticket page or the counter's
// tablet (?channel=tablet). 404 without the visit's token.
func (s *Server) handleFeedbackPage(w http.ResponseWriter, r *http.Request) {
	_, t, token, ok := s.tokenTicket(w, r, "Visit")
	if !ok {
		return
	}
	v := feedbackPage{TicketID: t.ID, Number: t.Number, Token: token, Channel: feedbackChannel(r), Done: r.URL.Query().Get("done") == "1"}
	if !v.Done && t.Status != dost.TicketFinished {
		v.Alert = "hall.feedback.error.not_finished"
	}
	s.render(w, r, http.StatusOK, "hall_feedback", "", v)
}

// handleFeedbackForm handles "POST /feedback/{id}": stores the rating (1 to
// 5) and comment, once per visit, and shows the thanks. A second rating,
// a visit not finished or a bad rating re-render the form saying why; a
// token not of the visit is 404.
func (s *Server) handleFeedbackForm(w http.ResponseWriter, r *http.Request) {
	h := s.hall(w, r)
	if h == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v := feedbackPage{TicketID: id, Token: r.PostFormValue("token"), Channel: feedbackChannel(r),
		Comment: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("comment"), "\r\n", "\n"))}
	v.Rating, _ = strconv.Atoi(r.PostFormValue("rating"))
	_, err = h.SubmitFeedback(r.Context(), &dost.NewFeedback{TicketID: id, Token: v.Token, Rating: v.Rating, Comment: v.Comment, Channel: v.Channel})
	switch code := dost.ErrorCode(err); {
	case err == nil:
		http.Redirect(w, r, feedbackPath(id, v.Token, v.Channel)+"&done=1", http.StatusSeeOther)
		return
	case code == dost.EFORBIDDEN, code == dost.ENOTFOUND:
		s.Error(w, r, dost.Errorf(dost.ENOTFOUND, "Visit %d not found.", id))
		return
	case code == dost.EINTERNAL:
		s.Error(w, r, err)
		return
	}
	v.Errors = map[string]string{}
	for _, f := range dost.ErrorFields(err) {
		switch f.Code {
		case "feedback.exists", "feedback.not_finished":
			v.Alert = "hall.feedback.error." + strings.TrimPrefix(f.Code, "feedback.")
		case "rating.range":
			v.Errors["rating"] = "hall.feedback.error.rating"
		default:
			if _, seen := v.Errors[f.Field]; !seen {
				v.Errors[f.Field] = "form.error.invalid"
			}
		}
	}
	if v.Alert == "" {
		v.Alert = "form.alert.invalid"
	}
	if t, err := h.FindTicketByID(r.Context(), id); err == nil {
		v.Number = t.Number
	}
	s.render(w, r, ErrorStatus(err), "hall_feedback", "", v)
}

// consoleCounter is a counter in the console's list.
type consoleCounter struct {
	Centre  *dost.Centre
	Counter *dost.Counter
}

// consoleIndex is the list of counters to sign in at.
type consoleIndex struct {
	Counters []consoleCounter
	Alert    string
	OK       bool
}

// handleConsoleIndex handles "GET /hall": the counters of the operator's
// centres, to sign in at one.
func (s *Server) handleConsoleIndex(w http.ResponseWriter, r *http.Request) {
	u := dost.UserFromContext(r.Context())
	cs, _, err := s.CentreService.FindCentres(r.Context(), dost.CentreFilter{Limit: 1000})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var list []consoleCounter
	for _, c := range cs {
		if !u.InCentre(c.ID) {
			continue
		}
		for _, k := range c.Counters {
			list = append(list, consoleCounter{Centre: c, Counter: k})
		}
	}
	v := consoleIndex{Counters: list}
	v.Alert, v.OK = knownAlert(r.URL.Query().Get("alert"))
	s.render(w, r, http.StatusOK, "hall_console_index", "hall", v)
}

// consoleTicket is a ticket in the console's waiting list.
type consoleTicket struct {
	Ticket      *dost.Ticket
	WaitedMin   int
	EstimateMin *int
}

// consolePage is the operator's console at a counter.
type consolePage struct {
	Centre  *dost.Centre
	Counter *dost.Counter
	Alert   string // message key
	OK      bool   // the alert is a success
	// InHand is the ticket called to or served at the counter; Reason
	// why it was called, in the page's language; MayRecall whether a
	// recall is within the centre's limit.
	InHand    *dost.Ticket
	Reason    []string
	MayRecall bool
	Recalls   string
	// Finish offers the services of the ticket's category to mark done;
	// Transfer the centre's services and counters.
	Finish     []*dost.Service
	Services   []*dost.Service
	Counters   []*dost.Counter
	Parked     []*dost.Ticket
	Waiting    []consoleTicket
	Categories []dost.Category // the operator's certifications today
	VideoDesk  bool            // a desk of a video centre: link to its video desk (ui_video.go)
}

// consoleAlerts maps the field error codes a console form may meet to
// its alerts ("hall.alert.<alert>"); consoleOutcomes are the other
// alerts, the first four saying a form succeeded.
var (
	consoleAlerts = map[string]string{
		"counter.busy": "counter_busy", "counter.taken": "counter_taken", "counter.not_signed_in": "not_signed_in",
		"certification.missing": "certification_missing", "ticket.recall_limit": "recall_limit",
		"ticket.recall_too_soon": "recall_too_soon", "ticket.other_counter": "other_counter",
		"ticket.unknown_number": "unknown_number", "ticket_action.not_allowed": "not_allowed",
		"transfer.target": "transfer_target", "queue.empty": "queue_empty",
	}
	consoleOutcomes = []string{"signed_in", "signed_out", "called", "done", "invalid", "conflict", "forbidden", "not_found"}
)

// consoleAlert returns the alert of a refused console form.
func consoleAlert(err error) string {
	for _, f := range dost.ErrorFields(err) {
		if a, ok := consoleAlerts[f.Code]; ok {
			return a
		}
	}
	switch dost.ErrorCode(err) {
	case dost.ENOTFOUND:
		return "not_found"
	case dost.ECONFLICT:
		return "conflict"
	case dost.EFORBIDDEN:
		return "forbidden"
	}
	return "invalid"
}

// knownAlert returns the message key of a console alert named in a query,
// and whether it says a form succeeded; "" for an unknown one.
func knownAlert(a string) (key string, ok bool) {
	i := slices.Index(consoleOutcomes, a)
	known := i >= 0
	for _, x := range consoleAlerts {
		known = known || x == a
	}
	if !known {
		return "", false
	}
	return "hall.alert." + a, i >= 0 && i < 4
}

// consolePath returns the console of a counter with an alert.
func consolePath(counterID int64, alert string) string {
	p := "/hall/counters/" + strconv.FormatInt(counterID, 10)
	if alert != "" {
		p += "?alert=" + alert
	}
	return p
}

// console returns the hall service and the centre and counter of the
// {counter} path value for a console handler, or nils after answering the
// error (no hall, a counter not in the user's centres).
func (s *Server) console(w http.ResponseWriter, r *http.Request) (HallService, *dost.Centre, *dost.Counter) {
	h := s.hall(w, r)
	if h == nil {
		return nil, nil, nil
	}
	c, k, err := s.consoleCounterOf(r)
	if err != nil {
		s.Error(w, r, err)
		return nil, nil, nil
	}
	return h, c, k
}

// consoleCounterOf returns the centre and counter of the {counter} path
// value if it is in one of the user's centres; ENOTFOUND otherwise.
func (s *Server) consoleCounterOf(r *http.Request) (*dost.Centre, *dost.Counter, error) {
	id, err := pathID(r, "counter")
	if err != nil {
		return nil, nil, err
	}
	c, k, err := s.counterOf(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if !dost.UserFromContext(r.Context()).InCentre(c.ID) {
		return nil, nil, dost.Errorf(dost.ENOTFOUND, "Counter %d is not in one of your centres.", id)
	}
	return c, k, nil
}

// handleConsolePage handles "GET /hall/counters/{counter}": the operator's
// console at a counter: sign in and out, call next (with why the ticket
// was chosen), the ticket in hand and its actions, the parked tickets and
// the waiting tickets the operator may serve, with estimates.
func (s *Server) handleConsolePage(w http.ResponseWriter, r *http.Request) {
	h, c, k := s.console(w, r)
	if h == nil {
		return
	}
	ctx := r.Context()
	u := dost.UserFromContext(ctx)
	lang := s.requestLang(w, r)
	now := s.Clock.Now()
	today := dost.Today(s.Clock)
	v := consolePage{Centre: c, Counter: k, Counters: c.Counters}
	v.Alert, v.OK = knownAlert(r.URL.Query().Get("alert"))
	qs, err := h.FindQueueSettings(ctx, c.ID)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	services, err := s.offeredServices(ctx, c)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v.Services = services
	tickets, _, err := h.FindTickets(ctx, dost.TicketFilter{CentreID: c.ID, Day: today,
		Statuses: []dost.TicketStatus{dost.TicketWaiting, dost.TicketCalled, dost.TicketServing, dost.TicketParked}})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var waiting []*dost.Ticket
	for _, t := range tickets {
		switch {
		case t.Status == dost.TicketWaiting:
			waiting = append(waiting, t)
		case t.CounterID != k.ID:
		case t.Status == dost.TicketParked:
			v.Parked = append(v.Parked, t)
		default:
			v.InHand = t
		}
	}
	if t := v.InHand; t != nil {
		v.MayRecall = t.Status == dost.TicketCalled && t.Recalls < qs.MaxRecalls
		v.Recalls = s.ui.msgs.text(lang, "hall.console.recalls", t.Recalls, qs.MaxRecalls)
		evs, _, err := h.FindQueueEvents(ctx, dost.QueueEventFilter{TicketID: t.ID, Kinds: []dost.QueueEventKind{dost.QueueCalled}})
		if err == nil && len(evs) > 0 && evs[len(evs)-1].Reason != nil {
			v.Reason = s.reasonText(lang, evs[len(evs)-1].Reason)
		}
		cat := dost.CategoryOfCode(t.ServiceCode)
		for _, svc := range services {
			if svc.Category == cat {
				v.Finish = append(v.Finish, svc)
			}
		}
	}
	if v.Categories, err = h.CertifiedCategories(ctx, u.ID, today); err != nil {
		s.Error(w, r, err)
		return
	}
	op := queue.Operator{CounterID: k.ID, Categories: v.Categories, Groups: k.Groups}
	est, _ := h.Estimate(ctx, c.ID)
	for _, t := range queue.PolicyFor(qs).Order(waiting) {
		if !queue.May(op, t) {
			continue
		}
		ct := consoleTicket{Ticket: t, WaitedMin: int(now.Sub(t.IssuedAt) / time.Minute)}
		if est != nil {
			if d, ok := est.Tickets[t.ID]; ok {
				m := int((d + time.Minute - 1) / time.Minute)
				ct.EstimateMin = &m
			}
		}
		v.Waiting = append(v.Waiting, ct)
	}
	v.VideoDesk = s.isVideoCentre(ctx, c) // ui_video.go
	s.render(w, r, http.StatusOK, "hall_console", "hall", v)
}

// reasonText says why call-next chose a ticket, in lang: the deciding
// reason, then the wait and the competition, from the reason's codes
// and numbers (message keys "hall.reason.*").
func (s *Server) reasonText(lang string, why *dost.CallReason) []string {
	m := s.ui.msgs
	var out []string
	switch why.Code {
	case dost.ReasonByNumber:
		return []string{m.text(lang, "hall.reason.by_number", why.WaitedSeconds/60)}
	case dost.ReasonPriority:
		out = append(out, m.text(lang, "hall.reason.priority", m.text(lang, "hall.priority."+string(why.Priority)), why.HeadStartSeconds/60))
	case dost.ReasonAppointment:
		at := ""
		if why.AppointmentAt != nil {
			at = why.AppointmentAt.In(dost.Baku).Format("15:04")
		}
		out = append(out, m.text(lang, "hall.reason.appointment", at, why.AppointmentLeadSeconds/60))
	default:
		out = append(out, m.text(lang, "hall.reason.longest_wait"))
	}
	out = append(out, m.text(lang, "hall.reason.waited", why.WaitedSeconds/60))
	if why.Passed > 0 {
		out = append(out, m.text(lang, "hall.reason.passed", why.Passed))
	}
	out = append(out, m.text(lang, "hall.reason.among", why.Waiting, why.Services))
	return out
}

// consoleForm returns the handler of "POST /hall/counters/{counter}/<op>",
// op being one of the counter's forms: sign-in, sign-out, call-next or
// call (a ticket by the form's number). Each redirects to the console
// saying how it went (sign-out to the list of counters); a call is
// announced on the centre's boards.
func (s *Server) consoleForm(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.handleConsoleForm(w, r, op) }
}

// handleConsoleForm does the counter's form op; see consoleForm.
func (s *Server) handleConsoleForm(w http.ResponseWriter, r *http.Request, op string) {
	h, _, k := s.console(w, r)
	if h == nil {
		return
	}
	ctx := r.Context()
	alert := ""
	var err error
	switch op {
	case "sign-in":
		if _, err = h.SignInCounter(ctx, k.ID); err == nil {
			alert = "signed_in"
		}
	case "sign-out":
		if err = h.SignOutCounter(ctx, k.ID); err == nil {
			http.Redirect(w, r, "/hall?alert=signed_out", http.StatusSeeOther)
			return
		}
	case "call-next":
		var t *dost.Ticket
		if t, _, err = h.CallNext(ctx, k.ID); err == nil {
			s.announce(ctx, t, "called")
			alert = "called"
		}
	case "call":
		var t *dost.Ticket
		number := strings.ToUpper(strings.TrimSpace(r.PostFormValue("number")))
		if number == "" {
			err = dost.FieldErr("number", "required", "The ticket's number is required.")
		} else if t, err = s.ticketByNumber(ctx, h, k.ID, number); err == nil {
			if t, err = h.CallTicket(ctx, k.ID, t.ID); err == nil {
				s.announce(ctx, t, "called")
				alert = "called"
			}
		}
	}
	if err != nil {
		if dost.ErrorCode(err) == dost.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		alert = consoleAlert(err)
	}
	http.Redirect(w, r, consolePath(k.ID, alert), http.StatusSeeOther)
}

// handleConsoleAct handles "POST /hall/counters/{counter}/tickets/{id}": the
// form's action on a ticket at the counter (recall, start, no_show, park,
// transfer to service_code or counter_id, finish with services_done,
// cancel). It redirects to the console saying how it went; a recall is
// announced on the centre's boards.
func (s *Server) handleConsoleAct(w http.ResponseWriter, r *http.Request) {
	h, _, k := s.console(w, r)
	if h == nil {
		return
	}
	id, err := pathID(r, "id")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.Error(w, r, dost.Errorf(dost.EINVALID, "The form could not be read."))
		return
	}
	req := dost.TicketActionRequest{Action: dost.TicketAction(r.PostFormValue("action")),
		ServiceCode: r.PostFormValue("service_code"), ServicesDone: r.PostForm["services_done"]}
	if c := r.PostFormValue("counter_id"); c != "" {
		req.CounterID, _ = strconv.ParseInt(c, 10, 64)
		if req.CounterID == 0 {
			req.CounterID = -1 // not a counter: Validate refuses it
		}
	}
	alert := "done"
	t, err := h.ActOnTicket(r.Context(), id, req)
	if err != nil {
		if dost.ErrorCode(err) == dost.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		alert = consoleAlert(err)
	} else if req.Action == dost.TicketRecall {
		s.announce(r.Context(), t, "recalled")
	}
	s.videoTicketActed(r.Context(), t) // a video ticket's call ends with it (video_end.go)
	http.Redirect(w, r, consolePath(k.ID, alert), http.StatusSeeOther)
}

// Ratings are the marks of the rating form, worst first.
func (feedbackPage) Ratings() []int { return []int{1, 2, 3, 4, 5} }
